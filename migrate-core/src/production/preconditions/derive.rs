//! Which built-in check a statement needs, read from its SQL: the runner has no SQL parser (the lint rules'
//! is the installed `migrate`'s), so this reads the few statement forms that can fail on existing rows,
//! token by token, as the engine renders them and as people write them, and leaves every other statement
//! alone. A form it does not read is a check not run, never a wrong one.

use std::collections::HashMap;

use super::{Check, Relation};

/// Reads the pending statements in order: each statement's checks, with what earlier statements declared (a
/// constraint added `NOT VALID` that a later `VALIDATE CONSTRAINT` checks, an enum type created for a
/// column to be changed to).
#[derive(Debug, Default)]
pub struct Deriver {
    /// Constraints added `NOT VALID`, by table and name: what validating each checks.
    not_valid: HashMap<(Relation, String), Vec<Check>>,
    /// Enum types created by the pending statements, by name as written: their labels.
    enums: HashMap<Relation, Vec<String>>,
}

impl Deriver {
    pub fn new() -> Self {
        Self::default()
    }

    /// The checks that `sql` (one statement or several) needs before it can succeed on existing rows.
    pub fn statement(&mut self, sql: &str) -> Vec<Check> {
        let tokens = tokens(sql);
        let mut checks = Vec::new();
        for statement in split(&tokens, |t| t.is_punct(';')) {
            let c = Cursor {
                sql,
                toks: statement,
                i: 0,
            };
            self.one(c, &mut checks);
        }
        checks
    }

