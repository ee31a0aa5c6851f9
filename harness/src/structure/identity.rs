//! Ids and parents (contract §3.2, §4 step 3): one root span per flow, parents that exist and
//! have a kind that can contain the child, and spans whose events agree on what the span is.

use yamlflow::SpanKind;

use super::facts::{Action, EventFacts, Id, Parent};
use super::span::SpanState;
use super::state::FlowState;
use super::violation::{StructureViolation, ViolationKind};

/// Whether a span of kind `child` may have a span of kind `parent` as its parent
/// (contract §1.2: steps live in nodes, fan-outs in the flow, branches in fan-outs).
fn accepts_parent(child: SpanKind, parent: SpanKind) -> bool {
    match child {
        SpanKind::Flow => false,
        SpanKind::Node => matches!(parent, SpanKind::Flow | SpanKind::Parallel),
        SpanKind::Step => parent == SpanKind::Node,
        SpanKind::Parallel => parent == SpanKind::Flow,
    }
}

impl FlowState {
    /// Registers a span at its first event and checks its place in the tree.
    pub(crate) fn open_span(
        &mut self,
        id: Id,
        facts: &EventFacts,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) -> usize {
        let idx = self.add_span(SpanState::new(id.clone(), facts, line));
        // Children that named this span before it appeared can now be checked for kind.
        if let Some(children) = self.waiting.get(&id) {
            let found: Vec<StructureViolation> = children
                .iter()
                .filter_map(|&child| self.parent_kind_violation(child, idx))
                .collect();
            out.extend(found);
        }
        match &facts.parent {
            Parent::Root => self.claim_root(idx, line, facts.seq, out),
            Parent::Span(parent_id) if self.spans[idx].id == *parent_id => {
                let message = format!("{} names itself as its parent", self.spans[idx].describe());
                out.push(self.violation(
                    ViolationKind::OrphanParent,
                    line,
                    facts.seq,
                    Some(idx),
                    message,
                ));
            }
            Parent::Span(parent_id) => match self.find(parent_id) {
                Some(parent) => {
                    out.extend(self.parent_kind_violation(idx, parent));
                    self.check_start(idx, parent, facts, line, out);
                }
                None => self.waiting.entry(parent_id.clone()).or_default().push(idx),
            },
            Parent::Unknown => {}
        }
        idx
    }

    /// Span `idx` has a null `parent_id`: it is the root, unless the flow already has one.
    fn claim_root(
        &mut self,
        idx: usize,
        line: u64,
        seq: Option<u64>,
        out: &mut Vec<StructureViolation>,
    ) {
        let Some(root) = self.root else {
            self.root = Some(idx);
            return;
        };
        let message = format!(
            "{} has a null parent_id, but the flow already has the root {} (line {}); only the \
             root span has no parent",
            self.spans[idx].describe(),
            self.spans[root].describe(),
            self.spans[root].first_line
        );
        out.push(self.violation(ViolationKind::MultipleRoots, line, seq, Some(idx), message));
    }

    fn parent_kind_violation(&self, child: usize, parent: usize) -> Option<StructureViolation> {
        let (Some(child_kind), Some(parent_kind)) =
            (self.spans[child].kind, self.spans[parent].kind)
        else {
            return None;
        };
        if child_kind == SpanKind::Flow || accepts_parent(child_kind, parent_kind) {
            return None;
        }
        let allowed = match child_kind {
            SpanKind::Node => "a flow or parallel span",
            SpanKind::Step => "a node span",
            SpanKind::Parallel | SpanKind::Flow => "the flow span",
        };
        Some(self.violation(
            ViolationKind::WrongParentKind,
            self.spans[child].first_line,
            self.spans[child].first_seq,
            Some(child),
            format!(
                "{}'s parent must be {allowed}, but it is {}",
                self.spans[child].describe(),
                self.spans[parent].describe()
            ),
        ))
    }

    /// The events of one span must agree on what the span is (contract §3.2).
    pub(crate) fn check_consistency(
        &mut self,
        idx: usize,
        facts: &EventFacts,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) {
        let span = &self.spans[idx];
        if span.mismatch_reported {
            return;
        }
        let what = if facts.kind.is_some() && span.kind.is_some() && facts.kind != span.kind {
            "kind".to_owned()
        } else if facts.node.is_some() && span.node.is_some() && facts.node != span.node {
            "node".to_owned()
        } else if facts.parent != Parent::Unknown
            && span.parent != Parent::Unknown
            && facts.parent != span.parent
        {
            "parent_id".to_owned()
        } else if facts.action != Action::Unknown
            && span.action != Action::Unknown
            && facts.action != span.action
        {
            format!(
                "action {} (was {})",
                SpanState::spell_action(&facts.action),
                SpanState::spell_action(&span.action)
            )
        } else {
            return;
        };
        let message = format!(
            "this event's {what} differs from the one {} had at line {}",
            span.describe(),
            span.first_line
        );
        self.spans[idx].mismatch_reported = true;
        out.push(self.violation(
            ViolationKind::SpanMismatch,
            line,
            facts.seq,
            Some(idx),
            message,
        ));
    }

    /// At the flow's end: parents that never appeared, and a flow without a root.
    pub(crate) fn report_missing_parents(&mut self, out: &mut Vec<StructureViolation>) {
        let mut orphans: Vec<(Id, Vec<usize>)> = std::mem::take(&mut self.waiting)
            .into_iter()
            .filter(|(parent_id, _)| self.find(parent_id).is_none())
            .collect();
        orphans.sort_by_key(|(_, children)| children[0]);
        for (parent_id, children) in orphans {
            let first = children[0];
            let others = match children.len() - 1 {
                0 => String::new(),
                1 => " (as does 1 other span)".to_owned(),
                n => format!(" (as do {n} other spans)"),
            };
            let message = format!(
                "{} names parent span {parent_id}, which never appears in the flow{others}",
                self.spans[first].describe()
            );
            let (line, seq) = (self.spans[first].first_line, self.spans[first].first_seq);
            out.push(self.violation(ViolationKind::OrphanParent, line, seq, Some(first), message));
        }
        if self.root.is_none() {
            out.push(self.violation(
                ViolationKind::MissingRoot,
                self.first_line,
                None,
                None,
                "the flow has no root span (a span whose events have a null parent_id)".to_owned(),
            ));
        }
    }
}
