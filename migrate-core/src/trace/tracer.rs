//! The observer `migrate trace` attaches to the runner: it reads the catalog before and after each statement of
//! the traced migrations and turns the difference into [`StatementTrace`]s.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use migrate_dsl::Statement;

use crate::event_log::millis;
use crate::events::Event;
use crate::history::MigrationsTable;
use crate::migration::Migration;
use crate::notices::Notice;
use crate::observer::{Observer, Session};
use crate::plan::Step;

use super::allow::{Allow, GateKind};
use super::catalog::{self, Relation, RelationKind, RowCounts, Snapshot};
use super::locks::LockMode;
use super::report::{
    Allowed, GateFinding, Lock, MigrationTrace, Observed, RelationRef, Scan, StatementTrace,
    TransactionTrace,
};
use super::watcher::Watcher;

#[derive(Debug)]
pub(crate) struct Tracer {
    bookkeeping: MigrationsTable,
    /// Behind a lock only because the runner's observer must be `Sync`.
    watcher: Mutex<Watcher>,
    /// The `// trace: allow` comments of each traced migration, by name.
    allows: HashMap<String, Vec<Allow>>,
    /// The file of each traced migration, by name.
    files: HashMap<String, String>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The migration session's process id.
    pid: Option<i32>,
    migrations: Vec<MigrationTrace>,
    /// Which allows accepted something, by migration name and index.
    used: HashSet<(String, usize)>,
    transaction: Option<Open>,
    unit: Option<Unit>,
}

/// The transaction being traced.
#[derive(Debug)]
struct Open {
    started: Instant,
    /// Relations that existed when it started: locks on any other block nobody.
    existing: HashSet<u32>,
    /// Every relation seen during it, to name those it dropped.
    names: HashMap<u32, Relation>,
    /// Its statements so far, each with the locks the transaction held after it.
    statements: Vec<(StatementTrace, HashMap<u32, LockMode>)>,
}

/// The statement being traced.
#[derive(Debug)]
struct Unit {
    before: Snapshot,
    started: Instant,
    notices: Vec<Notice>,
}

impl Tracer {
    /// A tracer for `traced`, each with its `// trace: allow` comments.
    pub(crate) fn new(
        bookkeeping: MigrationsTable,
        watcher: Watcher,
        traced: &[(&Migration, Vec<Allow>)],
    ) -> Self {
        Tracer {
            bookkeeping,
            watcher: Mutex::new(watcher),
            allows: traced
                .iter()
                .map(|(m, allows)| (m.name().to_owned(), allows.clone()))
                .collect(),
            files: traced
                .iter()
                .map(|(m, _)| (m.name().to_owned(), m.display_path()))
                .collect(),
            state: Mutex::new(State::default()),
        }
    }

    fn watcher(&self) -> std::sync::MutexGuard<'_, Watcher> {
        self.watcher.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An event of the run: a migration starts or ends, or the server sent a notice during a statement.
    pub(crate) fn event(&self, event: &Event<'_>) {
        let mut state = self.state();
        match event {
            Event::Started {
                name,
                direction,
                transactional,
                ..
            } => {
                let file = self.files.get(*name).cloned().unwrap_or_default();
                state.migrations.push(MigrationTrace {
                    name: (*name).to_owned(),
                    direction: *direction,
                    file,
                    transactional: *transactional,
                    transactions: Vec::new(),
                    notes: Vec::new(),
                });
            }
            Event::Notice { notice, .. } => {
                if let Some(unit) = &mut state.unit {
                    unit.notices.push((*notice).clone());
                }
            }
            Event::Finished { .. } => self.close(&mut state),
            _ => {}
        }
    }

    /// The traces, with a note for each `// trace: allow` that accepted nothing.
    pub(crate) fn finish(self) -> Vec<MigrationTrace> {
        let mut state = self
            .state
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        for m in &mut state.migrations {
            for (i, allow) in self.allows.get(&m.name).into_iter().flatten().enumerate() {
                if !state.used.contains(&(m.name.clone(), i)) {
                    let kinds: Vec<&str> = allow.kinds.iter().map(|k| k.name()).collect();
                    m.notes.push(format!(
                        "line {}: `trace: allow {}` accepted nothing",
                        allow.line,
                        kinds.join(", ")
                    ));
                }
            }
        }
        state.migrations
    }

