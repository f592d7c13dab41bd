//! Data code (`pgm.db`) in a transaction of its own, and watching that a migration's SQL or data code did
//! not end the transaction the runner opened for it.

use std::ops::ControlFlow;

use postgres::error::SqlState;
use postgres::GenericClient;

use migrate_dsl::{DataFn, DataResult};

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
    let mut failure = failure_of(result);
    if let Some(watch) = watch {
        let checked = watch.ended(&mut tx);
        match watched(failure, checked, |e| {
            DataCause::database("cannot check its transaction")(e)
        }) {
            ControlFlow::Break(run) => return run,
            ControlFlow::Continue(carried) => failure = carried,
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

/// Why data code failed, if it did: the error it returned, or the message it panicked with.
fn failure_of(result: std::thread::Result<DataResult>) -> Option<DataCause> {
    match result {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(DataCause::Returned(e)),
        Err(panic) => Some(DataCause::Panicked(panic_message(&panic))),
    }
}

/// What the watch's answer (`checked`) makes of data code's run: over when the code ended the migration's
/// transaction (with the code's own failure, if any), or when the check itself failed (then the code's own
/// failure, if any, is the one reported: it tells more than the check's); otherwise the run goes on, to
/// release the savepoint or report `failure`.
fn watched<E>(
    failure: Option<DataCause>,
    checked: Result<Option<Ended>, E>,
    cannot_check: impl FnOnce(E) -> DataCause,
) -> ControlFlow<DataRun, Option<DataCause>> {
    match checked {
        Ok(Some(ended)) => ControlFlow::Break(DataRun {
            result: failure.map_or(Ok(()), Err),
            ended: Some(ended),
        }),
        Ok(None) => ControlFlow::Continue(failure),
        Err(e) => ControlFlow::Break(DataRun {
            result: Err(failure.unwrap_or_else(|| cannot_check(e))),
            ended: None,
        }),
    }
}

/// Who opens a migration's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Begin {
    /// The driver did (a `postgres::Transaction`, which data code needs for its savepoint).
    Opened,
    /// The migration's first query does, with a `BEGIN` in front: one round trip less for a migration of
    /// plain statements, whose transaction the runner ends itself.
    WithFirstQuery,
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
    /// trip; with [`Begin::WithFirstQuery`], that round trip opens the transaction too.
    pub(super) fn start(
        conn: &mut impl GenericClient,
        begin: Begin,
        first: &[String],
    ) -> Result<Self, postgres::Error> {
        let messages = conn.simple_query(&start_sql(begin, first))?;
        let xid = parse_xid(first_column(&messages).next_back().flatten()).unwrap_or(-1);
        Ok(TransactionWatch { xid })
    }

    /// Starts the watch with the transaction's first statement in the same round trip: `first` (the
    /// `SET LOCAL` statements) and the transaction's id, then `sql` with the check appended. Only for a
    /// statement that cannot end the transaction ([`can_start_with`]): when it fails, the id is lost with the
    /// query's other results, and the transaction is known to be still open (aborted). The error comes with
    /// the number of characters sent before `sql`, for its position.
    pub(super) fn start_with(
        conn: &mut impl GenericClient,
        begin: Begin,
        first: &[String],
        sql: &str,
    ) -> Result<(Self, Option<Ended>), (postgres::Error, usize)> {
        let before = format!("{};\n", start_sql(begin, first));
        let messages = conn
            .simple_query(&format!("{before}{}", with_check(sql)))
            .map_err(|e| (e, before.chars().count()))?;
        let watch = TransactionWatch {
            xid: parse_xid(first_column(&messages).next().flatten()).unwrap_or(-1),
        };
        let ended = watch.checked(conn, &messages).map_err(|e| (e, 0))?;
        Ok((watch, ended))
    }

    /// Sends a migration's raw SQL with the check appended, in one round trip: whether the SQL ended the
    /// transaction (see [`ended`](Self::ended)), or the SQL's error. The check goes last, on a line of its
    /// own, so error positions in the SQL are unchanged and a trailing `--` comment cannot swallow it.
    pub(super) fn execute(
        &self,
        conn: &mut impl GenericClient,
        sql: &str,
    ) -> Result<Option<Ended>, postgres::Error> {
        let messages = conn.simple_query(&with_check(sql))?;
        self.checked(conn, &messages)
    }

    /// What the check that ends a query's `messages` ([`with_check`]) says: `None` while the transaction is
    /// open, else how it ended.
    fn checked(
        &self,
        conn: &mut impl GenericClient,
        messages: &[postgres::SimpleQueryMessage],
    ) -> Result<Option<Ended>, postgres::Error> {
        if self.is_open(parse_xid(first_column(messages).next_back().flatten())) {
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
            Err(e) if e.code() == Some(&SqlState::IN_FAILED_SQL_TRANSACTION) => {
                return self.ended_when_aborted(conn)
            }
            Err(e) => return Err(e),
        };
        if self.is_open(current) {
            return Ok(None);
        }
        self.status(conn).map(Some)
    }

    /// Whether `current`, the session's transaction id now (`txid_current_if_assigned()`), is still the
    /// watched transaction's: a new one (`COMMIT AND CHAIN`, a `BEGIN` after the end), or none at all, means
    /// the watched transaction ended.
    fn is_open(&self, current: Option<i64>) -> bool {
        current == Some(self.xid)
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
        Ok(ended_behind_abort(status.as_deref()))
    }

    /// Whether the ended transaction was committed, and whether a transaction block is open again.
    fn status(&self, conn: &mut impl GenericClient) -> Result<Ended, postgres::Error> {
        let status: Option<String> = conn
            .query_one("SELECT pg_catalog.txid_status($1)", &[&self.xid])?
            .get(0);
        Ok(Ended {
            committed: committed(status.as_deref()),
            chained: in_transaction_block(conn)?,
        })
    }
}

/// Whether the session is inside a transaction block: a `SAVEPOINT` is refused outside one (and is released
/// at once inside one, leaving nothing). The protocol's transaction status would say it, but the driver does
/// not expose it. Each statement is sent on its own: several in one query would run in an implicit block.
fn in_transaction_block(conn: &mut impl GenericClient) -> Result<bool, postgres::Error> {
    match conn.batch_execute("SAVEPOINT migrate_transaction_check") {
        Ok(()) => {
            conn.batch_execute("RELEASE SAVEPOINT migrate_transaction_check")?;
            Ok(true)
        }
        Err(e) => match in_block_when_refused(e.code()) {
            Some(in_block) => Ok(in_block),
            None => Err(e),
        },
    }
}

/// What a refused `SAVEPOINT` says of the session ([`in_transaction_block`]): outside a block, or in an
/// aborted one (still a block); `None` for any other error, which says nothing about it.
fn in_block_when_refused(code: Option<&SqlState>) -> Option<bool> {
    if code == Some(&SqlState::NO_ACTIVE_SQL_TRANSACTION) {
        Some(false)
    } else if code == Some(&SqlState::IN_FAILED_SQL_TRANSACTION) {
        Some(true)
    } else {
        None
    }
}

/// Whether `txid_status` says the transaction committed: not when it was aborted, is still in progress, or
/// is too old for the server to tell (NULL).
fn committed(status: Option<&str>) -> bool {
    status == Some("committed")
}

/// How the runner's transaction ended, if it did, once an aborted transaction was rolled back (see
/// [`TransactionWatch::ended_when_aborted`]), from the runner's transaction's `txid_status`: committed means
/// a `COMMIT AND CHAIN` ended it and the aborted transaction was the one chained after it; otherwise the
/// aborted transaction was the runner's own, which did not end under the runner.
fn ended_behind_abort(status: Option<&str>) -> Option<Ended> {
    committed(status).then_some(Ended {
        committed: true,
        chained: true,
    })
}

/// The `SET LOCAL` statements that start a migration's transaction, followed by the query for the
/// transaction's id, as one simple query.
fn start_sql(begin: Begin, first: &[String]) -> String {
    let mut sql = String::new();
    if begin == Begin::WithFirstQuery {
        sql.push_str("BEGIN;\n");
    }
    sql.extend(first.iter().map(|s| format!("{s};\n")));
    sql.push_str("SELECT pg_catalog.txid_current()");
    sql
}

/// A migration's raw SQL with the watch's check appended ([`TransactionWatch::execute`]): on a line of its own
/// after the SQL, so a trailing `--` comment cannot swallow it, and after a `;`, so the SQL's last
/// statement ends even without one.
fn with_check(sql: &str) -> String {
    format!("{sql}\n;SELECT pg_catalog.txid_current_if_assigned()")
}

/// A transaction id as a simple query returns it, as text; `None` for NULL (no id assigned).
fn parse_xid(text: Option<&str>) -> Option<i64> {
    text.and_then(|v| v.parse().ok())
}

/// Whether a statement can go in the same query as the start of the watch ([`TransactionWatch::start_with`]):
/// one statement that a builder method rendered (never `pgm.sql`, whose text is the user's), which cannot end
/// the transaction: `COMMIT`, `ROLLBACK` and their kind are statements of their own, and a procedure or `DO`
/// block cannot end a transaction block it is called in.
pub(super) fn can_start_with(op: &str, sql: &str) -> bool {
    if op == "sql" {
        return false;
    }
    let statements = migrate_dsl::split_statements(sql);
    let [only] = statements.as_slice() else {
        return false;
    };
    // A leading comment or anything else unusual: not rendered by a builder method, so sent the usual way.
    let first_word = only
        .sql
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    !first_word.is_empty()
        && !matches!(
            first_word.as_str(),
            "COMMIT"
                | "ROLLBACK"
                | "END"
                | "ABORT"
                | "PREPARE"
                | "BEGIN"
                | "START"
                | "SAVEPOINT"
                | "RELEASE"
        )
}

/// The first column of each row of a simple query's results, in order (`None` for NULL).
fn first_column(
    messages: &[postgres::SimpleQueryMessage],
) -> impl DoubleEndedIterator<Item = Option<&str>> {
    messages.iter().filter_map(|m| match m {
        postgres::SimpleQueryMessage::Row(row) => Some(row.get(0)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use migrate_dsl::split_statements;

    use super::*;

    #[test]
    fn data_code_fails_with_what_it_returned_or_the_message_it_panicked_with() {
        assert!(failure_of(Ok(Ok(()))).is_none());
        let returned = failure_of(Ok(Err("no row for post 7".into())));
        assert!(
            matches!(&returned, Some(DataCause::Returned(_))),
            "{returned:?}"
        );
        assert_eq!(returned.unwrap().to_string(), "no row for post 7");
        // A panic's payload is what `panic!` was given: a literal, a formatted message, or anything else.
        let panicked = |payload: Box<dyn std::any::Any + Send>| {
            let cause = failure_of(Err(payload));
            assert!(
                matches!(&cause, Some(DataCause::Panicked(_))),
                "{cause:?}"
            );
            cause.unwrap().to_string()
        };
        assert_eq!(panicked(Box::new("index out of bounds")), "panicked: index out of bounds");
        assert_eq!(
            panicked(Box::new(format!("post {} has no author", 7))),
            "panicked: post 7 has no author"
        );
        assert_eq!(panicked(Box::new(42_u8)), "panicked: (no message)");
    }

    /// What [`watched`] decides, as text: `Break((result, ended))` ends the run there, `Continue(failure)`
    /// goes on.
    type Decided = ControlFlow<(Result<(), String>, Option<Ended>), Option<String>>;

    /// [`watched`]'s decision when the code failed or not (with a panic `boom`) and the check answered
    /// `checked`; the check's error is text (a `postgres::Error` cannot be made without a server).
    fn decided(code_failed: bool, checked: Result<Option<Ended>, &str>) -> Decided {
        let failure = code_failed.then(|| DataCause::Panicked("boom".to_owned()));
        match watched(failure, checked, |e| DataCause::Returned(e.into())) {
            ControlFlow::Break(run) => {
                ControlFlow::Break((run.result.map_err(|c| c.to_string()), run.ended))
            }
            ControlFlow::Continue(failure) => {
                ControlFlow::Continue(failure.map(|c| c.to_string()))
            }
        }
    }

    #[test]
    fn an_open_transaction_lets_the_run_go_on_with_the_codes_own_failure() {
        assert_eq!(decided(false, Ok(None)), ControlFlow::Continue(None));
        assert_eq!(
            decided(true, Ok(None)),
            ControlFlow::Continue(Some("panicked: boom".to_owned()))
        );
    }

    #[test]
    fn code_that_ended_the_transaction_stops_the_run_saying_how() {
        let committed = Ended {
            committed: true,
            chained: true,
        };
        assert_eq!(
            decided(false, Ok(Some(committed))),
            ControlFlow::Break((Ok(()), Some(committed)))
        );
        let rolled_back = Ended {
            committed: false,
            chained: false,
        };
        assert_eq!(
            decided(true, Ok(Some(rolled_back))),
            ControlFlow::Break((Err("panicked: boom".to_owned()), Some(rolled_back)))
        );
    }

    #[test]
    fn a_failed_check_stops_the_run_with_the_codes_own_failure_first() {
        assert_eq!(
            decided(true, Err("connection lost")),
            ControlFlow::Break((Err("panicked: boom".to_owned()), None))
        );
        assert_eq!(
            decided(false, Err("connection lost")),
            ControlFlow::Break((Err("connection lost".to_owned()), None))
        );
    }

    #[test]
    fn the_watched_transaction_is_open_only_while_the_session_has_its_id() {
        let watch = TransactionWatch { xid: 742 };
        assert!(watch.is_open(Some(742)));
        // `COMMIT AND CHAIN`, or a `BEGIN` after the end: another transaction, with an id of its own.
        assert!(!watch.is_open(Some(743)));
        // Ended, and no id assigned since.
        assert!(!watch.is_open(None));
    }

    #[test]
    fn transaction_ids_are_read_from_a_simple_querys_text() {
        assert_eq!(parse_xid(Some("742")), Some(742));
        // `txid_current()` counts epochs too: past 32 bits.
        assert_eq!(parse_xid(Some("8589934594")), Some(8_589_934_594));
        assert_eq!(parse_xid(None), None);
        assert_eq!(parse_xid(Some("")), None);
    }

    #[test]
    fn only_a_committed_status_counts_as_committed() {
        assert!(committed(Some("committed")));
        for status in [Some("aborted"), Some("in progress"), None] {
            assert!(!committed(status), "{status:?}");
        }
    }

    #[test]
    fn only_one_rendered_statement_that_cannot_end_the_transaction_carries_its_start() {
        assert!(can_start_with("create_table", "CREATE TABLE \"t\" (\n    \"id\" bigint PRIMARY KEY\n)"));
        assert!(can_start_with("add_columns", "ALTER TABLE \"t\" ADD \"note\" text DEFAULT ';'"));
        // The user's own SQL, several statements, a transaction statement, a leading comment: sent the usual way.
        assert!(!can_start_with("sql", "CREATE TABLE t (id int)"));
        assert!(!can_start_with("create_view", "CREATE VIEW v AS SELECT 1; COMMIT"));
        assert!(!can_start_with("create_table", "COMMIT"));
        assert!(!can_start_with("create_table", "end"));
        assert!(!can_start_with("create_table", "-- note\nCREATE TABLE t (id int)"));
        assert!(!can_start_with("create_table", ""));
    }

    #[test]
    fn behind_an_aborted_transaction_the_runners_own_ended_only_if_it_committed() {
        assert_eq!(
            ended_behind_abort(Some("committed")),
            Some(Ended {
                committed: true,
                chained: true,
            })
        );
        assert_eq!(ended_behind_abort(Some("aborted")), None);
        assert_eq!(ended_behind_abort(None), None);
    }

    #[test]
    fn a_refused_savepoint_tells_outside_a_block_or_in_an_aborted_one_and_nothing_else() {
        assert_eq!(
            in_block_when_refused(Some(&SqlState::NO_ACTIVE_SQL_TRANSACTION)),
            Some(false)
        );
        assert_eq!(
            in_block_when_refused(Some(&SqlState::IN_FAILED_SQL_TRANSACTION)),
            Some(true)
        );
        assert_eq!(in_block_when_refused(Some(&SqlState::QUERY_CANCELED)), None);
        // A lost connection has no SQLSTATE.
        assert_eq!(in_block_when_refused(None), None);
    }

    #[test]
    fn a_transaction_starts_with_its_settings_then_takes_its_id() {
        let settings = [
            "SET LOCAL lock_timeout = '5s'".to_owned(),
            "SET LOCAL statement_timeout = 0".to_owned(),
        ];
        assert_eq!(
            start_sql(Begin::Opened, &settings),
            "SET LOCAL lock_timeout = '5s';\nSET LOCAL statement_timeout = 0;\nSELECT pg_catalog.txid_current()"
        );
        assert_eq!(start_sql(Begin::Opened, &[]), "SELECT pg_catalog.txid_current()");
        // Opened by the query itself: the BEGIN first, so the settings are local to that transaction.
        assert_eq!(
            start_sql(Begin::WithFirstQuery, &settings[..1]),
            "BEGIN;\nSET LOCAL lock_timeout = '5s';\nSELECT pg_catalog.txid_current()"
        );
    }

    #[test]
    fn the_check_follows_the_sql_untouched_and_survives_a_trailing_comment() {
        for sql in [
            "UPDATE t SET v = 1 -- the last one",
            "UPDATE t SET v = 1;",
        ] {
            let checked = with_check(sql);
            // The SQL first, unchanged: the server's error positions point into it.
            assert!(checked.starts_with(sql), "{checked}");
            let statements: Vec<&str> = split_statements(&checked).iter().map(|s| s.sql).collect();
            assert_eq!(
                statements,
                [
                    sql.trim_end_matches(';'),
                    "SELECT pg_catalog.txid_current_if_assigned()"
                ],
                "{checked}"
            );
        }
    }
}
