# The Python twin's worker process for `twinflow check --isolate` (harness/src/run/pool.rs): the
# sys.path set-up of the embedded interpreter comes first (prepended by pool.rs), then this loop.
# One JSON request per line on stdin ({text, input, sandbox}), one JSON reply per line on stdout:
# {"ran": {events_bytes, status, state, console, flow_id, error}} then that many bytes of events (JSON
# Lines), {"load": {kind, message, file, line, column, key}} or
# {"exception": {type, message, traceback}}. stdout is kept for replies: anything else printed goes
# to stderr, whose tail a finding shows when the worker dies.
import json
import resource
import sys  # the prelude imported it too: said again for readers and linters
import traceback

_limit = int(sys.argv[3])  # the prelude's memory_limit
resource.setrlimit(resource.RLIMIT_AS, (_limit, _limit))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

import yamlflow

_replies = sys.stdout
sys.stdout = sys.stderr
# Ready: the fixture's time limit starts after the interpreter's start-up, not before.
_replies.write('{"ready": true}\n')
_replies.flush()


def _type_name(e):
    t = type(e)
    return (
        t.__qualname__
        if t.__module__ == "builtins"
        else f"{t.__module__}.{t.__qualname__}"
    )


for _line in sys.stdin:
    _request = json.loads(_line)
    _data = b""
    try:
        _events, _status, _state, _console, _flow_id, _error = yamlflow.run_text(
            _request["text"], _request["input"], _request["sandbox"]
        )
        # The events' text follows the reply's line as raw bytes (not escaped inside it).
        _data = _events.encode("utf-8", "surrogatepass")
        _reply = {
            "ran": {
                "events_bytes": len(_data),
                "status": _status,
                "state": _state,
                "console": _console,
                "flow_id": _flow_id,
                "error": _error,
            }
        }
    except yamlflow.LoadError as e:
        _reply = {
            "load": {
                k: getattr(e, k)
                for k in ("kind", "message", "file", "line", "column", "key")
            }
        }
    except BaseException as e:  # noqa: BLE001 (every failure is the fixture's finding)
        _reply = {
            "exception": {
                "type": _type_name(e),
                "message": str(e),
                "traceback": traceback.format_exc(),
            }
        }
    _replies.write(json.dumps(_reply) + "\n")
    _replies.flush()
    if _data:
        _replies.buffer.write(_data)
        _replies.buffer.flush()
