//! How the SQL of an imported file meets this tool's transaction.
//!
//! This tool runs a migration in one transaction of its own, or (`pgm.no_transaction()`) outside any, sending
//! its raw SQL one statement at a time. Other tools' files can manage their own transaction (`BEGIN;` ...
//! `COMMIT;` around everything: inside this tool's transaction the `COMMIT` would end it early), or hold
//! statements that PostgreSQL refuses in a transaction block (`CREATE INDEX CONCURRENTLY`, `VACUUM`, ...)
//! without the other tool's marker for running outside one. [`check`] reads one side's SQL (the up or the
//! down) and decides:
//!
//! - nothing to change;
//! - a `BEGIN` as its first statement and a `COMMIT` as its last, with no other transaction control and no
//!   statement that cannot run in a transaction: both are removed, and it runs in this tool's transaction
//!   ([`TransactionChange::Unwrapped`]);
//! - a statement that cannot run in a transaction, no transaction control and no marker: it runs outside a
//!   transaction ([`TransactionChange::NoTransaction`]);
//! - anything else with transaction control (several transactions, statements outside the one, `ROLLBACK`,
//!   `BEGIN` with options, a concurrent index build inside the file's own transaction) is refused.
//!
//! Statements are found by the engine's own splitter ([`migrate_dsl::split_statements`], the one a
//! no-transaction migration is run with) and their words by squawk's SQL lexer, so comments, string literals,
//! quoted identifiers and dollar-quoted bodies (`DO $$ BEGIN ... END $$`) are never read as statements.

use migrate_dsl::split_statements;
use squawk_lexer::{tokenize, TokenKind};

/// What `import` changed about how one side of a migration runs, from reading its SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionChange {
    /// The SQL opened and committed its own transaction around all of its statements: that `BEGIN` and
    /// `COMMIT` (as written) were removed, and it runs in this tool's transaction.
    Unwrapped {
        begin: String,
        commit: String,
        /// The source's marker for running outside a transaction, no longer followed: the SQL made a
        /// transaction of its own anyway.
        dropped_marker: Option<String>,
    },
    /// The SQL holds `statement` (`CREATE INDEX CONCURRENTLY`, `VACUUM`, ...), which PostgreSQL runs only
    /// outside a transaction block, and the source did not mark it: it runs outside a transaction, its
    /// `statements` statements one at a time, each committed on its own.
    NoTransaction { statement: String, statements: usize },
}

impl TransactionChange {
    /// Whether the side runs outside a transaction because of this change.
    pub fn outside_transaction(&self) -> bool {
        matches!(self, TransactionChange::NoTransaction { .. })
    }
}

/// The outcome of [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Runs as the source says.
    Keep,
    /// Runs with this change; `sql` is the SQL to write (changed for [`TransactionChange::Unwrapped`]).
    Change {
        sql: String,
        change: TransactionChange,
    },
    /// Cannot be converted faithfully: why.
    Refuse(String),
}

/// What a top-level statement is, as far as transactions go.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// `BEGIN`, `BEGIN WORK`, `BEGIN TRANSACTION`, `START TRANSACTION`.
    Begin,
    /// `COMMIT` or `END`, with `WORK` or `TRANSACTION` or nothing after it.
    Commit,
    /// Any other statement that opens, ends or hands over a transaction: `BEGIN` or `START TRANSACTION` with
    /// options, `ROLLBACK`, `ABORT`, `COMMIT AND CHAIN`, `PREPARE TRANSACTION`, `COMMIT PREPARED`, ...
    OtherControl,
    /// A statement PostgreSQL refuses inside a transaction block, by name.
    Outside(&'static str),
    /// Anything else.
    Plain,
}

/// One top-level statement: where its words start and end in the SQL, its words, and its kind.
struct Statement {
    /// Byte range in the SQL from its first word to the end of its last (leading comments excluded).
    start: usize,
    end: usize,
    /// Where the statement as the splitter found it ends (a trailing comment included), before its `;`.
    part_end: usize,
    kind: Kind,
}

