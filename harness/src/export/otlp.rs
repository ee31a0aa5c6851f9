//! `--to otlp-json`: the OpenTelemetry protocol's JSON encoding
//! (<https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding>): an
//! `ExportTraceServiceRequest` of the spans, and an `ExportMetricsServiceRequest` of the metrics.
//!
//! The encoding's rules: field names in lowerCamelCase, trace and span ids as lower-case hex (32
//! and 16 digits), enums as integers, 64-bit integers (times in nanoseconds since the epoch,
//! counts, `intValue`) as decimal strings. One `resourceSpans` (and `resourceMetrics`) per log,
//! with the log's name as the resource attribute `twinflow.log`. Spans are written as they end,
//! one per line.
//!
//! Ids are derived, never random, so one log always exports the same: the trace id is the
//! `flow_id` UUID's 128 bits (a hash for an id that is not a UUID), the span id a 64-bit FNV-1a
//! hash of `flow_id` and `span_id`. A run's tenant (contract §3.8) is the span attribute
//! `yamlflow.tenant`, so a backend can keep tenants apart.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::metrics::{BUCKETS_SECONDS, FamilyKey, Kind, Labels, MetricSet, Series};
use super::sink::Sink;
use super::spans::{Span, SpanEvent, Status};
use crate::finding::Finding;

/// `SPAN_KIND_INTERNAL`: every span is a step inside the engine's process.
const SPAN_KIND_INTERNAL: u8 = 1;
/// `STATUS_CODE_OK`, `STATUS_CODE_ERROR`.
const STATUS_OK: u8 = 1;
const STATUS_ERROR: u8 = 2;
/// `AGGREGATION_TEMPORALITY_CUMULATIVE`.
const CUMULATIVE: u8 = 2;

/// 64-bit FNV-1a of `parts`, each followed by a 0 byte.
fn fnv1a(parts: &[&str], seed: u64) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325 ^ seed;
    for byte in parts.iter().flat_map(|part| part.bytes().chain([0])) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The trace id of run `flow_id`: its UUID's hex digits, else 128 bits of hash; never all zero.
#[must_use]
pub fn trace_id(flow_id: &str) -> String {
    let hex: String = flow_id.chars().filter(|c| *c != '-').collect();
    let is_uuid = hex.len() == 32
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && hex.bytes().any(|b| b != b'0');
    if is_uuid && flow_id.len() == 36 {
        return hex.to_ascii_lowercase();
    }
    let high = fnv1a(&[flow_id], 1);
    let low = fnv1a(&[flow_id], 2).max(1);
    format!("{high:016x}{low:016x}")
}

/// The span id of span `span_id` of run `flow_id`: 64 bits of hash, never all zero.
#[must_use]
pub fn span_id(flow_id: &str, span_id: &str) -> String {
    format!("{:016x}", fnv1a(&[flow_id, span_id], 0).max(1))
}

/// Seconds since the epoch as the nanoseconds string OTLP wants. Whole seconds and the fraction
/// are scaled apart: `seconds * 1e9` would round to 256 ns at today's epoch.
fn nanos(seconds: f64) -> String {
    let seconds = seconds.max(0.0);
    let whole = seconds.trunc();
    // Saturating casts: schema-valid timestamps are finite and non-negative.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (whole, fraction) = (whole as u64, ((seconds - whole) * 1e9).round() as u64);
    whole
        .saturating_mul(1_000_000_000)
        .saturating_add(fraction)
        .to_string()
}

/// Levels of nested objects and lists carried as `kvlistValue`/`arrayValue`; anything deeper is
/// carried as its JSON text. Each level costs three message levels (`AnyValue`, `KeyValueList`,
/// `KeyValue`), and protobuf's parsers stop at 100 by default (Python's `json_format`).
pub const MAX_VALUE_DEPTH: usize = 16;

/// A JSON value as an OTLP `AnyValue`.
#[must_use]
pub fn any_value(value: &Value) -> Value {
    nested_value(value, 0)
}

