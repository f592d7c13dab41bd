//! Tables: created, renamed (the old name kept as a view until the contract), changed column by column,
//! constraint by constraint and index by index, or dropped.

use std::collections::BTreeSet;

use super::model::{Column, Constraint, ConstraintKind, Index, Model, Policy, QName, Table, Trigger};
use super::plan::{Change, Planner, Step};
use super::rust::{self, lit, name, shown};

/// `"name"` as SQL quotes an identifier.
pub(crate) fn sql_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

pub(crate) fn sql_name(q: &QName) -> String {
    format!("{}.{}", sql_ident(&q.0), sql_ident(&q.1))
}

pub(crate) fn sql_literal(text: Option<&str>) -> String {
    match text {
        Some(text) => format!("'{}'", text.replace('\'', "''")),
        None => "NULL".to_owned(),
    }
}

pub(crate) fn tables(p: &mut Planner<'_>) {
    let renamed: Vec<(QName, QName)> = p
        .from
        .tables
        .keys()
        .filter_map(|old| {
            p.table_renamed(old)
                .map(|to| (old.clone(), (old.0.clone(), to.to_owned())))
        })
        .collect();
    for (old, new) in &renamed {
        rename_table(p, old, new);
    }
    let is_rename_target = |q: &QName| renamed.iter().any(|(_, new)| new == q);
    // New tables: plain and partitioned ones first, partitions after their parent.
    let mut created: Vec<&QName> = p
        .to
        .tables
        .keys()
        .filter(|q| !p.from.tables.contains_key(*q) && !is_rename_target(q))
        .collect();
    created.sort_by_key(|q| depth(p.to, q));
    let to = p.to;
    for q in &created {
        create_table(p, q, &to.tables[*q]);
    }
    for q in &created {
        let table = &to.tables[*q];
        for (constraint_name, constraint) in &table.constraints {
            if matches!(constraint.kind, ConstraintKind::ForeignKey { .. }) {
                add_constraint(p, q, constraint_name, constraint, true);
            }
        }
        for (index_name, index) in &table.indexes {
            let change = Change::new(Step::Expand, format!("add index {index_name} on {}", shown(q)))
                .up(rust::create_index(q, index_name, index, false))
                .down(rust::drop_index(q, index_name, index, false));
            p.push(change);
        }
        table_extras(p, q, None, table);
    }
    let from = p.from;
    for (old, table) in &from.tables {
        let new = renamed
            .iter()
            .find(|(o, _)| o == old)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| old.clone());
        match to.tables.get(&new) {
            Some(desired) => change_table(p, old, &new, table, desired),
            None => drop_table(p, old, table),
        }
    }
}

/// How deep in a partition tree: parents are created before their partitions.
fn depth(model: &Model, q: &QName) -> usize {
    let mut depth = 0;
    let mut current = q;
    while let Some((parent, _)) = model.tables.get(current).and_then(|t| t.partition_of.as_ref()) {
        depth += 1;
        current = parent;
        if depth > 64 {
            break;
        }
    }
    depth
}

fn rename_table(p: &mut Planner<'_>, old: &QName, new: &QName) {
    let view = format!("SELECT * FROM {}", sql_name(new));
    p.push(
        Change::new(
            Step::Renames,
            format!("rename table {} to {} (the old name kept as a view)", shown(old), new.1),
        )
        .comment(format!(
            "The running app version reads and writes {} through an updatable view until the contract.",
            old.1
        ))
        .up(format!("pgm.rename_table({}, {})", name(old), lit(&new.1)))
        .up(format!("pgm.create_view({}, {})", name(old), lit(&view)))
        .allow(
            "renaming-table",
            format!("{} stays readable and writable as a view until the contract", shown(old)),
        ),
    );
    p.push(
        Change::new(Step::Drops, format!("drop view {} (the old name of {})", shown(old), new.1))
            .order(0)
            .up(format!("pgm.drop_view({})", name(old)))
            .down(format!("pgm.create_view({}, {})", name(old), lit(&view))),
    );
}

/// The type to write for a serial column (`serial`, `bigserial`, `smallserial`) whose sequence has a new
/// serial's name and settings: written so, the column makes its sequence.
pub(crate) fn serial_type(model: &Model, table: &QName, column: &Column) -> Option<&'static str> {
    let sequence_name = (table.0.clone(), format!("{}_{}_seq", table.1, column.name));
    let expected = format!("nextval('{}.{}'::regclass)", table.0, sequence_name.1);
    if column.default.as_deref() != Some(expected.as_str()) || !column.not_null {
        return None;
    }
    let sequence = model.sequences.get(&sequence_name)?;
    let owner = (table.clone(), column.name.clone());
    if sequence.owned_by.as_ref() != Some(&owner) {
        return None;
    }
    let defaults = rust::sequence_defaults(&sequence.data_type, 1);
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

