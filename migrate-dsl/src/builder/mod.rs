//! The `pgm` builder that migration files receive: its state and the methods of the migration itself. The
//! methods that record operations live with them, one folder per object kind in [`crate::ops`].

use std::panic::Location;
use std::time::Duration;

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::operation::{Operation, Recordable};
use crate::ops::*;
use crate::safeguard::Safeguard;

/// Records what a migration does. A migration file's `up` (and optional `down`) receives one:
///
/// ```
/// use migrate_dsl::prelude::*;
///
/// pub fn up(pgm: &mut MigrationBuilder) {
///     pgm.create_table("posts", [
///         column("id", "bigserial").primary_key(),
///         column("title", "text").not_null(),
///     ]);
///     pgm.create_index("posts", ["title"]);
/// }
///
/// let mut pgm = MigrationBuilder::new();
/// up(&mut pgm);
/// assert_eq!(pgm.to_sql().unwrap(), [
///     r#"CREATE TABLE "posts" (
///     "id" bigserial PRIMARY KEY,
///     "title" text NOT NULL
/// )"#,
///     r#"CREATE INDEX "posts_title_index" ON "posts" ("title")"#,
/// ]);
/// // Without a `down`, the reverse is derived: the index first, then the table.
/// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
///     r#"DROP INDEX "posts_title_index""#,
///     r#"DROP TABLE "posts""#,
/// ]);
/// ```
///
/// Nothing touches the database while recording: the engine renders the operations, shows them (`sql`,
/// `--dry-run`) or runs them.
#[derive(Debug, Clone, Default)]
pub struct MigrationBuilder {
    operations: Recorded,
    no_transaction: bool,
    lock_timeout: Option<Duration>,
    /// Where `lock_timeout` was called.
    lock_timeout_at: Option<&'static Location<'static>>,
    /// Set by [`contract`](Self::contract): why this migration retires what an earlier app version uses.
    contract: Option<phase::Contract>,
}

/// Two migrations are equal when they record the same, wherever in their files they record it.
impl PartialEq for MigrationBuilder {
    fn eq(&self, other: &Self) -> bool {
        self.operations.ops == other.operations.ops
            && self.no_transaction == other.no_transaction
            && self.lock_timeout == other.lock_timeout
            && self.contract_reason() == other.contract_reason()
    }
}

/// The recorded operations, each with the place of the `pgm.xxx(..)` call that recorded it. Every builder
/// method is `#[track_caller]`, so [`Location::caller`] here is that call in the migration file, which
/// `lint` and errors point at.
#[derive(Debug, Clone, Default)]
struct Recorded {
    ops: Vec<Operation>,
    at: Vec<&'static Location<'static>>,
}

impl Recorded {
    #[track_caller]
    fn push(&mut self, op: Operation) {
        self.push_at(op, Location::caller());
    }

    fn push_at(&mut self, op: Operation, at: &'static Location<'static>) {
        self.ops.push(op);
        self.at.push(at);
    }

    fn last_mut(&mut self) -> Option<&mut Operation> {
        self.ops.last_mut()
    }
}

/// One rendered SQL statement and the operation it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// 1-based position of the operation in the migration.
    pub position: usize,
    /// The builder method that recorded it (`create_table`, `sql`, ...).
    pub op: &'static str,
    /// The SQL text; for `sql` operations it may hold several statements. For an [`Action`] it is a comment
    /// saying what runs there.
    pub sql: String,
    /// Work the engine does in place of `sql` when the migration is applied (data code, a backfill). An
    /// operation rendered as several comment lines carries it on its first.
    pub action: Option<Action>,
    /// In a transactional migration, the engine commits the statements before this one first and runs it
    /// in a new transaction (`VALIDATE CONSTRAINT`).
    pub new_transaction: bool,
    /// What the engine checks or records before sending it: an `IF [NOT] EXISTS` the engine added itself
    /// (it first checks the object is this migration's own), or a `CREATE OR REPLACE` (it records what is
    /// replaced).
    pub safeguard: Option<Safeguard>,
    /// Where the operation was recorded: the `pgm.xxx(..)` call, normally in the migration file. A derived
    /// `down` carries the place of the `up` operation it undoes.
    pub recorded_at: &'static Location<'static>,
}

mod catalog;
mod phase;
mod server;

