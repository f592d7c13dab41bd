//! Online changes: what one instant `ALTER TABLE` would do, split into an expand (the app version that is
//! running keeps working, and the next one can start) and a contract (after the rollout, when no instance of
//! the old version is serving), each a typed operation whose derived `down` undoes exactly its phase.

use std::time::Duration;

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::quote_ident;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::ops::constraint::naming::make_object_name;
use crate::ops::{AddConstraint, Backfill, BatchWork, Constraint, ConstraintName};

mod change_type;
mod constraint;
mod render;
mod rust;

pub use change_type::ChangeColumnTypeOnline;
pub use constraint::{AddConstraintOnline, DropPartitionConstraint};

impl MigrationBuilder {
    /// Renames `from` to `to` on a live table, in two migrations: record it in an expand migration, deploy
    /// the app version that uses `to`, then record it again with [`.contract()`](RenameColumnOnline::contract)
    /// in a migration marked [`pgm.contract(..)`](Self::contract). A plain
    /// [`rename_column`](Self::rename_column) breaks every running instance of the old version at once.
    ///
    /// **Expand** (runs outside a transaction, for the backfill; each statement commits on its own and
    /// leaves a state the running app survives):
    /// 1. the new column, with the old one's type and collation read from the catalog;
    /// 2. a `BEFORE INSERT OR UPDATE` trigger that keeps both columns equal whichever of them a writer sets
    ///    (on `INSERT` the new column wins when it is set, on `UPDATE` the column that changed wins; it only
    ///    assigns `NEW`, so it never fires itself again), and its function;
    /// 3. where the old column is `NOT NULL`, a `CHECK (to IS NOT NULL) NOT VALID` (after the trigger, which
    ///    fills the new column on every write);
    /// 4. a batched [`backfill`](Self::backfill) of the rows written before the trigger existed.
    ///
    /// Its derived `down` drops the trigger, its function and the new column.
    ///
    /// **Contract**: refuses, before changing anything, while an index, constraint or view still uses the
    /// old column (dropping the column would drop or break it: re-create it on the new column first); then
    /// `VALIDATE`s the check in a transaction of its own (`SHARE UPDATE EXCLUSIVE`: reads and writes go
    /// on); then, in a new transaction, `SET NOT NULL` (PostgreSQL 12+ proves it from the valid check
    /// without a scan), drops the check, moves the old column's default over, and drops the trigger, its
    /// function and the old column. Its derived `down` adds the old column back (type, collation, `NOT
    /// NULL`, default) and the trigger, copies the values into it with a batched backfill (so it runs outside
    /// a transaction, like the expand), then gives it back its `NOT NULL` and default and re-creates the new
    /// column's `NOT VALID` check, so the old version works again.
    ///
    /// The trigger and its function are named `<table>_<from>_<to>_sync`, the check `<table>_<to>_not_null_check`,
    /// shortened as PostgreSQL shortens derived names to fit 63 bytes. The old column must not be an identity
    /// or generated column.
    ///
    /// The expand runs outside a transaction: its first four statements commit together, then the backfill
    /// batch by batch, each recorded as it commits. A run stopped anywhere (a signal, a time budget, a lost
    /// connection) is continued by the next `up`, which resumes the backfill from its last committed batch and
    /// records the migration only once no row is left to fill; `down` of an expand stopped part-way drops what
    /// it added.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut expand = MigrationBuilder::new();
    /// expand.rename_column_online("comments", "contents", "body");
    /// assert!(!expand.is_transactional());
    /// let sql = expand.to_sql().unwrap();
    /// assert_eq!(sql.len(), 5);
    /// assert!(sql[0].contains(r#"EXECUTE 'ALTER TABLE "comments" ADD COLUMN "body" ' || definition;"#));
    /// assert!(sql[1].starts_with(r#"CREATE FUNCTION "comments_contents_body_sync"() RETURNS trigger LANGUAGE plpgsql"#));
    /// assert_eq!(sql[2], r#"CREATE TRIGGER "comments_contents_body_sync" BEFORE INSERT OR UPDATE ON "comments" FOR EACH ROW EXECUTE FUNCTION "comments_contents_body_sync"()"#);
    /// assert!(sql[3].contains(r#"ALTER TABLE "comments" ADD CONSTRAINT "comments_body_not_null_check" CHECK ("body" IS NOT NULL) NOT VALID;"#));
    /// assert_eq!(sql[4].lines().nth(1).unwrap(),
    ///     r#"-- each batch: UPDATE "comments" SET "body" = "contents" WHERE <primary key> IN (SELECT <primary key> FROM "comments" WHERE <primary key> > $1 AND ("body" IS NULL AND "contents" IS NOT NULL) ORDER BY <primary key> LIMIT <batch size>)"#);
    /// assert_eq!(expand.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"DROP TRIGGER "comments_contents_body_sync" ON "comments""#,
    ///     r#"DROP FUNCTION "comments_contents_body_sync"()"#,
    ///     r#"ALTER TABLE "comments" DROP COLUMN "body""#,
    /// ]);
    ///
    /// let mut contract = MigrationBuilder::new();
    /// contract.contract("drops comments.contents, which app v1 reads and writes");
    /// contract.rename_column_online("comments", "contents", "body").contract();
    /// assert!(contract.is_transactional());
    /// let statements = contract.statements().unwrap();
    /// let starts: Vec<bool> = statements.iter().map(|s| s.new_transaction).collect();
    /// assert_eq!(starts, [false, true, true, false, false, false]);
    /// assert!(statements[1].sql.contains(r#"ALTER TABLE "comments" VALIDATE CONSTRAINT "comments_body_not_null_check";"#));
    /// assert_eq!(&contract.to_sql().unwrap()[3..], [
    ///     r#"DROP TRIGGER "comments_contents_body_sync" ON "comments""#,
    ///     r#"DROP FUNCTION "comments_contents_body_sync"()"#,
    ///     r#"ALTER TABLE "comments" DROP COLUMN "contents""#,
    /// ]);
    /// let down = contract.reversed().unwrap();
    /// assert!(!down.is_transactional());
    /// assert!(down.to_sql().unwrap()[3].contains(r#"UPDATE "comments" SET "contents" = "body""#));
    ///
    /// // The contract phase only in a migration marked as a contract: `up --expand-only` stops before it.
    /// let mut unmarked = MigrationBuilder::new();
    /// unmarked.rename_column_online("comments", "contents", "body").contract();
    /// assert!(unmarked.to_sql().unwrap_err().to_string().contains("pgm.contract"));
    /// ```
    #[track_caller]
    pub fn rename_column_online(
        &mut self,
        table: impl Into<Name>,
        from: impl Into<Ident>,
        to: impl Into<Ident>,
    ) -> &mut RenameColumnOnline {
        self.record(RenameColumnOnline::new(
            table.into(),
            from.into(),
            to.into(),
        ))
    }

