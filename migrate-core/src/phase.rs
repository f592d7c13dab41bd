//! The deploy phase of a migration, judged by what the app version still running meets.
//!
//! During a rolling deploy the previous release keeps writing while the migrations run. A migration is an
//! *expand* when that release loses nothing: new tables, new nullable columns, new indexes. It is a
//! *contract* when it removes or renames what that release uses (the migration says so with
//! `pgm.contract(reason)`), and also when it makes the database refuse what that release may still write:
//! `SET NOT NULL`, a new `CHECK`, `UNIQUE`, primary key, exclusion or foreign key on existing columns, an
//! in-place type change, a dropped default, a renamed enum value, a stricter domain. Those are found here,
//! in the rendered SQL, by [`stricter_changes`]: the one place `up --expand-only`, `status`, `wait
//! --expand-only`, the recorded phase of an applied migration, `review`'s phase column and the lint rule
//! `stricter-change-in-expand` all ask.
//!
//! Such a change is a contract unless the migration says the running release already meets it, with the
//! lint rule's own suppression: `// lint: allow stricter-change-in-expand -- <why>` ([`accepted_in_expand`]).
//! Lint then reports nothing and the migration is an expand everywhere else too.
//!
//! A constraint added `NOT VALID` is stricter all the same: PostgreSQL checks every new or updated row
//! against it; only the rows already there wait for `VALIDATE`. A `VALIDATE CONSTRAINT` on its own changes
//! no write's fate (the `ADD` did), so it is not a stricter change. Statements on a table the same
//! migration created, and constraints on columns it added without a default (the running release does not
//! write them), are not stricter either. What cannot be read without running it (a `DO` block, a
//! function) is not judged.
//!
//! The reading is a small lexer over each statement's words, not a parser: it has to run in the runner and
//! in an application's `up --expand-only`, which do not compile the SQL parser lint uses.

use std::collections::HashSet;

use migrate_dsl::{split_statements, Statement};

/// The lint rule that reports a stricter change in a migration not marked contract, as its name is written.
pub const STRICTER_RULE: &str = "stricter-change-in-expand";

/// A change that makes the database refuse what the app version still running may write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stricter {
    /// Which of the inputs holds the statement.
    pub input: usize,
    /// Where the statement starts in that input's SQL, in bytes.
    pub offset: usize,
    /// What it refuses, in words: `SET NOT NULL on orders.note`.
    pub what: String,
}

/// Every stricter change among `inputs` (the rendered SQL of one migration's `up`, in order; an input may
/// hold several statements), one per statement.
pub fn stricter_changes<'a>(inputs: impl IntoIterator<Item = &'a str>) -> Vec<Stricter> {
    let mut known = Known::default();
    let mut out = Vec::new();
    for (input, sql) in inputs.into_iter().enumerate() {
        for statement in split_statements(sql) {
            let tokens = lex(statement.sql);
            if let Some(what) = known.judge(&tokens) {
                out.push(Stricter {
                    input,
                    offset: statement.offset,
                    what,
                });
            }
        }
    }
    out
}

/// Why a migration whose `up` rendered `statements` is a contract though not marked one: its stricter
/// changes, unless its `source` accepts them in an expand. `None` when it has none, or accepts them.
pub(crate) fn unmarked_contract(statements: &[Statement], source: &str) -> Option<String> {
    if accepted_in_expand(source).is_some() {
        return None;
    }
    // A key's widening only adds what its triggers fill and renames to the same values: what looks
    // stricter in it (a check on a twin column, a unique index on a unique key) refuses nothing the app
    // writes (see lint's exemption of the same steps).
    let found = stricter_changes(
        statements
            .iter()
            .filter(|s| s.action.is_none() && s.op != "widen_key_online")
            .map(|s| s.sql.as_str()),
    );
    let first = found.first()?;
    let more = match found.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    Some(format!(
        "{}{more}: the database refuses what the app version still running may write (not marked \
         `pgm.contract(..)`; see lint's {STRICTER_RULE})",
        first.what
    ))
}

