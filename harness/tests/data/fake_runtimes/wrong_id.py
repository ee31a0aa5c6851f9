"""A runtime that gets an id wrong: the first node's exit names a span that does not exist."""

import _reference

done = _reference.run_reference()
events = _reference.read_events()
exit_event = next(
    e for e in events if e["kind"] == "node" and e["event_type"] == "exit"
)
exit_event["span_id"] = "00000000-0000-4000-8000-000000000000"
_reference.write_events(events)
_reference.finish(done)