fn nested_value(value: &Value, depth: usize) -> Value {
    match value {
        Value::Null => json!({}),
        Value::Bool(b) => json!({"boolValue": b}),
        Value::Number(n) => match n.as_i64() {
            Some(i) => json!({"intValue": i.to_string()}),
            None => json!({"doubleValue": n.as_f64()}),
        },
        Value::String(s) => json!({"stringValue": s}),
        _ if depth >= MAX_VALUE_DEPTH => json!({"stringValue": value.to_string()}),
        Value::Array(items) => {
            let values: Vec<Value> = items
                .iter()
                .map(|item| nested_value(item, depth + 1))
                .collect();
            json!({"arrayValue": {"values": values}})
        }
        Value::Object(map) => {
            let values: Vec<Value> = map
                .iter()
                .map(|(key, item)| json!({"key": key, "value": nested_value(item, depth + 1)}))
                .collect();
            json!({"kvlistValue": {"values": values}})
        }
    }
}

/// Each entry of `map` as a `KeyValue`, its key prefixed with `prefix`.
fn attributes(map: &Map<String, Value>, prefix: &str) -> Vec<Value> {
    map.iter()
        .map(|(key, value)| attribute(&format!("{prefix}{key}"), value))
        .collect()
}

fn attribute(key: &str, value: &Value) -> Value {
    json!({"key": key, "value": any_value(value)})
}

/// The `Span` message of `span`.
#[must_use]
pub fn span_json(span: &Span) -> Value {
    let mut attrs = vec![
        attribute("yamlflow.flow", &json!(span.flow)),
        attribute("yamlflow.flow_id", &json!(span.flow_id)),
        attribute("yamlflow.span_id", &json!(span.span_id)),
        attribute("yamlflow.kind", &json!(span.kind)),
    ];
    if let Some(action) = &span.action {
        attrs.push(attribute("yamlflow.action", &json!(action)));
    }
    if let Some(tenant) = &span.tenant {
        attrs.push(attribute("yamlflow.tenant", &json!(tenant)));
    }
    attrs.extend(attributes(&span.entry_data, "yamlflow."));
    attrs.extend(attributes(&span.end_data, "yamlflow."));
    attrs.extend(attributes(&span.end_metrics, "yamlflow."));
    let status = match &span.status {
        Status::Ok => json!({"code": STATUS_OK}),
        Status::Error { kind, message } => {
            attrs.push(attribute("error.type", &json!(kind)));
            json!({"code": STATUS_ERROR, "message": message})
        }
        Status::Unfinished => json!({}),
    };
    let mut out = json!({
        "traceId": trace_id(&span.flow_id),
        "spanId": span_id(&span.flow_id, &span.span_id),
        "name": span.node,
        "kind": SPAN_KIND_INTERNAL,
        "startTimeUnixNano": nanos(span.start),
        "endTimeUnixNano": nanos(span.end),
        "attributes": attrs,
        "events": span.events.iter().map(event_json).collect::<Vec<_>>(),
        "status": status,
    });
    if let Some(parent) = &span.parent_id {
        out["parentSpanId"] = json!(span_id(&span.flow_id, parent));
    }
    out
}

/// A span's `log`, `metric` or retry `error` event as a span `Event`.
fn event_json(event: &SpanEvent) -> Value {
    let mut attrs = vec![
        attribute("yamlflow.event_type", &json!(event.event_type)),
        attribute("yamlflow.level", &json!(event.level)),
        attribute("yamlflow.seq", &json!(event.seq)),
    ];
    attrs.extend(attributes(&event.data, "yamlflow.data."));
    attrs.extend(attributes(&event.metrics, "yamlflow.metrics."));
    json!({"timeUnixNano": nanos(event.timestamp), "name": event.name(), "attributes": attrs})
}

/// The `Resource` of log `name`.
fn resource(name: &str) -> Value {
    json!({"attributes": [
        attribute("service.name", &json!("yamlflow")),
        attribute("twinflow.log", &json!(name)),
    ]})
}

/// The `InstrumentationScope` of every span and metric.
fn scope() -> Value {
    json!({"name": "twinflow", "version": env!("CARGO_PKG_VERSION")})
}

/// Streams an `ExportTraceServiceRequest`; writes the `ExportMetricsServiceRequest` at the end,
/// when asked to.
pub(super) struct OtlpSink<'a> {
    out: Box<dyn Write + 'a>,
    metrics: Option<Box<dyn Write + 'a>>,
    logs: usize,
    spans_in_log: usize,
}

