//! What the trace reads from the catalog around each statement: the relations (and their files, whose change
//! means a rewrite; for tables, the transaction's own statistics: sequential scans and rows written), the
//! constraints (and whether each is validated), and the relation locks the migration's session holds, every
//! mode of each. One round trip, simple queries: every value arrives as text through its output function.
//!
//! Every kind of relation a statement can lock is read (sequences too: a serial column's type change locks its
//! sequence), so a lock in `pg_locks` goes unnamed only when it is the tool's own: the system catalogs' and the
//! bookkeeping tables' (with their indexes and sequences).

use std::collections::HashMap;

use postgres::SimpleQueryMessage;
use serde::{Deserialize, Serialize};

use crate::history::MigrationsTable;
use crate::observer::Session;
use crate::schema::reader::query::{bookkeeping_filter, user_schema};

use super::locks::{LockMode, ModeSet};

/// A relation of the database, outside the system schemas and the engine's bookkeeping tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Relation {
    /// `schema.name`, quoted where needed, without `public.`.
    pub name: String,
    pub kind: RelationKind,
    /// `pg_class.relfilenode`: a new one means the relation was rewritten (0 for a sequence, whose one page
    /// written anew is no rewrite anyone waits for).
    pub file: u32,
    /// For an index, its table; for a sequence, the table whose column owns it (serial, identity).
    pub table: Option<u32>,
    /// The bare name, as the server's messages quote it (`verifying table "comments"`).
    pub relname: String,
    /// What was done to a table's rows, counted from the server's statistics: only a difference means anything.
    pub rows: RowCounts,
}

/// A table's row statistics: the server's cumulative ones plus what this session has not reported to them
/// yet (`pg_stat_xact_user_tables`). A session reports its counts when it goes idle, at most about once a
/// second, so a statement outside a transaction (a backfill's batches) has its counts in either half
/// depending on the timing; the sum does not depend on it. In a transaction the cumulative half is read once
/// and kept, so the difference is the transaction's own work. Before PostgreSQL 15 a separate process kept
/// the cumulative statistics and took reports late, so only the pending half is read there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RowCounts {
    /// Sequential scans of the table (each reads every row).
    pub seq_scans: u64,
    /// Rows those scans read.
    pub read: u64,
    pub updated: u64,
    pub deleted: u64,
    /// Rows inserted (an `INSERT ... SELECT`'s).
    pub inserted: u64,
}

impl RowCounts {
    /// What happened between `before` and `self`.
    pub fn since(self, before: RowCounts) -> RowCounts {
        RowCounts {
            seq_scans: self.seq_scans.saturating_sub(before.seq_scans),
            read: self.read.saturating_sub(before.read),
            updated: self.updated.saturating_sub(before.updated),
            deleted: self.deleted.saturating_sub(before.deleted),
            inserted: self.inserted.saturating_sub(before.inserted),
        }
    }
}

/// What kind of relation a lock, rewrite or scan concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    Table,
    Index,
    MaterializedView,
    View,
    ForeignTable,
    Sequence,
}

impl RelationKind {
    fn from_relkind(relkind: &str) -> Option<RelationKind> {
        Some(match relkind {
            "r" | "p" => RelationKind::Table,
            "i" | "I" => RelationKind::Index,
            "m" => RelationKind::MaterializedView,
            "v" => RelationKind::View,
            "f" => RelationKind::ForeignTable,
            "S" => RelationKind::Sequence,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            RelationKind::Table => "table",
            RelationKind::Index => "index",
            RelationKind::MaterializedView => "materialized view",
            RelationKind::View => "view",
            RelationKind::ForeignTable => "foreign table",
            RelationKind::Sequence => "sequence",
        }
    }
}

/// A CHECK, foreign key or NOT NULL constraint (the kinds that can be `NOT VALID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Constraint {
    pub name: String,
    pub table: u32,
    pub validated: bool,
    /// A `NOT NULL` constraint (PostgreSQL 18 records them): `SET NOT NULL` adds one already valid.
    pub not_null: bool,
}

/// The catalog as one statement found or left it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Snapshot {
    pub relations: HashMap<u32, Relation>,
    pub constraints: HashMap<u32, Constraint>,
    /// The granted locks the session holds on each relation, every mode (the catalog's too: locks on
    /// relations that were dropped are still held until commit, so they are kept, and named from an earlier
    /// snapshot).
    pub locks: HashMap<u32, ModeSet>,
}

