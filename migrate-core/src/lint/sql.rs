//! Checks on the rendered SQL of one migration.
//!
//! Every statement (typed operations rendered, raw SQL as written) is parsed together with `squawk-syntax`, so
//! rules see the whole migration: a table created by an earlier statement, a CHECK validated before a
//! `SET NOT NULL`. `squawk-linter` runs the rules it has (see [`Rule::from_squawk`]); the rules it lacks are
//! below, on the same syntax tree. Linting SQL rather than [`migrate_dsl::Operation`]s means a new operation is
//! covered as soon as it renders.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{SourceFile, SyntaxKind, SyntaxNode};

use super::rules::Rule;

/// One rendered statement of the migration, as recorded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Input<'a> {
    pub position: usize,
    pub op: &'static str,
    pub sql: &'a str,
}

/// A rule broken by the top-level SQL statement `statement`, which belongs to `inputs[input]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub rule: Rule,
    pub input: usize,
    pub statement: String,
    pub detail: Option<String>,
}

/// Byte range of each input in the combined text.
struct Layout {
    text: String,
    spans: Vec<(usize, usize)>,
}

impl Layout {
    fn new(inputs: &[Input<'_>]) -> Self {
        let mut text = String::new();
        let mut spans = Vec::with_capacity(inputs.len());
        for input in inputs {
            let start = text.len();
            text.push_str(input.sql.trim_end());
            spans.push((start, text.len()));
            // On a line of its own: a terminator after a trailing `-- comment` would be commented out. An empty
            // statement after an existing `;` is harmless.
            text.push_str("\n;\n");
        }
        Layout { text, spans }
    }

    fn input_at(&self, offset: usize) -> Option<usize> {
        self.spans
            .iter()
            .position(|&(start, end)| start <= offset && offset <= end)
    }
}

/// A top-level statement of the combined text.
struct Stmt {
    node: ast::Stmt,
    start: usize,
    input: usize,
    /// The table it changes, normalised ([`normalise`]), where that is one table.
    table: Option<String>,
}

/// Runs every rule over `inputs`; returns the hits in statement order, and notes on SQL the parser could not
/// read (rules may then miss something in it).
pub(crate) fn check(
    inputs: &[Input<'_>],
    pg_major: u32,
    transactional: bool,
) -> (Vec<Hit>, Vec<String>) {
    let layout = Layout::new(inputs);
    let parse = SourceFile::parse(&layout.text);
    let mut notes = Vec::new();
    for error in parse.errors() {
        let offset = usize::from(error.range().start());
        let at = layout
            .input_at(offset)
            .map(|i| format!("#{} ({})", inputs[i].position, inputs[i].op))
            .unwrap_or_else(|| "the migration".to_owned());
        notes.push(format!(
            "could not parse all of {at}: {}; rules may miss problems in it",
            error.message()
        ));
    }

    let stmts: Vec<Stmt> = parse
        .tree()
        .stmts()
        .filter_map(|node| {
            let start = usize::from(node.syntax().text_range().start());
            let input = layout.input_at(start)?;
            Some(Stmt {
                table: target_table(&node),
                node,
                start,
                input,
            })
        })
        .collect();

    // Where each table was created, to exempt later statements on it.
    let mut created: HashMap<String, usize> = HashMap::new();
    for (i, stmt) in stmts.iter().enumerate() {
        if let ast::Stmt::CreateTable(t) = &stmt.node {
            if let Some(name) = t
                .table_name()
                .map(|n| normalise(&n.syntax().text().to_string()))
            {
                created.entry(name).or_insert(i);
            }
        }
    }
    let is_new = |i: usize| {
        stmts[i]
            .table
            .as_ref()
            .and_then(|t| created.get(t))
            .is_some_and(|&at| at < i)
    };

    let mut raw: Vec<(usize, Rule, Option<String>)> = Vec::new();
    squawk_hits(&parse, &stmts, pg_major, transactional, &mut raw);
    for (i, stmt) in stmts.iter().enumerate() {
        own_hits(stmt, inputs[stmt.input].op, pg_major, |rule, detail| {
            raw.push((i, rule, detail))
        });
    }

    // One hit per rule and statement, and a general rule gives way to a more precise one on the same statement:
    // squawk reports constraint-missing-not-valid next to its foreign key, unique and primary key rules, and
    // adding-field-with-default for identity columns, which adding-serial-field explains better.
    const SHADOWED: &[(Rule, Rule)] = &[
        (
            Rule::ConstraintMissingNotValid,
            Rule::AddingForeignKeyConstraint,
        ),
        (
            Rule::ConstraintMissingNotValid,
            Rule::DisallowedUniqueConstraint,
        ),
        (
            Rule::ConstraintMissingNotValid,
            Rule::AddingSerialPrimaryKeyField,
        ),
        (Rule::AddingFieldWithDefault, Rule::AddingSerialField),
    ];
    let present: HashSet<(usize, Rule)> = raw.iter().map(|(i, r, _)| (*i, *r)).collect();
    raw.sort_by_key(|(i, r, _)| (*i, *r));
    raw.dedup_by_key(|(i, r, _)| (*i, *r));
    let hits = raw
        .into_iter()
        .filter(|(i, r, _)| {
            !SHADOWED
                .iter()
                .any(|(general, precise)| r == general && present.contains(&(*i, *precise)))
        })
        .filter(|(i, r, _)| !(r.exempt_new_tables() && is_new(*i)))
        .map(|(i, rule, detail)| Hit {
            rule,
            input: stmts[i].input,
            statement: one_line(&stmts[i].node.syntax().text().to_string()),
            detail,
        })
        .collect();
    (hits, notes)
}

fn squawk_hits(
    parse: &squawk_syntax::Parse<SourceFile>,
    stmts: &[Stmt],
    pg_major: u32,
    transactional: bool,
    out: &mut Vec<(usize, Rule, Option<String>)>,
) {
    let mut linter = squawk_linter::Linter::from(Rule::squawk_rules());
    if let Ok(version) = squawk_linter::Version::from_str(&format!("{pg_major}.0")) {
        linter.settings.pg_version = version;
    }
    // squawk then also flags a VALIDATE that shares the runner's transaction with its ADD ... NOT VALID.
    linter.settings.assume_in_transaction = transactional;
    for violation in linter.lint(parse, &parse.syntax_node().to_string()) {
        let Some(rule) = Rule::from_squawk(violation.code) else {
            continue;
        };
        let offset = usize::from(violation.text_range.start());
        let Some(i) = stmts.iter().rposition(|s| s.start <= offset) else {
            continue;
        };
        let detail = match (&stmts[i].node, rule) {
            (ast::Stmt::AlterTable(t), Rule::ConstraintMissingNotValid)
                if t.actions().any(|a| matches!(a, ast::AlterTableAction::ValidateConstraint(_))) =>
            {
                Some("VALIDATE runs in the same transaction as the ADD ... NOT VALID, so the ACCESS EXCLUSIVE lock of the ADD is held during the scan: validate in a later migration".to_owned())
            }
            _ => None,
        };
        out.push((i, rule, detail));
    }
}

/// The rules squawk does not have.
fn own_hits(stmt: &Stmt, op: &str, pg_major: u32, mut hit: impl FnMut(Rule, Option<String>)) {
    let syntax = stmt.node.syntax();
    match &stmt.node {
        ast::Stmt::CreateTable(_) | ast::Stmt::AlterTable(_) => {
            for ty in syntax.descendants().filter_map(ast::PathType::cast) {
                let under_cast = ty
                    .syntax()
                    .ancestors()
                    .take_while(|n| n != syntax)
                    .any(|n| ast::CastExpr::can_cast(n.kind()));
                let name = ty
                    .path_ref()
                    .map(|p| normalise(&p.syntax().text().to_string()));
                if !under_cast && name.as_deref() == Some("json") {
                    hit(Rule::PreferJsonb, None);
                }
            }
        }
        _ => {}
    }
    match &stmt.node {
        ast::Stmt::AlterTable(t) => {
            for action in t.actions() {
                if let ast::AlterTableAction::AddColumn(add) = action {
                    if let Some(kind) = auto_filled(&add) {
                        hit(
                            Rule::AddingSerialField,
                            Some(format!("the new column is {kind}")),
                        );
                    }
                }
            }
        }
        ast::Stmt::Update(u) if u.where_clause_or_current_of().is_none() => {
            hit(Rule::RequireWhereClause, None)
        }
        ast::Stmt::Delete(d) if d.where_clause_or_current_of().is_none() => {
            hit(Rule::RequireWhereClause, None)
        }
        ast::Stmt::Begin(_)
        | ast::Stmt::Commit(_)
        | ast::Stmt::Rollback(_)
        | ast::Stmt::PrepareTransaction(_) => hit(Rule::BanTransactionControl, None),
        _ => {}
    }
    // Typed operations never set timeouts; only raw SQL can.
    if op == "sql" {
        if let Some(setting) = timeout_setting(&stmt.node) {
            hit(Rule::BanTimeoutInSql, Some(format!("it sets {setting}")));
        }
    }
    if pg_major < 15 && has_keywords(syntax, &["NULLS", "NOT", "DISTINCT"]) {
        hit(
            Rule::NullsNotDistinctNeedsPg15,
            Some(format!("linting for PostgreSQL {pg_major}")),
        );
    }
}

/// What fills every existing row of a column being added: a sequence, an identity or a stored expression.
fn auto_filled(add: &ast::AddColumn) -> Option<&'static str> {
    const SERIALS: &[&str] = &[
        "serial",
        "serial2",
        "serial4",
        "serial8",
        "smallserial",
        "bigserial",
    ];
    if let Some(ast::Type::PathType(ty)) = add.ty() {
        let name = ty
            .path_ref()
            .map(|p| normalise(&p.syntax().text().to_string()));
        if name.is_some_and(|n| SERIALS.contains(&n.as_str())) {
            return Some("serial");
        }
    }
    for constraint in add.constraints() {
        if let ast::Constraint::GeneratedConstraint(g) = constraint {
            let text = g.syntax().text().to_string().to_ascii_uppercase();
            if text.contains("IDENTITY") {
                return Some("an identity column");
            }
            // Virtual generated columns (PostgreSQL 18) are computed on read: no rewrite.
            if text.contains("STORED") {
                return Some("a stored generated column");
            }
        }
    }
    None
}

/// The timeout a statement sets: `SET [LOCAL|SESSION] lock_timeout ...`, `set_config('statement_timeout', ..)`.
fn timeout_setting(stmt: &ast::Stmt) -> Option<&'static str> {
    const SETTINGS: &[&str] = &["lock_timeout", "statement_timeout"];
    let text = stmt.syntax().text().to_string().to_ascii_lowercase();
    if let ast::Stmt::Set(_) = stmt {
        let words: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == '=')
            .filter(|w| !w.is_empty())
            .collect();
        let name = match words.get(1) {
            Some(&"local") | Some(&"session") => words.get(2),
            other => other,
        };
        let name = name.map(|n| n.trim_matches('"'));
        return SETTINGS.iter().copied().find(|s| Some(*s) == name);
    }
    if text.contains("set_config") {
        return SETTINGS
            .iter()
            .copied()
            .find(|s| text.contains(&format!("'{s}'")));
    }
    None
}

