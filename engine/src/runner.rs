//! Running a flow: routing, retries, `on_error`, steps and fan-out (contract §1, §1.2).

pub(crate) mod file_order;
pub(crate) mod memory;
mod threads;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::actions::{self, ActionCtx, ActionError};
use crate::error::{LoadError, LoadErrorKind, RunError};
use crate::event::{Level, SpanKind};
use crate::flow::{ActionCall, END, Edge, Endpoint, Flow, Node, NodeBody, START};
use crate::limits;
use crate::observability::{
    Callback, ConsoleSink, ObservabilityContext, RunScope, Span, new_id, one,
};
use crate::template::{Scope, TemplateError, Templates, truthy};
use file_order::FileOrder;
use memory::Memory;

/// How to run a flow.
pub struct RunOptions {
    /// Merged over the flow's `state`.
    pub input: Map<String, Value>,
    /// Root of `file.*`, `obs.export` and file handler paths.
    pub sandbox: PathBuf,
    /// Callback handlers.
    pub callbacks: Vec<Callback>,
    /// Where `console` handlers write; standard error when `None`.
    pub console: Option<ConsoleSink>,
}

impl RunOptions {
    /// Options with an empty input, no callbacks and the given sandbox directory.
    pub fn new(sandbox: impl Into<PathBuf>) -> Self {
        Self {
            input: Map::new(),
            sandbox: sandbox.into(),
            callbacks: Vec::new(),
            console: None,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// The flow span ended with `exit`.
    Completed,
    /// The flow span ended with `error`.
    Failed,
}

/// The result of a run.
#[derive(Debug)]
pub struct RunOutcome {
    /// The run's id.
    pub flow_id: String,
    /// How it ended.
    pub status: RunStatus,
    /// The final state.
    pub state: Map<String, Value>,
    /// `(type, message)` of the failure, when it failed.
    pub error: Option<(String, String)>,
    /// The run's observability context (`get_flow_log`).
    pub observability: ObservabilityContext,
}

/// Node executions allowed per run (contract §1.2).
const LOOP_LIMIT: usize = 1000;

/// Refuses a sandbox that is no directory, as `run` does before anything else: an `Io` load error
/// naming the flow's file (contract §1.2). A command line asks first, before it creates its events
/// file, so that a refused run leaves nothing behind.
pub fn check_sandbox(flow: &Flow, sandbox: &Path) -> Result<(), LoadError> {
    if sandbox.is_dir() {
        return Ok(());
    }
    Err(LoadError {
        kind: LoadErrorKind::Io,
        message: format!("sandbox is not a directory: {}", sandbox.display()),
        file: flow.origin.clone(),
        line: None,
        column: None,
        key: None,
    })
}

/// Runs a loaded flow to its end. Run failures are reported in the outcome and as events;
/// the `Err` case is reserved for options that make the run impossible (unusable sandbox).
pub fn run(flow: &Flow, options: RunOptions) -> Result<RunOutcome, LoadError> {
    check_sandbox(flow, &options.sandbox)?;
    // The tenant and the sampling decision come from the input as given (contract §3.8).
    let scope = RunScope::of(flow, &options.input)?;
    // The run's state: `state` with the input merged over it (existing keys in place, new appended).
    let mut state = flow.state.clone();
    for (key, value) in options.input {
        state.insert(key, value);
    }
    // A starting state beyond the limits is not emitted (`input: {}`): the run fails at once
    // (contract §6.12).
    let limited = limits::check_map(&state, &flow.limits);
    let flow_id = new_id();
    let obs = ObservabilityContext::new(
        flow_id.clone(),
        &flow.observability,
        &options.sandbox,
        options.callbacks,
        options.console.as_ref(),
        limited.is_ok().then_some(&state),
        scope,
    );
    let runner = Runner::new(flow, &obs, options.sandbox);
    let root = Span::new(None, Arc::from(flow.name.as_str()), SpanKind::Flow, None);
    obs.open(&root, || match &limited {
        Ok(_) => one("input", Value::Object(state.clone())),
        Err(_) => one("input", Value::Object(Map::new())),
    });
    let result = match limited {
        Ok(_) => runner.drive(&mut state, &root),
        Err(err) => Err(err.into()),
    };
    let error = match result {
        Ok(()) => {
            obs.exit(&root, || Value::Object(state.clone()));
            None
        }
        Err(err) => {
            obs.fail(&root, err.to_json(), None);
            Some((err.kind, err.message))
        }
    };
    Ok(RunOutcome {
        flow_id: flow_id.to_string(),
        status: if error.is_none() {
            RunStatus::Completed
        } else {
            RunStatus::Failed
        },
        state,
        error,
        observability: obs,
    })
}

fn template_error(err: TemplateError) -> ActionError {
    ActionError::new("TemplateError", err.message)
}

/// Applies a result to the state: to `output` when given, else merged when it is an object,
/// else discarded (contract §1).
fn apply(state: &mut Map<String, Value>, output: Option<&str>, result: Value) {
    match (output, result) {
        (Some(key), result) => {
            state.insert(key.to_owned(), result);
        }
        (None, Value::Object(map)) => {
            for (key, value) in map {
                state.insert(key, value);
            }
        }
        (None, _) => {}
    }
}

/// Shared names of a node's spans, built once per run so events share them.
struct NodeInfo<'f> {
    node: &'f Node,
    name: Arc<str>,
    action: Option<Arc<str>>,
    /// `(node.step[i], uses)` for a steps node.
    steps: Vec<(Arc<str>, Arc<str>)>,
}

/// Where routing goes from a source: conditional edges in order, then the unconditional one.
struct Route<'f> {
    conditional: Vec<(&'f str, &'f Endpoint)>,
    unconditional: Option<&'f Endpoint>,
}

