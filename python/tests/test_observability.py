"""observability/: redaction, ring buffer drop count, level filter before seq, handlers, flow log."""

from __future__ import annotations

from pathlib import Path

import yamlflow
from yamlflow.event import EventType, Level, SpanKind
from yamlflow.flow import ObservabilitySettings
from yamlflow.observability import ObservabilityContext, Span, get_flow_log, new_id
from yamlflow.observability.redact import REDACTED, Redactor
from yamlflow.observability.stream import EventStream


def test_redactor_defaults_and_extra() -> None:
    r = Redactor(["SSN"])
    data = {
        "API_KEY": "x",
        "MyApiKey": "kept",
        "nested": [{"db_Password": 1, "user": "u"}, {"customer_ssn_hash": {"a": 1}}],
        "Authorization": "Bearer",
        "X-Api-Key": "kept",
        "tokens_used": 5,
    }
    out = r.redact_data(data)
    assert out == {
        "API_KEY": REDACTED,
        "MyApiKey": "kept",
        "nested": [{"db_Password": REDACTED, "user": "u"}, {"customer_ssn_hash": REDACTED}],
        "Authorization": REDACTED,
        "X-Api-Key": "kept",
        "tokens_used": REDACTED,
    }
    assert data["API_KEY"] == "x"  # the input is untouched
    assert out["nested"] is not data["nested"]


def test_redactor_tokens_exemption_only_top_level_metrics() -> None:
    r = Redactor()
    assert r.redact_metrics({"tokens": 3, "max_tokens": 4, "cost_usd": 0.1}) == {
        "tokens": 3,
        "max_tokens": REDACTED,
        "cost_usd": 0.1,
    }
    assert r.redact_data({"metrics": {"tokens": 3}}) == {"metrics": {"tokens": REDACTED}}


def test_ring_buffer_drops() -> None:
    s = EventStream(3)
    for i in range(5):
        s.push({"seq": i, "event_type": "log", "level": "info"})
    assert [e["seq"] for e in s.iter()] == [2, 3, 4]
    assert (s.len(), s.dropped, s.capacity, s.is_empty()) == (3, 2, 3, False)


def test_level_filter_before_seq(tmp_path: Path) -> None:
    got = []
    ctx = ObservabilityContext(new_id(), ObservabilitySettings(level=Level.WARN), tmp_path, [got.append])
    root = Span(None, "f", SpanKind.FLOW, None)
    ctx.open(root, lambda: {"input": {}})
    ctx.emit(root, Level.INFO, EventType.LOG, "dropped", {}, {})
    ctx.emit(root, Level.WARN, EventType.LOG, "kept", {}, {})
    ctx.emit(root, Level.ERROR, EventType.LOG, "kept too", {}, {})
    assert [(e["seq"], e["message"]) for e in got] == [(0, "kept"), (1, "kept too")]


def test_failing_callback_does_not_break_the_run(tmp_path: Path) -> None:
    flow = yamlflow.load_str(
        "name: f\nnodes:\n  - {name: a, uses: state.set, with: {x: 1}}\n"
        "edges:\n  - {from: __start__, to: a}\n  - {from: a, to: __end__}\n"
    )
    seen = []

    def broken(event):
        raise RuntimeError("handler bug")

    outcome = yamlflow.run(flow, yamlflow.RunOptions(sandbox=tmp_path, callbacks=[broken, seen.append]))
    assert outcome.status == "completed" and outcome.state == {"x": 1}
    assert [e["seq"] for e in seen] == [0, 1, 2, 3]


def test_disabled_emits_nothing(tmp_path: Path) -> None:
    got = []
    ctx = ObservabilityContext(new_id(), ObservabilitySettings(enabled=False), tmp_path, [got.append])
    root = Span(None, "f", SpanKind.FLOW, None)
    ctx.open(root, lambda: {"input": {}})
    ctx.exit(root, dict)
    assert got == [] and ctx.flow_log()["spans"] == []