/// The reason of a `// lint: allow` comment in `source` that names [`STRICTER_RULE`]: the migration says
/// the running release meets its stricter changes. Lint checks the comment's form; this only finds it.
pub fn accepted_in_expand(source: &str) -> Option<String> {
    source.lines().find_map(|line| {
        let comment = &line[line.find("//")?..];
        let body = comment
            .trim_start_matches(['/', '!'])
            .trim_start()
            .strip_prefix("lint:")?
            .trim_start()
            .strip_prefix("allow")?;
        let (names, reason) = body.split_once("--")?;
        let reason = reason.trim();
        let named = names
            .split([',', ' ', '\t'])
            .any(|name| name == STRICTER_RULE);
        (named && !reason.is_empty()).then(|| reason.to_owned())
    })
}

/// A token of a statement: what the judgement reads.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A keyword or an unquoted name, folded to lower case.
    Word(String),
    /// A quoted name, as written between the quotes.
    Quoted(String),
    Open,
    Close,
    Comma,
    Dot,
    /// `::`
    Cast,
    /// A literal, a number, an operator, a parameter.
    Other,
}

impl Token {
    fn is(&self, word: &str) -> bool {
        matches!(self, Token::Word(w) if w == word)
    }

    /// The name it stands for, when it is one.
    fn name(&self) -> Option<&str> {
        match self {
            Token::Word(w) | Token::Quoted(w) => Some(w),
            _ => None,
        }
    }
}

/// The tokens of one statement (see [`migrate_dsl::split_statements`] for what hides a semicolon).
fn lex(sql: &str) -> Vec<Token> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b if b.is_ascii_whitespace() => i += 1,
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(bytes.len(), |end| i + end);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..].find("*/").map_or(bytes.len(), |end| i + end + 4);
            }
            b'(' => {
                out.push(Token::Open);
                i += 1;
            }
            b')' => {
                out.push(Token::Close);
                i += 1;
            }
            b',' => {
                out.push(Token::Comma);
                i += 1;
            }
            b'.' if !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                out.push(Token::Dot);
                i += 1;
            }
            b':' if bytes.get(i + 1) == Some(&b':') => {
                out.push(Token::Cast);
                i += 2;
            }
            b'"' => {
                let mut name = String::new();
                let mut j = i + 1;
                loop {
                    match sql[j..].find('"') {
                        Some(end) => {
                            name.push_str(&sql[j..j + end]);
                            j += end + 1;
                            if bytes.get(j) == Some(&b'"') {
                                name.push('"');
                                j += 1;
                            } else {
                                break;
                            }
                        }
                        None => {
                            j = bytes.len();
                            break;
                        }
                    }
                }
                out.push(Token::Quoted(name));
                i = j;
            }
            b'\'' => {
                let mut j = i + 1;
                while j < bytes.len() {
                    if bytes[j] == b'\'' {
                        if bytes.get(j + 1) == Some(&b'\'') {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j += 1;
                }
                out.push(Token::Other);
                i = j + 1;
            }
            b'$' => {
                // `$tag$ ... $tag$` (a body the judgement does not read), or a parameter `$1`.
                let tag_end = sql[i + 1..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map(|n| i + 1 + n);
                match tag_end {
                    Some(end) if bytes[end] == b'$' && !bytes[i + 1].is_ascii_digit() => {
                        let tag = &sql[i..=end];
                        i = sql[end + 1..]
                            .find(tag)
                            .map_or(bytes.len(), |n| end + 1 + n + tag.len());
                    }
                    _ => i += 1,
                }
                out.push(Token::Other);
            }
            b if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'_'
                        || bytes[i] == b'$'
                        || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                out.push(Token::Word(sql[start..i].to_lowercase()));
            }
            _ => {
                out.push(Token::Other);
                i += sql[i..].chars().next().map_or(1, char::len_utf8);
            }
        }
    }
    out
}

/// A possibly qualified name at `at`: its last part (the schema is dropped, as lint does) and where it ends.
fn name_at(tokens: &[Token], at: usize) -> Option<(String, usize)> {
    let mut last = tokens.get(at)?.name()?.to_owned();
    let mut i = at + 1;
    while tokens.get(i) == Some(&Token::Dot) {
        match tokens.get(i + 1).and_then(Token::name) {
            Some(part) => last = part.to_owned(),
            None => break,
        }
        i += 2;
    }
    Some((last, i))
}