/// Why a fan-out did not merge.
enum FanOutError<'f> {
    /// A branch failed: the first failing one in list order.
    Branch(&'f Node, ActionError),
    /// Two branches wrote the same key.
    Conflict(RunError),
}

/// What runs next.
enum Next<'f> {
    /// Route from a node or `__start__`.
    RouteFrom(&'f str),
    /// Go to a known endpoint (a fan-in target).
    Go(&'f Endpoint),
    /// Run an `on_error` target with `error` in its templates.
    Recover(&'f str),
}

struct Runner<'f, 'o> {
    flow: &'f Flow,
    templates: Templates,
    obs: &'o ObservabilityContext,
    memory: Memory,
    files: FileOrder,
    sandbox: PathBuf,
    nodes: HashMap<&'f str, NodeInfo<'f>>,
    routes: HashMap<&'f str, Route<'f>>,
    /// Whether a node calls `obs.*`: then each fan-out keeps what its branches see (contract §3.6).
    reads_obs: bool,
}

impl<'f, 'o> Runner<'f, 'o> {
    fn new(flow: &'f Flow, obs: &'o ObservabilityContext, sandbox: PathBuf) -> Self {
        let nodes = flow
            .nodes
            .iter()
            .map(|node| {
                let (action, steps) = match &node.body {
                    NodeBody::Action(call) => (Some(Arc::from(call.uses.as_str())), Vec::new()),
                    NodeBody::Steps(steps) => (
                        None,
                        steps
                            .iter()
                            .enumerate()
                            .map(|(i, s)| {
                                (
                                    Arc::from(format!("{}.step[{i}]", node.name)),
                                    Arc::from(s.uses.as_str()),
                                )
                            })
                            .collect(),
                    ),
                };
                (
                    node.name.as_str(),
                    NodeInfo {
                        node,
                        name: Arc::from(node.name.as_str()),
                        action,
                        steps,
                    },
                )
            })
            .collect();
        let mut routes: HashMap<&str, Route<'_>> = HashMap::new();
        for edge in &flow.edges {
            if let Endpoint::One(from) = &edge.from {
                let route = routes.entry(from.as_str()).or_insert(Route {
                    conditional: Vec::new(),
                    unconditional: None,
                });
                match &edge.when {
                    Some(when) => route.conditional.push((when.as_str(), &edge.to)),
                    None => route.unconditional = route.unconditional.or(Some(&edge.to)),
                }
            }
        }
        let reads_obs = flow.nodes.iter().any(|node| match &node.body {
            NodeBody::Action(call) => call.uses.starts_with("obs."),
            NodeBody::Steps(steps) => steps.iter().any(|step| step.uses.starts_with("obs.")),
        });
        Self {
            flow,
            templates: Templates::new(&flow.limits),
            obs,
            memory: Memory::default(),
            files: FileOrder::default(),
            sandbox,
            nodes,
            routes,
            reads_obs,
        }
    }

    /// Runs from `__start__` to `__end__`; `Err` is the flow's failure.
    fn drive(&self, state: &mut Map<String, Value>, root: &Span) -> Result<(), RunError> {
        let mut executions = 0usize;
        let mut next = Next::RouteFrom(START);
        loop {
            let endpoint: &Endpoint = match next {
                Next::RouteFrom(from) => self.route(from, state)?,
                Next::Go(endpoint) => endpoint,
                Next::Recover(target) => {
                    executions = self.count(executions, 1)?;
                    // While the target runs, templates see `error` (= state._error).
                    let error = state.get("_error").cloned();
                    next = self.after_node(&self.nodes[target], state, root, error.as_ref())?;
                    continue;
                }
            };
            match endpoint {
                Endpoint::One(name) if name == END => return Ok(()),
                Endpoint::One(name) => {
                    let info = self.nodes.get(name.as_str()).ok_or_else(|| {
                        RunError::new("ActionError", format!("unknown node: {name}"))
                    })?;
                    executions = self.count(executions, 1)?;
                    next = self.after_node(info, state, root, None)?;
                }
                Endpoint::Many(branches) => {
                    executions = self.count(executions, branches.len())?;
                    match self.fan_out(branches, state, root) {
                        Ok(()) => {
                            let edge: &Edge = self.flow.fan_in(branches).ok_or_else(|| {
                                RunError::new("ActionError", "fan-out without fan-in edge")
                            })?;
                            next = Next::Go(&edge.to);
                        }
                        Err(FanOutError::Branch(node, err)) => match &node.on_error {
                            Some(target) => {
                                set_error(state, &node.name, &err);
                                next = Next::Recover(target);
                            }
                            None => return Err(err.into()),
                        },
                        Err(FanOutError::Conflict(err)) => return Err(err),
                    }
                }
            }
        }
    }

    /// Runs one node and decides what follows it (routing, or its `on_error` target).
    fn after_node(
        &self,
        info: &'f NodeInfo<'f>,
        state: &mut Map<String, Value>,
        parent: &Span,
        error: Option<&Value>,
    ) -> Result<Next<'f>, RunError> {
        match self.exec_node(info, state, parent, error) {
            Ok(()) => Ok(Next::RouteFrom(&info.node.name)),
            Err(err) => match &info.node.on_error {
                Some(target) => {
                    set_error(state, &info.node.name, &err);
                    Ok(Next::Recover(target))
                }
                None => Err(err.into()),
            },
        }
    }

    /// Counts node executions; before exceeding the limit the run fails with `LoopLimit` (and
    /// with `LimitExceeded` once the run has emitted its events, contract §6.12).
    fn count(&self, executions: usize, more: usize) -> Result<usize, RunError> {
        limits::check_events(self.obs.produced(), &self.flow.limits)?;
        if executions + more > LOOP_LIMIT {
            return Err(RunError::new(
                "LoopLimit",
                format!("loop limit of {LOOP_LIMIT} node executions reached"),
            ));
        }
        Ok(executions + more)
    }

    /// The endpoint after `from`: the first truthy conditional edge, else the unconditional one.
    /// A `when` that fails to render fails the run (no `on_error`).
    fn route(&self, from: &str, state: &Map<String, Value>) -> Result<&'f Endpoint, RunError> {
        let route = self
            .routes
            .get(from)
            .ok_or_else(|| RunError::new("ActionError", format!("no edge from {from}")))?;
        if !route.conditional.is_empty() {
            let scope = Scope::state_only(state);
            for (when, to) in &route.conditional {
                let value = self
                    .templates
                    .render_str(when, &scope)
                    .map_err(|err| RunError::new("TemplateError", err.message))?;
                if truthy(&value) {
                    return Ok(to);
                }
            }
        }
        route
            .unconditional
            .ok_or_else(|| RunError::new("ActionError", format!("no edge from {from}")))
    }

    fn ctx<'a>(&'a self, span: &'a Span, attempt: u32) -> ActionCtx<'a> {
        ActionCtx {
            obs: self.obs,
            span,
            memory: &self.memory,
            files: &self.files,
            sandbox: &self.sandbox,
            attempt,
            limits: &self.flow.limits,
        }
    }

    /// One node execution: its span, attempts, events and the application of its result.
    fn exec_node(
        &self,
        info: &NodeInfo<'f>,
        state: &mut Map<String, Value>,
        parent: &Span,
        error: Option<&Value>,
    ) -> Result<(), ActionError> {
        let node = info.node;
        let span = Span::new(
            Some(parent),
            info.name.clone(),
            SpanKind::Node,
            info.action.clone(),
        );
        let obs = self.obs;
        if parent.kind == SpanKind::Parallel {
            self.memory.branch(&span);
            self.files.branch(&span);
            if self.reads_obs {
                obs.branch(&span);
            }
        }
        let max = node.max_attempts.max(1);
        match &node.body {
            NodeBody::Action(call) => {
                let mut first = Some(self.render_with(call, state, 1, error));
                obs.open(&span, || match &first {
                    Some(Ok(with)) => one("input", Value::Object(with.clone())),
                    _ => Map::new(),
                });
                for attempt in 1..=max {
                    let params = match first.take() {
                        Some(rendered) => rendered,
                        None => self.render_with(call, state, attempt, error),
                    };
                    let outcome = params
                        .and_then(|p| actions::call(&call.uses, p, &self.ctx(&span, attempt)))
                        .and_then(|r| {
                            limits::check_result(
                                state,
                                call.output.as_deref(),
                                r,
                                &self.flow.limits,
                            )
                        });
                    match outcome {
                        Ok(result) => {
                            obs.exit(&span, || result.clone());
                            apply(state, call.output.as_deref(), result);
                            return Ok(());
                        }
                        Err(err) => self.attempt_failed(&span, attempt, max, &err)?,
                    }
                }
                unreachable_attempts()
            }
            NodeBody::Steps(steps) => {
                obs.open(&span, || one("input", Value::Null));
                // A retried steps node restarts from the state as it was at node start.
                let snapshot = (max > 1).then(|| state.clone());
                for attempt in 1..=max {
                    if attempt > 1 {
                        if let Some(snapshot) = &snapshot {
                            *state = snapshot.clone();
                        }
                    }
                    match self.run_steps(info, steps, state, &span, attempt, error) {
                        Ok(last) => {
                            obs.exit(&span, || last);
                            return Ok(());
                        }
                        Err(err) => self.attempt_failed(&span, attempt, max, &err)?,
                    }
                }
                unreachable_attempts()
            }
        }
    }

    /// Emits the warn `attempt N failed` (returns `Ok` to retry) or the final `node failed`
    /// (returns the error).
    fn attempt_failed(
        &self,
        span: &Span,
        attempt: u32,
        max: u32,
        err: &ActionError,
    ) -> Result<(), ActionError> {
        let over = limits::check_events(self.obs.produced(), &self.flow.limits).err();
        if attempt >= max || over.is_some() {
            let err = over.unwrap_or_else(|| err.clone());
            self.obs.fail(span, err.to_json(), Some(attempt));
            Err(err)
        } else {
            self.obs.retry(span, err.to_json(), attempt);
            Ok(())
        }
    }

    fn render_with(
        &self,
        call: &ActionCall,
        state: &Map<String, Value>,
        attempt: u32,
        error: Option<&Value>,
    ) -> Result<Map<String, Value>, ActionError> {
        let scope = Scope::node(state, attempt, error);
        let with = self
            .templates
            .render_map(&call.with, &scope)
            .map_err(template_error)?;
        limits::check_map(&with, &self.flow.limits)?;
        Ok(with)
    }

    /// One attempt of a steps node; returns the last step's result.
    fn run_steps(
        &self,
        info: &NodeInfo<'f>,
        steps: &[ActionCall],
        state: &mut Map<String, Value>,
        parent: &Span,
        attempt: u32,
        error: Option<&Value>,
    ) -> Result<Value, ActionError> {
        let obs = self.obs;
        let mut last = Value::Null;
        for (i, step) in steps.iter().enumerate() {
            limits::check_events(obs.produced(), &self.flow.limits)?;
            let (name, action) = &info.steps[i];
            let span = Span::new(
                Some(parent),
                name.clone(),
                SpanKind::Step,
                Some(action.clone()),
            );
            let rendered = self.render_with(step, state, attempt, error);
            obs.open(&span, || match &rendered {
                Ok(with) => one("input", Value::Object(with.clone())),
                Err(_) => Map::new(),
            });
            let outcome = rendered
                .and_then(|p| actions::call(&step.uses, p, &self.ctx(&span, attempt)))
                .and_then(|r| {
                    limits::check_result(state, step.output.as_deref(), r, &self.flow.limits)
                });
            match outcome {
                Ok(result) => {
                    obs.exit(&span, || result.clone());
                    // The last result is kept only for the node's exit event (contract §6:
                    // no copy when that event is filtered out).
                    if i + 1 == steps.len() && obs.wants(Level::Info) {
                        last = result.clone();
                    }
                    apply(state, step.output.as_deref(), result);
                }
                Err(err) => {
                    obs.fail(&span, err.to_json(), None);
                    return Err(err);
                }
            }
        }
        Ok(last)
    }

    /// A fan-out: the parallel span, one thread per branch on a deep copy of the state, and the
    /// merge of contributions in list order (contract §1.2).
    fn fan_out(
        &self,
        branches: &'f [String],
        state: &mut Map<String, Value>,
        root: &Span,
    ) -> Result<(), FanOutError<'f>> {
        let obs = self.obs;
        let span = Span::new(
            Some(root),
            Arc::from(format!("parallel({})", branches.join(","))),
            SpanKind::Parallel,
            None,
        );
        obs.open(&span, Map::new);
        if self.reads_obs {
            obs.fork(&span);
        }
        let infos: Vec<&NodeInfo<'f>> = branches.iter().map(|b| &self.nodes[b.as_str()]).collect();
        let shared: &Map<String, Value> = state;
        self.files.fork(branches);
        let jobs: Vec<_> = infos
            .iter()
            .enumerate()
            .map(|(place, info)| {
                let mut copy = shared.clone();
                let span = &span;
                move || {
                    let _ending = self.files.ending(place);
                    let result = self.exec_node(info, &mut copy, span, None);
                    (copy, result)
                }
            })
            .collect();
        let results: Vec<(Map<String, Value>, Result<(), ActionError>)> = threads::run_all(jobs);
        self.memory.join(branches);
        self.files.join();
        if self.reads_obs {
            obs.join(&span);
        }
        let fail = |error: Value| obs.fail(&span, error, None);
        if let Some((i, err)) = results
            .iter()
            .enumerate()
            .find_map(|(i, (_, r))| r.as_ref().err().map(|e| (i, e)))
        {
            fail(err.to_json());
            return Err(FanOutError::Branch(infos[i].node, err.clone()));
        }
        // Contributions: top-level keys each copy added or changed, in the copy's order.
        let mut owner: HashMap<&str, usize> = HashMap::new();
        let mut merged = Map::new();
        for (i, (copy, _)) in results.iter().enumerate() {
            for (key, value) in copy {
                if state.get(key) == Some(value) {
                    continue;
                }
                if let Some(&first) = owner.get(key.as_str()) {
                    let err = RunError::new(
                        "MergeConflict",
                        format!(
                            "branches '{}' and '{}' both wrote '{key}'",
                            branches[first], branches[i]
                        ),
                    );
                    fail(err.to_json());
                    return Err(FanOutError::Conflict(err));
                }
                owner.insert(key, i);
                merged.insert(key.clone(), value.clone());
            }
        }
        obs.exit(&span, || Value::Object(merged.clone()));
        apply(state, None, Value::Object(merged));
        Ok(())
    }
}

/// The attempt loops return from inside; `max_attempts >= 1` is guaranteed by the loader.
fn unreachable_attempts() -> Result<(), ActionError> {
    Err(ActionError::action("node made no attempt"))
}

/// `state._error = {node, type, message}` (contract §1, on_error).
fn set_error(state: &mut Map<String, Value>, node: &str, err: &ActionError) {
    let mut error = Map::with_capacity(3);
    error.insert("node".into(), Value::String(node.to_owned()));
    error.insert("type".into(), Value::String(err.kind.clone()));
    error.insert("message".into(), Value::String(err.message.clone()));
    state.insert("_error".into(), Value::Object(error));
}
