//! Batched backfills.

use crate::builder::MigrationBuilder;
use crate::name::Name;
use crate::ops::*;

impl MigrationBuilder {
    /// Updates every row of `table` (or those matching [`Backfill::where_clause`]) with the SQL assignments
    /// `set`, walking the primary key in batches of 1000 rows, each batch its own committed transaction.
    ///
    /// The migration runs outside a transaction (each batch commits on its own), so keep a backfill in a
    /// data migration of its own, after the schema migration that added the column. An interrupted backfill
    /// resumes after the last committed batch when the migration runs again. The table needs a primary key.
    /// Progress (rows, rate, ETA) is shown on a terminal. Undoing it needs nothing.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("comments", "body = contents").where_clause("body IS NULL");
    /// assert!(!pgm.is_transactional());
    /// assert_eq!(pgm.to_sql().unwrap(), [concat!(
    ///     r#"-- backfill "comments" in batches of 1000 rows in primary-key order, each batch its own transaction; resumes where it stopped"#, "\n",
    ///     r#"-- each batch: UPDATE "comments" SET body = contents WHERE <primary key> IN (SELECT <primary key> FROM "comments" WHERE <primary key> > $1 AND (body IS NULL) ORDER BY <primary key> LIMIT 1000)"#, "\n",
    ///     "-- <primary key>: the table's primary key columns, read when the backfill starts (`sql` against a database where the table exists shows them)",
    /// )]);
    /// assert!(pgm.reversed().unwrap().operations().is_empty());
    /// ```
    #[track_caller]
    pub fn backfill(&mut self, table: impl Into<Name>, set: impl Into<String>) -> &mut Backfill {
        record!(
            self,
            Backfill,
            Backfill::new(table.into(), BatchWork::Set(set.into()))
        )
    }

    /// Like [`backfill`](Self::backfill), with Rust code instead of SQL assignments: for logic SQL cannot
    /// express. Each batch's rows (`SELECT *` in primary-key order, plus a last column `__migrate_cursor`)
    /// are passed with the batch's transaction; write with bound parameters.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill_with("posts", |tx, rows| {
    ///     for row in rows {
    ///         let id: i64 = row.get("id");
    ///         let title: String = row.get("title");
    ///         tx.execute("UPDATE posts SET slug = $1 WHERE id = $2", &[&title.to_lowercase(), &id])?;
    ///     }
    ///     Ok(())
    /// })
    /// .where_clause("slug IS NULL");
    /// assert_eq!(pgm.to_sql().unwrap()[0].lines().nth(1).unwrap(),
    ///     r#"-- each batch: SELECT * FROM "posts" WHERE <primary key> > $1 AND (slug IS NULL) ORDER BY <primary key> LIMIT 1000 FOR NO KEY UPDATE and Rust code over those rows (locked until the batch commits), in the batch's transaction"#);
    /// ```
    #[track_caller]
    pub fn backfill_with(
        &mut self,
        table: impl Into<Name>,
        work: impl Fn(&mut postgres::Transaction<'_>, &[postgres::Row]) -> DataResult
            + Send
            + Sync
            + 'static,
    ) -> &mut Backfill {
        record!(
            self,
            Backfill,
            Backfill::new(table.into(), BatchWork::Rust(BatchFn::new(work)))
        )
    }
}
