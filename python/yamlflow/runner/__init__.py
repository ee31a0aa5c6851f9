"""Running a flow: routing, retries, ``on_error``, steps and fan-out (contract §1, §1.2).
Mirrors ``engine/src/runner.rs``.

The state is one dict, changed in place: results overwrite top-level keys (in place) or append them, and no
nested value is ever mutated, so shallow copies suffice to restart a retried steps node. Fan-out branches
run on real threads (``threads.py``, mirroring ``engine/src/runner/threads.rs``), each on a deep copy of the
state. Failures are raised (Rust: the ``Err`` of a ``Result``): a node's ActionError, which ``after_node``
turns into the RunError that ends the run when no ``on_error`` catches it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

from .. import actions, limits
from ..actions import ActionCtx, ActionError
from ..error import LoadError, RunError
from ..event import Level, SpanKind
from ..flow import END, START, ActionCall, Endpoint, Flow, Node
from ..observability import Callback, ConsoleSink, ObservabilityContext, Span, new_id, one
from ..observability.scope import RunScope
from ..template import TemplateError, render_str, render_value, truthy
from ..values import copy_json, json_equal
from . import threads
from .file_order import FileOrder
from .memory import Memory


@dataclass
class RunOptions:
    """How to run a flow."""

    # Merged over the flow's `state`.
    input: dict[str, Any] = field(default_factory=dict)
    # Root of `file.*`, `obs.export` and file handler paths.
    sandbox: str | Path = "."
    # Callback handlers.
    callbacks: list[Callback] = field(default_factory=list)
    # Where `console` handlers write; standard error when None.
    console: ConsoleSink | None = None


class RunStatus(StrEnum):
    """How a run ended (equal to the strings ``completed`` and ``failed``)."""

    # The flow span ended with `exit`.
    COMPLETED = "completed"
    # The flow span ended with `error`.
    FAILED = "failed"


@dataclass
class RunOutcome:
    """The result of a run."""

    # The run's id.
    flow_id: str
    # How it ended.
    status: RunStatus
    # The final state.
    state: dict[str, Any]
    # `(type, message)` of the failure, when it failed.
    error: tuple[str, str] | None
    # The run's observability context (`get_flow_log`).
    observability: ObservabilityContext


# Node executions allowed per run (contract §1.2).
LOOP_LIMIT = 1000


def check_sandbox(flow: Flow, sandbox: str | Path) -> None:
    """Refuses a sandbox that is no directory, as ``run`` does before anything else: an ``Io`` load error
    naming the flow's file (contract §1.2). A command line asks first, before it creates its events file, so
    that a refused run leaves nothing behind."""
    if not Path(sandbox).is_dir():
        raise LoadError("Io", f"sandbox is not a directory: {sandbox}", flow.origin)


def run(flow: Flow, options: RunOptions) -> RunOutcome:
    """Runs a loaded flow to its end. Run failures are reported in the outcome and as events; a LoadError
    is raised only for options that make the run impossible (an unusable sandbox)."""
    check_sandbox(flow, options.sandbox)
    sandbox = Path(options.sandbox)
    # The tenant and the sampling decision come from the input as given (contract §3.8).
    scope = RunScope.of(flow, options.input)
    # The run's state: `state` with the input merged over it (existing keys in place, new appended).
    state = copy_json(flow.state)
    state.update(copy_json(options.input))
    # A starting state beyond the limits is not emitted (`input: {}`): the run fails at once (contract §6.12).
    try:
        limits.check_map(state, flow.limits)
        limited: ActionError | None = None
    except ActionError as err:
        limited = err
    flow_id = new_id()
    start = state if limited is None else None
    obs = ObservabilityContext(
        flow_id, flow.observability, sandbox, options.callbacks, options.console, start, scope
    )
    runner = _Runner(flow, obs, sandbox)
    root = Span(None, flow.name, SpanKind.FLOW, None)
    obs.open(root, lambda: one("input", {} if limited is not None else state))
    error: tuple[str, str] | None = None
    try:
        if limited is not None:
            raise RunError(limited.kind, limited.message)
        runner.drive(state, root)
        obs.exit(root, lambda: state)
    except RunError as err:
        obs.fail(root, err.to_json(), None)
        error = (err.kind, err.message)
    obs.close()
    status = RunStatus.COMPLETED if error is None else RunStatus.FAILED
    return RunOutcome(flow_id, status, state, error, obs)


def _template_error(err: TemplateError) -> ActionError:
    return ActionError("TemplateError", err.message)


def _apply(state: dict[str, Any], output: str | None, result: Any) -> None:
    """Applies a result to the state: to ``output`` when given, else merged when it is an object, else
    discarded (contract §1)."""
    if output is not None:
        state[output] = result
    elif type(result) is dict:
        state.update(result)


class _Runner:
    def __init__(self, flow: Flow, obs: ObservabilityContext, sandbox: Path) -> None:
        self.flow = flow
        self.obs = obs
        self.memory = Memory()
        self.files = FileOrder()
        self.sandbox = sandbox
        self.nodes = {n.name: n for n in flow.nodes}
        # Where routing goes from a source: conditional edges in order, then the unconditional one.
        self.conditional: dict[str, list[tuple[str, Endpoint]]] = {}
        self.unconditional: dict[str, Endpoint] = {}
        for e in flow.edges:
            if isinstance(e.from_, list):
                continue
            if e.when is not None:
                self.conditional.setdefault(e.from_, []).append((e.when, e.to))
            else:
                self.unconditional.setdefault(e.from_, e.to)
        # Whether a node calls `obs.*`: then each fan-out keeps what its branches see (contract §3.6).
        self.reads_obs = any(
            any(s.uses.startswith("obs.") for s in n.body)
            if isinstance(n.body, list)
            else n.body.uses.startswith("obs.")
            for n in flow.nodes
        )

    def drive(self, state: dict[str, Any], root: Span) -> None:
        """Runs from ``__start__`` to ``__end__``; raises the flow's failure (a RunError).

        ``next_`` is what runs next (Rust's ``Next``): ``("route_from", node)`` routes from a node or
        ``__start__``, ``("go", endpoint)`` goes to a known endpoint (a fan-in target), ``("recover", node)``
        runs an ``on_error`` target with ``error`` in its templates."""
        executions = 0
        next_: tuple[str, Any] = ("route_from", START)
        while True:
            how, where = next_
            if how == "route_from":
                endpoint = self.route(where, state)
            elif how == "go":
                endpoint = where
            else:
                executions = self.count(executions, 1)
                # While the target runs, templates see `error` (= state._error).
                error = state.get("_error")
                next_ = self.after_node(self.nodes[where], state, root, error)
                continue
            if endpoint == END:
                return
            if isinstance(endpoint, str):
                node = self.nodes.get(endpoint)
                if node is None:
                    raise RunError("ActionError", f"unknown node: {endpoint}")
                executions = self.count(executions, 1)
                next_ = self.after_node(node, state, root, None)
            else:
                executions = self.count(executions, len(endpoint))
                failed = self.fan_out(endpoint, state, root)
                if failed is None:
                    edge = self.flow.fan_in(endpoint)
                    if edge is None:
                        raise RunError("ActionError", "fan-out without fan-in edge")
                    next_ = ("go", edge.to)
                else:
                    node, err = failed
                    if node.on_error is None:
                        raise RunError(err.kind, err.message)
                    _set_error(state, node.name, err)
                    next_ = ("recover", node.on_error)

    def after_node(
        self, node: Node, state: dict[str, Any], parent: Span, error: dict[str, Any] | None
    ) -> tuple[str, str]:
        """Runs one node and decides what follows it (routing, or its ``on_error`` target)."""
        try:
            self.exec_node(node, state, parent, error)
        except ActionError as err:
            if node.on_error is None:
                raise RunError(err.kind, err.message) from None
            _set_error(state, node.name, err)
            return ("recover", node.on_error)
        return ("route_from", node.name)

    def count(self, executions: int, more: int) -> int:
        try:
            limits.check_events(self.obs.produced(), self.flow.limits)
        except ActionError as err:
            raise RunError(err.kind, err.message) from None
        """Counts node executions; before exceeding the limit the run fails with ``LoopLimit``."""
        if executions + more > LOOP_LIMIT:
            raise RunError("LoopLimit", f"loop limit of {LOOP_LIMIT} node executions reached")
        return executions + more

    def route(self, source: str, state: dict[str, Any]) -> Endpoint:
        """The endpoint after ``source``: the first truthy conditional edge, else the unconditional one.
        A ``when`` that fails to render fails the run (no ``on_error``, contract §1.2)."""
        conditional = self.conditional.get(source)
        if conditional:
            scope = {"state": state}
            for when, to in conditional:
                try:
                    value = render_str(when, scope, self.flow.limits)
                except TemplateError as e:
                    raise RunError("TemplateError", e.message) from None
                if truthy(value):
                    return to
        to = self.unconditional.get(source)
        if to is None:
            # Only a fan-out branch may lack one (loader); reached here it ran outside its fan-out.
            raise RunError("MissingEdge", f"node '{source}' has no unconditional outgoing edge")
        return to

    def ctx(self, span: Span, attempt: int) -> ActionCtx:
        return ActionCtx(self.obs, span, self.memory, self.files, self.sandbox, attempt, self.flow.limits)

    def exec_node(
        self, node: Node, state: dict[str, Any], parent: Span, error: dict[str, Any] | None
    ) -> None:
        """One node execution: its span, attempts, events and the application of its result."""
        span = Span(parent, node.name, SpanKind.NODE, None if isinstance(node.body, list) else node.body.uses)
        obs = self.obs
        if parent.kind == SpanKind.PARALLEL:
            self.memory.branch(span)
            self.files.branch(span)
            if self.reads_obs:
                obs.branch(span)
        max_attempts = max(node.max_attempts, 1)
        if not isinstance(node.body, list):
            call: ActionCall = node.body
            first: Any = self.render_with(call, state, 1, error)
            obs.open(span, lambda: {} if isinstance(first, ActionError) else one("input", first))
            for attempt in range(1, max_attempts + 1):
                params = first if attempt == 1 else self.render_with(call, state, attempt, error)
                if isinstance(params, ActionError):
                    self.attempt_failed(span, attempt, max_attempts, params)
                    continue
                try:
                    result = actions.call(call.uses, params, self.ctx(span, attempt))
                    limits.check_result(state, call.output, result, self.flow.limits)
                except ActionError as err:
                    self.attempt_failed(span, attempt, max_attempts, err)
                    continue
                obs.exit(span, lambda: result)  # noqa: B023 (called at once)
                _apply(state, call.output, result)
                return
            _unreachable_attempts()
        else:
            steps: list[ActionCall] = node.body
            obs.open(span, lambda: one("input", None))
            # A retried steps node restarts from the state as it was at node start.
            snapshot = dict(state) if max_attempts > 1 else None
            for attempt in range(1, max_attempts + 1):
                if attempt > 1 and snapshot is not None:
                    state.clear()
                    state.update(snapshot)
                try:
                    last = self.run_steps(node, steps, state, span, attempt, error)
                except ActionError as err:
                    self.attempt_failed(span, attempt, max_attempts, err)
                    continue
                obs.exit(span, lambda: last)  # noqa: B023 (called at once)
                return
            _unreachable_attempts()

    def attempt_failed(self, span: Span, attempt: int, max_attempts: int, err: ActionError) -> None:
        """Emits the warn ``attempt N failed`` (returns: retry) or the final ``node failed`` (raises the
        error)."""
        try:
            limits.check_events(self.obs.produced(), self.flow.limits)
        except ActionError as over:
            err = over
            attempt_is_last = True
        else:
            attempt_is_last = attempt >= max_attempts
        if attempt_is_last:
            self.obs.fail(span, err.to_json(), attempt)
            raise err
        self.obs.retry(span, err.to_json(), attempt)

    def render_with(
        self, call: ActionCall, state: dict[str, Any], attempt: int, error: dict[str, Any] | None
    ) -> dict[str, Any] | ActionError:
        """The call's rendered ``with``, or the TemplateError as an ActionError (Rust: a ``Result``)."""
        scope: dict[str, Any] = {"state": state, "attempt": attempt}
        if error is not None:
            scope["error"] = error
        try:
            with_ = render_value(call.with_, scope, self.flow.limits)
        except TemplateError as e:
            return _template_error(e)
        try:
            limits.check_map(with_, self.flow.limits)
        except ActionError as err:
            return err
        return with_

    def run_steps(
        self,
        node: Node,
        steps: list[ActionCall],
        state: dict[str, Any],
        parent: Span,
        attempt: int,
        error: dict[str, Any] | None,
    ) -> Any:
        """One attempt of a steps node; returns the last step's result."""
        obs = self.obs
        last: Any = None
        for i, step in enumerate(steps):
            limits.check_events(obs.produced(), self.flow.limits)
            span = Span(parent, f"{node.name}.step[{i}]", SpanKind.STEP, step.uses)
            rendered = self.render_with(step, state, attempt, error)
            obs.open(span, lambda: {} if isinstance(rendered, ActionError) else one("input", rendered))  # noqa: B023
            try:
                if isinstance(rendered, ActionError):
                    raise rendered
                result = actions.call(step.uses, rendered, self.ctx(span, attempt))
                limits.check_result(state, step.output, result, self.flow.limits)
            except ActionError as err:
                obs.fail(span, err.to_json(), None)
                raise
            obs.exit(span, lambda: result)  # noqa: B023 (called at once)
            if i + 1 == len(steps) and obs.wants(Level.INFO):
                last = result
            _apply(state, step.output, result)
        return last

    def fan_out(
        self, branches: list[str], state: dict[str, Any], root: Span
    ) -> tuple[Node, ActionError] | None:
        """A fan-out: the parallel span, one thread per branch on a deep copy of the state, and the merge of
        contributions in list order (contract §1.2). Returns the first failing branch (in list order) and
        its error; a merge conflict is raised as a RunError (there is no on_error for it)."""
        obs = self.obs
        span = Span(root, f"parallel({','.join(branches)})", SpanKind.PARALLEL, None)
        obs.open(span, dict)
        if self.reads_obs:
            obs.fork(span)
        nodes = [self.nodes[b] for b in branches]

        self.files.fork(branches)

        def job(place: int, node: Node, copy: dict[str, Any]) -> tuple[dict[str, Any], ActionError | None]:
            with self.files.ending(place):
                try:
                    self.exec_node(node, copy, span, None)
                except ActionError as err:
                    return copy, err
                return copy, None

        results = threads.run_all([partial(job, i, node, copy_json(state)) for i, node in enumerate(nodes)])
        self.memory.join(branches)
        self.files.join()
        if self.reads_obs:
            obs.join(span)
        for node, (_, err) in zip(nodes, results, strict=True):
            if err is not None:
                obs.fail(span, err.to_json(), None)
                return node, err
        # Contributions: top-level keys each copy added or changed, in the copy's order.
        owner: dict[str, int] = {}
        merged: dict[str, Any] = {}
        for i, (copy, _) in enumerate(results):
            for key, value in copy.items():
                if key in state and json_equal(state[key], value):
                    continue
                if key in owner:
                    conflict = RunError(
                        "MergeConflict",
                        f"branches '{branches[owner[key]]}' and '{branches[i]}' both wrote '{key}'",
                    )
                    obs.fail(span, conflict.to_json(), None)
                    raise conflict
                owner[key] = i
                merged[key] = value
        obs.exit(span, lambda: merged)
        _apply(state, None, merged)
        return None


def _unreachable_attempts() -> None:
    """The attempt loops return from inside; ``max_attempts >= 1`` is guaranteed by the loader."""
    raise ActionError.action("node made no attempt")


def _set_error(state: dict[str, Any], node: str, err: ActionError) -> None:
    """``state._error = {node, type, message}`` (contract §1, on_error)."""
    state["_error"] = {"node": node, "type": err.kind, "message": err.message}