impl<'a> OtlpSink<'a> {
    pub(super) fn new(
        mut out: Box<dyn Write + 'a>,
        metrics: Option<Box<dyn Write + 'a>>,
    ) -> io::Result<Self> {
        out.write_all(b"{\"resourceSpans\":[")?;
        Ok(Self {
            out,
            metrics,
            logs: 0,
            spans_in_log: 0,
        })
    }
}

impl Sink for OtlpSink<'_> {
    fn begin_log(&mut self, _index: usize, name: &str) -> io::Result<()> {
        let separator = if self.logs == 0 { "\n" } else { ",\n" };
        let head = json!({"resource": resource(name)}).to_string();
        // The resource object stays open for its scopeSpans.
        let head = head.strip_suffix('}').unwrap_or(&head);
        write!(
            self.out,
            "{separator}{head},\"scopeSpans\":[{{\"scope\":{},\"spans\":[",
            scope()
        )?;
        self.logs += 1;
        self.spans_in_log = 0;
        Ok(())
    }

    fn span_ended(&mut self, span: &Span) -> io::Result<()> {
        let separator = if self.spans_in_log == 0 { "\n" } else { ",\n" };
        self.spans_in_log += 1;
        write!(self.out, "{separator}{}", span_json(span))
    }

    fn end_log(&mut self) -> io::Result<()> {
        self.out.write_all(b"\n]}]}")
    }

    fn finish(
        mut self: Box<Self>,
        metrics: &MetricSet,
        _findings: &mut Vec<Finding>,
    ) -> io::Result<()> {
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()?;
        if let Some(mut out) = self.metrics.take() {
            serde_json::to_writer(&mut out, &metrics_request(metrics))?;
            out.write_all(b"\n")?;
            out.flush()?;
        }
        Ok(())
    }
}

/// The `ExportMetricsServiceRequest` of `set`: one `resourceMetrics` per log.
#[must_use]
pub fn metrics_request(set: &MetricSet) -> Value {
    let resources: Vec<Value> = set
        .logs
        .iter()
        .enumerate()
        .map(|(log, name)| {
            let metrics: Vec<Value> = set
                .families
                .iter()
                .filter_map(|(key, series)| {
                    let points: Vec<(&Labels, &Series)> =
                        series.iter().filter(|(labels, _)| labels.log == log).collect();
                    (!points.is_empty()).then(|| metric_json(key, &points))
                })
                .collect();
            json!({"resource": resource(name), "scopeMetrics": [{"scope": scope(), "metrics": metrics}]})
        })
        .collect();
    json!({"resourceMetrics": resources})
}

/// One `Metric` with its data points.
fn metric_json(key: &FamilyKey, points: &[(&Labels, &Series)]) -> Value {
    match key.kind {
        Kind::Counter => {
            let (name, unit) = match key.source.as_str() {
                "tokens" => ("yamlflow.tokens", "{token}"),
                _ => ("yamlflow.cost_usd", "USD"),
            };
            let points: Vec<Value> = points
                .iter()
                .map(|(labels, series)| number_point(labels, series, true))
                .collect();
            json!({"name": name, "unit": unit,
                   "description": format!("metrics.{}, summed (contract §3.6)", key.source),
                   "sum": {"dataPoints": points, "aggregationTemporality": CUMULATIVE, "isMonotonic": true}})
        }
        Kind::Gauge => {
            let points: Vec<Value> = points
                .iter()
                .map(|(labels, series)| number_point(labels, series, false))
                .collect();
            json!({"name": format!("yamlflow.metric.{}", key.source),
                   "description": format!("metric.emit's {}, last reading", key.source),
                   "gauge": {"dataPoints": points}})
        }
        Kind::Histogram => {
            let points: Vec<Value> = points
                .iter()
                .map(|(labels, series)| histogram_point(labels, series))
                .collect();
            json!({"name": "yamlflow.span.duration", "unit": "ms",
                   "description": "spans' final metrics.duration_ms",
                   "histogram": {"dataPoints": points, "aggregationTemporality": CUMULATIVE}})
        }
    }
}

fn point_attributes(labels: &Labels) -> Vec<Value> {
    let mut attrs = vec![
        attribute("yamlflow.flow", &json!(labels.flow)),
        attribute("yamlflow.node", &json!(labels.node)),
    ];
    if !labels.kind.is_empty() {
        attrs.push(attribute("yamlflow.kind", &json!(labels.kind)));
        attrs.push(attribute("yamlflow.status", &json!(labels.status)));
    }
    attrs
}

