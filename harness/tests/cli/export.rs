//! `twinflow export` (issue 15, item 3): exit statuses and located findings like `validate`, and
//! every fixture's two logs exported in each format and read back by the real consumers:
//! opentelemetry-proto's message types through protobuf's `json_format` (OTLP/JSON),
//! prometheus_client's text parser (Prometheus), and for the Chrome trace a JSON Schema of the
//! trace event format (`tests/data/chrome-trace.schema.json`) plus a check that complete events
//! nest on every thread, as Perfetto's importer needs. The Python packages come from the set-up
//! venv (`python/pyproject.toml`'s `test` extra), as the JUnit test's lxml does.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use twinflow::fixture::{self, Fixture};
use twinflow::layout::Layout;
use twinflow::run::{self, RunConfig};

use super::check::repo;
use super::{Outcome, data, data_path, twinflow};

fn export(args: &[&str]) -> Outcome {
    Outcome::of(twinflow().arg("export").args(args))
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{err}: {text}"))
}

fn events_of(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(parse)
        .collect()
}

/// What the logs say the export must hold, counted straight from the events.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    spans: usize,
    roots: usize,
    /// Spans whose parent is in the log (a level filter may have dropped all of a parent's
    /// events).
    resolved_parents: usize,
    span_events: usize,
    errors: usize,
    durations: u64,
    /// A float: two engines' sums of tokens near 2^63 exceed 64 bits, and the exports write such
    /// sums as doubles.
    tokens: f64,
}

fn expected(logs: &[Vec<Value>]) -> Expected {
    let mut out = Expected::default();
    let mut spans = HashSet::new();
    let mut roots = HashSet::new();
    let mut parents = HashSet::new();
    for event in logs.iter().flatten() {
        let field = |name: &str| event[name].as_str().unwrap_or_default();
        spans.insert((field("flow_id").to_owned(), field("span_id").to_owned()));
        if !event["parent_id"].is_null() {
            let span = (field("flow_id").to_owned(), field("span_id").to_owned());
            parents.insert((span, field("parent_id").to_owned()));
        }
        let final_error = field("event_type") == "error" && field("level") == "error";
        match field("event_type") {
            "log" | "metric" => out.span_events += 1,
            "error" if !final_error => out.span_events += 1,
            _ => {}
        }
        if event["parent_id"].is_null() {
            roots.insert(field("span_id").to_owned());
        }
        out.errors += usize::from(final_error);
        let ends = field("event_type") == "exit" || final_error;
        out.durations += u64::from(ends && event["metrics"]["duration_ms"].is_number());
        out.tokens += event["metrics"]["tokens"].as_f64().unwrap_or(0.0);
    }
    out.resolved_parents = parents
        .iter()
        .filter(|((flow, _), parent)| spans.contains(&(flow.clone(), parent.clone())))
        .count();
    out.spans = spans.len();
    out.roots = roots.len();
    out
}

