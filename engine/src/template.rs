//! Templates: minijinja with the semantics of contract §1 and §1.3.
//!
//! - Only strings are templates; a string without `{{`, `{%`, `{#` is returned as is.
//! - A string that starts with `{{`, ends with `}}` and holds no other `{{`/`}}` is a single
//!   expression: compiled with `compile_expression` and its native value returned (never by
//!   re-parsing rendered text). Anything else renders to a string.
//! - Text output spells values as Python does (formatter, `string` and `join` filters); `tojson`
//!   follows contract §1. minijinja's `a.b` already is a key lookup and yields undefined on
//!   values without that key, which is the contract's rule; strict undefined makes every use of an
//!   undefined value an error.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use minijinja::machinery::{self, CodeGenerator, Instruction, Instructions, Token};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Kwargs, Rest, Value as MjValue, ValueKind};
use minijinja::{Environment, Error as MjError, ErrorKind, Expression, State, UndefinedBehavior};
use serde_json::{Map, Number, Value};

use crate::flow::Limits;
use crate::limits;
use crate::pyrepr;

mod budget;
mod filters;

/// A template failure: always the contract type `TemplateError` (contract §2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TemplateError {
    /// The contract message, naming the whole template string as written.
    pub(crate) message: String,
}

impl TemplateError {
    fn undefined(src: &str) -> Self {
        Self {
            message: format!("undefined value in template: {src}"),
        }
    }
    fn syntax(src: &str) -> Self {
        Self {
            message: format!("syntax error in template: {src}"),
        }
    }
    fn evaluate(src: &str) -> Self {
        Self {
            message: format!("cannot evaluate template: {src}"),
        }
    }
    fn from_mj(src: &str, err: &MjError) -> Self {
        match err.kind() {
            ErrorKind::SyntaxError | ErrorKind::UnknownFilter | ErrorKind::UnknownTest => {
                // Jinja2 reports unknown filters and tests at compile time, as syntax errors.
                Self::syntax(src)
            }
            // A method call on a value (`state.name.upper()`) or an unknown function is an
            // undefined name in Jinja2 once `a.b` is key lookup only (brief, Templates).
            ErrorKind::UndefinedError | ErrorKind::UnknownMethod | ErrorKind::UnknownFunction => {
                Self::undefined(src)
            }
            _ => Self::evaluate(src),
        }
    }
}

/// What a template can see: `state` always, `attempt` in node and step templates, `error`
/// while an `on_error` target runs (brief, Templates). The minijinja context is built on first
/// use, so a `with` without templates costs nothing.
pub(crate) struct Scope<'a> {
    state: &'a Map<String, Value>,
    attempt: Option<u32>,
    error: Option<&'a Value>,
    context: OnceCell<MjValue>,
}

impl<'a> Scope<'a> {
    /// A scope with `state` only (edge `when` templates).
    pub(crate) fn state_only(state: &'a Map<String, Value>) -> Self {
        Self {
            state,
            attempt: None,
            error: None,
            context: OnceCell::new(),
        }
    }

    /// A scope for a node's or step's templates.
    pub(crate) fn node(
        state: &'a Map<String, Value>,
        attempt: u32,
        error: Option<&'a Value>,
    ) -> Self {
        Self {
            state,
            attempt: Some(attempt),
            error,
            context: OnceCell::new(),
        }
    }

    fn context(&self) -> &MjValue {
        self.context.get_or_init(|| {
            let mut pairs: Vec<(&str, MjValue)> = Vec::with_capacity(3);
            pairs.push(("state", from_json_map(self.state)));
            if let Some(attempt) = self.attempt {
                pairs.push(("attempt", MjValue::from(attempt)));
            }
            if let Some(error) = self.error {
                pairs.push(("error", from_json(error)));
            }
            MjValue::from_pairs(pairs)
        })
    }
}

/// The filters a flow may use (contract §1.3): any other is unknown in every runtime.
#[rustfmt::skip]
pub(crate) const FILTERS: &[&str] = &[
    "abs", "batch", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first",
    "float", "format", "indent", "int", "items", "join", "last", "length", "list", "lower", "map",
    "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select",
    "selectattr", "slice", "sort", "string", "sum", "title", "tojson", "trim", "unique", "upper",
];

