//! The builder's operations and values made from the model's objects: what the planned changes record.

use migrate_dsl::prelude::*;
use migrate_dsl::{CreateIndex, DropIndex, Name};

use super::model::{Column as ModelColumn, Constraint as ModelConstraint, ConstraintKind, Index, IndexElement, Model, Param, QName, Sequence};

/// A table, view, type, ... name as the builder takes it: the bare name in schema `public` (the
/// migrations' `search_path`), qualified elsewhere.
pub(crate) fn name(q: &QName) -> Name {
    bare_in(q, "public")
}

/// `q` unqualified when in `schema`, qualified elsewhere.
fn bare_in(q: &QName, schema: &str) -> Name {
    if q.0 == schema {
        Name::new(q.1.as_str())
    } else {
        Name::qualified(q.0.as_str(), q.1.as_str())
    }
}

/// [`name`] as the Rust source of it, for a comment that suggests a call.
pub(crate) fn rust_name(q: &QName) -> String {
    use migrate_dsl::rust_literal as lit;
    if q.0 == "public" {
        lit(&q.1)
    } else {
        format!("({}, {})", lit(&q.0), lit(&q.1))
    }
}

/// A collation or operator class: bare when PostgreSQL's own (found on any `search_path`).
pub(crate) fn catalog_name(q: &QName) -> Name {
    bare_in(q, "pg_catalog")
}

/// `schema.name` for messages and comments.
pub(crate) fn shown(q: &QName) -> String {
    format!("{}.{}", q.0, q.1)
}

/// A column definition with everything of `c` but constraints of the table; `serial` is the type a serial
/// column is written with (its sequence then made by the column).
pub(crate) fn column(c: &ModelColumn, serial: Option<&str>) -> Column {
    let mut out = migrate_dsl::column(c.name.as_str(), serial.unwrap_or(&c.data_type));
    if let Some(collation) = &c.collation {
        out = out.collate(catalog_name(collation));
    }
    if c.not_null && c.identity.is_none() && serial.is_none() {
        out = out.not_null();
    }
    if let (Some(default), None) = (&c.default, serial) {
        out = out.default(expr(default.as_str()));
    }
    if let Some(expression) = &c.generated {
        out = out.generated_always_as(expression.as_str());
    }
    if let Some((kind, sequence)) = &c.identity {
        out = out.identity(identity(*kind, sequence, &c.data_type));
    }
    if let Some(comment) = &c.comment {
        out = out.comment(comment.as_str());
    }
    out
}

fn identity_of(kind: char) -> Identity {
    if kind == 'a' {
        Identity::always()
    } else {
        Identity::by_default()
    }
}

/// `Identity::always()` / `by_default()` with the settings that differ from a new identity's.
pub(crate) fn identity(kind: char, s: &Sequence, data_type: &str) -> Identity {
    let mut out = identity_of(kind);
    let defaults = sequence_defaults(data_type, s.increment);
    if s.start != defaults.start {
        out = out.start(s.start);
    }
    if s.increment != 1 {
        out = out.increment(s.increment);
    }
    if s.min != defaults.min {
        out = out.minvalue(s.min);
    }
    if s.max != defaults.max {
        out = out.maxvalue(s.max);
    }
    if s.cache != 1 {
        out = out.cache(s.cache);
    }
    if s.cycle {
        out = out.cycle();
    }
    out
}

/// What a new sequence of `data_type` (`smallint`, `integer`, `bigint`) counting by `increment` starts
/// with: the settings not written out.
pub(crate) fn sequence_defaults(data_type: &str, increment: i64) -> Sequence {
    let max = match data_type {
        "smallint" => i16::MAX as i64,
        "integer" => i32::MAX as i64,
        _ => i64::MAX,
    };
    let min = match data_type {
        "smallint" => i16::MIN as i64,
        "integer" => i32::MIN as i64,
        _ => i64::MIN,
    };
    let (min, max) = if increment > 0 { (1, max) } else { (min, -1) };
    Sequence {
        data_type: data_type.to_owned(),
        start: if increment > 0 { min } else { max },
        increment,
        min,
        max,
        cache: 1,
        cycle: false,
        owned_by: None,
        comment: None,
        diffed: true,
        ..Sequence::default()
    }
}

