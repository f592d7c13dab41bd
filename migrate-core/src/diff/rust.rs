//! Rust source text for the generated migrations: literals, names and the calls the changes are made of.

use super::model::{Column, Constraint, ConstraintKind, Index, IndexElement, Model, Param, QName, Sequence};

/// A Rust string literal holding `text` exactly (the one writer the builder's operations use too).
pub(crate) use migrate_dsl::rust_literal as lit;

/// A table, view, type, ... name as the builder takes it: the bare name in schema `public` (the
/// migrations' `search_path`), a `(schema, name)` tuple elsewhere.
pub(crate) fn name(q: &QName) -> String {
    if q.0 == "public" {
        lit(&q.1)
    } else {
        format!("({}, {})", lit(&q.0), lit(&q.1))
    }
}

/// A collation or operator class: bare when PostgreSQL's own (found on any `search_path`).
pub(crate) fn catalog_name(q: &QName) -> String {
    if q.0 == "pg_catalog" {
        lit(&q.1)
    } else {
        format!("({}, {})", lit(&q.0), lit(&q.1))
    }
}

/// `pgm.alter_column(..)` of `column` of table `q`, the start of each column change's call.
pub(crate) fn alter_column(q: &QName, column: &str) -> String {
    format!("pgm.alter_column({}, {})", name(q), lit(column))
}

/// `schema.name` for messages and comments.
pub(crate) fn shown(q: &QName) -> String {
    format!("{}.{}", q.0, q.1)
}

pub(crate) fn list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| lit(i)).collect();
    format!("[{}]", items.join(", "))
}

/// A `column(..)` definition with everything of `c` but constraints of the table.
pub(crate) fn column(c: &Column, serial: Option<&str>) -> String {
    let mut out = format!("column({}, {})", lit(&c.name), lit(serial.unwrap_or(&c.data_type)));
    if let Some(collation) = &c.collation {
        out.push_str(&format!(".collate({})", catalog_name(collation)));
    }
    if c.not_null && c.identity.is_none() && serial.is_none() {
        out.push_str(".not_null()");
    }
    if let (Some(default), None) = (&c.default, serial) {
        out.push_str(&format!(".default(expr({}))", lit(default)));
    }
    if let Some(expression) = &c.generated {
        out.push_str(&format!(".generated_always_as({})", lit(expression)));
    }
    if let Some((kind, sequence)) = &c.identity {
        out.push_str(&format!(".identity({})", identity(*kind, sequence, &c.data_type)));
    }
    if let Some(comment) = &c.comment {
        out.push_str(&format!(".comment({})", lit(comment)));
    }
    out
}

