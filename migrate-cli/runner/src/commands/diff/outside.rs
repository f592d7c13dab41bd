//! Statements of a desired schema's file that act outside the scratch database it is built in: on the
//! server's files or programs, other databases, roles, the server's configuration or other sessions. `diff`
//! refuses the file before running any of it when one is found.
//!
//! This is a check of the text, not a sandbox: the statement is read as tokens (comments left out), and
//! every string and dollar-quoted body in it is read again as SQL, so dynamic SQL (`DO $$ BEGIN EXECUTE
//! 'COPY ...' END $$`) is caught as written, but not SQL assembled from pieces at run time. What holds the
//! file to the scratch database is the role it runs as (see `scratch::Scratch::for_untrusted_sql`); this
//! check names the statement and the line for the cases anyone would write, whichever role runs it.

/// Why `sql` acts outside the scratch database, or `None`.
pub(super) fn acts_outside(sql: &str) -> Option<String> {
    check(&tokens(sql), 0)
}

/// How deep strings inside strings are read again (`EXECUTE format('... %L ...', '...')`).
const MAX_DEPTH: usize = 4;

/// Functions that read or write the server's files, reach other databases or servers, or act on other
/// sessions or the server itself. A name ending in `*` is a prefix.
const FUNCTIONS: &[(&str, &str)] = &[
    ("dblink*", "connects to another database"),
    ("lo_import", "reads a file of the database server"),
    ("lo_export", "writes a file of the database server"),
    ("pg_read_file", "reads a file of the database server"),
    ("pg_read_binary_file", "reads a file of the database server"),
    ("pg_stat_file", "reads a file of the database server"),
    ("pg_ls_*", "lists a folder of the database server"),
    ("pg_file_*", "writes a file of the database server"),
    ("pg_logdir_ls", "lists a folder of the database server"),
    ("pg_reload_conf", "reloads the server's configuration"),
    ("pg_rotate_logfile", "acts on the server's log"),
    ("pg_terminate_backend", "ends another session"),
    ("pg_cancel_backend", "cancels another session's query"),
    ("pg_promote", "promotes a standby server"),
    ("pg_switch_wal", "acts on the server's write-ahead log"),
    (
        "pg_create_restore_point",
        "acts on the server's write-ahead log",
    ),
    ("pg_backup_start", "starts a backup of the server"),
    ("pg_start_backup", "starts a backup of the server"),
    (
        "pg_create_physical_replication_slot",
        "creates a replication slot of the server",
    ),
    (
        "pg_create_logical_replication_slot",
        "creates a replication slot of the server",
    ),
    (
        "pg_drop_replication_slot",
        "drops a replication slot of the server",
    ),
    (
        "pg_replication_origin_*",
        "acts on the server's replication origins",
    ),
];

/// Extensions that reach outside the database (other databases, the server's files, code run by the
/// server's process) and languages whose functions do.
const EXTENSIONS: &[&str] = &[
    "dblink",
    "postgres_fdw",
    "file_fdw",
    "adminpack",
    "plpython3u",
    "plpython2u",
    "plpythonu",
    "plperlu",
    "pltclu",
];

/// Languages whose functions run code of the server's process (`c`, `internal`) or run untrusted code.
const LANGUAGES: &[&str] = &[
    "c",
    "internal",
    "plpython3u",
    "plpython2u",
    "plpythonu",
    "plperlu",
    "pltclu",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    /// A keyword or identifier, lowercased; a quoted identifier as written.
    Word(String),
    /// A string's or a dollar-quoted body's content, `''` read as `'`.
    Text(String),
    Punct(char),
}

fn word(token: Option<&Token>) -> Option<&str> {
    match token {
        Some(Token::Word(w)) => Some(w),
        _ => None,
    }
}

/// The statements' starts in `tokens`: the first token, and each after a `;` or a word that begins a
/// statement in a PL/pgSQL body.
fn statement_starts(tokens: &[Token]) -> Vec<usize> {
    let mut starts = vec![0];
    for (i, token) in tokens.iter().enumerate() {
        let after = match token {
            Token::Punct(';') => true,
            Token::Word(w) => matches!(w.as_str(), "begin" | "then" | "else" | "loop" | "execute"),
            _ => false,
        };
        if after && i + 1 < tokens.len() {
            starts.push(i + 1);
        }
    }
    starts
}

