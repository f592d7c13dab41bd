//! A column's type changed online: a rename to a new column of the new type, with values converted both
//! ways by the sync trigger and the backfill.

use std::time::Duration;

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::ops::online::Retype;
use crate::ops::{OnlinePhase, RenameColumnOnline};
use crate::render::Render;

/// An online type change, recorded with [`MigrationBuilder::change_column_type_online`](crate::MigrationBuilder::change_column_type_online): a
/// [`RenameColumnOnline`] whose new column has another type.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeColumnTypeOnline(pub(crate) RenameColumnOnline);

impl ChangeColumnTypeOnline {
    /// Changes the type change's settings (always there: the builder method sets them).
    fn set(&mut self, change: impl FnOnce(&mut Retype)) -> &mut Self {
        if let Some(retype) = &mut self.0.retype {
            change(retype);
        }
        self
    }

    /// Records the contract phase instead of the expand: the migration must be marked with
    /// [`MigrationBuilder::contract`](crate::MigrationBuilder::contract).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.contract("drops products.price, which app v1 uses");
    /// pgm.change_column_type_online("products", "price", "price_cents", "bigint").contract();
    /// assert_eq!(pgm.to_sql().unwrap().last().unwrap(), r#"ALTER TABLE "products" DROP COLUMN "price""#);
    /// ```
    pub fn contract(&mut self) -> &mut Self {
        self.0.contract();
        self
    }

    /// The new column's value, as an SQL expression over the row's columns (`(price * 100)::bigint`).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.change_column_type_online("events", "at", "at_tz", "timestamptz").using("at AT TIME ZONE 'UTC'");
    /// assert!(pgm.to_sql().unwrap()[4].contains(r#"SET "at_tz" = at AT TIME ZONE 'UTC' WHERE"#));
    /// ```
    pub fn using(&mut self, expression: impl Into<String>) -> &mut Self {
        let expression = expression.into();
        self.set(|r| r.using = Some(expression))
    }

    /// The old column's value, as an SQL expression over the row's columns (`price_cents / 100.0`), for
    /// writes of the new app version while the old one still reads.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.change_column_type_online("events", "at", "at_tz", "timestamptz").back("at_tz AT TIME ZONE 'UTC'");
    /// assert!(pgm.to_sql().unwrap()[1].contains(r#"NEW."at" := (SELECT at_tz AT TIME ZONE 'UTC' FROM (SELECT NEW.*) AS "events");"#));
    /// ```
    pub fn back(&mut self, expression: impl Into<String>) -> &mut Self {
        let expression = expression.into();
        self.set(|r| r.back = Some(expression))
    }

    /// The old column's type, as `format_type` spells it (`numeric(10,2)`, `character varying(40)`): the
    /// contract refuses to run when the column has another one, and its derived `down` adds the column back
    /// with it.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.contract("drops events.at");
    /// pgm.change_column_type_online("events", "at", "at_tz", "timestamptz")
    ///     .old_type("timestamp without time zone")
    ///     .contract();
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap()[0],
    ///     r#"ALTER TABLE "events" ADD COLUMN "at" timestamp without time zone"#);
    /// ```
    pub fn old_type(&mut self, old_type: impl Into<String>) -> &mut Self {
        let old_type = old_type.into();
        self.set(|r| r.old_type = Some(old_type))
    }

    /// The expand's backfill: a fixed number of rows per batch (see
    /// [`Backfill::batch_size`](crate::Backfill::batch_size)).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.change_column_type_online("products", "price", "price_cents", "bigint").batch_size(500);
    /// assert!(pgm.to_sql().unwrap()[4].contains("in batches of 500 rows"));
    /// ```
    pub fn batch_size(&mut self, rows: u32) -> &mut Self {
        self.0.batch_size(rows);
        self
    }

    /// The expand's backfill: a pause after each batch (see [`Backfill::pause`](crate::Backfill::pause)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.change_column_type_online("products", "price", "price_cents", "bigint").pause(Duration::from_millis(20));
    /// assert!(pgm.to_sql().unwrap()[4].contains("pausing 20 ms"));
    /// ```
    pub fn pause(&mut self, pause: Duration) -> &mut Self {
        self.0.pause(pause);
        self
    }

    /// The phase this operation records.
    pub fn phase(&self) -> OnlinePhase {
        self.0.phase()
    }
}

impl Render for ChangeColumnTypeOnline {
    fn outside_transaction(&self) -> bool {
        self.0.outside_transaction()
    }

    fn starts_transaction(&self, index: usize) -> bool {
        self.0.starts_transaction(index)
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        self.0.render(ctx)
    }
}

impl Reverse for ChangeColumnTypeOnline {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![ChangeColumnTypeOnline(self.0.undo(ctx)?).into()])
    }

    // As the rename's: the expand's part is undone whole, the contract's part needs nothing.
    fn reverse_partial(&self, ctx: Ctx, done: usize) -> Result<Vec<Operation>, DslError> {
        match self.0.phase() {
            OnlinePhase::Expand => self.reverse(ctx),
            _ => self.0.reverse_partial(ctx, done),
        }
    }
}
