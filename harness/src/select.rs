//! Which fixtures a filter selects, with one syntax everywhere (`twinflow check`, the `fixtures`
//! test target, `scripts/regen-expected`): a filter with `*` or `?` is a glob on the whole name
//! (`'par*'`), otherwise it selects the fixture of that exact name, or, when there is none, every
//! fixture whose name contains it. A filter that selects nothing is an error with suggestions.

use wildmatch::WildMatch;

/// A filter that selects no fixture.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no fixture matches '{filter}'{}", did_you_mean(suggestions))]
pub struct NoMatch {
    /// The filter as given.
    pub filter: String,
    /// The closest fixture names, best first.
    pub suggestions: Vec<String>,
}

fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", suggestions.join(", "))
    }
}

/// Whether `filter` selects the fixture `name` among `names`.
fn selects(filter: &str, name: &str, names: &[&str]) -> bool {
    if filter.contains(['*', '?']) {
        WildMatch::new(filter).matches(name)
    } else if names.contains(&filter) {
        name == filter
    } else {
        name.contains(filter)
    }
}

/// The indices of the `names` that any of `filters` selects, in order; every name when there is
/// no filter.
///
/// # Errors
/// [`NoMatch`] for the first filter that selects nothing.
pub fn select(names: &[&str], filters: &[String]) -> Result<Vec<usize>, NoMatch> {
    if filters.is_empty() {
        return Ok((0..names.len()).collect());
    }
    if let Some(filter) = filters
        .iter()
        .find(|filter| !names.iter().any(|name| selects(filter, name, names)))
    {
        return Err(NoMatch {
            filter: filter.clone(),
            suggestions: suggest(filter, names),
        });
    }
    Ok((0..names.len())
        .filter(|&index| {
            filters
                .iter()
                .any(|filter| selects(filter, names[index], names))
        })
        .collect())
}

/// Up to three names close to `filter` (Jaro-Winkler similarity, which favours a shared prefix,
/// as fixture names share theirs by construct).
fn suggest(filter: &str, names: &[&str]) -> Vec<String> {
    let bare = filter.replace(['*', '?'], "");
    let mut scored: Vec<(f64, &str)> = names
        .iter()
        .map(|name| (strsim::jaro_winkler(&bare, name), *name))
        .filter(|(score, _)| *score >= 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(3)
        .map(|(_, name)| name.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 4] = [
        "fanout_fanin",
        "fanout_merge_conflict",
        "linear",
        "linear_three",
    ];

    fn pick(filters: &[&str]) -> Result<Vec<&'static str>, NoMatch> {
        let filters: Vec<String> = filters.iter().map(|f| (*f).to_owned()).collect();
        select(&NAMES, &filters).map(|found| found.into_iter().map(|i| NAMES[i]).collect())
    }

    #[test]
    fn exact_name_wins_over_substring() {
        assert_eq!(pick(&["linear"]).unwrap(), ["linear"]);
        assert_eq!(pick(&["three"]).unwrap(), ["linear_three"]);
        assert_eq!(
            pick(&["fanout"]).unwrap(),
            ["fanout_fanin", "fanout_merge_conflict"]
        );
    }

    #[test]
    fn globs_match_whole_names() {
        assert_eq!(pick(&["lin*"]).unwrap(), ["linear", "linear_three"]);
        assert_eq!(pick(&["*_fanin"]).unwrap(), ["fanout_fanin"]);
        assert_eq!(pick(&[]).unwrap().len(), 4);
    }

    #[test]
    fn nothing_selected_is_an_error_with_suggestions() {
        let err = pick(&["fanot_fanin"]).unwrap_err();
        assert_eq!(err.suggestions[0], "fanout_fanin");
        assert!(
            err.to_string().contains("did you mean fanout_fanin"),
            "{err}"
        );
        let err = pick(&["linear", "zzz*"]).unwrap_err();
        assert_eq!(err.filter, "zzz*");
    }
}