/// Whether `words` appear in a row among the statement's tokens (keywords, ignoring whitespace and comments).
fn has_keywords(node: &SyntaxNode, words: &[&str]) -> bool {
    let tokens: Vec<String> = node
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !matches!(t.kind(), SyntaxKind::WHITESPACE | SyntaxKind::COMMENT))
        .map(|t| t.text().to_ascii_uppercase())
        .collect();
    tokens
        .windows(words.len())
        .any(|w| w.iter().zip(words).all(|(a, b)| a == b))
}

/// The one table a statement changes, where there is one.
fn target_table(stmt: &ast::Stmt) -> Option<String> {
    let text = match stmt {
        ast::Stmt::AlterTable(t) => t.table_relation_name()?.table_name_ref()?.syntax().text(),
        ast::Stmt::CreateIndex(i) => i.table_relation_name()?.table_name_ref()?.syntax().text(),
        ast::Stmt::Update(u) => u.relation_name()?.relation_name_ref()?.syntax().text(),
        ast::Stmt::Delete(d) => d.relation_name()?.relation_name_ref()?.syntax().text(),
        ast::Stmt::DropTable(d) => {
            let mut names = d.table_name_refs();
            let first = names.next()?;
            if names.next().is_some() {
                return None;
            }
            first.syntax().text()
        }
        _ => return None,
    };
    Some(normalise(&text.to_string()))
}

