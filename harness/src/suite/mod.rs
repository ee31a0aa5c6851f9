//! The per-fixture checks, shared by the `fixtures` test target and `twinflow check`.
//!
//! Each fixture runs through both engines; then, per engine, the check chain
//! ([`crate::check_log`]: **schema**, **structure**, normalization and **snapshot**) and the
//! **outcome** (the run ends as `parity.expect` says); across engines, **parity** (normalized Rust
//! == normalized Python). Everything found is a [`crate::finding::Finding`]; `verdict` turns the
//! findings into table cells, honouring `parity.xfail` (contract §5).
//!
//! `model` holds the data, `engine` checks one engine's side, `parity` compares the sides (`scope` when a divergence is declared at paths),
//! `verdict` judges, `scheduler` spreads fixtures over threads, `checks` ties them together.

mod checks;
mod engine;
mod model;
mod parity;
mod scheduler;
mod scope;
mod verdict;

pub use checks::Suite;
pub use engine::{end_yaml, load_failure_yaml};
pub use model::{
    COLUMNS, Ended, EngineReport, FixtureReport, Status, SuiteOptions, Verdict, xfail_reason,
};
pub use scheduler::run_all;
pub use verdict::{Movement, movement};

#[cfg(test)]
mod tests;
