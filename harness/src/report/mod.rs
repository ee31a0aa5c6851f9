//! Every output format, one module each (STYLE §5: text for people, formats for machines):
//! `text` (one line or a block per finding), `table` (fixture × check), `json`, `junit` and
//! `github` (Actions annotations). Each renders the same [`crate::finding::Finding`]s and
//! [`crate::suite::FixtureReport`]s; nothing outside this folder formats a finding.

mod coverage;
pub mod github;
mod json;
mod junit;
mod rerun;
mod table;
pub mod text;
mod totals;

pub use coverage::{RuntimeCoverage, coverage_json, coverage_markdown, coverage_text};
pub use json::{REPORT_VERSION, finding_json, render_json};
pub use junit::render_junit;
pub use rerun::{cause, render_rerun};
pub use table::{render_table, render_timings};
pub use totals::Totals;
