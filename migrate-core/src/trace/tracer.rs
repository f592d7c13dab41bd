//! The observer `migrate trace` attaches to the runner: it reads the catalog before and after each statement of
//! the traced migrations and turns the difference into [`StatementTrace`]s.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use migrate_dsl::Statement;

use crate::event_log::millis;
use crate::events::Event;
use crate::history::MigrationsTable;
use crate::migration::Migration;
use crate::notices::Notice;
use crate::observer::{Observer, Session};
use crate::plan::Step;

use super::allow::{Allow, GateKind};
use super::data::{self, DataStep, Rate};
use super::catalog::{self, Relation, RelationKind, Snapshot};
use super::locks::{LockMode, ModeSet};
use super::report::{
    Allowed, GateFinding, Lock, MigrationTrace, Observed, StatementTrace,
    TransactionTrace,
};
use super::watcher::{Observation, Watcher};

mod effects;
use effects::{changes, read_notices, validated, with_sequential_scans, Changes, Read};

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
    /// Measure each data step's rate before it runs ([`super::data::probe`]).
    probe: bool,
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
    /// The data step it is, with its probe's rate (or why none).
    data: Option<(data::Planned, Option<Result<Rate, String>>)>,
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
            probe: false,
        }
    }

    /// Measures each data step's rate before it runs.
    pub(crate) fn probing(mut self, probe: bool) -> Self {
        self.probe = probe;
        self
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

    /// A statement that ran outside a transaction, as the transaction of its own it was: it held its locks
    /// until it ended, and its gate findings are known at once.
    fn autocommitted(&self, state: &mut State, mut statement: StatementTrace, duration: Duration) {
        statement.held = statement.locks.clone();
        let exclusive = exclusive(&statement.held);
        self.gate(state, &mut statement, &exclusive);
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
        unit: &Statement,
        conn: &mut dyn Session,
    ) -> Result<(), postgres::Error> {
        // The probe first: its writes, rolled back, are then no part of the statement's counts.
        let data = data::planned(unit).map(|planned| {
            let in_transaction = self.state().transaction.is_some();
            let rate = self
                .probe
                .then(|| data::probe(conn, &planned, in_transaction));
            (planned, rate)
        });
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
            data,
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
        let (names, existing) =
            relations_seen(&mut state.transaction, before, &after, in_transaction);
        let (locks_after, observed) = locks_at_end(observation.as_ref(), &after, &names);
        let before_locks = if in_transaction {
            &before.locks
        } else {
            &HashMap::new()
        };
        let acquired = acquired(&locks_after, before_locks, &existing, &names);
        let locks_after = strongest_modes(&locks_after);
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
        let data = match traced.data {
            Some((planned, rate)) => Some(data_step(conn, planned, rate, before, &after)?),
            None => None,
        };
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
            data,
        };
        match &mut state.transaction {
            Some(open) if in_transaction => open.statements.push((statement, locks_after)),
            // Outside a transaction the statement committed on its own: its own transaction.
            _ => self.autocommitted(&mut state, statement, duration),
        }
        Ok(())
    }
}

/// A data step as it ran: its table named as the trace names it, the rows it wrote there (from the table's
/// statistics before and after it), its probe's rate.
fn data_step(
    conn: &mut dyn Session,
    planned: data::Planned,
    rate: Option<Result<Rate, String>>,
    before: &Snapshot,
    after: &Snapshot,
) -> Result<DataStep, postgres::Error> {
    let oid = data::oid_of(conn, &planned.table)?;
    let relation = oid.and_then(|oid| after.relations.get(&oid).map(|r| (oid, r)));
    let written = relation.map_or(0, |(oid, r)| {
        let done = r
            .rows
            .since(before.relations.get(&oid).map_or_else(Default::default, |b| b.rows));
        done.updated + done.deleted + done.inserted
    });
    let (probe, unprobed) = match rate {
        Some(Ok(rate)) => (Some(rate), None),
        Some(Err(why)) => (None, Some(why)),
        None => (None, None),
    };
    Ok(DataStep {
        kind: planned.kind,
        table: relation.map_or_else(|| planned.table.clone(), |(_, r)| r.name.clone()),
        rows_query: planned.rows_query,
        unbounded: planned.unbounded,
        batch_rows: planned.batch_rows,
        written,
        probe,
        unprobed,
    })
}

/// Every relation a statement's trace can name (seen before or after it, or earlier in its transaction, which
/// learns those the statement saw), and those that existed before it: before its transaction, in one.
fn relations_seen(
    transaction: &mut Option<Open>,
    before: &Snapshot,
    after: &Snapshot,
    in_transaction: bool,
) -> (HashMap<u32, Relation>, HashSet<u32>) {
    let mut names: HashMap<u32, Relation> = before.relations.clone();
    names.extend(after.relations.iter().map(|(k, v)| (*k, v.clone())));
    let existing: HashSet<u32> = match transaction {
        Some(open) if in_transaction => open.existing.clone(),
        _ => before.relations.keys().copied().collect(),
    };
    if let Some(open) = transaction {
        open.names
            .extend(names.iter().map(|(k, v)| (*k, v.clone())));
        names.extend(open.names.iter().map(|(k, v)| (*k, v.clone())));
    }
    (names, existing)
}

