//! A migration's own SQL or data code that ended the runner's transaction.

use super::*;

/// A transactional migration whose own SQL or data code ended the runner's transaction.
#[derive(Debug)]
#[non_exhaustive]
pub struct TransactionEnded {
    pub name: String,
    pub path: String,
    pub direction: Direction,
    /// 1-based position of the operation that ended it.
    pub position: usize,
    pub op: &'static str,
    /// The line of the operation's call (`pgm.xxx(..)`) in the migration file, when it was recorded there.
    pub line: Option<u32>,
    /// Whether the server committed the transaction (a `COMMIT`), rather than rolling it back.
    pub committed: bool,
    /// Whether a new transaction was open when the runner looked (`COMMIT AND CHAIN`, `ROLLBACK AND CHAIN`):
    /// what the operation ran after the end was in it, and the runner rolled it back, rather than each
    /// statement committing on its own.
    pub chained: bool,
    /// Statements of this migration known to be committed: those of earlier transactions of a split
    /// migration, and with a `COMMIT`, those of this transaction up to the one that committed it.
    pub statements_committed: usize,
    /// The operation's own error, when it also failed: a statement's `postgres::Error`, or a
    /// [`DataCause`].
    pub cause: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// With `--single-transaction`: the migrations before it in the run, committed and recorded with it
    /// when the transaction was committed.
    pub earlier_in_run: Vec<String>,
}

impl std::fmt::Display for TransactionEnded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = At::new(&self.name, &self.path, self.line, self.position, self.op);
        writeln!(
            f,
            "{} ended the migration's transaction in `{}` {}: its SQL or data code ran COMMIT or ROLLBACK",
            at.migration(),
            self.direction,
            at.operation()
        )?;
        if let Some(cause) = &self.cause {
            writeln!(
                f,
                "  the operation also failed: {}",
                describe_data_error(cause.as_ref())
            )?;
        }
        // What ran after the end: in a chained transaction, rolled back with it when the runner stopped;
        // otherwise outside any transaction, so committed statement by statement.
        let after = match (self.committed, self.chained) {
            (true, true) => "what it ran after the COMMIT AND CHAIN ran in the new transaction that opened, which the runner rolled back: that part is not in the database",
            (true, false) => "anything it ran after the COMMIT was committed on its own",
            (false, true) => "what the operation ran after the ROLLBACK AND CHAIN ran in the new transaction that opened, which the runner rolled back too",
            (false, false) => "anything the operation ran after the ROLLBACK was committed on its own",
        };
        if self.committed {
            writeln!(
                f,
                "  the transaction was committed: the statements of this migration up to that operation are in the database, and {after}"
            )?;
            if !self.earlier_in_run.is_empty() {
                writeln!(
                    f,
                    "  the run was one transaction: the migrations before it in this run were committed and recorded with it: {}",
                    self.earlier_in_run.join(", ")
                )?;
            }
        } else {
            let but = if self.chained { "and" } else { "but" };
            writeln!(
                f,
                "  the transaction was rolled back: the statements before that point were undone, {but} {after}"
            )?;
        }
        write!(
            f,
            "  it is not recorded as applied, and it is marked as failed part-way: `up`, `down` and `redo` refuse until you finish or undo it by hand and run `repair {}`\n\
             \x20 leave transactions to the runner: split the work into separate migrations, or use pgm.no_transaction() for statements that must run outside one",
            self.name
        )
    }
}

impl std::error::Error for TransactionEnded {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