    /// Ends the open transaction: what it held until its commit, and its gate findings.
    fn close(&self, state: &mut State) {
        let Some(open) = state.transaction.take() else {
            return;
        };
        let duration = open.started.elapsed();
        let final_locks = open
            .statements
            .last()
            .map(|(_, locks)| locks.clone())
            .unwrap_or_default();
        let held = |locks: &HashMap<u32, LockMode>| -> Vec<Lock> {
            let mut held: Vec<Lock> = locks
                .keys()
                .filter(|oid| open.existing.contains(oid))
                .map(|oid| {
                    let mode = final_locks.get(oid).copied().unwrap_or(locks[oid]);
                    lock(&open.names, *oid, mode)
                })
                .collect();
            sort_locks(&mut held);
            held
        };
        let held_until_commit = held(&final_locks);
        let mut statements = Vec::with_capacity(open.statements.len());
        for (mut statement, locks) in open.statements {
            statement.held = held(&locks);
            let exclusive = exclusive(&statement.held);
            self.gate(state, &mut statement, &exclusive);
            statements.push(statement);
        }
        let Some(migration) = state.migrations.last_mut() else {
            return;
        };
        migration.transactions.push(TransactionTrace {
            number: migration.transactions.len() + 1,
            autocommit: false,
            duration_ms: millis(duration),
            held_until_commit,
            statements,
        });
    }

    /// The gate findings of `statement`, which held `exclusive` (relations locked `ACCESS EXCLUSIVE`) when
    /// it ended, each accepted or not by the migration's `// trace: allow` comments.
    fn gate(&self, state: &mut State, statement: &mut StatementTrace, exclusive: &[String]) {
        if exclusive.is_empty() {
            return;
        }
        let Some(name) = state.migrations.last().map(|m| m.name.clone()) else {
            return;
        };
        let found = [
            (
                GateKind::Rewrite,
                tables_first(
                    statement
                        .rewrites
                        .iter()
                        .map(|r| (r.relation.clone(), r.kind)),
                ),
            ),
            (
                GateKind::Scan,
                statement.scans.iter().map(|s| s.table.clone()).collect(),
            ),
        ];
        for (kind, relations) in found {
            if relations.is_empty() {
                continue;
            }
            let relations: Vec<String> = relations
                .into_iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let allowed = self
                .allows
                .get(&name)
                .into_iter()
                .flatten()
                .enumerate()
                .find(|(_, a)| a.kinds.contains(&kind))
                .map(|(i, a)| {
                    state.used.insert((name.clone(), i));
                    Allowed {
                        line: a.line,
                        reason: a.reason.clone(),
                    }
                });
            statement.gate.push(GateFinding {
                kind,
                relations,
                holding: exclusive.to_vec(),
                allowed,
            });
        }
    }

    /// The session's process id, read once.
    fn pid(&self, state: &mut State, conn: &mut dyn Session) -> Result<i32, postgres::Error> {
        if let Some(pid) = state.pid {
            return Ok(pid);
        }
        let pid = conn
            .simple_query("SELECT pg_catalog.pg_backend_pid()")?
            .iter()
            .find_map(|m| match m {
                postgres::SimpleQueryMessage::Row(row) => row.get(0).and_then(|v| v.parse().ok()),
                _ => None,
            })
            .unwrap_or(0);
        state.pid = Some(pid);
        Ok(pid)
    }
}

impl Observer for Tracer {
    fn transaction_started(
        &self,
        _step: &Step<'_>,
        conn: &mut dyn Session,
    ) -> Result<(), postgres::Error> {
        let snapshot = catalog::read(conn, &self.bookkeeping)?;
        let mut state = self.state();
        // A transaction of the same migration before it has committed.
        self.close(&mut state);
        state.transaction = Some(Open {
            started: Instant::now(),
            existing: snapshot.relations.keys().copied().collect(),
            names: snapshot.relations,
            statements: Vec::new(),
        });
        Ok(())
    }

    fn transaction_ended(&self) {
        let mut state = self.state();
        self.close(&mut state);
    }

