//! A `yamlflow.LoadError` raised by the Python twin, read into the Rust engine's own
//! [`yamlflow::LoadError`]: the twins share one load error type (contract §1.4), and the Python
//! boundary needs nothing from the modules that run fixtures.

use pyo3::prelude::*;
use yamlflow::{LoadError, LoadErrorKind};

/// The fields of a `yamlflow.LoadError` (`kind, message, file, line, column, key`); `None` when
/// its kind is not one the Rust engine knows (the caller reports the exception as it is).
pub(crate) fn from_py(
    value: &Bound<'_, pyo3::exceptions::PyBaseException>,
) -> PyResult<Option<LoadError>> {
    let kind: String = value.getattr("kind")?.extract()?;
    let Some(kind) = LoadErrorKind::parse(&kind) else {
        return Ok(None);
    };
    Ok(Some(LoadError {
        kind,
        message: value.getattr("message")?.extract()?,
        file: value.getattr("file")?.extract()?,
        line: value.getattr("line")?.extract()?,
        column: value.getattr("column")?.extract()?,
        key: value.getattr("key")?.extract()?,
    }))
}