fn fk_action(action: char) -> Option<FkAction> {
    match action {
        'r' => Some(FkAction::Restrict),
        'c' => Some(FkAction::Cascade),
        'n' => Some(FkAction::SetNull),
        'd' => Some(FkAction::SetDefault),
        _ => None,
    }
}

/// The builder's constraint of `c`; `None` for an exclusion constraint or a `NO INHERIT` check (no typed
/// form reads back as them).
pub(crate) fn constraint(c: &ModelConstraint) -> Option<Constraint> {
    let mut out = match &c.kind {
        ConstraintKind::PrimaryKey { columns } => Constraint::primary_key(columns),
        ConstraintKind::Unique {
            columns,
            nulls_not_distinct,
        } => {
            let out = Constraint::unique(columns);
            if *nulls_not_distinct {
                out.nulls_not_distinct()
            } else {
                out
            }
        }
        ConstraintKind::Check {
            expression,
            no_inherit,
        } => {
            if *no_inherit {
                return None;
            }
            Constraint::check(strip_parens(expression))
        }
        ConstraintKind::ForeignKey {
            columns,
            references,
            referenced_columns,
            on_update,
            on_delete,
            match_full,
        } => {
            let mut out = Constraint::foreign_key(columns, name(references), referenced_columns);
            if *match_full {
                out = out.match_type(FkMatch::Full);
            }
            if let Some(action) = fk_action(*on_delete) {
                out = out.on_delete(action);
            }
            if let Some(action) = fk_action(*on_update) {
                out = out.on_update(action);
            }
            out
        }
        ConstraintKind::Exclude => return None,
    };
    if c.deferrable {
        out = out.deferrable(c.deferred);
    }
    if let Some(comment) = &c.comment {
        out = out.comment(comment.as_str());
    }
    Some(out)
}

/// A key made on the unique index of its name (`ADD CONSTRAINT .. USING INDEX`), with `c`'s deferral and
/// comment.
pub(crate) fn key_using_index(constraint_name: &str, c: &ModelConstraint) -> Constraint {
    let mut out = if matches!(c.kind, ConstraintKind::PrimaryKey { .. }) {
        Constraint::primary_key_using_index(constraint_name)
    } else {
        Constraint::unique_using_index(constraint_name)
    };
    if c.deferrable {
        out = out.deferrable(c.deferred);
    }
    if let Some(comment) = &c.comment {
        out = out.comment(comment.as_str());
    }
    out
}

/// `Identity::always()` / `by_default()` of `kind` with the settings of `to` that differ from `from`'s:
/// what `set_identity` changes on an identity that exists (the others keep their values).
pub(crate) fn identity_change(kind: char, from: &Sequence, to: &Sequence) -> Identity {
    let mut out = identity_of(kind);
    if from.start != to.start {
        out = out.start(to.start);
    }
    if from.increment != to.increment {
        out = out.increment(to.increment);
    }
    if from.min != to.min {
        out = out.minvalue(to.min);
    }
    if from.max != to.max {
        out = out.maxvalue(to.max);
    }
    if from.cache != to.cache {
        out = out.cache(to.cache);
    }
    if from.cycle != to.cycle {
        out = if to.cycle { out.cycle() } else { out.no_cycle() };
    }
    out
}

/// `(a > 0)` → `a > 0`: the server prints a check's expression in parentheses; the builder adds its own.
fn strip_parens(expression: &str) -> &str {
    let inner = expression
        .strip_prefix('(')
        .and_then(|rest| rest.strip_suffix(')'));
    match inner {
        // Only when the outer pair encloses the whole expression: `(a) AND (b)` keeps them.
        Some(inner) if balanced(inner) => inner,
        _ => expression,
    }
}