    fn before_unit(
        &self,
        _step: &Step<'_>,
        _unit: &Statement,
        conn: &mut dyn Session,
    ) -> Result<(), postgres::Error> {
        let before = catalog::read(conn, &self.bookkeeping)?;
        let mut state = self.state();
        // Outside a transaction the statement's locks end with it: they are sampled while it runs. In one,
        // they are held until the commit and read after it.
        if state.transaction.is_none() {
            let pid = self.pid(&mut state, conn)?;
            self.watcher().watch(pid)?;
        }
        state.unit = Some(Unit {
            before,
            started: Instant::now(),
            notices: Vec::new(),
        });
        Ok(())
    }

    fn after_unit(
        &self,
        step: &Step<'_>,
        unit: &Statement,
        conn: &mut dyn Session,
    ) -> Result<(), postgres::Error> {
        let mut state = self.state();
        let Some(traced) = state.unit.take() else {
            return Ok(());
        };
        let duration = traced.started.elapsed();
        let in_transaction = state.transaction.is_some();
        let observation = if in_transaction {
            None
        } else {
            Some(self.watcher().stop()?)
        };
        let after = catalog::read(conn, &self.bookkeeping)?;
        let before = &traced.before;
        let mut names: HashMap<u32, Relation> = before.relations.clone();
        names.extend(after.relations.iter().map(|(k, v)| (*k, v.clone())));
        let existing: HashSet<u32> = match &state.transaction {
            Some(open) if in_transaction => open.existing.clone(),
            _ => before.relations.keys().copied().collect(),
        };
        if let Some(open) = &mut state.transaction {
            open.names
                .extend(names.iter().map(|(k, v)| (*k, v.clone())));
            names.extend(open.names.iter().map(|(k, v)| (*k, v.clone())));
        }
        let (locks_after, observed) = match &observation {
            None => (after.locks.clone(), Observed::InTransaction),
            Some(seen) if seen.waited => (seen.locks.clone(), Observed::WhileWaiting),
            Some(seen) => (seen.locks.clone(), Observed::Sampled),
        };
        let locks_after: HashMap<u32, LockMode> = locks_after
            .into_iter()
            .filter(|(oid, _)| names.contains_key(oid))
            .collect();
        let before_locks = if in_transaction {
            &before.locks
        } else {
            &HashMap::new()
        };
        let mut acquired: Vec<Lock> = locks_after
            .iter()
            .filter(|(oid, mode)| {
                existing.contains(oid) && before_locks.get(oid).is_none_or(|b| *mode > b)
            })
            .map(|(oid, mode)| lock(&names, *oid, *mode))
            .collect();
        sort_locks(&mut acquired);
        let Changes {
            created,
            dropped,
            rewrites,
        } = changes(before, &after, &existing);
        let validated = validated(before, &after, &existing);
        let Read {
            scans,
            proven,
            notices,
        } = read_notices(
            &traced.notices,
            &after,
            &locks_after,
            &existing,
            &names,
            &rewrites,
        );
        let scans = with_sequential_scans(scans, before, &after, &existing, &rewrites);
        let statement = StatementTrace {
            position: unit.position,
            operation: unit.op.to_owned(),
            line: step.migration.statement_line(unit.recorded_at, &unit.sql),
            sql: unit.sql.clone(),
            duration_ms: millis(duration),
            observed,
            locks: acquired,
            held: Vec::new(),
            created,
            dropped,
            rewrites,
            scans,
            validated,
            proven,
            notices,
            gate: Vec::new(),
        };
        match &mut state.transaction {
            Some(open) if in_transaction => open.statements.push((statement, locks_after)),
            _ => {
                // Outside a transaction the statement committed on its own: its own transaction.
                let mut statement = statement;
                statement.held = statement.locks.clone();
                let exclusive = exclusive(&statement.held);
                self.gate(&mut state, &mut statement, &exclusive);
                if let Some(migration) = state.migrations.last_mut() {
                    migration.transactions.push(TransactionTrace {
                        number: migration.transactions.len() + 1,
                        autocommit: true,
                        duration_ms: millis(duration),
                        held_until_commit: statement.held.clone(),
                        statements: vec![statement],
                    });
                }
            }
        }
        Ok(())
    }
}

