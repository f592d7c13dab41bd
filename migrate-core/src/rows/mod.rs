//! Rows in a database's tables, made up and compared.
//!
//! - [`fill_empty`] puts generated rows in every empty table (what `verify --with-data` does before each
//!   migration; `trace --rows` and a review's calibration fill tables the same way, in a denser style);
//! - [`Snapshot`] fingerprints every table's rows and each column's values, and [`compare`] tells, from the
//!   fingerprints before a migration's `up`, after it and after its `down`, which rows and values the
//!   `down` did not give back;
//! - [`Copies`] keeps every table's rows as they were before a migration, to show rows a finding is about;
//! - [`rows_at_fault`] names the rows that made a statement fail (the NULLs a `SET NOT NULL` met, the
//!   duplicated key of a unique index).

use std::collections::BTreeMap;

use serde::Serialize;

mod at_fault;
mod copies;
mod generate;
mod snapshot;

pub use at_fault::rows_at_fault;
pub use copies::Copies;
pub(crate) use generate::fill;
pub use generate::{empty_all, fill_empty};
pub use snapshot::{compare, DataFinding, Snapshot};

/// A schema-qualified table name as the rows' reports show it: `public.` left out.
pub(crate) fn shown(qualified: &str) -> &str {
    qualified.strip_prefix("public.").unwrap_or(qualified)
}

/// How many rows [`fill_empty`] puts in each table, and the seed its values are drawn from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    /// Rows for a table not named in `per_table`.
    pub rows: u64,
    /// Rows per table, by name: `orders` for `public.orders`, `billing.invoices` for another schema's.
    pub per_table: BTreeMap<String, u64>,
    /// The same seed gives the same rows, run after run.
    pub seed: u64,
}

impl Default for Generation {
    /// 100 rows per table, seed 1: what `migrate verify --with-data` uses when nothing says otherwise.
    fn default() -> Generation {
        Generation {
            rows: 100,
            per_table: BTreeMap::new(),
            seed: 1,
        }
    }
}

impl Generation {
    /// The rows for `table` (as shown: `public.` left out, each part quoted where it needs to be). A count set
    /// for the name as written in SQL (`"Orders"`) or as stored (`Orders`) applies.
    pub fn rows_for(&self, table: &str) -> u64 {
        self.count_named(table)
            .map_or(self.rows, |name| self.per_table[name])
    }

    /// The name in [`Generation::per_table`] that sets `table`'s count, if one does.
    pub fn count_named(&self, table: &str) -> Option<&String> {
        let shown = shown(table);
        let stored = shown
            .replace("\"\"", "\u{0}")
            .replace('"', "")
            .replace('\u{0}', "\"");
        [shown.to_owned(), stored]
            .iter()
            .flat_map(|name| [name.clone(), format!("public.{name}")])
            .find_map(|name| self.per_table.get_key_value(&name).map(|(k, _)| k))
    }
}

/// The tables filled with generated rows, and those that could not be.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Seeding {
    /// Rows generated per table (a table's own count, where one is set, aside).
    pub rows_per_table: u64,
    /// The tables filled, parents before the tables that reference them.
    pub filled: Vec<String>,
    pub skipped: Vec<SkippedTable>,
    /// The filled tables' sizes right after they were filled (what a review scales its estimates from).
    #[serde(skip)]
    pub sizes: Vec<SeededSize>,
}

/// A table as it was just filled with generated rows.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SeededSize {
    /// As shown: `public` left out.
    pub table: String,
    pub rows: f64,
    /// Heap only.
    pub table_bytes: i64,
    /// With its indexes and TOAST.
    pub total_bytes: i64,
}

/// A table left empty, and why.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SkippedTable {
    pub table: String,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::Generation;

    /// A count applies to a table named as SQL writes it or as it is stored, with or without `public.`.
    #[test]
    fn a_table_count_is_found_by_any_spelling_of_its_name() {
        let generation = Generation {
            per_table: [
                ("Orders".to_owned(), 5),
                ("public.items".to_owned(), 7),
                ("billing.\"Invoices\"".to_owned(), 9),
            ]
            .into(),
            ..Generation::default()
        };
        assert_eq!(generation.rows_for("\"Orders\""), 5);
        assert_eq!(generation.rows_for("items"), 7);
        assert_eq!(generation.rows_for("billing.\"Invoices\""), 9);
        assert_eq!(generation.rows_for("users"), 100);
    }
}
