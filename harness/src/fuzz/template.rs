//! Template expressions from the whole grammar both engines must agree on (contract §1.3): literals
//! of every form, state lookups (present and missing), arithmetic, comparison, logic, `~`,
//! conditionals, filters and tests, nested to a small depth. Rendered as Jinja text.

use proptest::prelude::*;

/// State keys the generated flows define, and one they never do (an undefined lookup).
pub(crate) const KEYS: [&str; 4] = ["a", "b", "items", "text"];

/// Filters with their argument lists; some exist in one engine only, on purpose.
const FILTERS: [&str; 32] = [
    "upper",
    "lower",
    "length",
    "default('d')",
    "join(',')",
    "tojson",
    "int",
    "float",
    "round",
    "abs",
    "first",
    "last",
    "sort",
    "reverse",
    "string",
    "trim",
    "title",
    "capitalize",
    "list",
    "unique",
    "sum",
    "min",
    "max",
    "replace('a', 'b')",
    "center(9)",
    "wordcount",
    "truncate(5)",
    "dictsort",
    "items",
    "count",
    "batch(2)",
    "indent(2)",
];

/// Tests for `is`.
const TESTS: [&str; 10] = [
    "defined",
    "undefined",
    "number",
    "string",
    "none",
    "odd",
    "even",
    "mapping",
    "sequence",
    "divisibleby(3)",
];

/// Binary operators, `**` included: the template budget of contract §6.12 refuses the exponents
/// that would run for minutes inside CPython's C code.
const OPERATORS: [&str; 15] = [
    "+", "-", "*", "/", "//", "%", "**", "~", "==", "!=", "<", ">=", "and", "or", "in",
];

/// A literal as Jinja spells it, in the forms that have split engines before.
fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        (-5i64..50).prop_map(|n| n.to_string()),
        Just("9223372036854775807".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("010".to_owned()),
        prop_oneof![
            Just("1.5"),
            Just("10."),
            Just("1e-5"),
            Just("1e16"),
            Just("0.1"),
            Just("-0.0")
        ]
        .prop_map(str::to_owned),
        prop_oneof![
            Just("'x'"),
            Just("'a b'"),
            Just("''"),
            Just("'é✓'"),
            Just("'10'"),
            Just("'\\n'")
        ]
        .prop_map(str::to_owned),
        prop_oneof![Just("true"), Just("false"), Just("none"), Just("True")]
            .prop_map(str::to_owned),
        Just("[1, 'a', 2.5]".to_owned()),
        Just("{'k': 1, 'j': [true]}".to_owned()),
        Just("[3, 1, 2]".to_owned()),
        Just("[1, 'a']".to_owned()),
    ]
}

/// A leaf: a literal or a lookup.
fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => literal(),
        3 => prop::sample::select(&KEYS[..]).prop_map(|key| format!("state.{key}")),
        1 => Just("state.missing".to_owned()),
        1 => Just("attempt".to_owned()),
        1 => Just("state['a']".to_owned()),
        1 => Just("state.items[0]".to_owned()),
    ]
}

/// An expression of at most a few levels.
pub(crate) fn expression() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(&OPERATORS[..]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            inner.clone().prop_map(|a| format!("(not {a})")),
            inner.clone().prop_map(|a| format!("(-{a})")),
            (inner.clone(), prop::sample::select(&FILTERS[..]))
                .prop_map(|(a, f)| format!("({a} | {f})")),
            (inner.clone(), prop::sample::select(&TESTS[..]))
                .prop_map(|(a, t)| format!("({a} is {t})")),
            (inner.clone(), inner.clone(), inner)
                .prop_map(|(a, c, b)| format!("({a} if {c} else {b})")),
        ]
    })
}

/// A template string: one expression alone (a native value), or inside text (a string).
pub(crate) fn template() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => expression().prop_map(|e| format!("{{{{ {e} }}}}")),
        1 => (expression(), expression()).prop_map(|(a, b)| format!("x{{{{ {a} }}}}-{{{{ {b} }}}}")),
        1 => expression().prop_map(|e| format!("{{% for i in {e} %}}{{{{ i }}}},{{% endfor %}}")),
    ]
}
