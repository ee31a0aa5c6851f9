"""A runtime whose events are right but whose final state has an extra key."""

import json

import _reference

done = _reference.run_reference()
if done.returncode == 2:  # a load error: no state to spoil
    _reference.finish(done)
state = json.loads(done.stdout)
state["stray"] = True
_reference.finish(done, stdout=json.dumps(state, indent=2) + "\n")
