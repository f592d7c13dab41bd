//! Key widening: a narrow integer primary key widened to `bigint` on live tables, with every foreign key that
//! references it ([`MigrationBuilder::widen_key_online`]), in three migrations (expand, switch, contract).
//!
//! Which tables reference the key is read from the catalog when the migration runs (the engine fills in a
//! [`KeyCatalog`] before it renders the step), so the statements `sql` prints against a database are the
//! ones that run; without a database the plan shows the key's own table and says that each referencing
//! table gets the same.

use std::time::Duration;

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::{Operation, Reverse};
use crate::ops::constraint::naming::make_object_name;
use crate::ops::{Backfill, BatchWork};

mod render;
mod rust;

impl MigrationBuilder {
    /// Widens the `integer` (or `smallint`) primary key `column` of `table` to `bigint` on a live database,
    /// together with every foreign key column that references it, in three migrations. `ALTER COLUMN ..
    /// TYPE bigint` would rewrite the table and each of its indexes under an `ACCESS EXCLUSIVE` lock, and
    /// again every referencing table; here no statement holds a lock that stops reads or writes for longer
    /// than a catalog change.
    ///
    /// **Expand** (this call): on the table and on each table whose foreign key references the key (read
    /// from the catalog when the migration runs), a `bigint` column `<column>_new` kept equal to the old
    /// one by a trigger, a batched backfill of the rows written before the trigger, a `CHECK (.. IS NOT
    /// NULL)` added `NOT VALID` and validated where the old column is `NOT NULL`, then `CONCURRENTLY` a
    /// unique index on the new key and a copy of every other index that holds one of the old columns.
    /// A foreign key column that is `bigint` already gets nothing here.
    ///
    /// **Switch** ([`.switch()`](WidenKeyOnline::switch), the next migration, marked
    /// [`pgm.contract(..)`](Self::contract): the key's type changes under the running app): a spare unique
    /// index on the old key (for the way back), the twins' `NOT NULL` checks validated where the expand left
    /// them `NOT VALID` (its backfills queued as jobs), a check that every twin holds its column's value, validated,
    /// each foreign key re-created `NOT VALID` on the new columns and validated, then one short transaction
    /// per table, each retried after a lock timeout: referencing
    /// tables first (the old foreign key dropped, the columns renamed so that `customer_id` is the `bigint`
    /// one, the copied indexes take the old names), then the key's table (`PRIMARY KEY USING INDEX` the new
    /// unique index, the identity or the `serial` sequence moved over and widened to `bigint`, the columns
    /// renamed). From then on the trigger keeps the old column (`<column>_old`) current for a rollback, as
    /// long as values fit its type (NULL beyond it).
    ///
    /// **Contract** ([`.contract()`](WidenKeyOnline::contract)): the triggers and the old columns (with
    /// their indexes) dropped. It has no derived `down`: the old columns are gone.
    ///
    /// The backfills can be queued as background jobs instead ([`.in_background()`](WidenKeyOnline::in_background)).
    ///
    /// A stopped run of any phase is finished by the next `up` (each phase runs outside a transaction; every
    /// statement commits with its journal entry), and `down` of the expand or the switch, whole or stopped
    /// part-way, puts back exactly the state before it. What the catalog said when the phase started is
    /// kept with it until it finishes, so foreign keys or indexes added or dropped meanwhile do not change
    /// what it runs; the switch refuses a foreign key that the expand did not widen. The switch's `down` fails, changing nothing of the
    /// key's table, once the key holds values beyond the old type: there is no way back then.
    ///
    /// Refused before anything changes, with the reason: a key that is not the table's whole primary key, a
    /// partitioned table on either side, a foreign key of several columns, a table in a publication, a
    /// referencing table the role does not own or without a primary key, and what would stay on the old
    /// columns (views, policies, rules, generated columns, `CHECK`/`UNIQUE`/`EXCLUDE` constraints, triggers
    /// naming the column, column privileges, indexes the copy could not reproduce); a `BEFORE` row trigger
    /// that fires after the operation's own. The switch is refused in a migration not marked
    /// [`pgm.contract(..)`](Self::contract).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// use migrate_dsl::{KeyCatalog, KeyReference};
    /// let mut expand = MigrationBuilder::new();
    /// expand.widen_key_online("orders", "id", "bigint");
    /// assert!(!expand.is_transactional());
    /// // Without a database, the key's own table, and a note for the tables that reference it.
    /// let sql = expand.to_sql().unwrap();
    /// assert!(sql[0].starts_with("-- and the same for each table whose foreign key references orders.id"));
    /// assert_eq!(sql[1], r#"ALTER TABLE "orders" ADD COLUMN "id_new" bigint"#);
    /// assert!(sql.iter().any(|s| s == r#"CREATE UNIQUE INDEX CONCURRENTLY "orders_id_new_key" ON "orders" ("id_new")"#));
    ///
    /// // As the engine renders it once it has read the catalog.
    /// let catalog = KeyCatalog::new("integer", "orders_pkey")
    ///     .referenced_by(KeyReference::new("order_lines", "order_id", "order_lines_order_id_fkey", "integer").not_null());
    /// let resolved = expand.resolve_keys(&mut |_, _| Ok(catalog.clone())).unwrap();
    /// let sql = resolved.to_sql().unwrap();
    /// assert!(sql.iter().any(|s| s == r#"ALTER TABLE "order_lines" ADD COLUMN "order_id_new" bigint"#));
    /// assert!(resolved.reversed().unwrap().to_sql().unwrap().last().unwrap()
    ///     .contains(r#"ALTER TABLE "orders" DROP COLUMN IF EXISTS "id_new";"#));
    /// ```
    #[track_caller]
    pub fn widen_key_online(
        &mut self,
        table: impl Into<Name>,
        column: impl Into<Ident>,
        new_type: impl Into<String>,
    ) -> &mut WidenKeyOnline {
        self.record(WidenKeyOnline {
            table: table.into(),
            column: column.into(),
            new_type: new_type.into(),
            phase: WidenPhase::Expand,
            batch_size: None,
            pause: Duration::ZERO,
            background: false,
            catalog: None,
        })
    }
}