impl MigrationBuilder {
    /// Records `op` at the caller's place (every builder method is `#[track_caller]`) and hands it back, so
    /// options chain onto the call.
    #[track_caller]
    pub(crate) fn record<O: Recordable>(&mut self, op: O) -> &mut O {
        self.operations.push(op.into());
        match self.operations.last_mut().and_then(O::recorded_mut) {
            Some(op) => op,
            None => unreachable!("the operation was pushed on the line above"),
        }
    }

    /// An empty migration.
    pub fn new() -> Self {
        Self::default()
    }

    /// A migration recording `operations`, in order, as if each had been recorded by its builder call here.
    /// For a planner that holds a change as typed operations: the migration renders them
    /// ([`to_sql`](Self::to_sql)), derives their `down` ([`reversed`](Self::reversed)), which names the first
    /// operation without a reverse and why, and writes each back as Rust ([`Operation::to_rust`]).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// use migrate_dsl::Operation;
    ///
    /// let mut planned = MigrationBuilder::new();
    /// planned.add_columns("posts", [column("slug", "text")]);
    /// planned.create_index("posts", ["slug"]).name("posts_slug_idx");
    /// let change: Vec<Operation> = planned.operations().to_vec();
    ///
    /// let pgm = MigrationBuilder::from_operations(change);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "posts" ADD COLUMN "slug" text"#,
    ///     r#"CREATE INDEX "posts_slug_idx" ON "posts" ("slug")"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"DROP INDEX "posts_slug_idx""#,
    ///     r#"ALTER TABLE "posts" DROP COLUMN "slug""#,
    /// ]);
    ///
    /// // A change with no reverse says which operation and why.
    /// let mut dropped = MigrationBuilder::new();
    /// dropped.drop_table("legacy_posts");
    /// let pgm = MigrationBuilder::from_operations(dropped.operations().to_vec());
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP TABLE "legacy_posts""#]);
    /// assert_eq!(
    ///     pgm.reversed().unwrap_err().to_string(),
    ///     "operation #1 (drop_table) cannot be reversed automatically: the dropped table's definition is \
    ///      not known; write a `down` function for this migration",
    /// );
    /// ```
    #[track_caller]
    pub fn from_operations(operations: impl IntoIterator<Item = Operation>) -> Self {
        let mut pgm = Self::new();
        for op in operations {
            pgm.push(op);
        }
        pgm
    }

