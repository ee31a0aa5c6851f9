"""Parses `twinflow export`'s outputs with the real consumers, for harness/tests/cli/export.rs.

Usage: python export_consumers.py DIR. DIR holds the exports of every fixture's two logs
(`<fixture>/rust.jsonl`, `<fixture>/python.jsonl`) at once; the script parses
- DIR/traces.json with protobuf's json_format into opentelemetry-proto's ExportTraceServiceRequest,
- DIR/metrics.json into ExportMetricsServiceRequest,
- DIR/metrics.prom with prometheus_client's text_string_to_metric_families,
and prints one JSON line per fixture (found by each resource's `twinflow.log` attribute and each
sample's `log` label) with what it found. Any parse error fails the script.

OTLP/JSON differs from protobuf's canonical JSON mapping in one point: trace and span ids are
hex, not base64 (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding). As an OTLP
receiver does, the ids are checked to be lower-case hex of 32 and 16 digits and turned into
the mapping's base64 before json_format parses the rest.
"""

import base64
import json
import pathlib
import re
import sys
from collections import defaultdict

from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from prometheus_client.parser import text_string_to_metric_families

ID_DIGITS = {"traceId": 32, "spanId": 16, "parentSpanId": 16}


def hex_ids_to_base64(value):
    if isinstance(value, list):
        return [hex_ids_to_base64(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key in ID_DIGITS:
            if not re.fullmatch(f"[0-9a-f]{{{ID_DIGITS[key]}}}", item):
                raise ValueError(f"{key} {item!r} is not {ID_DIGITS[key]} hex digits")
            item = base64.b64encode(bytes.fromhex(item)).decode()
        out[key] = hex_ids_to_base64(item)
    return out


def fixture_of(log):
    """The fixture a log belongs to: the folder in `<fixture>/rust.jsonl`."""
    return str(pathlib.PurePath(log).parent)


def resource_fixture(resource):
    names = [
        a.value.string_value for a in resource.attributes if a.key == "twinflow.log"
    ]
    return fixture_of(names[0])


def span_counts(spans, resources):
    ids = {(span.trace_id, span.span_id) for span in spans}
    parents = [span for span in spans if span.parent_span_id]
    return {
        "resources": resources,
        "spans": len(spans),
        "unique_ids": len(ids),
        "id_lengths": sorted({(len(s.trace_id), len(s.span_id)) for s in spans}),
        "roots": len(spans) - len(parents),
        "resolved_parents": sum(
            (span.trace_id, span.parent_span_id) in ids for span in parents
        ),
        "span_events": sum(len(span.events) for span in spans),
        "errors": sum(span.status.code == 2 for span in spans),
        "backwards": sum(
            span.end_time_unix_nano < span.start_time_unix_nano for span in spans
        ),
    }


def traces(path):
    document = hex_ids_to_base64(json.loads(path.read_text()))
    request = json_format.ParseDict(document, ExportTraceServiceRequest())
    spans, resources = defaultdict(list), defaultdict(int)
    for resource in request.resource_spans:
        fixture = resource_fixture(resource.resource)
        resources[fixture] += 1
        for scope in resource.scope_spans:
            spans[fixture].extend(scope.spans)
    return {name: span_counts(spans[name], count) for name, count in resources.items()}


def metrics(path):
    request = json_format.Parse(path.read_text(), ExportMetricsServiceRequest())
    found = defaultdict(lambda: {"durations": 0, "tokens": 0, "gauges": 0})
    for resource in request.resource_metrics:
        counts = found[resource_fixture(resource.resource)]
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == "yamlflow.span.duration":
                    points = metric.histogram.data_points
                    counts["durations"] += sum(p.count for p in points)
                elif metric.name == "yamlflow.tokens":
                    # A sum past 64 bits is written as a double (the log holds tokens near 2^63).
                    counts["tokens"] += sum(
                        p.as_int if p.WhichOneof("value") == "as_int" else p.as_double
                        for p in metric.sum.data_points
                    )
                elif metric.HasField("gauge"):
                    counts["gauges"] += len(metric.gauge.data_points)
    return found


def prometheus(path):
    found = defaultdict(lambda: {"durations": 0, "tokens": 0, "gauges": 0})
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            counts = found[fixture_of(sample.labels["log"])]
            if sample.name == "yamlflow_span_duration_seconds_count":
                counts["durations"] += int(sample.value)
            elif sample.name == "yamlflow_tokens_total":
                counts["tokens"] += sample.value
            elif family.type == "gauge":
                counts["gauges"] += 1
    return found


def main():
    folder = pathlib.Path(sys.argv[1])
    found_traces = traces(folder / "traces.json")
    found_metrics = metrics(folder / "metrics.json")
    found_prometheus = prometheus(folder / "metrics.prom")
    for fixture in sorted(found_traces):
        record = {
            "fixture": fixture,
            "traces": found_traces[fixture],
            "metrics": found_metrics[fixture],
            "prometheus": found_prometheus[fixture],
        }
        print(json.dumps(record))


if __name__ == "__main__":
    main()