/// What a statement did to the relations that existed before it (`existing`): created, dropped, and rewritten
/// or rebuilt.
struct Changes {
    created: Vec<String>,
    dropped: Vec<String>,
    /// Tables first, then by name.
    rewrites: Vec<RelationRef>,
}

fn changes(before: &Snapshot, after: &Snapshot, existing: &HashSet<u32>) -> Changes {
    let mut created: Vec<&Relation> = after
        .relations
        .iter()
        .filter(|(oid, _)| !before.relations.contains_key(oid))
        .map(|(_, r)| r)
        .collect();
    let mut dropped: Vec<&Relation> = before
        .relations
        .iter()
        .filter(|(oid, _)| existing.contains(oid) && !after.relations.contains_key(oid))
        .map(|(_, r)| r)
        .collect();
    // Dropped and created again under the same name (an index on a column whose type changed): rebuilt.
    let rebuilt: Vec<RelationRef> = dropped
        .iter()
        .filter(|d| created.iter().any(|c| c.name == d.name && c.kind == d.kind))
        .map(|r| RelationRef {
            relation: r.name.clone(),
            kind: r.kind,
        })
        .collect();
    created.retain(|c| !rebuilt.iter().any(|r| r.relation == c.name));
    dropped.retain(|d| !rebuilt.iter().any(|r| r.relation == d.name));
    let created = sorted(created.into_iter().map(|r| r.name.clone()));
    let dropped = sorted(dropped.into_iter().map(|r| r.name.clone()));
    let mut rewrites: Vec<RelationRef> = after
        .relations
        .iter()
        .filter(|(oid, r)| {
            existing.contains(oid)
                && r.file != 0
                && before.relations.get(oid).is_some_and(|b| b.file != r.file)
        })
        .map(|(_, r)| RelationRef {
            relation: r.name.clone(),
            kind: r.kind,
        })
        .chain(rebuilt)
        .collect();
    rewrites.sort_by(|a, b| {
        (a.kind == RelationKind::Index, &a.relation)
            .cmp(&(b.kind == RelationKind::Index, &b.relation))
    });
    Changes {
        created,
        dropped,
        rewrites,
    }
}

/// The constraints of existing tables that the statement validated.
fn validated(before: &Snapshot, after: &Snapshot, existing: &HashSet<u32>) -> Vec<String> {
    sorted(
        after
            .constraints
            .iter()
            .filter(|(oid, c)| {
                let earlier = before.constraints.get(oid);
                // A NOT NULL constraint counts only when a NOT VALID one was validated: the one `SET NOT
                // NULL` adds (from PostgreSQL 18 on) is valid from the start, and the statement's scan, or
                // what proved it without one, is reported already. So a trace reads the same on every major.
                let fresh_not_null = c.not_null && earlier.is_none();
                c.validated
                    && !fresh_not_null
                    && existing.contains(&c.table)
                    && earlier.is_none_or(|b| !b.validated)
            })
            .map(|(_, c)| c.name.clone()),
    )
}

/// What the server's messages during a statement say: the tables it read whole, what proved a constraint
/// without a scan, and the other notices as they are.
struct Read {
    scans: Vec<Scan>,
    proven: Vec<String>,
    notices: Vec<String>,
}

fn read_notices(
    traced: &[Notice],
    after: &Snapshot,
    locks_after: &HashMap<u32, LockMode>,
    existing: &HashSet<u32>,
    names: &HashMap<u32, Relation>,
    rewrites: &[RelationRef],
) -> Read {
    let mut scans = Vec::new();
    let mut proven = Vec::new();
    let mut notices = Vec::new();
    for notice in traced {
        if notice.severity != "DEBUG" {
            notices.push(notice.to_string());
            continue;
        }
        if let Some(found) = scan(&notice.message, after, locks_after) {
            let (oid, reason) = found;
            if existing.contains(&oid) {
                let scan = Scan {
                    table: names[&oid].name.clone(),
                    reason,
                };
                if !scans.contains(&scan) {
                    scans.push(scan);
                }
            }
        } else if notice.message.contains("are sufficient to prove")
            || notice
                .message
                .contains("is implied by existing constraints")
        {
            proven.push(notice.message.clone());
        }
    }
    // A rewritten table's indexes are built again from its rows: part of the rewrite, not a scan of its own.
    scans.retain(|scan| !rewrites.iter().any(|r| r.relation == scan.table));
    Read {
        scans,
        proven,
        notices,
    }
}