/// The tests a flow may use (contract §1.3).
#[rustfmt::skip]
pub(crate) const TESTS: &[&str] = &[
    "boolean", "defined", "divisibleby", "eq", "equalto", "==", "escaped", "even", "false",
    "filter", "float", "ge", ">=", "greaterthan", "gt", ">", "in", "integer", "iterable", "le",
    "<=", "lessthan", "lt", "<", "lower", "mapping", "ne", "!=", "none", "number", "odd", "sameas",
    "sequence", "string", "test", "true", "undefined", "upper",
];

/// minijinja's builtins outside the contract (contract §1.3), removed so that a flow using them fails
/// as with any unknown name.
#[rustfmt::skip]
const LIBRARY_FILTERS: &[&str] = &[
    "attr", "bool", "chain", "groupby", "lines", "pprint", "split", "urlencode", "zip",
];
const LIBRARY_TESTS: &[&str] = &["endingwith", "int", "safe", "startingwith"];

/// Fails when compiled instructions apply a filter or test outside the contract: an unknown name is
/// a syntax error when the template is compiled, whether or not a rendering reaches it (contract
/// §1.3; Jinja2 would defer it inside a conditional).
fn known_names(instructions: &Instructions<'_>) -> Result<(), MjError> {
    let unknown = (0u32..)
        .map_while(|pc| instructions.get(pc))
        .find_map(|instruction| match instruction {
            Instruction::ApplyFilter(name, ..) if !FILTERS.contains(name) => {
                Some(ErrorKind::UnknownFilter)
            }
            Instruction::PerformTest(name, ..) if !TESTS.contains(name) => {
                Some(ErrorKind::UnknownTest)
            }
            _ => None,
        });
    unknown.map_or(Ok(()), |kind| Err(MjError::from(kind)))
}

/// Fails on a number literal that Jinja2 (and Python) refuse: a decimal integer with a leading zero
/// (`010`; `0`, `00` and `0x10` are fine) or a float ending in its dot (`10.`): a syntax error
/// (contract §1.3), where minijinja alone would read 10 and 10.0.
fn literal_forms(source: &str, in_expr: bool) -> Result<(), MjError> {
    for token in machinery::tokenize(source, in_expr, SyntaxConfig::default()) {
        let (token, span) = token?;
        let text = source
            .get(span.start_offset as usize..span.end_offset as usize)
            .unwrap_or_default();
        let refused = match token {
            Token::Int(_) | Token::Int128(_) => {
                let digits = text.trim_start_matches(['0', '_']);
                text.starts_with('0')
                    && !digits.is_empty()
                    && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
            }
            // `10.` and `1.e5`: no digit after the dot.
            Token::Float(_) => text.ends_with('.') || text.contains(".e") || text.contains(".E"),
            _ => false,
        };
        if refused {
            return Err(MjError::new(ErrorKind::SyntaxError, "number literal form"));
        }
    }
    Ok(())
}

/// Wraps the builtin filters that would take an undefined input without the strict-undefined error
/// (an empty string, an invalid operation): a filter given an undefined value fails with `undefined
/// value in template`, whatever the filter (contract §1.3; `default` and `d` excepted).
fn strict_inputs(env: &mut Environment<'static>) {
    use minijinja::filters;
    let builtins = [
        ("abs", MjValue::from_function(filters::abs)),
        ("round", MjValue::from_function(filters::round)),
        ("list", MjValue::from_function(filters::list)),
        ("max", MjValue::from_function(filters::max)),
        ("min", MjValue::from_function(filters::min)),
        ("sort", MjValue::from_function(filters::sort)),
        ("format", MjValue::from_function(filters::format)),
        ("escape", MjValue::from_function(filters::escape)),
        ("e", MjValue::from_function(filters::escape)),
    ];
    for (name, builtin) in builtins {
        env.add_filter(
            name,
            move |state: &mut State, input: MjValue, rest: Rest<MjValue>, kwargs: Kwargs| {
                if input.is_undefined() {
                    return Err(MjError::new(ErrorKind::UndefinedError, "undefined value"));
                }
                let mut args = vec![input];
                args.extend(rest.0);
                if kwargs.args().next().is_some() {
                    args.push(MjValue::from(kwargs));
                }
                builtin.call(state, &args)
            },
        );
    }
}