    fn one(&mut self, mut c: Cursor<'_>, checks: &mut Vec<Check>) {
        if c.words(&["alter", "table"]) {
            c.words(&["if", "exists"]);
            c.word("only");
            let Some(table) = c.name() else { return };
            c.punct('*');
            for action in split(&c.toks[c.i..], |t| t.is_punct(',')) {
                let action = Cursor {
                    sql: c.sql,
                    toks: action,
                    i: 0,
                };
                self.action(&table, action, checks);
            }
        } else if c.words(&["create", "unique", "index"]) {
            c.word("concurrently");
            c.words(&["if", "not", "exists"]);
            if !c.peek_word("on") {
                c.name();
            }
            if !c.word("on") {
                return;
            }
            c.word("only");
            let Some(table) = c.name() else { return };
            if c.word("using") {
                c.next();
            }
            let Some(elements) = c.group() else { return };
            let columns = split(&elements, |t| t.is_punct(','))
                .into_iter()
                .map(|e| index_element(c.sql, e))
                .collect::<Option<Vec<_>>>();
            let Some(columns) = columns else { return };
            let rest = &c.toks[c.i..];
            let nulls_distinct = !contains_words(rest, &["nulls", "not", "distinct"]);
            let predicate = rest
                .iter()
                .position(|t| t.depth == 0 && t.is_word("where"))
                .and_then(|at| span(c.sql, &rest[at + 1..]));
            checks.push(Check::NoDuplicates {
                table,
                columns,
                predicate,
                nulls_distinct,
            });
        } else if c.words(&["create", "type"]) {
            let Some(name) = c.name() else { return };
            if !c.words(&["as", "enum"]) {
                return;
            }
            let Some(labels) = c.group() else { return };
            let labels = labels
                .iter()
                .filter_map(|t| match &t.tok {
                    Tok::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect();
            self.enums.insert(name, labels);
        }
    }

    /// One action of an `ALTER TABLE`.
    fn action(&mut self, table: &Relation, mut c: Cursor<'_>, checks: &mut Vec<Check>) {
        if c.word("alter") {
            c.word("column");
            let Some(column) = c.ident() else { return };
            if c.words(&["set", "not", "null"]) {
                checks.push(Check::NoNulls {
                    table: table.clone(),
                    column,
                });
                return;
            }
            c.words(&["set", "data"]);
            if !c.word("type") {
                return;
            }
            let rest = &c.toks[c.i..];
            let end = rest
                .iter()
                .position(|t| t.depth == 0 && (t.is_word("using") || t.is_word("collate")))
                .unwrap_or(rest.len());
            let Some(to) = span(c.sql, &rest[..end]) else { return };
            let using = rest
                .iter()
                .position(|t| t.depth == 0 && t.is_word("using"))
                .and_then(|at| span(c.sql, &rest[at + 1..]));
            let enum_labels = {
                let mut t = Cursor {
                    sql: c.sql,
                    toks: &rest[..end],
                    i: 0,
                };
                t.name()
                    .filter(|_| t.i == end)
                    .and_then(|name| self.enums.get(&name).cloned())
            };
            checks.push(match enum_labels {
                Some(labels) => Check::InEnum {
                    table: table.clone(),
                    column,
                    to,
                    labels: Some(labels),
                },
                None => Check::Castable {
                    table: table.clone(),
                    column,
                    to,
                    using,
                },
            });
        } else if c.word("add") {
            let name = if c.word("constraint") {
                c.ident()
            } else {
                None
            };
            let not_valid = contains_words(&c.toks[c.i..], &["not", "valid"]);
            let Some(added) = constraint(table, &mut c, name.clone()) else {
                return;
            };
            match (not_valid, name) {
                (true, Some(name)) => {
                    self.not_valid.insert((table.clone(), name), added);
                }
                (true, None) => {}
                (false, _) => checks.extend(added),
            }
        } else if c.words(&["validate", "constraint"]) {
            let Some(name) = c.ident() else { return };
            match self.not_valid.get(&(table.clone(), name.clone())) {
                Some(added) => checks.extend(added.iter().cloned()),
                None => checks.push(Check::Validate {
                    table: table.clone(),
                    constraint: name,
                }),
            }
        }
    }
}

/// `"note" IS NOT NULL` (or `note IS NOT NULL`): the column.
fn not_null_column(expression: &str) -> Option<String> {
    let toks = tokens(expression);
    let mut c = Cursor {
        sql: expression,
        toks: &toks,
        i: 0,
    };
    let column = c.ident()?;
    (c.words(&["is", "not", "null"]) && c.i == toks.len()).then_some(column)
}

/// The checks a table constraint needs, after `ADD [CONSTRAINT name]`: `None` for one that cannot fail on
/// existing rows, or that this does not read.
fn constraint(table: &Relation, c: &mut Cursor<'_>, name: Option<String>) -> Option<Vec<Check>> {
    if c.word("check") {
        let expression = span(c.sql, &c.group()?)?;
        // `CHECK (c IS NOT NULL)` (how `set_not_null` proves it first) is a check for NULLs, and reads as one.
        if let Some(column) = not_null_column(&expression) {
            return Some(vec![Check::NoNulls {
                table: table.clone(),
                column,
            }]);
        }
        return Some(vec![Check::Satisfies {
            table: table.clone(),
            constraint: name,
            expression,
        }]);
    }
    if c.words(&["foreign", "key"]) {
        let columns = idents(&c.group()?)?;
        if !c.word("references") {
            return None;
        }
        let referenced = c.name()?;
        let referenced_columns = match c.peek_punct('(') {
            true => idents(&c.group()?)?,
            false => Vec::new(),
        };
        return Some(vec![Check::NoOrphans {
            table: table.clone(),
            constraint: name,
            columns,
            referenced,
            referenced_columns,
        }]);
    }
    let primary = c.words(&["primary", "key"]);
    if primary || c.word("unique") {
        let nulls_distinct = !c.words(&["nulls", "not", "distinct"]);
        c.words(&["nulls", "distinct"]);
        // `USING INDEX`: the index was built (and checked) by an earlier statement; no group follows.
        let columns = idents(&c.group()?)?;
        let mut checks = Vec::new();
        if primary {
            checks.extend(columns.iter().map(|column| Check::NoNulls {
                table: table.clone(),
                column: column.clone(),
            }));
        }
        checks.push(Check::NoDuplicates {
            table: table.clone(),
            columns: columns.iter().map(|c| migrate_dsl::ident(c)).collect(),
            predicate: None,
            nulls_distinct,
        });
        return Some(checks);
    }
    None
}

/// An index element as an expression to group by: its column (quoted) or expression, without its
/// ordering, collation or operator class, which do not change which rows are equal under the default
/// operators.
fn index_element(sql: &str, element: &[Token]) -> Option<String> {
    let mut end = element.len();
    loop {
        let top: Vec<usize> = (0..end).filter(|&i| element[i].depth == 0).collect();
        let Some(&last) = top.last() else { break };
        let t = &element[last];
        if t.is_word("asc") || t.is_word("desc") {
            end = last;
        } else if top.len() >= 2 && {
            // `NULLS FIRST`, `NULLS LAST`, `COLLATE "C"`: two words off.
            let before = &element[top[top.len() - 2]];
            ((t.is_word("first") || t.is_word("last")) && before.is_word("nulls"))
                || before.is_word("collate")
        } {
            end = top[top.len() - 2];
        } else if top.len() >= 2
            && matches!(t.tok, Tok::Word(_) | Tok::Quoted(_))
            && matches!(
                element[top[top.len() - 2]].tok,
                Tok::Word(_) | Tok::Quoted(_) | Tok::Punct(')')
            )
        {
            // `email text_pattern_ops`: an operator class.
            end = last;
        } else {
            break;
        }
    }
    let element = &element[..end];
    if let [one] = element {
        if let Tok::Word(w) | Tok::Quoted(w) = &one.tok {
            return Some(migrate_dsl::ident(w));
        }
    }
    span(sql, element)
}

/// `(a, "B")`: the identifiers of a parenthesised list, or `None` when it holds anything else.
fn idents(group: &[Token]) -> Option<Vec<String>> {
    split(group, |t| t.is_punct(','))
        .into_iter()
        .map(|item| match item {
            [one] => match &one.tok {
                Tok::Word(w) | Tok::Quoted(w) => Some(w.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The SQL text of `toks`, as written.
fn span(sql: &str, toks: &[Token]) -> Option<String> {
    let (first, last) = (toks.first()?, toks.last()?);
    Some(sql[first.start..last.end].trim().to_owned())
}

fn contains_words(toks: &[Token], words: &[&str]) -> bool {
    toks.windows(words.len()).any(|w| {
        w.iter()
            .zip(words)
            .all(|(t, word)| t.depth == 0 && t.is_word(word))
    })
}

/// `toks` cut at each top-level token `at` (which is left out); empty parts dropped.
fn split(toks: &[Token], at: impl Fn(&Token) -> bool) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        if t.depth == 0 && at(t) {
            parts.push(&toks[start..i]);
            start = i + 1;
        }
    }
    parts.push(&toks[start..]);
    parts.retain(|p| !p.is_empty());
    parts
}

/// A walk over one statement's tokens.
struct Cursor<'a> {
    sql: &'a str,
    toks: &'a [Token],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek_word(&self, word: &str) -> bool {
        self.toks.get(self.i).is_some_and(|t| t.is_word(word))
    }

    fn peek_punct(&self, c: char) -> bool {
        self.toks.get(self.i).is_some_and(|t| t.is_punct(c))
    }

    fn next(&mut self) -> Option<&'a Token> {
        let t = self.toks.get(self.i)?;
        self.i += 1;
        Some(t)
    }

    fn word(&mut self, word: &str) -> bool {
        let yes = self.peek_word(word);
        self.i += usize::from(yes);
        yes
    }

    fn punct(&mut self, c: char) -> bool {
        let yes = self.peek_punct(c);
        self.i += usize::from(yes);
        yes
    }

    /// All of `words` in a row, or none taken.
    fn words(&mut self, words: &[&str]) -> bool {
        let all = words
            .iter()
            .enumerate()
            .all(|(k, w)| self.toks.get(self.i + k).is_some_and(|t| t.is_word(w)));
        if all {
            self.i += words.len();
        }
        all
    }

    /// An identifier: a word (folded to lower case, as PostgreSQL does) or a quoted name.
    fn ident(&mut self) -> Option<String> {
        match &self.toks.get(self.i)?.tok {
            Tok::Word(w) | Tok::Quoted(w) => {
                self.i += 1;
                Some(w.clone())
            }
            _ => None,
        }
    }

    /// A possibly qualified name: `app.orders`, `"App"."Orders"`.
    fn name(&mut self) -> Option<Relation> {
        let mut parts = vec![self.ident()?];
        while self.peek_punct('.') {
            self.i += 1;
            parts.push(self.ident()?);
        }
        Some(Relation::new(parts))
    }

    /// The tokens inside the parenthesised group at the cursor (their depths counted from it), which it
    /// moves past.
    fn group(&mut self) -> Option<Vec<Token>> {
        let open = self.toks.get(self.i)?;
        if !open.is_punct('(') {
            return None;
        }
        let depth = open.depth;
        let close = self.toks[self.i + 1..]
            .iter()
            .position(|t| t.is_punct(')') && t.depth == depth)?
            + self.i
            + 1;
        let inside = rebase(&self.toks[self.i + 1..close]);
        self.i = close + 1;
        Some(inside)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A keyword or unquoted identifier, folded to lower case.
    Word(String),
    /// A quoted identifier, its quotes taken off.
    Quoted(String),
    /// A string constant's value.
    Str(String),
    Punct(char),
    /// Anything else: a number, an operator, a parameter.
    Other,
}

/// A token, where it is in the SQL, and how deep in parentheses (a group's own parentheses are at the
/// depth outside it; what is inside them one deeper, relative to the statement's top level).
#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
    depth: usize,
}

impl Token {
    fn is_word(&self, word: &str) -> bool {
        matches!(&self.tok, Tok::Word(w) if w == word)
    }

    fn is_punct(&self, c: char) -> bool {
        self.tok == Tok::Punct(c)
    }
}

/// `sql`'s tokens, comments and blanks left out. Depths are relative to each token list's start, so a
/// slice taken from inside a group is re-based by the readers that need it (see [`rebase`]).
fn tokens(sql: &str) -> Vec<Token> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        let tok = match b {
            b if b.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut nest = 0;
                while i < bytes.len() {
                    if bytes[i..].starts_with(b"/*") {
                        nest += 1;
                        i += 2;
                    } else if bytes[i..].starts_with(b"*/") {
                        nest -= 1;
                        i += 2;
                        if nest == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'"' | b'\'' => {
                let mut value = String::new();
                i += 1;
                loop {
                    match sql[i..].find(b as char) {
                        Some(n) => {
                            value.push_str(&sql[i..i + n]);
                            i += n + 1;
                            if bytes.get(i) == Some(&b) {
                                value.push(b as char);
                                i += 1;
                            } else {
                                break;
                            }
                        }
                        None => {
                            value.push_str(&sql[i..]);
                            i = bytes.len();
                            break;
                        }
                    }
                }
                if b == b'"' {
                    Tok::Quoted(value)
                } else {
                    Tok::Str(value)
                }
            }
            b'$' => {
                // `$tag$ .. $tag$` (a body), or `$1`.
                let tag_end = sql[i + 1..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map(|n| i + 1 + n);
                match tag_end.filter(|&e| bytes[e] == b'$') {
                    Some(e) => {
                        let tag = &sql[i..=e];
                        i = sql[e + 1..]
                            .find(tag)
                            .map_or(bytes.len(), |n| e + 1 + n + tag.len());
                        Tok::Str(String::new())
                    }
                    None => {
                        i = tag_end.unwrap_or(bytes.len());
                        Tok::Other
                    }
                }
            }
            b'(' | b')' | b',' | b';' | b'.' | b'*' => {
                i += 1;
                Tok::Punct(b as char)
            }
            b if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'_'
                        || bytes[i] == b'$'
                        || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                Tok::Word(sql[start..i].to_lowercase())
            }
            _ => {
                // A number or an operator: one token per run of such characters.
                i += 1;
                while i < bytes.len()
                    && !bytes[i].is_ascii_whitespace()
                    && !b"()[],;\"'".contains(&bytes[i])
                    && (!bytes[i].is_ascii_alphabetic() || bytes[start].is_ascii_digit())
                {
                    i += 1;
                }
                Tok::Other
            }
        };
        if tok == Tok::Punct(')') {
            depth = depth.saturating_sub(1);
        }
        out.push(Token {
            tok: tok.clone(),
            start,
            end: i,
            depth,
        });
        if tok == Tok::Punct('(') {
            depth += 1;
        }
    }
    out
}

/// `toks` (taken from inside a group) with depths relative to their own start.
fn rebase(toks: &[Token]) -> Vec<Token> {
    let base = toks.iter().map(|t| t.depth).min().unwrap_or(0);
    toks.iter()
        .map(|t| Token {
            depth: t.depth - base,
            ..t.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derive(statements: &[&str]) -> Vec<String> {
        let mut d = Deriver::new();
        statements
            .iter()
            .flat_map(|s| d.statement(s))
            .map(|c| c.describe())
            .collect()
    }

    #[test]
    fn typed_operations_as_the_engine_renders_them() {
        insta::assert_debug_snapshot!(derive(&[
            r#"ALTER TABLE "orders" ADD CONSTRAINT "orders_note_not_null" CHECK ("note" IS NOT NULL) NOT VALID"#,
            r#"ALTER TABLE "orders" VALIDATE CONSTRAINT "orders_note_not_null""#,
            r#"ALTER TABLE "orders" ALTER COLUMN "note" SET NOT NULL"#,
            r#"CREATE UNIQUE INDEX CONCURRENTLY "users_email_index" ON "users" ("email")"#,
            r#"ALTER TABLE "orders" ADD CONSTRAINT "orders_warehouse_fk" FOREIGN KEY ("warehouse_id") REFERENCES "warehouses" ("id") NOT VALID"#,
            r#"ALTER TABLE "orders" VALIDATE CONSTRAINT "orders_warehouse_fk""#,
            r#"ALTER TABLE "orders" ALTER COLUMN "qty" TYPE integer USING "qty"::integer"#,
        ]), @r###"
        [
            "no NULL in orders.note",
            "no NULL in orders.note",
            "no duplicate (\"email\") in users",
            "no orphan of orders (warehouse_id) in warehouses (id)",
            "every orders.qty castable to integer (USING \"qty\"::integer)",
        ]
        "###);
    }

    #[test]
    fn raw_sql_in_the_forms_people_write() {
        insta::assert_debug_snapshot!(derive(&[
            "create type status_v2 as enum ('new', 'paid');\n\
             alter table app.orders alter status type status_v2 using status::text::status_v2, \
               add constraint qty_positive check (qty > 0), add unique (code);",
            "-- a comment; with a semicolon\nCREATE UNIQUE INDEX IF NOT EXISTS ON Users USING btree \
             (lower(email) DESC NULLS LAST, tenant text_pattern_ops) WHERE deleted_at IS NULL",
            "ALTER TABLE ONLY t ADD PRIMARY KEY (a, b)",
            "ALTER TABLE t ADD FOREIGN KEY (x) REFERENCES s",
            "ALTER TABLE t VALIDATE CONSTRAINT added_long_ago",
            "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0, ALTER COLUMN d DROP NOT NULL",
            "CREATE INDEX ON t (a)",
            "UPDATE t SET a = 1 WHERE b = 'ALTER TABLE x ALTER y SET NOT NULL'",
        ]), @r###"
        [
            "no value of app.orders.status outside status_v2 ('new', 'paid')",
            "every row of app.orders satisfies CHECK (qty > 0)",
            "no duplicate (\"code\") in app.orders",
            "no duplicate (lower(email), \"tenant\") in users where deleted_at IS NULL",
            "no NULL in t.a",
            "no NULL in t.b",
            "no duplicate (\"a\", \"b\") in t",
            "no orphan of t (x) in s (its primary key)",
            "constraint added_long_ago of t holds (as production defines it)",
        ]
        "###);
    }

    /// What a migration may hold is read without a panic, whatever it is.
    #[test]
    fn any_text_is_read_without_a_panic() {
        for sql in [
            "",
            ";;;",
            "ALTER TABLE",
            "ALTER TABLE t ALTER COLUMN",
            "ALTER TABLE t ADD CONSTRAINT c CHECK (",
            "ALTER TABLE \"unterminated",
            "CREATE UNIQUE INDEX ON t (a",
            "CREATE UNIQUE INDEX i ON t () WHERE",
            "ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES",
            "SELECT 'unterminated",
            "/* unterminated /* nested",
            "$tag$ never closed",
            "ALTER TABLE café ALTER COLUMN naïve SET NOT NULL; SELECT 1 € 2",
            "CREATE TYPE t AS ENUM ('a', $$b$$, 'c''d')",
            "ALTER TABLE t ALTER COLUMN c TYPE numeric(10, 2) USING round(c, 2), ALTER d SET NOT NULL",
        ] {
            let mut d = Deriver::new();
            let _ = d.statement(sql);
        }
        let mut d = Deriver::new();
        let checks: Vec<String> = d
            .statement("ALTER TABLE café ALTER COLUMN naïve SET NOT NULL")
            .iter()
            .map(Check::describe)
            .collect();
        assert_eq!(checks, ["no NULL in café.naïve"]);
    }

    #[test]
    fn tokens_keep_quotes_strings_and_depths() {
        let toks = tokens(r#"a "B""c" 'it''s' (x, (y)) $$ body; $$ -- c"#);
        let kinds: Vec<String> = toks
            .iter()
            .map(|t| format!("{:?}@{}", t.tok, t.depth))
            .collect();
        insta::assert_debug_snapshot!(kinds, @r###"
        [
            "Word(\"a\")@0",
            "Quoted(\"B\\\"c\")@0",
            "Str(\"it's\")@0",
            "Punct('(')@0",
            "Word(\"x\")@1",
            "Punct(',')@1",
            "Punct('(')@1",
            "Word(\"y\")@2",
            "Punct(')')@1",
            "Punct(')')@0",
            "Str(\"\")@0",
        ]
        "###);
        assert_eq!(rebase(&toks[4..9])[0].depth, 0);
    }
}
