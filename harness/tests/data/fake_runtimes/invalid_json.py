"""A runtime whose event log has a line that is not JSON (its third event cut in half)."""

import _reference

done = _reference.run_reference()
lines = _reference.events_path().read_text().splitlines()
lines[2] = lines[2][: len(lines[2]) // 2]
_reference.events_path().write_text("\n".join(lines) + "\n")
_reference.finish(done)
