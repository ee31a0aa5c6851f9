"""``python -m yamlflow run|validate`` (brief "CLIs"; identical to the Rust binary, engine/src/main.rs).

run FLOW.yaml [--input JSON|@file] [--events PATH|-] [--sandbox DIR]: final state as 2-space JSON on stdout
(unless ``--events -``, when stdout holds only the JSONL events); exit 0 completed, 1 failed
(stderr ``flow failed: {type}: {message}``), 2 load error or unusable input (stderr: the error's display).
validate FLOW.yaml: ``{file}: ok ({n} nodes, {m} edges)``, exit 0; load error → stderr, exit 2.
yaml FILE...: one JSON line per file, ``{"value": V}`` or ``{"error": {kind, message, line, column, key}}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TextIO

from .error import LoadError
from .event import to_json
from .loader import load_str, parse_input, parse_yaml
from .runner import RunOptions, check_sandbox, run

# The most a flow or input file may hold: `--input @/dev/zero` or a gigabyte of input is refused, not read
# (contract §6.8).
READ_LIMIT = 64 * 1024 * 1024


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="yamlflow", description="Run or validate a yamlflow flow document.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a flow and print its final state")
    r.add_argument("flow", help="the flow file (YAML)")
    r.add_argument(
        "--input", default="", help="the run input: a JSON object, or @FILE to read it from a file"
    )
    r.add_argument("--events", help="write the events as JSON Lines to PATH, or to stdout with -")
    r.add_argument("--sandbox", default=".", help="root directory of file.* and obs.export (default: .)")
    v = sub.add_parser("validate", help="load a flow and report its size")
    v.add_argument("flow", help="the flow file (YAML)")
    y = sub.add_parser("yaml", help="print each YAML file's JSON value or load error, one line per file")
    y.add_argument("files", nargs="*", help="the YAML documents")
    return p


def _read_text(path: str, what: str) -> str:
    """A flow or input file as UTF-8 text, at most ``READ_LIMIT`` bytes, or the LoadError ``Io`` ``cannot
    read {what}: {reason}`` (contract §6.8)."""
    try:
        with open(path, "rb") as f:
            data = f.read(READ_LIMIT + 1)
    except OSError as e:
        raise LoadError("Io", f"cannot read {what}: {e.strerror or e}", path) from None
    if len(data) > READ_LIMIT:
        raise LoadError("Io", f"cannot read {what}: larger than {READ_LIMIT} bytes", path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise LoadError("Io", f"cannot read {what}: not UTF-8 text", path) from None


def _parse_input(arg: str) -> dict:
    """The run input (contract §6): ``parse_input``'s LoadError of kind ``Io``, named by the input file or
    ``<input>``."""
    if arg.startswith("@"):
        path = arg[1:]
        return parse_input(_read_text(path, "input"), path)
    return parse_input(arg)


def main(argv: list[str] | None = None) -> int:
    """The command line; nothing escapes as a traceback (contract §6.8): an unusable input exits 2 with one
    line, a failed flow 1, a closed standard output is not an error."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args.flow)
        if args.command == "yaml":
            for file in args.files:
                print(_yaml_line(file))
            return 0
        return _run(args.flow, args.input, args.events, args.sandbox)
    except BrokenPipeError:
        # The reader has gone: not an error; stdout must not be flushed again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as e:  # contract §6.8: one line, never a traceback
        print(f"yamlflow: cannot run: {type(e).__name__}: {e}", file=sys.stderr)
        return 2


def _validate(flow_path: str) -> int:
    try:
        flow = load_str(_read_text(flow_path, "flow"), flow_path)
    except LoadError as e:
        print(str(e), file=sys.stderr)
        return 2
    print(f"{flow_path}: ok ({len(flow.nodes)} nodes, {len(flow.edges)} edges)")
    return 0


def _yaml_line(file: str) -> str:
    """One line of ``yamlflow yaml``: the file's JSON value or its load error, as JSON."""
    try:
        # Read as `run` and `validate` read a flow: the same limit and the same `Io` messages.
        line: dict = {"value": parse_yaml(_read_text(file, "flow"), file)}
    except LoadError as e:
        line = {
            "error": {"kind": e.kind, "message": e.message, "line": e.line, "column": e.column, "key": e.key}
        }
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def _run(flow_path: str, input_arg: str, events: str | None, sandbox: str) -> int:
    try:
        flow = load_str(_read_text(flow_path, "flow"), flow_path)
        input_ = _parse_input(input_arg)
        # Before the events file is created: a refused run leaves nothing behind.
        check_sandbox(flow, sandbox)
        sink: TextIO | None = None
        if events == "-":
            sink = sys.stdout
        elif events:
            try:
                sink = open(events, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 (closed below)
            except OSError as e:
                raise LoadError("Io", f"cannot write events: {e.strerror or e}", events) from None
    except LoadError as e:
        print(str(e), file=sys.stderr)
        return 2
    options = RunOptions(input=input_, sandbox=sandbox)
    if sink is not None:
        out = sink
        options.callbacks.append(lambda event: out.write(to_json(event) + "\n"))
    try:
        outcome = run(flow, options)
    except LoadError as e:
        # An input tenant the run refuses (contract §3.8), as Rust's run returns it.
        print(str(e), file=sys.stderr)
        return 2
    finally:
        if sink is not None and sink is not sys.stdout:
            sink.close()
    if events != "-":
        print(to_json(outcome.state, indent=2))
    sys.stdout.flush()
    if outcome.error is not None:
        print(f"flow failed: {outcome.error[0]}: {outcome.error[1]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
