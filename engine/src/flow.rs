//! The flow model: what a loaded, validated flow document holds (contract §1).
//!
//! The loader (`loader/`) builds these types and guarantees the graph rules of
//! contract §1.4, so the runner can index nodes by name without checking again.

use serde_json::{Map, Value};

use crate::event::Level;

/// A validated flow document.
#[derive(Debug, Clone)]
pub struct Flow {
    /// Where the flow was read from (a path, or a label such as `<string>`), for messages.
    pub origin: String,
    /// The flow's name: the root span's `node`.
    pub name: String,
    /// Free text for people.
    pub description: Option<String>,
    /// The initial state; the run's input is merged over it.
    pub state: Map<String, Value>,
    /// `settings.observability`, with defaults filled in.
    pub observability: ObservabilitySettings,
    /// `settings.limits`, with defaults filled in.
    pub limits: Limits,
    /// The nodes in declaration order.
    pub nodes: Vec<Node>,
    /// The edges in declaration order.
    pub edges: Vec<Edge>,
}

impl Flow {
    /// The fan-in edge of the fan-out to `branches` (contract §1.2); the loader guarantees one.
    pub fn fan_in(&self, branches: &[String]) -> Option<&Edge> {
        fan_in(&self.edges, branches)
    }
}

/// The fan-in edge of a fan-out: the edge whose `from` lists exactly `branches`, in any order.
pub(crate) fn fan_in<'e, E: std::borrow::Borrow<Edge>>(
    edges: &'e [E],
    branches: &[String],
) -> Option<&'e Edge> {
    edges.iter().map(|e| e.borrow()).find(|e| match &e.from {
        Endpoint::Many(from) => {
            from.len() == branches.len() && branches.iter().all(|b| from.contains(b))
        }
        _ => false,
    })
}

/// `settings.observability` (contract §1, §3.5).
#[derive(Debug, Clone, PartialEq)]
pub struct ObservabilitySettings {
    /// Emit events at all.
    pub enabled: bool,
    /// Events below this level are not emitted.
    pub level: Level,
    /// Capacity of the run's in-memory `EventStream`.
    pub buffer_size: usize,
    /// Handlers declared in the document.
    pub handlers: Vec<HandlerSpec>,
    /// Key fragments added to the default redaction list.
    pub redact: Vec<String>,
    /// Secret values redacted wherever they occur inside a string (contract §3.4).
    pub secrets: Vec<String>,
    /// Whether the strings under redacted keys of the starting state are secret values too.
    pub learn_secrets: bool,
    /// Which runs keep their non-error events (contract §3.8); `None` keeps every run's.
    pub sampling: Option<Sampling>,
    /// The tenant stamped on every event of the run (contract §3.8); it wins over the input's.
    pub tenant: Option<String>,
}

/// `settings.observability.sampling` (contract §3.8).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampling {
    /// The share of runs kept in full, 0.0 to 1.0.
    pub rate: f64,
    /// Spans lasting longer than this many milliseconds are kept in every run.
    pub slow_ms: Option<f64>,
}

impl Default for ObservabilitySettings {
    fn default() -> Self {
        Self {
            enabled: true,
            level: Level::Info,
            buffer_size: 1000,
            handlers: Vec::new(),
            redact: Vec::new(),
            secrets: Vec::new(),
            learn_secrets: false,
            sampling: None,
            tenant: None,
        }
    }
}

/// `settings.limits` (contract §6.12): the run limits. A flow may lower each, never raise it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Nested arrays/objects a value may hold (`{}` is 1, a scalar 0). At the default, events
    /// nest at most 103 levels, below the 127 a JSON reader must accept.
    pub value_depth: usize,
    /// The size of one value: one per JSON value, plus the characters of strings and keys.
    pub value_size: usize,
    /// The size of the state, counted like a value's.
    pub state_size: usize,
    /// Events one run may produce (emitted, or dropped by the level filter).
    pub events: u64,
    /// Loop iterations one template rendering may run, every `for` of it together.
    pub template_iterations: u64,
    /// Characters one text template may write.
    pub template_output: usize,
}

impl Limits {
    /// The defaults, which are also the ceilings (contract §6.12).
    pub const DEFAULT: Self = Self {
        value_depth: 100,
        value_size: 10_000_000,
        state_size: 10_000_000,
        events: 100_000,
        template_iterations: 100_000,
        template_output: 10_000_000,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A handler declared under `settings.observability.handlers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandlerSpec {
    /// One line per event on stderr.
    Console,
    /// JSON Lines appended to a sandbox-relative path; `{flow_id}` is replaced.
    File {
        /// The path template as written.
        path: String,
    },
    /// A callback registered through the API; declaring it only documents the expectation.
    Callback,
}

/// One node of the graph.
#[derive(Debug, Clone)]
pub struct Node {
    /// Unique name, `^[a-z][a-z0-9_]*$`.
    pub name: String,
    /// What the node does.
    pub body: NodeBody,
    /// `retry.max_attempts` (1 when absent).
    pub max_attempts: u32,
    /// Node to continue at when this one finally fails.
    pub on_error: Option<String>,
}

/// A node either uses one action or runs a sequence of steps.
#[derive(Debug, Clone)]
pub enum NodeBody {
    /// `uses` + `with` + `output` on the node itself.
    Action(ActionCall),
    /// `steps`: each runs in its own step span.
    Steps(Vec<ActionCall>),
}

/// A call of a builtin action: a node's own or one step.
#[derive(Debug, Clone)]
pub struct ActionCall {
    /// The action's name as written; unknown names fail at run time with `UnknownAction`.
    pub uses: String,
    /// Parameters; every string in it is a template.
    pub with: Map<String, Value>,
    /// State key for the result.
    pub output: Option<String>,
}

/// One edge.
#[derive(Debug, Clone)]
pub struct Edge {
    /// Source: a node, `__start__`, or the branches of a fan-in.
    pub from: Endpoint,
    /// Target: a node, `__end__`, or the branches of a fan-out.
    pub to: Endpoint,
    /// Condition template; `None` for the unconditional edge.
    pub when: Option<String>,
}

/// One end of an edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A node name, `__start__` or `__end__`.
    One(String),
    /// Fan-out targets or fan-in sources, in the order written.
    Many(Vec<String>),
}

/// The pseudo-node routing starts from.
pub const START: &str = "__start__";
/// The pseudo-node that ends a run.
pub const END: &str = "__end__";
