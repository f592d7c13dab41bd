//! Columns of a table that exists in both schemas: renamed online, added (nullable first when they must be
//! filled), changed in type, default, nullability, comment, identity and collation, or dropped.

use std::collections::BTreeSet;

use super::constraints;
use super::model::{Column, QName, Table};
use super::ops::{self, name, rust_name, shown};
use super::plan::{Change, Planner, Step};
use super::sql::sql_ident;
use migrate_dsl::prelude::*;
use migrate_dsl::rust_literal as lit;
use crate::phase::STRICTER_RULE;

pub(super) fn columns(p: &mut Planner<'_>, old: &QName, q: &QName, from: &Table, to: &Table) {
    let mut renamed_to: BTreeSet<String> = BTreeSet::new();
    for column in &from.columns {
        if let Some(new_name) = p.column_renamed(old, &column.name).map(str::to_owned) {
            renamed_to.insert(new_name.clone());
            p.push(
                Change::new(
                    Step::Renames,
                    format!("rename column {}.{} to {new_name} (both kept in sync until the contract)", shown(q), column.name),
                )
                .up(|pgm| {
                    pgm.rename_column_online(name(q), column.name.as_str(), new_name.as_str());
                }),
            );
            p.push(
                Change::new(Step::RenameContracts, format!("drop {}.{}, renamed to {new_name}", shown(q), column.name))
                    .up(|pgm| {
                        pgm.rename_column_online(name(q), column.name.as_str(), new_name.as_str()).contract();
                    }),
            );
            if let Some(desired) = to.column(&new_name) {
                let mut moved = column.clone();
                moved.name = new_name.clone();
                // The online rename copies the definition; NOT NULL comes with its contract.
                moved.not_null = desired.not_null;
                change_column(p, q, (from, &moved), (to, desired));
            }
            continue;
        }
        match to.column(&column.name) {
            Some(desired) => change_column(p, q, (from, column), (to, desired)),
            None => {
                if p.may_drop(&format!("column {}.{}", shown(q), column.name)) {
                    let serial = None;
                    p.push(
                        Change::new(Step::Drops, format!("drop column {}.{}", shown(q), column.name))
                            .order(4)
                            .up(|pgm| {
                                pgm.drop_columns(name(q), [column.name.as_str()]);
                            })
                            .down(|pgm| {
                                pgm.add_columns(name(q), [ops::column(column, serial)]);
                            })
                            .allow("ban-drop-column", format!("{}.{} is gone from the desired schema", shown(q), column.name)),
                    );
                }
            }
        }
    }
    for column in &to.columns {
        if from.column(&column.name).is_some() || renamed_to.contains(&column.name) {
            continue;
        }
        add_column(p, q, to, column);
    }
}

fn add_column(p: &mut Planner<'_>, q: &QName, table: &Table, column: &Column) {
    let needs_fill = column.not_null
        && column.default.is_none()
        && column.identity.is_none()
        && column.generated.is_none();
    let mut written = column.clone();
    if needs_fill {
        written.not_null = false;
    }
    let mut change = Change::new(Step::Expand, format!("add column {}.{}", shown(q), column.name))
        .up(|pgm| {
            pgm.add_columns(name(q), [ops::column(&written, None)]);
        });
    let volatile_default = column.default.as_deref().is_some_and(volatile);
    if volatile_default {
        change = change
            .comment(format!(
                "The default is computed for every existing row of {}: the table is rewritten under an \
                 ACCESS EXCLUSIVE lock. On a large table, add it without the default, set the default, backfill.",
                shown(q)
            ))
            .allow("adding-field-with-default", format!("{}.{} is in the desired schema; see the comment in up", shown(q), column.name));
        p.warn(format!("{}.{}: a volatile default rewrites the table", shown(q), column.name));
    }
    if column.identity.is_some() || column.generated.is_some() {
        // Every existing row gets its value now: the table is rewritten.
        let rule = "adding-serial-field";
        change = change
            .comment(format!(
                "Fills every existing row of {}: the table is rewritten under an ACCESS EXCLUSIVE lock.",
                shown(q)
            ))
            .allow(rule, format!("{}.{} is in the desired schema; see the comment in up", shown(q), column.name));
        p.warn(format!(
            "{}.{}: adding an identity or generated column rewrites the table under an ACCESS EXCLUSIVE lock",
            shown(q),
            column.name
        ));
    }
    p.push(change);
    // A new primary key on it makes it NOT NULL itself; a `SET NOT NULL` after would be refused.
    if needs_fill && !constraints::in_primary_key(table, &column.name) {
        p.warn(format!(
            "{}.{} is NOT NULL without a default: added nullable, and made NOT NULL in the `_constraints` \
             migration (a contract), after the application (or a backfill) fills it",
            shown(q),
            column.name
        ));
        set_not_null(p, q, &column.name);
    }
}