/// Reads `sql` (one side of a migration). `marker` is the source's marker for running it outside a
/// transaction, when it has one. `repeatable`: a repeatable migration, which this tool always runs in a
/// transaction.
pub(crate) fn check(sql: &str, marker: Option<&str>, repeatable: bool) -> Verdict {
    let statements = statements(sql);
    let control: Vec<usize> = (0..statements.len())
        .filter(|&i| {
            matches!(
                statements[i].kind,
                Kind::Begin | Kind::Commit | Kind::OtherControl
            )
        })
        .collect();
    let outside = statements.iter().find_map(|s| match s.kind {
        Kind::Outside(name) => Some(name),
        _ => None,
    });
    let text = |s: &Statement| one_line(&sql[s.start..s.end]);
    if control.is_empty() {
        return match (outside, marker) {
            (None, _) | (Some(_), Some(_)) => Verdict::Keep,
            (Some(name), None) if repeatable => Verdict::Refuse(format!(
                "`{name}` cannot run in a transaction, and this tool runs a repeatable migration in one; \
                 make it a versioned migration"
            )),
            (Some(name), None) => Verdict::Change {
                sql: sql.to_owned(),
                change: TransactionChange::NoTransaction {
                    statement: name.to_owned(),
                    statements: statements.len(),
                },
            },
        };
    }
    let last = statements.len() - 1;
    let wraps = statements.len() >= 2
        && control == [0, last]
        && statements[0].kind == Kind::Begin
        && statements[last].kind == Kind::Commit;
    if !wraps {
        let first = &statements[control[0]];
        let what = match first.kind {
            Kind::OtherControl => format!(
                "`{}` (statement {} of {})",
                text(first),
                control[0] + 1,
                statements.len()
            ),
            _ => format!(
                "{} transaction control statement{} (`{}` first, statement {} of {})",
                control.len(),
                if control.len() == 1 { "" } else { "s" },
                text(first),
                control[0] + 1,
                statements.len()
            ),
        };
        return Verdict::Refuse(format!(
            "it controls transactions itself with {what}, not as one BEGIN ... COMMIT around all of it; this \
             tool runs a migration in one transaction, or outside any (pgm.no_transaction()): split it into \
             files of one transaction each, or remove the transaction control"
        ));
    }
    if let Some(name) = outside {
        return Verdict::Refuse(format!(
            "`{name}` inside the file's own BEGIN ... COMMIT: PostgreSQL refuses it in a transaction block; \
             remove the BEGIN and COMMIT, or move `{name}` to a file of its own"
        ));
    }
    let (begin, commit) = (&statements[0], &statements[last]);
    let mut unwrapped = String::with_capacity(sql.len());
    let (begin_from, begin_to) = removal(sql, begin);
    let (commit_from, commit_to) = removal(sql, commit);
    unwrapped.push_str(&sql[..begin_from]);
    unwrapped.push_str(&sql[begin_to..commit_from]);
    unwrapped.push_str(&sql[commit_to..]);
    Verdict::Change {
        sql: unwrapped,
        change: TransactionChange::Unwrapped {
            begin: text(begin),
            commit: text(commit),
            dropped_marker: marker.map(str::to_owned),
        },
    }
}

/// The top-level statements of `sql`, with their kinds.
fn statements(sql: &str) -> Vec<Statement> {
    let mut out = Vec::new();
    for part in split_statements(sql) {
        let mut words: Vec<String> = Vec::new();
        let mut first: Option<usize> = None;
        let mut end = 0;
        let mut at = 0;
        for token in tokenize(part.sql) {
            let len = token.len as usize;
            let range = at..at + len;
            at += len;
            match token.kind {
                TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment { .. } => {
                    continue
                }
                TokenKind::Ident => words.push(part.sql[range.clone()].to_ascii_uppercase()),
                // Anything else (a literal, a quoted name, punctuation) is no keyword: kept as a mark so that
                // the words around it are not read as adjacent.
                _ => words.push(String::new()),
            }
            first.get_or_insert(range.start);
            end = range.end;
        }
        let Some(first) = first else {
            continue;
        };
        out.push(Statement {
            start: part.offset + first,
            end: part.offset + end,
            part_end: part.offset + part.sql.len(),
            kind: kind(&words),
        });
    }
    out
}

