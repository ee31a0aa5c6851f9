"""A runtime that refuses the flow with the right kind but one line too low
(``file:line:column: Kind: message``, the line plus one)."""

import re

import _reference

done = _reference.run_reference()
stderr = re.sub(
    r":(\d+):(\d+): ",
    lambda m: f":{int(m.group(1)) + 1}:{m.group(2)}: ",
    done.stderr,
    count=1,
)
_reference.finish(done, stderr=stderr)
