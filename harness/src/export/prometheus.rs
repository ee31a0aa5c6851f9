//! `--to prometheus`: the metrics (`super::metrics`) in Prometheus' text exposition format
//! (<https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format>), version
//! 0.0.4.
//!
//! Families: `yamlflow_tokens_total` and `yamlflow_cost_usd_total` (counters),
//! `yamlflow_span_duration_seconds` (a histogram, in seconds as Prometheus' base unit), and
//! `yamlflow_metric_<name>` (a gauge per other `metric.emit` number). Labels: `log` (the input
//! log), `flow`, `node`, plus `kind` and `status` on the histogram. A `metric.emit` name may hold
//! any character; every one outside `[a-zA-Z0-9_:]` becomes `_`. Two names that become the same
//! collide: the first (in byte order) keeps the family, the others' series are left out and each
//! collision is an `export.name_collision` warning.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::metrics::{BUCKETS_SECONDS, FamilyKey, Kind, Labels, MetricSet, Series};
use super::sink::Sink;
use super::spans::Span;
use crate::finding::{Check, Code, Finding, Severity};

/// A metric name with every character Prometheus does not allow replaced by `_`.
#[must_use]
pub fn sanitize(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// A label value with `\`, `"` and newlines escaped.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

/// A sample value: integers without a fraction, others in Rust's shortest round-trip form.
fn number(value: f64, integer: bool) -> String {
    if integer && value.abs() < 9.2e18 {
        #[allow(clippy::cast_possible_truncation)]
        let int = value as i64;
        return int.to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    format!("{value:?}")
}

/// The family's name, type and help text.
fn describe(key: &FamilyKey) -> (String, &'static str, String) {
    match key.kind {
        Kind::Counter => (
            format!("yamlflow_{}_total", sanitize(&key.source)),
            "counter",
            format!(
                "metrics.{} of the events, summed (contract 3.6).",
                key.source
            ),
        ),
        Kind::Gauge => (
            format!("yamlflow_metric_{}", sanitize(&key.source)),
            "gauge",
            format!("metric.emit's {}, last reading.", key.source),
        ),
        Kind::Histogram => (
            "yamlflow_span_duration_seconds".to_owned(),
            "histogram",
            "Spans' final metrics.duration_ms, in seconds.".to_owned(),
        ),
    }
}

fn label_text(labels: &Labels, logs: &[String], extra: Option<(&str, &str)>) -> String {
    let mut pairs = vec![
        ("log", logs.get(labels.log).map_or("", String::as_str)),
        ("flow", labels.flow.as_str()),
        ("node", labels.node.as_str()),
    ];
    if !labels.kind.is_empty() {
        pairs.push(("kind", labels.kind.as_str()));
        pairs.push(("status", labels.status.as_str()));
    }
    pairs.extend(extra);
    let inner: Vec<String> = pairs
        .iter()
        .map(|(name, value)| format!("{name}=\"{}\"", escape_label(value)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

fn samples(
    text: &mut String,
    name: &str,
    key: &FamilyKey,
    labels: &Labels,
    series: &Series,
    logs: &[String],
) {
    if key.kind != Kind::Histogram {
        let _ = writeln!(
            text,
            "{name}{} {}",
            label_text(labels, logs, None),
            number(series.value, series.integer)
        );
        return;
    }
    let mut cumulative = 0;
    for (index, count) in series.buckets.iter().enumerate() {
        cumulative += count;
        let bound = BUCKETS_SECONDS
            .get(index)
            .map_or("+Inf".to_owned(), |b| format!("{b:?}"));
        let _ = writeln!(
            text,
            "{name}_bucket{} {cumulative}",
            label_text(labels, logs, Some(("le", &bound)))
        );
    }
    let plain = label_text(labels, logs, None);
    let _ = writeln!(text, "{name}_sum{plain} {}", number(series.value, false));
    let _ = writeln!(text, "{name}_count{plain} {}", series.count);
}

/// The exposition text of `set`, and a warning per name collision.
#[must_use]
pub fn render(set: &MetricSet) -> (String, Vec<Finding>) {
    let mut text = String::new();
    let mut findings = Vec::new();
    let mut taken: BTreeMap<String, &str> = BTreeMap::new();
    for (key, series) in &set.families {
        let (name, kind, help) = describe(key);
        if let Some(first) = taken.get(&name) {
            let mut finding = Finding::new(
                Code::new(Check::Export, "name_collision"),
                format!(
                    "metric '{}' and metric '{first}' are both named {name} in Prometheus: '{}' \
                     is left out",
                    key.source, key.source
                ),
            )
            .with_help("rename one of them in the flow's metric.emit");
            finding.severity = Severity::Warning;
            findings.push(finding);
            continue;
        }
        taken.insert(name.clone(), &key.source);
        let help = help.replace('\\', r"\\").replace('\n', r"\n");
        let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, series) in series {
            samples(&mut text, &name, key, labels, series, &set.logs);
        }
    }
    (text, findings)
}

/// Writes the exposition at the end (a family's series must be together).
pub(super) struct PrometheusSink<'a> {
    pub(super) out: Box<dyn Write + 'a>,
}

impl Sink for PrometheusSink<'_> {
    fn begin_log(&mut self, _index: usize, _name: &str) -> io::Result<()> {
        Ok(())
    }

    fn span_ended(&mut self, _span: &Span) -> io::Result<()> {
        Ok(())
    }

    fn end_log(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn finish(
        mut self: Box<Self>,
        metrics: &MetricSet,
        findings: &mut Vec<Finding>,
    ) -> io::Result<()> {
        let (text, collisions) = render(metrics);
        findings.extend(collisions);
        self.out.write_all(text.as_bytes())?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_are_sanitized_and_collisions_reported() {
        assert_eq!(sanitize("latency.ms"), "latency_ms");
        assert_eq!(sanitize("9 lives"), "_9_lives");
        assert_eq!(sanitize("a:b_c"), "a:b_c");
        let mut set = MetricSet::default();
        let log = set.begin_log("x.jsonl");
        let event = json!({"event_type": "metric", "node": "n\"q", "timestamp": 1.0,
                           "metrics": {"a.b": 1, "a-b": 2, "tokens": 5}});
        set.observe_event(log, "f", &event);
        let (text, findings) = render(&set);
        assert!(
            text.contains("yamlflow_tokens_total{log=\"x.jsonl\",flow=\"f\",node=\"n\\\"q\"} 5\n"),
            "{text}"
        );
        assert!(
            text.contains("yamlflow_metric_a_b{log=\"x.jsonl\",flow=\"f\",node=\"n\\\"q\"} 2\n"),
            "{text}"
        );
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].code.to_string(), "export.name_collision");
        assert!(
            findings[0].message.contains("'a.b'"),
            "{}",
            findings[0].message
        );
    }
}
