//! Contract sections as coverage items. A fixture claims the sections it exercises
//! (`parity.covers`, contract §5.2); a claim counts for a runtime only when that runtime's run of
//! the fixture shows the section's evidence, so a claim cannot outlive what the engines do. The
//! sections are the leaves of `docs/contract.md`'s headings, less those its §5.7 lists as beyond a
//! fixture's reach.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::fixture::{Fixture, Parity};
use crate::jsonl::LogEvents;
use crate::run::Outcome;

/// The section whose table lists what fixtures cannot cover.
const EXEMPTIONS: &str = "§5.7";

/// The sections of a contract, as coverage sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sections {
    /// Every leaf heading (a `§N` without subsections, or a `§N.M`), in document order.
    pub leaves: Vec<String>,
    /// The leaves fixtures cannot cover, with why (from the table under §5.7).
    pub exempt: BTreeMap<String, String>,
}

impl Sections {
    /// Reads the headings of `contract` (the text of `docs/contract.md`).
    #[must_use]
    pub fn parse(contract: &str) -> Self {
        let headings: Vec<String> = contract
            .lines()
            .filter(|line| line.starts_with("## §") || line.starts_with("### §"))
            .filter_map(|line| line.split_whitespace().nth(1).map(str::to_owned))
            .collect();
        let leaves = headings
            .iter()
            .filter(|heading| {
                let prefix = format!("{heading}.");
                !headings.iter().any(|other| other.starts_with(&prefix))
            })
            .cloned()
            .collect();
        Self {
            leaves,
            exempt: exemptions(contract),
        }
    }

    /// The leaves fixtures are expected to cover.
    pub fn coverable(&self) -> impl Iterator<Item = &str> {
        self.leaves
            .iter()
            .map(String::as_str)
            .filter(|leaf| !self.exempt.contains_key(*leaf))
    }
}

/// The `| §N.M | why |` rows of the table in the exemptions section.
fn exemptions(contract: &str) -> BTreeMap<String, String> {
    let mut inside = false;
    let mut rows = BTreeMap::new();
    for line in contract.lines() {
        if line.starts_with('#') {
            inside = line.split_whitespace().nth(1) == Some(EXEMPTIONS);
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if inside && cells.len() >= 4 && cells[1].starts_with('§') {
            rows.insert(cells[1].to_owned(), cells[2].to_owned());
        }
    }
    rows
}

/// What a run shows, read once for every section's test.
struct Run<'r> {
    parity: &'r Parity,
    text: &'r str,
    events: &'r LogEvents,
    loaded: bool,
    load_error: Option<&'r crate::run::LoadError>,
}

impl Run<'_> {
    fn any(&self, test: impl Fn(&Value) -> bool) -> bool {
        self.events.iter_values().any(|event| test(&event))
    }

    fn has_action(&self, test: impl Fn(&str) -> bool) -> bool {
        self.any(|event| {
            event
                .get("action")
                .and_then(Value::as_str)
                .is_some_and(&test)
        })
    }

    fn has_error_type(&self, name: &str) -> bool {
        self.any(|event| event.pointer("/data/error/type").and_then(Value::as_str) == Some(name))
    }

    fn has(&self, event_type: &str, kind: &str) -> bool {
        self.any(|event| {
            event.get("event_type").and_then(Value::as_str) == Some(event_type)
                && event.get("kind").and_then(Value::as_str) == Some(kind)
        })
    }

    fn text(&self) -> &str {
        self.text
    }

    fn load_message(&self, needle: &str) -> bool {
        self.load_error
            .is_some_and(|error| error.message.contains(needle))
    }
}

