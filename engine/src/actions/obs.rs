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
    let keep = |e: &Event| {
        node.is_none_or(|g| glob_match(g, &e.node))
            && level.is_none_or(|l| e.level >= l)
            && event_type.is_none_or(|t| t == e.event_type.as_str())
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
