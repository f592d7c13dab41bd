//! Tables: created, renamed (the old name kept as a view until the contract), changed column by column,
//! constraint by constraint and index by index, or dropped.

use migrate_dsl::prelude::*;
use migrate_dsl::Operation;

use super::by_name::Settled;
use super::constraints::{self, add_constraint};
use super::model::{ConstraintKind, Model, QName, Table};
use super::ops::{self, name, serial_type, shown};
use super::plan::{recorded, Change, Planned, Planner, Step};
use super::sql::{mentions, sql_ident, sql_literal, sql_name};
use super::{columns, extras, indexes, retyped};

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
    let aside = names_aside(p, &created, &renamed);
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
            let mut change = Change::new(Step::Expand, format!("add index {index_name} on {}", shown(q))).up(|pgm| {
                ops::create_index(pgm, q, index_name, index, false);
            });
            if let Some(comment) = &index.comment {
                change = change
                    .up(|pgm| indexes::comment_call(pgm, q, index_name, Some(comment)))
                    .down(|pgm| {
                        ops::drop_index(pgm, q, index_name, index, false);
                    });
            }
            p.push(change);
        }
        extras::table_extras(p, q, None, table);
        replica_identity(p, q, None, table);
    }
    let from = p.from;
    retyped::foreign_keys_before(p);
    // Partitions before their parent: a partition dropped after it would be gone with it, and its drop
    // would fail. Downs run in reverse, so the parent is made again first.
    let mut existing: Vec<(&QName, &Table)> = from.tables.iter().collect();
    existing.sort_by_key(|(q, _)| std::cmp::Reverse(depth(from, q)));
    for (old, table) in existing {
        let new = renamed
            .iter()
            .find(|(o, _)| o == old)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| old.clone());
        match to.tables.get(&new) {
            Some(desired) => change_table(p, old, &new, table, desired),
            None => drop_table(p, old, &with_names_aside(old, table, &aside)),
        }
    }
}

/// An index name a new table takes from a table that goes (a declined rename keeps `pk` for the new
/// table): the old table's, renamed aside before the new table is made, since an index name is unique in
/// its schema and the old table is dropped only in the contract. `(table, name, aside, of a constraint)`.
type Aside = (QName, String, String, bool);

/// The names of the index relations of `table`: its own indexes and those of its keys, with whether each
/// is a constraint's.
fn index_names(table: &Table) -> impl Iterator<Item = (&String, bool)> {
    let keys = table.constraints.iter().filter(|(_, c)| {
        matches!(
            c.kind,
            ConstraintKind::PrimaryKey { .. } | ConstraintKind::Unique { .. } | ConstraintKind::Exclude
        )
    });
    keys.map(|(n, _)| (n, true)).chain(table.indexes.keys().map(|n| (n, false)))
}

fn names_aside(p: &mut Planner<'_>, created: &[&QName], renamed: &[(QName, QName)]) -> Vec<Aside> {
    let (from, to) = (p.from, p.to);
    let mut aside = Vec::new();
    for (old, table) in &from.tables {
        if to.tables.contains_key(old) || renamed.iter().any(|(o, _)| o == old) {
            continue;
        }
        for (index_name, of_constraint) in index_names(table) {
            let taken = created
                .iter()
                .filter(|q| q.0 == old.0)
                .any(|q| index_names(&to.tables[*q]).any(|(n, _)| n == index_name));
            if !taken {
                continue;
            }
            let moved = indexes::aside_name(index_name);
            let what = if of_constraint { "constraint" } else { "index" };
            p.push(
                Change::new(
                    Step::Expand,
                    format!("rename {what} {index_name} on {} to {moved} (a new table takes its name)", shown(old)),
                )
                .up(|pgm| {
                    if of_constraint {
                        pgm.rename_constraint(name(old), index_name.as_str(), moved.as_str());
                    } else {
                        pgm.rename_index(name(&(old.0.clone(), index_name.clone())), moved.as_str());
                    }
                }),
            );
            aside.push((old.clone(), index_name.clone(), moved, of_constraint));
        }
    }
    aside
}