/// `scans` with the tables of `existing` the statement read by a sequential scan, by the transaction's own
/// statistics (so in a transaction only: outside one they start again with each statement's): an UPDATE or
/// DELETE of every row, a copy, a query the server planned that way. Each row read counts, so an empty
/// table is left out (its scan costs nothing here, and the plan on a table with rows may differ). A table
/// already listed for the server's own message, or rewritten, stays as it is.
fn with_sequential_scans(
    mut scans: Vec<Scan>,
    before: &Snapshot,
    after: &Snapshot,
    existing: &HashSet<u32>,
    rewrites: &[RelationRef],
) -> Vec<Scan> {
    let mut found: Vec<(&Relation, RowCounts)> = after
        .relations
        .iter()
        .filter(|(oid, _)| existing.contains(oid))
        .filter_map(|(oid, r)| {
            let done = r
                .rows
                .since(before.relations.get(oid).map_or_else(RowCounts::default, |b| b.rows));
            (done.seq_scans > 0 && done.read > 0).then_some((r, done))
        })
        .collect();
    found.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    for (relation, done) in found {
        if scans.iter().any(|s| s.table == relation.name)
            || rewrites.iter().any(|r| r.relation == relation.name)
        {
            continue;
        }
        let mut reason = format!("sequential scan: {} row(s) read", done.read);
        if done.updated > 0 {
            reason.push_str(&format!(", {} updated", done.updated));
        }
        if done.deleted > 0 {
            reason.push_str(&format!(", {} deleted", done.deleted));
        }
        scans.push(Scan {
            table: relation.name.clone(),
            reason,
        });
    }
    scans
}

/// The table a server's `DEBUG` message says a statement read whole, and why; `None` for other messages.
fn scan(message: &str, after: &Snapshot, locked: &HashMap<u32, LockMode>) -> Option<(u32, String)> {
    let quoted = |text: &str| -> Option<String> {
        let start = text.find('"')? + 1;
        let end = start + text[start..].find('"')?;
        Some(text[start..end].to_owned())
    };
    // A bare name may be in several schemas: the one this statement locked.
    let table = |relname: &str| -> Option<u32> {
        let mut found: Vec<u32> = after
            .relations
            .iter()
            .filter(|(_, r)| r.relname == relname && r.kind != RelationKind::Index)
            .map(|(oid, _)| *oid)
            .collect();
        found.sort_by_key(|oid| !locked.contains_key(oid));
        found.first().copied()
    };
    if let Some(rest) = message.strip_prefix("verifying table ") {
        return Some((
            table(&quoted(rest)?)?,
            "verifying table: every row checked against a new constraint or NOT NULL".to_owned(),
        ));
    }
    if let Some(rest) = message.strip_prefix("validating foreign key constraint ") {
        let name = quoted(rest)?;
        let constraint = after.constraints.values().find(|c| c.name == name)?;
        return Some((
            constraint.table,
            format!("validating foreign key constraint \"{name}\": every row looked up in the referenced table"),
        ));
    }
    if let Some(rest) = message.strip_prefix("building index ") {
        let index = quoted(rest)?;
        let on = rest.split_once(" on table ")?.1;
        return Some((
            table(&quoted(on)?)?,
            format!("building index \"{index}\": every row read"),
        ));
    }
    None
}

/// The lock `mode` on relation `oid`, named from `names` (which holds it).
fn lock(names: &HashMap<u32, Relation>, oid: u32, mode: LockMode) -> Lock {
    let relation = &names[&oid];
    Lock {
        relation: relation.name.clone(),
        kind: relation.kind,
        table: relation
            .table
            .and_then(|table| names.get(&table))
            .map(|t| t.name.clone()),
        mode,
        blocks: mode.blocks(),
    }
}