fn create_table_call(model: &Model, q: &QName, table: &Table) -> String {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!("            {},", rust::column(c, serial_type(model, q, c))))
        .collect();
    let mut out = format!(
        "pgm.create_table(\n        {},\n        [\n{}\n        ],\n    )",
        name(q),
        columns.join("\n")
    );
    if table.unlogged {
        out.push_str("\n    .unlogged()");
    }
    if let Some(key) = &table.partition_key {
        let (strategy, keys) = partition_key(key);
        out.push_str(&format!("\n    .partition_by({strategy}, {keys})"));
    }
    for (constraint_name, constraint) in &table.constraints {
        if matches!(constraint.kind, ConstraintKind::ForeignKey { .. }) {
            continue;
        }
        if let Some(value) = rust::constraint(constraint) {
            out.push_str(&format!("\n    .constraint({}, {value})", lit(constraint_name)));
        }
    }
    if let Some(comment) = &table.comment {
        out.push_str(&format!("\n    .comment({})", lit(comment)));
    }
    out
}

/// `RANGE (a, lower(b))` → `PartitionStrategy::Range` and its keys.
fn partition_key(key: &str) -> (String, String) {
    let (strategy, rest) = key.split_once(' ').unwrap_or((key, ""));
    let strategy = match strategy {
        "LIST" => "PartitionStrategy::List",
        "HASH" => "PartitionStrategy::Hash",
        _ => "PartitionStrategy::Range",
    };
    let inner = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(rest);
    let keys: Vec<String> = split_top_level(inner)
        .into_iter()
        .map(|k| {
            let k = k.trim();
            if k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
                format!("IndexColumn::column({})", lit(k))
            } else {
                format!("IndexColumn::expression({})", lit(k))
            }
        })
        .collect();
    (strategy.to_owned(), format!("[{}]", keys.join(", ")))
}

pub(crate) fn split_top_level(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut quoted = false;
    let mut current = String::new();
    for ch in text.chars() {
        match ch {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(ch);
    }
    if !current.trim().is_empty() {
        parts.push(current);
    }
    parts
}

fn create_table(p: &mut Planner<'_>, q: &QName, table: &Table) {
    let to = p.to;
    let mut change = match &table.partition_of {
        Some((parent, bound)) => Change::new(
            Step::Expand,
            format!("add partition {} of {}", shown(q), shown(parent)),
        )
        .comment("No operation creates a table as a partition (`PARTITION OF`): written as SQL.")
        .up(format!(
            "pgm.sql({})",
            lit(&format!(
                "CREATE TABLE {} PARTITION OF {} {bound}{}",
                sql_name(q),
                sql_name(parent),
                table.partition_key.as_ref().map(|k| format!(" PARTITION BY {k}")).unwrap_or_default()
            ))
        )),
        None => Change::new(Step::Expand, format!("add table {}", shown(q)))
            .up(create_table_call(to, q, table)),
    };
    change = change.down(format!("pgm.drop_table({})", name(q)));
    p.push(change);
    if table.partition_of.is_some() {
        for (constraint_name, constraint) in &table.constraints {
            if !matches!(constraint.kind, ConstraintKind::ForeignKey { .. }) {
                add_constraint(p, q, constraint_name, constraint, true);
            }
        }
    } else {
        for (constraint_name, constraint) in &table.constraints {
            if rust::constraint(constraint).is_none() {
                add_constraint(p, q, constraint_name, constraint, true);
            }
        }
    }
}

/// `ALTER TABLE .. ADD CONSTRAINT`: plain on a new table; on one that exists, checks and foreign keys
/// `NOT VALID` then validated, unique and primary keys on an index built concurrently.
fn add_constraint(p: &mut Planner<'_>, q: &QName, constraint_name: &str, c: &Constraint, new_table: bool) {
    let drop = format!("pgm.drop_constraint({}, {})", name(q), lit(constraint_name));
    let summary = format!("add constraint {constraint_name} on {}", shown(q));
    let Some(value) = rust::constraint(c) else {
        let add = |suffix: &str| {
            format!(
                "pgm.sql({})",
                lit(&format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} {}{suffix}",
                    sql_name(q),
                    sql_ident(constraint_name),
                    c.definition
                ))
            )
        };
        let mut change = Change::new(Step::Expand, summary)
            .comment("No typed constraint reads back as this one (an exclusion or NO INHERIT check): written as SQL.");
        let check = matches!(c.kind, ConstraintKind::Check { .. });
        change = if new_table || !c.validated {
            change.up(add(if c.validated { "" } else { " NOT VALID" }))
        } else if check {
            // As `add_constraint_online` does for the typed ones: new rows checked at once, the existing
            // ones in a transaction of their own.
            change
                .up(add(" NOT VALID"))
                .up(format!("pgm.validate_constraint({}, {})", name(q), lit(constraint_name)))
        } else {
            p.warn(format!(
                "{constraint_name} on {}: an exclusion constraint builds its index while writes wait",
                shown(q)
            ));
            change.up(add("")).allow(
                "constraint-missing-not-valid",
                format!("{constraint_name} on {}: an exclusion constraint cannot be added NOT VALID", shown(q)),
            )
        };
        p.push(change.down(drop));
        return;
    };
    // A unique key with options the online form refuses: its index built concurrently, then the
    // constraint on it.
    if let (false, true, ConstraintKind::Unique { .. } | ConstraintKind::PrimaryKey { .. }) =
        (new_table, c.validated && (c.deferrable || c.comment.is_some() || value.contains("nulls_not_distinct")), &c.kind)
    {
        let (columns, using) = match &c.kind {
            ConstraintKind::PrimaryKey { columns } => (columns, "primary_key_using_index"),
            ConstraintKind::Unique { columns, .. } => (columns, "unique_using_index"),
            _ => unreachable!("matched above"),
        };
        let mut index = format!(
            "pgm.create_index({}, {}).name({}).unique().concurrently()",
            name(q),
            rust::list(columns),
            lit(constraint_name)
        );
        if value.contains("nulls_not_distinct") {
            index = index.replace(".unique()", ".unique().nulls_not_distinct()");
        }
        let mut value = format!("Constraint::{using}({})", lit(constraint_name));
        if c.deferrable {
            value.push_str(&format!(".deferrable({})", c.deferred));
        }
        if let Some(comment) = &c.comment {
            value.push_str(&format!(".comment({})", lit(comment)));
        }
        let constraint = format!("pgm.add_constraint({}, {}, {value})", name(q), lit(constraint_name));
        p.push(
            Change::new(Step::Indexes, summary)
                .up(index)
                .up(constraint)
                .down(drop),
        );
        return;
    }
    let call = if new_table || !c.validated {
        let mut call = format!("pgm.add_constraint({}, {}, {value})", name(q), lit(constraint_name));
        if !c.validated {
            call.push_str(".not_valid()");
        }
        (Step::Expand, call)
    } else {
        let step = match c.kind {
            ConstraintKind::PrimaryKey { .. } | ConstraintKind::Unique { .. } => Step::Indexes,
            _ => Step::Expand,
        };
        (
            step,
            format!("pgm.add_constraint_online({}, {}, {value})", name(q), lit(constraint_name)),
        )
    };
    p.push(Change::new(call.0, summary).up(call.1).down(drop));
}