/// `table` as it is once the names of [`names_aside`] are moved: what its drop's down makes again.
fn with_names_aside(q: &QName, table: &Table, aside: &[Aside]) -> Table {
    let mut table = table.clone();
    for (_, old, moved, of_constraint) in aside.iter().filter(|(t, ..)| t == q) {
        if *of_constraint {
            if let Some(c) = table.constraints.remove(old) {
                table.constraints.insert(moved.clone(), c);
            }
        } else if let Some(i) = table.indexes.remove(old) {
            table.indexes.insert(moved.clone(), i);
        }
    }
    table
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
        .up(|pgm| {
            pgm.rename_table(name(old), new.1.as_str());
            pgm.create_view(name(old), view.as_str());
        })
        .allow(
            "renaming-table",
            format!("{} stays readable and writable as a view until the contract", shown(old)),
        ),
    );
    p.push(
        Change::new(Step::Drops, format!("drop view {} (the old name of {})", shown(old), new.1))
            .order(0)
            .up(|pgm| {
                pgm.drop_view(name(old));
            })
            .down(|pgm| {
                pgm.create_view(name(old), view.as_str());
            }),
    );
}

/// The constraints of `table` its `create_table` holds, by name: all but foreign keys, those with no typed
/// form, and a unique or primary key over the columns of one before it, which `CREATE TABLE` would drop
/// silently (it keeps one of two identical keys; `ALTER TABLE .. ADD` keeps both).
fn held_by_create(table: &Table) -> Vec<&str> {
    let mut held: Vec<&str> = Vec::new();
    let mut keys: Vec<(&[String], bool)> = Vec::new();
    for (constraint_name, constraint) in &table.constraints {
        if matches!(constraint.kind, ConstraintKind::ForeignKey { .. }) || ops::constraint(constraint).is_none() {
            continue;
        }
        let key = match &constraint.kind {
            ConstraintKind::PrimaryKey { columns } => Some((columns.as_slice(), false)),
            ConstraintKind::Unique { columns, nulls_not_distinct } => Some((columns.as_slice(), *nulls_not_distinct)),
            _ => None,
        };
        if let Some(key) = key {
            if keys.contains(&key) {
                continue;
            }
            keys.push(key);
        }
        held.push(constraint_name);
    }
    held
}

/// Records the creation of `table` with its columns, the constraints `create_table` holds and its comment.
fn create_table_call(pgm: &mut MigrationBuilder, model: &Model, q: &QName, table: &Table) {
    if table.columns.is_empty() {
        return create_table_without_columns(pgm, q, table);
    }
    let columns = table.columns.iter().map(|c| ops::column(c, serial_type(model, q, c)));
    let call = pgm.create_table(name(q), columns);
    if table.unlogged {
        call.unlogged();
    }
    if let Some(key) = &table.partition_key {
        let (strategy, keys) = partition_key(key);
        call.partition_by(strategy, keys);
    }
    let held = held_by_create(table);
    for (constraint_name, constraint) in &table.constraints {
        if let (true, Some(value)) = (held.contains(&constraint_name.as_str()), ops::constraint(constraint)) {
            call.constraint(constraint_name.as_str(), value);
        }
    }
    if let Some(comment) = &table.comment {
        call.comment(comment.as_str());
    }
}

/// `RANGE (a, lower(b))` → `PartitionStrategy::Range` and its keys.
fn partition_key(key: &str) -> (PartitionStrategy, Vec<IndexColumn>) {
    let (strategy, rest) = key.split_once(' ').unwrap_or((key, ""));
    let strategy = match strategy {
        "LIST" => PartitionStrategy::List,
        "HASH" => PartitionStrategy::Hash,
        _ => PartitionStrategy::Range,
    };
    let inner = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(rest);
    let keys = split_top_level(inner)
        .into_iter()
        .map(|k| {
            let k = k.trim();
            if k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
                IndexColumn::column(k)
            } else {
                IndexColumn::expression(k)
            }
        })
        .collect();
    (strategy, keys)
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

