//! The template tests: single expressions, text spelling, undefined values and errors (contract §1.3).

use super::*;
use serde_json::json;

fn render(src: &str, state: Value) -> Result<Value, TemplateError> {
    let state = state.as_object().cloned().unwrap_or_default();
    Templates::new(&crate::flow::Limits::DEFAULT).render_str(src, &Scope::node(&state, 1, None))
}

#[test]
fn single_expressions_are_native() {
    assert_eq!(render("{{1}}", json!({})).unwrap(), json!(1));
    assert_eq!(render(" {{ 1 }}", json!({})).unwrap(), json!(" 1"));
    assert_eq!(render("{{ 1 }}{{ 2 }}", json!({})).unwrap(), json!("12"));
    assert_eq!(
        render("{{ {'a': [1]} }}", json!({})).unwrap(),
        json!({"a": [1]})
    );
    assert_eq!(render("{{ '}}' }}", json!({})).unwrap(), json!("}}"));
    assert_eq!(render("{{ '{{' }}", json!({})).unwrap(), json!("{{"));
    assert_eq!(render("{# note #}{{ 4 }}", json!({})).unwrap(), json!("4"));
    assert_eq!(
        render("no markers {", json!({})).unwrap(),
        json!("no markers {")
    );
    assert_eq!(render("{{ (1, 2) }}", json!({})).unwrap(), json!([1, 2]));
}

#[test]
fn arithmetic_and_ranges() {
    assert_eq!(render("{{ 7 / 2 }}", json!({})).unwrap(), json!(3.5));
    assert_eq!(render("{{ -7 // 2 }}", json!({})).unwrap(), json!(-4));
    assert_eq!(
        render("{{ 2 ** 62 }}", json!({})).unwrap(),
        json!(4611686018427387904i64)
    );
    assert_eq!(
        render("{{ 2 ** 64 }}", json!({})).unwrap_err().message,
        "cannot evaluate template: {{ 2 ** 64 }}"
    );
    assert_eq!(
        render("{{ 1 / 0 }}", json!({})).unwrap_err().message,
        "cannot evaluate template: {{ 1 / 0 }}"
    );
}

#[test]
fn undefined_and_syntax_errors() {
    assert_eq!(
        render("{{ state.missing }}", json!({}))
            .unwrap_err()
            .message,
        "undefined value in template: {{ state.missing }}"
    );
    assert_eq!(
        render("Hi {{ state.a.b }}!", json!({"a": {}}))
            .unwrap_err()
            .message,
        "undefined value in template: Hi {{ state.a.b }}!"
    );
    assert_eq!(
        render("{{ user }}", json!({})).unwrap_err().message,
        "undefined value in template: {{ user }}"
    );
    assert_eq!(
        render("{{ state.s.code == 200 }}", json!({"s": {}}))
            .unwrap_err()
            .message,
        "undefined value in template: {{ state.s.code == 200 }}"
    );
    assert_eq!(
        render("{{ state.n.upper() }}", json!({"n": "ada"}))
            .unwrap_err()
            .message,
        "undefined value in template: {{ state.n.upper() }}"
    );
    assert_eq!(
        render("{{ state.a + }}", json!({"a": 1}))
            .unwrap_err()
            .message,
        "syntax error in template: {{ state.a + }}"
    );
    assert_eq!(
        render("{{ state.done is defined }}", json!({})).unwrap(),
        json!(false)
    );
}

#[test]
fn python_spelling_in_text() {
    let state = json!({"flag": true, "nothing": null, "list": ["a", 1, null, true, 2.5], "obj": {"k": 1.5}});
    assert_eq!(
        render("{{ state.flag }} {{ state.nothing }} {{ state.list }} {{ state.obj }} {{ state.flag | string }} {{ 1e16 }} {{ 0.00001 }}", state).unwrap(),
        json!("True None ['a', 1, None, True, 2.5] {'k': 1.5} True 1e+16 1e-05")
    );
    assert_eq!(
        render("{{ [1.0, true] | join(',') }}", json!({})).unwrap(),
        json!("1.0,True")
    );
}