/// Which part of a key's widening an operation is: the three phases of the `up`, and the derived reverses of
/// the first two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WidenPhase {
    /// New columns, triggers, backfills and indexes: nothing the app uses changes.
    Expand,
    /// The new columns take the names (and the key, the foreign keys and the sequence).
    Switch,
    /// The old columns dropped.
    Contract,
    /// The derived `down` of the expand.
    UndoExpand,
    /// The derived `down` of the switch.
    UndoSwitch,
}

/// A key's widening, recorded with [`MigrationBuilder::widen_key_online`].
#[derive(Debug, Clone, PartialEq)]
pub struct WidenKeyOnline {
    pub(crate) table: Name,
    pub(crate) column: Ident,
    pub(crate) new_type: String,
    pub(crate) phase: WidenPhase,
    pub(crate) batch_size: Option<u32>,
    pub(crate) pause: Duration,
    /// The expand's backfills queued as background jobs ([`in_background`](Self::in_background)).
    pub(crate) background: bool,
    /// What the catalog says when the migration runs; `None` until the engine has read it.
    pub(crate) catalog: Option<KeyCatalog>,
}

/// What the catalog says about a key being widened, read by the engine when the migration runs
/// ([`MigrationBuilder::resolve_keys`]): inert data the statements are rendered from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct KeyCatalog {
    /// The key's type before the widening, as `format_type` spells it (`integer`, `smallint`).
    pub key_type: String,
    /// The name of the table's primary key constraint, which the new key takes.
    pub primary_key: Ident,
    /// The table's other indexes that hold the key column, copied onto the new column by the expand.
    pub indexes: Vec<IndexCopy>,
    /// The foreign keys that reference the key.
    pub references: Vec<KeyReference>,
}

impl KeyCatalog {
    /// A key of `key_type` under primary key constraint `primary_key`, with no other index and no
    /// reference yet.
    pub fn new(key_type: impl Into<String>, primary_key: impl Into<Ident>) -> Self {
        KeyCatalog {
            key_type: key_type.into(),
            primary_key: primary_key.into(),
            indexes: Vec::new(),
            references: Vec::new(),
        }
    }

    /// One more foreign key that references the key.
    pub fn referenced_by(mut self, reference: KeyReference) -> Self {
        self.references.push(reference);
        self
    }

    /// One more index of the key's table that holds the key column.
    pub fn index(mut self, index: IndexCopy) -> Self {
        self.indexes.push(index);
        self
    }
}

/// A single-column foreign key that references the key being widened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct KeyReference {
    pub table: Name,
    pub column: Ident,
    /// The foreign key constraint's name, which the new one takes at the switch.
    pub constraint: Ident,
    /// The column's type before the widening; a `bigint` one gets no new column.
    pub column_type: String,
    pub not_null: bool,
    /// `ON UPDATE` and `ON DELETE` as `pg_constraint` codes (`a` no action, `r` restrict, `c` cascade, `n`
    /// set null, `d` set default).
    pub on_update: char,
    pub on_delete: char,
    pub deferrable: bool,
    pub initially_deferred: bool,
    /// The referencing table's indexes that hold the column, copied onto the new column by the expand.
    pub indexes: Vec<IndexCopy>,
}

