//! Run ids and their canonical labels (contract §4 step 3: ids are replaced by labels in canonical
//! order, `flow#1`, `span#1`…).
//!
//! Ids are random per run, so any text that carries one (a nested flow log, an `obs.query`
//! result, a message or a path built from `{{ state.flow_log.flow_id }}`) must have it replaced
//! too, or two identical runs would differ. Every known id is replaced wherever it occurs inside a
//! string, not only when it is the whole string; unknown ids are left alone.

use std::borrow::Cow;
use std::collections::HashMap;

/// Length of a hyphenated UUID, the spelling of every id (contract §3.1).
const UUID_LEN: usize = 36;

/// Byte offsets of the hyphens in a hyphenated UUID.
const HYPHENS: [usize; 4] = [8, 13, 18, 23];

/// The labels given to the ids of a log, in the order they were assigned.
#[derive(Debug, Default)]
pub(crate) struct Labels {
    by_id: HashMap<String, String>,
    flows: usize,
    spans: usize,
    missing: usize,
}

impl Labels {
    /// Labels `id` as the next flow (`flow#N`) and returns the label.
    pub(crate) fn add_flow(&mut self, id: &str) -> String {
        self.flows += 1;
        self.insert(id, format!("flow#{}", self.flows))
    }

    /// Labels `id` as the next flow unless it already has a label: a run's own id, known from its
    /// engine rather than from its events.
    pub(crate) fn add_run(&mut self, id: &str) {
        if !self.by_id.contains_key(id) {
            self.add_flow(id);
        }
    }

    /// Labels `id` as the next span (`span#N`) and returns the label.
    pub(crate) fn add_span(&mut self, id: &str) -> String {
        self.spans += 1;
        self.insert(id, format!("span#{}", self.spans))
    }

    /// The label of a parent id that names no span of the log (`missing#N`), given on first use.
    pub(crate) fn missing(&mut self, id: &str) -> String {
        if let Some(label) = self.by_id.get(id) {
            return label.clone();
        }
        self.missing += 1;
        self.insert(id, format!("missing#{}", self.missing))
    }

    /// Restarts span numbering (each flow's spans count from `span#1`).
    pub(crate) fn restart_spans(&mut self) {
        self.spans = 0;
    }

    fn insert(&mut self, id: &str, label: String) -> String {
        self.by_id.entry(id.to_owned()).or_insert(label).clone()
    }

    /// `text` with every known id replaced by its label; borrowed when nothing changes.
    pub(crate) fn relabel<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if text.len() < UUID_LEN || self.by_id.is_empty() {
            return Cow::Borrowed(text);
        }
        let bytes = text.as_bytes();
        let mut out: Option<String> = None;
        let mut copied = 0;
        let mut i = 0;
        while i + UUID_LEN <= bytes.len() {
            let window = &bytes[i..i + UUID_LEN];
            let looks_like_uuid = HYPHENS.iter().all(|&h| window[h] == b'-');
            if looks_like_uuid && text.is_char_boundary(i) && text.is_char_boundary(i + UUID_LEN) {
                if let Some(label) = self.by_id.get(&text[i..i + UUID_LEN]) {
                    let buffer = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    buffer.push_str(&text[copied..i]);
                    buffer.push_str(label);
                    i += UUID_LEN;
                    copied = i;
                    continue;
                }
            }
            i += 1;
        }
        match out {
            Some(mut buffer) => {
                buffer.push_str(&text[copied..]);
                Cow::Owned(buffer)
            }
            None => Cow::Borrowed(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0000000a-0000-4000-8000-000000000000";
    const B: &str = "0000000a-0000-4000-8000-000000000001";
    const UNKNOWN: &str = "0000000f-0000-4000-8000-000000000009";

    #[test]
    fn labels_count_up_per_kind() {
        let mut labels = Labels::default();
        assert_eq!(labels.add_flow(A), "flow#1");
        assert_eq!(labels.add_span(B), "span#1");
        assert_eq!(labels.missing(UNKNOWN), "missing#1");
        assert_eq!(labels.missing(UNKNOWN), "missing#1");
    }

    #[test]
    fn known_ids_are_replaced_anywhere_in_text() {
        let mut labels = Labels::default();
        labels.add_flow(A);
        labels.add_span(B);
        assert_eq!(labels.relabel(A), "flow#1");
        assert_eq!(
            labels.relabel(&format!("logs/{A}.jsonl and {B}")),
            "logs/flow#1.jsonl and span#1"
        );
        assert_eq!(labels.relabel(&format!("é{A}é")), "éflow#1é");
    }

    #[test]
    fn unknown_ids_and_short_text_are_left_alone() {
        let mut labels = Labels::default();
        labels.add_flow(A);
        assert!(matches!(labels.relabel(UNKNOWN), Cow::Borrowed(_)));
        assert!(matches!(labels.relabel("short"), Cow::Borrowed(_)));
    }
}
