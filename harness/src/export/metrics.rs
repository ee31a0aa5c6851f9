//! The metrics `twinflow export` derives from a log, shared by the Prometheus and OTLP outputs.
//!
//! The metric kinds are contract §3.7's, read from what it says about each measurement (§3.1, §3.2,
//! §3.6):
//! - `tokens` and `cost_usd` are amounts that add up (the flow log's summary sums them, §3.6):
//!   **counters**, summed per series;
//! - a span's final `duration_ms` (its `exit` or final `error`) is a latency: one **histogram** of
//!   span durations;
//! - every other number a `metric` event carries (`metric.emit`) is a reading: a **gauge**, whose
//!   value is the series' last reading in log order.
//!
//! A series is one log × flow name × node (× span kind and status for the histogram). Values that
//! are not numbers (a redacted `"[REDACTED]"`) are left out.

use std::collections::BTreeMap;

use serde_json::Value;

use super::spans::{Span, Status};

/// Upper bounds of the duration histogram's buckets, in seconds (Prometheus' default buckets).
pub const BUCKETS_SECONDS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// What a family measures, and so how its series add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A sum that only grows.
    Counter,
    /// The last reading.
    Gauge,
    /// A distribution of span durations.
    Histogram,
}

/// A family: the measurement it comes from and its kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FamilyKey {
    /// The kind (families sort counters first, then gauges, then the histogram).
    pub kind: Kind,
    /// The `metrics` key (`tokens`, `cost_usd`, a gauge's name) or `duration_ms` for the
    /// histogram.
    pub source: String,
}

/// One series' labels.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Labels {
    /// The log (its index among the inputs).
    pub log: usize,
    /// The flow's name.
    pub flow: String,
    /// The span's `node`.
    pub node: String,
    /// For the histogram: the span's kind and how it ended (`ok`, `error`); empty otherwise.
    pub kind: String,
    /// See `kind`.
    pub status: String,
}

/// One series' value.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Seconds since the Unix epoch of the first observation.
    pub start: f64,
    /// Seconds since the Unix epoch of the last observation.
    pub time: f64,
    /// The counter's sum, the gauge's last value, or the histogram's sum (in seconds).
    pub value: f64,
    /// Whether every observation was an integer (counters and gauges print as integers then).
    pub integer: bool,
    /// Observations made.
    pub count: u64,
    /// Histogram only: observations per bucket of [`BUCKETS_SECONDS`] (not cumulative), then
    /// those above the last bound.
    pub buckets: Vec<u64>,
    /// Histogram only: the smallest and largest observation, in seconds.
    pub min: f64,
    /// See `min`.
    pub max: f64,
}

impl Series {
    fn new(time: f64) -> Self {
        Self {
            start: time,
            time,
            value: 0.0,
            integer: true,
            count: 0,
            buckets: Vec::new(),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

/// Every family's series, over all the logs exported.
#[derive(Debug, Default, Clone)]
pub struct MetricSet {
    /// The logs' names, by index.
    pub logs: Vec<String>,
    /// The families, each with its series.
    pub families: BTreeMap<FamilyKey, BTreeMap<Labels, Series>>,
}

impl MetricSet {
    /// Starts the next log, named `name`; returns its index.
    pub fn begin_log(&mut self, name: &str) -> usize {
        self.logs.push(name.to_owned());
        self.logs.len() - 1
    }

    /// Records the counters and gauges of `event` (of log `log`, flow named `flow`).
    pub fn observe_event(&mut self, log: usize, flow: &str, event: &Value) {
        let Some(metrics) = event.get("metrics").and_then(Value::as_object) else {
            return;
        };
        let is_metric = event.get("event_type").and_then(Value::as_str) == Some("metric");
        let time = event
            .get("timestamp")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let node = event
            .get("node")
            .and_then(Value::as_str)
            .unwrap_or_default();
        for (key, value) in metrics {
            let kind = match key.as_str() {
                "tokens" | "cost_usd" => Kind::Counter,
                _ if is_metric => Kind::Gauge,
                _ => continue,
            };
            let Some(number) = value.as_f64() else {
                continue;
            };
            let labels = Labels {
                log,
                flow: flow.to_owned(),
                node: node.to_owned(),
                kind: String::new(),
                status: String::new(),
            };
            let series = self.series(kind, key, labels, time);
            let integer = value.is_i64() || value.is_u64();
            if kind == Kind::Counter {
                series.value += number;
                series.integer &= integer;
            } else {
                series.value = number;
                series.integer = integer;
            }
            series.count += 1;
        }
    }

    /// Records the duration of a span that ended (of log `log`).
    pub fn observe_span(&mut self, log: usize, span: &Span) {
        let (status, Some(ms)) = (
            match span.status {
                Status::Ok => "ok",
                Status::Error { .. } => "error",
                Status::Unfinished => return,
            },
            span.duration_ms(),
        ) else {
            return;
        };
        let labels = Labels {
            log,
            flow: span.flow.clone(),
            node: span.node.clone(),
            kind: span.kind.clone(),
            status: status.to_owned(),
        };
        let seconds = ms / 1000.0;
        let series = self.series(Kind::Histogram, "duration_ms", labels, span.end);
        if series.buckets.is_empty() {
            series.buckets = vec![0; BUCKETS_SECONDS.len() + 1];
        }
        let bucket = BUCKETS_SECONDS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS_SECONDS.len());
        series.buckets[bucket] += 1;
        series.value += seconds;
        series.count += 1;
        series.integer = false;
        series.min = series.min.min(seconds);
        series.max = series.max.max(seconds);
    }

    fn series(&mut self, kind: Kind, source: &str, labels: Labels, time: f64) -> &mut Series {
        let family = FamilyKey {
            kind,
            source: source.to_owned(),
        };
        let series = self
            .families
            .entry(family)
            .or_default()
            .entry(labels)
            .or_insert_with(|| Series::new(time));
        series.time = time;
        series
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn counters_add_up_gauges_keep_the_last_reading_and_strings_are_left_out() {
        let mut set = MetricSet::default();
        let log = set.begin_log("a.jsonl");
        for (tokens, latency) in [(3, json!(1.5)), (4, json!(2))] {
            let event = json!({"event_type": "metric", "node": "n", "timestamp": 5.0,
                "metrics": {"tokens": tokens, "latency": latency, "api_key": "[REDACTED]"}});
            set.observe_event(log, "flow", &event);
        }
        let exit = json!({"event_type": "exit", "node": "n", "metrics": {"duration_ms": 3}});
        set.observe_event(log, "flow", &exit);
        let names: Vec<(Kind, &str)> = set
            .families
            .keys()
            .map(|key| (key.kind, key.source.as_str()))
            .collect();
        assert_eq!(names, [(Kind::Counter, "tokens"), (Kind::Gauge, "latency")]);
        let tokens = set
            .families
            .values()
            .next()
            .unwrap()
            .values()
            .next()
            .unwrap();
        assert_eq!((tokens.value, tokens.integer, tokens.count), (7.0, true, 2));
        let latency = set
            .families
            .values()
            .nth(1)
            .unwrap()
            .values()
            .next()
            .unwrap();
        assert_eq!((latency.value, latency.integer), (2.0, true));
    }
}