fn balanced(text: &str) -> bool {
    let mut depth = 0i32;
    let mut quoted = false;
    for ch in text.chars() {
        match ch {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

fn index_element(e: &IndexElement) -> IndexColumn {
    let mut out = match &e.column {
        Some(column) => IndexColumn::column(column.as_str()),
        None => IndexColumn::expression(strip_parens(&e.expression)),
    };
    if let Some(collation) = &e.collation {
        out = out.collate(catalog_name(collation));
    }
    if let Some(opclass) = &e.opclass {
        out = out.opclass(catalog_name(opclass));
    }
    if e.descending {
        out = out.descending();
    }
    if e.nulls_flipped {
        out = if e.descending { out.nulls_last() } else { out.nulls_first() };
    }
    out
}

/// `pgm.create_index(..)` of `index` named `index_name` on `table`, with its options.
pub(crate) fn create_index<'p>(
    pgm: &'p mut MigrationBuilder,
    table: &QName,
    index_name: &str,
    index: &Index,
    concurrently: bool,
) -> &'p mut CreateIndex {
    let call = pgm.create_index(name(table), index.elements.iter().map(index_element));
    call.name(index_name.to_owned());
    if index.unique {
        call.unique();
    }
    if index.method != "btree" {
        call.method(index.method.as_str());
    }
    if !index.include.is_empty() {
        call.include(&index.include);
    }
    if index.nulls_not_distinct {
        call.nulls_not_distinct();
    }
    if let Some(predicate) = &index.predicate {
        call.where_clause(predicate.as_str());
    }
    if concurrently {
        call.concurrently();
    }
    call
}

pub(crate) fn drop_index<'p>(
    pgm: &'p mut MigrationBuilder,
    table: &QName,
    index_name: &str,
    index: &Index,
    concurrently: bool,
) -> &'p mut DropIndex {
    let call = pgm.drop_index(name(table), index.elements.iter().map(index_element));
    call.name(index_name.to_owned());
    if concurrently {
        call.concurrently();
    }
    call
}

/// A function's parameters (`RETURNS TABLE` columns are in its result instead).
pub(crate) fn params(params: &[Param]) -> Vec<FunctionParam> {
    params
        .iter()
        .filter(|p| p.mode != 't')
        .map(|p| {
            let mut out = match &p.name {
                Some(n) => param(n.as_str(), p.data_type.as_str()),
                None => FunctionParam::unnamed(p.data_type.as_str()),
            };
            match p.mode {
                'o' => out = out.out(),
                'b' => out = out.inout(),
                'v' => out = out.variadic(),
                _ => {}
            }
            if let Some(default) = &p.default {
                out = out.default(expr(default.as_str()));
            }
            out
        })
        .collect()
}

/// The argument types only, for `drop_function`.
pub(crate) fn param_types(params: &[Param]) -> Vec<FunctionParam> {
    params
        .iter()
        .filter(|p| matches!(p.mode, 'i' | 'b' | 'v'))
        .map(|p| FunctionParam::unnamed(p.data_type.as_str()))
        .collect()
}

/// The type to write for a serial column (`serial`, `bigserial`, `smallserial`) whose sequence has a new
/// serial's name and settings: written so, the column makes its sequence.
pub(crate) fn serial_type(model: &Model, table: &QName, column: &ModelColumn) -> Option<&'static str> {
    let sequence_name = (table.0.clone(), format!("{}_{}_seq", table.1, column.name));
    let expected = format!("nextval('{}.{}'::regclass)", table.0, sequence_name.1);
    if column.default.as_deref() != Some(expected.as_str()) || !column.not_null {
        return None;
    }
    let sequence = model.sequences.get(&sequence_name).filter(|s| s.diffed)?;
    let owner = (table.clone(), column.name.clone());
    if sequence.owned_by.as_ref() != Some(&owner) {
        return None;
    }
    let defaults = sequence_defaults(&sequence.data_type, 1);
    let same = sequence.data_type == column.data_type
        && sequence.start == defaults.start
        && sequence.increment == 1
        && sequence.min == defaults.min
        && sequence.max == defaults.max
        && sequence.cache == 1
        && !sequence.cycle;
    if !same || sequence.comment.is_some() {
        return None;
    }
    match column.data_type.as_str() {
        "integer" => Some("serial"),
        "bigint" => Some("bigserial"),
        "smallint" => Some("smallserial"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_enclosing_parentheses_are_stripped() {
        assert_eq!(strip_parens("(a > 0)"), "a > 0");
        assert_eq!(strip_parens("(a > 0) AND (b > 0)"), "(a > 0) AND (b > 0)");
        assert_eq!(strip_parens("(')' = x)"), "')' = x");
    }
}
