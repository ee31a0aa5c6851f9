//! yamlflow: the Rust twin of the YAML flow engine.
//!
//! Loads YAML flow documents (contract §1), runs them with the builtin actions (contract §2) and
//! emits observability events (contract §3) to handlers and an in-memory ring buffer.
//!
//! ```no_run
//! let flow = yamlflow::load_file("fixtures/linear_three_nodes.yaml").unwrap();
//! let outcome = yamlflow::run(&flow, yamlflow::RunOptions::new(".")).unwrap();
//! println!("{:?} {}", outcome.status, serde_json::Value::Object(outcome.state));
//! ```
#![deny(missing_docs)]

mod actions;
mod error;
mod event;
mod flow;
mod limits;
mod loader;
mod observability;
mod pyrepr;
mod runner;
mod sandbox;
mod template;

pub use error::{LoadError, LoadErrorKind};
pub use event::{ACTIONS, Event, EventType, Level, SpanKind};
pub use flow::{
    ActionCall, END, Edge, Endpoint, Flow, HandlerSpec, Limits, Node, NodeBody,
    ObservabilitySettings, START, Sampling,
};
pub use loader::{load_file, load_str, parse_input, parse_yaml};
pub use observability::{Callback, ConsoleSink, EventStream, ObservabilityContext};
pub use runner::{RunOptions, RunOutcome, RunStatus, check_sandbox, run};
