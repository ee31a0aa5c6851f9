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
import sys
from pathlib import Path
from typing import TextIO

from .error import LoadError
from .event import to_json
from .loader import load_file, parse_input, parse_yaml
from .runner import RunOptions, run


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


def _parse_input(arg: str) -> dict:
    """The run input (contract §6): ``parse_input``'s LoadError of kind ``Io``, named by the input file or
    ``<input>``."""
    if arg.startswith("@"):
        path = arg[1:]
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise LoadError("Io", f"cannot read input: {getattr(e, 'strerror', None) or e}", path) from None
        return parse_input(text, path)
    return parse_input(arg)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "validate":
        try:
            flow = load_file(args.flow)
        except LoadError as e:
            print(str(e), file=sys.stderr)
            return 2
        print(f"{args.flow}: ok ({len(flow.nodes)} nodes, {len(flow.edges)} edges)")
        return 0
    if args.command == "yaml":
        for file in args.files:
            print(_yaml_line(file))
        return 0
    return _run(args.flow, args.input, args.events, args.sandbox)


def _yaml_line(file: str) -> str:
    """One line of ``yamlflow yaml``: the file's JSON value or its load error, as JSON."""
    try:
        text = Path(file).read_text(encoding="utf-8")
        line: dict = {"value": parse_yaml(text, file)}
    except (OSError, UnicodeDecodeError) as e:
        line = {"error": {"kind": "Io", "message": str(e), "line": None, "column": None, "key": None}}
    except LoadError as e:
        line = {
            "error": {"kind": e.kind, "message": e.message, "line": e.line, "column": e.column, "key": e.key}
        }
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def _run(flow_path: str, input_arg: str, events: str | None, sandbox: str) -> int:
    try:
        flow = load_file(flow_path)
        input_ = _parse_input(input_arg)
        if not Path(sandbox).is_dir():
            raise LoadError("Io", f"sandbox is not a directory: {sandbox}", sandbox)
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
    finally:
        if sink is not None and sink is not sys.stdout:
            sink.close()
    if events != "-":
        print(json.dumps(outcome.state, indent=2, ensure_ascii=False))
    sys.stdout.flush()
    if outcome.error is not None:
        print(f"flow failed: {outcome.error[0]}: {outcome.error[1]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
