//! Tenant scoping through the embedding API (contract §3.8): `get_flow_log` returns a run's log
//! only to its own tenant, and an input tenant that is not a non-empty string stops the run.

use serde_json::{Value, json};
use yamlflow::{LoadErrorKind, RunOptions, RunOutcome};

const FLOW: &str = "name: f\nnodes: [{name: a, uses: state.set}]\n\
                    edges: [{from: __start__, to: a}, {from: a, to: __end__}]\n";

fn run(text: &str, input: Value) -> Result<RunOutcome, yamlflow::LoadError> {
    let flow = yamlflow::load_str(text, "<test>").expect("flow loads");
    let dir = tempfile::tempdir().unwrap();
    let mut options = RunOptions::new(dir.path());
    options.input = input.as_object().cloned().unwrap_or_default();
    yamlflow::run(&flow, options)
}

#[test]
fn get_flow_log_returns_a_run_only_to_its_tenant() {
    let outcome = run(FLOW, json!({"tenant": "acme"})).unwrap();
    let obs = &outcome.observability;
    assert_eq!(obs.tenant(), Some("acme"));
    assert_eq!(obs.get_flow_log(&outcome.flow_id, None), None);
    assert_eq!(obs.get_flow_log(&outcome.flow_id, Some("globex")), None);
    let log = obs.get_flow_log(&outcome.flow_id, Some("acme")).unwrap();
    assert_eq!(log["tenant"], "acme");
    let events = log["events"].as_array().unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(|event| event["tenant"] == "acme"));

    let untenanted = run(FLOW, json!({})).unwrap();
    let obs = &untenanted.observability;
    let log = obs.get_flow_log(&untenanted.flow_id, None).unwrap();
    assert!(log.get("tenant").is_none());
    assert_eq!(obs.get_flow_log(&untenanted.flow_id, Some("acme")), None);
}

#[test]
fn an_input_tenant_that_is_not_a_non_empty_string_is_refused() {
    for tenant in [json!(""), json!(7), json!(null), json!(["acme"])] {
        let err = run(FLOW, json!({ "tenant": tenant })).unwrap_err();
        assert_eq!(err.kind, LoadErrorKind::Io);
        assert_eq!(
            err.to_string(),
            "<input>: Io: input 'tenant' must be a non-empty string"
        );
    }
}

#[test]
fn the_settings_tenant_wins_and_leaves_the_input_unchecked() {
    let text = FLOW.replace(
        "name: f\n",
        "name: f\nsettings: {observability: {tenant: acme}}\n",
    );
    let outcome = run(&text, json!({"tenant": 7})).unwrap();
    assert_eq!(outcome.observability.tenant(), Some("acme"));
    assert_eq!(outcome.state["tenant"], 7);
}