def test_flow_log_shape_and_registry(tmp_path: Path) -> None:
    flow = yamlflow.load_str(
        "name: f\nsettings: {observability: {buffer_size: 2}}\nnodes:\n"
        "  - {name: a, uses: metric.emit, with: {metrics: {tokens: 7, cost_usd: 0.5}}}\n"
        "edges:\n  - {from: __start__, to: a}\n  - {from: a, to: __end__}\n"
    )
    outcome = yamlflow.run(flow, yamlflow.RunOptions(sandbox=tmp_path))
    log = get_flow_log(outcome.flow_id)
    assert log is not None
    assert list(log) == ["flow_id", "events", "spans", "summary"]
    root = log["spans"][0]
    assert list(root) == ["span_id", "parent_id", "node", "kind", "status", "duration_ms", "children"]
    assert root["status"] == "completed" and root["children"][0]["node"] == "a"
    # 5 events (entry, a entry, metric, a exit, exit) in a buffer of 2: the metric is dropped.
    assert log["summary"]["events"] == 2 and log["summary"]["dropped"] == 3
    assert log["summary"]["tokens"] == 0 and log["summary"]["cost_usd"] == 0.0
    assert log["summary"]["duration_ms"] == root["duration_ms"] >= 0


def test_flow_log_tokens_saturate(tmp_path: Path) -> None:
    text = (
        "name: t\nnodes:\n  - name: a\n    steps:\n"
        "      - {uses: metric.emit, with: {metrics: {tokens: 9223372036854775807}}}\n"
        "      - {uses: metric.emit, with: {metrics: {tokens: 9223372036854775807}}}\n"
        "      - {uses: obs.get_flow_log, output: log}\n"
        "edges:\n  - {from: __start__, to: a}\n  - {from: a, to: __end__}\n"
    )
    outcome = yamlflow.run(yamlflow.load_str(text), yamlflow.RunOptions(sandbox=tmp_path))
    assert outcome.state["log"]["summary"]["tokens"] == 2**63 - 1


def test_registry_keeps_sixteen_runs(tmp_path: Path) -> None:
    flow = yamlflow.load_str(
        "name: t\nnodes:\n  - {name: a, uses: state.set}\n"
        "edges:\n  - {from: __start__, to: a}\n  - {from: a, to: __end__}\n"
    )
    ids = [yamlflow.run(flow, yamlflow.RunOptions(sandbox=tmp_path)).flow_id for _ in range(20)]
    assert all(get_flow_log(i) is None for i in ids[:4])
    assert all(get_flow_log(i) is not None for i in ids[4:])


def test_line_serialized_only_for_line_handlers(tmp_path: Path) -> None:
    from yamlflow.flow import HandlerSpec
    from yamlflow.observability.handlers import Handler

    seen: list[object] = []

    class Probe(Handler):
        def handle(self, event, line) -> None:
            seen.append(line)

    ctx = ObservabilityContext(new_id(), ObservabilitySettings(), tmp_path)
    ctx.handlers.append(Probe())
    ctx.emit(Span(None, "n", SpanKind.FLOW, None), Level.INFO, EventType.LOG, "m", {}, {})
    assert seen == [None]
    settings = ObservabilitySettings(handlers=[HandlerSpec("file", "log.jsonl")])
    ctx = ObservabilityContext(new_id(), settings, tmp_path)
    ctx.handlers.append(Probe())
    ctx.emit(Span(None, "n", SpanKind.FLOW, None), Level.INFO, EventType.LOG, "m", {}, {})
    ctx.close()
    assert seen[1] == (tmp_path / "log.jsonl").read_text().rstrip("\n")


def test_mirrored_names() -> None:
    from yamlflow.observability.flow_log import SpanTable
    from yamlflow.observability.redact import Redactor
    from yamlflow.runner import _Runner
    from yamlflow.runner.threads import run_all

    assert run_all([lambda: 1, lambda: 2]) == [1, 2]
    assert hasattr(_Runner, "exec_node") and not hasattr(_Runner, "run_node")
    assert hasattr(Redactor, "matches") and hasattr(Redactor, "redact_data")
    assert hasattr(SpanTable, "observe")