impl KeyReference {
    /// `table.column` of `column_type`, constrained by `constraint`, nullable, with the default actions.
    pub fn new(
        table: impl Into<Name>,
        column: impl Into<Ident>,
        constraint: impl Into<Ident>,
        column_type: impl Into<String>,
    ) -> Self {
        KeyReference {
            table: table.into(),
            column: column.into(),
            constraint: constraint.into(),
            column_type: column_type.into(),
            not_null: false,
            on_update: 'a',
            on_delete: 'a',
            deferrable: false,
            initially_deferred: false,
            indexes: Vec::new(),
        }
    }

    /// The column is `NOT NULL`.
    pub fn not_null(mut self) -> Self {
        self.not_null = true;
        self
    }

    /// The `ON DELETE` action, as a `pg_constraint` code.
    pub fn on_delete(mut self, code: char) -> Self {
        self.on_delete = code;
        self
    }

    /// One more index of the referencing table that holds the column.
    pub fn index(mut self, index: IndexCopy) -> Self {
        self.indexes.push(index);
        self
    }

    /// Whether the column gets a new `bigint` column (it is narrower).
    pub fn widens(&self) -> bool {
        is_narrow(&self.column_type)
    }
}

/// An index to copy onto the new column: its columns by name, the old column among them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct IndexCopy {
    pub name: Ident,
    pub unique: bool,
    /// The access method (`btree`, `hash`, ...).
    pub method: String,
    pub columns: Vec<CopiedColumn>,
    /// `INCLUDE` columns.
    pub include: Vec<Ident>,
    /// The partial index's predicate, as `pg_get_expr` prints it.
    pub predicate: Option<String>,
}

impl IndexCopy {
    /// A `btree` index `name` on `columns`, ascending.
    pub fn new(name: impl Into<Ident>, columns: &[&str]) -> Self {
        IndexCopy {
            name: name.into(),
            unique: false,
            method: "btree".to_owned(),
            columns: columns.iter().map(|c| CopiedColumn::new(*c)).collect(),
            include: Vec::new(),
            predicate: None,
        }
    }
}

/// A key column of an [`IndexCopy`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct CopiedColumn {
    pub name: Ident,
    pub descending: bool,
    pub nulls_first: bool,
}

impl CopiedColumn {
    /// Ascending, NULLs last: PostgreSQL's default.
    pub fn new(name: impl Into<Ident>) -> Self {
        CopiedColumn {
            name: name.into(),
            descending: false,
            nulls_first: false,
        }
    }
}

/// Whether `column_type` (as `format_type` spells it) is one this operation widens.
pub fn is_narrow(column_type: &str) -> bool {
    matches!(column_type, "integer" | "smallint")
}

impl WidenKeyOnline {
    /// Records the switch instead of the expand: the next migration after the expand, marked
    /// [`pgm.contract(..)`](MigrationBuilder::contract) (the key's type and the columns' order change under the
    /// app version running: deploy one that reads the key as `bigint` first).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.contract("orders.id becomes bigint: every app version running reads it as bigint");
    /// pgm.widen_key_online("orders", "id", "bigint").switch();
    /// let sql = pgm.to_sql().unwrap();
    /// assert_eq!(sql[1], r#"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "orders_id_old_key" ON "orders" ("id")"#);
    /// assert!(sql.iter().any(|s| s == r#"ALTER TABLE "orders" ADD CONSTRAINT "orders_pkey" PRIMARY KEY USING INDEX "orders_id_new_key""#));
    /// ```
    pub fn switch(&mut self) -> &mut Self {
        self.phase = WidenPhase::Switch;
        self
    }

    /// Records the contract instead of the expand: after the switch, once no rollback to before it is
    /// wanted.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.widen_key_online("orders", "id", "bigint").contract();
    /// assert!(pgm.to_sql().unwrap().last().unwrap().contains(r#"ALTER TABLE "orders" DROP COLUMN IF EXISTS "id_old";"#));
    /// assert!(pgm.reversed().is_err());
    /// ```
    pub fn contract(&mut self) -> &mut Self {
        self.phase = WidenPhase::Contract;
        self
    }

    /// The expand's backfills: a fixed number of rows per batch (see [`Backfill::batch_size`]).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.widen_key_online("orders", "id", "bigint").batch_size(5000);
    /// assert!(pgm.to_sql().unwrap().iter().any(|s| s.contains("in batches of 5000 rows")));
    /// ```
    pub fn batch_size(&mut self, rows: u32) -> &mut Self {
        self.batch_size = Some(rows);
        self
    }

    /// The expand's backfills: a pause after each batch (see [`Backfill::pause`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.widen_key_online("orders", "id", "bigint").pause(Duration::from_millis(50));
    /// assert!(pgm.to_sql().unwrap().iter().any(|s| s.contains("pausing 50 ms")));
    /// ```
    pub fn pause(&mut self, pause: Duration) -> &mut Self {
        self.pause = pause;
        self
    }

