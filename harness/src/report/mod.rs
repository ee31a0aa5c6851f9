//! Every output format, one module each (STYLE §5: text for people, formats for machines):
//! `text` (one line or a block per finding), `table` (fixture × check), `json`, `junit` and
//! `github` (Actions annotations); `conform_*` render `twinflow conform`'s reports in each. Each renders the same [`crate::finding::Finding`]s and
//! [`crate::suite::FixtureReport`]s; nothing outside this folder formats a finding.

mod conform_github;
mod conform_json;
mod conform_junit;
mod conform_text;
mod coverage;
pub mod github;
mod json;
mod junit;
mod rerun;
mod table;
pub mod text;
mod totals;

pub use conform_github::{render_conform_annotations, render_conform_summary};
pub use conform_json::render_conform_json;
pub use conform_junit::render_conform_junit;
pub use conform_text::{render_conform_findings, render_conform_table, render_scores};
pub use coverage::{RuntimeCoverage, coverage_json, coverage_markdown, coverage_text};
pub use json::{REPORT_VERSION, finding_json, render_json};
pub use junit::render_junit;
pub use rerun::{cause, render_rerun};
pub use table::{render_table, render_timings};
pub use totals::Totals;
