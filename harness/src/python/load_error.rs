//! A `yamlflow.LoadError` raised by the Python twin, read into the Rust engine's own
//! [`yamlflow::LoadError`]: the twins share one load error type (contract §1.4), and the Python
//! boundary needs nothing from the modules that run fixtures.

use pyo3::prelude::*;
use yamlflow::{LoadError, LoadErrorKind};

/// Every load error kind, to read a kind by its contract name.
///
/// SHIM: the engine exports no `LoadErrorKind::ALL` or `parse` yet; the names are still the
/// engine's own (`LoadErrorKind::name`). Replace with the engine's list once it has one.
const KINDS: [LoadErrorKind; 10] = [
    LoadErrorKind::Io,
    LoadErrorKind::YamlSyntax,
    LoadErrorKind::DuplicateKey,
    LoadErrorKind::UnknownKey,
    LoadErrorKind::MissingKey,
    LoadErrorKind::InvalidValue,
    LoadErrorKind::DuplicateNode,
    LoadErrorKind::UnknownNode,
    LoadErrorKind::MissingEdge,
    LoadErrorKind::NoPath,
];

fn parse_kind(name: &str) -> Option<LoadErrorKind> {
    KINDS.into_iter().find(|kind| kind.name() == name)
}

/// The fields of a `yamlflow.LoadError` (`kind, message, file, line, column, key`); `None` when
/// its kind is not one the Rust engine knows (the caller reports the exception as it is).
pub(crate) fn from_py(
    value: &Bound<'_, pyo3::exceptions::PyBaseException>,
) -> PyResult<Option<LoadError>> {
    let kind: String = value.getattr("kind")?.extract()?;
    let Some(kind) = parse_kind(&kind) else {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_read_by_their_contract_names() {
        for kind in KINDS {
            assert_eq!(parse_kind(kind.name()), Some(kind));
        }
        assert_eq!(parse_kind("yaml_syntax"), None);
    }
}
