//! `migrate diff`: from the schema of one database to that of another, the migrations that make the change,
//! written as Rust with the builder's typed operations.
//!
//! The generator reads both schemas from the catalog, compares them and writes the
//! changes as migration files ([`Generated::files`]), split for a rolling deploy: renames (expand), the
//! expand, indexes built `CONCURRENTLY`, `NOT NULL` through the check-constraint recipe, the rename
//! contracts and the drops (contracts). It changes nothing in either database.
//!
//! Renames are never guessed: a column or table that disappears next to a similar new one is a
//! [`Proposal`], and nothing is written until each is confirmed ([`Options::renames`]) or declined
//! ([`Options::not_renamed`]). A table, column, sequence, schema or extension that disappears is dropped
//! only with [`Options::allow_drop`]. What the generator does not write is listed in
//! [`Generated::uncovered`], never left out silently.
//!
//! Layout: the schema module's reader turns a catalog into its typed `model` (with the description and the
//! sweep of other kinds, for what the model does not type); `propose` finds the renames to confirm; `plan` walks the
//! two models, object kind by object kind (`objects` and `views` around the tables; `tables`, and for each
//! table that stays `columns`, `constraints`, `indexes`, `extras`), into changes sorted by step; `write`
//! writes them as Rust through the builder's own writer; `uncovered` lists what the model does not read.

mod by_name;
mod columns;
mod constraints;
mod extras;
mod indexes;
mod objects;
mod order;
mod plan;
mod privileges;
mod ops;
mod propose;
mod retyped;
mod sql;
mod tables;
mod uncovered;
mod views;
mod write;

use std::fmt;

use postgres::Client;

pub use plan::{Proposal, Step};

use crate::error::Error;
use crate::history::MigrationsTable;
use crate::schema::model;
use crate::schema::reader::{self, Compared};

/// A rename confirmed (or proposed): `public.users=accounts` for a table, `public.users.name=full_name`
/// for a column. Names are as the catalog spells them, unquoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rename {
    Table {
        table: (String, String),
        to: String,
    },
    Column {
        table: (String, String),
        column: String,
        to: String,
    },
}

impl Rename {
    /// Reads `schema.table=new` or `schema.table.column=new`. The error says what is expected.
    pub fn parse(text: &str) -> Result<Rename, String> {
        let (source, to) = text.split_once('=').ok_or_else(|| {
            format!("`{text}`: expected schema.table=new_name or schema.table.column=new_name")
        })?;
        if to.is_empty() {
            return Err(format!("`{text}`: the new name is empty"));
        }
        Ok(match Rename::parse_source(source)? {
            (table, None) => Rename::Table {
                table,
                to: to.to_owned(),
            },
            (table, Some(column)) => Rename::Column {
                table,
                column,
                to: to.to_owned(),
            },
        })
    }

    /// Reads `schema.table` or `schema.table.column` (what `--no-rename` takes).
    pub fn parse_source(text: &str) -> Result<((String, String), Option<String>), String> {
        let parts: Vec<&str> = text.split('.').collect();
        match parts.as_slice() {
            [schema, table] if !schema.is_empty() && !table.is_empty() => {
                Ok(((schema.to_string(), table.to_string()), None))
            }
            [schema, table, column] if [schema, table, column].iter().all(|p| !p.is_empty()) => Ok((
                (schema.to_string(), table.to_string()),
                Some(column.to_string()),
            )),
            _ => Err(format!(
                "`{text}`: expected schema.table or schema.table.column (schema-qualified, unquoted)"
            )),
        }
    }

    /// `public.users.name`: what disappears.
    pub fn source(&self) -> String {
        match self {
            Rename::Table { table, .. } => format!("{}.{}", table.0, table.1),
            Rename::Column { table, column, .. } => format!("{}.{}.{column}", table.0, table.1),
        }
    }

    pub fn to(&self) -> &str {
        match self {
            Rename::Table { to, .. } | Rename::Column { to, .. } => to,
        }
    }
}

