//! `--to chrome-trace`: the Trace Event Format's JSON object form
//! (<https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU>), which
//! Perfetto (<https://ui.perfetto.dev>) and `chrome://tracing` open.
//!
//! Each log is one process (`pid` 1, 2, … in input order) named after the log, so two engines'
//! runs of a fixture show as two tracks one above the other. Its time starts at 0 when its first
//! run starts, so the two runs line up. That start is known once the first run's root span ends
//! (a span whose entry a level filter dropped starts `duration_ms` before its end), so the first
//! run's spans are held until then; later spans are written as they end. A span is a complete event (`X`) with its ids, action,
//! status, data and duration in `args`; its `log`, `metric` and retry `error` events are instant
//! events (`i`) on the span's thread; every number of a `metric` event is also a counter (`C`).
//!
//! Complete events on one thread must nest. Spans that overlap without nesting (the branches of a
//! fan-out) therefore go on lanes, one thread each: a span goes on its parent's lane when the
//! parent is the innermost open span there, else on the first free lane.

use std::collections::HashMap;
use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::metrics::MetricSet;
use super::sink::Sink;
use super::spans::{Span, SpanEvent, Status};
use crate::finding::Finding;

/// One open span's place: its lane.
type Key = (String, String);

/// Microseconds rounded to whole nanoseconds: enough, and short.
fn round_nanos(micros: f64) -> f64 {
    (micros * 1000.0).round() / 1000.0
}

/// Streams a trace; every event is written on its own line.
pub(super) struct ChromeSink<'a> {
    out: Box<dyn Write + 'a>,
    written: usize,
    pid: usize,
    /// The current log's time 0, in seconds, once known.
    origin: Option<f64>,
    /// The spans that ended before the origin was known, with their lanes.
    pending: Vec<(Span, usize)>,
    /// The open spans on each lane, outermost first.
    lanes: Vec<Vec<Key>>,
    lane_of: HashMap<Key, usize>,
}

impl<'a> ChromeSink<'a> {
    pub(super) fn new(mut out: Box<dyn Write + 'a>) -> io::Result<Self> {
        out.write_all(b"{\"displayTimeUnit\":\"ms\",\"traceEvents\":[")?;
        Ok(Self {
            out,
            written: 0,
            pid: 0,
            origin: None,
            pending: Vec::new(),
            lanes: Vec::new(),
            lane_of: HashMap::new(),
        })
    }

    fn write(&mut self, event: &Value) -> io::Result<()> {
        let separator = if self.written == 0 { "\n" } else { ",\n" };
        self.written += 1;
        write!(self.out, "{separator}{event}")
    }

    /// Microseconds since the log's time 0 (never before it: only a run overlapping the first
    /// one, without entries, could start earlier).
    fn micros(&self, seconds: f64) -> f64 {
        round_nanos((seconds - self.origin.unwrap_or(seconds)).max(0.0) * 1e6)
    }

    /// Fixes the origin at the earliest start held, and writes the spans held.
    fn flush_pending(&mut self) -> io::Result<()> {
        let pending = std::mem::take(&mut self.pending);
        if let Some(start) = pending.iter().map(|(span, _)| span.start).reduce(f64::min) {
            self.origin.get_or_insert(start);
        }
        for (span, tid) in &pending {
            self.write_span(span, *tid)?;
        }
        Ok(())
    }

    /// A span's complete event, then its instant and counter events.
    fn write_span(&mut self, span: &Span, tid: usize) -> io::Result<()> {
        let mut args = Map::new();
        args.insert("flow_id".into(), json!(span.flow_id));
        args.insert("span_id".into(), json!(span.span_id));
        args.insert("parent_id".into(), json!(span.parent_id));
        args.insert("action".into(), json!(span.action));
        if let Some(tenant) = &span.tenant {
            args.insert("tenant".into(), json!(tenant));
        }
        let status = match &span.status {
            Status::Ok => json!("ok"),
            Status::Error { kind, message } => json!(format!("error: {kind}: {message}")),
            Status::Unfinished => json!("unfinished"),
        };
        args.insert("status".into(), status);
        for data in [&span.entry_data, &span.end_data, &span.end_metrics] {
            args.extend(data.clone());
        }
        let (ts, end) = (self.micros(span.start), self.micros(span.end));
        let pid = self.pid;
        self.write(
            &json!({"ph": "X", "name": span.node, "cat": span.kind, "pid": pid,
                           "tid": tid, "ts": ts, "dur": round_nanos(end - ts).max(0.0), "args": args}),
        )?;
        for event in &span.events {
            self.instant(event, tid)?;
        }
        Ok(())
    }

    /// The lane (thread id, from 1) for a span that starts now, under `parent`.
    fn place(&mut self, key: Key, parent: Option<Key>) -> io::Result<usize> {
        let lane = parent
            .and_then(|parent| {
                let lane = *self.lane_of.get(&parent)?;
                (self.lanes[lane].last() == Some(&parent)).then_some(lane)
            })
            .or_else(|| self.lanes.iter().position(Vec::is_empty));
        let lane = match lane {
            Some(lane) => lane,
            None => {
                self.lanes.push(Vec::new());
                let lane = self.lanes.len() - 1;
                let name = if lane == 0 {
                    "spans".to_owned()
                } else {
                    format!("spans (lane {})", lane + 1)
                };
                let pid = self.pid;
                self.write(
                    &json!({"ph": "M", "name": "thread_name", "pid": pid, "tid": lane + 1,
                                   "args": {"name": name}}),
                )?;
                lane
            }
        };
        self.lanes[lane].push(key.clone());
        self.lane_of.insert(key, lane);
        Ok(lane + 1)
    }

