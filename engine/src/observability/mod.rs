//! Observability: the per-run context, the ring-buffered event stream, handlers and redaction
//! (contract §3, §3.5).
//!
//! Emit path (brief, Observability): build the event → drop it if disabled or below the level
//! (no seq) → redact `data`/`metrics` in place → under one lock: assign `seq`, record it in the
//! span table, hand it to the handlers in order (declared, then API callbacks), move it into the
//! ring buffer. Holding the lock across the handlers keeps every handler's view in `seq` order.

mod branch;
mod flow_log;
mod handlers;
mod redact;
mod scope;
mod stream;

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

pub use self::handlers::{Callback, ConsoleSink};
pub use self::stream::EventStream;
use crate::event::{Event, EventType, Level, SpanKind};
use crate::flow::ObservabilitySettings;
use branch::Branches;
use flow_log::SpanTable;
use handlers::Handler;
pub(crate) use redact::MIN_SECRET_CHARS;
use redact::Redactor;
pub(crate) use scope::RunScope;
use scope::Sampler;

/// A new lower-case hyphenated UUID v4, shared cheaply between events.
pub(crate) fn new_id() -> Arc<str> {
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    Arc::from(&*uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf))
}

/// One open span: what every event in it shares, and when it started.
#[derive(Debug, Clone)]
pub(crate) struct Span {
    pub(crate) id: Arc<str>,
    pub(crate) parent: Option<Arc<str>>,
    pub(crate) node: Arc<str>,
    pub(crate) kind: SpanKind,
    pub(crate) action: Option<Arc<str>>,
    pub(crate) started: Instant,
}

impl Span {
    /// A new span starting now.
    pub(crate) fn new(
        parent: Option<&Span>,
        node: Arc<str>,
        kind: SpanKind,
        action: Option<Arc<str>>,
    ) -> Self {
        Self {
            id: new_id(),
            parent: parent.map(|p| p.id.clone()),
            node,
            kind,
            action,
            started: Instant::now(),
        }
    }

    /// Milliseconds since the span's entry (a float, contract §3.2).
    pub(crate) fn elapsed_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }
}

struct Shared {
    next_seq: u64,
    stream: EventStream,
    spans: SpanTable,
    handlers: Vec<Handler>,
    /// What fan-out branches see (contract §3.6).
    branches: Branches,
    /// The held spans of a run that does not keep every event (contract §3.8).
    sampler: Option<Sampler>,
    /// The last emitted event's timestamp: a held event released later never goes below it.
    last_timestamp: f64,
}

impl Shared {
    /// Emits `event`: its timestamp (never below the last one), its `seq`, the span table, the
    /// branches, the handlers in order and the buffer.
    fn publish(&mut self, mut event: Event) {
        event.timestamp = event.timestamp.max(self.last_timestamp);
        self.last_timestamp = event.timestamp;
        event.seq = self.next_seq;
        self.next_seq += 1;
        self.spans.observe(&event);
        self.branches
            .record(&event.span_id, event.parent_id.as_ref(), &event);
        for handler in self.handlers.iter_mut() {
            handler.handle(&event);
        }
        self.stream.push(event);
    }
}

struct Inner {
    flow_id: Arc<str>,
    enabled: bool,
    level: Level,
    redactor: Redactor,
    /// The run's tenant, stamped on every event (contract §3.8).
    tenant: Option<Arc<str>>,
    /// Whether the run holds events back (it does not keep every event, contract §3.8).
    sampling: bool,
    shared: Mutex<Shared>,
    /// Events produced, emitted or not (the event limit counts them).
    produced: AtomicU64,
}

/// The per-run observability state: seq counter, handlers, buffer, span table.
/// Cloning is cheap and shares the same run.
#[derive(Clone)]
pub struct ObservabilityContext {
    inner: Arc<Inner>,
}

impl fmt::Debug for ObservabilityContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObservabilityContext")
            .field("flow_id", &self.inner.flow_id)
            .finish_non_exhaustive()
    }
}

