//! Partitioned tables for the lint: which tables the migrations create `PARTITION BY` (read from the rendered
//! SQL, so typed operations and raw SQL alike), and what an index statement targets. PostgreSQL refuses
//! `CREATE INDEX CONCURRENTLY` on a partitioned table, and the plain form holds writes on every partition, so
//! the rules must know which tables are partitioned: `require-index-per-partition` replaces
//! `require-concurrent-index-creation` there.

/// Words and names of a statement, upper-cased outside double quotes; a qualified name (`"app"."t"`) is one
/// word, and parentheses are words of their own. Comments (`-- ...`, `/* ... */`) are left out, and a string
/// literal (`'...'`) is one word, so that what they hold is never read as SQL.
pub(super) fn words(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let flush = |current: &mut String, out: &mut Vec<String>| {
        if !current.is_empty() {
            out.push(std::mem::take(current));
        }
    };
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if quoted => current.push(c),
            '-' if chars.peek() == Some(&'-') => {
                flush(&mut current, &mut out);
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                flush(&mut current, &mut out);
                chars.next();
                let mut previous = ' ';
                for c in chars.by_ref() {
                    if previous == '*' && c == '/' {
                        break;
                    }
                    previous = c;
                }
            }
            '\'' => {
                flush(&mut current, &mut out);
                let mut literal = String::from("'");
                while let Some(c) = chars.next() {
                    literal.push(c);
                    if c == '\'' {
                        // `''` inside a literal is a quote, not its end.
                        if chars.peek() == Some(&'\'') {
                            literal.extend(chars.next());
                        } else {
                            break;
                        }
                    }
                }
                out.push(literal);
            }
            '(' | ')' | ',' | ';' => {
                flush(&mut current, &mut out);
                out.push(c.to_string());
            }
            c if c.is_whitespace() => flush(&mut current, &mut out),
            c => current.extend(c.to_uppercase()),
        }
    }
    flush(&mut current, &mut out);
    out
}

/// The table's name as PostgreSQL stores it, without its schema (see the statement module's `normalise`,
/// which this matches): quoted parts keep their case, unquoted ones are folded to lower case.
pub(super) fn table_name(word: &str) -> String {
    let last = split_qualified(word).pop().unwrap_or_default();
    match last.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => last.to_lowercase(),
    }
}

/// `"app"."t"` → [`"app"`, `"t"`]; dots inside quotes stay.
fn split_qualified(word: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut quoted = false;
    for c in word.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                if let Some(part) = parts.last_mut() {
                    part.push(c);
                }
            }
            '.' if !quoted => parts.push(String::new()),
            c => {
                if let Some(part) = parts.last_mut() {
                    part.push(c);
                }
            }
        }
    }
    parts
}

/// The table a `CREATE TABLE .. PARTITION BY ..` statement creates (not a `PARTITION OF` one).
pub(crate) fn created_partitioned(sql: &str) -> Option<String> {
    let w = words(sql);
    let upper: Vec<&str> = w.iter().map(String::as_str).collect();
    let create = upper.iter().position(|t| *t == "CREATE")?;
    let rest = &upper[create + 1..];
    let mut at = 0;
    while matches!(
        rest.get(at),
        Some(&"UNLOGGED" | &"TEMP" | &"TEMPORARY" | &"GLOBAL" | &"LOCAL")
    ) {
        at += 1;
    }
    if rest.get(at) != Some(&"TABLE") {
        return None;
    }
    at += 1;
    if rest[at..].starts_with(&["IF", "NOT", "EXISTS"]) {
        at += 3;
    }
    let name = rest.get(at)?;
    // `PARTITION BY` at the top level, after the column list: a partitioned table.
    let mut depth = 0i32;
    let mut previous = "";
    for t in &rest[at + 1..] {
        match *t {
            "(" => depth += 1,
            ")" => depth -= 1,
            "BY" if depth == 0 && previous == "PARTITION" => return Some(table_name(name)),
            _ => {}
        }
        previous = t;
    }
    None
}

/// What a `CREATE INDEX` statement builds on.
#[cfg_attr(not(feature = "lint"), allow(dead_code))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexTarget {
    pub concurrently: bool,
    /// `ON ONLY`: the parent's index alone, the first step of a build per partition.
    pub only: bool,
    pub table: String,
}

#[cfg_attr(not(feature = "lint"), allow(dead_code))]
/// The target of a `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON [ONLY] table ..`.
pub(crate) fn index_target(sql: &str) -> Option<IndexTarget> {
    let w = words(sql);
    let upper: Vec<&str> = w.iter().map(String::as_str).collect();
    let create = upper.iter().position(|t| *t == "CREATE")?;
    let rest = &upper[create + 1..];
    let mut at = usize::from(rest.first() == Some(&"UNIQUE"));
    if rest.get(at) != Some(&"INDEX") {
        return None;
    }
    at += 1;
    let concurrently = rest.get(at) == Some(&"CONCURRENTLY");
    let on = at + rest[at..].iter().position(|t| *t == "ON")?;
    let only = rest.get(on + 1) == Some(&"ONLY");
    let table = rest.get(on + 1 + usize::from(only))?;
    Some(IndexTarget {
        concurrently,
        only,
        table: table_name(table),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitioned_tables_are_found_in_typed_and_raw_sql() {
        assert_eq!(
            created_partitioned(
                r#"CREATE TABLE "app"."Events" ("id" bigint, "at" timestamptz) PARTITION BY RANGE ("at")"#
            ),
            Some("Events".to_owned())
        );
        assert_eq!(
            created_partitioned(
                "create table if not exists events (id int, at date) partition by list (at)"
            ),
            Some("events".to_owned())
        );
        assert_eq!(
            created_partitioned("CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"),
            None
        );
        assert_eq!(created_partitioned("CREATE TABLE t (a int)"), None);
        assert_eq!(created_partitioned("CREATE INDEX i ON t (a)"), None);
    }

    #[test]
    fn an_index_statement_names_its_table() {
        assert_eq!(
            index_target(
                r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS "i" ON "public"."Events" ("at")"#
            ),
            Some(IndexTarget {
                concurrently: true,
                only: false,
                table: "Events".to_owned()
            })
        );
        assert_eq!(
            index_target("create unique index i on only events (id, at)"),
            Some(IndexTarget {
                concurrently: false,
                only: true,
                table: "events".to_owned()
            })
        );
        assert_eq!(index_target("CREATE TABLE t (a int)"), None);
    }
}