/// The locks a statement held as it ended, every mode, on relations the trace can name (`names`: a lock on
/// any other is the system catalogs' or the bookkeeping's), and how they were seen: read after it in a
/// transaction (which holds them until the commit), else what the watcher saw while it ran.
fn locks_at_end(
    observation: Option<&Observation>,
    after: &Snapshot,
    names: &HashMap<u32, Relation>,
) -> (HashMap<u32, ModeSet>, Observed) {
    let (locks_after, observed) = match observation {
        None => (after.locks.clone(), Observed::InTransaction),
        Some(seen) if seen.waited => (seen.locks.clone(), Observed::WhileWaiting),
        Some(seen) => (seen.locks.clone(), Observed::Sampled),
    };
    let locks_after: HashMap<u32, ModeSet> = locks_after
        .into_iter()
        .filter(|(oid, _)| names.contains_key(oid))
        .collect();
    (locks_after, observed)
}

/// The locks a statement took on relations that `existing` before it, strongest first, each in the strongest
/// mode it asked for that its transaction did not hold yet (`before_locks`): a foreign key added after its
/// table was locked `ACCESS EXCLUSIVE` still names its `SHARE ROW EXCLUSIVE` on both tables.
fn acquired(
    locks_after: &HashMap<u32, ModeSet>,
    before_locks: &HashMap<u32, ModeSet>,
    existing: &HashSet<u32>,
    names: &HashMap<u32, Relation>,
) -> Vec<Lock> {
    let mut acquired: Vec<Lock> = locks_after
        .iter()
        .filter(|(oid, _)| existing.contains(oid))
        .filter_map(|(oid, modes)| {
            let held = before_locks.get(oid).copied().unwrap_or_default();
            modes.new_since(held).map(|mode| lock(names, *oid, mode))
        })
        .collect();
    sort_locks(&mut acquired);
    acquired
}

/// The strongest mode held on each relation: what the application waits for.
fn strongest_modes(locks: &HashMap<u32, ModeSet>) -> HashMap<u32, LockMode> {
    locks
        .iter()
        .filter_map(|(oid, modes)| Some((*oid, modes.strongest()?)))
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::catalog::RowCounts;

    fn relation(name: &str, kind: RelationKind, table: Option<u32>) -> Relation {
        Relation {
            name: name.to_owned(),
            kind,
            file: 1,
            table,
            relname: name.to_owned(),
            rows: RowCounts::default(),
        }
    }

    fn modes(modes: &[LockMode]) -> ModeSet {
        let mut set = ModeSet::default();
        for m in modes {
            set.insert(*m);
        }
        set
    }

    /// A statement's locks are the modes its transaction did not hold before it, on relations that existed
    /// before the transaction: a foreign key added after its table was locked `ACCESS EXCLUSIVE` names both
    /// tables, a serial column's sequence is named with its table, a relation created since is left out.
    #[test]
    fn a_statement_takes_each_mode_its_transaction_did_not_hold_yet() {
        use LockMode::*;
        let names: HashMap<u32, Relation> = [
            (1, relation("orders", RelationKind::Table, None)),
            (2, relation("warehouses", RelationKind::Table, None)),
            (3, relation("orders_id_seq", RelationKind::Sequence, Some(1))),
            (4, relation("fresh", RelationKind::Table, None)),
        ]
        .into_iter()
        .collect();
        let existing: HashSet<u32> = [1, 2, 3].into_iter().collect();
        let before: HashMap<u32, ModeSet> = [(1, modes(&[AccessExclusive]))].into_iter().collect();
        let after: HashMap<u32, ModeSet> = [
            (1, modes(&[AccessExclusive, AccessShare, ShareRowExclusive])),
            (2, modes(&[AccessShare, ShareRowExclusive])),
            (3, modes(&[AccessShare])),
            (4, modes(&[AccessExclusive])),
        ]
        .into_iter()
        .collect();
        let taken: Vec<(String, LockMode, Option<String>)> =
            acquired(&after, &before, &existing, &names)
                .into_iter()
                .map(|l| (l.relation, l.mode, l.table))
                .collect();
        assert_eq!(
            taken,
            [
                ("orders".to_owned(), ShareRowExclusive, None),
                ("warehouses".to_owned(), ShareRowExclusive, None),
                ("orders_id_seq".to_owned(), AccessShare, Some("orders".to_owned())),
            ]
        );
        // The same modes held again: nothing new.
        assert!(acquired(&before, &before, &existing, &names).is_empty());
    }
}
