//! twinflow: the cross-runtime parity harness for the yamlflow engines.
//!
//! Runs shared fixtures through the Rust engine and the embedded Python engine, validates every event
//! against `schema/event.schema.json`, normalizes per contract §4 and snapshot-diffs the results.
//! The same validator and normalizer serve third-party logs (`twinflow validate`, `twinflow compare`).

pub mod check_log;
pub mod commands;
pub mod conform;
pub mod coverage;
pub mod diff;
pub mod export;
pub mod finding;
pub mod fingerprint;
pub mod fixture;
pub mod fuzz;
pub mod jsonl;
pub mod layout;
pub mod normalize;
pub mod palette;
pub mod python;
pub mod report;
pub mod run;
pub mod schema;
pub mod select;
pub mod snapshot;
pub mod structure;
pub mod suite;