fn check(tokens: &[Token], depth: usize) -> Option<String> {
    for start in statement_starts(tokens) {
        let end = tokens[start..]
            .iter()
            .position(|t| *t == Token::Punct(';'))
            .map_or(tokens.len(), |i| start + i);
        if let Some(why) = statement(&tokens[start..end]) {
            return Some(why);
        }
    }
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Word(w) if tokens.get(i + 1) == Some(&Token::Punct('(')) => {
                for (name, why) in FUNCTIONS {
                    let hit = match name.strip_suffix('*') {
                        Some(prefix) => w.starts_with(prefix),
                        None => w == name,
                    };
                    if hit {
                        return Some(format!("{w}() {why}"));
                    }
                }
            }
            Token::Text(text) if depth < MAX_DEPTH => {
                if let Some(why) = check(&tokens_of(text), depth + 1) {
                    return Some(why);
                }
            }
            _ => {}
        }
    }
    None
}

/// The rules on one statement's tokens.
fn statement(tokens: &[Token]) -> Option<String> {
    let w = |i: usize| word(tokens.get(i)).unwrap_or("");
    let has = |x: &str| tokens.iter().any(|t| word(Some(t)) == Some(x));
    let first = w(0);
    if first == "copy" {
        if has("program") {
            return Some("COPY ... PROGRAM runs a program on the database server".to_owned());
        }
        let file = tokens.windows(2).any(|pair| {
            matches!(word(pair.first()), Some("to" | "from")) && matches!(pair[1], Token::Text(_))
        });
        if file {
            return Some(
                "COPY to or from a file reads or writes the database server's files".to_owned(),
            );
        }
    }
    if first == "alter" && w(1) == "system" {
        return Some("ALTER SYSTEM changes the server's configuration".to_owned());
    }
    if first == "load" {
        return Some("LOAD loads a library into the server's process".to_owned());
    }
    if matches!(first, "create" | "alter" | "drop" | "comment") {
        // `CREATE OR REPLACE`, `COMMENT ON`, `DROP ... IF EXISTS` aside, the object kind's word.
        let mut i = 1;
        while matches!(
            w(i),
            "or" | "replace" | "on" | "trusted" | "procedural" | "unique"
        ) {
            i += 1;
        }
        let kind = w(i);
        match kind {
            "database" => {
                return Some(format!(
                    "{} DATABASE acts on another database",
                    first.to_uppercase()
                ))
            }
            "role" | "group" => {
                return Some(format!(
                    "{} {} acts on the server's roles",
                    first.to_uppercase(),
                    kind.to_uppercase()
                ))
            }
            "user" if w(i + 1) != "mapping" => {
                return Some(format!(
                    "{} USER acts on the server's roles",
                    first.to_uppercase()
                ))
            }
            "tablespace" => {
                return Some(format!(
                    "{} TABLESPACE acts on the server's folders",
                    first.to_uppercase()
                ))
            }
            "subscription" => {
                return Some(format!(
                    "{} SUBSCRIPTION connects to another server",
                    first.to_uppercase()
                ))
            }
            "language" if first == "create" => {
                return Some("CREATE LANGUAGE installs code the server's process runs".to_owned())
            }
            "extension" if first == "create" => {
                let mut j = i + 1;
                while matches!(w(j), "if" | "not" | "exists") {
                    j += 1;
                }
                let name = w(j);
                if EXTENSIONS.contains(&name) {
                    return Some(format!(
                        "the extension {name} reaches outside the database (other databases, the server's files or programs)"
                    ));
                }
            }
            "function" | "procedure" if first == "create" => {
                if let Some(pos) = tokens
                    .iter()
                    .position(|t| word(Some(t)) == Some("language"))
                {
                    let language = match tokens.get(pos + 1) {
                        Some(Token::Word(l)) => l.clone(),
                        Some(Token::Text(l)) => l.to_lowercase(),
                        _ => String::new(),
                    };
                    if LANGUAGES.contains(&language.as_str()) {
                        return Some(format!(
                            "a function in LANGUAGE {language} runs code of the server's process"
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    if matches!(first, "grant" | "revoke") {
        let on = tokens.iter().position(|t| word(Some(t)) == Some("on"));
        match on {
            // `GRANT role TO role`: memberships belong to the server.
            None => {
                return Some(format!(
                    "{} of a role's membership acts on the server's roles",
                    first.to_uppercase()
                ))
            }
            Some(on) if matches!(w(on + 1), "database" | "tablespace" | "parameter") => {
                return Some(format!(
                    "{} ON {} acts outside the database",
                    first.to_uppercase(),
                    w(on + 1).to_uppercase()
                ))
            }
            Some(_) => {}
        }
    }
    None
}

/// `sql`'s tokens, comments left out.
pub(super) fn tokens(sql: &str) -> Vec<Token> {
    tokens_of(sql)
}

/// A small lexer after PostgreSQL's: words, strings (`'...'`, `E'...'`), quoted identifiers, dollar
/// quotes, comments (skipped) and punctuation. It never fails: an unterminated token runs to the end.
fn tokens_of(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && next == Some('-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0usize;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '\'' || ((c == 'e' || c == 'E') && next == Some('\'')) {
            let escapes = c != '\'';
            i += if escapes { 2 } else { 1 };
            let mut text = String::new();
            while i < chars.len() {
                match chars[i] {
                    '\\' if escapes => {
                        if let Some(&n) = chars.get(i + 1) {
                            text.push(n);
                        }
                        i += 2;
                    }
                    '\'' if chars.get(i + 1) == Some(&'\'') => {
                        text.push('\'');
                        i += 2;
                    }
                    '\'' => {
                        i += 1;
                        break;
                    }
                    other => {
                        text.push(other);
                        i += 1;
                    }
                }
            }
            out.push(Token::Text(text));
        } else if c == '"' {
            i += 1;
            let mut name = String::new();
            while i < chars.len() {
                if chars[i] == '"' {
                    if chars.get(i + 1) == Some(&'"') {
                        name.push('"');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                name.push(chars[i]);
                i += 1;
            }
            out.push(Token::Word(name));
        } else if c == '$' && dollar_tag(&chars, i).is_some() {
            let tag_end = dollar_tag(&chars, i).unwrap_or(i + 1);
            let tag: String = chars[i..tag_end].iter().collect();
            let body_start = tag_end;
            let mut j = body_start;
            let tag_chars: Vec<char> = tag.chars().collect();
            while j < chars.len() && !chars[j..].starts_with(&tag_chars) {
                j += 1;
            }
            out.push(Token::Text(
                chars[body_start..j.min(chars.len())].iter().collect(),
            ));
            i = (j + tag_chars.len()).min(chars.len());
        } else if c.is_alphabetic() || c == '_' {
            let mut w = String::new();
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                w.extend(chars[i].to_lowercase());
                i += 1;
            }
            out.push(Token::Word(w));
        } else if c.is_ascii_digit() {
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '.' || chars[i] == '_')
            {
                i += 1;
            }
            out.push(Token::Punct('0'));
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    out
}

/// The end of the dollar-quote tag at `i` (`$$` or `$tag$`), or `None` (`$1` is a parameter).
fn dollar_tag(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
        if j == i + 1 && chars[j].is_ascii_digit() {
            return None;
        }
        j += 1;
    }
    (chars.get(j) == Some(&'$')).then_some(j + 1)
}

#[cfg(test)]
mod tests {
    use super::acts_outside;

    #[test]
    fn statements_that_reach_outside_the_database_are_named() {
        for sql in [
            "COPY (select 1) TO PROGRAM 'touch /tmp/x'",
            "copy t from '/etc/passwd'",
            "DO $$ BEGIN EXECUTE 'COPY (select 1) TO PROGRAM ''id'''; END $$",
            "DO $body$ BEGIN PERFORM dblink_exec('dbname=other', 'DROP TABLE t'); END $body$",
            "SELECT dblink_connect('x')",
            "SELECT lo_import('/etc/passwd')",
            "select pg_catalog.pg_read_file('postgresql.conf')",
            "ALTER SYSTEM SET work_mem = '1GB'",
            "CREATE DATABASE other",
            "DROP ROLE app",
            "CREATE USER app",
            "GRANT pg_execute_server_program TO app",
            "CREATE EXTENSION IF NOT EXISTS dblink",
            "CREATE FUNCTION f() RETURNS int LANGUAGE c AS 'libc', 'system'",
            "CREATE OR REPLACE FUNCTION f() RETURNS int AS $$ import os $$ LANGUAGE plpython3u",
            "LOAD 'auto_explain'",
            "SELECT pg_terminate_backend(42)",
            "GRANT CONNECT ON DATABASE app TO PUBLIC",
        ] {
            assert!(acts_outside(sql).is_some(), "not caught: {sql}");
        }
    }

    #[test]
    fn a_schema_of_ordinary_objects_passes() {
        for sql in [
            "CREATE TABLE public.t (id integer NOT NULL, database text, role text, program text)",
            "ALTER TABLE t DROP COLUMN role",
            "COPY public.t (a) FROM stdin",
            "COMMENT ON TABLE t IS 'copies rows to a program and mentions dblink'",
            "CREATE USER MAPPING FOR PUBLIC SERVER s",
            "GRANT SELECT ON TABLE public.t TO PUBLIC",
            "ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT ON TABLES TO PUBLIC",
            "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$",
            "CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA public",
            "SELECT pg_catalog.set_config('search_path', '', false)",
        ] {
            assert_eq!(acts_outside(sql), None, "{sql}");
        }
    }
}