#[test]
fn tojson_follows_the_contract() {
    let state = json!({"doc": {"z": 1, "a": [true, null, 2.0], "html": "<b>&'q' \"d\"</b>", "name": "Zoë"}});
    assert_eq!(
        render("{{ state.doc | tojson }}", state).unwrap(),
        json!(
            r#"{"z": 1, "a": [true, null, 2.0], "html": "\u003cb\u003e\u0026\u0027q\u0027 \"d\"\u003c/b\u003e", "name": "Zoë"}"#
        )
    );
}

#[test]
fn key_lookup_and_attempt() {
    let state = json!({"a": {"items": [1, 2, 3], "keys": "k1"}});
    assert_eq!(
        render("{{ state.a.items | length }}", state.clone()).unwrap(),
        json!(3)
    );
    assert_eq!(render("{{ state.a.keys }}", state).unwrap(), json!("k1"));
    assert_eq!(render("{{ attempt }}", json!({})).unwrap(), json!(1));
}

#[test]
fn no_host_access() {
    // contract §6: no methods on strings or lists, no globals beyond range/dict/namespace.
    for src in [
        "{{ 'abc'.upper() }}",
        "{{ range(3).index(2) }}",
        "{{ lipsum.__globals__ }}",
        "{{ cycler(1, 2) }}",
        "{{ joiner() }}",
        "{{ debug() }}",
        "{{ state.items() }}",
        "x{{ 'abc'.upper() }}",
    ] {
        assert_eq!(
            render(src, json!({"a": 1})).unwrap_err().message,
            format!("undefined value in template: {src}"),
            "{src}"
        );
    }
    assert_eq!(
        render("{{ range(3) }}", json!({})).unwrap(),
        json!([0, 1, 2])
    );
    assert_eq!(
        render("{{ dict(a=1) }}", json!({})).unwrap(),
        json!({"a": 1})
    );
}