    /// Records a typed operation as it is, after those recorded so far: the operation a builder call
    /// recorded (from [`operations`](Self::operations) of another migration, or a derived `down`).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut up = MigrationBuilder::new();
    /// up.rename_table("posts", "articles");
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_schema("app");
    /// for op in up.operations() {
    ///     pgm.push(op.clone());
    /// }
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE SCHEMA "app""#,
    ///     r#"ALTER TABLE "posts" RENAME TO "articles""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn push(&mut self, op: Operation) -> &mut Self {
        self.operations.push(op);
        self
    }

    /// The operations recorded so far, in order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations.ops
    }

    /// Where each operation was recorded (the builder method's caller), in the order of
    /// [`operations`](Self::operations).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("posts", ["title"]);
    /// let line = line!() - 1;
    /// assert_eq!(pgm.locations()[0].line(), line);
    /// assert_eq!(pgm.locations()[0].file(), file!());
    /// ```
    pub fn locations(&self) -> &[&'static Location<'static>] {
        &self.operations.at
    }

    /// Whether the migration runs inside a transaction: yes, unless [`no_transaction`](Self::no_transaction)
    /// was called or an operation cannot run in one (`CONCURRENTLY`).
    pub fn is_transactional(&self) -> bool {
        !self.no_transaction
            && !self
                .operations
                .ops
                .iter()
                .any(Operation::requires_no_transaction)
    }

    /// This migration's own `lock_timeout`, when [`lock_timeout`](Self::lock_timeout) set one.
    pub fn own_lock_timeout(&self) -> Option<Duration> {
        self.lock_timeout
    }

    /// Where [`lock_timeout`](Self::lock_timeout) was called, when it was.
    pub fn lock_timeout_location(&self) -> Option<&'static Location<'static>> {
        self.lock_timeout_at
    }

    /// Overrides the run's `lock_timeout` (default 500 ms, `--lock-timeout`) for this migration, e.g. for a
    /// table so busy that a longer wait with fewer retries is the better trade. The engine sets it with
    /// `SET LOCAL` at the start of the migration's transaction; it is not one of the recorded statements.
    /// PostgreSQL counts it in whole milliseconds: a timeout between zero and one millisecond would mean no
    /// timeout at all, so rendering refuses it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.lock_timeout(Duration::from_secs(2));
    /// pgm.add_columns("posts", [column("lat", "double precision")]);
    /// assert_eq!(pgm.own_lock_timeout(), Some(Duration::from_secs(2)));
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "posts" ADD COLUMN "lat" double precision"#]);
    ///
    /// pgm.lock_timeout(Duration::from_micros(500));
    /// assert!(pgm.to_sql().unwrap_err().to_string().contains("is less than 1ms"));
    /// ```
    #[track_caller]
    pub fn lock_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.lock_timeout = Some(timeout);
        self.lock_timeout_at = Some(Location::caller());
        self
    }

    /// The migrations whose background jobs this one requires to have finished
    /// ([`require_background_jobs`](Self::require_background_jobs)), in the order recorded.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.require_background_jobs("20261201000002_fill_email_lower");
    /// assert_eq!(pgm.required_background_jobs(), ["20261201000002_fill_email_lower"]);
    /// ```
    pub fn required_background_jobs(&self) -> Vec<&str> {
        self.operations
            .ops
            .iter()
            .filter_map(|op| match op {
                Operation::RequireBackgroundJobs(r) => Some(r.migration()),
                _ => None,
            })
            .collect()
    }

    /// Whether a backfill of this migration is queued as a background job
    /// ([`Backfill::in_background`](crate::ops::Backfill::in_background)).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("users", "email_lower = lower(email)").in_background();
    /// assert!(pgm.queues_background_jobs());
    /// ```
    pub fn queues_background_jobs(&self) -> bool {
        self.operations.ops.iter().any(|op| match op {
            Operation::Backfill(b) => b.is_background(),
            Operation::WidenKeyOnline(w) => w.is_background() && w.phase() == WidenPhase::Expand,
            _ => false,
        })
    }

    /// Whether [`no_transaction`](Self::no_transaction) was called explicitly.
    pub fn is_marked_no_transaction(&self) -> bool {
        self.no_transaction
    }

    /// Renders every operation, in order. The first invalid operation stops rendering with an error that
    /// names it.
    pub fn statements(&self) -> Result<Vec<Statement>, DslError> {
        if let Some(timeout) = self
            .lock_timeout
            .filter(|t| !t.is_zero() && t.as_millis() == 0)
        {
            return Err(DslError::LockTimeoutBelowOneMillisecond { timeout });
        }
        if self.contract_reason().is_some_and(|r| r.trim().is_empty()) {
            return Err(DslError::ContractWithoutReason);
        }
        if self.has_since_pg() {
            // Not resolved for a server: both branches, for review.
            return self.flatten(None)?.statements();
        }
        let mut out = Vec::new();
        let recorded = self.operations.ops.iter().zip(&self.operations.at);
        for (i, (op, &recorded_at)) in recorded.enumerate() {
            if let Some(online) = op.online_change() {
                // Its contract breaks the app version still running: `up --expand-only` must stop before it.
                if online.phase() == OnlinePhase::Contract && self.contract_reason().is_none() {
                    return Err(DslError::Invalid {
                        op: op.name(),
                        position: i + 1,
                        message: "its contract phase drops what the app version still running uses: \
                                  mark the migration with pgm.contract(\"<which app version must be gone>\")"
                            .to_owned(),
                    });
                }
            }
            if let Operation::WidenKeyOnline(widen) = op
                && widen.phase() == WidenPhase::Switch
                && self.contract_reason().is_none()
            {
                // The key changes type and columns move under the app version still running: its
                // prepared statements, positional inserts and fixed-width reads break.
                return Err(DslError::Invalid {
                    op: op.name(),
                    position: i + 1,
                    message: "its switch changes the key's type and the order of the columns under the app \
                              version still running: deploy a version that reads the key as bigint first, then \
                              mark the migration with pgm.contract(\"<which app version must be gone>\")"
                        .to_owned(),
                });
            }
            let mut action = match op {
                Operation::Db(db) => Some(Action::Data(db.data_fn().clone())),
                Operation::Backfill(b) if b.is_background() => Some(Action::Queue(b.clone())),
                Operation::Backfill(b) => Some(Action::Backfill(b.clone())),
                Operation::RequireBackgroundJobs(r) => {
                    Some(Action::RequireJobs(r.migration().to_owned()))
                }
                Operation::Precondition(p) => Some(Action::Precondition(p.clone())),
                Operation::SincePgNote(_) => Some(Action::Note),
                Operation::DropKeptValues(d) => Some(Action::DropKept(d.table().clone())),
                Operation::RestorePrevious(r) => Some(Action::Restore(r.action(Ctx {
                    op: op.name(),
                    position: i + 1,
                })?)),
                _ => None,
            };
            let mut rendered = op.render(i + 1)?;
            if action.is_some() {
                // One statement per action: its description lines become one comment block.
                rendered = vec![rendered.join("\n")];
            }
            for (index, sql) in rendered.into_iter().enumerate() {
                // A composite operation whose statement `index` is engine work (an online change's backfill).
                let ctx = Ctx {
                    op: op.name(),
                    position: i + 1,
                };
                let part = match op {
                    Operation::CreateIndex(c) if c.is_per_partition() && index == 1 => {
                        Some(Action::IndexPartitions(c.partition_index(ctx)?))
                    }
                    Operation::DropIndex(d) if d.is_per_partition() && index == 1 => {
                        Some(Action::DropPartitionIndexes(d.partition_index(ctx)?))
                    }
                    Operation::AddConstraintOnline(c) if c.is_per_partition() => {
                        match (c.partition_constraint(ctx)?, index) {
                            (Some(fk), 0) => Some(Action::ConstrainPartitions(fk)),
                            (None, 1) => Some(Action::IndexPartitions(c.partition_index(ctx)?)),
                            _ => None,
                        }
                    }
                    Operation::DropPartitionConstraint(d) if index == 1 => Some(d.action()),
                    Operation::WidenKeyOnline(w) => w.action_at(index),
                    _ => op
                        .online_change()
                        .and_then(|online| online.backfill_at(index))
                        .map(Action::Backfill),
                };
                out.push(Statement {
                    position: i + 1,
                    op: op.name(),
                    sql,
                    action: action.take().or(part),
                    new_transaction: op.starts_transaction(index),
                    safeguard: op.safeguard(index),
                    recorded_at,
                });
            }
        }
        Ok(out)
    }

    /// The rendered SQL statements, without their origin. Handy in tests and doctests.
    pub fn to_sql(&self) -> Result<Vec<String>, DslError> {
        Ok(self.statements()?.into_iter().map(|s| s.sql).collect())
    }

    /// The migration that undoes this one: every operation's reverse, last operation first. Fails on the first
    /// operation without a reverse, naming it and its position.
    pub fn reversed(&self) -> Result<MigrationBuilder, DslError> {
        let mut operations = Recorded::default();
        let recorded = self.operations.ops.iter().zip(&self.operations.at);
        for (i, (op, &at)) in recorded.enumerate().rev() {
            for reverse in op.reverse(i + 1, &self.operations.ops[..i])? {
                operations.push_at(reverse, at);
            }
        }
        Ok(MigrationBuilder {
            operations,
            no_transaction: self.no_transaction,
            lock_timeout: self.lock_timeout,
            lock_timeout_at: self.lock_timeout_at,
            // Undoing a contract brings back what it removed: the reverse is an expand.
            contract: None,
        })
    }

    /// The migration that undoes the part of this one that took effect, when it was stopped part-way:
    /// `done[i]` of the rendered statements of operation `i + 1` took effect (missing entries: none). Each
    /// operation with statements done is undone (last first) by its reverse when all of its statements took
    /// effect, else by the reverse of its part ([`Reverse::reverse_partial`](crate::operation::Reverse)).
    /// Fails on the first operation that has no such reverse, naming it.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_columns("comments", [column("body", "text")]);
    /// pgm.add_constraint_online("users", None, Constraint::unique(["email"]));
    /// pgm.create_index("comments", ["post_id"]).concurrently();
    /// // The column and the unique index took effect; the constraint and the last index did not.
    /// assert_eq!(pgm.reversed_part(&[1, 1]).unwrap().to_sql().unwrap(), [
    ///     r#"DROP INDEX CONCURRENTLY IF EXISTS "users_email_key""#,
    ///     r#"ALTER TABLE "comments" DROP COLUMN "body""#,
    /// ]);
    /// ```
    pub fn reversed_part(&self, done: &[usize]) -> Result<MigrationBuilder, DslError> {
        let mut totals = vec![0; self.operations.ops.len()];
        for statement in self.statements()? {
            if let Some(total) = totals.get_mut(statement.position - 1) {
                *total += 1;
            }
        }
        let mut operations = Recorded::default();
        let recorded = self.operations.ops.iter().zip(&self.operations.at);
        for (i, (op, &at)) in recorded.enumerate().rev() {
            let done = done.get(i).copied().unwrap_or(0);
            for reverse in op.reverse_part(i + 1, &self.operations.ops[..i], done, totals[i])? {
                operations.push_at(reverse, at);
            }
        }
        Ok(MigrationBuilder {
            operations,
            no_transaction: self.no_transaction,
            lock_timeout: self.lock_timeout,
            lock_timeout_at: self.lock_timeout_at,
            contract: None,
        })
    }

    /// Runs the migration outside a transaction: each statement is sent and committed on its own. Needed for
    /// statements PostgreSQL refuses inside a transaction block; typed operations that need it (such as
    /// [`CreateIndex::concurrently`]) set it automatically.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.no_transaction();
    /// pgm.sql("VACUUM ANALYZE posts");
    /// assert!(!pgm.is_transactional());
    /// assert_eq!(pgm.to_sql().unwrap(), ["VACUUM ANALYZE posts"]);
    /// ```
    #[track_caller]
    pub fn no_transaction(&mut self) -> &mut Self {
        self.no_transaction = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recording method without `#[track_caller]` would record its own line in this crate instead of the
    /// caller's line in the migration file, and `lint` would point at the wrong place.
    #[test]
    fn every_recording_method_tracks_its_caller() {
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        // The builder itself and every kind's folder, where the recording methods live.
        let mut files = Vec::new();
        let mut dirs = vec![
            std::path::PathBuf::from(src).join("builder"),
            std::path::PathBuf::from(src).join("ops"),
        ];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("a source folder") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        let mut missing = Vec::new();
        let mut checked = 0;
        for path in files {
            let source = std::fs::read_to_string(&path).expect("a source file");
            let file = syn::parse_file(&source).expect("builder files parse");
            for item in file.items {
                let syn::Item::Impl(block) = item else {
                    continue;
                };
                let syn::Type::Path(ty) = &*block.self_ty else {
                    continue;
                };
                if !ty.path.is_ident("MigrationBuilder") {
                    continue;
                }
                for method in block.items.iter().filter_map(|i| match i {
                    syn::ImplItem::Fn(f) => Some(f),
                    _ => None,
                }) {
                    let records = matches!(
                        method.sig.receiver(),
                        Some(r) if r.reference.is_some() && r.mutability.is_some()
                    );
                    if !records {
                        continue;
                    }
                    checked += 1;
                    if !method
                        .attrs
                        .iter()
                        .any(|a| a.path().is_ident("track_caller"))
                    {
                        missing.push(format!("{}: {}", path.display(), method.sig.ident));
                    }
                }
            }
        }
        assert!(checked > 80, "only {checked} methods found");
        assert!(missing.is_empty(), "without #[track_caller]: {missing:#?}");
    }

    #[test]
    fn operations_remember_their_call_and_a_derived_down_keeps_it() {
        let mut pgm = MigrationBuilder::new();
        pgm.create_table("posts", [crate::column("id", "bigint")]);
        let table_line = line!() - 1;
        pgm.create_index("posts", ["id"]).concurrently();
        let index_line = line!() - 1;
        let lines: Vec<u32> = pgm
            .statements()
            .unwrap()
            .iter()
            .map(|s| s.recorded_at.line())
            .collect();
        assert_eq!(lines, [table_line, index_line]);
        let down: Vec<u32> = pgm
            .reversed()
            .unwrap()
            .statements()
            .unwrap()
            .iter()
            .map(|s| s.recorded_at.line())
            .collect();
        assert_eq!(down, [index_line, table_line]);
        assert!(pgm.statements().unwrap()[0]
            .recorded_at
            .file()
            .ends_with("mod.rs"));
    }
}
