"""Posts `twinflow export --to otlp-json` traces to a running OTLP/HTTP receiver and checks that
every span arrived: scripts/otlp-receiver starts the receiver (Arize Phoenix) and calls this.

Usage: python otlp_roundtrip.py TRACES_JSON BASE_URL

The OTLP/JSON document is parsed into opentelemetry-proto's ExportTraceServiceRequest (the ids
turned from OTLP/JSON's hex into protobuf's base64 first, as export_consumers.py does) and posted
as `application/x-protobuf` to BASE_URL/v1/traces, the OTLP/HTTP path. The spans are then read
back through Phoenix's REST API (`/v1/projects/default/spans/otlpv1`) and each one compared with
what was sent: trace id, span id, parent, name, status code and number of span events. Exit 0
when every span came back the same, 1 otherwise.
"""

import base64
import json
import pathlib
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).parent.parent / "harness/tests/data"))
from export_consumers import hex_ids_to_base64
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)


def as_hex(value):
    """Phoenix answers ids in hex; the OTLP/JSON mapping of protobuf would use base64."""
    if not value:
        return None
    if len(value) in (16, 32) and all(c in "0123456789abcdef" for c in value):
        return value
    return base64.b64decode(value).hex()


def sent_spans(request):
    spans = {}
    for resource in request.resource_spans:
        for scope in resource.scope_spans:
            for span in scope.spans:
                key = (span.trace_id.hex(), span.span_id.hex())
                spans[key] = {
                    "parent": span.parent_span_id.hex() or None,
                    "name": span.name,
                    "status": span.status.code,
                    "events": len(span.events),
                }
    return spans


STATUS = {
    "STATUS_CODE_UNSET": 0,
    "STATUS_CODE_OK": 1,
    "STATUS_CODE_ERROR": 2,
    "UNSET": 0,
    "OK": 1,
    "ERROR": 2,
}


def status_code(status):
    code = (status or {}).get("code", 0)
    return STATUS.get(code, code) if isinstance(code, str) else code


def read_back(base_url):
    spans, cursor = {}, None
    while True:
        query = {"limit": 1000} | ({"cursor": cursor} if cursor else {})
        url = f"{base_url}/v1/projects/default/spans/otlpv1?{urllib.parse.urlencode(query)}"
        with urllib.request.urlopen(url, timeout=30) as response:
            page = json.load(response)
        for span in page["data"]:
            key = (as_hex(span["trace_id"]), as_hex(span["span_id"]))
            spans[key] = {
                "parent": as_hex(span.get("parent_span_id")),
                "name": span.get("name"),
                "status": status_code(span.get("status")),
                "events": len(span.get("events") or []),
            }
        cursor = page.get("next_cursor")
        if not cursor:
            return spans


def main():
    traces, base_url = pathlib.Path(sys.argv[1]), sys.argv[2].rstrip("/")
    document = hex_ids_to_base64(json.loads(traces.read_text(encoding="utf-8")))
    request = json_format.ParseDict(document, ExportTraceServiceRequest())
    sent = sent_spans(request)
    post = urllib.request.Request(
        f"{base_url}/v1/traces",
        data=request.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf"},
        method="POST",
    )
    with urllib.request.urlopen(post, timeout=60) as response:
        print(
            f"otlp-receiver: POST /v1/traces: HTTP {response.status}, {len(sent)} spans"
        )
    # The receiver stores spans asynchronously: poll until all arrived, for at most two minutes.
    deadline = time.monotonic() + 120
    while True:
        received = read_back(base_url)
        if len(received) >= len(sent) or time.monotonic() > deadline:
            break
        time.sleep(2)
    missing = [key for key in sent if key not in received]
    changed = [key for key in sent if key in received and received[key] != sent[key]]
    traces_count = len({trace for trace, _ in sent})
    print(
        f"otlp-receiver: {len(sent)} spans in {traces_count} traces sent, {len(received)} read back, "
        f"{len(missing)} missing, {len(changed)} changed"
    )
    for key in (missing + changed)[:10]:
        print(f"  {key}: sent {sent[key]}, read back {received.get(key)}")
    sys.exit(1 if missing or changed else 0)


if __name__ == "__main__":
    main()
