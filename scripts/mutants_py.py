"""The two steps of scripts/mutants-py around cosmic-ray's own commands, run from the copied tree
(module paths are relative to it):

    python mutants_py.py prepare SESSION SHARD EQUIVALENTS   after `cosmic-ray init` and the operator filter
    python mutants_py.py score SESSION SURVIVED              after `cosmic-ray exec`

A mutant is named "path:line:col: operator in function: code", the code running from the mutated
position to the end of its line: survivors are printed so, and each line of the equivalents file is a
regular expression searched in that name (`\\d+:\\d+` for the position), then two spaces, `#` and why.
"""

import ast
import re
import sys

from cosmic_ray.work_db import use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

SOURCES = {}


def source_map(path):
    """A file's lines, and the (first line, last line, name) of the module and each function and class."""
    with open(path, encoding="utf-8") as source:
        text = source.read()
    scopes = [(0, sys.maxsize, "<module>")]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scopes.append((node.lineno, node.end_lineno, node.name))
    return text.splitlines(), scopes


def name(mutation):
    """The mutant's name: function and code name it across edits elsewhere in the file."""
    line, column = mutation.start_pos
    path = str(mutation.module_path)
    if path not in SOURCES:
        SOURCES[path] = source_map(path)
    lines, scopes = SOURCES[path]
    _, scope = min(
        (end - start, scope) for start, end, scope in scopes if start <= line <= end
    )
    code = lines[line - 1][column:].rstrip()
    return f"{path}:{line}:{column}: {mutation.operator_name} in {scope}: {code}"


def read_equivalents(path):
    with open(path, encoding="utf-8") as lines:
        return [
            re.compile(line.split("  #")[0].strip())
            for line in lines
            if line.strip() and not line.startswith("#")
        ]


def place(item):
    """Job ids are random: mutants are ordered by what they mutate, so a shard is the same set on every run."""
    return [
        (str(m.module_path), m.start_pos, m.operator_name, m.occurrence)
        for m in item.mutations
    ]


def prepare(session, shard, equivalents_file):
    """Leaves the equivalents out, then shards the rest round robin."""
    equivalents = read_equivalents(equivalents_file)
    skip = lambda why: WorkResult(output=why, worker_outcome=WorkerOutcome.SKIPPED)
    with use_db(session) as db:
        pending = []
        matched = {pattern.pattern: 0 for pattern in equivalents}
        for item in sorted(db.pending_work_items, key=place):
            names = [name(m) for m in item.mutations]
            hits = [p.pattern for p in equivalents if any(p.search(n) for n in names)]
            for pattern in hits:
                matched[pattern] += 1
            if hits:
                db.set_result(item.job_id, skip("Equivalent"))
            else:
                pending.append(item)
        # An entry naming no mutant (its code changed) or several (it says too little) is an error.
        wrong = [(count, pattern) for pattern, count in matched.items() if count != 1]
        for count, pattern in wrong:
            print(f"scripts/mutants-py: names {count} mutants, not 1: {pattern}")
        if wrong:
            return 2
        line = f"scripts/mutants-py: {len(pending)} mutants after the operator filter and the equivalents"
        if shard:
            k, n = map(int, shard.split("/"))
            for index, item in enumerate(pending):
                if index % n != k:
                    db.set_result(item.job_id, skip("Other shard"))
            line += f", {len(pending[k::n])} in shard {k}/{n}"
    print(line)


def score(session, survived_file):
    """The score over viable mutants: killed and timed-out ones are caught; incompetent ones (the mutated
    module no longer imports) are not viable; skipped ones were filtered or in another shard."""
    caught = missed = unviable = 0
    survivors = []
    with use_db(session) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            if result.test_outcome in (None, TestOutcome.INCOMPETENT):
                unviable += 1
            elif result.test_outcome == TestOutcome.SURVIVED:
                missed += 1
                survivors.extend(name(m) for m in item.mutations)
            else:
                caught += 1
    with open(survived_file, "w", encoding="utf-8") as out:
        out.write("".join(line + "\n" for line in sorted(survivors)))
    viable = caught + missed
    percent = 100.0 * caught / viable if viable else 100.0
    print(
        f"scripts/mutants-py: {viable} viable mutants: {caught} caught, {missed} missed ({percent:.1f} %), "
        f"{unviable} unviable; survivors in {survived_file}"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    sys.exit(prepare(*args) if command == "prepare" else score(*args))