fn drop_constraint(p: &mut Planner<'_>, q: &QName, constraint_name: &str, c: &Constraint, step: Step) {
    let restore = match rust::constraint(c) {
        Some(value) => {
            let mut call = format!("pgm.add_constraint({}, {}, {value})", name(q), lit(constraint_name));
            if !c.validated {
                call.push_str(".not_valid()");
            }
            call
        }
        None => format!(
            "pgm.sql({})",
            lit(&format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {}",
                sql_name(q),
                sql_ident(constraint_name),
                c.definition
            ))
        ),
    };
    p.push(
        Change::new(step, format!("drop constraint {constraint_name} on {}", shown(q)))
            .order(2)
            .up(format!("pgm.drop_constraint({}, {})", name(q), lit(constraint_name)))
            .down(restore),
    );
}

fn change_table(p: &mut Planner<'_>, old: &QName, q: &QName, from: &Table, to: &Table) {
    if from.partition_key != to.partition_key || from.partition_of != to.partition_of {
        p.uncovered(format!(
            "table {}: its partitioning changes (a table cannot be repartitioned in place)",
            shown(q)
        ));
    }
    if from.unlogged != to.unlogged {
        let (call, back) = if to.unlogged {
            ("set_unlogged()", "set_logged()")
        } else {
            ("set_logged()", "set_unlogged()")
        };
        p.push(
            Change::new(Step::Expand, format!("table {} {}", shown(q), if to.unlogged { "unlogged" } else { "logged" }))
                .up(format!("pgm.alter_table({}).{call}", name(q)))
                .down(format!("pgm.alter_table({}).{back}", name(q)))
        );
        p.warn(format!(
            "{}: SET {} rewrites the table under an ACCESS EXCLUSIVE lock",
            shown(q),
            if to.unlogged { "UNLOGGED" } else { "LOGGED" }
        ));
    }
    columns(p, old, q, from, to);
    // Constraints and indexes on a column renamed online go with the old column when the contract drops
    // it; `rename_column_online` does not carry them to the new one.
    let renamed_columns: Vec<&str> = from
        .columns
        .iter()
        .filter(|c| p.column_renamed(old, &c.name).is_some())
        .map(|c| c.name.as_str())
        .collect();
    let on_renamed = |text: &str| renamed_columns.iter().any(|c| mentions(text, c));
    // `rename_column_online`'s contract refuses while anything but the old column's own default uses it:
    // each such constraint and index is made again on the new column (under a temporary name when the
    // desired one is the same) and the old one dropped, before the contract.
    let mut leaving_constraints: Vec<&String> = Vec::new();
    for (constraint_name, c) in &from.constraints {
        if !on_renamed(&c.definition) {
            continue;
        }
        leaving_constraints.push(constraint_name);
        if let Some(desired) = to.constraints.get(constraint_name) {
            let temporary = temporary_name(constraint_name);
            add_constraint(p, q, &temporary, desired, false);
            drop_constraint(p, q, constraint_name, c, Step::Indexes);
            let rename = |a: &str, b: &str| format!("pgm.rename_constraint({}, {}, {})", name(q), lit(a), lit(b));
            p.push(
                Change::new(Step::Indexes, format!("rename constraint {temporary} on {} to {constraint_name}", shown(q)))
                    .up(rename(&temporary, constraint_name))
                    .down(rename(constraint_name, &temporary)),
            );
        } else {
            drop_constraint(p, q, constraint_name, c, Step::Indexes);
        }
    }
    let mut leaving_indexes: Vec<&String> = Vec::new();
    for (index_name, index) in &from.indexes {
        if !on_renamed(&index.definition) {
            continue;
        }
        leaving_indexes.push(index_name);
        let drop_old = Change::new(Step::Indexes, format!("drop index {index_name} on {} (on the old column)", shown(q)))
            .up(rust::drop_index(q, index_name, index, true))
            .down(rust::create_index(q, index_name, index, true));
        if let Some(desired) = to.indexes.get(index_name) {
            let temporary = temporary_name(index_name);
            p.push(
                Change::new(Step::Indexes, format!("add index {temporary} on {}", shown(q)))
                    .up(rust::create_index(q, &temporary, desired, true))
                    .down(rust::drop_index(q, &temporary, desired, true)),
            );
            p.push(drop_old);
            let index_name_of = |n: &str| name(&(q.0.clone(), n.to_owned()));
            p.push(
                Change::new(Step::Indexes, format!("rename index {temporary} on {} to {index_name}", shown(q)))
                    .up(format!("pgm.rename_index({}, {})", index_name_of(&temporary), lit(index_name)))
                    .down(format!("pgm.rename_index({}, {})", index_name_of(index_name), lit(&temporary))),
            );
        } else {
            p.push(drop_old);
        }
    }
    // A constraint or index that only changes its name (a renamed table's `<table>_pkey`) is renamed.
    let mut renamed_constraints: Vec<(&String, &String)> = Vec::new();
    for (old_name, c) in &from.constraints {
        if to.constraints.contains_key(old_name) || leaving_constraints.contains(&old_name) {
            continue;
        }
        let same = to.constraints.iter().find(|(new_name, d)| {
            !from.constraints.contains_key(*new_name)
                && d.definition == c.definition
                && d.deferrable == c.deferrable
                && d.deferred == c.deferred
                && !renamed_constraints.iter().any(|(_, n)| n == new_name)
        });
        if let Some((new_name, _)) = same {
            renamed_constraints.push((old_name, new_name));
            let rename = |a: &str, b: &str| format!("pgm.rename_constraint({}, {}, {})", name(q), lit(a), lit(b));
            p.push(
                Change::new(Step::Expand, format!("rename constraint {old_name} on {} to {new_name}", shown(q)))
                    .up(rename(old_name, new_name))
                    .down(rename(new_name, old_name)),
            );
        }
    }
    let mut renamed_indexes: Vec<(&String, &String)> = Vec::new();
    for (old_name, index) in &from.indexes {
        if to.indexes.contains_key(old_name) || leaving_indexes.contains(&old_name) {
            continue;
        }
        let same = to.indexes.iter().find(|(new_name, d)| {
            !from.indexes.contains_key(*new_name)
                && d.unique == index.unique
                && d.method == index.method
                && d.elements == index.elements
                && d.include == index.include
                && d.predicate == index.predicate
                && d.nulls_not_distinct == index.nulls_not_distinct
                && !renamed_indexes.iter().any(|(_, n)| n == new_name)
        });
        if let Some((new_name, _)) = same {
            renamed_indexes.push((old_name, new_name));
            let index_name = |n: &str| name(&(q.0.clone(), n.to_owned()));
            p.push(
                Change::new(Step::Expand, format!("rename index {old_name} on {} to {new_name}", shown(q)))
                    .up(format!("pgm.rename_index({}, {})", index_name(old_name), lit(new_name)))
                    .down(format!("pgm.rename_index({}, {})", index_name(new_name), lit(old_name))),
            );
        }
    }
    // Constraints: by name, compared by definition.
    for (constraint_name, c) in &to.constraints {
        if renamed_constraints.iter().any(|(_, n)| *n == constraint_name)
            || leaving_constraints.contains(&constraint_name)
        {
            continue;
        }
        match from.constraints.get(constraint_name) {
            None => add_constraint(p, q, constraint_name, c, false),
            Some(before) if before.definition == c.definition && before.deferrable == c.deferrable && before.deferred == c.deferred => {
                if !before.validated && c.validated {
                    p.push(
                        Change::new(Step::Expand, format!("validate constraint {constraint_name} on {}", shown(q)))
                            .up(format!("pgm.validate_constraint({}, {})", name(q), lit(constraint_name))),
                    );
                } else if before.validated && !c.validated {
                    p.uncovered(format!(
                        "constraint {constraint_name} on {}: validated now, NOT VALID in the desired schema",
                        shown(q)
                    ));
                }
                if before.comment != c.comment {
                    p.uncovered(format!("constraint {constraint_name} on {}: its comment", shown(q)));
                }
            }
            Some(before) => {
                drop_constraint(p, q, constraint_name, before, Step::Expand);
                add_constraint(p, q, constraint_name, c, false);
            }
        }
    }
    for (constraint_name, c) in &from.constraints {
        if !to.constraints.contains_key(constraint_name)
            && !renamed_constraints.iter().any(|(o, _)| *o == constraint_name)
            && !leaving_constraints.contains(&constraint_name)
        {
            drop_constraint(p, q, constraint_name, c, Step::Drops);
        }
    }
    let renamed: Vec<(String, String)> = renamed_indexes
        .iter()
        .map(|(o, n)| ((*o).clone(), (*n).clone()))
        .collect();
    let leaving: Vec<String> = leaving_indexes.iter().map(|n| (*n).clone()).collect();
    indexes(p, q, from, to, &renamed, &leaving);
    table_extras(p, q, Some(from), to);
}