/// `Identity::always()` / `by_default()` with the settings that differ from a new identity's.
pub(crate) fn identity(kind: char, s: &Sequence, data_type: &str) -> String {
    let mut out = String::from(if kind == 'a' {
        "Identity::always()"
    } else {
        "Identity::by_default()"
    });
    let defaults = sequence_defaults(data_type, s.increment);
    if s.start != defaults.start {
        out.push_str(&format!(".start({})", s.start));
    }
    if s.increment != 1 {
        out.push_str(&format!(".increment({})", s.increment));
    }
    if s.min != defaults.min {
        out.push_str(&format!(".minvalue({})", s.min));
    }
    if s.max != defaults.max {
        out.push_str(&format!(".maxvalue({})", s.max));
    }
    if s.cache != 1 {
        out.push_str(&format!(".cache({})", s.cache));
    }
    if s.cycle {
        out.push_str(".cycle()");
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

fn fk_action(action: char) -> Option<&'static str> {
    match action {
        'r' => Some("FkAction::Restrict"),
        'c' => Some("FkAction::Cascade"),
        'n' => Some("FkAction::SetNull"),
        'd' => Some("FkAction::SetDefault"),
        _ => None,
    }
}

/// A `Constraint::..` value; `None` for an exclusion constraint (no typed form reads it back equal).
pub(crate) fn constraint(c: &Constraint) -> Option<String> {
    let mut out = match &c.kind {
        ConstraintKind::PrimaryKey { columns } => format!("Constraint::primary_key({})", list(columns)),
        ConstraintKind::Unique {
            columns,
            nulls_not_distinct,
        } => {
            let mut out = format!("Constraint::unique({})", list(columns));
            if *nulls_not_distinct {
                out.push_str(".nulls_not_distinct()");
            }
            out
        }
        ConstraintKind::Check {
            expression,
            no_inherit,
        } => {
            if *no_inherit {
                return None;
            }
            format!("Constraint::check({})", lit(strip_parens(expression)))
        }
        ConstraintKind::ForeignKey {
            columns,
            references,
            referenced_columns,
            on_update,
            on_delete,
            match_full,
        } => {
            let mut out = format!(
                "Constraint::foreign_key({}, {}, {})",
                list(columns),
                name(references),
                list(referenced_columns)
            );
            if *match_full {
                out.push_str(".match_type(FkMatch::Full)");
            }
            if let Some(action) = fk_action(*on_delete) {
                out.push_str(&format!(".on_delete({action})"));
            }
            if let Some(action) = fk_action(*on_update) {
                out.push_str(&format!(".on_update({action})"));
            }
            out
        }
        ConstraintKind::Exclude => return None,
    };
    if c.deferrable {
        out.push_str(&format!(".deferrable({})", c.deferred));
    }
    if let Some(comment) = &c.comment {
        out.push_str(&format!(".comment({})", lit(comment)));
    }
    Some(out)
}

/// `Identity::always()` / `by_default()` of `kind` with the settings of `to` that differ from `from`'s:
/// what `set_identity` changes on an identity that exists (the others keep their values).
pub(crate) fn identity_change(kind: char, from: &Sequence, to: &Sequence) -> String {
    let mut out = String::from(if kind == 'a' {
        "Identity::always()"
    } else {
        "Identity::by_default()"
    });
    for (name, a, b) in [
        ("start", from.start, to.start),
        ("increment", from.increment, to.increment),
        ("minvalue", from.min, to.min),
        ("maxvalue", from.max, to.max),
        ("cache", from.cache, to.cache),
    ] {
        if a != b {
            out.push_str(&format!(".{name}({b})"));
        }
    }
    if from.cycle != to.cycle {
        out.push_str(if to.cycle { ".cycle()" } else { ".no_cycle()" });
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

pub(crate) fn index_element(e: &IndexElement) -> String {
    let plain = e.opclass.is_none() && e.collation.is_none() && !e.descending && !e.nulls_flipped;
    match &e.column {
        Some(column) if plain => lit(column),
        _ => {
            let mut out = match &e.column {
                Some(column) => format!("IndexColumn::column({})", lit(column)),
                None => format!("IndexColumn::expression({})", lit(strip_parens(&e.expression))),
            };
            if let Some(collation) = &e.collation {
                out.push_str(&format!(".collate({})", catalog_name(collation)));
            }
            if let Some(opclass) = &e.opclass {
                out.push_str(&format!(".opclass({})", catalog_name(opclass)));
            }
            if e.descending {
                out.push_str(".descending()");
            }
            if e.nulls_flipped {
                out.push_str(if e.descending {
                    ".nulls_last()"
                } else {
                    ".nulls_first()"
                });
            }
            out
        }
    }
}

/// The elements of an index as the builder's array: `IndexColumn` values need one type throughout, so a
/// list with any of them writes every plain column as `IndexColumn::column(..)` too.
pub(crate) fn index_elements(elements: &[IndexElement]) -> String {
    let written: Vec<String> = elements.iter().map(index_element).collect();
    if written.iter().all(|w| w.starts_with('"')) {
        return format!("[{}]", written.join(", "));
    }
    let written: Vec<String> = written
        .into_iter()
        .map(|w| {
            if w.starts_with('"') {
                format!("IndexColumn::column({w})")
            } else {
                w
            }
        })
        .collect();
    format!("[{}]", written.join(", "))
}

/// `pgm.create_index(..)` with its options, without the final `;`.
pub(crate) fn create_index(table: &QName, index_name: &str, index: &Index, concurrently: bool) -> String {
    let mut out = format!(
        "pgm.create_index({}, {}).name({})",
        name(table),
        index_elements(&index.elements),
        lit(index_name)
    );
    if index.unique {
        out.push_str(".unique()");
    }
    if index.method != "btree" {
        out.push_str(&format!(".method({})", lit(&index.method)));
    }
    if !index.include.is_empty() {
        out.push_str(&format!(".include({})", list(&index.include)));
    }
    if index.nulls_not_distinct {
        out.push_str(".nulls_not_distinct()");
    }
    if let Some(predicate) = &index.predicate {
        out.push_str(&format!(".where_clause({})", lit(predicate)));
    }
    if concurrently {
        out.push_str(".concurrently()");
    }
    out
}

pub(crate) fn drop_index(table: &QName, index_name: &str, index: &Index, concurrently: bool) -> String {
    let mut out = format!(
        "pgm.drop_index({}, {}).name({})",
        name(table),
        index_elements(&index.elements),
        lit(index_name)
    );
    if concurrently {
        out.push_str(".concurrently()");
    }
    out
}

/// A function's parameters as `param(..)` values (`RETURNS TABLE` columns are in its result instead).
pub(crate) fn params(params: &[Param]) -> String {
    let written: Vec<String> = params
        .iter()
        .filter(|p| p.mode != 't')
        .map(|p| {
            let mut out = match &p.name {
                Some(n) => format!("param({}, {})", lit(n), lit(&p.data_type)),
                None => format!("FunctionParam::unnamed({})", lit(&p.data_type)),
            };
            match p.mode {
                'o' => out.push_str(".out()"),
                'b' => out.push_str(".inout()"),
                'v' => out.push_str(".variadic()"),
                _ => {}
            }
            if let Some(default) = &p.default {
                out.push_str(&format!(".default(expr({}))", lit(default)));
            }
            out
        })
        .collect();
    if written.is_empty() {
        "[] as [FunctionParam; 0]".to_owned()
    } else {
        format!("[{}]", written.join(", "))
    }
}

/// The argument types only, for `drop_function`.
pub(crate) fn param_types(params: &[Param]) -> String {
    let written: Vec<String> = params
        .iter()
        .filter(|p| matches!(p.mode, 'i' | 'b' | 'v'))
        .map(|p| format!("FunctionParam::unnamed({})", lit(&p.data_type)))
        .collect();
    if written.is_empty() {
        "[] as [FunctionParam; 0]".to_owned()
    } else {
        format!("[{}]", written.join(", "))
    }
}

/// The type to write for a serial column (`serial`, `bigserial`, `smallserial`) whose sequence has a new
/// serial's name and settings: written so, the column makes its sequence.
pub(crate) fn serial_type(model: &Model, table: &QName, column: &Column) -> Option<&'static str> {
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
    fn literals_read_back_as_the_text() {
        assert_eq!(lit("it's \"x\""), r#""it's \"x\"""#);
        assert_eq!(lit("a\n\"#b"), "r##\"a\n\"#b\"##");
    }

    #[test]
    fn only_enclosing_parentheses_are_stripped() {
        assert_eq!(strip_parens("(a > 0)"), "a > 0");
        assert_eq!(strip_parens("(a > 0) AND (b > 0)"), "(a > 0) AND (b > 0)");
        assert_eq!(strip_parens("(')' = x)"), "')' = x");
    }
}
