//! One test per normalization rule of contract §4, on small handmade runs.

use serde_json::{Value, json};

use super::{NormalizeError, normalize};

/// A run being emitted by hand: ids are UUID-shaped and derived from `run` and a counter, so two
/// runs differ in every id.
struct Run {
    run: u32,
    spans: Vec<(String, String, String, Option<String>)>,
    seq: u64,
    clock: f64,
    events: Vec<Value>,
}

impl Run {
    fn new(run: u32) -> Self {
        Self {
            run,
            spans: Vec::new(),
            seq: 0,
            clock: 1_700_000_000.0 + f64::from(run),
            events: Vec::new(),
        }
    }

    fn flow_id(&self) -> String {
        format!("{:08x}-0000-4000-8000-000000000000", self.run)
    }

    fn enter(
        &mut self,
        parent: Option<usize>,
        node: &str,
        kind: &str,
        action: Option<&str>,
    ) -> usize {
        let id = format!(
            "{:08x}-0000-4000-8000-{:012x}",
            self.run,
            self.spans.len() + 1
        );
        let parent_id = parent.map(|p| self.spans[p].0.clone());
        self.spans.push((
            id,
            node.to_owned(),
            kind.to_owned(),
            action.map(str::to_owned),
        ));
        let span = self.spans.len() - 1;
        self.push_with_parent(span, parent_id, "entry", json!({"input": {}}), json!({}));
        span
    }

    fn exit(&mut self, span: usize, output: Value, duration: f64) {
        self.push(
            span,
            "exit",
            json!({"output": output}),
            json!({"duration_ms": duration}),
        );
    }

    fn log(&mut self, span: usize, message: &str) {
        let mut data = json!({});
        data["note"] = json!(message);
        self.push(span, "log", data, json!({}));
    }

    fn push(&mut self, span: usize, event_type: &str, data: Value, metrics: Value) {
        let parent = self
            .events
            .iter()
            .find(|e| e["span_id"] == json!(self.spans[span].0))
            .map_or(Value::Null, |e| e["parent_id"].clone());
        let parent = parent.as_str().map(str::to_owned);
        self.push_with_parent(span, parent, event_type, data, metrics);
    }

    fn push_with_parent(
        &mut self,
        span: usize,
        parent: Option<String>,
        event_type: &str,
        data: Value,
        metrics: Value,
    ) {
        let (id, node, kind, action) = self.spans[span].clone();
        let level = if kind == "step" { "debug" } else { "info" };
        self.clock += 0.001;
        self.events.push(json!({
            "flow_id": self.flow_id(), "span_id": id, "parent_id": parent, "node": node,
            "kind": kind, "action": action, "level": level, "timestamp": self.clock,
            "seq": self.seq, "event_type": event_type, "message": format!("{kind} {event_type}"),
            "data": data, "metrics": metrics,
        }));
        self.seq += 1;
    }
}

fn yaml(events: &[Value]) -> String {
    normalize(events).expect("normalizes").to_yaml()
}

/// A flow with two sequential nodes.
fn linear(run: u32, duration: f64) -> Vec<Value> {
    let mut r = Run::new(run);
    let root = r.enter(None, "demo", "flow", None);
    let a = r.enter(Some(root), "a", "node", Some("state.set"));
    r.exit(a, json!({"x": 1}), duration);
    let b = r.enter(Some(root), "b", "node", Some("state.set"));
    r.exit(b, json!({"y": 2}), duration * 2.0);
    r.exit(root, json!({"x": 1, "y": 2}), duration * 4.0);
    r.events
}

#[test]
fn ids_become_labels_in_canonical_order() {
    let text = yaml(&linear(7, 1.0));
    assert!(text.starts_with("flow#1:\n  span#1:\n"), "{text}");
    assert!(text.contains("      - span#2:\n          action: state.set\n          kind: node\n          node: a\n"), "{text}");
    assert!(text.contains("      - span#3:\n"), "{text}");
    assert!(!text.contains("-4000-8000-"), "an id survived: {text}");
}

#[test]
fn runs_differing_only_in_ids_timestamps_and_durations_are_equal() {
    assert_eq!(normalize(&linear(1, 0.5)), normalize(&linear(2, 12.75)));
    let text = yaml(&linear(1, 0.5));
    assert!(text.contains("duration_ms: <duration_ms>"), "{text}");
    assert!(
        !text.contains("timestamp") && !text.contains("seq"),
        "{text}"
    );
}

#[test]
fn sequential_children_keep_their_entry_order() {
    let mut r = Run::new(3);
    let root = r.enter(None, "demo", "flow", None);
    let b = r.enter(Some(root), "b", "node", None);
    r.exit(b, json!(null), 1.0);
    let a = r.enter(Some(root), "a", "node", None);
    r.exit(a, json!(null), 1.0);
    r.exit(root, json!({}), 1.0);
    let text = yaml(&r.events);
    let (b_at, a_at) = (
        text.find("node: b").expect("b"),
        text.find("node: a").expect("a"),
    );
    assert!(b_at < a_at, "sequential children were re-ordered: {text}");
}

