//! Index operations and index elements written back as Rust ([`ToRust`]).

use super::{CreateIndex, DropIndex, IndexColumn, IndexTarget, RenameIndex};
use crate::error::DslError;
use crate::to_rust::{array, ident, idents, lit, name, Chain, ToRust};

/// One index element: its column's bare string when it has no options, else `IndexColumn::..` with them.
fn element(c: &IndexColumn) -> (bool, String) {
    let IndexColumn {
        target,
        collation,
        opclass,
        descending,
        nulls_first,
    } = c;
    let plain =
        collation.is_none() && opclass.is_none() && descending.is_none() && nulls_first.is_none();
    let mut w = match target {
        IndexTarget::Column(column) if plain => return (true, ident(column)),
        IndexTarget::Column(column) => Chain::call("IndexColumn::column", &[ident(column)]),
        IndexTarget::Expression(sql) => Chain::call("IndexColumn::expression", &[lit(sql)]),
    };
    w.some(collation.as_ref(), "collate", name)
        .some(opclass.as_ref(), "opclass", name);
    match descending {
        Some(true) => w.set("descending", &[]),
        Some(false) => w.set("ascending", &[]),
        None => &mut w,
    };
    match nulls_first {
        Some(true) => w.set("nulls_first", &[]),
        Some(false) => w.set("nulls_last", &[]),
        None => &mut w,
    };
    (false, w.expression())
}

/// One index element as an `IndexColumn` value, whatever its options.
pub(crate) fn index_column(c: &IndexColumn) -> String {
    match element(c) {
        (true, column) => format!("IndexColumn::column({column})"),
        (false, w) => w,
    }
}

/// The elements of an index (or a partition key) as an array: an array has one element type, so a list
/// with any `IndexColumn` value writes its plain columns as `IndexColumn::column(..)` too.
pub(crate) fn index_columns(columns: &[IndexColumn]) -> String {
    let written: Vec<(bool, String)> = columns.iter().map(element).collect();
    if written.iter().all(|(plain, _)| *plain) {
        return array(written.into_iter().map(|(_, w)| w).collect(), "&str");
    }
    array(
        written
            .into_iter()
            .map(|(plain, w)| {
                if plain {
                    format!("IndexColumn::column({w})")
                } else {
                    w
                }
            })
            .collect(),
        "IndexColumn",
    )
}

impl ToRust for CreateIndex {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let CreateIndex {
            table,
            columns,
            name: index_name,
            unique,
            concurrently,
            if_not_exists,
            method,
            where_clause,
            include,
            nulls_not_distinct,
            per_partition,
        } = self;
        let mut w = Chain::pgm(op, &[name(table), index_columns(columns)]);
        w.some(index_name.as_ref(), "name", ident)
            .flag(*unique, "unique")
            .flag(*concurrently, "concurrently")
            .flag(*per_partition, "concurrently_per_partition")
            .flag(*if_not_exists, "if_not_exists")
            .some(method.as_ref(), "method", |m| lit(m))
            .some(where_clause.as_ref(), "where_clause", |p| lit(p));
        if !include.is_empty() {
            w.set("include", &[idents(include)]);
        }
        w.flag(*nulls_not_distinct, "nulls_not_distinct");
        Ok(w.statement())
    }
}

impl ToRust for DropIndex {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropIndex {
            table,
            columns,
            name: index_name,
            unique,
            concurrently,
            if_exists,
            cascade,
            per_partition,
        } = self;
        Ok(Chain::pgm(op, &[name(table), index_columns(columns)])
            .some(index_name.as_ref(), "name", ident)
            .flag(*unique, "unique")
            .flag(*concurrently, "concurrently")
            .flag(*if_exists, "if_exists")
            .flag(*cascade, "cascade")
            .flag(*per_partition, "per_partition")
            .statement())
    }
}

impl ToRust for RenameIndex {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameIndex { from, to } = self;
        Ok(Chain::pgm(op, &[name(from), ident(to)]).statement())
    }
}
