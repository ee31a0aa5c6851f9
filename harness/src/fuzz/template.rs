//! Template expressions from the whole grammar both engines must agree on (contract §1.3): literals
//! of every form, state lookups (present and missing), arithmetic, comparison, logic, `~`,
//! conditionals, filters and tests, nested to a small depth. Rendered as Jinja text.

use proptest::prelude::*;

/// State keys the generated flows define, and one they never do (an undefined lookup).
pub(crate) const KEYS: [&str; 4] = ["a", "b", "items", "text"];

/// Every filter of contract §1.3 ("Filters and tests a runtime provides"), with the arguments
/// that have split engines before; the comparison tests (`==`, `>`…) are reached through `select`
/// and `reject`, and `format` by a form of `expression` (`'%s' | format(x)`: a format string whose
/// conversion takes any value). `the_lists_hold_every_filter_and_test_of_the_contract` keeps the
/// lists complete.
const FILTERS: [&str; 58] = [
    "abs",
    "batch(2)",
    "batch(2, 0)",
    "capitalize",
    "count",
    "d",
    "default('d')",
    "default(0, true)",
    "dictsort",
    "dictsort(reverse=true)",
    "e",
    "escape",
    "first",
    "float",
    "float(1.5)",
    "indent(2)",
    "indent(1, true, true)",
    "int",
    "int(7)",
    "items",
    "join",
    "join(',')",
    "last",
    "length",
    "list",
    "lower",
    "map('upper')",
    "map('string')",
    "map(attribute='k')",
    "max",
    "min(attribute='k')",
    "min",
    "reject",
    "reject('odd')",
    "reject('>', 2)",
    "reject('<=', 'a')",
    "rejectattr('k')",
    "replace('a', 'b')",
    "reverse",
    "round",
    "round(1, 'floor')",
    "safe",
    "select",
    "select('==', 1)",
    "select('!=', none)",
    "select('>=', 0)",
    "select('<', 'b')",
    "selectattr('k', 'eq', 1)",
    "slice(2)",
    "sort",
    "sort(reverse=true, attribute='k')",
    "string",
    "sum",
    "title",
    "tojson",
    "trim",
    "unique",
    "upper",
];

/// Filters one library has and the contract removes (contract §1.3, "Not part of the contract"):
/// unknown in both engines, a syntax error wherever they are written.
const REMOVED_FILTERS: [&str; 14] = [
    "center(9)",
    "wordcount",
    "truncate(5)",
    "pprint",
    "striptags",
    "bool",
    "split",
    "attr('k')",
    "groupby('k')",
    "lines",
    "filesizeformat",
    "urlencode",
    "wordwrap(5)",
    "xmlattr",
];

/// Every test of contract §1.3 but the comparison operators (see `FILTERS`).
const TESTS: [&str; 32] = [
    "boolean",
    "defined",
    "divisibleby(3)",
    "eq(1)",
    "equalto('x')",
    "escaped",
    "even",
    "false",
    "filter",
    "float",
    "ge(1)",
    "greaterthan(1.5)",
    "gt(0)",
    "in([1, 'a'])",
    "integer",
    "iterable",
    "le(1)",
    "lessthan(2)",
    "lt(0)",
    "lower",
    "mapping",
    "ne(none)",
    "none",
    "number",
    "odd",
    "sameas(true)",
    "sequence",
    "string",
    "test",
    "true",
    "undefined",
    "upper",
];

/// Tests the contract removes (contract §1.3).
const REMOVED_TESTS: [&str; 5] = [
    "callable",
    "int",
    "safe",
    "startingwith('a')",
    "endingwith('a')",
];

/// Binary operators, `**` included: the template budget of contract §6.12 refuses the exponents
/// that would run for minutes inside CPython's C code.
const OPERATORS: [&str; 15] = [
    "+", "-", "*", "/", "//", "%", "**", "~", "==", "!=", "<", ">=", "and", "or", "in",
];

/// A literal as Jinja spells it, in the forms that have split engines before: integers at the
/// 64- and 128-bit edges and past them, floats with and without digits after the dot, and strings
/// with the escapes Python and minijinja read differently.
fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        (-5i64..50).prop_map(|n| n.to_string()),
        prop_oneof![
            Just("9223372036854775807"),
            Just("18446744073709551616"),
            Just("170141183460469231731687303715884105728"),
            Just("340282366920938463463374607431768211455"),
            Just("340282366920938463463374607431768211456"),
            Just("99999999999999999999999999999999999999999"),
        ]
        .prop_map(str::to_owned),
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
            Just("'%s'")
        ]
        .prop_map(str::to_owned),
        prop::sample::select(&ESCAPES[..]).prop_map(str::to_owned),
        prop_oneof![Just("true"), Just("false"), Just("none"), Just("True")]
            .prop_map(str::to_owned),
        Just("[1, 'a', 2.5]".to_owned()),
        Just("{'k': 1, 'j': [true]}".to_owned()),
        Just("[3, 1, 2]".to_owned()),
        Just("[1, 'a']".to_owned()),
    ]
}

