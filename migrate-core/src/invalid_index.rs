//! Invalid indexes left by failed or interrupted `CREATE INDEX CONCURRENTLY` builds.
//!
//! A concurrent build that fails, or whose process is killed, leaves its index behind marked invalid: not
//! used by queries, yet maintained on every write. Running the migration again then either fails on the
//! name or, with `IF NOT EXISTS`, silently keeps the broken index. So before a concurrent build the runner
//! drops an invalid index of the same name on the same table, and after a failed build it drops the invalid
//! index that build left on its table (never one elsewhere: another tenant's, another build's).
//!
//! An index is also invalid while another session builds it concurrently. Dropping that one would wait for
//! the build (and fail on the lock timeout, hiding the migration's own error) or, without a timeout,
//! destroy the other session's work; so an invalid index is never taken for a leftover while a live
//! backend builds an index on its table (`pg_stat_progress_create_index`). Builds of other roles are
//! only visible as "something is building in this database" without `pg_read_all_stats`; then nothing is
//! dropped, and the next run (when nothing else builds) cleans up.

use postgres::GenericClient;

/// The index name and table of `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON [ONLY] table`,
/// as written (identifiers unquoted for the name, the table kept as SQL text for a `regclass` cast).
pub(crate) fn concurrent_build(sql: &str) -> Option<(String, String)> {
    let mut words = Tokens {
        rest: sql.trim_start(),
    };
    words.keyword("CREATE")?;
    words.optional_keyword("UNIQUE");
    words.keyword("INDEX")?;
    words.keyword("CONCURRENTLY")?;
    if words.optional_keyword("IF") {
        words.keyword("NOT")?;
        words.keyword("EXISTS")?;
    }
    let name = words.identifier()?;
    words.keyword("ON")?;
    words.optional_keyword("ONLY");
    let start = words.rest;
    words.identifier()?;
    if words.rest.starts_with('.') {
        words.rest = &words.rest[1..];
        words.identifier()?;
    }
    let table = start[..start.len() - words.rest.len()].trim().to_owned();
    Some((name, table))
}

/// The table of `CREATE [UNIQUE] INDEX CONCURRENTLY [[IF NOT EXISTS] name] ON [ONLY] table`, named or not, as
/// SQL text for a `regclass` cast: where the invalid index a failed build of it leaves would be.
pub(crate) fn built_on(sql: &str) -> Option<String> {
    if let Some((_, table)) = concurrent_build(sql) {
        return Some(table);
    }
    let mut words = Tokens {
        rest: sql.trim_start(),
    };
    words.keyword("CREATE")?;
    words.optional_keyword("UNIQUE");
    words.keyword("INDEX")?;
    words.keyword("CONCURRENTLY")?;
    words.keyword("ON")?;
    words.optional_keyword("ONLY");
    let start = words.rest;
    words.identifier()?;
    if words.rest.starts_with('.') {
        words.rest = &words.rest[1..];
        words.identifier()?;
    }
    Some(start[..start.len() - words.rest.len()].trim().to_owned())
}

struct Tokens<'a> {
    rest: &'a str,
}

impl Tokens<'_> {
    fn keyword(&mut self, word: &str) -> Option<()> {
        let rest = self.rest.trim_start();
        let head = rest.get(..word.len())?;
        let after = rest[word.len()..].chars().next();
        if head.eq_ignore_ascii_case(word)
            && after.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
        {
            self.rest = &rest[word.len()..];
            Some(())
        } else {
            None
        }
    }

    fn optional_keyword(&mut self, word: &str) -> bool {
        self.keyword(word).is_some()
    }

    /// A quoted (`"a""b"`) or bare identifier; bare ones fold to lower case as PostgreSQL does.
    fn identifier(&mut self) -> Option<String> {
        let rest = self.rest.trim_start();
        if let Some(body) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = body.char_indices();
            while let Some((i, c)) = chars.next() {
                if c == '"' {
                    if body[i + 1..].starts_with('"') {
                        out.push('"');
                        chars.next();
                    } else {
                        self.rest = &body[i + 1..];
                        return Some(out);
                    }
                } else {
                    out.push(c);
                }
            }
            None
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .unwrap_or(rest.len());
            if end == 0 {
                return None;
            }
            self.rest = &rest[end..];
            Some(rest[..end].to_lowercase())
        }
    }
}