impl ObservabilityContext {
    /// A context for a new run with id `flow_id`; `start` is the starting state when it is
    /// within the limits (`learn_secrets` learns from it, contract §3.4); `scope` its tenant and
    /// sampling decision (contract §3.8).
    pub(crate) fn new(
        flow_id: Arc<str>,
        settings: &ObservabilitySettings,
        sandbox: &Path,
        callbacks: Vec<Callback>,
        console: Option<&ConsoleSink>,
        start: Option<&Map<String, Value>>,
        scope: RunScope,
    ) -> Self {
        let mut handlers = if settings.enabled {
            Handler::declared(&settings.handlers, sandbox, &flow_id, console)
        } else {
            Vec::new()
        };
        handlers.extend(callbacks.into_iter().map(Handler::Callback));
        let mut redactor = Redactor::new(&settings.redact, &settings.secrets);
        if let (true, Some(start)) = (settings.learn_secrets, start) {
            redactor.learn(start);
        }
        let sampler = match (scope.keeps_all, settings.sampling) {
            (false, Some(sampling)) => Some(Sampler::new(sampling.slow_ms)),
            _ => None,
        };
        Self {
            inner: Arc::new(Inner {
                flow_id,
                enabled: settings.enabled,
                level: settings.level,
                redactor,
                tenant: scope.tenant,
                sampling: sampler.is_some(),
                produced: AtomicU64::new(0),
                shared: Mutex::new(Shared {
                    next_seq: 0,
                    stream: EventStream::new(settings.buffer_size),
                    spans: SpanTable::default(),
                    handlers,
                    branches: Branches::default(),
                    sampler,
                    last_timestamp: 0.0,
                }),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.inner
            .shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The run's id.
    pub fn flow_id(&self) -> &str {
        &self.inner.flow_id
    }

    /// The run's tenant, if it has one (contract §3.8).
    pub fn tenant(&self) -> Option<&str> {
        self.inner.tenant.as_deref()
    }

    /// How many events the run has produced so far, emitted or dropped by the level filter
    /// (contract §6.12: the event limit).
    pub(crate) fn produced(&self) -> u64 {
        self.inner.produced.load(Ordering::Relaxed)
    }

    /// Counts one event the run produces and says whether it is emitted (`wants`).
    pub(crate) fn produce(&self, level: Level) -> bool {
        self.inner.produced.fetch_add(1, Ordering::Relaxed);
        self.wants(level)
    }

    /// Whether an event at `level` would be emitted (callers skip building payloads otherwise).
    pub(crate) fn wants(&self, level: Level) -> bool {
        self.inner.enabled && level >= self.inner.level
    }

    /// Emits one event in `span`.
    pub(crate) fn emit(
        &self,
        span: &Span,
        level: Level,
        event_type: EventType,
        message: Option<String>,
        mut data: Map<String, Value>,
        mut metrics: Map<String, Value>,
    ) {
        if !self.wants(level) {
            return;
        }
        let mut message = message;
        self.inner.redactor.redact_message(&mut message);
        self.inner.redactor.redact_data(&mut data);
        self.inner.redactor.redact_metrics(&mut metrics);
        let mut event = Event {
            flow_id: self.inner.flow_id.clone(),
            span_id: span.id.clone(),
            parent_id: span.parent.clone(),
            node: span.node.clone(),
            kind: span.kind,
            action: span.action.clone(),
            level,
            timestamp: 0.0,
            seq: 0,
            event_type,
            message,
            data,
            metrics,
            tenant: self.inner.tenant.clone(),
        };
        let mut shared = self.lock();
        // Taken under the lock with the seq, so timestamps follow seq (contract §6); a held
        // event keeps the time it was produced (contract §3.8).
        event.timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        match shared.sampler.as_mut() {
            None => shared.publish(event),
            Some(sampler) => {
                let mut out = Vec::new();
                sampler.admit(event, &mut out);
                for event in out {
                    shared.publish(event);
                }
            }
        }
    }

    /// Runs `f` on the sampler of a run that holds events back, and emits what it releases.
    fn with_sampler(&self, f: impl FnOnce(&mut Sampler, &mut Vec<Event>)) {
        if !self.inner.sampling {
            return;
        }
        let mut shared = self.lock();
        let mut out = Vec::new();
        if let Some(sampler) = shared.sampler.as_mut() {
            f(sampler, &mut out);
        }
        for event in out {
            shared.publish(event);
        }
    }

    // ---- span lifecycle (contract §6): every entry/exit/error message is written once ----

    /// A span's `entry` event (`{kind} started`); `data` is built only when the event is wanted.
    pub(crate) fn open(&self, span: &Span, data: impl FnOnce() -> Map<String, Value>) {
        self.with_sampler(|sampler, _| sampler.begin(&span.id, span.parent.as_ref()));
        let level = span.kind.entry_level();
        if self.produce(level) {
            let message = lifecycle_messages(span.kind).started;
            self.emit(
                span,
                level,
                EventType::Entry,
                Some(message.to_owned()),
                data(),
                Map::new(),
            );
        }
    }

    /// A span's `exit` event (`{kind} completed`, `{output}`), with its duration; a span slower
    /// than `slow_ms` is kept (contract §3.8).
    pub(crate) fn exit(&self, span: &Span, output: impl FnOnce() -> Value) {
        let level = span.kind.entry_level();
        let elapsed = span.elapsed_ms();
        self.with_sampler(|sampler, out| sampler.settle(&span.id, elapsed, out));
        if self.produce(level) {
            let message = lifecycle_messages(span.kind).completed;
            self.emit(
                span,
                level,
                EventType::Exit,
                Some(message.to_owned()),
                one("output", output()),
                one("duration_ms", Value::from(elapsed)),
            );
        }
        self.with_sampler(|sampler, _| sampler.finish(&span.id));
    }

    /// A span's final `error` event (`{kind} failed`, level error): `{error}`, plus `attempt`
    /// for a node.
    pub(crate) fn fail(&self, span: &Span, error: Value, attempt: Option<u32>) {
        if self.produce(Level::Error) {
            let mut data = one("error", error);
            if let Some(attempt) = attempt {
                data.insert("attempt".into(), Value::from(attempt));
            }
            let message = lifecycle_messages(span.kind).failed;
            self.emit(
                span,
                Level::Error,
                EventType::Error,
                Some(message.to_owned()),
                data,
                duration(span),
            );
        }
        self.with_sampler(|sampler, _| sampler.finish(&span.id));
    }

    /// The warn `error` event of a node attempt that will be retried: `attempt N failed`.
    pub(crate) fn retry(&self, span: &Span, error: Value, attempt: u32) {
        if self.produce(Level::Warn) {
            let mut data = one("error", error);
            data.insert("attempt".into(), Value::from(attempt));
            self.emit(
                span,
                Level::Warn,
                EventType::Error,
                Some(format!("attempt {attempt} failed")),
                data,
                duration(span),
            );
        }
    }

    /// The flow log so far (contract §3.6).
    pub fn flow_log(&self) -> Value {
        let shared = self.lock();
        self.build_flow_log(&shared.stream, &shared.spans)
    }

    fn build_flow_log(&self, stream: &EventStream, spans: &SpanTable) -> Value {
        let tenant = self.inner.tenant.as_deref();
        flow_log::build(&self.inner.flow_id, tenant, stream, spans)
    }

    /// The flow log as an action in `span` sees it: inside a fan-out branch, the run up to the fork
    /// and the branch's own events (contract §3.6).
    pub(crate) fn flow_log_in(&self, span: &Span) -> Value {
        let shared = self.lock();
        match shared.branches.view(&span.id, span.parent.as_ref()) {
            Some((stream, spans)) => self.build_flow_log(&stream, &spans),
            None => self.build_flow_log(&shared.stream, &shared.spans),
        }
    }

    /// Keeps what the branches of parallel span `parallel`, just opened, will see (contract §3.6).
    pub(crate) fn fork(&self, parallel: &Span) {
        let mut shared = self.lock();
        let Shared {
            stream,
            spans,
            branches,
            ..
        } = &mut *shared;
        branches.fork(&parallel.id, stream, spans);
    }

    /// Registers node span `node` as a fan-out branch, before its first event.
    pub(crate) fn branch(&self, node: &Span) {
        if let Some(parallel) = &node.parent {
            self.lock().branches.branch(&node.id, parallel);
        }
    }

    /// Forgets what the branches of parallel span `parallel` saw, once they have ended, and keeps
    /// the buffer their events leave when replayed in node-name order (contract §3.5).
    pub(crate) fn join(&self, parallel: &Span) {
        let mut shared = self.lock();
        if let Some(stream) = shared.branches.join(&parallel.id) {
            shared.stream = stream;
        }
    }

    /// The flow log of run `flow_id`, if that is this context's run and `tenant` its tenant
    /// (`None` for a run without one): no tenant reads another's run (contract §3.8).
    pub fn get_flow_log(&self, flow_id: &str, tenant: Option<&str>) -> Option<Value> {
        (flow_id == &*self.inner.flow_id && tenant == self.tenant()).then(|| self.flow_log())
    }

    /// A copy of the buffered events, in `seq` order.
    pub fn events(&self) -> Vec<Event> {
        self.lock().stream.iter().cloned().collect()
    }

    /// How many events the ring buffer overwrote.
    pub fn dropped(&self) -> u64 {
        self.lock().stream.dropped()
    }

    /// Runs `f` over the buffered events as an action in `span` sees them (contract §3.6: a fan-out
    /// branch sees the run up to the fork and its own events).
    pub(crate) fn with_events_in<R>(
        &self,
        span: &Span,
        f: impl FnOnce(&mut dyn Iterator<Item = &Event>) -> R,
    ) -> R {
        let shared = self.lock();
        match shared.branches.view(&span.id, span.parent.as_ref()) {
            Some((stream, _)) => f(&mut stream.iter()),
            None => f(&mut shared.stream.iter()),
        }
    }
}

/// The lifecycle messages of one span kind (contract §3.2).
pub(crate) struct LifecycleMessages {
    pub(crate) started: &'static str,
    pub(crate) completed: &'static str,
    pub(crate) failed: &'static str,
}

/// The one table of lifecycle messages.
pub(crate) fn lifecycle_messages(kind: SpanKind) -> &'static LifecycleMessages {
    const FLOW: LifecycleMessages = LifecycleMessages {
        started: "flow started",
        completed: "flow completed",
        failed: "flow failed",
    };
    const NODE: LifecycleMessages = LifecycleMessages {
        started: "node started",
        completed: "node completed",
        failed: "node failed",
    };
    const STEP: LifecycleMessages = LifecycleMessages {
        started: "step started",
        completed: "step completed",
        failed: "step failed",
    };
    const PARALLEL: LifecycleMessages = LifecycleMessages {
        started: "parallel started",
        completed: "parallel completed",
        failed: "parallel failed",
    };
    match kind {
        SpanKind::Flow => &FLOW,
        SpanKind::Node => &NODE,
        SpanKind::Step => &STEP,
        SpanKind::Parallel => &PARALLEL,
    }
}

/// A one-entry map (event `data`).
pub(crate) fn one(key: &str, value: Value) -> Map<String, Value> {
    let mut map = Map::with_capacity(1);
    map.insert(key.to_owned(), value);
    map
}

/// `{duration_ms: D}` for a span's exit or error event.
fn duration(span: &Span) -> Map<String, Value> {
    one("duration_ms", Value::from(span.elapsed_ms()))
}
