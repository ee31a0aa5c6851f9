"""A runtime that loses the exit event of the first node span."""

import _reference

done = _reference.run_reference()
events = _reference.read_events()
index = next(
    i for i, e in enumerate(events) if e["kind"] == "node" and e["event_type"] == "exit"
)
del events[index]
for seq, event in enumerate(events):
    event["seq"] = seq
_reference.write_events(events)
_reference.finish(done)
