"""A runtime that runs two sequential sibling nodes in the wrong order: the first two node spans'
events swap places in the log (seq and timestamps renumbered, so the log itself is well formed)."""

import _reference

done = _reference.run_reference()
events = _reference.read_events()
nodes = [
    e["span_id"] for e in events if e["kind"] == "node" and e["event_type"] == "entry"
]
first, second = nodes[0], nodes[1]
head = [e for e in events if e["span_id"] not in (first, second)]
cut = next(
    i
    for i, e in enumerate(head)
    if e["seq"] > max(x["seq"] for x in events if x["span_id"] == first)
)
moved = [e for e in events if e["span_id"] == second] + [
    e for e in events if e["span_id"] == first
]
reordered = head[:cut] + moved + head[cut:]
stamps = sorted(e["timestamp"] for e in events)
for seq, event in enumerate(reordered):
    event["seq"] = seq
    event["timestamp"] = stamps[seq]
_reference.write_events(reordered)
_reference.finish(done)