/// Wraps every builtin test the contract lists but `defined` and `undefined`: a test given an undefined
/// value fails with `undefined value in template` (contract §1.3), where minijinja would answer.
fn strict_tests(env: &mut Environment<'static>) {
    use minijinja::tests;
    #[rustfmt::skip]
    let builtins = [
        ("boolean", MjValue::from_function(tests::is_boolean)),
        ("divisibleby", MjValue::from_function(tests::is_divisibleby)),
        ("eq", MjValue::from_function(tests::is_eq)), ("equalto", MjValue::from_function(tests::is_eq)),
        ("==", MjValue::from_function(tests::is_eq)), ("escaped", MjValue::from_function(tests::is_safe)),
        ("even", MjValue::from_function(tests::is_even)), ("false", MjValue::from_function(tests::is_false)),
        ("filter", MjValue::from_function(tests::is_filter)), ("float", MjValue::from_function(tests::is_float)),
        ("ge", MjValue::from_function(tests::is_ge)), (">=", MjValue::from_function(tests::is_ge)),
        ("greaterthan", MjValue::from_function(tests::is_gt)), ("gt", MjValue::from_function(tests::is_gt)),
        (">", MjValue::from_function(tests::is_gt)), ("in", MjValue::from_function(tests::is_in)),
        ("integer", MjValue::from_function(tests::is_integer)), ("le", MjValue::from_function(tests::is_le)),
        ("<=", MjValue::from_function(tests::is_le)), ("lessthan", MjValue::from_function(tests::is_lt)),
        ("lt", MjValue::from_function(tests::is_lt)), ("<", MjValue::from_function(tests::is_lt)),
        ("lower", MjValue::from_function(tests::is_lower)), ("mapping", MjValue::from_function(tests::is_mapping)),
        ("ne", MjValue::from_function(tests::is_ne)), ("!=", MjValue::from_function(tests::is_ne)),
        ("none", MjValue::from_function(tests::is_none)), ("number", MjValue::from_function(tests::is_number)),
        ("odd", MjValue::from_function(tests::is_odd)), ("sameas", MjValue::from_function(tests::is_sameas)),
        ("sequence", MjValue::from_function(tests::is_sequence)),
        ("string", MjValue::from_function(tests::is_string)), ("test", MjValue::from_function(tests::is_test)),
        ("true", MjValue::from_function(tests::is_true)), ("upper", MjValue::from_function(tests::is_upper)),
    ];
    for (name, builtin) in builtins {
        env.add_test(
            name,
            move |state: &mut State,
                  input: MjValue,
                  rest: Rest<MjValue>|
                  -> Result<bool, MjError> {
                if input.is_undefined() {
                    return Err(MjError::new(ErrorKind::UndefinedError, "undefined value"));
                }
                let mut args = vec![input];
                args.extend(rest.0);
                Ok(builtin.call(state, &args)?.is_true())
            },
        );
    }
}

/// The filters that write values as text the contract's way (§1.3): `string` and `join` spell
/// values as Python's `str()`, `tojson` writes the pinned JSON.
fn text_filters(env: &mut Environment<'static>) {
    env.add_filter("string", |value: MjValue| -> Result<MjValue, MjError> {
        if value.is_undefined() {
            return Err(MjError::new(ErrorKind::UndefinedError, "undefined value"));
        }
        check_text(&value)?;
        let mut text = String::new();
        pyrepr::write_mj_text(&mut text, &value);
        Ok(MjValue::from(text))
    });
    env.add_filter(
        "join",
        |value: MjValue, sep: Option<String>| -> Result<String, MjError> {
            if value.is_undefined() {
                return Err(MjError::new(ErrorKind::UndefinedError, "undefined value"));
            }
            // Jinja2's join spells each item with Python's str().
            let sep = sep.unwrap_or_default();
            let mut out = String::new();
            for (i, item) in value.try_iter()?.enumerate() {
                if i > 0 {
                    out.push_str(&sep);
                }
                check_text(&item)?;
                pyrepr::write_mj_text(&mut out, &item);
            }
            Ok(out)
        },
    );
    env.add_filter("tojson", |value: MjValue| -> Result<MjValue, MjError> {
        let json = convert(&value, Keys::Stringify).map_err(|conv| match conv {
            Conversion::Undefined => MjError::new(ErrorKind::UndefinedError, "undefined value"),
            Conversion::Invalid => {
                MjError::new(ErrorKind::InvalidOperation, "cannot serialize to JSON")
            }
        })?;
        let mut out = String::new();
        pyrepr::write_json(
            &mut out,
            &json,
            pyrepr::JsonStyle {
                sort_keys: false,
                spaced: true,
                html_safe: true,
            },
        );
        Ok(MjValue::from_safe_string(out))
    });
}