/// Whether a default calls a function PostgreSQL evaluates anew for each row (so `ADD COLUMN` fills every
/// existing row by rewriting the table). Functions of the database's own are taken as volatile: their
/// volatility is not in the default's text.
fn volatile(default: &str) -> bool {
    const STABLE: [&str; 6] = [
        "now()",
        "CURRENT_TIMESTAMP",
        "CURRENT_DATE",
        "LOCALTIMESTAMP",
        "transaction_timestamp()",
        "statement_timestamp()",
    ];
    let mut text = default.to_owned();
    for stable in STABLE {
        text = text.replace(stable, "");
    }
    // What is left once string literals and casts (`::character varying(10)`) are taken out: a call is a
    // name followed by `(`.
    let mut left = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                for n in chars.by_ref() {
                    if n == '\'' {
                        break;
                    }
                }
            }
            ':' if chars.peek() == Some(&':') => {
                chars.next();
                while chars
                    .peek()
                    .is_some_and(|n| n.is_alphanumeric() || matches!(n, '_' | ' ' | '.' | '"' | '[' | ']'))
                {
                    chars.next();
                }
                if chars.peek() == Some(&'(') {
                    for n in chars.by_ref() {
                        if n == ')' {
                            break;
                        }
                    }
                }
            }
            _ => left.push(c),
        }
    }
    let bytes = left.as_bytes();
    (1..bytes.len()).any(|i| {
        bytes[i] == b'(' && (bytes[i - 1].is_ascii_alphanumeric() || matches!(bytes[i - 1], b'_' | b'"'))
    })
}

fn set_not_null(p: &mut Planner<'_>, q: &QName, column: &str) {
    p.push(
        Change::new(Step::Constraints, format!("NOT NULL on {}.{column}", shown(q)))
            .up(|pgm| {
                pgm.set_not_null(name(q), column);
            })
            .down(|pgm| {
                pgm.alter_column(name(q), column).drop_not_null();
            }),
    );
}

/// The migration the type change of a column of table `q` from `from` to `to` goes in: the expand when the
/// stored values stay as they are, else the contract; the contract too when a view that is dropped and made
/// again around a change of the contract reads the table (the view cannot stand during either change).
pub(super) fn type_change_step(p: &Planner<'_>, q: &QName, from: &str, to: &str) -> Step {
    if binary_compatible(from, to) && !super::views::read_by_late_view(p.from, p.to, q) {
        Step::Expand
    } else {
        Step::Constraints
    }
}

/// Whether changing a column from `from` to `to` keeps its stored values as they are (no rewrite).
pub(super) fn binary_compatible(from: &str, to: &str) -> bool {
    let varchar = |t: &str| -> Option<Option<u32>> {
        if t == "character varying" {
            return Some(None);
        }
        t.strip_prefix("character varying(")
            .and_then(|r| r.strip_suffix(')'))
            .and_then(|n| n.parse().ok())
            .map(Some)
    };
    let numeric = |t: &str| -> Option<Option<(u32, u32)>> {
        if t == "numeric" {
            return Some(None);
        }
        let inner = t.strip_prefix("numeric(")?.strip_suffix(')')?;
        let (precision, scale) = inner.split_once(',')?;
        Some(Some((precision.trim().parse().ok()?, scale.trim().parse().ok()?)))
    };
    match (varchar(from), varchar(to)) {
        (Some(_), Some(None)) => return true,
        (Some(Some(a)), Some(Some(b))) => return b >= a,
        _ => {}
    }
    if varchar(from).is_some() && to == "text" {
        return true;
    }
    match (numeric(from), numeric(to)) {
        (Some(_), Some(None)) => true,
        (Some(Some((p1, s1))), Some(Some((p2, s2)))) => s1 == s2 && p2 >= p1,
        _ => false,
    }
}

