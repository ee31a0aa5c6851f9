//! What a fan-out branch sees of the run (contract §3.6): inside a branch, `obs.*` reads the events
//! up to the fork (the parallel span's entry included) and the branch's own events, never another
//! branch's, so the same flow gives the same result on every run whatever the threads do.

use std::collections::HashMap;
use std::sync::Arc;

use crate::event::Event;
use crate::observability::flow_log::SpanTable;
use crate::observability::stream::EventStream;

/// The buffer and the span table as they were when a parallel span opened.
#[derive(Debug)]
struct Fork {
    stream: EventStream,
    spans: SpanTable,
}

/// One branch: its parallel span (whose fork it sees) and the events the branch emitted since.
#[derive(Debug)]
struct Branch {
    parallel: Arc<str>,
    own: Vec<Event>,
}

/// The node a branch ran (its first event's); a branch that emitted nothing adds nothing.
fn node_of(branch: &Branch) -> &str {
    branch.own.first().map_or("", |event| &*event.node)
}

/// The open forks of a run and their branches, by node span id (empty unless the run forks).
#[derive(Debug, Default)]
pub(crate) struct Branches {
    forks: HashMap<Arc<str>, Fork>,
    branches: HashMap<Arc<str>, Branch>,
}

impl Branches {
    /// Keeps the buffer and the span table as they are at the entry of parallel span `parallel`.
    pub(crate) fn fork(&mut self, parallel: &Arc<str>, stream: &EventStream, spans: &SpanTable) {
        let fork = Fork {
            stream: stream.clone(),
            spans: spans.clone(),
        };
        self.forks.insert(parallel.clone(), fork);
    }

    /// Registers node span `node`, a branch of parallel span `parallel`, when that one forked.
    pub(crate) fn branch(&mut self, node: &Arc<str>, parallel: &Arc<str>) {
        if self.forks.contains_key(parallel) {
            let branch = Branch {
                parallel: parallel.clone(),
                own: Vec::new(),
            };
            self.branches.insert(node.clone(), branch);
        }
    }

    /// Forgets parallel span `parallel`'s fork and branches once its branches have ended, and
    /// returns the buffer the run keeps from then on: the fork's, with each branch's events added
    /// as if the branches had run one after another in the order of their node names (contract
    /// §3.5), and kept in that order: which events a full buffer drops, then and later, does not
    /// depend on threads (the buffer is read in `seq` order, `stream.rs`).
    pub(crate) fn join(&mut self, parallel: &Arc<str>) -> Option<EventStream> {
        let fork = self.forks.remove(parallel)?;
        let mut ended: Vec<Branch> = Vec::new();
        self.branches.retain(|_, branch| {
            if branch.parallel == *parallel {
                ended.push(Branch {
                    parallel: branch.parallel.clone(),
                    own: std::mem::take(&mut branch.own),
                });
                false
            } else {
                true
            }
        });
        ended.sort_by(|a, b| node_of(a).cmp(node_of(b)));
        let mut stream = fork.stream.clone();
        for event in ended.into_iter().flat_map(|branch| branch.own) {
            stream.push(event);
        }
        Some(stream)
    }

    /// The branch that span `id` (a branch's node span, or one of its steps: `parent`) is in.
    fn find<'a>(&self, id: &'a Arc<str>, parent: Option<&'a Arc<str>>) -> Option<&'a Arc<str>> {
        if self.branches.contains_key(id) {
            return Some(id);
        }
        parent.filter(|p| self.branches.contains_key(*p))
    }

    /// Keeps a copy of `event`, emitted in span `id` (child of `parent`), when it is a branch's.
    /// Any other event emitted while a fork is open belongs before it: an entry a sampled run held
    /// back and released by a branch (contract §3.8), which every branch then sees.
    pub(crate) fn record(&mut self, id: &Arc<str>, parent: Option<&Arc<str>>, event: &Event) {
        if self.forks.is_empty() {
            return;
        }
        match self.find(id, parent) {
            Some(key) => {
                if let Some(branch) = self.branches.get_mut(key) {
                    branch.own.push(event.clone());
                }
            }
            None => {
                #[allow(clippy::iter_over_hash_type)] // each fork gets the same event
                for fork in self.forks.values_mut() {
                    fork.spans.observe(event);
                    fork.stream.push(event.clone());
                }
            }
        }
    }

    /// The buffer and span table span `id` (child of `parent`) sees when it is in a branch: the fork's
    /// with the branch's own events added, as if the branch ran alone (its buffer keeps the last
    /// `buffer_size` of them and counts the rest as dropped).
    pub(crate) fn view(
        &self,
        id: &Arc<str>,
        parent: Option<&Arc<str>>,
    ) -> Option<(EventStream, SpanTable)> {
        let branch = &self.branches[self.find(id, parent)?];
        let fork = self.forks.get(&branch.parallel)?;
        let mut stream = fork.stream.clone();
        let mut spans = fork.spans.clone();
        for event in &branch.own {
            spans.observe(event);
            stream.push(event.clone());
        }
        Some((stream, spans))
    }
}
