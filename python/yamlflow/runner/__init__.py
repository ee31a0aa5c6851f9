"""Running a flow: routing, retries, on_error, steps and fan-out (contract §1, §1.2, brief
"Runner"). Mirrors ``engine/src/runner.rs``.

The state is one dict, changed in place: results overwrite top-level keys (in place) or append them, and no
nested value is ever mutated, so shallow copies suffice to restart a retried steps node. Fan-out branches
run on real threads (``threads.py``, mirroring ``engine/src/runner/threads.rs``), each on a deep copy of the
state.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from .. import actions
from ..actions import ActionContext, ActionFailure
from ..actions.memory import Memory
from ..flow import END, START, ActionCall, Flow, Node
from ..observability import ObservabilityContext, Span
from ..observability.handlers import Callback
from ..template import TemplateError, render_str, render_value
from ..values import copy_json, json_equal
from .threads import POOL

LOOP_LIMIT = 1000


Failure = tuple[str, str]  # (type, message)


@dataclass
class RunOutcome:
    """How a run ended: ``status`` is ``completed`` or ``failed``; ``error`` (type, message) if failed."""

    flow_id: str
    status: str
    state: dict[str, Any]
    error: Failure | None
    observability: ObservabilityContext


class _FlowFailure(Exception):
    """Ends the run: the flow span emits ``flow failed`` with this error."""

    def __init__(self, error: Failure) -> None:
        super().__init__(error[1])
        self.error = error


def run(
    flow: Flow,
    input: dict[str, Any] | None = None,
    sandbox: str | Path = ".",
    callbacks: list[Callback] | tuple[Callback, ...] = (),
    console: TextIO | None = None,
) -> RunOutcome:
    """Runs a loaded flow to its end; failures are events and the outcome, never exceptions.
    ``console`` is where console handlers write (standard error when None)."""
    return _Run(flow, Path(sandbox), callbacks, console).run(input or {})


class _Run:
    def __init__(
        self,
        flow: Flow,
        sandbox: Path,
        callbacks: list[Callback] | tuple[Callback, ...],
        console: TextIO | None = None,
    ) -> None:
        self.flow = flow
        self.sandbox = sandbox
        self.obs = ObservabilityContext(flow.observability, sandbox, callbacks, console=console)
        self.memory = Memory()
        self.nodes = {n.name: n for n in flow.nodes}
        self.executions = 0
        self._count_lock = threading.Lock()
        # Routing tables: conditional edges in declaration order, the unconditional edge, fan-in targets.
        self.conditional: dict[str, list[tuple[str, str | list[str]]]] = {}
        self.unconditional: dict[str, str | list[str]] = {}
        for e in flow.edges:
            if isinstance(e.from_, list):
                continue
            if e.when is not None:
                self.conditional.setdefault(e.from_, []).append((e.when, e.to))
            else:
                self.unconditional.setdefault(e.from_, e.to)

    def run(self, input: dict[str, Any]) -> RunOutcome:
        state = copy_json(self.flow.state)
        state.update(copy_json(input))
        obs = self.obs
        root = obs.open(None, self.flow.name, "flow", None, {"input": state})
        error: Failure | None = None
        try:
            self.drive(state, root)
        except _FlowFailure as f:
            error = f.error
        if error is None:
            obs.exit(root, state)
        else:
            obs.fail(root, error)
        obs.close()
        return RunOutcome(obs.flow_id, "completed" if error is None else "failed", state, error, obs)

    # -- routing ---------------------------------------------------------------------------------------

    def route(self, source: str, state: dict[str, Any]) -> str | list[str]:
        ctx = {"state": state}
        for when, to in self.conditional.get(source, ()):
            try:
                taken = render_str(when, ctx)
            except TemplateError as e:
                # A `when` that fails to render fails the run (no on_error, contract §1.2).
                raise _FlowFailure((e.type, e.message)) from None
            if taken:
                return to
        to = self.unconditional.get(source)
        if to is None:
            # Only a fan-out branch may lack one (loader); reached here it ran outside its fan-out.
            raise _FlowFailure(("MissingEdge", f"node '{source}' has no unconditional outgoing edge"))
        return to

    def count(self, n: int) -> None:
        with self._count_lock:
            if self.executions + n > LOOP_LIMIT:
                raise _FlowFailure(("LoopLimit", f"loop limit of {LOOP_LIMIT} node executions reached"))
            self.executions += n

    def drive(self, state: dict[str, Any], root: Span) -> None:
        target = self.route(START, state)
        error_ctx: dict[str, Any] | None = None
        while True:
            if target == END:
                return
            if isinstance(target, list):
                failed = self.fan_out(target, state, root)
                if failed is None:
                    edge = self.flow.fan_in(target)
                    assert edge is not None  # the loader checked every fan-out has its fan-in
                    target = edge.to
                    error_ctx = None
                    continue
                branch, error = failed
                node = self.nodes[branch]
            else:
                node = self.nodes[target]
                self.count(1)
                error = self.exec_node(node, state, root, error_ctx)
                error_ctx = None
                if error is None:
                    target = self.route(node.name, state)
                    continue
            if node.on_error is None:
                raise _FlowFailure(error)
            state["_error"] = {"node": node.name, "type": error[0], "message": error[1]}
            error_ctx = state["_error"]
            target = node.on_error

    # -- one node execution ----------------------------------------------------------------------------

    def context(self, span: Span, action: str, attempt: int) -> ActionContext:
        return ActionContext(action, span, attempt, self.obs, self.memory, self.sandbox)

    def exec_node(
        self, node: Node, state: dict[str, Any], parent: Span, error_ctx: dict[str, Any] | None
    ) -> Failure | None:
        """Runs a node with its retries; returns None on success or its final (type, message)."""
        ctx: dict[str, Any] = {"state": state, "attempt": 1}
        if error_ctx is not None:
            ctx["error"] = error_ctx
        if isinstance(node.body, list):
            return self.run_steps(node, node.body, state, parent, ctx)
        call: ActionCall = node.body
        obs = self.obs
        try:
            params: Any = render_value(call.with_, ctx)
            error: Failure | None = None
            data: dict[str, Any] = {"input": params}
        except TemplateError as e:
            params, error, data = None, (e.type, e.message), {}
        span = obs.open(parent, node.name, "node", call.uses, data)
        attempt = 1
        while True:
            if attempt > 1:
                ctx["attempt"] = attempt
                try:
                    params, error = render_value(call.with_, ctx), None
                except TemplateError as e:
                    error = (e.type, e.message)
            if error is None:
                try:
                    result = actions.call(call.uses, params, self.context(span, call.uses, attempt))
                except ActionFailure as e:
                    error = (e.type, e.message)
                else:
                    apply(state, call.output, result)
                    obs.exit(span, result)
                    return None
            if self.attempt_failed(span, attempt, node.max_attempts, error):
                return error
            attempt += 1

    def run_steps(
        self, node: Node, steps: list[ActionCall], state: dict[str, Any], parent: Span, ctx: dict[str, Any]
    ) -> Failure | None:
        obs = self.obs
        span = obs.open(parent, node.name, "node", None, {"input": None})
        at_start = dict(state)
        attempt = 1
        while True:
            if attempt > 1:
                # A retried steps node restarts from the state as it was at node start (memory is kept).
                state.clear()
                state.update(at_start)
                ctx["attempt"] = attempt
            error: Failure | None = None
            last: Any = None
            for i, step in enumerate(steps):
                try:
                    params: Any = render_value(step.with_, ctx)
                    data: dict[str, Any] = {"input": params}
                except TemplateError as e:
                    error, data = (e.type, e.message), {}
                step_span = obs.open(span, f"{node.name}.step[{i}]", "step", step.uses, data)
                if error is None:
                    try:
                        last = actions.call(step.uses, params, self.context(step_span, step.uses, attempt))
                    except ActionFailure as e:
                        error = (e.type, e.message)
                if error is not None:
                    obs.fail(step_span, error)
                    break
                apply(state, step.output, last)
                obs.exit(step_span, last)
            if error is None:
                obs.exit(span, last)
                return None
            if self.attempt_failed(span, attempt, node.max_attempts, error):
                return error
            attempt += 1

    def attempt_failed(self, span: Span, attempt: int, max_attempts: int, error: Failure) -> bool:
        """Emits the warn ``attempt N failed`` (returns False: retry) or the final ``node failed``
        (returns True)."""
        if attempt >= max_attempts:
            self.obs.fail(span, error, attempt)
            return True
        self.obs.retry(span, error, attempt)
        return False

    # -- fan-out ---------------------------------------------------------------------------------------

    def fan_out(self, branches: list[str], state: dict[str, Any], root: Span) -> tuple[str, Failure] | None:
        """Runs the branches concurrently and merges; returns (branch, error) when a branch failed."""
        self.count(len(branches))
        obs = self.obs
        span = obs.open(root, f"parallel({','.join(branches)})", "parallel", None, {})
        copies = [copy_json(state) for _ in branches]
        nodes = [self.nodes[b] for b in branches]
        results = POOL.run_all(
            [partial(self.exec_node, n, c, span, None) for n, c in zip(nodes, copies, strict=True)]
        )
        for branch, error in zip(branches, results, strict=True):
            if error is not None:
                # The first failing branch in list order; nothing is merged.
                obs.fail(span, error)
                return branch, error
        merged: dict[str, Any] = {}
        writer: dict[str, str] = {}
        for branch, copy in zip(branches, copies, strict=True):
            for key, value in copy.items():
                if key in state and json_equal(state[key], value):
                    continue
                if key in writer:
                    error = ("MergeConflict", f"branches '{writer[key]}' and '{branch}' both wrote '{key}'")
                    obs.fail(span, error)
                    # There is no on_error for a conflict: the run fails.
                    raise _FlowFailure(error)
                writer[key] = branch
                merged[key] = value
        state.update(merged)
        obs.exit(span, merged)
        return None


def apply(state: dict[str, Any], output: str | None, result: Any) -> None:
    """``output`` → state[output]; else an object is merged over the state; else discarded."""
    if output is not None:
        state[output] = result
    elif type(result) is dict:
        state.update(result)
