//! `obs.query` and `obs.export` over the run's buffered events (contract §2.2).
//! (`obs.get_flow_log` is the context's flow log, dispatched directly.)

use std::io::Write;

use serde_json::{Map, Value};

use super::context::{ActionCtx, ActionError, io_reason};
use super::params::Params;
use crate::event::{Event, Level};
use crate::sandbox;

/// Matches `text` against a glob with `*` (any run) and `?` (one character).
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// `obs.query`'s `data` filter (contract §2.2): a dotted path into an event's `data` and, when
/// `equals` is given, the value that must be there (by JSON type: `1`, `1.0` and `true` differ).
pub(crate) struct DataFilter<'a> {
    path: Vec<&'a str>,
    equals: Option<&'a Value>,
}

impl<'a> DataFilter<'a> {
    /// The filter of parameter `data`, if given: `{path, equals}`, `path` a string of non-empty
    /// segments joined by `.`.
    pub(crate) fn of(params: &Params<'a>) -> Result<Option<Self>, ActionError> {
        let Some(data) = params.opt_object("data")? else {
            return Ok(None);
        };
        let path = match data.get("path") {
            None => {
                return Err(ActionError::action(
                    "obs.query: missing parameter 'data.path'",
                ));
            }
            Some(Value::String(path)) => path.as_str(),
            Some(_) => {
                let message = "obs.query: parameter 'data.path' must be a string";
                return Err(ActionError::action(message));
            }
        };
        let segments: Vec<&str> = path.split('.').collect();
        if segments.iter().any(|segment| segment.is_empty()) {
            let message = format!("obs.query: invalid data path '{path}'");
            return Err(ActionError::action(message));
        }
        Ok(Some(Self {
            path: segments,
            equals: data.get("equals"),
        }))
    }

    /// Whether the path leads somewhere in `data` (to `equals`, when given). A key that is absent,
    /// an index out of range and a scalar on the way all mean no match.
    pub(crate) fn matches(&self, data: &Map<String, Value>) -> bool {
        let (first, rest) = self.path.split_first().unwrap_or((&"", &[]));
        let mut found = data.get(*first);
        for segment in rest {
            found = found.and_then(|value| step(value, segment));
        }
        match (found, self.equals) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(value), Some(equals)) => value == equals,
        }
    }
}

/// One step of a data path: an object's key, or a list's index written in decimal without a
/// leading zero (`0`, `12`).
fn step<'v>(value: &'v Value, segment: &str) -> Option<&'v Value> {
    match value {
        Value::Object(map) => map.get(segment),
        Value::Array(items) => {
            let decimal = segment.bytes().all(|b| b.is_ascii_digit())
                && (segment == "0" || !segment.starts_with('0'));
            decimal
                .then(|| segment.parse::<usize>().ok())
                .flatten()
                .and_then(|i| items.get(i))
        }
        _ => None,
    }
}

pub(crate) fn query(params: &Params<'_>, ctx: &ActionCtx<'_>) -> Result<Value, ActionError> {
    let node = params.opt_str("node")?;
    let level = match params.opt_str("level")? {
        Some(name) => Some(
            Level::parse(name)
                .ok_or_else(|| ActionError::action(format!("obs.query: unknown level '{name}'")))?,
        ),
        None => None,
    };
    let event_type = params.opt_str("event_type")?;
    let data = DataFilter::of(params)?;
    let keep = |e: &Event| {
        node.is_none_or(|g| glob_match(g, &e.node))
            && level.is_none_or(|l| e.level >= l)
            && event_type.is_none_or(|t| t == e.event_type.as_str())
            && data.as_ref().is_none_or(|d| d.matches(&e.data))
    };
    let matches = ctx.obs.with_events_in(ctx.span, |events| {
        events
            .filter(|e| keep(e))
            .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
            .collect::<Vec<_>>()
    });
    Ok(Value::Array(matches))
}

pub(crate) fn export(params: &Params<'_>, ctx: &ActionCtx<'_>) -> Result<Value, ActionError> {
    let path = params.str("path")?;
    let format = params.opt_str("format")?.unwrap_or("jsonl");
    if format != "jsonl" {
        return Err(ActionError::action(format!(
            "obs.export: unsupported format '{format}'"
        )));
    }
    let mut text = Vec::new();
    let count = ctx.obs.with_events_in(ctx.span, |events| {
        let mut count = 0usize;
        for event in events {
            if serde_json::to_writer(&mut text, event).is_ok() {
                text.push(b'\n');
                count += 1;
            }
        }
        count
    });
    let io = |err: std::io::Error| {
        ActionError::action(format!(
            "obs.export: cannot write {path}: {}",
            io_reason(&err)
        ))
    };
    ctx.files.wait(ctx.span);
    sandbox::open(params.action(), ctx.sandbox, path, sandbox::Access::Write)
        .map_err(|e| e.into_action(io))?
        .write_all(&text)
        .map_err(io)?;
    let mut out = Map::with_capacity(2);
    out.insert("path".into(), Value::String(path.to_owned()));
    out.insert("events".into(), Value::from(count));
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("fetch*", "fetcher"));
        assert!(glob_match("fetch_?", "fetch_a"));
        assert!(!glob_match("fetch_?", "fetcher"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("nothing*", "fetch_a"));
        // A `*` is a wildcard even where the text holds a `*`.
        assert!(glob_match("*b", "*ab"));
    }
}
