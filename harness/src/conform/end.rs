//! How a run must end, and whether a runtime's run ended so (contract §5.3, step "status and final
//! state"): the exit status (0 completed, 1 failed, 2 load error, §6.8) and the final state.
//!
//! The expected end is the reference's: the Rust engine built into twinflow runs the fixture
//! in-process, as `twinflow check` does, where it is held equal to the Python twin's end
//! (`parity.final_state`) and its events to the snapshot; where the fixture declares a Rust
//! divergence (`parity.xfail.rust`), the embedded Python twin is the reference instead, as it is
//! the engine the snapshot agrees with. Both final states are normalized with
//! their own run's events (ids relabelled, nested events and flow logs without what varies,
//! numbers by value, keys sorted), as `parity.final_state` compares the twins'. The snapshot alone
//! cannot pin the state: the root span's `exit` carries it only when observability is on at level
//! `info` or lower, and redacted (contract §3.4, §3.5).

use serde_json::Value;

use crate::diff::render_labeled_diff;
use crate::finding::{Check, Code, Finding};
use crate::fixture::Fixture;
use crate::jsonl::LogEvents;
use crate::run::{self, Engine, Outcome, Ran, RunConfig, RunStatus};
use crate::suite::end_yaml;

/// How the reference run of a fixture ended.
#[derive(Debug, Clone)]
pub enum ExpectedEnd {
    /// It ran: its status and normalized end (`status` and `final_state`).
    Ran {
        /// Completed or failed.
        status: RunStatus,
        /// The normalized status and final state.
        end: String,
    },
    /// The flow does not load (exit status 2).
    LoadError,
    /// The reference itself produced nothing (a bug of the reference, reported as such).
    Unavailable(String),
}

impl ExpectedEnd {
    /// The exit status a runtime's command line must give (contract §6.8).
    #[must_use]
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            Self::Ran {
                status: RunStatus::Completed,
                ..
            } => Some(0),
            Self::Ran {
                status: RunStatus::Failed,
                ..
            } => Some(1),
            Self::LoadError => Some(2),
            Self::Unavailable(_) => None,
        }
    }
}

/// Runs `fixture` through the reference engine (Rust, or Python where Rust has a declared
/// divergence) and keeps how it ended.
#[must_use]
pub fn reference_end(fixture: &Fixture, config: &RunConfig) -> ExpectedEnd {
    let engine = if fixture.parity.xfail.rust.is_some() {
        Engine::Python
    } else {
        Engine::Rust
    };
    match run::run_fixture(engine, fixture, config).outcome {
        Outcome::Events(ran) => ExpectedEnd::Ran {
            status: ran.status,
            end: end_yaml(&ran),
        },
        Outcome::Load(_) => ExpectedEnd::LoadError,
        Outcome::Errored(failure) => ExpectedEnd::Unavailable(failure.to_string()),
    }
}

/// The name of what an exit status means.
#[must_use]
pub fn exit_meaning(code: i32) -> &'static str {
    match code {
        0 => "completed",
        1 => "failed",
        2 => "load error",
        _ => "not a contract exit status",
    }
}

/// `conform.exit_status` when `code` is not the one `expected` implies.
#[must_use]
pub fn check_exit(expected: &ExpectedEnd, code: i32) -> Option<Finding> {
    let want = expected.exit_code()?;
    (want != code).then(|| {
        Finding::new(
            Code::new(Check::Conform, "exit_status"),
            format!(
                "exit status {code} ({}), expected {want} ({})",
                exit_meaning(code),
                exit_meaning(want)
            ),
        )
        .with_help("contract §6.8: 0 completed, 1 failed, 2 load error or unusable input")
    })
}

/// The final state from a runtime's output: one JSON object.
///
/// # Errors
/// Why the text is not a JSON object.
pub fn parse_state(text: &[u8]) -> Result<Value, String> {
    match serde_json::from_slice::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err("the final state is not a JSON object".to_owned()),
        Err(_) if text.iter().all(u8::is_ascii_whitespace) => Err("no final state".to_owned()),
        Err(err) => Err(format!("the final state is not JSON: {err}")),
    }
}

/// `conform.state` when the runtime's `status` and `state` (normalized with its `events`) differ
/// from the reference's end.
#[must_use]
pub fn check_state(
    expected: &ExpectedEnd,
    events: &LogEvents,
    status: RunStatus,
    state: Result<Value, String>,
) -> Option<Finding> {
    let ExpectedEnd::Ran { end, .. } = expected else {
        return None;
    };
    let code = Code::new(Check::Conform, "state");
    let state = match state {
        Ok(state) => state,
        Err(why) => return Some(Finding::new(code, why)),
    };
    let ran = Ran {
        events: events.clone(),
        status,
        state,
        console: String::new(),
        flow_id: None,
        error: None,
    };
    let reported = end_yaml(&ran);
    (reported != *end).then(|| {
        Finding::new(
            code,
            "the status or final state differs from the reference's",
        )
        .with_detail(render_labeled_diff(
            "expected", end, "reported", &reported, false,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses_follow_the_expected_end() {
        let failed = ExpectedEnd::Ran {
            status: RunStatus::Failed,
            end: String::new(),
        };
        assert_eq!(check_exit(&failed, 1), None);
        let finding = check_exit(&failed, 0).unwrap();
        assert_eq!(
            finding.message,
            "exit status 0 (completed), expected 1 (failed)"
        );
        assert!(check_exit(&ExpectedEnd::LoadError, 1).is_some());
        assert_eq!(check_exit(&ExpectedEnd::Unavailable("x".into()), 7), None);
    }

    #[test]
    fn states_are_compared_by_value() {
        let end = end_yaml(&Ran {
            events: LogEvents::new(),
            status: RunStatus::Completed,
            state: serde_json::json!({"a": 1, "b": [2.0]}),
            console: String::new(),
            flow_id: None,
            error: None,
        });
        let expected = ExpectedEnd::Ran {
            status: RunStatus::Completed,
            end,
        };
        let same = parse_state(b"{\"b\": [2], \"a\": 1.0}");
        assert_eq!(
            check_state(&expected, &LogEvents::new(), RunStatus::Completed, same),
            None
        );
        let other = parse_state(b"{\"a\": 2, \"b\": [2]}");
        let finding =
            check_state(&expected, &LogEvents::new(), RunStatus::Completed, other).unwrap();
        assert_eq!(finding.code.to_string(), "conform.state");
        assert!(finding.detail.unwrap().contains("+  a: 2"));
        assert_eq!(parse_state(b" \n").unwrap_err(), "no final state");
        assert!(
            check_state(
                &expected,
                &LogEvents::new(),
                RunStatus::Completed,
                parse_state(b"[]")
            )
            .is_some()
        );
    }
}
