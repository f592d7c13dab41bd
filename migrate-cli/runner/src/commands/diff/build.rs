//! Building the desired schema from its SQL files on a scratch database: every file read and checked
//! before any statement runs (a meta-command `diff` does not understand, or a statement that acts outside
//! the scratch database, refuses the whole input), then the statements run one at a time, an error naming
//! the file, the line and the statement.
//!
//! With a role made for the scratch database ([`Builder::Role`]), the statements `pg_dump` writes that
//! need another role's rights are dealt with, all of them catalog-only:
//! - `ALTER ... OWNER TO` and `SET SESSION AUTHORIZATION` are not run: `diff` does not compare owners;
//! - `ALTER DEFAULT PRIVILEGES` runs as the configured role, so that the default privileges are the
//!   configured role's (or those of the role it names with `FOR ROLE`), as the migrations' would be;
//! - `CREATE EXTENSION` and `COMMENT ON EXTENSION` that the role may not run (an extension that is not
//!   trusted) run as the configured role, the extensions that reach outside the database being refused
//!   by the check.
//!
//! Those run as the configured role are sent alone, in the extended protocol, which runs one statement.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use postgres::Client;

use super::outside::{acts_outside, tokens, Token};
use super::script::{self, Script, Statement};
use crate::scratch::Builder;
use crate::stdio::errln;

/// The files read and checked, in the order they run.
pub(super) fn read_all(files: &[PathBuf]) -> Result<Vec<(PathBuf, Script)>> {
    let mut scripts = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let script = script::read(file, &text)?;
        for statement in &script.statements {
            if let Some(why) = acts_outside(&statement.sql) {
                bail!(
                    "{}:{}: `{}` acts outside the scratch database the desired schema is built in ({why}): \
                     diff refuses it, and ran nothing of the file",
                    file.display(),
                    statement.line,
                    shown(&statement.sql)
                );
            }
        }
        scripts.push((file.clone(), script));
    }
    Ok(scripts)
}

/// Runs the statements of `scripts` through `builder`; says what was left out.
pub(super) fn run(builder: &mut Builder, scripts: &[(PathBuf, Script)]) -> Result<()> {
    let mut owners = 0;
    let mut rows = 0;
    for (file, script) in scripts {
        rows += script.rows_skipped;
        for statement in &script.statements {
            let outcome = match builder {
                Builder::Configured { session, .. } => session.batch_execute(&statement.sql),
                Builder::Role { session, admin } => {
                    if is_owner_change(&statement.sql) {
                        owners += 1;
                        continue;
                    }
                    if starts_with(&statement.sql, &["alter", "default", "privileges"]) {
                        as_configured(session, admin, &statement.sql)
                    } else {
                        match session.batch_execute(&statement.sql) {
                            Err(e)
                                if e.code()
                                    == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE)
                                    && (starts_with(&statement.sql, &["create", "extension"])
                                        || starts_with(
                                            &statement.sql,
                                            &["comment", "on", "extension"],
                                        )) =>
                            {
                                as_configured(session, admin, &statement.sql)
                            }
                            other => other,
                        }
                    }
                }
            };
            outcome.map_err(|e| failed(file, statement, &e))?;
        }
    }
    if owners > 0 {
        errln!(
            "note: {owners} statement(s) setting owners (ALTER ... OWNER TO, SET SESSION AUTHORIZATION) not run: \
             diff does not compare owners"
        );
    }
    if rows > 0 {
        errln!("note: {rows} row(s) of COPY ... FROM stdin not loaded: diff compares schemas");
    }
    Ok(())
}

/// Runs `sql` as the configured role, with the search path the file's session has.
fn as_configured(
    session: &mut Client,
    admin: &mut Client,
    sql: &str,
) -> Result<(), postgres::Error> {
    let path: String = session
        .query_one("SELECT pg_catalog.current_setting('search_path')", &[])?
        .get(0);
    admin.execute(
        "SELECT pg_catalog.set_config('search_path', $1, false)",
        &[&path],
    )?;
    admin.execute(sql, &[]).map(|_| ())
}

fn failed(file: &Path, statement: &Statement, e: &postgres::Error) -> anyhow::Error {
    anyhow!(
        "{} does not apply to an empty database: line {}: `{}`: {}",
        file.display(),
        statement.line,
        shown(&statement.sql),
        crate::connect::describe(e)
    )
}

/// The statement's first line, cut to 100 characters, for a message.
fn shown(sql: &str) -> String {
    let line = sql.lines().next().unwrap_or("").trim();
    let cut: String = line.chars().take(100).collect();
    if cut.len() < line.len() || sql.trim().lines().nth(1).is_some() {
        format!("{cut} ...")
    } else {
        cut
    }
}

fn starts_with(sql: &str, words: &[&str]) -> bool {
    let tokens = tokens(sql);
    words.len() <= tokens.len()
        && words
            .iter()
            .zip(&tokens)
            .all(|(w, t)| matches!(t, Token::Word(x) if x == w))
}

/// `ALTER <kind> <name> OWNER TO <role>` with nothing else (no other action of an `ALTER TABLE`), or
/// `SET SESSION AUTHORIZATION` / `RESET SESSION AUTHORIZATION`.
fn is_owner_change(sql: &str) -> bool {
    let tokens = tokens(sql);
    let word = |i: usize| match tokens.get(i) {
        Some(Token::Word(w)) => w.as_str(),
        _ => "",
    };
    if (word(0) == "set" || word(0) == "reset")
        && word(1) == "session"
        && word(2) == "authorization"
    {
        return true;
    }
    let n = tokens.len();
    if word(0) != "alter" || n < 5 || word(n - 3) != "owner" || word(n - 2) != "to" {
        return false;
    }
    // `ALTER TABLE t RENAME [COLUMN] owner TO x` ends the same way.
    if (1..n - 3).any(|i| word(i) == "rename") {
        return false;
    }
    // A comma outside parentheses would be a second action of an `ALTER TABLE`.
    let mut depth = 0i32;
    for token in &tokens {
        match token {
            Token::Punct('(') => depth += 1,
            Token::Punct(')') => depth -= 1,
            Token::Punct(',') if depth == 0 => return false,
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::{is_owner_change, shown};

    #[test]
    fn owner_changes_are_told_apart_from_other_alters() {
        assert!(is_owner_change("ALTER TABLE public.t OWNER TO postgres"));
        assert!(is_owner_change(
            "ALTER FUNCTION public.f(integer, text) OWNER TO \"App\""
        ));
        assert!(is_owner_change("SET SESSION AUTHORIZATION app"));
        assert!(!is_owner_change(
            "ALTER TABLE t ADD COLUMN c int DEFAULT f(), OWNER TO app"
        ));
        assert!(!is_owner_change("ALTER TABLE t RENAME COLUMN owner TO x"));
        assert!(!is_owner_change("ALTER TABLE t ADD COLUMN owner text"));
    }

    #[test]
    fn a_statement_is_shown_by_its_first_line() {
        assert_eq!(shown("SELECT 1"), "SELECT 1");
        assert_eq!(
            shown("CREATE TABLE t (\n  a int\n)"),
            "CREATE TABLE t ( ..."
        );
    }
}