/// The condition that no other live backend is building or rebuilding an index on the table of `pg_index i`
/// (or, when its builds are hidden from this role, anything in this database).
const NOT_BEING_BUILT: &str = "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_progress_create_index p \
     WHERE p.pid <> pg_catalog.pg_backend_pid() AND p.datid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()) \
     AND (p.relid IS NULL OR p.relid = i.indrelid OR p.index_relid = i.indexrelid))";

/// Every invalid index on `table` (SQL text, resolved as the statement that builds on it resolves it) that
/// no live backend is building, as a quoted qualified name. Only the statement's own table: an invalid index
/// elsewhere (another tenant's schema, another migration's build) is not this statement's to drop.
pub(crate) fn on_table(
    conn: &mut impl GenericClient,
    table: &str,
) -> Result<Vec<String>, postgres::Error> {
    Ok(conn
        .query(
            &format!(
                "SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) FROM pg_catalog.pg_index i \
                 JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE NOT i.indisvalid AND i.indrelid = pg_catalog.to_regclass($1) AND {NOT_BEING_BUILT}"
            ),
            &[&table],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

/// The invalid index `name` on `table` that no live backend is building, as a quoted qualified name, if
/// there is one.
pub(crate) fn named(
    conn: &mut impl GenericClient,
    name: &str,
    table: &str,
) -> Result<Option<String>, postgres::Error> {
    Ok(conn
        .query_opt(
            &format!(
                "SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) FROM pg_catalog.pg_index i \
                 JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE NOT i.indisvalid AND c.relname = $1 AND i.indrelid = pg_catalog.to_regclass($2) AND {NOT_BEING_BUILT}"
            ),
            &[&name, &table],
        )?
        .map(|row| row.get(0)))
}

/// Whether a valid index `name` exists on `table`: a concurrent build of it took effect.
pub(crate) fn valid_named(
    conn: &mut impl GenericClient,
    name: &str,
    table: &str,
) -> Result<bool, postgres::Error> {
    Ok(conn
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
             WHERE i.indisvalid AND c.relname = $1 AND i.indrelid = pg_catalog.to_regclass($2))",
            &[&name, &table],
        )?
        .get(0))
}

#[cfg(test)]
mod tests {
    use super::{built_on, concurrent_build};

    #[test]
    fn finds_the_table_of_named_and_unnamed_builds() {
        assert_eq!(
            built_on(r#"CREATE INDEX CONCURRENTLY ON "app"."Posts" (x)"#).as_deref(),
            Some(r#""app"."Posts""#)
        );
        assert_eq!(
            built_on("create unique index concurrently i on only posts (x)").as_deref(),
            Some("posts")
        );
        assert_eq!(built_on("CREATE INDEX i ON posts (x)"), None);
    }

    #[test]
    fn recognises_concurrent_builds() {
        assert_eq!(
            concurrent_build(
                r#"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "a""b" ON "app"."Posts" ("x")"#
            ),
            Some(("a\"b".to_owned(), r#""app"."Posts""#.to_owned()))
        );
        assert_eq!(
            concurrent_build("create index concurrently Idx on only posts (x)"),
            Some(("idx".to_owned(), "posts".to_owned()))
        );
        assert_eq!(concurrent_build("CREATE INDEX idx ON posts (x)"), None);
        assert_eq!(
            concurrent_build("CREATE INDEX CONCURRENTLY ON posts (x)"),
            None
        );
    }
}