/// The environment every run shares: its configuration never changes, and being `'static` lets
/// a run keep compiled expressions.
static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(environment);

/// The template engine of one run: the shared environment, the run's template limits, its
/// compiled single expressions and its text templates with their loops counted (a flow has
/// finitely many template strings; loops and fan-outs render the same ones again and again).
pub(crate) struct Templates {
    expressions: RwLock<HashMap<Box<str>, Arc<Expression<'static, 'static>>>>,
    counted: RwLock<HashMap<Box<str>, Option<Arc<str>>>>,
    /// Loop iterations per rendering (`settings.limits.template_iterations`).
    iterations: u64,
    /// Characters per text rendering (`settings.limits.template_output`).
    output: usize,
}

/// An environment with strict undefined, Python text spelling and the contract's filters.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Globals are Jinja2's that minijinja shares (`range`, `dict`, `namespace`); minijinja's
    // `debug` has no Jinja2 counterpart and would dump the context (contract §6).
    env.remove_global("debug");
    for name in LIBRARY_FILTERS {
        env.remove_filter(name);
    }
    for name in LIBRARY_TESTS {
        env.remove_test(name);
    }
    // Loop iterations are counted exactly (`budget.rs`); the instruction budget is only a
    // backstop for work loops do not count (contract §6.12).
    env.set_fuel(Some(limits::TEMPLATE_FUEL));
    env.add_function(budget::COUNT, budget::counted);
    env.set_formatter(|out, _state, value| {
        if value.is_undefined() {
            return Err(MjError::new(ErrorKind::UndefinedError, "undefined value"));
        }
        check_text(value)?;
        let mut text = String::new();
        pyrepr::write_mj_text(&mut text, value);
        out.write_str(&text)
            .map_err(|_| MjError::new(ErrorKind::WriteFailure, "write failed"))
    });
    strict_inputs(&mut env);
    text_filters(&mut env);
    filters::register(&mut env);
    strict_tests(&mut env);
    // minijinja treats none as an (empty) iterable; Python's iter(None) fails.
    env.add_test("iterable", |value: MjValue| -> Result<bool, MjError> {
        if value.is_undefined() {
            return Err(MjError::new(ErrorKind::UndefinedError, "undefined value"));
        }
        Ok(matches!(
            value.kind(),
            ValueKind::String
                | ValueKind::Seq
                | ValueKind::Map
                | ValueKind::Iterable
                | ValueKind::Bytes
        ))
    });
    env
}

