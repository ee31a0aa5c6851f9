"""A runtime whose events are right but whose final state has an extra key."""

import json

import _reference

done = _reference.run_reference()
state = json.loads(done.stdout)
state["stray"] = True
_reference.finish(done, stdout=json.dumps(state, indent=2) + "\n")