/// A table without columns as `pgm.sql`: `create_table` refuses an empty column list (and an empty array
/// literal has no element type for it to infer). Its constraints and comment follow in SQL too.
fn create_table_without_columns(pgm: &mut MigrationBuilder, q: &QName, table: &Table) {
    let mut sql = format!(
        "CREATE {}TABLE {} ()",
        if table.unlogged { "UNLOGGED " } else { "" },
        sql_name(q)
    );
    if let Some(key) = &table.partition_key {
        sql.push_str(&format!(" PARTITION BY {key}"));
    }
    pgm.sql(sql);
    for (constraint_name, constraint) in &table.constraints {
        // Those `create_table` would hold; the others are added by their callers.
        if held_by_create(table).contains(&constraint_name.as_str()) {
            constraints::add_call(pgm, q, constraint_name, constraint);
        }
    }
    if let Some(comment) = &table.comment {
        pgm.sql(format!("COMMENT ON TABLE {} IS {}", sql_name(q), sql_literal(Some(comment))));
    }
}

/// `CREATE TABLE .. PARTITION OF` as `pgm.sql`: no operation creates a table as a partition.
fn create_partition_call(pgm: &mut MigrationBuilder, q: &QName, parent: &QName, bound: &str, table: &Table) {
    pgm.sql(format!(
        "CREATE TABLE {} PARTITION OF {} {bound}{}",
        sql_name(q),
        sql_name(parent),
        table.partition_key.as_ref().map(|k| format!(" PARTITION BY {k}")).unwrap_or_default()
    ));
}

