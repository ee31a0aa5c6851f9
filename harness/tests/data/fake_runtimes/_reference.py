"""Shared by the fake runtimes: run the checkout's Python twin (``python -m yamlflow``) with the
command line the fake received, and give back what it did, for the fake to corrupt.

Each fake is run by ``twinflow conform`` as ``python FAKE.py run {flow} --input @{input} --events
{events} --sandbox {sandbox}``.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

CHECKOUT_PYTHON = Path(__file__).resolve().parents[3] / "python"


def run_reference(argv=None):
    """Runs the reference CLI with ``argv`` (default: this process's arguments)."""
    env = dict(os.environ, PYTHONPATH=str(CHECKOUT_PYTHON))
    return subprocess.run(
        [sys.executable, "-m", "yamlflow", *(sys.argv[1:] if argv is None else argv)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def events_path():
    """The ``--events`` argument."""
    args = sys.argv[1:]
    return Path(args[args.index("--events") + 1])


def read_events():
    """The events the reference wrote, parsed."""
    return [
        json.loads(line)
        for line in events_path().read_text().splitlines()
        if line.strip()
    ]


def write_events(events):
    """Replaces the event log."""
    events_path().write_text("".join(json.dumps(event) + "\n" for event in events))


def finish(done, stdout=None, stderr=None):
    """Prints what the reference printed (or the replacements) and exits with its status."""
    sys.stdout.write(done.stdout if stdout is None else stdout)
    sys.stderr.write(done.stderr if stderr is None else stderr)
    sys.exit(done.returncode)