impl fmt::Display for Rename {
    /// As `--rename` takes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.source(), self.to())
    }
}

/// The decisions the generator cannot make alone.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// Confirmed renames.
    pub renames: Vec<Rename>,
    /// Declined proposals, by what disappears (`public.users.name`): dropped (with `allow_drop`) or kept,
    /// and the new object added.
    pub not_renamed: Vec<String>,
    /// Write drops of tables, columns, sequences, schemas and extensions that disappear.
    pub allow_drop: bool,
    /// The migrations table of both databases, left out with the engine's tables.
    pub table: MigrationsTable,
}

impl Options {
    pub fn new(table: MigrationsTable) -> Options {
        Options {
            table,
            ..Options::default()
        }
    }

    pub fn rename(mut self, rename: Rename) -> Options {
        self.renames.push(rename);
        self
    }

    pub fn not_renamed(mut self, source: impl Into<String>) -> Options {
        self.not_renamed.push(source.into());
        self
    }

    pub fn allow_drop(mut self, allow: bool) -> Options {
        self.allow_drop = allow;
        self
    }
}

/// One migration file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub step: Step,
    /// The Rust source.
    pub source: String,
}

/// What [`generate`] found.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Generated {
    /// In the order they run; empty when the schemas are the same or a proposal is open.
    pub files: Vec<GeneratedFile>,
    /// Renames to confirm or decline first: while any is open, no file is generated.
    pub proposals: Vec<Proposal>,
    /// Objects of the current schema only, kept (no `allow_drop`).
    pub kept: Vec<String>,
    /// What is not written, one line each.
    pub uncovered: Vec<String>,
    /// What a reviewer must know about what is written.
    pub warnings: Vec<String>,
}

/// The migrations that change the schema of `from` into that of `to`, named `<name><step suffix>` in the
/// files' doc comments. Reads both catalogs (read-only); changes nothing.
pub fn generate(
    from: &mut Client,
    to: &mut Client,
    name: &str,
    options: &Options,
) -> Result<Generated, Error> {
    let table = &options.table;
    // The two catalogs are read at once, each over its own connection: on a large schema most of the
    // time is the server's.
    let read = |client: &mut Client, what: &str| {
        reader::read_only(client, what, |tx| reader::compared(tx, table))
    };
    let (current, desired) = std::thread::scope(|scope| {
        let current = scope.spawn(|| read(from, "read the current schema"));
        let desired = read(to, "read the desired schema");
        (current.join(), desired)
    });
    let Compared {
        model: from_model,
        description: from_description,
        others: from_others,
    } = match current {
        Ok(result) => result?,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    let Compared {
        model: to_model,
        description: to_description,
        others: to_others,
    } = desired?;
    let mut planned = plan(&from_model, &to_model, options);
    planned
        .uncovered
        .extend(uncovered::uncovered(&from_description, &to_description));
    planned
        .uncovered
        .extend(uncovered::other_differences(&from_others, &to_others));
    let files = if planned.proposals.is_empty() {
        write::write_files(name, &planned.changes)?
    } else {
        Vec::new()
    };
    Ok(Generated {
        files,
        proposals: planned.proposals,
        kept: planned.kept,
        uncovered: planned.uncovered,
        warnings: planned.warnings,
    })
}

/// The changes from `from` to `to`.
fn plan(from: &model::Model, to: &model::Model, options: &Options) -> plan::Planned {
    let mut planner = plan::Planner {
        from,
        to,
        renames: &options.renames,
        declined: &options.not_renamed,
        allow_drop: options.allow_drop,
        out: plan::Planned::default(),
        dropped_early: Vec::new(),
    };
    propose::propose(&mut planner);
    if !planner.out.proposals.is_empty() {
        return planner.out;
    }
    let recreated = objects::before_tables(&mut planner);
    tables::tables(&mut planner);
    objects::after_tables(&mut planner, &recreated);
    order::by_dependencies(&mut planner.out.changes);
    planner.out
}
