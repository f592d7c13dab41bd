//! Data code (`pgm.db`) in a transaction of its own, and watching that a migration's SQL or data code did
//! not end the transaction the runner opened for it.

use postgres::GenericClient;

use migrate_dsl::DataFn;

use crate::error::DataCause;
use crate::migration::panic_message;
use crate::user_code::{self, UserCode};

/// How data code ran.
pub(super) struct DataRun {
    /// Whether it failed, and why.
    pub result: Result<(), DataCause>,
    /// When it ended the migration's transaction (with a watch): how.
    pub ended: Option<Ended>,
}

/// Runs data code in a transaction of its own: a savepoint inside the migration's transaction, or a real
/// transaction when the migration runs outside one. A panic in user code becomes an error, so the lock and
/// the connection are released the ordinary way. Inside the migration's transaction, `watch` checks that the
/// code did not end it before the savepoint is released.
pub(super) fn run_data(
    conn: &mut impl GenericClient,
    data: &DataFn,
    code: UserCode,
    watch: Option<&TransactionWatch>,
) -> DataRun {
    let failed = |cause| DataRun {
        result: Err(cause),
        ended: None,
    };
    let mut tx = match conn.transaction() {
        Ok(tx) => tx,
        Err(e) => return failed(DataCause::database("cannot start its transaction")(e)),
    };
    let result = {
        let _running = user_code::enter(code);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| data.call(&mut tx)))
    };
    let failure = match result {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(DataCause::Returned(e)),
        Err(panic) => Some(DataCause::Panicked(panic_message(&panic))),
    };
    if let Some(watch) = watch {
        match watch.ended(&mut tx) {
            Ok(Some(ended)) => {
                return DataRun {
                    result: failure.map_or(Ok(()), Err),
                    ended: Some(ended),
                }
            }
            Ok(None) => {}
            Err(e) => {
                return failed(
                    failure
                        .unwrap_or_else(|| DataCause::database("cannot check its transaction")(e)),
                )
            }
        }
    }
    match failure {
        None => match tx.commit() {
            Ok(()) => DataRun {
                result: Ok(()),
                ended: None,
            },
            Err(e) => failed(DataCause::database("cannot commit")(e)),
        },
        Some(cause) => failed(cause),
    }
}

/// How a migration's SQL or data code ended the transaction the runner opened for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ended {
    /// Whether it was committed (`COMMIT`), rather than rolled back.
    pub committed: bool,
    /// Whether the session is in a transaction block again (`COMMIT AND CHAIN`, `ROLLBACK AND CHAIN`, or a
    /// `BEGIN` after the end): what ran since is in that transaction, which the runner rolls back when it
    /// stops, instead of committed on its own.
    pub chained: bool,
}

/// Detects that a migration's transaction ended under the runner: by SQL (`COMMIT`, `ROLLBACK`) in the
/// migration's raw statements or data code. The protocol's transaction status is not exposed by the
/// driver, so the transaction is given an id at its start (`txid_current()`, which writing migrations
/// assign anyway) and compared afterwards: another id, or none, means the transaction ended, and
/// `txid_status` of the old id says whether it was committed.
pub(super) struct TransactionWatch {
    xid: i64,
}

