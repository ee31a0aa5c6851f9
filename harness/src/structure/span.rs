//! What is known about one span of a run in progress.

use yamlflow::{Level, SpanKind};

use super::facts::{Action, EventFacts, Id, Name, Parent};
use super::levels::entry_level;

/// One span of a flow, from its first event on.
#[derive(Debug)]
pub(crate) struct SpanState {
    pub(crate) id: Id,
    pub(crate) parent: Parent,
    pub(crate) kind: Option<SpanKind>,
    pub(crate) node: Option<Name>,
    pub(crate) action: Action,
    pub(crate) first_line: u64,
    pub(crate) first_seq: Option<u64>,
    pub(crate) entry_line: Option<u64>,
    pub(crate) entry_seq: Option<u64>,
    pub(crate) entry_ts: Option<f64>,
    pub(crate) end_line: Option<u64>,
    pub(crate) last_ts: Option<(f64, u64)>,
    /// The latest end timestamp of a child: (timestamp, child index).
    pub(crate) latest_child_end: Option<(f64, usize)>,
    /// Already reported as outside its parent: one report per span is enough.
    pub(crate) outside_reported: bool,
    pub(crate) before_entry_reported: bool,
    pub(crate) mismatch_reported: bool,
}

impl SpanState {
    /// A span first seen in the event `facts` at `line`.
    pub(crate) fn new(id: Id, facts: &EventFacts, line: u64) -> Self {
        Self {
            id,
            parent: facts.parent.clone(),
            kind: facts.kind,
            node: facts.node.clone(),
            action: facts.action.clone(),
            first_line: line,
            first_seq: facts.seq,
            entry_line: None,
            entry_seq: None,
            entry_ts: None,
            end_line: None,
            last_ts: None,
            latest_child_end: None,
            outside_reported: false,
            before_entry_reported: false,
            mismatch_reported: false,
        }
    }

    /// `node span 'load'`, or the id when the span has no name, for messages.
    pub(crate) fn describe(&self) -> String {
        let kind = self.kind.map_or("span", SpanKind::as_str);
        match &self.node {
            Some(node) => format!("{kind} span {}", quote(node.as_str())),
            None => format!("{kind} span {}", self.id),
        }
    }

    /// The action as messages show it: `"text.render"`, or `null`.
    pub(crate) fn spell_action(action: &Action) -> String {
        match action {
            Action::Name(name) => quote(name.as_str()),
            Action::Null | Action::Unknown => "null".to_owned(),
        }
    }

    pub(crate) fn entered(&self) -> bool {
        self.entry_line.is_some()
    }

    pub(crate) fn ended(&self) -> bool {
        self.end_line.is_some()
    }

    pub(crate) fn is_open(&self) -> bool {
        self.entered() && !self.ended()
    }

    /// The level of this span's entry, `info` when its kind is unknown.
    pub(crate) fn entry_level(&self) -> Level {
        self.kind.map_or(Level::Info, entry_level)
    }
}

/// A name from a log, quoted for a message: `'load'`, or JSON-quoted when it holds a quote
/// itself (`"it's"`), so the quotes in a message are never doubled or ambiguous.
pub(crate) fn quote(name: &str) -> String {
    if name.contains('\'') {
        serde_json::to_string(name).unwrap_or_default()
    } else {
        format!("'{name}'")
    }
}
