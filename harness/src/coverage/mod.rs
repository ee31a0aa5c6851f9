//! `twinflow coverage`: what the fixtures exercise, per runtime, against what the contract and
//! the schema define (`universe`), from the runs themselves (`observe`), so a claim cannot drift
//! from what the engines really did.

mod observe;
mod sections;
pub(crate) mod templates;
mod universe;

use std::collections::{BTreeMap, BTreeSet};

pub use observe::covered;
pub use sections::{Sections, evidence_is_defined, judge_claims};
pub use templates::{rendered, required};
pub use universe::{Item, universe};

/// Coverage of one category for one runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// The category's name.
    pub name: &'static str,
    /// How many of its items were covered.
    pub covered: usize,
    /// How many items it has.
    pub total: usize,
    /// The items not covered, by name.
    pub missing: Vec<String>,
}

impl Category {
    /// The covered share in percent.
    #[must_use]
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            #[allow(clippy::cast_precision_loss)] // small counts
            let share = self.covered as f64 / self.total as f64;
            share * 100.0
        }
    }
}

/// The categories of `universe`, each with what `seen` covers of it, in universe order.
#[must_use]
pub fn tally(universe: &[Item], seen: &BTreeSet<Item>) -> Vec<Category> {
    let mut categories: BTreeMap<&'static str, Category> = BTreeMap::new();
    let mut order: Vec<&'static str> = Vec::new();
    for item in universe {
        let entry = categories.entry(item.category).or_insert_with(|| {
            order.push(item.category);
            Category {
                name: item.category,
                covered: 0,
                total: 0,
                missing: Vec::new(),
            }
        });
        entry.total += 1;
        if seen.contains(item) {
            entry.covered += 1;
        } else {
            entry.missing.push(item.name.clone());
        }
    }
    order
        .into_iter()
        .filter_map(|name| categories.remove(name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_seen_is_missing() {
        let universe = vec![
            Item::new("event", "entry flow info"),
            Item::new("event", "exit flow info"),
        ];
        let seen = BTreeSet::from([
            Item::new("event", "entry flow info"),
            Item::new("x", "other"),
        ]);
        let tally = tally(&universe, &seen);
        assert_eq!(tally.len(), 1);
        assert_eq!((tally[0].covered, tally[0].total), (1, 2));
        assert_eq!(tally[0].missing, ["exit flow info"]);
        assert!((tally[0].percent() - 50.0).abs() < 1e-9);
    }
}