impl TransactionWatch {
    /// Runs `first` (the migration's `SET LOCAL` statements) and takes the transaction's id, in one round
    /// trip.
    pub(super) fn start(
        conn: &mut impl GenericClient,
        first: &[String],
    ) -> Result<Self, postgres::Error> {
        let mut sql: String = first.iter().map(|s| format!("{s};\n")).collect();
        sql.push_str("SELECT pg_catalog.txid_current()");
        let xid = last_value(&conn.simple_query(&sql)?)
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1);
        Ok(TransactionWatch { xid })
    }

    /// Sends a migration's raw SQL with the check appended, in one round trip: whether the SQL ended the
    /// transaction (see [`ended`](Self::ended)), or the SQL's error. The check goes last, on a line of its
    /// own, so error positions in the SQL are unchanged and a trailing `--` comment cannot swallow it.
    pub(super) fn execute(
        &self,
        conn: &mut impl GenericClient,
        sql: &str,
    ) -> Result<Option<Ended>, postgres::Error> {
        let messages = conn.simple_query(&format!(
            "{sql}\n;SELECT pg_catalog.txid_current_if_assigned()"
        ))?;
        let current = last_value(&messages).and_then(|v| v.parse::<i64>().ok());
        if current == Some(self.xid) {
            return Ok(None);
        }
        self.status(conn).map(Some)
    }

    /// `None` while the transaction is open (an aborted one, after a failed statement, still is); once it
    /// ended, how.
    pub(super) fn ended(
        &self,
        conn: &mut impl GenericClient,
    ) -> Result<Option<Ended>, postgres::Error> {
        let current: Option<i64> = match conn
            .query_one("SELECT pg_catalog.txid_current_if_assigned()", &[])
        {
            Ok(row) => row.get(0),
            Err(e) if e.code() == Some(&postgres::error::SqlState::IN_FAILED_SQL_TRANSACTION) => {
                return self.ended_when_aborted(conn)
            }
            Err(e) => return Err(e),
        };
        if current == Some(self.xid) {
            return Ok(None);
        }
        self.status(conn).map(Some)
    }

    /// An aborted transaction answers no query, and it may be the runner's own or one that a `COMMIT AND
    /// CHAIN` opened before the statement that failed (the COMMIT then committed what came before it). The
    /// runner rolls it back anyway, so roll it back here and ask what became of the runner's own: committed
    /// means it ended under the runner. A new, empty transaction block takes its place, so the session is as
    /// the caller left it (in a transaction it will roll back).
    fn ended_when_aborted(
        &self,
        conn: &mut impl GenericClient,
    ) -> Result<Option<Ended>, postgres::Error> {
        conn.batch_execute("ROLLBACK")?;
        let status: Option<String> = conn
            .query_one("SELECT pg_catalog.txid_status($1)", &[&self.xid])?
            .get(0);
        conn.batch_execute("BEGIN")?;
        Ok((status.as_deref() == Some("committed")).then_some(Ended {
            committed: true,
            chained: true,
        }))
    }

    /// Whether the ended transaction was committed, and whether a transaction block is open again.
    fn status(&self, conn: &mut impl GenericClient) -> Result<Ended, postgres::Error> {
        let status: Option<String> = conn
            .query_one("SELECT pg_catalog.txid_status($1)", &[&self.xid])?
            .get(0);
        Ok(Ended {
            committed: status.as_deref() == Some("committed"),
            chained: in_transaction_block(conn)?,
        })
    }
}

/// Whether the session is inside a transaction block: a `SAVEPOINT` is refused outside one (and is released
/// at once inside one, leaving nothing). The protocol's transaction status would say it, but the driver does
/// not expose it. Each statement is sent on its own: several in one query would run in an implicit block.
fn in_transaction_block(conn: &mut impl GenericClient) -> Result<bool, postgres::Error> {
    use postgres::error::SqlState;
    match conn.batch_execute("SAVEPOINT migrate_transaction_check") {
        Ok(()) => {
            conn.batch_execute("RELEASE SAVEPOINT migrate_transaction_check")?;
            Ok(true)
        }
        Err(e) if e.code() == Some(&SqlState::NO_ACTIVE_SQL_TRANSACTION) => Ok(false),
        // An aborted block is still a block.
        Err(e) if e.code() == Some(&SqlState::IN_FAILED_SQL_TRANSACTION) => Ok(true),
        Err(e) => Err(e),
    }
}

/// The first column of the last row of a simple query's results.
fn last_value(messages: &[postgres::SimpleQueryMessage]) -> Option<&str> {
    messages.iter().rev().find_map(|m| match m {
        postgres::SimpleQueryMessage::Row(row) => Some(row.get(0)),
        _ => None,
    })?
}