/// The tokens between the parenthesis opening at `at` and its match, and where they end (after it).
fn parenthesised(tokens: &[Token], at: usize) -> Option<(&[Token], usize)> {
    if tokens.get(at) != Some(&Token::Open) {
        return None;
    }
    let mut depth = 0;
    for (i, token) in tokens.iter().enumerate().skip(at) {
        match token {
            Token::Open => depth += 1,
            Token::Close => {
                depth -= 1;
                if depth == 0 {
                    return Some((&tokens[at + 1..i], i + 1));
                }
            }
            _ => {}
        }
    }
    Some((&tokens[at + 1..], tokens.len()))
}

/// `tokens` split at each `separator` outside parentheses.
fn top_level(tokens: &[Token], separator: Token) -> Vec<&[Token]> {
    split_outside_parentheses(tokens, |t| *t == separator)
}

/// `tokens` split at each token `at` accepts outside parentheses (the tokens split at are left out).
fn split_outside_parentheses(tokens: &[Token], at: impl Fn(&Token) -> bool) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Open => depth += 1,
            Token::Close => depth = depth.saturating_sub(1),
            t if depth == 0 && at(t) => {
                parts.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&tokens[start..]);
    parts
}

/// Whether the words `words` follow each other at depth 0 of `tokens`.
fn has_words(tokens: &[Token], words: &[&str]) -> bool {
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Open => depth += 1,
            Token::Close => depth = depth.saturating_sub(1),
            _ if depth == 0
                && words
                    .iter()
                    .enumerate()
                    .all(|(k, w)| tokens.get(i + k).is_some_and(|t| t.is(w))) =>
            {
                return true
            }
            _ => {}
        }
    }
    false
}

/// A column list `(a, b)`: the names, or `None` when an element is an expression.
fn column_list(tokens: &[Token]) -> Option<Vec<String>> {
    top_level(tokens, Token::Comma)
        .into_iter()
        .map(|part| match part {
            [one] => one.name().map(str::to_owned),
            // An index element's options: `a DESC`, `a text_pattern_ops`, `a NULLS LAST`.
            [first, rest @ ..] if rest.iter().all(|t| matches!(t, Token::Word(_))) => {
                first.name().map(str::to_owned)
            }
            _ => None,
        })
        .collect()
}

/// Words of a `CHECK` expression that are not names of columns.
const EXPRESSION_WORDS: &[&str] = &[
    "and", "or", "not", "is", "in", "between", "like", "ilike", "similar", "to", "true", "false", "case",
    "when", "then", "else", "end", "any", "all", "some", "array", "distinct", "from", "escape",
];

/// What the statements before the one judged made: the judgement exempts them.
#[derive(Default)]
struct Known {
    /// Tables, domains and types created by the migration.
    created: HashSet<String>,
    /// Columns it added with no value for existing rows and none for inserts that leave them out: the
    /// running release, which does not know them, leaves them NULL.
    empty_columns: HashSet<(String, String)>,
}

impl Known {
    /// What the statement makes the database refuse, when it is stricter; records what it creates.
    fn judge(&mut self, t: &[Token]) -> Option<String> {
        let w = |i: usize| t.get(i).and_then(|t| if let Token::Word(w) = t { Some(w.as_str()) } else { None });
        match (w(0), w(1)) {
            (Some("create"), _) => self.created(t),
            (Some("alter"), Some("table")) => self.alter_table(t),
            (Some("alter"), Some("type")) if has_words(t, &["rename", "value"]) => {
                let (name, _) = name_at(t, 2).filter(|(name, _)| !self.created.contains(name))?;
                Some(format!("RENAME VALUE of enum {name}"))
            }
            (Some("alter"), Some("domain")) => {
                let (name, _) = name_at(t, 2).filter(|(name, _)| !self.created.contains(name))?;
                let what = if has_words(t, &["set", "not", "null"]) {
                    "SET NOT NULL"
                } else if has_words(t, &["drop", "default"]) {
                    "DROP DEFAULT"
                } else if has_words(t, &["add"]) {
                    "a new constraint"
                } else {
                    return None;
                };
                Some(format!("{what} on domain {name}"))
            }
            _ => None,
        }
    }

