//! Constraints and indexes of a table that stays, compared by name once the renamed and the moved ones
//! are set aside.

use std::collections::BTreeMap;

/// Constraints or indexes of one table taken care of before they are compared by name: renamed (old,
/// new), or leaving with a column renamed online.
pub(crate) struct Settled {
    pub renamed: Vec<(String, String)>,
    pub leaving: Vec<String>,
}

impl Settled {
    /// Whether the desired schema's object `n` is taken care of.
    pub fn new_name_settled(&self, n: &str) -> bool {
        self.renamed.iter().any(|(_, new)| new == n) || self.leaving.iter().any(|l| l == n)
    }

    /// Whether the current schema's object `n` is taken care of.
    pub fn old_name_settled(&self, n: &str) -> bool {
        self.renamed.iter().any(|(old, _)| old == n) || self.leaving.iter().any(|l| l == n)
    }
}

/// Objects that only change their name: each old one neither kept nor `leaving` paired with the first new
/// one that is `same` and not paired yet.
pub(crate) fn renamed_by_definition<T>(
    from: &BTreeMap<String, T>,
    to: &BTreeMap<String, T>,
    leaving: &[String],
    same: impl Fn(&T, &T) -> bool,
) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (old_name, before) in from {
        if to.contains_key(old_name) || leaving.contains(old_name) {
            continue;
        }
        let found = to.iter().find(|(new_name, after)| {
            !from.contains_key(*new_name) && same(before, after) && !pairs.iter().any(|(_, n)| n == *new_name)
        });
        if let Some((new_name, _)) = found {
            pairs.push((old_name.clone(), new_name.clone()));
        }
    }
    pairs
}