/// The relations `held` locks `ACCESS EXCLUSIVE`: the tables (an index is locked with its table), or the
/// indexes when no table is.
fn exclusive(held: &[Lock]) -> Vec<String> {
    tables_first(
        held.iter()
            .filter(|l| l.mode == LockMode::AccessExclusive)
            .map(|l| (l.relation.clone(), l.kind)),
    )
}

/// The names of the relations other than indexes, or of the indexes when there is nothing else.
fn tables_first(relations: impl Iterator<Item = (String, RelationKind)>) -> Vec<String> {
    let (indexes, others): (Vec<_>, Vec<_>) =
        relations.partition(|(_, kind)| *kind == RelationKind::Index);
    let names = if others.is_empty() { indexes } else { others };
    let mut names: Vec<String> = names.into_iter().map(|(name, _)| name).collect();
    names.sort();
    names.dedup();
    names
}

/// Strongest first, then by name.
fn sort_locks(locks: &mut [Lock]) {
    locks.sort_by(|a, b| {
        b.mode
            .cmp(&a.mode)
            .then_with(|| a.relation.cmp(&b.relation))
    });
}

fn sorted(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut names: Vec<String> = names.collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::catalog::Constraint;

    fn relation(name: &str, kind: RelationKind, file: u32) -> Relation {
        Relation {
            name: name.to_owned(),
            kind,
            file,
            table: None,
            relname: name.to_owned(),
            rows: RowCounts::default(),
        }
    }

    fn snapshot(relations: Vec<(u32, Relation)>, constraints: Vec<(u32, Constraint)>) -> Snapshot {
        Snapshot {
            relations: relations.into_iter().collect(),
            constraints: constraints.into_iter().collect(),
            locks: HashMap::new(),
        }
    }

    fn constraint(name: &str, table: u32, validated: bool, not_null: bool) -> Constraint {
        Constraint {
            name: name.to_owned(),
            table,
            validated,
            not_null,
        }
    }

    #[test]
    fn an_index_dropped_and_created_under_its_name_is_rebuilt_a_new_file_is_a_rewrite() {
        let before = snapshot(
            vec![
                (1, relation("posts", RelationKind::Table, 10)),
                (2, relation("posts_title_index", RelationKind::Index, 20)),
                (3, relation("old", RelationKind::Table, 30)),
            ],
            Vec::new(),
        );
        let after = snapshot(
            vec![
                (1, relation("posts", RelationKind::Table, 11)),
                (4, relation("posts_title_index", RelationKind::Index, 40)),
                (5, relation("new", RelationKind::Table, 50)),
            ],
            Vec::new(),
        );
        let existing: HashSet<u32> = [1, 2, 3].into_iter().collect();
        let Changes {
            created,
            dropped,
            rewrites,
        } = changes(&before, &after, &existing);
        assert_eq!(created, ["new"]);
        assert_eq!(dropped, ["old"]);
        // Tables first, then indexes.
        assert_eq!(
            rewrites
                .iter()
                .map(|r| (r.relation.as_str(), r.kind))
                .collect::<Vec<_>>(),
            [
                ("posts", RelationKind::Table),
                ("posts_title_index", RelationKind::Index)
            ]
        );
    }

    #[test]
    fn only_constraints_of_existing_tables_that_became_valid_count_as_validated() {
        let before = snapshot(
            Vec::new(),
            vec![
                (1, constraint("checked_later", 7, false, false)),
                (2, constraint("valid_already", 7, true, false)),
            ],
        );
        let after = snapshot(
            Vec::new(),
            vec![
                (1, constraint("checked_later", 7, true, false)),
                (2, constraint("valid_already", 7, true, false)),
                // PostgreSQL 18's `SET NOT NULL` adds a NOT NULL constraint valid from the start.
                (3, constraint("fresh_not_null", 7, true, true)),
                (4, constraint("added_valid", 7, true, false)),
                (5, constraint("on_a_new_table", 8, true, false)),
            ],
        );
        let existing: HashSet<u32> = [7].into_iter().collect();
        assert_eq!(
            validated(&before, &after, &existing),
            ["added_valid", "checked_later"]
        );
    }
}