/// `schema.table.column`, as the summary and the warnings name a column.
fn shown_column(q: &QName, column: &str) -> String {
    format!("{}.{column}", shown(q))
}

/// Column `from` of table `from_table`, `to` of `to_table`.
fn change_column(p: &mut Planner<'_>, q: &QName, (from_table, from): (&Table, &Column), (to_table, to): (&Table, &Column)) {
    let at = shown_column(q, &to.name);
    let column = to.name.as_str();
    if from.data_type != to.data_type {
        change_type(p, q, from, to);
    }
    if from.default != to.default
        && !default_changes_with_type(from, to)
        && !super::objects::same_but_renamed_labels(p, from.default.as_deref(), to.default.as_deref())
    {
        let set = |d: &Option<String>| {
            let d = d.clone();
            move |pgm: &mut MigrationBuilder| match d {
                Some(d) => {
                    pgm.alter_column(name(q), column).set_default(expr(d));
                }
                None => {
                    pgm.alter_column(name(q), column).drop_default();
                }
            }
        };
        // The app version before it may leave the column out of its inserts, counting on the default.
        let step = if to.default.is_none() { Step::Constraints } else { Step::Expand };
        p.push(
            Change::new(step, format!("{at}: default"))
                .up(set(&to.default))
                .down(set(&from.default)),
        );
    }
    // An identity is dropped before its column's NOT NULL (PostgreSQL keeps an identity NOT NULL), and
    // added after it.
    let identity_dropped = from.identity.is_some() && to.identity.is_none();
    if identity_dropped {
        identity(p, q, from, to);
    }
    // A primary key sets NOT NULL on its columns as it is added, and keeps it while it stands: the key's
    // own change makes the column NOT NULL, or nullable once the key is dropped (see `constraints`).
    match (from.not_null, to.not_null) {
        (false, true) if constraints::in_primary_key(to_table, &to.name) => {}
        (true, false) if constraints::in_primary_key(from_table, &from.name) => {}
        (false, true) => set_not_null(p, q, &to.name),
        (true, false) => p.push(
            Change::new(Step::Expand, format!("{at}: NULL allowed"))
                .up(|pgm| {
                    pgm.alter_column(name(q), column).drop_not_null();
                })
                .down(|pgm| {
                    pgm.alter_column(name(q), column).set_not_null();
                }),
        ),
        _ => {}
    }
    if from.comment != to.comment {
        let set = |c: &Option<String>| {
            let c = c.clone();
            move |pgm: &mut MigrationBuilder| {
                pgm.alter_column(name(q), column).comment(c);
            }
        };
        p.push(
            Change::new(Step::Expand, format!("{at}: comment"))
                .up(set(&to.comment))
                .down(set(&from.comment)),
        );
    }
    if !identity_dropped {
        identity(p, q, from, to);
    }
    if from.generated != to.generated {
        generated(p, q, from, to);
    }
    if from.collation != to.collation && from.data_type == to.data_type {
        let collate = |c: &Option<QName>| {
            let collation = c.clone().unwrap_or_else(|| ("pg_catalog".to_owned(), "default".to_owned()));
            move |pgm: &mut MigrationBuilder| {
                pgm.alter_column(name(q), column)
                    .set_type(to.data_type.as_str())
                    .collate(ops::catalog_name(&collation));
            }
        };
        p.push(
            Change::new(Step::Expand, format!("{at}: collation"))
                .comment("A new collation rebuilds the column's indexes under an ACCESS EXCLUSIVE lock.")
                .up(collate(&to.collation))
                .down(collate(&from.collation))
                .allow("changing-column-type", format!("{at}: only its collation changes, as the desired schema says"))
                .allow(STRICTER_RULE, format!("{at}: only its collation changes, which refuses no value")),
        );
    } else if from.collation != to.collation {
        p.uncovered(format!("column {at}: its collation changes with its type"));
    }
}

