//! `twinflow fuzz`: random flows through both engines (issue 13). `flow` and `template` generate
//! flow documents as text from proptest strategies (one mechanism for the seeded long runs and
//! for shrinking: proptest's value trees shrink a divergent flow to a small fixture), `run` checks
//! them with the suite and groups what differs into classes.

mod flow;
mod run;
mod template;

pub use flow::flow;
pub use run::{Budget, Divergence, Outcome, classify, fuzz};
