//! Python exceptions carried across the pyo3 boundary as Rust values (STYLE §3: a failure in the
//! twin is a result, not a crash).

use std::fmt;

use pyo3::prelude::*;
use pyo3::types::PyTracebackMethods;

/// A Python exception, taken apart while the interpreter is attached: its type, message and the
/// formatted traceback (with the final `Type: message` line, which `traceback.format()` omits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyException {
    /// The exception's type, qualified by its module unless it is a builtin (`yamlflow.LoadError`,
    /// `KeyError`).
    pub type_name: String,
    /// `str(exception)`.
    pub message: String,
    /// The formatted traceback, ending with `Type: message`.
    pub traceback: String,
}

impl PyException {
    /// Takes a `PyErr` apart. Never fails: what cannot be read is replaced by a note.
    pub(crate) fn from_err(py: Python<'_>, err: &PyErr) -> Self {
        let ty = err.get_type(py);
        let name = ty
            .qualname()
            .map_or_else(|_| "<unknown>".to_owned(), |n| n.to_string());
        let module = ty.module().map(|m| m.to_string()).unwrap_or_default();
        let type_name = if module.is_empty() || module == "builtins" {
            name
        } else {
            format!("{module}.{name}")
        };
        let message = err
            .value(py)
            .str()
            .map_or_else(|_| "<unprintable exception>".to_owned(), |s| s.to_string());
        let mut traceback = err
            .traceback(py)
            .and_then(|tb| tb.format().ok())
            .unwrap_or_default();
        traceback.push_str(&type_name);
        if !message.is_empty() {
            traceback.push_str(": ");
            traceback.push_str(&message);
        }
        Self {
            type_name,
            message,
            traceback,
        }
    }
}

impl fmt::Display for PyException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.type_name, self.message)
    }
}

impl std::error::Error for PyException {}

/// Why the embedded Python engine cannot be used at all.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum PythonError {
    /// The layout has no usable venv.
    #[error("cannot set up the embedded Python: {0}")]
    Layout(String),
    /// Setting up `sys.path` or importing `yamlflow` raised.
    #[error("cannot set up the embedded Python ({step}): {exception}\n{}", exception.traceback)]
    Setup {
        /// What was being done.
        step: &'static str,
        /// The exception.
        exception: PyException,
    },
    /// The process's interpreter was already set up for another checkout.
    #[error("the embedded Python is already set up for {first}; cannot switch to {requested}")]
    OtherRoot {
        /// The root it was set up for.
        first: String,
        /// The root asked for now.
        requested: String,
    },
}