/// A new type: metadata only when the stored values stay as they are (an expand: it accepts every value the
/// old type did), else a rewrite, written as `alter_column` with the online recipe in a comment (the desired
/// schema keeps the column's name, which `change_column_type_online` cannot), in the contract: the app
/// version before it may write values the new type refuses, or read the column as the old type.
fn change_type(p: &mut Planner<'_>, q: &QName, from: &Column, to: &Column) {
    let at = shown_column(q, &to.name);
    let compatible = binary_compatible(&from.data_type, &to.data_type);
    let step = type_change_step(p, q, &from.data_type, &to.data_type);
    // A default that changes with the type is dropped before the change and set after it: PostgreSQL casts
    // the old one to the new type, which it may refuse (`'x'::text` to jsonb).
    let with_default = default_changes_with_type(from, to);
    fn retype(pgm: &mut MigrationBuilder, q: &QName, with_default: bool, from: &Column, to: &Column) {
        if with_default && from.default.is_some() {
            pgm.alter_column(name(q), to.name.as_str()).drop_default();
        }
        pgm.alter_column(name(q), to.name.as_str())
            .set_type(to.data_type.as_str())
            .using(cast(&sql_ident(&to.name), &from.data_type, &to.data_type));
        if let (true, Some(default)) = (with_default, &to.default) {
            pgm.alter_column(name(q), to.name.as_str()).set_default(expr(default.as_str()));
        }
    }
    let summary = if with_default {
        format!("{at}: type {} to {}, and its default", from.data_type, to.data_type)
    } else {
        format!("{at}: type {} to {}", from.data_type, to.data_type)
    };
    let mut change = Change::new(step, summary)
        .up(|pgm| retype(pgm, q, with_default, from, to))
        .down(|pgm| retype(pgm, q, with_default, to, from));
    if compatible {
        change = change
            .allow(
                "changing-column-type",
                format!("{at}: {} to {} keeps the stored values (no rewrite)", from.data_type, to.data_type),
            )
            .allow(
                STRICTER_RULE,
                format!("{at}: {} to {} accepts every value the old type did", from.data_type, to.data_type),
            );
    } else {
        change = change
            .comment(format!(
                "Rewrites {} under an ACCESS EXCLUSIVE lock. On a large live table, move the values to a new\n\
                 column instead: pgm.change_column_type_online({}, {}, \"<new column>\", {}).",
                shown(q),
                rust_name(q),
                lit(&to.name),
                lit(&to.data_type)
            ))
            .allow("changing-column-type", format!("{at} changes type as the desired schema says; see the comment in up"));
        p.warn(format!(
            "{at}: {} to {} rewrites the table under an ACCESS EXCLUSIVE lock (written as alter_column, \
             with the online recipe in a comment)",
            from.data_type, to.data_type
        ));
    }
    p.push(change);
}

/// Whether column `from` changes type into `to` with its default: the type change then drops and sets the
/// default itself.
fn default_changes_with_type(from: &Column, to: &Column) -> bool {
    from.data_type != to.data_type && from.default != to.default
}

/// The `USING` expression of a type change of column `quoted` from `from` to `to`: a cast, through `text`
/// into `json` and `jsonb` (which have no cast from the numbers, booleans and dates, but read their text).
fn cast(quoted: &str, from: &str, to: &str) -> String {
    let json = |t: &str| matches!(t, "json" | "jsonb");
    if json(to) && !json(from) && from != "text" {
        format!("{quoted}::text::{to}")
    } else {
        format!("{quoted}::{to}")
    }
}

