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

/// Suffixes of the tables named after the migrations table: backfill progress and failure marks.
const DERIVED_SUFFIXES: [&str; 3] = ["_backfill", "_failed", "_repeat"];

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
}

impl std::fmt::Display for MigrationsTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