/// The evidence a run must show for a claim of `section` to count, or `None` for a section no
/// test is written for (which [`evidence_is_defined`] reports).
#[allow(clippy::too_many_lines)] // one line per section of the contract, read as a table
fn shows(section: &str, run: &Run<'_>) -> Option<bool> {
    let templated = run.text().contains("{{") || run.text().contains("{%");
    Some(match section {
        "§1.1" | "§3.1" | "§4" | "§5.3" => run.loaded,
        "§1.2" => run.has("exit", "node") || run.has("error", "node"),
        "§1.3" => run.loaded && templated,
        "§1.4" | "§5.4" => run.load_error.is_some(),
        "§2.1" => run.has_action(|_| true),
        "§2.2" => run.any(|event| {
            event.get("event_type").and_then(Value::as_str) == Some("exit")
                && event.get("action").is_some_and(Value::is_string)
        }),
        "§2.3" => run.any(|event| event.pointer("/data/error/message").is_some()),
        "§3.2" => {
            run.has("entry", "node") && (run.has("exit", "node") || run.has("error", "node"))
        }
        "§3.3" => run.any(|event| {
            event.get("event_type").and_then(Value::as_str) == Some("log")
                || event.get("level").and_then(Value::as_str) != Some("info")
        }),
        "§3.4" => run.any(|event| event.to_string().contains("[REDACTED]")),
        "§3.5" | "§6.6" => run.loaded && run.text().contains("observability:"),
        "§3.6" | "§6.5" => run.has_action(|action| action.starts_with("obs.")),
        "§3.7" => {
            run.any(|event| event.get("event_type").and_then(Value::as_str) == Some("metric"))
        }
        // Sampling, a tenant, or a small buffer in a run with error events to keep.
        "§3.8" => {
            run.loaded
                && (run.text().contains("sampling:")
                    || run.any(|event| event.get("tenant").is_some())
                    || (run.text().contains("buffer_size")
                        && run.any(|event| {
                            event.get("event_type").and_then(Value::as_str) == Some("error")
                        })))
        }
        "§5.1" | "§5.5" | "§6.9" => run.loaded || run.load_error.is_some(),
        "§5.2" => {
            let parity = run.parity;
            !parity.input.is_empty() || parity.expect.is_some() || parity.xfail.any()
        }
        "§6.1" => run.loaded && templated && run.text().contains("state."),
        "§6.2" => run.has("entry", "node"),
        "§6.3" => run.has("entry", "parallel") || run.has_error_type("LoopLimit"),
        "§6.4" => run.has_error_type("MergeConflict"),
        "§6.7" => run
            .load_error
            .is_some_and(|error| error.line.is_some() && error.column.is_some()),
        "§6.10" => run.has_error_type("TemplateError"),
        "§6.11" => {
            run.has_action(|action| action.starts_with("file."))
                || run.has_error_type("PermissionDenied")
        }
        "§6.12" => {
            run.has_error_type("LimitExceeded")
                || [
                    "document nests too deeply",
                    "document is larger than",
                    "document expands to",
                ]
                .iter()
                .any(|message| run.load_message(message))
                || run.load_message("settings.limits.")
        }
        "§6.13" => [
            "is a fan-out branch and cannot be reached",
            "twice",
            "must list at least two",
        ]
        .iter()
        .any(|message| run.load_message(message)),
        _ => return None,
    })
}

/// The sections of `coverable` for which no evidence is written: a new section of the contract
/// needs its test here before fixtures can claim it.
#[must_use]
pub fn evidence_is_defined<'s>(coverable: impl Iterator<Item = &'s str>) -> Vec<&'s str> {
    let parity = Parity::default();
    let run = Run {
        parity: &parity,
        text: "",
        events: LogEvents::none(),
        loaded: false,
        load_error: None,
    };
    coverable
        .filter(|section| shows(section, &run).is_none())
        .collect()
}

/// The claims of `fixture` that its run (`outcome`) backs, and those it does not.
#[must_use]
pub fn judge_claims(fixture: &Fixture, outcome: &Outcome) -> (BTreeSet<String>, Vec<String>) {
    let (parity, text) = (&fixture.parity, fixture.text.as_str());
    let run = match outcome {
        Outcome::Events(ran) => Run {
            parity,
            text,
            events: &ran.events,
            loaded: true,
            load_error: None,
        },
        Outcome::Load(error) => Run {
            parity,
            text,
            events: LogEvents::none(),
            loaded: false,
            load_error: Some(error),
        },
        Outcome::Errored(_) => Run {
            parity,
            text,
            events: LogEvents::none(),
            loaded: false,
            load_error: None,
        },
    };
    let (backed, unbacked): (Vec<&String>, Vec<&String>) = fixture
        .parity
        .covers
        .iter()
        .partition(|section| shows(section, &run) == Some(true));
    (
        backed.into_iter().cloned().collect(),
        unbacked.into_iter().cloned().collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTRACT: &str = "# C\n## Contents\n## §1 Flows\n### §1.1 Doc\n### §1.2 Run\n## §4 Normalization\n## §5 Fixtures\n### §5.7 Beyond\n\n| section | why |\n|---|---|\n| §5.7 | this table |\n| §1.2 | reasons |\n";

    #[test]
    fn leaves_and_exemptions_come_from_the_headings_and_the_table() {
        let sections = Sections::parse(CONTRACT);
        assert_eq!(sections.leaves, ["§1.1", "§1.2", "§4", "§5.7"]);
        assert_eq!(
            sections.exempt.get("§1.2").map(String::as_str),
            Some("reasons")
        );
        assert_eq!(sections.coverable().collect::<Vec<_>>(), ["§1.1", "§4"]);
    }

    #[test]
    fn the_projects_contract_has_evidence_for_every_coverable_section() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/contract.md"),
        )
        .expect("docs/contract.md");
        let sections = Sections::parse(&text);
        assert!(sections.leaves.len() > 30, "{:?}", sections.leaves);
        assert_eq!(
            evidence_is_defined(sections.coverable()),
            Vec::<&str>::new()
        );
        assert!(
            sections.exempt.contains_key(EXEMPTIONS),
            "{:?}",
            sections.exempt
        );
    }
}
