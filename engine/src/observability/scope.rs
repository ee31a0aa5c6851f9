//! Sampling and tenant scoping (contract §3.8): whether a run keeps its non-error events, decided
//! from the flow's name and its input alone, which spans a run that does not keeps anyway, and
//! the tenant stamped on every event of the run.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::{LoadError, LoadErrorKind};
use crate::event::{Event, EventType, Level};
use crate::flow::Flow;
use crate::pyrepr::{self, JsonStyle};

/// An *error event* (contract §3.8): an `error` event (a retry warning included) or any event at
/// level `error`. Sampling and the ring buffer never drop one.
pub(crate) fn is_error_event(event: &Event) -> bool {
    event.event_type == EventType::Error || event.level == Level::Error
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, 64 bits, over `bytes`.
pub(crate) fn fnv1a64(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(FNV_OFFSET, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
    })
}

/// The run's sampling point in [0, 1) (contract §3.8): FNV-1a 64 of the UTF-8 of the flow's
/// name, one 0 byte and the input as `json.stringify` writes it; its top 53 bits over 2^53.
pub(crate) fn sampling_point(name: &str, input: &Map<String, Value>) -> f64 {
    let mut text = String::new();
    let style = JsonStyle {
        sort_keys: true,
        spaced: false,
        html_safe: false,
    };
    pyrepr::write_json(&mut text, &Value::Object(input.clone()), style);
    let hash = fnv1a64(name.bytes().chain([0]).chain(text.bytes()));
    // Both halves are exact in a double: an integer below 2^53 and a power of two.
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

/// What a run's observability context knows of the run itself (contract §3.8).
#[derive(Debug, Clone, Default)]
pub(crate) struct RunScope {
    /// The tenant stamped on every event, if any.
    pub(crate) tenant: Option<Arc<str>>,
    /// Whether every event is kept (no sampling, or the run's point is below the rate).
    pub(crate) keeps_all: bool,
}

impl RunScope {
    /// The scope of a run of `flow` with `input`: the settings' tenant, else the input's `tenant`,
    /// which must then be a non-empty string (an `Io` load error of `<input>` otherwise).
    pub(crate) fn of(flow: &Flow, input: &Map<String, Value>) -> Result<Self, LoadError> {
        let settings = &flow.observability;
        let tenant = match (&settings.tenant, input.get("tenant")) {
            (Some(tenant), _) => Some(Arc::from(tenant.as_str())),
            (None, None) => None,
            (None, Some(Value::String(tenant))) if !tenant.is_empty() => {
                Some(Arc::from(tenant.as_str()))
            }
            (None, Some(_)) => {
                return Err(LoadError {
                    kind: LoadErrorKind::Io,
                    message: "input 'tenant' must be a non-empty string".into(),
                    file: "<input>".into(),
                    line: None,
                    column: None,
                    key: None,
                });
            }
        };
        let keeps_all = settings
            .sampling
            .is_none_or(|s| sampling_point(&flow.name, input) < s.rate);
        Ok(Self { tenant, keeps_all })
    }
}

/// One open span of a run that does not keep every event.
#[derive(Debug)]
struct Held {
    parent: Option<Arc<str>>,
    /// Kept: its events are emitted as they come.
    kept: bool,
    /// Its events so far, while it is not kept.
    events: Vec<Event>,
}

/// The open spans of a run that does not keep every event (contract §3.8): a span's events are
/// held until the span is kept (an error event in it or below it, or its end slower than
/// `slow_ms`), then emitted with its ancestors', outermost first; a span that ends not kept takes
/// its held events with it.
#[derive(Debug)]
pub(crate) struct Sampler {
    slow_ms: Option<f64>,
    spans: HashMap<Arc<str>, Held>,
}

impl Sampler {
    /// A sampler keeping spans slower than `slow_ms`, when given.
    pub(crate) fn new(slow_ms: Option<f64>) -> Self {
        Self {
            slow_ms,
            spans: HashMap::new(),
        }
    }

    /// Span `span` (child of `parent`) opened, whether its entry is emitted or not.
    pub(crate) fn begin(&mut self, span: &Arc<str>, parent: Option<&Arc<str>>) {
        let held = Held {
            parent: parent.cloned(),
            kept: false,
            events: Vec::new(),
        };
        self.spans.insert(span.clone(), held);
    }

    /// Span `span` is ending after `duration_ms`: a slow one is kept, into `out`.
    pub(crate) fn settle(&mut self, span: &Arc<str>, duration_ms: f64, out: &mut Vec<Event>) {
        if self.slow_ms.is_some_and(|slow| duration_ms > slow) {
            self.keep(span, out);
        }
    }

    /// Span `span` has ended: forgets it, and its held events when it was not kept.
    pub(crate) fn finish(&mut self, span: &Arc<str>) {
        self.spans.remove(span);
    }

    /// Takes `event` in: an error event keeps its span; an event of a kept span (or of no span
    /// known here) goes to `out`, in order, after what keeping released; any other is held.
    pub(crate) fn admit(&mut self, event: Event, out: &mut Vec<Event>) {
        if is_error_event(&event) {
            self.keep(&event.span_id.clone(), out);
        }
        match self.spans.get_mut(&event.span_id) {
            Some(held) if !held.kept => held.events.push(event),
            _ => out.push(event),
        }
    }

    /// Keeps span `span` and its ancestors, releasing their held events into `out`, outermost
    /// span first, each span's in the order they came.
    fn keep(&mut self, span: &Arc<str>, out: &mut Vec<Event>) {
        let mut chain = Vec::new();
        let mut next = Some(span.clone());
        while let Some(id) = next {
            match self.spans.get(&id) {
                Some(held) if !held.kept => {
                    next = held.parent.clone();
                    chain.push(id);
                }
                _ => break,
            }
        }
        for id in chain.iter().rev() {
            if let Some(held) = self.spans.get_mut(id) {
                held.kept = true;
                out.append(&mut held.events);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fnv1a64_matches_the_published_vectors() {
        assert_eq!(fnv1a64(*b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(*b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(*b"foobar"), 0x8594_4171_f739_67e8);
    }

    fn event(seq: u64, span: &str, event_type: EventType) -> Event {
        Event {
            flow_id: Arc::from("f"),
            span_id: Arc::from(span),
            parent_id: None,
            node: Arc::from("n"),
            kind: crate::event::SpanKind::Node,
            action: None,
            level: Level::Info,
            timestamp: 0.0,
            seq,
            event_type,
            message: None,
            data: Map::new(),
            metrics: Map::new(),
            tenant: None,
        }
    }

    fn seqs(out: &[Event]) -> Vec<u64> {
        out.iter().map(|e| e.seq).collect()
    }

    #[test]
    fn the_sampler_holds_a_span_until_it_is_kept_and_releases_its_ancestors_first() {
        let (root, quick, slow): (Arc<str>, Arc<str>, Arc<str>) =
            (Arc::from("root"), Arc::from("quick"), Arc::from("slow"));
        let mut sampler = Sampler::new(Some(100.0));
        let mut out = Vec::new();
        sampler.begin(&root, None);
        sampler.admit(event(0, "root", EventType::Entry), &mut out);
        sampler.begin(&quick, Some(&root));
        sampler.admit(event(1, "quick", EventType::Entry), &mut out);
        sampler.settle(&quick, 5.0, &mut out);
        sampler.finish(&quick);
        assert!(out.is_empty());
        sampler.begin(&slow, Some(&root));
        sampler.admit(event(2, "slow", EventType::Entry), &mut out);
        sampler.settle(&slow, 500.0, &mut out);
        assert_eq!(seqs(&out), vec![0, 2]);
        sampler.admit(event(3, "slow", EventType::Exit), &mut out);
        sampler.admit(event(4, "root", EventType::Exit), &mut out);
        assert_eq!(seqs(&out), vec![0, 2, 3, 4]);
    }

    #[test]
    fn an_error_event_keeps_its_span_at_once() {
        let root: Arc<str> = Arc::from("root");
        let mut sampler = Sampler::new(None);
        let mut out = Vec::new();
        sampler.begin(&root, None);
        sampler.admit(event(0, "root", EventType::Entry), &mut out);
        sampler.admit(event(1, "root", EventType::Error), &mut out);
        assert_eq!(seqs(&out), vec![0, 1]);
    }

    #[test]
    fn the_point_hashes_the_name_a_zero_byte_and_the_sorted_compact_input() {
        let Value::Object(input) = json!({"b": 1.0, "a": "é"}) else {
            unreachable!()
        };
        let text = "f\u{0}{\"a\":\"é\",\"b\":1.0}";
        let expected = (fnv1a64(text.bytes()) >> 11) as f64 / 9_007_199_254_740_992.0;
        assert_eq!(sampling_point("f", &input), expected);
        assert!((0.0..1.0).contains(&expected));
    }
}
