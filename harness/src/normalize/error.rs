//! Why a list of events cannot be normalized: the events lack what places them in a run's tree.

/// Why a list of events cannot be normalized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NormalizeError {
    /// The event at `line` (1-based position in the list) is not a JSON object.
    #[error("event {line}: not a JSON object")]
    NotAnObject {
        /// 1-based position of the event.
        line: usize,
    },
    /// A field that places the event in its run is absent.
    #[error("event {line}: field `{field}` is missing")]
    MissingField {
        /// 1-based position of the event.
        line: usize,
        /// The missing field.
        field: &'static str,
    },
    /// A field that places the event in its run has the wrong type.
    #[error("event {line}: field `{field}` must be {expected}")]
    WrongType {
        /// 1-based position of the event.
        line: usize,
        /// The offending field.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// Some spans of a flow are their own ancestors, so they have no place in the tree.
    #[error("flow {flow_id}: span {span_id} is on a parent_id cycle")]
    ParentCycle {
        /// The run.
        flow_id: String,
        /// A span on (or below) the cycle.
        span_id: String,
    },
    /// Spans nest deeper than the normalizer follows.
    #[error("flow {flow_id}: spans nest deeper than {limit} levels")]
    TooDeep {
        /// The run.
        flow_id: String,
        /// The nesting limit.
        limit: usize,
    },
}
