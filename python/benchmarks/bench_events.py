"""Event throughput of the Python twin, on the same two flows as the Rust bench (engine/benches/events.rs):

- linear: a chain of 1,000 ``state.set`` nodes (each ``{step: "{{ state.step + 1 }}"}``), 2,002 events;
- fan-out: 64 ``state.set`` branches from __start__, each writing its own key, then fan-in to __end__
  (132 events).

A callback handler receives every event (counting them). Prints events/s and µs/event (best of N runs,
whole run time divided by events). Run: ``.venv/bin/python python/benchmarks/bench_events.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import yamlflow


def linear_flow(n: int = 1000) -> str:
    """The same text as ``linear`` in ``engine/benches/events.rs``: a chain of ``state.set`` nodes."""
    lines = ["name: bench_linear", "state: {total: 0}", "nodes:"]
    for i in range(n):
        lines.append(
            f'  - {{name: n{i}, uses: state.set, with: {{total: "{{{{ state.total + 1 }}}}", last: n{i}}}}}'
        )
    lines.append("edges:")
    lines.append("  - {from: __start__, to: n0}")
    for i in range(1, n):
        lines.append(f"  - {{from: n{i - 1}, to: n{i}}}")
    lines.append(f"  - {{from: n{n - 1}, to: __end__}}")
    return "\n".join(lines) + "\n"


def fanout_flow(n: int = 64) -> str:
    """The same text as ``fan_out`` in ``engine/benches/events.rs``: branches, then a join node."""
    names = [f"b{i}" for i in range(n)]
    lines = ["name: bench_fanout", "state: {seed: 1}", "nodes:"]
    lines += [f'  - {{name: {b}, uses: state.set, with: {{{b}: "{{{{ state.seed + 1 }}}}"}}}}' for b in names]
    lines.append("  - {name: join, uses: state.set, with: {joined: true}}")
    listed = ", ".join(names)
    lines.append("edges:")
    lines.append(f"  - {{from: __start__, to: [{listed}]}}")
    lines.append(f"  - {{from: [{listed}], to: join}}")
    lines.append("  - {from: join, to: __end__}")
    return "\n".join(lines) + "\n"


def bench(label: str, text: str, repeat: int) -> None:
    flow = yamlflow.load_str(text, label)
    best = float("inf")
    count = 0
    with tempfile.TemporaryDirectory() as sandbox:
        for _ in range(repeat):
            seen = [0]

            def callback(event, seen=seen):
                seen[0] += 1

            start = time.perf_counter()
            outcome = yamlflow.run(flow, yamlflow.RunOptions(sandbox=sandbox, callbacks=[callback]))
            elapsed = time.perf_counter() - start
            assert outcome.status == "completed", outcome.error
            count = seen[0]
            best = min(best, elapsed)
    print(f"{label:8} {count:6d} events  {count / best:10.0f} events/s  {best * 1e6 / count:7.2f} µs/event")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile the linear flow with cProfile")
    args = parser.parse_args()
    if args.profile:
        import cProfile
        import pstats

        flow = yamlflow.load_str(linear_flow())
        with tempfile.TemporaryDirectory() as sandbox:
            cProfile.runctx(
                "yamlflow.run(flow, yamlflow.RunOptions(sandbox=sandbox, callbacks=[lambda e: None]))",
                globals(),
                locals(),
                "/tmp/yf.prof",
            )
        pstats.Stats("/tmp/yf.prof").sort_stats("cumulative").print_stats(25)
        return
    bench("linear", linear_flow(), args.repeat)
    bench("fan-out", fanout_flow(), args.repeat)


if __name__ == "__main__":
    main()