/// A fan-out whose branches end in the given order.
fn fanout(run: u32, completion: &[&str]) -> Vec<Value> {
    let mut r = Run::new(run);
    let root = r.enter(None, "demo", "flow", None);
    let par = r.enter(Some(root), "parallel(a,b,c)", "parallel", None);
    let mut spans = Vec::new();
    for &name in completion {
        spans.push((name, r.enter(Some(par), name, "node", Some("state.set"))));
    }
    for (name, span) in spans.iter().rev() {
        r.log(*span, name);
        r.exit(*span, json!({ *name: true }), 1.0);
    }
    r.exit(par, json!({"a": true, "b": true, "c": true}), 2.0);
    r.exit(root, json!({}), 3.0);
    r.events
}

#[test]
fn parallel_children_are_ordered_by_node() {
    let (one, two) = (fanout(1, &["c", "a", "b"]), fanout(2, &["b", "c", "a"]));
    let one = normalize(&one).expect("normalizes");
    assert_eq!(one, normalize(&two).expect("normalizes"));
    let text = one.to_yaml();
    let at = |n: &str| text.find(&format!("node: {n}\n")).expect(n);
    assert!(at("a") < at("b") && at("b") < at("c"), "{text}");
    // Labels follow the canonical order, not the emission order.
    assert!(text.contains("- span#3:\n                action: state.set\n                kind: node\n                node: a\n"), "{text}");
}

#[test]
fn numbers_compare_by_value() {
    let mut ints = linear(1, 1.0);
    let mut floats = linear(2, 1.0);
    ints[2]["data"]["output"] = json!({"n": 1, "big": 10_000_000_000_000_000_i64});
    floats[2]["data"]["output"] = json!({"n": 1.0, "big": 1e16});
    assert_eq!(normalize(&ints), normalize(&floats));
    floats[2]["data"]["output"]["n"] = json!(1.5);
    assert_ne!(normalize(&ints), normalize(&floats));
}

#[test]
fn key_order_never_matters() {
    let events = linear(1, 1.0);
    let reordered: Vec<Value> = events
        .iter()
        .map(|event| {
            let map = event.as_object().expect("object");
            let mut reversed = serde_json::Map::new();
            for (k, v) in map.iter().rev() {
                reversed.insert(k.clone(), v.clone());
            }
            Value::Object(reversed)
        })
        .collect();
    assert_eq!(normalize(&events), normalize(&reordered));
    let text = yaml(&events);
    let (data, level, message) = (
        text.find("data:"),
        text.find("level:"),
        text.find("message:"),
    );
    assert!(
        data < level && level < message,
        "keys are not sorted: {text}"
    );
}

#[test]
fn input_order_of_events_does_not_matter() {
    let events = linear(1, 1.0);
    let mut shuffled = events.clone();
    shuffled.reverse();
    assert_eq!(normalize(&events), normalize(&shuffled));
}

#[test]
fn multi_flow_logs_are_split_by_flow_id() {
    let first = linear(1, 1.0);
    let second = fanout(2, &["a", "b", "c"]);
    // Interleave the two runs, as a shared log would.
    let mut mixed = Vec::new();
    let mut left = first.iter();
    let mut right = second.iter();
    loop {
        match (left.next(), right.next()) {
            (None, None) => break,
            (l, r) => mixed.extend(l.into_iter().chain(r).cloned()),
        }
    }
    let normalized = normalize(&mixed).expect("normalizes");
    assert_eq!(normalized.flow_count(), 2);
    let flows = normalized.to_yaml();
    let only = yaml(&first);
    // Each flow's spans count from span#1, so a run normalizes the same alone or in company.
    let (flow1, flow2) = flows.split_at(flows.find("\nflow#2:\n").expect("a second flow") + 1);
    assert_eq!(flow1, only);
    assert!(flow2.starts_with("flow#2:\n  span#1:\n"), "{flow2}");
}

#[test]
fn flow_logs_inside_data_are_normalized_like_events() {
    let mut one = linear(1, 1.0);
    let mut two = linear(2, 7.0);
    for events in [&mut one, &mut two] {
        let nested_events: Vec<Value> = events[..3].to_vec();
        let flow_id = events[0]["flow_id"].clone();
        let root = events[0]["span_id"].clone();
        let child = events[1]["span_id"].clone();
        let duration = events[2]["metrics"]["duration_ms"].clone();
        events[4]["data"]["output"] = json!({
            "flow_id": flow_id,
            "events": nested_events,
            "spans": [{"span_id": root, "parent_id": null, "node": "demo", "kind": "flow",
                       "status": "running", "duration_ms": null,
                       "children": [{"span_id": child, "parent_id": root, "node": "a",
                                     "kind": "node", "status": "completed",
                                     "duration_ms": duration, "children": []}]}],
            "summary": {"events": 3, "errors": 0, "duration_ms": duration, "tokens": 0,
                        "cost_usd": 0.0, "dropped": 0},
            "path": format!("logs/{}.jsonl", flow_id.as_str().unwrap_or("")),
        });
    }
    assert_eq!(normalize(&one), normalize(&two));
    let text = yaml(&one);
    assert!(text.contains("path: logs/flow#1.jsonl"), "{text}");
    assert!(text.contains("span_id: span#2"), "{text}");
    assert!(text.contains("status: running"), "{text}");
    assert!(!text.contains("-4000-8000-"), "an id survived: {text}");
    assert!(!text.contains("timestamp"), "{text}");
}