/// The table part of a possibly schema-qualified name, as PostgreSQL stores it: quoted names keep their case,
/// unquoted ones are folded to lower case. The schema is dropped: migrations rarely create a table of the same
/// name in two schemas, and dropping it lets `posts` and `public.posts` match.
pub(crate) fn normalise(name: &str) -> String {
    let name = name.trim();
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut current)),
            c if quoted => current.push(c),
            c if c.is_whitespace() => {}
            c => current.extend(c.to_lowercase()),
        }
    }
    parts.push(current);
    parts.pop().unwrap_or_default()
}

/// A statement on one line, at most 120 characters, for findings.
fn one_line(sql: &str) -> String {
    let flat = sql
        .lines()
        .map(|l| l.split("--").next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let flat = flat.trim_end_matches(';').trim_end().to_owned();
    if flat.chars().count() > 120 {
        let cut: String = flat.chars().take(117).collect();
        format!("{cut}...")
    } else {
        flat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(sqls: &[&str], pg: u32) -> Vec<&'static str> {
        let inputs: Vec<Input<'_>> = sqls
            .iter()
            .enumerate()
            .map(|(i, sql)| Input {
                position: i + 1,
                op: "sql",
                sql,
            })
            .collect();
        check(&inputs, pg, true)
            .0
            .iter()
            .map(|h| h.rule.name())
            .collect()
    }

    #[test]
    fn normalise_folds_unquoted_and_keeps_quoted() {
        assert_eq!(normalise("Posts"), "posts");
        assert_eq!(normalise(r#""public"."Posts""#), "Posts");
        assert_eq!(normalise(r#""a.b""c""#), "a.b\"c");
        assert_eq!(normalise("app . posts"), "posts");
    }

    #[test]
    fn each_own_rule_fires_and_stays_quiet() {
        assert_eq!(
            rules(&["ALTER TABLE t ADD COLUMN a json"], 15),
            ["prefer-jsonb"]
        );
        assert!(rules(&["ALTER TABLE t ADD COLUMN a jsonb DEFAULT '{}'::json"], 15).is_empty());
        assert_eq!(
            rules(&["ALTER TABLE t ADD COLUMN id bigserial"], 15),
            ["adding-serial-field"]
        );
        assert_eq!(
            rules(
                &["ALTER TABLE t ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY"],
                15
            ),
            ["adding-serial-field"]
        );
        assert_eq!(
            rules(&["UPDATE t SET a = 1", "DELETE FROM t"], 15),
            ["require-where-clause", "require-where-clause"]
        );
        assert!(rules(&["UPDATE t SET a = 1 WHERE a IS NULL"], 15).is_empty());
        assert_eq!(
            rules(&["BEGIN; SELECT 1; COMMIT", "ROLLBACK"], 15),
            [
                "ban-transaction-control",
                "ban-transaction-control",
                "ban-transaction-control"
            ]
        );
        assert_eq!(
            rules(
                &[
                    "SET LOCAL lock_timeout = '10s'",
                    "SET statement_timeout TO 0",
                    "SELECT set_config('lock_timeout', '1min', true)"
                ],
                15
            ),
            [
                "ban-timeout-in-sql",
                "ban-timeout-in-sql",
                "ban-timeout-in-sql"
            ]
        );
        assert!(rules(&["SET search_path = app"], 15).is_empty());
        let nnd = "CREATE UNIQUE INDEX CONCURRENTLY i ON t (a) NULLS NOT DISTINCT";
        assert_eq!(rules(&[nnd], 14), ["nulls-not-distinct-needs-pg15"]);
        assert!(rules(&[nnd], 15).is_empty());
    }

    #[test]
    fn tables_created_earlier_in_the_migration_are_exempt() {
        assert!(rules(
            &[
                r#"CREATE TABLE "Posts" (id bigint)"#,
                r#"CREATE INDEX i ON "Posts" (id)"#,
                r#"ALTER TABLE "Posts" ADD COLUMN n bigserial"#
            ],
            15
        )
        .is_empty());
        assert_eq!(
            rules(
                &[
                    "CREATE TABLE posts (id bigint)",
                    "CREATE INDEX i ON other (id)"
                ],
                15
            ),
            ["require-concurrent-index-creation"]
        );
    }

    #[test]
    fn trailing_comments_and_semicolons_do_not_merge_statements() {
        assert_eq!(
            rules(
                &[
                    "SELECT 1 -- no terminator",
                    "DROP TABLE t;",
                    "SELECT 2; -- c"
                ],
                15
            ),
            ["ban-drop-table"]
        );
    }
}