impl Templates {
    /// A run's template engine under `limits`, with no expression compiled yet.
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            expressions: RwLock::default(),
            counted: RwLock::default(),
            iterations: limits.template_iterations,
            output: limits.template_output,
        }
    }

    /// A text template's source with its loops counted (`budget::rewrite`, cached).
    fn counted_source(&self, src: &str) -> Option<Arc<str>> {
        let made: Result<_, std::convert::Infallible> = cached(&self.counted, src, || {
            Ok(budget::rewrite(src).map(Arc::from))
        });
        made.unwrap_or_else(|never| match never {})
    }

    /// The compiled single expression `inner` (cached), or the compile error.
    fn expression(&self, inner: &str) -> Result<Arc<Expression<'static, 'static>>, MjError> {
        cached(&self.expressions, inner, || {
            literal_forms(inner, true)?;
            let ast = machinery::parse_expr(inner)?;
            let mut codegen = CodeGenerator::new("<expression>", inner);
            codegen.compile_expr(&ast);
            known_names(&codegen.finish().0)?;
            ENVIRONMENT
                .compile_expression_owned(inner.to_owned())
                .map(Arc::new)
        })
    }

    /// Renders every string at any depth of `value` (keys are not templates).
    pub(crate) fn render_value(
        &self,
        value: &Value,
        scope: &Scope<'_>,
    ) -> Result<Value, TemplateError> {
        match value {
            Value::String(src) => self.render_str(src, scope),
            Value::Array(items) => items
                .iter()
                .map(|item| self.render_value(item, scope))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Value::Object(map) => self.render_map(map, scope).map(Value::Object),
            other => Ok(other.clone()),
        }
    }

    /// Renders every string of a `with` mapping.
    pub(crate) fn render_map(
        &self,
        map: &Map<String, Value>,
        scope: &Scope<'_>,
    ) -> Result<Map<String, Value>, TemplateError> {
        let mut out = Map::with_capacity(map.len());
        for (key, item) in map {
            out.insert(key.clone(), self.render_value(item, scope)?);
        }
        Ok(out)
    }

    /// Renders one template string: its native value for a single expression, else text.
    pub(crate) fn render_str(&self, src: &str, scope: &Scope<'_>) -> Result<Value, TemplateError> {
        if !has_markers(src) {
            return Ok(Value::String(src.to_owned()));
        }
        if budget::names_counter(src) {
            // The counting function is the engine's own: a flow cannot call it (in the Python
            // engine the name is undefined too).
            return Err(TemplateError::undefined(src));
        }
        // Line breaks as Jinja2 reads them (contract §1.3): minijinja would keep `\r\n` and `\r`.
        let text = jinja_newlines(src);
        let text = text.as_ref();
        if let Some(inner) = single_expression(text) {
            let expr = self
                .expression(inner)
                .map_err(|err| TemplateError::from_mj(src, &err))?;
            let value = expr
                .eval(scope.context().clone())
                .map_err(|err| TemplateError::from_mj(src, &err))?;
            return to_json(&value).map_err(|conv| match conv {
                Conversion::Undefined => TemplateError::undefined(src),
                Conversion::Invalid => TemplateError::evaluate(src),
            });
        }
        let counted = self.counted_source(text);
        let mut out = Bounded {
            bytes: Vec::new(),
            chars: 0,
            limit: self.output,
        };
        budget::start(self.iterations);
        // Names and literal forms are checked on the flow's own text, the loops counted in the
        // rewritten one (the counter is a function, not a filter or test).
        let rendered = ENVIRONMENT
            .template_from_str(counted.as_deref().unwrap_or(text))
            .and_then(|template| {
                literal_forms(text, false)?;
                let compiled = machinery::get_compiled_template(&template);
                known_names(&compiled.instructions)?;
                compiled.blocks.values().try_for_each(known_names)?;
                template.render_captured_to(scope.context().clone(), &mut out)
            });
        if budget::ran_out() {
            return Err(TemplateError::evaluate(src));
        }
        rendered.map_err(|err| TemplateError::from_mj(src, &err))?;
        String::from_utf8(out.bytes)
            .map(Value::String)
            .map_err(|_| TemplateError::evaluate(src))
    }
}

/// A template's text with `\r\n` and `\r` read as `\n`, everywhere (its text and its string
/// literals), as Jinja2 reads a template (contract §1.3).
fn jinja_newlines(src: &str) -> Cow<'_, str> {
    if src.contains('\r') {
        Cow::Owned(src.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(src)
    }
}

/// The value cached under `key`, else `make`'s, cached when it is made.
fn cached<V: Clone, E>(
    cache: &RwLock<HashMap<Box<str>, V>>,
    key: &str,
    make: impl FnOnce() -> Result<V, E>,
) -> Result<V, E> {
    let found = cache
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(key)
        .cloned();
    if let Some(value) = found {
        return Ok(value);
    }
    let value = make()?;
    cache
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key.into(), value.clone());
    Ok(value)
}