    /// Changes the type of `column` on a live table by moving it to a new column `to` of `new_type`, as
    /// [`rename_column_online`](Self::rename_column_online) moves it to a new name: an expand migration adds
    /// `to` (no table rewrite, no `ACCESS EXCLUSIVE` lock during a scan, unlike `ALTER COLUMN .. TYPE`), a
    /// sync trigger converts values both ways, and a batched backfill converts the existing rows; after the
    /// rollout of the app version that uses `to`, the same call with
    /// [`.contract()`](ChangeColumnTypeOnline::contract) in a migration marked
    /// [`pgm.contract(..)`](Self::contract) validates `NOT NULL` and drops the old column.
    ///
    /// Values are converted with `column::new_type` unless [`using`](ChangeColumnTypeOnline::using) gives an
    /// expression, and back by an assignment cast unless [`back`](ChangeColumnTypeOnline::back) gives one;
    /// both expressions name the row's columns as a `SELECT` from the table would. The contract's derived
    /// `down` needs the old type ([`old_type`](ChangeColumnTypeOnline::old_type)), which the contract checks
    /// against the catalog before it changes anything. The old column's default moves over in the contract,
    /// cast to the new type. Give the contract the same `using` and `back` as the expand: its `down`
    /// re-creates the expand's trigger from them.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut expand = MigrationBuilder::new();
    /// expand.change_column_type_online("products", "price", "price_cents", "bigint")
    ///     .using("(price * 100)::bigint")
    ///     .back("price_cents / 100.0");
    /// let sql = expand.to_sql().unwrap();
    /// assert_eq!(sql[0], r#"ALTER TABLE "products" ADD COLUMN "price_cents" bigint"#);
    /// assert!(sql[1].contains(r#"NEW."price_cents" := (SELECT (price * 100)::bigint FROM (SELECT NEW.*) AS "products");"#));
    /// assert!(sql[1].contains(r#"NEW."price" := (SELECT price_cents / 100.0 FROM (SELECT NEW.*) AS "products");"#));
    /// assert!(sql[4].contains(r#"UPDATE "products" SET "price_cents" = (price * 100)::bigint WHERE"#));
    /// assert_eq!(expand.reversed().unwrap().to_sql().unwrap()[2],
    ///     r#"ALTER TABLE "products" DROP COLUMN "price_cents""#);
    ///
    /// let mut contract = MigrationBuilder::new();
    /// contract.contract("drops products.price, which app v1 uses");
    /// contract.change_column_type_online("products", "price", "price_cents", "bigint")
    ///     .back("price_cents / 100.0")
    ///     .old_type("numeric(10,2)")
    ///     .contract();
    /// assert!(contract.to_sql().unwrap()[0].contains(
    ///     r#"IF (SELECT pg_catalog.format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute WHERE attrelid = '"products"'::pg_catalog.regclass AND attname = 'price') IS DISTINCT FROM 'numeric(10,2)' THEN"#));
    /// let down = contract.reversed().unwrap().to_sql().unwrap();
    /// assert_eq!(down[0], r#"ALTER TABLE "products" ADD COLUMN "price" numeric(10,2)"#);
    /// assert!(down[3].contains(r#"UPDATE "products" SET "price" = price_cents / 100.0 WHERE"#));
    ///
    /// // Without the old type, the contract has no derived down.
    /// let mut unknown = MigrationBuilder::new();
    /// unknown.contract("drops products.price");
    /// unknown.change_column_type_online("products", "price", "price_cents", "bigint").contract();
    /// assert!(unknown.reversed().unwrap_err().to_string().contains(".old_type"));
    /// ```
    #[track_caller]
    pub fn change_column_type_online(
        &mut self,
        table: impl Into<Name>,
        column: impl Into<Ident>,
        to: impl Into<Ident>,
        new_type: impl Into<String>,
    ) -> &mut ChangeColumnTypeOnline {
        let mut change = RenameColumnOnline::new(table.into(), column.into(), to.into());
        change.retype = Some(Retype {
            new_type: new_type.into(),
            using: None,
            back: None,
            old_type: None,
        });
        self.record(ChangeColumnTypeOnline(change))
    }

