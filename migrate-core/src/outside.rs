//! Statements outside a transaction, by their text: which PostgreSQL refuses in a transaction block (the
//! engine sends those on their own), and which the engine can tell, after an interruption that may or may not
//! have let them take effect, how to continue (the catalog says whether a named concurrent build finished;
//! maintenance and `IF [NOT] EXISTS` forms simply run again). The rest need a person when interrupted, which
//! `lint` says before they run.

/// Whether PostgreSQL refuses `sql` in a transaction block, or `sql` ends or opens transactions itself
/// (`COMMIT`, a `CALL` of a procedure that commits): it is sent on its own. What this does not recognise and
/// the server refuses in a transaction (SQLSTATE 25001) is sent on its own after that refusal.
pub(crate) fn must_run_alone(sql: &str) -> bool {
    let words = leading_words(sql, 16);
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let has = |word: &str| w.contains(&word);
    match w.as_slice() {
        ["CREATE", "INDEX", "CONCURRENTLY", ..]
        | ["CREATE", "UNIQUE", "INDEX", "CONCURRENTLY", ..]
        | ["DROP", "INDEX", "CONCURRENTLY", ..]
        | ["VACUUM", ..]
        | ["CLUSTER"]
        | ["CLUSTER", "VERBOSE"]
        | ["ALTER", "SYSTEM", ..]
        | ["CREATE" | "DROP", "DATABASE" | "TABLESPACE", ..]
        | ["BEGIN" | "START" | "COMMIT" | "END" | "ROLLBACK" | "ABORT", ..]
        | ["SAVEPOINT" | "RELEASE" | "CALL", ..]
        | ["PREPARE", "TRANSACTION", ..] => true,
        ["REINDEX", ..] => has("CONCURRENTLY") || matches!(w.get(1), Some(&"SYSTEM" | &"DATABASE")),
        ["ALTER", "TABLE", ..] => has("DETACH") && has("CONCURRENTLY"),
        ["ALTER", "DATABASE", ..] => has("TABLESPACE"),
        _ => false,
    }
}

/// The first `n` words of `sql`, upper-cased, after comments; a quoted identifier counts as the word `"`.
/// Stops at anything else (a parenthesis, a literal, the end of the statement).
fn leading_words(sql: &str, n: usize) -> Vec<String> {
    let bytes = sql.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    while words.len() < n && i < bytes.len() {
        match bytes[i] {
            b if b.is_ascii_whitespace() || b == b'.' || b == b',' => i += 1,
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => match sql[i + 2..].find("*/") {
                Some(end) => i += end + 4,
                None => break,
            },
            b'"' => match sql[i + 1..].find('"') {
                Some(end) => {
                    words.push("\"".to_owned());
                    i += end + 2;
                }
                None => break,
            },
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                words.push(sql[start..i].to_ascii_uppercase());
            }
            _ => break,
        }
    }
    words
}

/// Statements that can simply be sent again after an interruption that may or may not have let them take
/// effect: maintenance, and builds and drops that say `IF [NOT] EXISTS`.
pub(crate) fn runs_again_safely(sql: &str) -> bool {
    let words = leading_words(sql, 8);
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let if_exists = w.windows(2).any(|p| p == ["IF", "EXISTS"]);
    matches!(
        w.as_slice(),
        ["VACUUM" | "ANALYZE" | "ANALYSE" | "REINDEX" | "CLUSTER" | "CHECKPOINT", ..]
            | ["REFRESH", "MATERIALIZED", "VIEW", ..]
            | ["ALTER", "SYSTEM", ..]
    ) || (matches!(w.as_slice(), ["DROP", "INDEX", "CONCURRENTLY", ..]) && if_exists)
}

/// Whether the engine can continue after `sql` was interrupted outside any transaction without knowing
/// whether it took effect: a named concurrent index build (the catalog tells), or a statement that simply
/// runs again. What `lint` asks of a concurrent index statement next to other statements.
#[cfg(feature = "lint")]
pub(crate) fn recognised_after_interruption(sql: &str) -> bool {
    crate::invalid_index::concurrent_build(sql).is_some() || runs_again_safely(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_that_cannot_run_in_a_transaction_are_recognised() {
        for sql in [
            "CREATE INDEX CONCURRENTLY i ON t (c)",
            "create unique index concurrently on t (c)",
            "-- a comment\n/* and another */ DROP INDEX CONCURRENTLY IF EXISTS i",
            "VACUUM (ANALYZE) t",
            "REINDEX INDEX CONCURRENTLY i",
            "ALTER TABLE \"p\" DETACH PARTITION \"p1\" CONCURRENTLY",
            "CREATE DATABASE x",
            "COMMIT",
            "CALL archive_old_rows()",
            "ALTER SYSTEM SET work_mem = '8MB'",
        ] {
            assert!(must_run_alone(sql), "{sql}");
        }
        for sql in [
            "CREATE INDEX i ON t (c)",
            "ALTER TABLE t ADD COLUMN c text",
            "REINDEX INDEX i",
            "ALTER TABLE p DETACH PARTITION p1",
            "UPDATE t SET concurrently = 1",
            "DO $$ BEGIN COMMIT; END $$",
        ] {
            assert!(!must_run_alone(sql), "{sql}");
        }
    }

    #[test]
    fn only_maintenance_and_guarded_drops_run_again_blindly() {
        assert!(runs_again_safely("VACUUM ANALYZE t"));
        assert!(runs_again_safely("DROP INDEX CONCURRENTLY IF EXISTS i"));
        assert!(!runs_again_safely("DROP INDEX CONCURRENTLY i"));
        assert!(!runs_again_safely("CREATE DATABASE x"));
        assert!(!runs_again_safely("COMMIT"));
    }

    #[cfg(feature = "lint")]
    #[test]
    fn named_builds_are_recognised_unnamed_ones_are_not() {
        assert!(recognised_after_interruption(
            "CREATE INDEX CONCURRENTLY posts_title ON posts (title)"
        ));
        assert!(!recognised_after_interruption(
            "CREATE INDEX CONCURRENTLY ON posts (title)"
        ));
        assert!(!recognised_after_interruption("CALL archive()"));
    }
}