/// The kind of a statement from its words (upper case; `""` for a token that is not a word).
fn kind(words: &[String]) -> Kind {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let has = |word: &str| w.contains(&word);
    let optional_noise = |rest: &[&str]| matches!(rest, [] | ["WORK"] | ["TRANSACTION"]);
    match w.as_slice() {
        ["BEGIN", rest @ ..] if optional_noise(rest) => Kind::Begin,
        ["START", "TRANSACTION"] => Kind::Begin,
        ["COMMIT" | "END", rest @ ..] if optional_noise(rest) => Kind::Commit,
        // Savepoints work inside this tool's transaction like inside the file's own.
        ["ROLLBACK", .., "TO", _] | ["ROLLBACK", .., "TO", "SAVEPOINT", _] => Kind::Plain,
        ["BEGIN" | "COMMIT" | "END" | "ROLLBACK" | "ABORT", ..]
        | ["START", "TRANSACTION", ..]
        | ["PREPARE", "TRANSACTION", ..] => Kind::OtherControl,
        ["CREATE", "INDEX", "CONCURRENTLY", ..] | ["CREATE", "UNIQUE", "INDEX", "CONCURRENTLY", ..] => {
            Kind::Outside("CREATE INDEX CONCURRENTLY")
        }
        ["DROP", "INDEX", "CONCURRENTLY", ..] => Kind::Outside("DROP INDEX CONCURRENTLY"),
        ["REINDEX", ..] if has("CONCURRENTLY") => Kind::Outside("REINDEX ... CONCURRENTLY"),
        // What it rebuilds is the first of these words (`REINDEX TABLE database` rebuilds a table).
        ["REINDEX", rest @ ..] => match rest
            .iter()
            .find(|w| matches!(**w, "INDEX" | "TABLE" | "SCHEMA" | "DATABASE" | "SYSTEM"))
        {
            Some(&"DATABASE") => Kind::Outside("REINDEX DATABASE"),
            Some(&"SYSTEM") => Kind::Outside("REINDEX SYSTEM"),
            _ => Kind::Plain,
        },
        ["ALTER", "TABLE", ..] if has("DETACH") && has("CONCURRENTLY") => {
            Kind::Outside("ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY")
        }
        ["VACUUM", ..] => Kind::Outside("VACUUM"),
        ["CREATE", "DATABASE", ..] => Kind::Outside("CREATE DATABASE"),
        ["DROP", "DATABASE", ..] => Kind::Outside("DROP DATABASE"),
        ["ALTER", "DATABASE", ..] if w.windows(2).any(|p| p == ["SET", "TABLESPACE"]) => {
            Kind::Outside("ALTER DATABASE ... SET TABLESPACE")
        }
        ["CREATE", "TABLESPACE", ..] => Kind::Outside("CREATE TABLESPACE"),
        ["DROP", "TABLESPACE", ..] => Kind::Outside("DROP TABLESPACE"),
        ["ALTER", "SYSTEM", ..] => Kind::Outside("ALTER SYSTEM"),
        ["CREATE", "SUBSCRIPTION", ..] => Kind::Outside("CREATE SUBSCRIPTION"),
        ["DROP", "SUBSCRIPTION", ..] => Kind::Outside("DROP SUBSCRIPTION"),
        ["CLUSTER"] | ["CLUSTER", "VERBOSE"] => Kind::Outside("CLUSTER"),
        ["DISCARD", "ALL"] => Kind::Outside("DISCARD ALL"),
        _ => Kind::Plain,
    }
}

/// The bytes to remove for `statement`: from its first word (from the line's start when only indentation
/// precedes it on its line) to its terminating `;` (a comment before that included), and the rest of that line when only white space is left
/// on it.
fn removal(sql: &str, statement: &Statement) -> (usize, usize) {
    let line_start = sql[..statement.start].rfind('\n').map_or(0, |i| i + 1);
    let from = if sql[line_start..statement.start].trim().is_empty() {
        line_start
    } else {
        statement.start
    };
    let mut to = statement.part_end;
    let after = &sql[to..];
    let gap = after.len() - after.trim_start_matches([' ', '\t', '\r', '\n']).len();
    if after[gap..].starts_with(';') {
        to += gap + 1;
    }
    let rest = &sql[to..];
    let line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
    if rest[..line_end].trim().is_empty() {
        to += line_end;
    }
    (from, to)
}

