//! The one place where operations become SQL text.
//!
//! Table and column statements are built with sea-query, which owns their structure and identifier quoting;
//! column options, constraints and indexes (where sea-query has no `NOT VALID`, `REFERENCES` on a column or
//! partial indexes) are written here with the same quoting rules from [`crate::quote`].

use sea_query::{Alias, ColumnDef as SqColumnDef, TableRef};

use crate::column::Column;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::ops::IndexColumn;
use crate::quote::{literal, quote_ident, quote_list, quote_name};

mod backfill;
mod constraint;
mod domain;
mod extension;
mod function;
mod index;
mod policy;
mod recipe;
mod schema;
mod sequence;
mod sql;
mod table;
mod trigger;
mod types;
mod view;

/// How an operation becomes SQL. Every operation implements it, in the file of its object kind.
pub(crate) trait Render {
    /// The statements, in execution order. Validation errors name the operation through `ctx`.
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError>;

    /// Whether PostgreSQL refuses the statements inside a transaction block (`CONCURRENTLY`, ...).
    fn outside_transaction(&self) -> bool {
        false
    }

    /// Whether rendered statement `index` must start a new transaction in a transactional migration: the
    /// engine commits what came before it first (a `VALIDATE` must not run while the same transaction
    /// still holds the `ACCESS EXCLUSIVE` lock of the `ADD ... NOT VALID` before it).
    fn starts_transaction(&self, _index: usize) -> bool {
        false
    }
}

pub(crate) fn alias(ident: &Ident) -> Alias {
    Alias::new(ident.as_str())
}

pub(crate) fn table_ref(name: &Name) -> TableRef {
    match &name.schema {
        Some(schema) => (alias(schema), alias(&name.name)).into(),
        None => alias(&name.name).into(),
    }
}

/// Column options after the type, in PostgreSQL's documented order.
pub(crate) fn column_options(c: &Column) -> String {
    let mut out = String::new();
    if c.not_null {
        out.push_str(" NOT NULL");
    }
    if let Some(default) = &c.default {
        out.push_str(" DEFAULT ");
        out.push_str(&default.to_sql());
    }
    if c.unique {
        out.push_str(" UNIQUE");
    }
    if c.primary_key {
        out.push_str(" PRIMARY KEY");
    }
    if let Some(check) = &c.check {
        out.push_str(&format!(" CHECK ({check})"));
    }
    if let Some(r) = &c.references {
        out.push_str(&format!(" REFERENCES {}", quote_name(&r.table)));
        if !r.columns.is_empty() {
            out.push_str(&format!(" ({})", quote_list(&r.columns)));
        }
        if let Some(action) = r.on_delete {
            out.push_str(&format!(" ON DELETE {}", action.as_sql()));
        }
        if let Some(action) = r.on_update {
            out.push_str(&format!(" ON UPDATE {}", action.as_sql()));
        }
    }
    out
}

pub(crate) fn column_def(c: &Column) -> SqColumnDef {
    let mut def = SqColumnDef::new(alias(&c.name));
    def.custom(Alias::new(c.data_type.as_str()));
    let options = column_options(c);
    if !options.is_empty() {
        def.extra(options.trim_start().to_owned());
    }
    def
}

pub(crate) fn column_comments<'a>(
    table: &'a Name,
    columns: &'a [Column],
) -> impl Iterator<Item = String> + 'a {
    columns.iter().filter_map(move |c| {
        c.comment.as_ref().map(|text| {
            format!(
                "COMMENT ON COLUMN {}.{} IS {}",
                quote_name(table),
                quote_ident(&c.name),
                literal(text)
            )
        })
    })
}

/// `{table}_{columns}_index`, or `_unique_index`: node-pg-migrate's convention, so reviewers recognise it.
pub(crate) fn index_name(
    ctx_op: &'static str,
    position: usize,
    table: &Name,
    columns: &[IndexColumn],
    name: &Option<Ident>,
    unique: bool,
) -> Result<Ident, DslError> {
    if let Some(name) = name {
        name.check(ctx_op, position, "index")?;
        return Ok(name.clone());
    }
    if columns.is_empty() {
        return Err(DslError::NoColumns {
            op: ctx_op,
            position,
        });
    }
    let parts: Vec<String> = columns.iter().map(IndexColumn::name_part).collect();
    let derived = Ident(format!(
        "{}_{}{}_index",
        table.name.as_str(),
        parts.join("_"),
        if unique { "_unique" } else { "" }
    ));
    derived.check(ctx_op, position, "index")?;
    Ok(derived)
}
