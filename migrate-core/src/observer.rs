//! A watcher of the runner: called around every statement the runner sends, on the migration's own
//! connection, so it can read the catalog in the state the statement left (inside its transaction). `migrate
//! trace` uses it to see the locks, rewrites and scans of each statement of the real run.

use postgres::{GenericClient, SimpleQueryMessage};

use migrate_dsl::Statement;

use crate::plan::Step;

/// What the runner calls; a failure stops the run with an error naming the operation.
pub(crate) trait Observer: std::fmt::Debug + Sync {
    /// The runner opened a transaction for `step` (each transaction of a migration split by a
    /// `validate_constraint`, and each attempt again after a lock timeout).
    fn transaction_started(
        &self,
        step: &Step<'_>,
        conn: &mut dyn Session,
    ) -> Result<(), postgres::Error>;

    /// The transaction the runner opened last was committed (a step of a migration outside a transaction,
    /// which commits each group of its statements on its own): what runs next runs outside it.
    fn transaction_ended(&self) {}

    /// `unit` is sent next.
    fn before_unit(
        &self,
        step: &Step<'_>,
        unit: &Statement,
        conn: &mut dyn Session,
    ) -> Result<(), postgres::Error>;

    /// `unit` succeeded; in a transaction, it is still open.
    fn after_unit(
        &self,
        step: &Step<'_>,
        unit: &Statement,
        conn: &mut dyn Session,
    ) -> Result<(), postgres::Error>;
}

/// The migration's connection as an observer may use it: simple queries, whose values arrive as text.
pub(crate) trait Session {
    fn simple_query(&mut self, sql: &str) -> Result<Vec<SimpleQueryMessage>, postgres::Error>;
}

impl<C: GenericClient> Session for C {
    fn simple_query(&mut self, sql: &str) -> Result<Vec<SimpleQueryMessage>, postgres::Error> {
        GenericClient::simple_query(self, sql)
    }
}
