//! Observability: the per-run context, the ring-buffered event stream, handlers and redaction (CONTRACT §3).

/// The per-run observability state: seq counter, handlers, buffer.
#[derive(Debug)]
pub struct ObservabilityContext {}

/// The in-memory ring buffer of a run's events.
#[derive(Debug)]
pub struct EventStream {}
