//! `twinflow coverage`'s table, as text for people, Markdown for a CI step summary, and JSON.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::coverage::Category;

/// One runtime's coverage.
pub type RuntimeCoverage<'a> = (&'a str, &'a [Category]);

/// `category  rust  python  missing…`, one row per category.
#[must_use]
pub fn coverage_text(runtimes: &[RuntimeCoverage<'_>]) -> String {
    let mut out = format!("{:<16}", "category");
    for (runtime, _) in runtimes {
        let _ = write!(out, "  {runtime:>14}");
    }
    out.push_str("  missing\n");
    let Some((_, first)) = runtimes.first() else {
        return out;
    };
    for (index, category) in first.iter().enumerate() {
        let _ = write!(out, "{:<16}", category.name);
        let mut missing: Vec<String> = Vec::new();
        for (runtime, categories) in runtimes {
            let Some(row) = categories.get(index) else {
                continue;
            };
            let cell = format!("{}/{} {:>3.0}%", row.covered, row.total, row.percent());
            let _ = write!(out, "  {cell:>14}");
            for name in &row.missing {
                missing.push(format!("{name} ({runtime})"));
            }
        }
        let _ = writeln!(out, "  {}", missing.join(", "));
    }
    out
}

/// The same table in Markdown.
#[must_use]
pub fn coverage_markdown(runtimes: &[RuntimeCoverage<'_>]) -> String {
    let mut out = String::from("| category |");
    for (runtime, _) in runtimes {
        let _ = write!(out, " {runtime} |");
    }
    out.push_str(" missing |\n|---|");
    for _ in runtimes {
        out.push_str("---|");
    }
    out.push_str("---|\n");
    let Some((_, first)) = runtimes.first() else {
        return out;
    };
    for (index, category) in first.iter().enumerate() {
        let _ = write!(out, "| {} |", category.name);
        let mut missing: Vec<String> = Vec::new();
        for (runtime, categories) in runtimes {
            if let Some(row) = categories.get(index) {
                let _ = write!(
                    out,
                    " {}/{} ({:.0} %) |",
                    row.covered,
                    row.total,
                    row.percent()
                );
                missing.extend(
                    row.missing
                        .iter()
                        .map(|name| format!("`{name}` ({runtime})")),
                );
            }
        }
        let _ = writeln!(out, " {} |", missing.join(", "));
    }
    out
}

/// The table as JSON: `{version, runtimes: {rust: [{category, covered, total, missing}]}}`.
#[must_use]
pub fn coverage_json(runtimes: &[RuntimeCoverage<'_>]) -> Value {
    let map: serde_json::Map<String, Value> = runtimes
        .iter()
        .map(|(runtime, categories)| {
            let rows: Vec<Value> = categories
                .iter()
                .map(|row| {
                    json!({"category": row.name, "covered": row.covered, "total": row.total,
                        "missing": row.missing})
                })
                .collect();
            ((*runtime).to_owned(), Value::Array(rows))
        })
        .collect();
    json!({"version": 1, "runtimes": map})
}