    fn instant(&mut self, event: &SpanEvent, tid: usize) -> io::Result<()> {
        let mut args = Map::new();
        args.insert("event_type".into(), json!(event.event_type));
        args.insert("level".into(), json!(event.level));
        args.insert("seq".into(), json!(event.seq));
        args.extend(event.data.clone());
        if !event.metrics.is_empty() {
            args.insert("metrics".into(), Value::Object(event.metrics.clone()));
        }
        let ts = self.micros(event.timestamp);
        let pid = self.pid;
        self.write(
            &json!({"ph": "i", "s": "t", "name": event.name(), "cat": event.event_type,
                           "pid": pid, "tid": tid, "ts": ts, "args": args}),
        )?;
        if event.event_type != "metric" {
            return Ok(());
        }
        for (name, value) in &event.metrics {
            if value.is_number() {
                self.write(&json!({"ph": "C", "name": name, "pid": pid, "ts": ts,
                                   "args": {name: value}}))?;
            }
        }
        Ok(())
    }
}

impl Sink for ChromeSink<'_> {
    fn begin_log(&mut self, index: usize, name: &str) -> io::Result<()> {
        self.pid = index + 1;
        self.origin = None;
        self.lanes.clear();
        self.lane_of.clear();
        let pid = self.pid;
        self.write(
            &json!({"ph": "M", "name": "process_name", "pid": pid, "tid": 0,
                           "args": {"name": name}}),
        )?;
        self.write(
            &json!({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0,
                           "args": {"sort_index": pid}}),
        )
    }

    fn span_started(&mut self, span: &Span) -> io::Result<()> {
        let parent = span
            .parent_id
            .as_ref()
            .map(|parent| (span.flow_id.clone(), parent.clone()));
        self.place((span.flow_id.clone(), span.span_id.clone()), parent)?;
        Ok(())
    }

    fn span_ended(&mut self, span: &Span) -> io::Result<()> {
        let key = (span.flow_id.clone(), span.span_id.clone());
        let tid = match self.lane_of.remove(&key) {
            Some(lane) => {
                self.lanes[lane].retain(|open| *open != key);
                lane + 1
            }
            None => 1,
        };
        if self.origin.is_some() {
            return self.write_span(span, tid);
        }
        self.pending.push((span.clone(), tid));
        if span.parent_id.is_none() {
            self.flush_pending()?;
        }
        Ok(())
    }

    fn end_log(&mut self) -> io::Result<()> {
        self.flush_pending()
    }

    fn finish(
        mut self: Box<Self>,
        _metrics: &MetricSet,
        _findings: &mut Vec<Finding>,
    ) -> io::Result<()> {
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::{Exporter, Target};

    fn event(span: &str, parent: Option<&str>, kind: &str, event_type: &str, ts: f64) -> Value {
        let data = match event_type {
            "entry" => json!({"input": {}}),
            _ => json!({"output": {}}),
        };
        json!({"flow_id": "f", "span_id": span, "parent_id": parent, "node": span, "kind": kind,
               "action": null, "level": "info", "timestamp": ts, "seq": 0,
               "event_type": event_type, "message": "m", "data": data, "metrics": {}})
    }

    #[test]
    fn overlapping_branches_go_on_lanes_and_time_starts_at_the_first_run() {
        let mut out = Vec::new();
        let mut exporter = Exporter::new(Target::ChromeTrace, Box::new(&mut out), None).unwrap();
        exporter.begin_log("one.jsonl").unwrap();
        for event in [
            event("root", None, "flow", "entry", 10.0),
            event("par", Some("root"), "parallel", "entry", 10.001),
            event("a", Some("par"), "node", "entry", 10.002),
            event("b", Some("par"), "node", "entry", 10.003),
            event("a", Some("par"), "node", "exit", 10.004),
            event("c", Some("par"), "node", "entry", 10.005),
            event("b", Some("par"), "node", "exit", 10.006),
            event("c", Some("par"), "node", "exit", 10.007),
            event("par", Some("root"), "parallel", "exit", 10.008),
            event("root", None, "flow", "exit", 10.009),
        ] {
            exporter.push(&event).unwrap();
        }
        exporter.end_log().unwrap();
        exporter.finish().unwrap();
        let trace: Value = serde_json::from_slice(&out).unwrap();
        let complete: Vec<(&str, u64, f64)> = trace["traceEvents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|event| event["ph"] == "X")
            .map(|e| {
                (
                    e["name"].as_str().unwrap(),
                    e["tid"].as_u64().unwrap(),
                    e["ts"].as_f64().unwrap(),
                )
            })
            .collect();
        // `a` nests in `par` on lane 1; `b` overlaps it, so lane 2; `c` starts while `b` runs and
        // `par`'s lane has `a` gone: lane 1 again.
        let lane = |name: &str| complete.iter().find(|(n, _, _)| *n == name).unwrap().1;
        assert_eq!(["root", "par", "a", "b", "c"].map(lane), [1, 1, 1, 2, 1]);
        let root = complete.iter().find(|(n, _, _)| *n == "root").unwrap();
        assert_eq!(root.2, 0.0);
        assert!(
            trace["traceEvents"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["name"] == "thread_name" && e["tid"] == 2)
        );
    }
}