def test_a_failing_job_raises_after_the_others_finished() -> None:
    """A branch that raises leaves the fan-out only once every other branch has ended, as Rust's run_all
    resumes a panic after waiting for all jobs (engine/src/runner/threads.rs)."""
    import threading

    import pytest

    from yamlflow.runner.threads import run_all

    started, finished = threading.Event(), []

    def fails() -> None:
        started.wait()
        raise RuntimeError("branch exploded")

    def slow() -> None:
        started.set()
        threading.Event().wait(0.05)
        finished.append(True)

    with pytest.raises(RuntimeError, match="branch exploded"):
        run_all([fails, slow])
    assert finished == [True]


def test_the_event_limit_fails_the_run_with_its_spans_closed(tmp_path: Path) -> None:
    """contract §6.12: a run stops starting spans, attempts, logs and metrics at 100000 produced events, then
    closes what is open (the same flow as engine/tests/limits.rs and fixtures/err_limit_events.yaml)."""
    steps = "".join(f"      - {{uses: log.emit, with: {{message: 'm{i}'}}}}\n" for i in range(100))
    text = (
        "name: spam\nnodes:\n  - name: spam\n    steps:\n"
        + steps
        + "edges:\n  - {from: __start__, to: spam}\n"
        "  - {from: spam, to: spam, when: '{{ true }}'}\n  - {from: spam, to: __end__}\n"
    )
    events: list[dict] = []
    outcome = yamlflow.run(
        yamlflow.load_str(text), yamlflow.RunOptions(sandbox=tmp_path, callbacks=[events.append])
    )
    assert outcome.error == ("LimitExceeded", "event limit of 100000 events per run reached")
    # Steps' entries and exits are debug: produced and counted, not emitted.
    assert 33_000 < len(events) < 34_000
    assert [e["seq"] for e in events] == list(range(len(events)))
    assert [e["message"] for e in events[-2:]] == ["node failed", "flow failed"]


def test_redactor_secret_values_longest_first_in_one_scan() -> None:
    r = Redactor((), ["abcd", "abcdef", "cdefgh", "xyz", "REDACTED"])
    # `xyz` is too short; `abcdef` wins over `abcd` where both start; the scan goes on after a match, so
    # `cdefgh` overlapping it is not found; the key-redaction marker is never searched.
    assert r.scrub("xyz") is None
    assert r.scrub("1abcdefgh abcd REDACTED é") == "1[REDACTED]gh [REDACTED] [REDACTED] é"
    assert r.redact_data({"password": "REDACTED-no", "list": ["say abcd", 1], "k": {"abcd": "abcd"}}) == {
        "password": REDACTED,
        "list": ["say [REDACTED]", 1],
        "k": {"abcd": REDACTED},
    }
    assert r.redact_message("abcd!") == "[REDACTED]!"
    assert r.redact_message(None) is None


def test_redactor_learns_strings_under_redacted_keys() -> None:
    r = Redactor()
    r.learn(
        {"user": "ann", "auth": {"api_key": ["sk-123", 7, {"x": "deep-1"}]}, "pin": "12", "password": "abc"}
    )
    assert r.scrub("sk-123 deep-1 ann abc") == "[REDACTED] [REDACTED] ann abc"


def test_the_schemas_own_keys_are_never_redacted_by_name():
    r = Redactor(["input", "attempt", "error", "type", "duration", "cost"])
    data = {
        "input": {"duration": 1, "x": 2},
        "attempt": 2,
        "error": {"type": "ActionError", "message": "m", "error_code": 7},
    }
    assert r.redact_data(data) == {
        "input": {"duration": REDACTED, "x": 2},
        "attempt": 2,
        "error": {"type": "ActionError", "message": "m", "error_code": REDACTED},
    }
    # An `error` that is not the schema's object is a key like any other.
    assert r.redact_data({"error": "Bearer abc"}) == {"error": REDACTED}
    metrics = {"duration_ms": 1.5, "cost_usd": 0.1, "tokens": 3, "cost_x": 1}
    assert r.redact_metrics(metrics) == {"duration_ms": 1.5, "cost_usd": 0.1, "tokens": 3, "cost_x": REDACTED}