/// `GENERATED .. AS IDENTITY` added, dropped or changed: its kind and its sequence's settings.
fn identity(p: &mut Planner<'_>, q: &QName, from: &Column, to: &Column) {
    let at = shown_column(q, &to.name);
    /// What one direction does to the column's identity.
    #[derive(Clone)]
    enum Set {
        Add(Identity),
        Drop,
        Change(Identity),
    }
    let (up, down, always) = match (&from.identity, &to.identity) {
        (None, Some((k, s))) => (Set::Add(ops::identity(*k, s, &to.data_type)), Set::Drop, *k == 'a'),
        (Some((k, s)), None) => (Set::Drop, Set::Add(ops::identity(*k, s, &from.data_type)), false),
        (Some((a, before)), Some((b, after)))
            if a != b || ops::identity_change(*b, before, after) != ops::identity_change(*b, after, after) =>
        {
            (
                Set::Change(ops::identity_change(*b, before, after)),
                Set::Change(ops::identity_change(*a, after, before)),
                *b == 'a' && *a != 'a',
            )
        }
        _ => return,
    };
    let record = |set: Set| {
        move |pgm: &mut MigrationBuilder| {
            let column = pgm.alter_column(name(q), to.name.as_str());
            match set {
                Set::Add(identity) => column.add_identity(identity),
                Set::Drop => column.drop_identity(),
                Set::Change(identity) => column.set_identity(identity),
            };
        }
    };
    // `GENERATED ALWAYS` refuses the values the app version before it may insert explicitly; an identity
    // added to a nullable column comes after its `NOT NULL` (PostgreSQL refuses it before), which is in
    // that contract too.
    let step = if always || (from.identity.is_none() && !from.not_null) {
        Step::Constraints
    } else {
        Step::Expand
    };
    p.push(Change::new(step, format!("{at}: identity")).up(record(up)).down(record(down)));
}

/// A generated column's expression changed or removed. Removed: `DROP EXPRESSION` keeps the values.
/// Changed: PostgreSQL before 17 cannot change it in place, so the column is dropped and added again with
/// the new expression, computed for every row (a rewrite); it holds no value of its own to lose. Added to
/// a column that holds values: listed, since its values would be replaced.
fn generated(p: &mut Planner<'_>, q: &QName, from: &Column, to: &Column) {
    let at = shown_column(q, &to.name);
    // The column dropped, and added again as `c` is.
    let remake = |c: &Column| {
        let c = c.clone();
        move |pgm: &mut MigrationBuilder| {
            pgm.drop_columns(name(q), [c.name.as_str()]);
            pgm.add_columns(name(q), [ops::column(&c, None)]);
        }
    };
    match (&from.generated, &to.generated) {
        (Some(_), None) => {
            p.push(
                Change::new(Step::Expand, format!("{at}: no longer generated"))
                    .up(|pgm| {
                        pgm.alter_column(name(q), to.name.as_str()).drop_expression();
                    })
                    .down(remake(from)),
            );
        }
        (Some(_), Some(_)) => {
            p.push(
                Change::new(Step::Constraints, format!("{at}: generation expression"))
                    .comment(format!(
                        "PostgreSQL before 17 cannot change a generation expression: the column is dropped and \n\
                         added again, computed for every row of {} under an ACCESS EXCLUSIVE lock.",
                        shown(q)
                    ))
                    .up(remake(to))
                    .down(remake(from))
                    .allow("ban-drop-column", format!("{at} is generated: its values are computed again"))
                    .allow("adding-serial-field", format!("{at} is generated as the desired schema says; see the comment in up")),
            );
            p.warn(format!("{at}: its generation expression changes: the column is dropped and added again, rewriting the table"));
        }
        _ => p.uncovered(format!(
            "column {at}: becomes generated (its values would be replaced: drop it and add it as generated)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::volatile;

    #[test]
    fn calls_are_volatile_literals_casts_and_now_are_not() {
        assert!(volatile("clock_timestamp()"));
        assert!(volatile("md5((random())::text)"));
        assert!(volatile("public.next_code()"));
        assert!(!volatile("now()"));
        assert!(!volatile("'x(y'::character varying(10)"));
        assert!(!volatile("'{}'::text[]"));
        assert!(!volatile("0.5"));
    }
}