    /// Adds a constraint to a live table without holding a lock that stops reads or writes while existing
    /// rows are checked, as one operation:
    /// - `CHECK` and `FOREIGN KEY`: added `NOT VALID` (instant; new and updated rows are checked at once),
    ///   then `VALIDATE`d in a transaction of its own (`SHARE UPDATE EXCLUSIVE`: reads and writes go on);
    /// - `UNIQUE` and `PRIMARY KEY`: a unique index built `CONCURRENTLY` (so the migration runs outside a
    ///   transaction), then `ADD CONSTRAINT .. USING INDEX` (instant; a primary key also makes its columns
    ///   `NOT NULL`, which scans unless they are already). An interrupted build's invalid index is dropped
    ///   and rebuilt when the migration runs again.
    ///
    /// For `NOT NULL`, use [`set_not_null`](Self::set_not_null). The name is given or derived as for
    /// [`add_constraint`](Self::add_constraint). Reversed by dropping the constraint (and with it its index).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint_online("comments", None, Constraint::foreign_key(["post_id"], "posts", ["id"]));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "comments" ADD CONSTRAINT "comments_post_id_fkey" FOREIGN KEY ("post_id") REFERENCES "posts" ("id") NOT VALID"#,
    ///     r#"ALTER TABLE "comments" VALIDATE CONSTRAINT "comments_post_id_fkey""#,
    /// ]);
    /// let starts: Vec<bool> = pgm.statements().unwrap().iter().map(|s| s.new_transaction).collect();
    /// assert_eq!(starts, [false, true]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER TABLE "comments" DROP CONSTRAINT "comments_post_id_fkey""#,
    /// ]);
    ///
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint_online("users", None, Constraint::unique(["email"]));
    /// assert!(!pgm.is_transactional());
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "users_email_key" ON "users" ("email")"#,
    ///     r#"ALTER TABLE "users" ADD CONSTRAINT "users_email_key" UNIQUE USING INDEX "users_email_key""#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER TABLE "users" DROP CONSTRAINT "users_email_key""#,
    /// ]);
    ///
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint_online("orders", None, Constraint::checks(["qty > 0", "price >= 0"]));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "orders" ADD CONSTRAINT "orders_qty_check" CHECK (qty > 0) NOT VALID, ADD CONSTRAINT "orders_price_check" CHECK (price >= 0) NOT VALID"#,
    ///     r#"ALTER TABLE "orders" VALIDATE CONSTRAINT "orders_qty_check""#,
    ///     r#"ALTER TABLE "orders" VALIDATE CONSTRAINT "orders_price_check""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn add_constraint_online(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<ConstraintName>,
        constraint: Constraint,
    ) -> &mut AddConstraintOnline {
        self.record(AddConstraintOnline::new(AddConstraint::new(
            table.into(),
            name.into().0,
            constraint,
        )))
    }
}