#[test]
fn nested_event_lists_take_the_canonical_order() {
    let mut one = fanout(1, &["a", "b", "c"]);
    let mut two = fanout(2, &["c", "b", "a"]);
    for events in [&mut one, &mut two] {
        // An obs.query result: the branch exits, in buffer (completion) order.
        let exits: Vec<Value> = events
            .iter()
            .filter(|e| e["kind"] == "node" && e["event_type"] == "exit")
            .cloned()
            .collect();
        let last = events.len() - 1;
        events[last]["data"]["output"] = json!({"matches": exits});
    }
    assert_eq!(normalize(&one), normalize(&two));
}

#[test]
fn parallel_span_records_order_children_by_node() {
    let mut one = linear(1, 1.0);
    let mut two = linear(2, 1.0);
    for (events, order) in [(&mut one, ["b", "a"]), (&mut two, ["a", "b"])] {
        let children: Vec<Value> = order
            .iter()
            .map(|n| json!({"span_id": "x", "node": n, "children": [], "duration_ms": 1}))
            .collect();
        events[4]["data"]["output"] =
            json!({"span": {"span_id": "p", "kind": "parallel", "children": children}});
    }
    assert_eq!(normalize(&one), normalize(&two));
}

#[test]
fn a_null_duration_is_kept() {
    let mut events = linear(1, 1.0);
    events[2]["metrics"]["duration_ms"] = Value::Null;
    let text = yaml(&events);
    assert!(text.contains("duration_ms: null"), "{text}");
}

#[test]
fn messages_and_values_that_differ_are_not_equal() {
    let events = linear(1, 1.0);
    let mut changed = events.clone();
    changed[2]["message"] = json!("node finished");
    assert_ne!(normalize(&events), normalize(&changed));
    let mut changed = events.clone();
    changed[2]["level"] = json!("warn");
    assert_ne!(normalize(&events), normalize(&changed));
}

#[test]
fn orphan_spans_become_roots_with_a_missing_parent() {
    let mut events = linear(1, 1.0);
    for event in &mut events[1..3] {
        event["parent_id"] = json!("0000000f-0000-4000-8000-00000000000f");
    }
    let text = yaml(&events);
    assert!(text.contains("parent: missing#1"), "{text}");
}

#[test]
fn events_that_cannot_be_placed_are_errors() {
    let mut events = linear(1, 1.0);
    events[1].as_object_mut().expect("object").remove("seq");
    assert_eq!(
        normalize(&events),
        Err(NormalizeError::MissingField {
            line: 2,
            field: "seq"
        })
    );
    let mut events = linear(1, 1.0);
    events[3]["span_id"] = json!(5);
    assert!(matches!(
        normalize(&events),
        Err(NormalizeError::WrongType {
            line: 4,
            field: "span_id",
            ..
        })
    ));
    assert_eq!(
        normalize(&[json!([1])]),
        Err(NormalizeError::NotAnObject { line: 1 })
    );
}

#[test]
fn parent_cycles_are_errors() {
    let mut events = linear(1, 1.0);
    // The root claims its own child as parent: nothing is a root any more.
    let child = events[1]["span_id"].clone();
    for event in &mut events {
        if event["kind"] == "flow" {
            event["parent_id"] = child.clone();
        }
    }
    assert!(matches!(
        normalize(&events),
        Err(NormalizeError::ParentCycle { .. })
    ));
}

#[test]
fn an_empty_log_normalizes_to_an_empty_tree() {
    let normalized = normalize(&[]).expect("normalizes");
    assert_eq!(normalized.flow_count(), 0);
    assert_eq!(normalized.to_yaml(), "{}\n");
}

/// A node that emits a metric named `duration_ms` (data, not a measurement).
fn metric_run(run: u32, emitted: f64, measured: f64) -> Vec<Value> {
    let mut r = Run::new(run);
    let root = r.enter(None, "demo", "flow", None);
    let a = r.enter(Some(root), "a", "node", Some("metric.emit"));
    r.push(a, "metric", json!({}), json!({"duration_ms": emitted}));
    r.exit(a, Value::Null, measured);
    r.exit(root, json!({}), measured * 2.0);
    r.events
}

#[test]
fn only_measured_durations_are_masked() {
    // Exit and error durations are measurements: masked. A metric event's `duration_ms` is what
    // the flow asked to emit: compared.
    assert_eq!(
        yaml(&metric_run(1, 5.0, 1.0)),
        yaml(&metric_run(2, 5.0, 9.0))
    );
    assert_ne!(
        yaml(&metric_run(1, 5.0, 1.0)),
        yaml(&metric_run(2, 6.0, 1.0))
    );
    assert!(yaml(&metric_run(1, 5.0, 1.0)).contains("duration_ms: 5"));
}