/// A text template's output, refused past `limit` characters (contract §6.12): the write fails
/// and the rendering stops with `cannot evaluate template`.
struct Bounded {
    bytes: Vec<u8>,
    chars: usize,
    limit: usize,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // Characters are the bytes that do not continue a UTF-8 sequence.
        self.chars += buf.iter().filter(|&&b| b & 0xC0 != 0x80).count();
        if self.chars > self.limit {
            return Err(std::io::Error::other("template output too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Converts JSON to a template value directly (cheaper than going through serde).
pub(crate) fn from_json(value: &Value) -> MjValue {
    match value {
        Value::Null => MjValue::from(()),
        Value::Bool(b) => MjValue::from(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                MjValue::from(i)
            } else if let Some(u) = n.as_u64() {
                MjValue::from(u)
            } else {
                MjValue::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => MjValue::from(s.as_str()),
        Value::Array(items) => items.iter().map(from_json).collect(),
        Value::Object(map) => from_json_map(map),
    }
}

/// Converts a JSON object to a template map, keeping its key order.
pub(crate) fn from_json_map(map: &Map<String, Value>) -> MjValue {
    MjValue::from_pairs(
        map.iter()
            .map(|(k, v)| (MjValue::from(k.as_str()), from_json(v))),
    )
}

/// Whether a string holds template markup at all.
fn has_markers(src: &str) -> bool {
    src.contains("{{") || src.contains("{%") || src.contains("{#")
}

/// The expression inside a single-expression template (contract §1.3), if it is one.
fn single_expression(src: &str) -> Option<&str> {
    if src.len() < 4 || !src.starts_with("{{") || !src.ends_with("}}") {
        return None;
    }
    let inner = &src[2..src.len() - 2];
    (!inner.contains("{{") && !inner.contains("}}")).then_some(inner)
}

/// Why a template value is not a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Conversion {
    /// It is (or holds) an undefined value.
    Undefined,
    /// An integer outside i64, a non-finite float, or a value with no JSON form.
    Invalid,
}

/// How object keys that are not strings are converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// Refused (a native result must be JSON; contract §6).
    Strict,
    /// Spelled by Python's `str()` (the `tojson` filter, like `json.dumps`).
    Stringify,
}

/// Converts a native template value to JSON with the contract's range checks (brief, Results):
/// tuples become lists, integers must fit i64, floats must be finite, keys must be strings.
pub(crate) fn to_json(value: &MjValue) -> Result<Value, Conversion> {
    convert(value, Keys::Strict)
}

/// Fails when a value written into text is or holds an integer outside i64 or an undefined value
/// (contract §1.3, Text spelling; Python's finalize hook refuses them the same way): minijinja would
/// write the integer, and an undefined item as `None`.
fn check_text(value: &MjValue) -> Result<(), MjError> {
    match value.kind() {
        ValueKind::Undefined => Err(MjError::new(ErrorKind::UndefinedError, "undefined value")),
        ValueKind::Number if value.is_integer() && i64::try_from(value.clone()).is_err() => {
            Err(MjError::new(
                ErrorKind::InvalidOperation,
                "integer outside 64 bits in text",
            ))
        }
        // An iterable (`reverse`, `range`, `xs * 2`...) is written as a list (contract §1.3).
        ValueKind::Seq | ValueKind::Iterable => value.try_iter().map_or(Ok(()), |mut iter| {
            iter.try_for_each(|item| check_text(&item))
        }),
        ValueKind::Map => value.try_iter().map_or(Ok(()), |mut iter| {
            iter.try_for_each(|key| {
                check_text(&key)?;
                check_text(&value.get_item(&key).unwrap_or_default())
            })
        }),
        _ => Ok(()),
    }
}

fn convert(value: &MjValue, keys: Keys) -> Result<Value, Conversion> {
    Ok(match value.kind() {
        ValueKind::Undefined => return Err(Conversion::Undefined),
        ValueKind::None => Value::Null,
        ValueKind::Bool => Value::Bool(value.is_true()),
        ValueKind::Number => {
            if value.is_integer() {
                let int = i64::try_from(value.clone()).map_err(|_| Conversion::Invalid)?;
                Value::Number(int.into())
            } else {
                let float = f64::try_from(value.clone()).map_err(|_| Conversion::Invalid)?;
                Value::Number(Number::from_f64(float).ok_or(Conversion::Invalid)?)
            }
        }
        ValueKind::String => Value::String(value.as_str().unwrap_or_default().to_owned()),
        ValueKind::Seq | ValueKind::Iterable => {
            let iter = value.try_iter().map_err(|_| Conversion::Invalid)?;
            Value::Array(
                iter.map(|item| convert(&item, keys))
                    .collect::<Result<_, _>>()?,
            )
        }
        ValueKind::Map => {
            let iter = value.try_iter().map_err(|_| Conversion::Invalid)?;
            let mut map = Map::new();
            for key in iter {
                let item = value.get_item(&key).map_err(|_| Conversion::Invalid)?;
                let key = match (key.as_str(), keys) {
                    (Some(text), _) => text.to_owned(),
                    // A native result is a JSON value: `{{ {1: 2} }}` is not (contract §6).
                    (None, Keys::Strict) => return Err(Conversion::Invalid),
                    (None, Keys::Stringify) => {
                        // tojson: Python's json writes non-string keys by their str().
                        let mut text = String::new();
                        pyrepr::write_mj_text(&mut text, &key);
                        text
                    }
                };
                map.insert(key, convert(&item, keys)?);
            }
            Value::Object(map)
        }
        _ => return Err(Conversion::Invalid),
    })
}

/// Python truthiness of a JSON value (contract §1).
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

#[cfg(test)]
mod tests;
