"""Sampling and tenant scoping (contract §3.8): the sampling point, the sampler, the ring buffer's error
rule and the tenant checks of the embedding API (the fixtures pin the rest in both engines)."""

from __future__ import annotations

from pathlib import Path

import pytest

import yamlflow
from yamlflow.observability import get_flow_log
from yamlflow.observability.scope import Sampler, fnv1a64, sampling_point
from yamlflow.observability.stream import EventStream


def _event(seq: int, span: str = "s", level: str = "info", event_type: str = "log") -> dict:
    return {"seq": seq, "span_id": span, "level": level, "event_type": event_type}


def test_fnv1a64_matches_the_published_vectors() -> None:
    assert fnv1a64(b"") == 0xCBF29CE484222325
    assert fnv1a64(b"a") == 0xAF63DC4C8601EC8C
    assert fnv1a64(b"foobar") == 0x85944171F73967E8


def test_the_point_hashes_the_name_a_zero_byte_and_the_sorted_compact_input() -> None:
    text = 'f\x00{"a":"é","b":1.0}'.encode()
    assert sampling_point("f", {"b": 1.0, "a": "é"}) == (fnv1a64(text) >> 11) / 2**53


def test_the_buffer_never_overwrites_an_error_event_while_another_one_can_go() -> None:
    s = EventStream(3)
    for e in [_event(0, level="error"), _event(1), _event(2, event_type="error"), _event(3)]:
        s.push(e)
    assert [e["seq"] for e in s.iter()] == [0, 2, 3]
    s.push(_event(4, level="error"))
    assert [e["seq"] for e in s.iter()] == [0, 2, 4]
    assert s.dropped == 2


def test_a_buffer_of_error_events_drops_the_new_event_or_the_oldest_error() -> None:
    s = EventStream(2)
    for e in [_event(0, level="error"), _event(1, level="error"), _event(2)]:
        s.push(e)
    assert [e["seq"] for e in s.iter()] == [0, 1]
    s.push(_event(3, level="error"))
    assert [e["seq"] for e in s.iter()] == [1, 3]
    assert s.dropped == 2


def test_the_sampler_holds_a_span_until_it_is_kept_and_releases_its_ancestors_first() -> None:
    sampler = Sampler(slow_ms=100.0)
    out: list[dict] = []
    sampler.begin("root", None)
    sampler.admit(_event(0, "root", event_type="entry"), out)
    sampler.begin("quick", "root")
    sampler.admit(_event(1, "quick", event_type="entry"), out)
    sampler.settle("quick", 5.0, out)
    sampler.finish("quick")
    assert out == []
    sampler.begin("slow", "root")
    sampler.admit(_event(2, "slow", event_type="entry"), out)
    sampler.settle("slow", 500.0, out)
    assert [e["seq"] for e in out] == [0, 2]
    sampler.admit(_event(3, "slow", event_type="exit"), out)
    sampler.admit(_event(4, "root", event_type="exit"), out)
    assert [e["seq"] for e in out] == [0, 2, 3, 4]


def _run(text: str, input: dict, tmp_path: Path) -> yamlflow.RunOutcome:
    flow = yamlflow.load_str(text, "<string>")
    return yamlflow.run(flow, yamlflow.RunOptions(input=input, sandbox=tmp_path))


FLOW = (
    "name: f\nnodes: [{name: a, uses: state.set}]\n"
    "edges: [{from: __start__, to: a}, {from: a, to: __end__}]\n"
)


def test_get_flow_log_returns_a_run_only_to_its_tenant(tmp_path: Path) -> None:
    outcome = _run(FLOW, {"tenant": "acme"}, tmp_path)
    flow_id = outcome.flow_id
    assert outcome.observability.tenant == "acme"
    assert get_flow_log(flow_id) is None
    assert get_flow_log(flow_id, "globex") is None
    log = get_flow_log(flow_id, "acme")
    assert log is not None and log["tenant"] == "acme"
    assert all(e["tenant"] == "acme" for e in log["events"])
    assert outcome.observability.get_flow_log(flow_id, "acme") == log
    untenanted = _run(FLOW, {}, tmp_path)
    assert "tenant" not in get_flow_log(untenanted.flow_id)
    assert get_flow_log(untenanted.flow_id, "acme") is None


@pytest.mark.parametrize("tenant", ["", 7, None, ["acme"]])
def test_an_input_tenant_that_is_not_a_non_empty_string_is_refused(tmp_path: Path, tenant: object) -> None:
    with pytest.raises(yamlflow.LoadError) as err:
        _run(FLOW, {"tenant": tenant}, tmp_path)
    assert str(err.value) == "<input>: Io: input 'tenant' must be a non-empty string"


def test_the_settings_tenant_wins_and_leaves_the_input_unchecked(tmp_path: Path) -> None:
    text = FLOW.replace("name: f\n", "name: f\nsettings: {observability: {tenant: acme}}\n")
    outcome = _run(text, {"tenant": 7}, tmp_path)
    assert outcome.observability.tenant == "acme" and outcome.state["tenant"] == 7