fn columns(p: &mut Planner<'_>, old: &QName, q: &QName, from: &Table, to: &Table) {
    let mut renamed_to: BTreeSet<String> = BTreeSet::new();
    for column in &from.columns {
        if let Some(new_name) = p.column_renamed(old, &column.name).map(str::to_owned) {
            renamed_to.insert(new_name.clone());
            let call = format!(
                "pgm.rename_column_online({}, {}, {})",
                name(q),
                lit(&column.name),
                lit(&new_name)
            );
            p.push(
                Change::new(
                    Step::Renames,
                    format!("rename column {}.{} to {new_name} (both kept in sync until the contract)", shown(q), column.name),
                )
                .up(call.clone()),
            );
            p.push(
                Change::new(Step::RenameContracts, format!("drop {}.{}, renamed to {new_name}", shown(q), column.name))
                    .up(format!("{call}.contract()")),
            );
            if let Some(desired) = to.column(&new_name) {
                let mut moved = column.clone();
                moved.name = new_name.clone();
                // The online rename copies the definition; NOT NULL comes with its contract.
                moved.not_null = desired.not_null;
                change_column(p, q, &moved, desired);
            }
            continue;
        }
        match to.column(&column.name) {
            Some(desired) => change_column(p, q, column, desired),
            None => {
                if p.may_drop(&format!("column {}.{}", shown(q), column.name)) {
                    let serial = None;
                    p.push(
                        Change::new(Step::Drops, format!("drop column {}.{}", shown(q), column.name))
                            .order(4)
                            .up(format!("pgm.drop_columns({}, [{}])", name(q), lit(&column.name)))
                            .down(format!("pgm.add_columns({}, [{}])", name(q), rust::column(column, serial)))
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
        add_column(p, q, column);
    }
}

fn add_column(p: &mut Planner<'_>, q: &QName, column: &Column) {
    let needs_fill = column.not_null
        && column.default.is_none()
        && column.identity.is_none()
        && column.generated.is_none();
    let mut written = column.clone();
    if needs_fill {
        written.not_null = false;
    }
    let mut change = Change::new(Step::Expand, format!("add column {}.{}", shown(q), column.name))
        .up(format!("pgm.add_columns({}, [{}])", name(q), rust::column(&written, None)))
        .down(format!("pgm.drop_columns({}, [{}])", name(q), lit(&column.name)));
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
    if needs_fill {
        p.warn(format!(
            "{}.{} is NOT NULL without a default: added nullable, and made NOT NULL in the `_not_null` \
             migration, after the application (or a backfill) fills it",
            shown(q),
            column.name
        ));
        set_not_null(p, q, &column.name);
    }
}

/// `<name>_new`, cut to PostgreSQL's 63 bytes on a character boundary.
fn temporary_name(name: &str) -> String {
    let mut base = name.to_owned();
    while base.len() + "_new".len() > 63 {
        base.pop();
    }
    format!("{base}_new")
}

/// Whether SQL `text` names `column` (as a whole word, quoted or not).
fn mentions(text: &str, column: &str) -> bool {
    let quoted = sql_ident(column);
    text.contains(&quoted)
        || text
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .any(|word| word == column)
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
        Change::new(Step::NotNull, format!("NOT NULL on {}.{column}", shown(q)))
            .up(format!("pgm.set_not_null({}, {})", name(q), lit(column)))
            .down(format!("pgm.alter_column({}, {}).drop_not_null()", name(q), lit(column))),
    );
}

/// Whether changing a column from `from` to `to` keeps its stored values as they are (no rewrite).
fn binary_compatible(from: &str, to: &str) -> bool {
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

fn change_column(p: &mut Planner<'_>, q: &QName, from: &Column, to: &Column) {
    let column = || format!("pgm.alter_column({}, {})", name(q), lit(&to.name));
    let at = format!("{}.{}", shown(q), to.name);
    if from.data_type != to.data_type {
        let quoted = sql_ident(&to.name);
        let mut change = Change::new(Step::Expand, format!("{at}: type {} to {}", from.data_type, to.data_type))
            .up(format!("{}.set_type({}).using({})", column(), lit(&to.data_type), lit(&format!("{quoted}::{}", to.data_type))))
            .down(format!("{}.set_type({}).using({})", column(), lit(&from.data_type), lit(&format!("{quoted}::{}", from.data_type))));
        if binary_compatible(&from.data_type, &to.data_type) {
            change = change.allow(
                "changing-column-type",
                format!("{at}: {} to {} keeps the stored values (no rewrite)", from.data_type, to.data_type),
            );
        } else {
            change = change
                .comment(format!(
                    "Rewrites {} under an ACCESS EXCLUSIVE lock. On a large live table, move the values to a new\n\
                     column instead: pgm.change_column_type_online({}, {}, \"<new column>\", {}).",
                    shown(q),
                    name(q),
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
    if from.default != to.default {
        let set = |d: &Option<String>| match d {
            Some(d) => format!("{}.set_default(expr({}))", column(), lit(d)),
            None => format!("{}.drop_default()", column()),
        };
        p.push(
            Change::new(Step::Expand, format!("{at}: default"))
                .up(set(&to.default))
                .down(set(&from.default)),
        );
    }
    match (from.not_null, to.not_null) {
        (false, true) => set_not_null(p, q, &to.name),
        (true, false) => p.push(
            Change::new(Step::Expand, format!("{at}: NULL allowed"))
                .up(format!("{}.drop_not_null()", column()))
                .down(format!("{}.set_not_null()", column())),
        ),
        _ => {}
    }
    if from.comment != to.comment {
        let set = |c: &Option<String>| match c {
            Some(c) => format!("{}.comment(Some({}))", column(), lit(c)),
            None => format!("{}.comment(None::<String>)", column()),
        };
        p.push(
            Change::new(Step::Expand, format!("{at}: comment"))
                .up(set(&to.comment))
                .down(set(&from.comment)),
        );
    }
    let kind = |k: char| if k == 'a' { "Identity::always()" } else { "Identity::by_default()" };
    let identity = match (from.identity.as_ref().map(|i| i.0), to.identity.as_ref().map(|i| i.0)) {
        (None, Some(k)) => Some((format!("add_identity({})", kind(k)), "drop_identity()".to_owned())),
        (Some(k), None) => Some(("drop_identity()".to_owned(), format!("add_identity({})", kind(k)))),
        (Some(a), Some(b)) if a != b => Some((format!("set_identity({})", kind(b)), format!("set_identity({})", kind(a)))),
        _ => None,
    };
    if let Some((up, down)) = identity {
        // The identity's own sequence starts afresh: its settings and position are the defaults.
        p.push(
            Change::new(Step::Expand, format!("{at}: identity"))
                .up(format!("{}.{up}", column()))
                .down(format!("{}.{down}", column())),
        );
    }
    if from.generated != to.generated {
        p.uncovered(format!("column {at}: its generation expression changes"));
    }
    if from.collation != to.collation && from.data_type == to.data_type {
        let collate = |c: &Option<QName>| {
            let collation = c.clone().unwrap_or_else(|| ("pg_catalog".to_owned(), "default".to_owned()));
            format!("{}.set_type({}).collate({})", column(), lit(&to.data_type), rust::catalog_name(&collation))
        };
        p.push(
            Change::new(Step::Expand, format!("{at}: collation"))
                .comment("A new collation rebuilds the column's indexes under an ACCESS EXCLUSIVE lock.")
                .up(collate(&to.collation))
                .down(collate(&from.collation))
                .allow("changing-column-type", format!("{at}: only its collation changes, as the desired schema says")),
        );
    } else if from.collation != to.collation {
        p.uncovered(format!("column {at}: its collation changes with its type"));
    }
}

/// Indexes by name; `renamed` pairs (old, new) are renamed already, `leaving` ones go with a column the
/// contract of an online rename drops.
fn indexes(
    p: &mut Planner<'_>,
    q: &QName,
    from: &Table,
    to: &Table,
    renamed: &[(String, String)],
    leaving: &[String],
) {
    let partitioned = to.partition_key.is_some();
    if partitioned && to.indexes.keys().any(|n| !from.indexes.contains_key(n)) {
        p.warn(format!(
            "{}: indexes built per partition name each partition's index `<partition>_<index>`, which may \
             differ from the names PostgreSQL gives",
            shown(q)
        ));
    }
    let create = |index_name: &str, index: &Index| {
        if partitioned {
            format!("{}.concurrently_per_partition()", rust::create_index(q, index_name, index, false))
        } else {
            rust::create_index(q, index_name, index, true)
        }
    };
    let drop = |index_name: &str, index: &Index| {
        if partitioned {
            format!("{}.per_partition()", rust::drop_index(q, index_name, index, false))
        } else {
            rust::drop_index(q, index_name, index, true)
        }
    };
    for (index_name, index) in &to.indexes {
        if renamed.iter().any(|(_, n)| n == index_name) || leaving.contains(index_name) {
            continue;
        }
        match from.indexes.get(index_name) {
            Some(before) if before.definition == index.definition => {
                if before.comment != index.comment {
                    p.uncovered(format!("index {index_name} on {}: its comment", shown(q)));
                }
            }
            Some(before) => {
                p.push(
                    Change::new(Step::Indexes, format!("rebuild index {index_name} on {}", shown(q)))
                        .up(drop(index_name, before))
                        .down(create(index_name, before)),
                );
                p.push(
                    Change::new(Step::Indexes, format!("add index {index_name} on {}", shown(q)))
                        .up(create(index_name, index))
                        .down(drop(index_name, index)),
                );
            }
            None => p.push(
                Change::new(Step::Indexes, format!("add index {index_name} on {}", shown(q)))
                    .up(create(index_name, index))
                    .down(drop(index_name, index)),
            ),
        }
    }
    for (index_name, index) in &from.indexes {
        if !to.indexes.contains_key(index_name)
            && !renamed.iter().any(|(o, _)| o == index_name)
            && !leaving.contains(index_name)
        {
            p.push(
                Change::new(Step::Drops, format!("drop index {index_name} on {}", shown(q)))
                    .order(3)
                    .up(drop(index_name, index))
                    .down(create(index_name, index)),
            );
        }
    }
}

fn drop_table(p: &mut Planner<'_>, q: &QName, table: &Table) {
    if p.table_renamed(q).is_some() || !p.may_drop(&format!("table {}", shown(q))) {
        return;
    }
    let from = p.from;
    let mut change = Change::new(Step::Drops, format!("drop table {}", shown(q)))
        .up(format!("pgm.drop_table({})", name(q)))
        .allow("ban-drop-table", format!("{} is gone from the desired schema", shown(q)));
    // The down makes it again as it was: the table, then its foreign keys and indexes.
    change = change.down(create_table_call(from, q, table));
    for (constraint_name, constraint) in &table.constraints {
        if let (ConstraintKind::ForeignKey { .. }, Some(value)) = (&constraint.kind, rust::constraint(constraint)) {
            change = change.down(format!("pgm.add_constraint({}, {}, {value})", name(q), lit(constraint_name)));
        }
    }
    for (index_name, index) in &table.indexes {
        change = change.down(rust::create_index(q, index_name, index, false));
    }
    // Downs run in reverse: the table's statements are listed in the order they must run.
    change.down.reverse();
    p.push(change);
}

/// Triggers, policies, row-level security, grants and the comment of table `q` (`from` is `None` for a
/// new table).
fn table_extras(p: &mut Planner<'_>, q: &QName, from: Option<&Table>, to: &Table) {
    let empty = Table {
        unlogged: false,
        partition_key: None,
        partition_of: None,
        columns: Vec::new(),
        constraints: Default::default(),
        indexes: Default::default(),
        triggers: Default::default(),
        policies: Default::default(),
        row_security: false,
        force_row_security: false,
        grants: Vec::new(),
        comment: None,
    };
    let is_new = from.is_none();
    let from = from.unwrap_or(&empty);
    for (trigger_name, trigger) in &to.triggers {
        match from.triggers.get(trigger_name) {
            Some(before) if before.definition == trigger.definition => {}
            Some(before) => {
                p.push(
                    Change::new(Step::Expand, format!("replace trigger {trigger_name} on {}", shown(q)))
                        .up(format!("pgm.drop_trigger({}, {})", name(q), lit(trigger_name)))
                        .down(create_trigger(q, trigger_name, before)),
                );
                p.push(
                    Change::new(Step::Expand, format!("add trigger {trigger_name} on {}", shown(q)))
                        .up(create_trigger(q, trigger_name, trigger))
                        .down(format!("pgm.drop_trigger({}, {})", name(q), lit(trigger_name))),
                );
            }
            None => p.push(
                Change::new(Step::Expand, format!("add trigger {trigger_name} on {}", shown(q)))
                    .up(create_trigger(q, trigger_name, trigger))
                    .down(format!("pgm.drop_trigger({}, {})", name(q), lit(trigger_name))),
            ),
        }
    }
    for (trigger_name, trigger) in &from.triggers {
        if !to.triggers.contains_key(trigger_name) {
            p.push(
                Change::new(Step::Drops, format!("drop trigger {trigger_name} on {}", shown(q)))
                    .order(1)
                    .up(format!("pgm.drop_trigger({}, {})", name(q), lit(trigger_name)))
                    .down(create_trigger(q, trigger_name, trigger)),
            );
        }
    }
    let security = |setting: &str| format!("pgm.alter_table({}).row_level_security(RowLevelSecurity::{setting})", name(q));
    if from.row_security != to.row_security {
        let (up, down) = if to.row_security { ("Enable", "Disable") } else { ("Disable", "Enable") };
        p.push(
            Change::new(Step::Expand, format!("row-level security {} on {}", if to.row_security { "enabled" } else { "disabled" }, shown(q)))
                .up(security(up))
                .down(security(down)),
        );
    }
    if from.force_row_security != to.force_row_security {
        let (up, down) = if to.force_row_security { ("Force", "NoForce") } else { ("NoForce", "Force") };
        p.push(
            Change::new(Step::Expand, format!("row-level security {} for the owner of {}", if to.force_row_security { "forced" } else { "not forced" }, shown(q)))
                .up(security(up))
                .down(security(down)),
        );
    }
    for (policy_name, policy) in &to.policies {
        match from.policies.get(policy_name) {
            Some(before) if before == policy => {}
            Some(before) => {
                p.push(
                    Change::new(Step::Expand, format!("replace policy {policy_name} on {}", shown(q)))
                        .up(format!("pgm.drop_policy({}, {})", name(q), lit(policy_name)))
                        .down(create_policy(q, policy_name, before)),
                );
                p.push(
                    Change::new(Step::Expand, format!("add policy {policy_name} on {}", shown(q)))
                        .up(create_policy(q, policy_name, policy))
                        .down(format!("pgm.drop_policy({}, {})", name(q), lit(policy_name))),
                );
            }
            None => p.push(
                Change::new(Step::Expand, format!("add policy {policy_name} on {}", shown(q)))
                    .up(create_policy(q, policy_name, policy))
                    .down(format!("pgm.drop_policy({}, {})", name(q), lit(policy_name))),
            ),
        }
    }
    for (policy_name, policy) in &from.policies {
        if !to.policies.contains_key(policy_name) {
            p.push(
                Change::new(Step::Drops, format!("drop policy {policy_name} on {}", shown(q)))
                    .order(1)
                    .up(format!("pgm.drop_policy({}, {})", name(q), lit(policy_name)))
                    .down(create_policy(q, policy_name, policy)),
            );
        }
    }
    grants(p, q, &from.grants, &to.grants);
    if !is_new && from.comment != to.comment {
        let set = |c: Option<&str>| {
            format!("pgm.sql({})", lit(&format!("COMMENT ON TABLE {} IS {}", sql_name(q), sql_literal(c))))
        };
        p.push(
            Change::new(Step::Expand, format!("comment on table {}", shown(q)))
                .comment("No operation sets the comment of an existing table: written as SQL.")
                .up(set(to.comment.as_deref()))
                .down(set(from.comment.as_deref())),
        );
    }
}

fn privilege(name: &str) -> Option<&'static str> {
    Some(match name {
        "SELECT" => "Privilege::Select",
        "INSERT" => "Privilege::Insert",
        "UPDATE" => "Privilege::Update",
        "DELETE" => "Privilege::Delete",
        "TRUNCATE" => "Privilege::Truncate",
        "REFERENCES" => "Privilege::References",
        "TRIGGER" => "Privilege::Trigger",
        _ => return None,
    })
}

fn grants(p: &mut Planner<'_>, q: &QName, from: &[(String, String)], to: &[(String, String)]) {
    let call = |verb: &str, grantee: &str, privileges: &[&'static str]| {
        format!(
            "pgm.{verb}_on_tables([{}], [{}], [{}])",
            name(q),
            privileges.join(", "),
            lit(grantee)
        )
    };
    let mut grantees: BTreeSet<&str> = BTreeSet::new();
    grantees.extend(from.iter().chain(to).map(|(g, _)| g.as_str()));
    for grantee in grantees {
        let of = |list: &[(String, String)]| -> BTreeSet<String> {
            list.iter().filter(|(g, _)| g == grantee).map(|(_, p)| p.clone()).collect()
        };
        let (before, after) = (of(from), of(to));
        let written = |privileges: Vec<&String>, grant: bool, p: &mut Planner<'_>| {
            if privileges.is_empty() {
                return;
            }
            let mut typed = Vec::new();
            for privilege_name in privileges {
                match privilege(privilege_name) {
                    Some(t) => typed.push(t),
                    None => p.uncovered(format!("privilege {privilege_name} on {} for {grantee}", shown(q))),
                }
            }
            if typed.is_empty() {
                return;
            }
            let (up, down, what) = if grant {
                (call("grant", grantee, &typed), call("revoke", grantee, &typed), "grant")
            } else {
                (call("revoke", grantee, &typed), call("grant", grantee, &typed), "revoke")
            };
            p.push(Change::new(Step::Expand, format!("{what} on {} for {grantee}", shown(q))).up(up).down(down));
        };
        written(after.difference(&before).collect(), true, p);
        written(before.difference(&after).collect(), false, p);
    }
}

pub(crate) fn create_trigger(q: &QName, trigger_name: &str, t: &Trigger) -> String {
    let mut out = format!(
        "pgm.create_trigger({}, {}, {})\n        .{}()",
        name(q),
        lit(trigger_name),
        name(&t.function),
        t.timing
    );
    for event in &t.events {
        if *event == "on_update" && !t.update_columns.is_empty() {
            out.push_str(&format!("\n        .on_update_of({})", rust::list(&t.update_columns)));
        } else {
            out.push_str(&format!("\n        .{event}()"));
        }
    }
    out.push_str(if t.for_each_row {
        "\n        .for_each_row()"
    } else {
        "\n        .for_each_statement()"
    });
    if let Some(when) = &t.when {
        out.push_str(&format!("\n        .when({})", lit(when)));
    }
    if !t.arguments.is_empty() {
        out.push_str(&format!("\n        .arguments({})", rust::list(&t.arguments)));
    }
    out
}

pub(crate) fn create_policy(q: &QName, policy_name: &str, policy: &Policy) -> String {
    let mut out = format!("pgm.create_policy({}, {})", name(q), lit(policy_name));
    let command = match policy.command {
        'r' => Some("Select"),
        'a' => Some("Insert"),
        'w' => Some("Update"),
        'd' => Some("Delete"),
        _ => None,
    };
    if let Some(command) = command {
        out.push_str(&format!("\n        .command(PolicyCommand::{command})"));
    }
    if !policy.permissive {
        out.push_str("\n        .restrictive()");
    }
    if policy.roles != ["public"] {
        out.push_str(&format!("\n        .to({})", rust::list(&policy.roles)));
    }
    if let Some(using) = &policy.using {
        out.push_str(&format!("\n        .using({})", lit(using)));
    }
    if let Some(check) = &policy.with_check {
        out.push_str(&format!("\n        .with_check({})", lit(check)));
    }
    out
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