/// String literals with backslash escapes, as the template holds them (the flow's YAML quoting
/// doubles each backslash): the common ones, `\u` and `\U` escapes (a pair, a lone surrogate) and
/// the ones only one library reads (`\a`, `\/`).
const ESCAPES: [&str; 12] = [
    r"'\n'",
    r"'a\tb'",
    r"'\\'",
    r#""\"""#,
    r"'\''",
    r"'\u00e9'",
    r"'\ud83d\ude00'",
    r"'\udc00'",
    r"'\a'",
    r"'\/'",
    r"'\U0001F600'",
    r"'\x41'",
];

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

/// A filter: mostly the contract's, sometimes one it removes.
fn filter_name() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        12 => prop::sample::select(&FILTERS[..]),
        1 => prop::sample::select(&REMOVED_FILTERS[..]),
    ]
}

/// A test: mostly the contract's, sometimes one it removes.
fn test_name() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        12 => prop::sample::select(&TESTS[..]),
        1 => prop::sample::select(&REMOVED_TESTS[..]),
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
            (inner.clone(), filter_name()).prop_map(|(a, f)| format!("({a} | {f})")),
            (inner.clone(), test_name()).prop_map(|(a, t)| format!("({a} is {t})")),
            inner.clone().prop_map(|a| format!("('%s' | format({a}))")),
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    use super::*;
    use crate::coverage::templates::{required, used};

    fn contract() -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/contract.md");
        std::fs::read_to_string(path).expect("docs/contract.md")
    }

    /// The filters and tests the generated templates name, as `twinflow coverage` reads them.
    fn named(templates: &[String]) -> (BTreeSet<String>, BTreeSet<String>) {
        let (mut filters, mut tests) = (BTreeSet::new(), BTreeSet::new());
        for template in templates {
            let (f, t) = used(template);
            filters.extend(f);
            tests.extend(t);
        }
        (filters, tests)
    }

    /// The filters and tests contract §1.3 requires that `templates` never name.
    fn never_named(templates: &[String]) -> Vec<String> {
        let (filters, tests) = required(&contract());
        let (named_filters, named_tests) = named(templates);
        filters
            .into_iter()
            .filter(|f| !named_filters.contains(f))
            .chain(tests.into_iter().filter(|t| !named_tests.contains(t)))
            .collect()
    }

    /// `{{ x | f }}` for each filter and `{{ x is t }}` for each test.
    fn written(filters: &[&str], tests: &[&str]) -> Vec<String> {
        let filters = filters.iter().map(|f| format!("{{{{ x | {f} }}}}"));
        filters
            .chain(tests.iter().map(|t| format!("{{{{ x is {t} }}}}")))
            .collect()
    }

    /// Every filter and test contract §1.3 requires is in the generator's lists (the comparison
    /// tests through `select` and `reject`, `format` in a form of its own), and no removed name is
    /// one the contract requires.
    #[test]
    fn the_lists_hold_every_filter_and_test_of_the_contract() {
        let (filters, tests) = required(&contract());
        assert!(
            filters.len() > 30 && tests.len() > 30,
            "{filters:?} {tests:?}"
        );
        let mut templates = written(&FILTERS, &TESTS);
        // `expression`'s own form for `format`, whose input is the format string.
        templates.push("{{ ('%s' | format(x)) }}".to_owned());
        let missing = never_named(&templates);
        assert!(missing.is_empty(), "the generator never writes {missing:?}");
        let (removed_filters, removed_tests) = named(&written(&REMOVED_FILTERS, &REMOVED_TESTS));
        let required: Vec<&String> = removed_filters
            .iter()
            .filter(|f| filters.contains(*f))
            .chain(removed_tests.iter().filter(|t| tests.contains(*t)))
            .collect();
        assert!(required.is_empty(), "removed but required: {required:?}");
    }

    /// The strategy itself reaches them: 3000 templates of a fixed seed name every filter and test
    /// the contract requires, a literal past 2^128 and a lone surrogate escape.
    #[test]
    fn generated_templates_reach_every_filter_test_and_literal_form() {
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[3; 32]);
        let mut runner = TestRunner::new_with_rng(Config::default(), rng);
        let strategy = template();
        let texts: Vec<String> = (0..3000)
            .map(|_| {
                strategy
                    .new_tree(&mut runner)
                    .expect("a template")
                    .current()
            })
            .collect();
        let missing = never_named(&texts);
        assert!(missing.is_empty(), "3000 templates never wrote {missing:?}");
        for form in ["340282366920938463463374607431768211456", r"'\udc00'"] {
            assert!(texts.iter().any(|t| t.contains(form)), "no {form}");
        }
    }
}