    /// `CREATE TABLE`, `DOMAIN` or `TYPE` (recorded) or `CREATE UNIQUE INDEX` (judged).
    fn created(&mut self, t: &[Token]) -> Option<String> {
        let kinds = ["table", "domain", "type", "index"];
        let at = t.iter().position(|t| kinds.iter().any(|k| t.is(k)))?;
        if t[at].is("index") {
            return self.unique_index(t);
        }
        let mut i = at + 1;
        if t.get(i).is_some_and(|t| t.is("if")) {
            i += 3;
        }
        let (name, _) = name_at(t, i)?;
        self.created.insert(name);
        None
    }

    fn unique_index(&self, t: &[Token]) -> Option<String> {
        if !t.get(1).is_some_and(|t| t.is("unique")) || !t.get(2).is_some_and(|t| t.is("index")) {
            return None;
        }
        let on = t.iter().position(|t| t.is("on"))?;
        let mut i = on + 1;
        if t.get(i).is_some_and(|t| t.is("only")) {
            i += 1;
        }
        let (table, mut i) = name_at(t, i)?;
        if self.created.contains(&table) {
            return None;
        }
        if t.get(i).is_some_and(|t| t.is("using")) {
            i += 2;
        }
        let (elements, _) = parenthesised(t, i)?;
        let columns = column_list(elements);
        if !has_words(t, &["nulls", "not", "distinct"]) && self.all_empty(&table, columns.as_deref()) {
            return None;
        }
        Some(format!("a unique index on {table}{}", shown_columns(columns.as_deref())))
    }

    fn alter_table(&mut self, t: &[Token]) -> Option<String> {
        let mut i = 2;
        if t.get(i).is_some_and(|t| t.is("if")) {
            i += 2;
        }
        if t.get(i).is_some_and(|t| t.is("only")) {
            i += 1;
        }
        let (table, mut i) = name_at(t, i)?;
        if t.get(i) == Some(&Token::Other) {
            // `name *`
            i += 1;
        }
        let new = self.created.contains(&table);
        let mut found = None;
        for action in top_level(&t[i..], Token::Comma) {
            let judged = self.action(&table, action);
            if found.is_none() && !new {
                found = judged;
            }
        }
        found
    }

    /// One action of `ALTER TABLE table`; records the columns it adds.
    fn action(&mut self, table: &str, a: &[Token]) -> Option<String> {
        let is = |i: usize, word: &str| a.get(i).is_some_and(|t| t.is(word));
        if is(0, "add") {
            let mut i = 1;
            if is(i, "constraint") {
                i += 2;
            }
            let kinds = ["check", "foreign", "unique", "primary", "exclude"];
            if !kinds.iter().any(|k| is(i, k)) {
                return self.add_column(table, &a[1..]);
            }
            return self.add_constraint(table, &a[i..]);
        }
        if is(0, "alter") {
            let i = if is(1, "column") { 2 } else { 1 };
            let (column, _) = name_at(a, i)?;
            let rest = &a[i + 1..];
            let on = format!("{table}.{column}");
            let empty = self.empty_columns.contains(&(table.to_owned(), column.clone()));
            let r = |k: usize, word: &str| rest.get(k).is_some_and(|t| t.is(word));
            return if r(0, "set") && r(1, "not") && r(2, "null") {
                Some(format!("SET NOT NULL on {on}"))
            } else if (r(0, "type") || (r(0, "set") && r(1, "data") && r(2, "type"))) && !empty {
                Some(format!("a type change of {on}"))
            } else if r(0, "drop") && r(1, "default") && !empty {
                Some(format!("DROP DEFAULT on {on}"))
            } else if (r(0, "add") || r(0, "set")) && r(1, "generated") && r(2, "always") {
                Some(format!("an identity GENERATED ALWAYS on {on}"))
            } else {
                None
            };
        }
        None
    }

    /// `ADD [COLUMN] [IF NOT EXISTS] name type ...` (`a` starts after `ADD`).
    fn add_column(&mut self, table: &str, a: &[Token]) -> Option<String> {
        let mut i = 0;
        if a.first().is_some_and(|t| t.is("column")) {
            i += 1;
        }
        if a.get(i).is_some_and(|t| t.is("if")) {
            i += 3;
        }
        let column = a.get(i)?.name()?.to_owned();
        let rest = &a[i + 1..];
        let filled = has_words(rest, &["default"]) && !has_words(rest, &["default", "null"])
            || has_words(rest, &["generated"])
            || rest
                .first()
                .and_then(Token::name)
                .is_some_and(|ty| ty.ends_with("serial") || ty.starts_with("serial"));
        if filled {
            return None;
        }
        self.empty_columns.insert((table.to_owned(), column.clone()));
        (has_words(rest, &["not", "null"]) || has_words(rest, &["primary", "key"])).then(|| {
            format!("a new column {table}.{column} NOT NULL without a default (inserts that leave it out fail)")
        })
    }

