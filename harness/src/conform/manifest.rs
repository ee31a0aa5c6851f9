//! The expectation manifest (`--expect FILE`): the fixtures a runtime is known to fail, each with
//! its reason, as a YAML mapping from a fixture filter (the one filter syntax of
//! [`crate::select`]: an exact name, a substring, a glob such as `'template_*'`) to a reason.
//! A fixture it names that passes fails with "remove this entry".

use std::path::Path;

use saphyr::{LoadableYamlNode, Yaml};

use crate::select;

/// The manifest: `(filter, reason)` in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    entries: Vec<(String, String)>,
}

impl Manifest {
    /// Reads the manifest at `path`; every filter must select one of `names`.
    ///
    /// # Errors
    /// Why the file is unusable: unreadable, not a mapping of strings to non-empty strings, or a
    /// filter that selects no fixture.
    pub fn load(path: &Path, names: &[&str]) -> Result<Self, String> {
        let text =
            std::fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))?;
        Self::parse(&text, names).map_err(|err| format!("{}: {err}", path.display()))
    }

    /// The manifest in `text`.
    ///
    /// # Errors
    /// As [`Manifest::load`].
    pub fn parse(text: &str, names: &[&str]) -> Result<Self, String> {
        let documents = Yaml::load_from_str(text).map_err(|err| err.to_string())?;
        let mut entries = Vec::new();
        let Some(top) = documents.first() else {
            return Ok(Self::default());
        };
        if top.is_null() {
            return Ok(Self::default());
        }
        let Some(mapping) = top.as_mapping() else {
            return Err("must map fixture filters to reasons".to_owned());
        };
        for (filter, reason) in mapping {
            let (Some(filter), Some(reason)) = (filter.as_str(), reason.as_str()) else {
                return Err("must map fixture filters to reasons (strings)".to_owned());
            };
            if reason.trim().is_empty() {
                return Err(format!("{filter}: the reason must not be empty"));
            }
            select::select(names, &[filter.to_owned()]).map_err(|err| err.to_string())?;
            entries.push((filter.to_owned(), reason.to_owned()));
        }
        Ok(Self { entries })
    }

    /// The reason the runtime is expected to fail `name`, from the first entry selecting it.
    #[must_use]
    pub fn reason(&self, name: &str, names: &[&str]) -> Option<String> {
        self.entries
            .iter()
            .find(|(filter, _)| {
                select::select(names, std::slice::from_ref(filter))
                    .is_ok_and(|found| found.iter().any(|&index| names[index] == name))
            })
            .map(|(_, reason)| reason.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 3] = ["template_tilde_concat", "template_tojson", "linear"];

    #[test]
    fn entries_select_with_the_filter_syntax() {
        let manifest = Manifest::parse(
            "template_tilde_concat: \"minijinja ~\"\n'lin*': slow\n",
            &NAMES,
        )
        .unwrap();
        assert_eq!(
            manifest.reason("template_tilde_concat", &NAMES).as_deref(),
            Some("minijinja ~")
        );
        assert_eq!(manifest.reason("linear", &NAMES).as_deref(), Some("slow"));
        assert_eq!(manifest.reason("template_tojson", &NAMES), None);
    }

    #[test]
    fn bad_manifests_are_refused() {
        assert!(Manifest::parse("- a\n", &NAMES).is_err());
        assert!(Manifest::parse("linear: ''\n", &NAMES).is_err());
        let err = Manifest::parse("linaer: typo\n", &NAMES).unwrap_err();
        assert!(err.contains("did you mean linear"), "{err}");
        assert_eq!(Manifest::parse("", &NAMES).unwrap(), Manifest::default());
    }
}