/// Which part of an online change an operation is: the two phases of the `up`, and their derived reverses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OnlinePhase {
    /// Both versions of the app work after it.
    Expand,
    /// Only the new version works after it.
    Contract,
    /// The derived `down` of the expand.
    UndoExpand,
    /// The derived `down` of the contract.
    UndoContract,
}

/// An online column rename, recorded with [`MigrationBuilder::rename_column_online`].
#[derive(Debug, Clone, PartialEq)]
pub struct RenameColumnOnline {
    table: Name,
    from: Ident,
    to: Ident,
    phase: OnlinePhase,
    batch_size: Option<u32>,
    pause: Duration,
    /// A type change ([`MigrationBuilder::change_column_type_online`]): the new column's type and how values
    /// go from one column to the other.
    retype: Option<Retype>,
}

/// What a type change adds to a rename.
#[derive(Debug, Clone, PartialEq)]
pub struct Retype {
    pub(crate) new_type: String,
    /// The new column's value from the row's old columns; `from::new_type` without it.
    pub(crate) using: Option<String>,
    /// The old column's value from the row's new columns; without it, an assignment cast (in the trigger) or
    /// `to::old_type` (in the contract's `down`).
    pub(crate) back: Option<String>,
    /// The old column's type as `format_type` spells it: the contract checks it, and its `down` adds the
    /// old column back with it.
    pub(crate) old_type: Option<String>,
}

impl RenameColumnOnline {
    pub(crate) fn new(table: Name, from: Ident, to: Ident) -> Self {
        RenameColumnOnline {
            table,
            from,
            to,
            phase: OnlinePhase::Expand,
            batch_size: None,
            pause: Duration::ZERO,
            retype: None,
        }
    }

    /// Records the contract phase instead of the expand: the migration must be marked with
    /// [`MigrationBuilder::contract`].
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.contract("drops comments.contents, which app v1 uses");
    /// pgm.rename_column_online("comments", "contents", "body").contract();
    /// assert_eq!(pgm.to_sql().unwrap().last().unwrap(), r#"ALTER TABLE "comments" DROP COLUMN "contents""#);
    /// ```
    pub fn contract(&mut self) -> &mut Self {
        self.phase = OnlinePhase::Contract;
        self
    }

    /// The expand's backfill: a fixed number of rows per batch (see [`Backfill::batch_size`]).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_column_online("comments", "contents", "body").batch_size(500);
    /// assert!(pgm.to_sql().unwrap()[4].contains("in batches of 500 rows"));
    /// ```
    pub fn batch_size(&mut self, rows: u32) -> &mut Self {
        self.batch_size = Some(rows);
        self
    }

    /// The expand's backfill: a pause after each batch (see [`Backfill::pause`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_column_online("comments", "contents", "body").pause(Duration::from_millis(20));
    /// assert!(pgm.to_sql().unwrap()[4].contains("pausing 20 ms"));
    /// ```
    pub fn pause(&mut self, pause: Duration) -> &mut Self {
        self.pause = pause;
        self
    }