    /// `CHECK (..)`, `FOREIGN KEY (..)`, `UNIQUE ..`, `PRIMARY KEY ..`, `EXCLUDE ..` (`a` starts there).
    fn add_constraint(&self, table: &str, a: &[Token]) -> Option<String> {
        let is = |i: usize, word: &str| a.get(i).is_some_and(|t| t.is(word));
        let after = |at: usize| {
            let mut i = at;
            // `UNIQUE NULLS [NOT] DISTINCT (..)`
            while a.get(i).is_some_and(|t| matches!(t, Token::Word(_))) {
                i += 1;
            }
            parenthesised(a, i).map(|(inside, _)| inside)
        };
        if is(0, "check") {
            let (expression, _) = parenthesised(a, 1)?;
            return (!self.checks_only_empty(table, expression))
                .then(|| format!("a new CHECK on {table}"));
        }
        if is(0, "foreign") {
            let columns = after(2).and_then(column_list);
            return (!self.all_empty(table, columns.as_deref()))
                .then(|| format!("a new foreign key on {table}{}", shown_columns(columns.as_deref())));
        }
        if is(0, "unique") {
            if is(1, "using") {
                // Its unique index refused duplicates already.
                return None;
            }
            let columns = after(1).and_then(column_list);
            let nulls_count = has_words(a, &["nulls", "not", "distinct"]);
            return (nulls_count || !self.all_empty(table, columns.as_deref()))
                .then(|| format!("a new UNIQUE on {table}{}", shown_columns(columns.as_deref())));
        }
        if is(0, "primary") {
            // It makes its columns NOT NULL too, even on columns the running release leaves empty.
            return Some(format!("a new primary key on {table}"));
        }
        Some(format!("a new exclusion constraint on {table}"))
    }

    /// Whether `columns` are known and all added empty by this migration.
    fn all_empty(&self, table: &str, columns: Option<&[String]>) -> bool {
        columns.is_some_and(|columns| {
            !columns.is_empty()
                && columns
                    .iter()
                    .all(|c| self.empty_columns.contains(&(table.to_owned(), c.clone())))
        })
    }

    /// Whether a `CHECK` expression lets the row the running release writes pass: each of its `AND`ed parts
    /// reads a column this migration added empty, and none says anything of NULL (`IS`, `NOT`, `OR`, `CASE`,
    /// `COALESCE`, `NULLIF` can turn a NULL into false), so the NULL that release leaves there makes the part,
    /// and the whole, NULL: a pass.
    fn checks_only_empty(&self, table: &str, expression: &[Token]) -> bool {
        const DECIDE_ON_NULL: &[&str] = &["null", "coalesce", "nullif", "is", "not", "or", "case"];
        top_level_words(expression, "and").into_iter().all(|part| {
            let mut reads_empty = false;
            for (i, token) in part.iter().enumerate() {
                let Some(name) = token.name() else { continue };
                let word = matches!(token, Token::Word(_));
                if word && DECIDE_ON_NULL.contains(&name) {
                    return false;
                }
                let called = part.get(i + 1) == Some(&Token::Open);
                let cast = i > 0 && part[i - 1] == Token::Cast;
                if called || cast || (word && EXPRESSION_WORDS.contains(&name)) {
                    continue;
                }
                reads_empty |= self
                    .empty_columns
                    .contains(&(table.to_owned(), name.to_owned()));
            }
            reads_empty
        })
    }
}

/// `tokens` split at the keyword `word` outside parentheses.
fn top_level_words<'t>(tokens: &'t [Token], word: &str) -> Vec<&'t [Token]> {
    split_outside_parentheses(tokens, |t| t.is(word))
}

fn shown_columns(columns: Option<&[String]>) -> String {
    match columns {
        Some(columns) if !columns.is_empty() => format!(" ({})", columns.join(", ")),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests;