fn create_table(p: &mut Planner<'_>, q: &QName, table: &Table) {
    let to = p.to;
    let mut change = match &table.partition_of {
        Some((parent, bound)) => Change::new(
            Step::Expand,
            format!("add partition {} of {}", shown(q), shown(parent)),
        )
        .object(q)
        .comment("No operation creates a table as a partition (`PARTITION OF`): written as SQL.")
        .up(|pgm| create_partition_call(pgm, q, parent, bound, table)),
        None => Change::new(Step::Expand, format!("add table {}", shown(q))).object(q).up(|pgm| create_table_call(pgm, to, q, table)),
    };
    change = change.down_if_not_derived(|pgm| {
        pgm.drop_table(name(q));
    });
    p.push(change);
    if table.partition_of.is_some() {
        for (constraint_name, constraint) in &table.constraints {
            if !matches!(constraint.kind, ConstraintKind::ForeignKey { .. }) {
                add_constraint(p, q, constraint_name, constraint, true);
            }
        }
    } else {
        let held = held_by_create(table);
        for (constraint_name, constraint) in &table.constraints {
            let foreign_key = matches!(constraint.kind, ConstraintKind::ForeignKey { .. });
            if !foreign_key && !held.contains(&constraint_name.as_str()) {
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
    let retyped = retyped::before(p, q, from, to);
    columns::columns(p, old, q, from, to);
    retyped::after(p, q, to, &retyped);
    let renamed_columns: Vec<&str> = from
        .columns
        .iter()
        .filter(|c| p.column_renamed(old, &c.name).is_some())
        .map(|c| c.name.as_str())
        .collect();
    let on_renamed = |text: &str| renamed_columns.iter().any(|c| mentions(text, c));
    let mut constraints_leaving = constraints::move_off_renamed_columns(p, q, from, to, &on_renamed);
    constraints_leaving.extend(retyped.checks.iter().cloned());
    let mut indexes_leaving = indexes::move_off_renamed_columns(p, q, from, to, &on_renamed);
    indexes_leaving.extend(retyped.indexes.iter().cloned());
    // An index a new key is made on (`USING INDEX`) becomes the key's: neither renamed nor dropped.
    indexes_leaving.extend(constraints::adopted_indexes(from, to));
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
    if retyped.remakes() {
        extras::table_extras(p, q, Some(&retyped.without_remade(from)), &retyped.without_remade(to));
    } else {
        extras::table_extras(p, q, Some(from), to);
    }
    replica_identity(p, q, Some(from), to);
}

fn set_logged(p: &mut Planner<'_>, q: &QName, unlogged: bool) {
    let set = |unlogged: bool| {
        move |pgm: &mut MigrationBuilder| {
            let table = pgm.alter_table(name(q));
            if unlogged {
                table.set_unlogged();
            } else {
                table.set_logged();
            }
        }
    };
    p.push(
        Change::new(Step::Expand, format!("table {} {}", shown(q), if unlogged { "unlogged" } else { "logged" }))
            .up(set(unlogged))
            .down(set(!unlogged)),
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
    let change = Change::new(Step::Drops, format!("drop table {}", shown(q))).object(q)
        .up(|pgm| {
            pgm.drop_table(name(q));
        })
        .allow("ban-drop-table", format!("{} is gone from the desired schema", shown(q)));
    // The down makes it again as it was: the table (or partition), the constraints its creation does not
    // hold, its foreign keys, indexes, triggers, row-level security, policies, grants, comments and replica
    // identity, in the order they must run.
    // A foreign key dropped before a type change is made again by that change's `down`.
    let dropped_early: Vec<&str> =
        p.dropped_early.iter().filter(|(t, _)| t == q).map(|(_, n)| n.as_str()).collect();
    let mut down = recorded(|pgm| {
        match &table.partition_of {
            Some((parent, bound)) => create_partition_call(pgm, q, parent, bound, table),
            None => create_table_call(pgm, from, q, table),
        }
        let held = held_by_create(table);
        for (constraint_name, constraint) in &table.constraints {
            let in_create = table.partition_of.is_none() && held.contains(&constraint_name.as_str());
            if !in_create && !matches!(constraint.kind, ConstraintKind::ForeignKey { .. }) {
                constraints::add_call(pgm, q, constraint_name, constraint);
            }
        }
        for (constraint_name, constraint) in &table.constraints {
            let foreign_key = matches!(constraint.kind, ConstraintKind::ForeignKey { .. });
            if foreign_key && !dropped_early.contains(&constraint_name.as_str()) {
                constraints::add_call(pgm, q, constraint_name, constraint);
            }
        }
        for (index_name, index) in &table.indexes {
            ops::create_index(pgm, q, index_name, index, false);
            if let Some(comment) = &index.comment {
                indexes::comment_call(pgm, q, index_name, Some(comment));
            }
        }
    });
    // What a new table gets besides: the operations that would make it, taken from a planner of its own.
    let mut made = Planner {
        from,
        to: from,
        renames: &[],
        declined: &[],
        allow_drop: false,
        out: Planned::default(),
        dropped_early: Vec::new(),
    };
    extras::table_extras(&mut made, q, None, table);
    replica_identity(&mut made, q, None, table);
    for made in made.out.changes {
        down.extend(made.up);
    }
    p.push(change.downs(down));
}

/// The name of the index a table's replica identity uses (`REPLICA IDENTITY USING INDEX`).
fn identity_index(table: &Table) -> Option<&str> {
    table
        .indexes
        .iter()
        .chain(&table.other_indexes)
        .find(|(_, i)| i.replica_identity)
        .map(|(n, _)| n.as_str())
}

/// `REPLICA IDENTITY DEFAULT | FULL | NOTHING | USING INDEX ..` of `table`.
fn replica_identity_sql(q: &QName, table: &Table) -> Vec<Operation> {
    let setting = match (table.replica_identity, identity_index(table)) {
        ('f', _) => "FULL".to_owned(),
        ('n', _) => "NOTHING".to_owned(),
        ('i', Some(index)) => format!("USING INDEX {}", sql_ident(index)),
        _ => "DEFAULT".to_owned(),
    };
    recorded(|pgm| {
        pgm.sql(format!("ALTER TABLE {} REPLICA IDENTITY {setting}", sql_name(q)));
    })
}

/// The replica identity (what logical replication sends of an updated or deleted row) when it changes;
/// `from` is `None` for a new table. Placed after the index it uses is built: in the expand when that index
/// exists before it, else with the new index's keys.
pub(super) fn replica_identity(p: &mut Planner<'_>, q: &QName, from: Option<&Table>, to: &Table) {
    let default = Table {
        replica_identity: 'd',
        ..Table::default()
    };
    let before = from.unwrap_or(&default);
    let same_char = |t: &Table| if t.replica_identity == '\0' { 'd' } else { t.replica_identity };
    if same_char(before) == same_char(to) && identity_index(before) == identity_index(to) {
        return;
    }
    let index_is_new = match identity_index(to) {
        Some(index) if to.replica_identity == 'i' => {
            from.is_some() && !before.indexes.contains_key(index) && !before.other_indexes.contains_key(index)
        }
        _ => false,
    };
    let step = if index_is_new { Step::UniqueKeys } else { Step::Expand };
    p.push(
        Change::new(step, format!("replica identity of {}", shown(q)))
            .comment("No operation sets a table's replica identity: written as SQL.")
            .ups(replica_identity_sql(q, to))
            .downs(replica_identity_sql(q, before)),
    );
}