    /// The phase this operation records.
    pub fn phase(&self) -> OnlinePhase {
        self.phase
    }

    /// The table.
    pub fn table(&self) -> &Name {
        &self.table
    }

    /// The trigger and its function (in the table's schema): `<table>_<from>_<to>_sync`, shortened to 63
    /// bytes as PostgreSQL shortens derived names.
    pub fn sync_name(&self) -> Name {
        let columns = format!("{}_{}", self.from.as_str(), self.to.as_str());
        self.table.sibling(Ident::new(make_object_name(
            self.table.name().as_str(),
            Some(&columns),
            "sync",
        )))
    }

    /// The check that stands for `NOT NULL` on the new column until the contract:
    /// `<table>_<to>_not_null_check` (not `<table>_<to>_not_null`, the name PostgreSQL 18 gives the `NOT NULL`
    /// constraint itself, which the contract's `SET NOT NULL` adds while the check still exists).
    pub fn check_name(&self) -> Ident {
        Ident::new(make_object_name(
            self.table.name().as_str(),
            Some(self.to.as_str()),
            "not_null_check",
        ))
    }

    /// The expand's batched backfill of the rows written before the trigger existed: the trigger keeps every
    /// row written after it equal, so only rows whose new column is still NULL need it.
    pub(crate) fn backfill(&self) -> Backfill {
        let (from, to) = (quote_ident(&self.from), quote_ident(&self.to));
        let value = match &self.retype {
            None => from.clone(),
            Some(Retype {
                using: Some(using), ..
            }) => using.clone(),
            Some(Retype { new_type, .. }) => format!("{from}::{new_type}"),
        };
        let mut backfill = Backfill::new(
            self.table.clone(),
            BatchWork::Set(format!("{to} = {value}")),
        );
        backfill.where_clause(format!("{to} IS NULL AND {from} IS NOT NULL"));
        if let Some(rows) = self.batch_size {
            backfill.batch_size(rows);
        }
        backfill.pause(self.pause);
        backfill
    }

    /// The contract's `down`'s batched copy of the new column's values back into the old column, for the rows
    /// written before its trigger existed.
    pub(crate) fn copy_back(&self) -> Backfill {
        let (from, to) = (quote_ident(&self.from), quote_ident(&self.to));
        let value = match &self.retype {
            Some(Retype {
                back: Some(back), ..
            }) => back.clone(),
            Some(Retype {
                old_type: Some(old_type),
                ..
            }) => format!("{to}::{old_type}"),
            _ => to.clone(),
        };
        let mut backfill = Backfill::new(
            self.table.clone(),
            BatchWork::Set(format!("{from} = {value}")),
        );
        backfill.where_clause(format!("{from} IS NULL AND {to} IS NOT NULL"));
        if let Some(rows) = self.batch_size {
            backfill.batch_size(rows);
        }
        backfill.pause(self.pause);
        backfill
    }

    /// The engine's backfill standing for rendered statement `index` of this phase, when it is one.
    pub(crate) fn backfill_at(&self, index: usize) -> Option<Backfill> {
        match (self.phase, index) {
            (OnlinePhase::Expand, 4) => Some(self.backfill()),
            (OnlinePhase::UndoContract, 3) => Some(self.copy_back()),
            _ => None,
        }
    }

    /// The same change in another phase.
    fn in_phase(&self, phase: OnlinePhase) -> Self {
        RenameColumnOnline {
            phase,
            ..self.clone()
        }
    }
}

impl RenameColumnOnline {
    /// The operation undoing this phase.
    fn undo(&self, ctx: Ctx) -> Result<Self, DslError> {
        let undo = match self.phase {
            OnlinePhase::Expand => OnlinePhase::UndoExpand,
            OnlinePhase::Contract => OnlinePhase::UndoContract,
            OnlinePhase::UndoExpand | OnlinePhase::UndoContract => {
                return Err(ctx.irreversible("the derived down of an online change has no reverse"))
            }
        };
        if undo == OnlinePhase::UndoContract
            && self.retype.as_ref().is_some_and(|r| r.old_type.is_none())
        {
            return Err(ctx.irreversible(
                "the contract's down adds the old column back, and its type is not known: give it with \
                 `.old_type(\"..\")` (as format_type spells it, e.g. \"numeric(10,2)\"), which the contract checks",
            ));
        }
        Ok(self.in_phase(undo))
    }
}

