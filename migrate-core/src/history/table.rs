//! The migrations table's name: where the bookkeeping lives, and the names of the tables derived from it.
//!
//! The name is checked once, when it is made, so that every table named after it (backfill progress,
//! failure marks, repeatable migrations) fits PostgreSQL's identifier length: a truncated name would make
//! two runs silently miss each other's bookkeeping.

use crate::error::Error;

/// Where the bookkeeping lives: `public.pgmigrations` unless configured otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationsTable {
    schema: String,
    name: String,
}

impl Default for MigrationsTable {
    fn default() -> Self {
        MigrationsTable {
            schema: "public".to_owned(),
            name: "pgmigrations".to_owned(),
        }
    }
}

/// How the checksum of a row adopted from another tool whose migrations have no file here starts
/// (`adopted:node-pg-migrate`): `status` shows such a row as adopted, not as a missing file.
pub const ADOPTED_PREFIX: &str = "adopted:";

/// Suffixes of the tables named after the migrations table: backfill progress, failure marks, repeatable
/// migrations and the journal of migrations in progress.
const DERIVED_SUFFIXES: [&str; 8] = [
    "_backfill", "_failed", "_repeat", "_journal", "_kept", "_jobs", "_batches", "_runs",
];

/// The longest migrations table name whose derived tables (`<name>_backfill`) still fit in PostgreSQL's 63
/// bytes: 54.
pub const MAX_TABLE_NAME_BYTES: usize = migrate_dsl::MAX_IDENTIFIER_BYTES - "_backfill".len();

impl MigrationsTable {
    /// A table `name` in `schema`. Both are identifiers (quoted, case kept); invalid ones are refused. The
    /// table name is at most [`MAX_TABLE_NAME_BYTES`] long: PostgreSQL would truncate the names of the
    /// tables derived from it, which would then silently miss each other.
    pub fn new(schema: &str, name: &str) -> Result<Self, Error> {
        for (what, value) in [("schema", schema), ("table", name)] {
            if value.is_empty()
                || value.len() > migrate_dsl::MAX_IDENTIFIER_BYTES
                || value.contains('\0')
            {
                return Err(Error::InvalidTableName {
                    what,
                    value: value.to_owned(),
                });
            }
        }
        if name.len() > MAX_TABLE_NAME_BYTES {
            let derived: Vec<String> = DERIVED_SUFFIXES
                .iter()
                .map(|suffix| format!("{name}{suffix}"))
                .collect();
            return Err(Error::TableNameTooLong {
                name: name.to_owned(),
                max: MAX_TABLE_NAME_BYTES,
                derived,
            });
        }
        Ok(MigrationsTable {
            schema: schema.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The schema.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The table name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `"schema"."name"`, quoted for SQL.
    pub fn quoted(&self) -> String {
        format!(
            "{}.{}",
            migrate_dsl::ident(&self.schema),
            migrate_dsl::ident(&self.name)
        )
    }

    /// `"schema"."<name><suffix>"`, a table named after this one; [`MigrationsTable::new`] made sure it fits.
    pub(crate) fn derived(&self, suffix: &str) -> String {
        format!(
            "{}.{}",
            migrate_dsl::ident(&self.schema),
            migrate_dsl::ident(&format!("{}{suffix}", self.name))
        )
    }

    /// `<name>_failed`: the failure marks (see `failures`).
    pub(crate) fn failures(&self) -> String {
        self.derived("_failed")
    }

    /// `<name>_repeat`: the checksums of applied repeatable migrations.
    pub(crate) fn repeats(&self) -> String {
        self.derived("_repeat")
    }

    /// `<name>_journal`: the steps done of migrations in progress (see `journal`).
    pub(crate) fn journal(&self) -> String {
        self.derived("_journal")
    }

    /// `<name>_jobs`: the background jobs migrations queued (see `jobs`).
    pub(crate) fn jobs(&self) -> String {
        self.derived("_jobs")
    }

    /// `<name>_batches`: the batches of background jobs, claimed by workers.
    pub(crate) fn job_batches(&self) -> String {
        self.derived("_batches")
    }

    /// `<name>_runs`: what each fleet run did on this target (see `runs`).
    pub(crate) fn runs(&self) -> String {
        self.derived("_runs")
    }

    /// `<name>_backfill`: the progress of backfills.
    pub(crate) fn backfills(&self) -> String {
        self.derived("_backfill")
    }
}

impl std::fmt::Display for MigrationsTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_name_leaves_its_derived_tables_63_bytes() {
        assert_eq!(MAX_TABLE_NAME_BYTES, 54);
        let longest = "m".repeat(MAX_TABLE_NAME_BYTES);
        let table = MigrationsTable::new("app", &longest).expect("fits");
        assert_eq!(table.name(), longest);
        for suffix in DERIVED_SUFFIXES {
            assert!(format!("{longest}{suffix}").len() <= 63, "{suffix}");
        }
        assert_eq!(
            table.derived("_backfill"),
            format!("\"app\".\"{longest}_backfill\"")
        );
    }

    #[test]
    fn a_name_too_long_for_its_derived_tables_is_refused_naming_them() {
        let name = "m".repeat(MAX_TABLE_NAME_BYTES + 1);
        match MigrationsTable::new("public", &name) {
            Err(Error::TableNameTooLong {
                name: refused,
                max,
                derived,
            }) => {
                assert_eq!(refused, name);
                assert_eq!(max, MAX_TABLE_NAME_BYTES);
                assert_eq!(
                    derived,
                    [
                        format!("{name}_backfill"),
                        format!("{name}_failed"),
                        format!("{name}_repeat"),
                        format!("{name}_journal"),
                        format!("{name}_kept"),
                        format!("{name}_jobs"),
                        format!("{name}_batches"),
                        format!("{name}_runs")
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_overlong_and_nul_names_are_refused() {
        let overlong = "s".repeat(64);
        for (schema, name, what) in [
            ("", "t", "schema"),
            ("s", "", "table"),
            (overlong.as_str(), "t", "schema"),
            ("s", "a\0b", "table"),
        ] {
            match MigrationsTable::new(schema, name) {
                Err(Error::InvalidTableName { what: refused, .. }) => assert_eq!(refused, what),
                other => panic!("{schema:?}.{name:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn names_are_quoted_for_sql_and_shown_as_given() {
        let table = MigrationsTable::new("my schema", "Mig\"s").expect("valid");
        assert_eq!(table.quoted(), r#""my schema"."Mig""s""#);
        assert_eq!(table.derived("_failed"), r#""my schema"."Mig""s_failed""#);
        assert_eq!(table.to_string(), "my schema.Mig\"s");
        assert_eq!(
            MigrationsTable::default().quoted(),
            r#""public"."pgmigrations""#
        );
    }
}