/// A statement as one line, for messages: white space runs as one space, at most 60 characters.
fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() > 60 {
        format!("{}...", joined.chars().take(57).collect::<String>())
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(sql: &str) -> (String, TransactionChange) {
        match check(sql, None, false) {
            Verdict::Change { sql, change } => (sql, change),
            other => panic!("{sql:?}: {other:?}"),
        }
    }

    fn refused(sql: &str) -> String {
        match check(sql, None, false) {
            Verdict::Refuse(reason) => reason,
            other => panic!("{sql:?}: {other:?}"),
        }
    }

    #[test]
    fn plain_sql_is_kept() {
        assert_eq!(
            check("CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n", None, false),
            Verdict::Keep
        );
        assert_eq!(check("", None, false), Verdict::Keep);
        assert_eq!(check("-- nothing\n", None, false), Verdict::Keep);
    }

    #[test]
    fn an_own_transaction_around_everything_is_removed() {
        let (sql, change) = changed(
            "-- users\nBEGIN;\nCREATE TABLE users (id int);\n  INSERT INTO users VALUES (1);\nCOMMIT;\n-- done\n",
        );
        assert_eq!(
            sql,
            "-- users\nCREATE TABLE users (id int);\n  INSERT INTO users VALUES (1);\n-- done\n"
        );
        assert_eq!(
            change,
            TransactionChange::Unwrapped {
                begin: "BEGIN".to_owned(),
                commit: "COMMIT".to_owned(),
                dropped_marker: None
            }
        );
        // Other spellings, on one line, without a last terminator.
        let (sql, change) = changed("start transaction; SELECT 1; end transaction");
        assert_eq!(sql, " SELECT 1; ");
        assert!(matches!(change, TransactionChange::Unwrapped { ref begin, ref commit, .. }
            if begin == "start transaction" && commit == "end transaction"));
        let (sql, _) = changed("BEGIN WORK ;\r\nSELECT 1;\r\nCOMMIT -- the end\n;\r\n");
        assert_eq!(sql, "SELECT 1;\r\n");
    }

    #[test]
    fn a_marker_is_dropped_with_the_own_transaction() {
        match check("BEGIN;\nSELECT 1;\nCOMMIT;\n", Some("`x`"), false) {
            Verdict::Change {
                change: TransactionChange::Unwrapped { dropped_marker, .. },
                ..
            } => assert_eq!(dropped_marker.as_deref(), Some("`x`")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn comments_strings_and_bodies_are_not_statements() {
        let sql = "/* BEGIN; */ -- COMMIT;\nSELECT 'BEGIN;';\nSELECT \"commit\" FROM t;\n\
                   DO $$ BEGIN PERFORM 1; END $$;\n\
                   CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n\
                   COMMENT ON TABLE t IS 'CREATE INDEX CONCURRENTLY x ON t (id)';\n\
                   SELECT $q$VACUUM$q$;\n";
        assert_eq!(check(sql, None, false), Verdict::Keep);
    }

    #[test]
    fn statements_outside_a_transaction_make_it_no_transaction() {
        let (sql, change) = changed("-- the index\ncreate unique index concurrently i ON t (id);\n");
        assert_eq!(sql, "-- the index\ncreate unique index concurrently i ON t (id);\n");
        assert_eq!(
            change,
            TransactionChange::NoTransaction {
                statement: "CREATE INDEX CONCURRENTLY".to_owned(),
                statements: 1
            }
        );
        for (sql, name) in [
            ("DROP INDEX CONCURRENTLY IF EXISTS i", "DROP INDEX CONCURRENTLY"),
            ("REINDEX (VERBOSE) TABLE CONCURRENTLY t", "REINDEX ... CONCURRENTLY"),
            ("REINDEX DATABASE app", "REINDEX DATABASE"),
            ("REINDEX (VERBOSE) SYSTEM", "REINDEX SYSTEM"),
            ("ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY", "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY"),
            ("VACUUM (ANALYZE) t", "VACUUM"),
            ("CREATE DATABASE other", "CREATE DATABASE"),
            ("DROP DATABASE other", "DROP DATABASE"),
            ("ALTER DATABASE d SET TABLESPACE s", "ALTER DATABASE ... SET TABLESPACE"),
            ("CREATE TABLESPACE s LOCATION '/x'", "CREATE TABLESPACE"),
            ("DROP TABLESPACE s", "DROP TABLESPACE"),
            ("ALTER SYSTEM SET work_mem = '8MB'", "ALTER SYSTEM"),
            ("CREATE SUBSCRIPTION s CONNECTION '' PUBLICATION p", "CREATE SUBSCRIPTION"),
            ("DROP SUBSCRIPTION s", "DROP SUBSCRIPTION"),
            ("CLUSTER", "CLUSTER"),
            ("DISCARD ALL", "DISCARD ALL"),
        ] {
            let (_, change) = changed(&format!("SELECT 1;\n{sql};\n"));
            assert_eq!(
                change,
                TransactionChange::NoTransaction {
                    statement: name.to_owned(),
                    statements: 2
                },
                "{sql}"
            );
        }
        // Not these: they run in a transaction.
        for sql in [
            "CREATE INDEX i ON t (id)",
            "REINDEX TABLE t",
            "REINDEX TABLE database",
            "ALTER DATABASE d SET work_mem = '8MB'",
            "ALTER TABLE p DETACH PARTITION p1",
            "CLUSTER t USING i",
            "ALTER TYPE mood ADD VALUE 'meh'",
            "SAVEPOINT a",
            "ROLLBACK TO SAVEPOINT a",
            "ROLLBACK TO a",
            "PREPARE q AS SELECT 1",
        ] {
            assert_eq!(check(sql, None, false), Verdict::Keep, "{sql}");
        }
    }

    #[test]
    fn a_marker_keeps_statements_outside_a_transaction_as_they_are() {
        assert_eq!(
            check("CREATE INDEX CONCURRENTLY i ON t (id);", Some("`m`"), false),
            Verdict::Keep
        );
    }

    #[test]
    fn a_repeatable_migration_cannot_run_outside_a_transaction() {
        let Verdict::Refuse(reason) = check("VACUUM t;", None, true) else {
            panic!()
        };
        assert!(reason.contains("`VACUUM` cannot run in a transaction"), "{reason}");
    }

    #[test]
    fn other_transaction_control_is_refused() {
        let reason = refused("BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;\nCOMMIT;\n");
        assert!(
            reason.contains("with 4 transaction control statements (`BEGIN` first, statement 1 of 6)"),
            "{reason}"
        );
        let reason = refused("CREATE TABLE t (id int);\nBEGIN;\nSELECT 1;\nCOMMIT;\n");
        assert!(reason.contains("(`BEGIN` first, statement 2 of 4)"), "{reason}");
        let reason = refused("BEGIN ISOLATION LEVEL SERIALIZABLE;\nSELECT 1;\nCOMMIT;\n");
        assert!(
            reason.contains("with `BEGIN ISOLATION LEVEL SERIALIZABLE` (statement 1 of 3)"),
            "{reason}"
        );
        for sql in [
            "SELECT 1; ROLLBACK;",
            "SELECT 1; COMMIT;",
            "BEGIN; SELECT 1;",
            "ABORT",
            "BEGIN; SELECT 1; COMMIT AND CHAIN; SELECT 2; COMMIT;",
            "PREPARE TRANSACTION 'x'",
            "COMMIT PREPARED 'x'",
            "BEGIN; COMMIT; VACUUM;",
        ] {
            refused(sql);
        }
        let reason = refused("BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (id);\nCOMMIT;\n");
        assert!(
            reason.starts_with("`CREATE INDEX CONCURRENTLY` inside the file's own BEGIN ... COMMIT"),
            "{reason}"
        );
    }
}