/// Each phase is undone by its own inverse; the inverses themselves are not undone again (a derived `down`
/// is not reversed).
impl Reverse for RenameColumnOnline {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![self.undo(ctx)?.into()])
    }

    // The expand's statements before its backfill share one transaction, so a part of the expand is those
    // four (column, function, trigger, check): undone as the whole expand is. A part of the contract is its
    // check of what still uses the old column and the validation of the new one's check, which change
    // nothing an app version needs: nothing to undo.
    fn reverse_partial(&self, ctx: Ctx, _done: usize) -> Result<Vec<Operation>, DslError> {
        match self.phase {
            OnlinePhase::Expand => self.reverse(ctx),
            OnlinePhase::Contract => Ok(Vec::new()),
            OnlinePhase::UndoExpand | OnlinePhase::UndoContract => {
                Err(ctx.irreversible(crate::reverse::PART))
            }
        }
    }
}

impl Operation {
    /// The online change this operation records, when it is one.
    pub(crate) fn online_change(&self) -> Option<&RenameColumnOnline> {
        match self {
            Operation::RenameColumnOnline(change) => Some(change),
            Operation::ChangeColumnTypeOnline(change) => Some(&change.0),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::MigrationBuilder;

    /// Derived names are shortened as PostgreSQL shortens them, never refused for being long.
    #[test]
    fn derived_names_fit_63_bytes() {
        let long = "x".repeat(63);
        let mut pgm = MigrationBuilder::new();
        pgm.rename_column_online(("app", long.as_str()), long.as_str(), "y".repeat(63));
        let crate::Operation::RenameColumnOnline(op) = &pgm.operations()[0] else {
            unreachable!("recorded above")
        };
        assert_eq!(op.sync_name().name().as_str().len(), 63);
        assert!(op.sync_name().name().as_str().ends_with("_sync"));
        assert_eq!(op.sync_name().schema().map(|s| s.as_str()), Some("app"));
        assert!(op.check_name().as_str().len() <= 63);
        let sql = pgm.to_sql().expect("long names render");
        assert!(sql[2].starts_with(&format!(
            "CREATE TRIGGER \"{}\"",
            op.sync_name().name().as_str()
        )));
        assert!(sql[2].contains(&format!(
            "EXECUTE FUNCTION \"app\".\"{}\"()",
            op.sync_name().name().as_str()
        )));
        let down = pgm
            .reversed()
            .expect("derived down")
            .to_sql()
            .expect("renders");
        assert_eq!(
            down[0],
            format!(
                "DROP TRIGGER \"{}\" ON \"app\".\"{long}\"",
                op.sync_name().name().as_str()
            )
        );
    }

    #[test]
    fn a_rename_to_the_same_name_is_refused() {
        let mut pgm = MigrationBuilder::new();
        pgm.rename_column_online("comments", "body", "body");
        let error = pgm.to_sql().unwrap_err().to_string();
        assert!(error.contains("new name is its old name"), "{error}");
    }

    /// Names with quotes reach the SQL quoted, in identifiers and in the literals the catalog is read with.
    #[test]
    fn quotes_in_names_are_escaped() {
        let mut pgm = MigrationBuilder::new();
        pgm.rename_column_online("it's", "o'ld", "n\"ew");
        let sql = pgm.to_sql().expect("renders");
        assert!(
            sql[0]
                .contains(r#"a.attrelid = '"it''s"'::pg_catalog.regclass AND a.attname = 'o''ld'"#),
            "{}",
            sql[0]
        );
        assert!(
            sql[0].contains(r#"EXECUTE 'ALTER TABLE "it''s" ADD COLUMN "n""ew" ' || definition;"#),
            "{}",
            sql[0]
        );
    }

    /// The derived down of an online change is not reversed again.
    #[test]
    fn a_derived_down_has_no_reverse() {
        let mut pgm = MigrationBuilder::new();
        pgm.rename_column_online("comments", "contents", "body");
        let down = pgm.reversed().expect("derived down");
        assert!(down.reversed().is_err());
    }
}