/// A `NumberDataPoint`: `asInt` (a string) when every reading was an integer, else `asDouble`.
fn number_point(labels: &Labels, series: &Series, with_start: bool) -> Value {
    let mut point =
        json!({"attributes": point_attributes(labels), "timeUnixNano": nanos(series.time)});
    if with_start {
        point["startTimeUnixNano"] = json!(nanos(series.start));
    }
    #[allow(clippy::cast_possible_truncation)]
    if series.integer && series.value.abs() < 9.2e18 {
        point["asInt"] = json!((series.value as i64).to_string());
    } else {
        point["asDouble"] = json!(series.value);
    }
    point
}

/// A `HistogramDataPoint`, in milliseconds.
fn histogram_point(labels: &Labels, series: &Series) -> Value {
    json!({
        "attributes": point_attributes(labels),
        "startTimeUnixNano": nanos(series.start),
        "timeUnixNano": nanos(series.time),
        "count": series.count.to_string(),
        "sum": series.value * 1000.0,
        "bucketCounts": series.buckets.iter().map(u64::to_string).collect::<Vec<_>>(),
        "explicitBounds": BUCKETS_SECONDS.iter().map(|bound| bound * 1000.0).collect::<Vec<_>>(),
        "min": series.min * 1000.0,
        "max": series.max * 1000.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_hex_of_the_right_length_and_stable() {
        let flow = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f";
        assert_eq!(trace_id(flow), "6f1c2d3e4a5b4c6d8e7f0a1b2c3d4e5f");
        let hashed = trace_id("not a uuid");
        assert_eq!(hashed.len(), 32);
        assert_ne!(hashed, "0".repeat(32));
        assert_eq!(span_id(flow, "a"), span_id(flow, "a"));
        assert_ne!(span_id(flow, "a"), span_id(flow, "b"));
        assert_ne!(span_id(flow, "a"), span_id("other", "a"));
        assert_eq!(span_id(flow, "a").len(), 16);
    }

    #[test]
    fn a_runs_tenant_becomes_an_attribute_of_its_spans() {
        let mut assembler = super::super::spans::Assembler::new();
        let entry = json!({"flow_id": "f", "span_id": "s", "parent_id": null, "node": "n",
                           "kind": "flow", "action": null, "level": "info", "timestamp": 1.0,
                           "seq": 0, "event_type": "entry", "message": null,
                           "data": {"input": {}}, "metrics": {}, "tenant": "acme"});
        let mut exit = entry.clone();
        exit["event_type"] = json!("exit");
        exit["data"] = json!({"output": {}});
        exit["metrics"] = json!({"duration_ms": 1.0});
        assembler.push(&entry);
        let spans = assembler.push(&exit).ended;
        let text = span_json(&spans[0]).to_string();
        assert!(
            text.contains(r#"{"key":"yamlflow.tenant","value":{"stringValue":"acme"}}"#),
            "{text}"
        );
        exit.as_object_mut().unwrap().remove("tenant");
        let mut assembler = super::super::spans::Assembler::new();
        let untenanted = assembler.push(&exit).ended;
        assert!(!span_json(&untenanted[0]).to_string().contains("tenant"));
    }

    #[test]
    fn values_follow_the_json_encoding_of_any_value() {
        let value = json!({"n": 1, "x": 1.5, "big": u64::MAX, "s": "t", "l": [true, null]});
        let any = any_value(&value).to_string();
        for part in [
            r#"{"key":"n","value":{"intValue":"1"}}"#,
            r#"{"key":"x","value":{"doubleValue":1.5}}"#,
            r#"{"key":"big","value":{"doubleValue":1.8446744073709552e+19}}"#,
            r#"{"arrayValue":{"values":[{"boolValue":true},{}]}}"#,
        ] {
            assert!(any.contains(part), "{part} in {any}");
        }
        assert_eq!(nanos(1.5), "1500000000");
        // 1796289073.6477885 is 1796289073.647788524627685546875 as a double.
        assert_eq!(nanos(1_796_289_073.647_788_5), "1796289073647788525");
        let mut deep = json!(1);
        for _ in 0..=MAX_VALUE_DEPTH {
            deep = json!([deep]);
        }
        let text = any_value(&deep).to_string();
        assert!(text.contains(r#"{"stringValue":"[1]"}"#), "{text}");
    }
}