    /// Queues the expand's backfills as background jobs, one per table, run by `migrate work` with the
    /// same pacing and throttle (see [`Backfill::in_background`]), so that the deploy does not wait for
    /// them. The expand then adds the columns, triggers and indexes and queues the jobs; the switch
    /// validates the new columns' `NOT NULL` checks itself, and must wait for the jobs: write
    /// [`pgm.require_background_jobs(..)`](MigrationBuilder::require_background_jobs) with the expand's
    /// name before the switch.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.widen_key_online("orders", "id", "bigint").in_background();
    /// assert!(pgm.queues_background_jobs());
    /// let sql = pgm.to_sql().unwrap();
    /// assert!(sql.iter().any(|s| s.starts_with(r#"-- queue a background job (run by `migrate work`): backfill "orders""#)));
    /// assert!(!sql.iter().any(|s| s.contains("VALIDATE CONSTRAINT")));
    /// ```
    pub fn in_background(&mut self) -> &mut Self {
        self.background = true;
        self
    }

    /// Whether the expand's backfills are queued as background jobs ([`in_background`](Self::in_background)).
    pub fn is_background(&self) -> bool {
        self.background
    }

    /// The phase this operation records.
    pub fn phase(&self) -> WidenPhase {
        self.phase
    }

    /// The key's table.
    pub fn table(&self) -> &Name {
        &self.table
    }

    /// The key column.
    pub fn column(&self) -> &Ident {
        &self.column
    }

    /// The batched backfill of `table`'s new columns, one for each of `columns` (the key's table of a tree
    /// has two: its key and the foreign key to it): one walk of the table fills them all.
    pub(crate) fn backfill(&self, table: &Name, columns: &[&Ident]) -> Backfill {
        let pairs: Vec<(String, String)> = columns
            .iter()
            .map(|c| {
                (
                    crate::name::quote_ident(c),
                    crate::name::quote_ident(&new_column(c)),
                )
            })
            .collect();
        let set = pairs
            .iter()
            .map(|(old, new)| format!("{new} = {old}"))
            .collect::<Vec<_>>();
        let pending = pairs
            .iter()
            .map(|(old, new)| format!("{new} IS NULL AND {old} IS NOT NULL"))
            .collect::<Vec<_>>();
        let mut backfill = Backfill::new(table.clone(), BatchWork::Set(set.join(", ")));
        backfill.where_clause(if pending.len() == 1 {
            pending.join("")
        } else {
            format!("({})", pending.join(") OR ("))
        });
        if let Some(rows) = self.batch_size {
            backfill.batch_size(rows);
        }
        backfill.pause(self.pause);
        if self.background {
            backfill.in_background();
        }
        backfill
    }

    fn in_phase(&self, phase: WidenPhase) -> Self {
        WidenKeyOnline {
            phase,
            ..self.clone()
        }
    }
}

/// `<name>_<suffix>`, shortened to fit 63 bytes as every name this operation derives: `<column>_new` is
/// the new column during the expand, `<column>_old` the old one after the switch.
pub fn twin_name(name: &str, suffix: &str) -> String {
    make_object_name(name, None, suffix)
}

/// The trigger (and its function) that keeps `table.column` and its twin in step: `<table>_<column>_widen`.
pub fn sync_trigger_name(table: &str, column: &str) -> String {
    make_object_name(table, Some(column), "widen")
}

/// The new column of `column` during the expand: `<column>_new`.
pub(crate) fn new_column(column: &Ident) -> Ident {
    Ident::new(make_object_name(column.as_str(), None, "new"))
}

/// The old column after the switch: `<column>_old`.
pub(crate) fn old_column(column: &Ident) -> Ident {
    Ident::new(make_object_name(column.as_str(), None, "old"))
}

/// Each phase of the `up` is undone by its own inverse; the contract drops the old columns and has none.
/// Every statement of an inverse checks what is there, so the inverse of a phase stopped part-way is the
/// whole inverse.
impl Reverse for WidenKeyOnline {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        let undo = match self.phase {
            WidenPhase::Expand => WidenPhase::UndoExpand,
            WidenPhase::Switch => WidenPhase::UndoSwitch,
            WidenPhase::Contract => return Err(ctx.irreversible(
                "the contract drops the old key columns; the switch's down is the last way back",
            )),
            WidenPhase::UndoExpand | WidenPhase::UndoSwitch => {
                return Err(ctx.irreversible("the derived down of a key's widening has no reverse"))
            }
        };
        Ok(vec![self.in_phase(undo).into()])
    }

    // A contract stopped part-way has no reverse either: the next `up` finishes it.
    fn reverse_partial(&self, ctx: Ctx, _done: usize) -> Result<Vec<Operation>, DslError> {
        self.reverse(ctx)
    }
}