#[test]
fn non_string_keys_are_not_json() {
    // contract §6; tojson still spells keys like json.dumps.
    assert_eq!(
        render("{{ {1: 2} }}", json!({})).unwrap_err().message,
        "cannot evaluate template: {{ {1: 2} }}"
    );
    assert_eq!(
        render("{{ [{'a': {none: 1} }] }}", json!({}))
            .unwrap_err()
            .message,
        "cannot evaluate template: {{ [{'a': {none: 1} }] }}"
    );
    assert_eq!(
        render("{{ {1: 2} | tojson }}", json!({})).unwrap(),
        json!(r#"{"1": 2}"#)
    );
}

#[test]
fn big_ints_in_text() {
    // contract §6.
    for src in [
        "a{{ 9223372036854775807 + 1 }}",
        "a{{ [2 ** 64] }}",
        "{{ (2 ** 64) | string }}",
        "a{{ [1, 2 ** 64] | join(',') }}",
        "a{{ -9223372036854775808 - 1 }}",
    ] {
        assert_eq!(
            render(src, json!({})).unwrap_err().message,
            format!("cannot evaluate template: {src}"),
            "{src}"
        );
    }
    assert_eq!(
        render("a{{ 9223372036854775807 }}", json!({})).unwrap(),
        json!("a9223372036854775807")
    );
}

#[test]
fn truthiness_is_pythons() {
    for v in [
        json!(false),
        json!(0),
        json!(0.0),
        json!(""),
        json!([]),
        json!({}),
        json!(null),
    ] {
        assert!(!truthy(&v));
    }
    for v in [
        json!("0"),
        json!([0]),
        json!({"a": null}),
        json!(-1),
        json!(0.1),
    ] {
        assert!(truthy(&v));
    }
}

#[test]
fn template_budget() {
    // contract §6.12: 100,000 iterations of a simple loop fit; 10^6 (or 10^10) do not, and a
    // text output beyond the limit stops the rendering.
    let t = Templates::new(&crate::flow::Limits::DEFAULT);
    let state = Map::new();
    let render = |src: &str| t.render_str(src, &Scope::state_only(&state));
    let fits = render("{% for i in range(100000) %}{{ i }}{% endfor %}").unwrap();
    assert_eq!(fits.as_str().map(str::len), Some(488_890));
    for src in [
        "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
    ] {
        assert_eq!(
            render(src).unwrap_err().message,
            format!("cannot evaluate template: {src}")
        );
    }
}

#[test]
fn template_budget_is_exact() {
    // contract §6.12: each item a loop takes costs one iteration, nested loops, the `if` clause's
    // skipped items and a recursive loop's `loop(...)` items included.
    let state: Map<String, Value> =
        json!({"tree": [{"kids": [{"kids": []}, {"kids": []}]}], "m": {"a": 1, "b": 2}})
            .as_object()
            .cloned()
            .unwrap();
    let render = |src: &str, iterations: u64| {
        let limits = crate::flow::Limits {
            template_iterations: iterations,
            ..crate::flow::Limits::DEFAULT
        };
        Templates::new(&limits).render_str(src, &Scope::state_only(&state))
    };
    for (src, needed, text) in [
        (
            "{% for i in range(3) %}{% for j in range(4) %}.{% endfor %}{% endfor %}",
            15,
            "............",
        ),
        (
            "{% for c in 'abc' if c != 'b' %}{{ c }}{{ loop.length }}{% endfor %}",
            3,
            "a2c2",
        ),
        (
            "{% for k in state.m %}{{ k }}{{ loop.revindex }}{% else %}none{% endfor %}",
            2,
            "a2b1",
        ),
        ("{% for x in [] %}{% else %}none{% endfor %}", 0, "none"),
        (
            "{% for n in state.tree recursive %}({{ loop(n.kids) }}){% endfor %}",
            3,
            "(()())",
        ),
        (
            "{% macro m(n) %}{% for i in range(n) %}{{ i }}{% endfor %}{% endmacro %}{{ m(2) }}{{ m((3)) }}",
            5,
            "01012",
        ),
    ] {
        assert_eq!(
            render(src, needed),
            Ok(Value::String(text.to_owned())),
            "{src}"
        );
        assert_eq!(
            render(src, needed.saturating_sub(1)).map_err(|e| e.message),
            if needed == 0 {
                Ok(Value::String(text.to_owned()))
            } else {
                Err(format!("cannot evaluate template: {src}"))
            },
            "{src}"
        );
    }
}

#[test]
fn the_counter_is_not_for_flows() {
    let src = "{{ __loop_budget([1, 2]) | list }}";
    assert_eq!(render(src, json!({})), Err(TemplateError::undefined(src)));
    let text = "{{ '__loop_budget' }}";
    assert_eq!(render(text, json!({})), Ok(json!("__loop_budget")));
}

#[test]
fn loop_iterables_are_wrapped_whole() {
    // The syntax tree's spans cover only the last filter of a chain; the rewrite works on tokens.
    for (src, rewritten) in [
        (
            "{% for k, v in state.a | items if k %}{% endfor %}",
            "{% for k, v in __loop_budget(state.a | items) if k %}{% endfor %}",
        ),
        (
            "{%- for x in (a)|map('upper') recursive %}{{ loop((x.kids)|list, 1) }}{% endfor %}",
            "{%- for x in __loop_budget((a)|map('upper')) recursive %}{{ loop(__loop_budget((x.kids)|list), 1) }}{% endfor %}",
        ),
        ("{{ a.loop(x) }}{% raw %}{% for x in y %}{% endraw %}", ""),
        ("{% for x in %}", ""),
    ] {
        assert_eq!(
            super::budget::rewrite(src).unwrap_or_default(),
            rewritten,
            "{src}"
        );
    }
}