/// Reads the catalog on `conn`, in whatever transaction it is in.
pub(crate) fn read(
    conn: &mut dyn Session,
    bookkeeping: &MigrationsTable,
) -> Result<Snapshot, postgres::Error> {
    let sql = format!(
        "SELECT c.oid, pg_catalog.quote_ident(n.nspname), pg_catalog.quote_ident(c.relname), c.relkind, \
         CASE WHEN c.relkind = 'S' THEN 0 ELSE c.relfilenode END, coalesce(i.indrelid, d.refobjid), c.relname, \
         CASE WHEN v.shared THEN pg_catalog.pg_stat_get_numscans(c.oid) ELSE 0 END \
           + pg_catalog.pg_stat_get_xact_numscans(c.oid), \
         CASE WHEN v.shared THEN pg_catalog.pg_stat_get_tuples_returned(c.oid) ELSE 0 END \
           + pg_catalog.pg_stat_get_xact_tuples_returned(c.oid), \
         CASE WHEN v.shared THEN pg_catalog.pg_stat_get_tuples_updated(c.oid) ELSE 0 END \
           + pg_catalog.pg_stat_get_xact_tuples_updated(c.oid), \
         CASE WHEN v.shared THEN pg_catalog.pg_stat_get_tuples_deleted(c.oid) ELSE 0 END \
           + pg_catalog.pg_stat_get_xact_tuples_deleted(c.oid), \
         CASE WHEN v.shared THEN pg_catalog.pg_stat_get_tuples_inserted(c.oid) ELSE 0 END \
           + pg_catalog.pg_stat_get_xact_tuples_inserted(c.oid) \
         FROM pg_catalog.pg_class c \
         CROSS JOIN (SELECT pg_catalog.current_setting('server_version_num') OPERATOR(pg_catalog.>=) '150000' \
                     AS shared) v \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid \
         LEFT JOIN pg_catalog.pg_depend d ON c.relkind = 'S' \
           AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid \
           AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i') \
         LEFT JOIN pg_catalog.pg_class t ON t.oid = coalesce(i.indrelid, d.refobjid) \
         WHERE c.relkind IN ('r', 'p', 'i', 'I', 'm', 'v', 'f', 'S') AND {} AND {};\n\
         SELECT co.oid, co.conname, co.conrelid, co.convalidated, co.contype FROM pg_catalog.pg_constraint co \
         WHERE co.contype IN ('c', 'f', 'n') AND co.conrelid <> 0;\n\
         SELECT l.relation, l.mode FROM pg_catalog.pg_locks l \
         WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation' AND l.granted",
        user_schema("n"),
        bookkeeping_filter(bookkeeping, "n.nspname", "coalesce(t.relname, c.relname)"),
    );
    let [relation_rows, constraint_rows, lock_rows] = results(&conn.simple_query(&sql)?);
    let mut snapshot = Snapshot::default();
    for row in relation_rows {
        let (Some(oid), Some(kind)) = (
            number(&row, 0),
            row.get(3)
                .and_then(|v| v.as_deref())
                .and_then(RelationKind::from_relkind),
        ) else {
            continue;
        };
        let schema = text(&row, 1);
        let name = text(&row, 2);
        let shown = if schema == "public" {
            name.to_owned()
        } else {
            format!("{schema}.{name}")
        };
        snapshot.relations.insert(
            oid,
            Relation {
                name: shown,
                kind,
                file: number(&row, 4).unwrap_or(0),
                table: number(&row, 5),
                relname: text(&row, 6).to_owned(),
                rows: match kind {
                    RelationKind::Index | RelationKind::Sequence => RowCounts::default(),
                    _ => RowCounts {
                        seq_scans: count(&row, 7),
                        read: count(&row, 8),
                        updated: count(&row, 9),
                        deleted: count(&row, 10),
                        inserted: count(&row, 11),
                    },
                },
            },
        );
    }
    for row in constraint_rows {
        let (Some(oid), Some(table)) = (number(&row, 0), number(&row, 2)) else {
            continue;
        };
        if !snapshot.relations.contains_key(&table) {
            continue;
        }
        snapshot.constraints.insert(
            oid,
            Constraint {
                name: text(&row, 1).to_owned(),
                table,
                validated: text(&row, 3) == "t",
                not_null: text(&row, 4) == "n",
            },
        );
    }
    for row in lock_rows {
        let (Some(oid), Some(mode)) = (number(&row, 0), LockMode::from_pg_locks(text(&row, 1)))
        else {
            continue;
        };
        snapshot.locks.entry(oid).or_default().insert(mode);
    }
    Ok(snapshot)
}

/// The rows of each of the `N` statements of a simple query, each value as text (`None` for NULL).
pub(crate) fn results<const N: usize>(
    messages: &[SimpleQueryMessage],
) -> [Vec<Vec<Option<String>>>; N] {
    let mut results: [Vec<Vec<Option<String>>>; N] = std::array::from_fn(|_| Vec::new());
    let mut current = 0;
    for message in messages {
        match message {
            SimpleQueryMessage::Row(row) => {
                if let Some(rows) = results.get_mut(current) {
                    rows.push(
                        (0..row.len())
                            .map(|i| row.get(i).map(str::to_owned))
                            .collect(),
                    );
                }
            }
            SimpleQueryMessage::CommandComplete(_) => current += 1,
            _ => {}
        }
    }
    results
}

fn text(row: &[Option<String>], i: usize) -> &str {
    row.get(i).and_then(|v| v.as_deref()).unwrap_or("")
}

fn number(row: &[Option<String>], i: usize) -> Option<u32> {
    text(row, i).parse().ok()
}

fn count(row: &[Option<String>], i: usize) -> u64 {
    text(row, i).parse().unwrap_or(0)
}
