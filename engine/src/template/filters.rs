//! Filters the engine writes itself where minijinja's builtins differ from the contract (§1.3):
//! `indent` keeps a trailing newline, `items` and `dictsort` give each pair as a two-item list
//! (the Python twin defines the same filters in `template.py`).

use minijinja::value::{Kwargs, Value as MjValue, ValueKind};
use minijinja::{Environment, Error as MjError, ErrorKind};

/// At most this many spaces of indentation in one `indent` (minijinja's own repetition limit,
/// contract §6.12).
const MAX_INDENT: usize = 100_000_000;

fn undefined() -> MjError {
    MjError::new(ErrorKind::UndefinedError, "undefined value")
}

fn wrong(what: &str) -> MjError {
    MjError::new(ErrorKind::InvalidOperation, what.to_owned())
}

/// An argument given by position or by name (not both); none when absent or none.
fn argument(
    positional: Option<MjValue>,
    kwargs: &Kwargs,
    name: &str,
) -> Result<Option<MjValue>, MjError> {
    let named: Option<MjValue> = kwargs.get(name)?;
    if positional.is_some() && named.is_some() {
        return Err(wrong("argument given twice"));
    }
    Ok(positional.or(named).filter(|v| !v.is_none()))
}

/// A `first`/`blank` flag: a boolean, false when absent.
fn flag(value: Option<MjValue>) -> Result<bool, MjError> {
    match value {
        None => Ok(false),
        Some(v) if v.kind() == ValueKind::Bool => Ok(v.is_true()),
        Some(_) => Err(wrong("indent flags are booleans")),
    }
}

/// `indent(width=4, first=false, blank=false)` (contract §1.3): lines are split at `\n`; every line
/// but the first (and the first too with `first`) gets `width` spaces in front, unless it is empty
/// and `blank` is false; one `\n` ending the text stays. A value that is not a string is spelled as
/// `~` spells it.
fn indent(
    value: MjValue,
    width: Option<MjValue>,
    first: Option<MjValue>,
    blank: Option<MjValue>,
    kwargs: Kwargs,
) -> Result<String, MjError> {
    if value.is_undefined() {
        return Err(undefined());
    }
    let width = match argument(width, &kwargs, "width")? {
        None => 4,
        Some(w) if w.kind() == ValueKind::Number && w.is_integer() => {
            usize::try_from(w).map_err(|_| wrong("indent width"))?
        }
        Some(_) => return Err(wrong("indent width is an integer")),
    };
    let first = flag(argument(first, &kwargs, "first")?)?;
    let blank = flag(argument(blank, &kwargs, "blank")?)?;
    kwargs.assert_all_used()?;
    let text = value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned);
    let body = text.strip_suffix('\n').unwrap_or(&text);
    let lines = body.split('\n').count();
    if width.saturating_mul(lines) > MAX_INDENT {
        return Err(wrong("indentation too large"));
    }
    let pad = " ".repeat(width);
    let mut out = String::with_capacity(text.len() + width * lines);
    for (i, line) in body.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if (i > 0 || first) && (blank || !line.is_empty()) {
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    out.push_str(&text[body.len()..]);
    Ok(out)
}

/// A pair (minijinja's tuple) as a two-item list.
fn pair_list(pair: &MjValue) -> MjValue {
    pair.try_iter()
        .map(|items| items.collect::<Vec<_>>())
        .map_or_else(|_| pair.clone(), MjValue::from)
}

/// The pairs `pairs` holds, each as a list, in a list.
fn pair_lists(pairs: &MjValue) -> Result<MjValue, MjError> {
    Ok(pairs.try_iter()?.map(|pair| pair_list(&pair)).collect())
}

/// Registers `indent`, `items` and `dictsort` (contract §1.3): an undefined input fails with
/// `undefined value in template`; `items` and `dictsort` give a list of `[key, value]` lists.
pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("indent", indent);
    env.add_filter("items", |value: MjValue| -> Result<MjValue, MjError> {
        if value.is_undefined() {
            return Err(undefined());
        }
        pair_lists(&minijinja::filters::items(&value)?)
    });
    env.add_filter(
        "dictsort",
        |value: MjValue, kwargs: Kwargs| -> Result<MjValue, MjError> {
            if value.is_undefined() {
                return Err(undefined());
            }
            pair_lists(&minijinja::filters::dictsort(&value, kwargs)?)
        },
    );
}