#[test]
fn a_valid_log_exports_in_each_format() {
    let log = data("valid.jsonl");
    let events = events_of(&data_path("valid.jsonl"));
    let want = expected(&[events]);
    let out = export(&["--to", "otlp-json", &log]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{}", out.render());
    let traces = parse(&out.stdout);
    let spans = traces["resourceSpans"][0]["scopeSpans"][0]["spans"]
        .as_array()
        .unwrap();
    assert_eq!(spans.len(), want.spans);
    let name = &traces["resourceSpans"][0]["resource"]["attributes"][1];
    assert_eq!(name["value"]["stringValue"], "tests/data/valid.jsonl");
    let out = export(&["--to", "chrome-trace", &log, "-"]);
    assert_eq!(out.code, 0, "{}", out.render());
    let trace = parse(&out.stdout);
    let complete = trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["ph"] == "X")
        .count();
    assert_eq!(complete, want.spans);
    let text = std::fs::read_to_string(data_path("valid.jsonl")).unwrap();
    let out = Outcome::of(
        twinflow()
            .args(["export", "--to", "prometheus", "-"])
            .write_stdin(text),
    );
    assert_eq!(out.code, 0, "{}", out.render());
    assert!(out.stdout.contains("{log=\"-\","), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("# TYPE yamlflow_span_duration_seconds histogram\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn invalid_and_unusable_input_is_reported_like_validate() {
    let out = export(&["--to", "otlp-json", &data("seq_gap.jsonl")]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(
        out.stderr
            .contains("tests/data/seq_gap.jsonl:10: structure.seq_gap"),
        "{}",
        out.render()
    );
    // What was valid is still exported.
    assert!(parse(&out.stdout)["resourceSpans"].is_array());
    let out = export(&["--to", "prometheus", &data("schema_error.jsonl")]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(out.stderr.contains(": schema."), "{}", out.render());
    let out = export(&["--to", "chrome-trace", "tests/data/no_such.jsonl"]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(out.stderr.contains("no_such.jsonl"), "{}", out.render());
    let out = export(&[
        "--to",
        "prometheus",
        "--metrics",
        "m.json",
        &data("valid.jsonl"),
    ]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(out.stderr.contains("--metrics goes with --to otlp-json"));
}

#[test]
fn prometheus_name_collisions_are_warnings() {
    let flow = "00000000-0000-4000-8000-00000000000a";
    let (root, node) = (
        "00000000-0000-4000-8000-0000000000aa",
        "00000000-0000-4000-8000-0000000000bb",
    );
    let line = |seq: u64, root_span: bool, event_type: &str, metrics: &str| {
        let data = match event_type {
            "entry" => r#"{"input":{}}"#,
            "exit" => r#"{"output":{}}"#,
            _ => "{}",
        };
        let (span, parent, name, kind) = if root_span {
            (root, "null".to_owned(), "f", "flow")
        } else {
            (node, format!("\"{root}\""), "n", "node")
        };
        let message = if event_type == "metric" {
            "null"
        } else {
            "\"m\""
        };
        format!(
            r#"{{"flow_id":"{flow}","span_id":"{span}","parent_id":{parent},"node":"{name}","kind":"{kind}","action":null,"level":"info","timestamp":{ts},"seq":{seq},"event_type":"{event_type}","message":{message},"data":{data},"metrics":{metrics}}}"#,
            ts = 1_700_000_000 + seq,
        )
    };
    let log = [
        line(0, true, "entry", "{}"),
        line(1, false, "entry", "{}"),
        line(2, false, "metric", r#"{"a.b":1,"a-b":2}"#),
        line(3, false, "exit", r#"{"duration_ms":1000.0}"#),
        line(4, true, "exit", r#"{"duration_ms":4000.0}"#),
    ]
    .join("\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("collide.jsonl");
    std::fs::write(&path, log + "\n").unwrap();
    let out = export(&["--to", "prometheus", path.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.render());
    assert!(
        out.stderr.contains("export.name_collision: metric 'a.b' and metric 'a-b' are both named yamlflow_metric_a_b"),
        "{}",
        out.render()
    );
    assert!(
        out.stdout.contains("yamlflow_metric_a_b{"),
        "{}",
        out.render()
    );
}

#[test]
fn the_trace_event_schema_rejects_malformed_events() {
    let schema = parse(&std::fs::read_to_string(data_path("chrome-trace.schema.json")).unwrap());
    let validator = jsonschema::validator_for(&schema).unwrap();
    let trace = |event: &str| parse(&format!(r#"{{"traceEvents":[{event}]}}"#));
    let good = r#"{"ph":"X","name":"a","pid":1,"tid":1,"ts":0,"dur":1}"#;
    assert!(validator.is_valid(&trace(good)));
    for bad in [
        r#"{"ph":"X","name":"a","pid":1,"tid":1,"ts":0}"#,
        r#"{"ph":"X","name":"a","pid":1,"tid":1,"ts":-1,"dur":1}"#,
        r#"{"ph":"i","name":"a","pid":1,"tid":1,"ts":0,"s":"x"}"#,
        r#"{"ph":"C","name":"a","pid":1,"ts":0,"args":{"a":"1"}}"#,
        r#"{"ph":"M","name":"process_name","pid":1,"args":{}}"#,
        r#"{"ph":"B","name":"a","pid":1,"tid":1,"ts":0}"#,
    ] {
        assert!(!validator.is_valid(&trace(bad)), "{bad}");
    }
}

/// Every complete event of `trace` lies inside, or after, the one before it on its thread.
fn assert_nested(trace: &Value, name: &str) {
    let mut threads: BTreeMap<(u64, u64), Vec<(f64, f64)>> = BTreeMap::new();
    for event in trace["traceEvents"].as_array().unwrap() {
        if event["ph"] == "X" {
            let key = (
                event["pid"].as_u64().unwrap(),
                event["tid"].as_u64().unwrap(),
            );
            let ts = event["ts"].as_f64().unwrap();
            threads
                .entry(key)
                .or_default()
                .push((ts, ts + event["dur"].as_f64().unwrap()));
        }
    }
    for (thread, mut spans) in threads {
        spans.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
        let mut open: Vec<f64> = Vec::new();
        for (start, end) in spans {
            while open.last().is_some_and(|top| *top <= start + 1e-3) {
                open.pop();
            }
            if let Some(top) = open.last() {
                assert!(
                    end <= top + 1e-3,
                    "{name}: {thread:?}: [{start}, {end}] overlaps a span ending at {top}"
                );
            }
            open.push(end);
        }
    }
}

/// Runs both engines on every fixture and writes their logs to `dir/<fixture>/`; returns what
/// each export must hold.
fn write_fixture_logs(dir: &Path) -> BTreeMap<String, Expected> {
    let layout = Layout::discover(Some(&repo())).unwrap();
    let config = RunConfig {
        timeout: Duration::from_secs(60),
        isolate: true,
        layout: layout.clone(),
    };
    let mut wanted = BTreeMap::new();
    for path in fixture::discover(&layout.fixtures()).unwrap() {
        let fixture = Fixture::load(&path).unwrap();
        let mut logs = Vec::new();
        for result in run::run_both(&fixture, &config) {
            match result.outcome {
                run::Outcome::Events(ran) => logs.push(ran.events.values()),
                run::Outcome::Load(_) => {} // a load-error fixture: no events
                run::Outcome::Errored(failure) => panic!("{}: {failure}", fixture.name),
            }
        }
        if logs.is_empty() {
            continue;
        }
        assert_eq!(
            logs.len(),
            2,
            "{}: one engine did not load it",
            fixture.name
        );
        let folder = dir.join(&fixture.name);
        std::fs::create_dir_all(&folder).unwrap();
        for (name, events) in ["rust", "python"].iter().zip(&logs) {
            let text: String = events.iter().map(|event| format!("{event}\n")).collect();
            std::fs::write(folder.join(format!("{name}.jsonl")), text).unwrap();
        }
        wanted.insert(fixture.name.clone(), expected(&logs));
    }
    wanted
}

/// Exports one fixture's two logs (in `folder`) as a Chrome trace and checks it: the schema,
/// nesting on every thread, one process per log, one complete event per span.
fn export_fixture(
    folder: &Path,
    name: &str,
    want: &Expected,
    chrome_schema: &jsonschema::Validator,
) {
    let out = Outcome::of(
        twinflow()
            .current_dir(folder)
            .args(["export", "--to", "chrome-trace", "-o", "timeline.json"])
            .args(["rust.jsonl", "python.jsonl"]),
    );
    assert_eq!(out.code, 0, "{name}: {}", out.render());
    let trace = parse(&std::fs::read_to_string(folder.join("timeline.json")).unwrap());
    let errors: Vec<String> = chrome_schema
        .iter_errors(&trace)
        .map(|err| format!("{err} at {}", err.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}");
    assert_nested(&trace, name);
    let events = trace["traceEvents"].as_array().unwrap();
    let processes: Vec<&Value> = events
        .iter()
        .filter(|event| event["name"] == "process_name")
        .map(|event| &event["args"]["name"])
        .collect();
    assert_eq!(processes, ["rust.jsonl", "python.jsonl"], "{name}");
    let complete = events.iter().filter(|event| event["ph"] == "X").count();
    assert_eq!(complete, want.spans, "{name}");
}

/// Exports every fixture's logs at once as OTLP/JSON and Prometheus text, parses them with the
/// real consumers (`export_consumers.py`) and compares what they found, per fixture, with what
/// the logs hold.
fn check_with_consumers(dir: &Path, wanted: &BTreeMap<String, Expected>) {
    let logs: Vec<String> = wanted
        .keys()
        .flat_map(|name| [format!("{name}/rust.jsonl"), format!("{name}/python.jsonl")])
        .collect();
    for args in [
        &[
            "--to",
            "otlp-json",
            "-o",
            "traces.json",
            "--metrics",
            "metrics.json",
        ][..],
        &["--to", "prometheus", "-o", "metrics.prom"],
    ] {
        let out = Outcome::of(
            twinflow()
                .current_dir(dir)
                .arg("export")
                .args(args)
                .args(&logs),
        );
        assert_eq!(out.code, 0, "{args:?}: {}", out.render());
    }
    let script = repo().join("harness/tests/data/export_consumers.py");
    let out = std::process::Command::new(repo().join(".venv/bin/python"))
        .arg(&script)
        .arg(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut seen = 0;
    for line in stdout.lines() {
        let found = parse(line);
        let name = found["fixture"].as_str().unwrap();
        assert_found(&found, name, &wanted[name]);
        seen += 1;
    }
    assert_eq!(seen, wanted.len(), "{stdout}");
}

/// What the consumers `found` in fixture `name`'s exports is what its logs hold (`want`).
fn assert_found(found: &Value, name: &str, want: &Expected) {
    let traces = &found["traces"];
    let count = |value: &Value| value.as_u64().unwrap();
    let spans = want.spans as u64;
    assert_eq!(count(&traces["resources"]), 2, "{name}: {found}");
    assert_eq!(count(&traces["spans"]), spans, "{name}: {found}");
    assert_eq!(count(&traces["unique_ids"]), spans, "{name}: {found}");
    let lengths = if spans == 0 {
        serde_json::json!([])
    } else {
        serde_json::json!([[16, 8]])
    };
    assert_eq!(traces["id_lengths"], lengths, "{name}: {found}");
    for (field, value) in [
        ("roots", want.roots),
        ("resolved_parents", want.resolved_parents),
        ("span_events", want.span_events),
        ("errors", want.errors),
    ] {
        assert_eq!(
            count(&traces[field]),
            value as u64,
            "{name} {field}: {found}"
        );
    }
    assert_eq!(count(&traces["backwards"]), 0, "{name}: {found}");
    for consumer in ["metrics", "prometheus"] {
        let metrics = &found[consumer];
        assert_eq!(
            count(&metrics["durations"]),
            want.durations,
            "{name} {consumer}: {found}"
        );
        let tokens = metrics["tokens"].as_f64().unwrap_or(f64::NAN);
        assert!(
            (tokens - want.tokens).abs() <= want.tokens * 1e-12,
            "{name} {consumer}: tokens {tokens}, want {}: {found}",
            want.tokens
        );
    }
    assert_eq!(
        found["metrics"]["gauges"], found["prometheus"]["gauges"],
        "{name}: {found}"
    );
}

#[test]
fn every_fixtures_logs_export_and_parse_with_the_real_consumers() {
    let dir = tempfile::tempdir().unwrap();
    let wanted = write_fixture_logs(dir.path());
    // Every fixture but the load errors' (fixtures/load_errors/).
    let load_errors = fixture::discover(&repo().join("fixtures/load_errors"))
        .unwrap()
        .len();
    let all = fixture::discover(&repo().join("fixtures")).unwrap().len();
    assert_eq!(wanted.len(), all - load_errors);
    let schema = parse(&std::fs::read_to_string(data_path("chrome-trace.schema.json")).unwrap());
    let chrome_schema = jsonschema::validator_for(&schema).unwrap();
    // Four fixtures at a time: each export is a process of its own.
    let fixtures: Vec<(&String, &Expected)> = wanted.iter().collect();
    std::thread::scope(|scope| {
        for chunk in fixtures.chunks(fixtures.len().div_ceil(4)) {
            let (dir, chrome_schema) = (dir.path(), &chrome_schema);
            scope.spawn(move || {
                for (name, want) in chunk {
                    export_fixture(&dir.join(name), name, want, chrome_schema);
                }
            });
        }
    });
    check_with_consumers(dir.path(), &wanted);
}
