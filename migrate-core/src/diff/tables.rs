//! Tables: created, renamed (the old name kept as a view until the contract), changed column by column,
//! constraint by constraint and index by index, or dropped.

use super::constraints::{self, add_constraint};
use super::model::{ConstraintKind, Model, QName, Table};
use super::plan::{Change, Planner, Step};
use super::by_name::Settled;
use super::rust::{self, lit, name, serial_type, shown};
use super::sql::{mentions, sql_name};
use super::{columns, extras, indexes};

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
        extras::table_extras(p, q, None, table);
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

fn split_top_level(text: &str) -> Vec<String> {
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

/// Table `old` of the current schema, `q` in the desired one (the same name unless renamed).
fn change_table(p: &mut Planner<'_>, old: &QName, q: &QName, from: &Table, to: &Table) {
    if from.partition_key != to.partition_key || from.partition_of != to.partition_of {
        p.uncovered(format!(
            "table {}: its partitioning changes (a table cannot be repartitioned in place)",
            shown(q)
        ));
    }
    if from.unlogged != to.unlogged {
        set_logged(p, q, to.unlogged);
    }
    columns::columns(p, old, q, from, to);
    let renamed_columns: Vec<&str> = from
        .columns
        .iter()
        .filter(|c| p.column_renamed(old, &c.name).is_some())
        .map(|c| c.name.as_str())
        .collect();
    let on_renamed = |text: &str| renamed_columns.iter().any(|c| mentions(text, c));
    let constraints_leaving = constraints::move_off_renamed_columns(p, q, from, to, &on_renamed);
    let indexes_leaving = indexes::move_off_renamed_columns(p, q, from, to, &on_renamed);
    let constraints = Settled {
        renamed: constraints::renamed(p, q, from, to, &constraints_leaving),
        leaving: constraints_leaving,
    };
    let indexes = Settled {
        renamed: indexes::renamed(p, q, from, to, &indexes_leaving),
        leaving: indexes_leaving,
    };
    constraints::by_name(p, q, from, to, &constraints);
    indexes::by_name(p, q, from, to, &indexes);
    extras::table_extras(p, q, Some(from), to);
}

fn set_logged(p: &mut Planner<'_>, q: &QName, unlogged: bool) {
    let (call, back) = if unlogged {
        ("set_unlogged()", "set_logged()")
    } else {
        ("set_logged()", "set_unlogged()")
    };
    p.push(
        Change::new(Step::Expand, format!("table {} {}", shown(q), if unlogged { "unlogged" } else { "logged" }))
            .up(format!("pgm.alter_table({}).{call}", name(q)))
            .down(format!("pgm.alter_table({}).{back}", name(q))),
    );
    p.warn(format!(
        "{}: SET {} rewrites the table under an ACCESS EXCLUSIVE lock",
        shown(q),
        if unlogged { "UNLOGGED" } else { "LOGGED" }
    ));
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

