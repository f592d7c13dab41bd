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
use squawk_syntax::{SourceFile, SyntaxKind};

use super::rules::Rule;
pub(crate) use super::statement::Input;
use super::statement::{has_keywords, normalise, one_line, Stmt};
use super::whole_table::{altered_in_the_same_transaction, by_own_columns};

/// A rule broken by the top-level SQL statement `statement`, which belongs to `inputs[input]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub rule: Rule,
    pub input: usize,
    /// Where the statement starts (its first token) in the input's SQL, in bytes.
    pub offset: usize,
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
        for (i, input) in inputs.iter().enumerate() {
            if input.new_transaction && i > 0 {
                // Outside every input's span: squawk follows the transaction the engine really uses.
                text.push_str("COMMIT;\nBEGIN;\n");
            }
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

/// The first thing the parser could not read in `inputs[input]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseFailure {
    pub input: usize,
    /// Where the parser stopped in the input's SQL, in bytes.
    pub offset: usize,
    pub message: String,
}

/// Runs every rule over `inputs`; returns the hits in statement order, and the inputs the parser could not
/// read (one failure each; rules cannot be trusted on them).
pub(crate) fn check(
    inputs: &[Input<'_>],
    pg_major: u32,
    transactional: bool,
) -> (Vec<Hit>, Vec<ParseFailure>) {
    let layout = Layout::new(inputs);
    let parse = SourceFile::parse(&layout.text);
    let failures = parse_failures(&parse, &layout);
    let stmts = statements(&parse, &layout);
    let raw = raw_hits(&parse, &stmts, inputs, pg_major, transactional);
    (hits(raw, &stmts, &layout), failures)
}

/// The first error the parser found in each input, in input order.
fn parse_failures(parse: &squawk_syntax::Parse<SourceFile>, layout: &Layout) -> Vec<ParseFailure> {
    let mut failures: Vec<ParseFailure> = Vec::new();
    for error in parse.errors() {
        let offset = usize::from(error.range().start());
        // The input the error is in, or the one before the terminator it is on (an unclosed parenthesis is
        // noticed at the `;` after it).
        let Some(input) = layout.spans.iter().rposition(|&(start, _)| start <= offset) else {
            continue;
        };
        if failures.iter().any(|f| f.input == input) {
            continue;
        }
        let (start, end) = layout.spans[input];
        let near = match layout
            .text
            .get(offset..end)
            .and_then(|rest| rest.split_whitespace().next())
        {
            Some(word) => format!("near `{}`", word.chars().take(40).collect::<String>()),
            None => "at the end".to_owned(),
        };
        let line = layout
            .text
            .get(start..offset.min(end))
            .map_or(0, |before| before.matches('\n').count())
            + 1;
        failures.push(ParseFailure {
            input,
            offset: offset.clamp(start, end) - start,
            message: format!("{}, {near} (line {line} of its SQL)", error.message()),
        });
    }
    failures.sort_by_key(|f| f.input);
    failures
}

/// The top-level statements of the combined text that belong to an input.
fn statements(parse: &squawk_syntax::Parse<SourceFile>, layout: &Layout) -> Vec<Stmt> {
    parse
        .tree()
        .stmts()
        .filter_map(|node| {
            let start = usize::from(node.syntax().text_range().start());
            let input = layout.input_at(start)?;
            let code_start = node
                .syntax()
                .descendants_with_tokens()
                .filter_map(|e| e.into_token())
                .find(|t| !matches!(t.kind(), SyntaxKind::WHITESPACE | SyntaxKind::COMMENT))
                .map_or(start, |t| usize::from(t.text_range().start()));
            Some(Stmt {
                table: target_table(&node),
                node,
                start,
                code_start,
                input,
            })
        })
        .collect()
}

/// Every rule each statement (by index) breaks, squawk's and ours, with repeats and rules that a more
/// precise one shadows; those are sorted out by [`hits`].
fn raw_hits(
    parse: &squawk_syntax::Parse<SourceFile>,
    stmts: &[Stmt],
    inputs: &[Input<'_>],
    pg_major: u32,
    transactional: bool,
) -> Vec<(usize, Rule, Option<String>)> {
    let mut raw: Vec<(usize, Rule, Option<String>)> = Vec::new();
    squawk_hits(parse, stmts, pg_major, transactional, &mut raw);
    for (i, stmt) in stmts.iter().enumerate() {
        own_hits(stmt, inputs[stmt.input].op, pg_major, |rule, detail| {
            raw.push((i, rule, detail))
        });
    }
    if !transactional {
        concurrent_with_other_ddl(stmts, inputs, &mut raw);
    }
    for (i, rule, detail) in &mut raw {
        if matches!(rule, Rule::RequireWhereClause | Rule::WholeTableUpdate) && detail.is_none() {
            *detail = altered_in_the_same_transaction(stmts, inputs, *i, transactional);
        }
    }
    raw
}

/// Where each table (or domain) was created, to exempt later statements on it.
fn created_tables(stmts: &[Stmt]) -> HashMap<String, usize> {
    let mut created: HashMap<String, usize> = HashMap::new();
    for (i, stmt) in stmts.iter().enumerate() {
        let name = match &stmt.node {
            ast::Stmt::CreateTable(t) => t.table_name().map(|n| n.syntax().text()),
            // A new domain is used by no column yet: a constraint added to it checks nothing.
            ast::Stmt::CreateDomain(d) => d.domain().map(|n| n.syntax().text()),
            _ => None,
        };
        if let Some(name) = name {
            created.entry(normalise(&name.to_string())).or_insert(i);
        }
    }
    created
}

/// The hits as reported, in statement order: one per rule and statement, a general rule left out where a
/// more precise one is there, and the rules that exempt new tables left out on a table the migration created
/// before the statement.
fn hits(mut raw: Vec<(usize, Rule, Option<String>)>, stmts: &[Stmt], layout: &Layout) -> Vec<Hit> {
    let created = created_tables(stmts);
    let is_new = |i: usize| {
        stmts[i]
            .table
            .as_ref()
            .and_then(|t| created.get(t))
            .is_some_and(|&at| at < i)
    };

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
    raw.into_iter()
        .filter(|(i, r, _)| {
            !SHADOWED
                .iter()
                .any(|(general, precise)| r == general && present.contains(&(*i, *precise)))
        })
        .filter(|(i, r, _)| !(r.exempt_new_tables() && is_new(*i)))
        .map(|(i, rule, detail)| Hit {
            rule,
            input: stmts[i].input,
            offset: stmts[i].code_start - layout.spans[stmts[i].input].0,
            statement: one_line(&stmts[i].node.syntax().text().to_string()),
            detail,
        })
        .collect()
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
    let add_columns: Vec<_> = parse
        .syntax_node()
        .descendants()
        .filter(|n| ast::AddColumn::can_cast(n.kind()))
        .map(|n| n.text_range())
        .collect();
    for violation in linter.lint(parse, &parse.syntax_node().to_string()) {
        let Some(rule) = Rule::from_squawk(violation.code) else {
            continue;
        };
        // DETACH PARTITION ... CONCURRENTLY exists from PostgreSQL 14 on: before, there is nothing to suggest.
        if rule == Rule::RequireConcurrentPartitionDetach && pg_major < 14 {
            continue;
        }
        let offset = usize::from(violation.text_range.start());
        let Some(i) = stmts.iter().rposition(|s| s.start <= offset) else {
            continue;
        };
        // A constraint written inline in ADD COLUMN has rules of its own, with the alternative that fits it.
        if matches!(
            rule,
            Rule::AddingForeignKeyConstraint | Rule::DisallowedUniqueConstraint
        ) && add_columns
            .iter()
            .any(|r| r.contains_range(violation.text_range))
        {
            continue;
        }
        let detail = match (&stmts[i].node, rule) {
            (ast::Stmt::AlterTable(t), Rule::ConstraintMissingNotValid)
                if t.actions().any(|a| matches!(a, ast::AlterTableAction::ValidateConstraint(_))) =>
            {
                Some("VALIDATE runs in the same transaction as the ADD ... NOT VALID, so the ACCESS EXCLUSIVE lock of the ADD is held during the scan: use `validate_constraint` (the engine runs it in a transaction of its own) or validate in a later migration".to_owned())
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
                    // A new column without a default is NULL in every row: PostgreSQL skips checking its
                    // foreign key (1 ms on 3 million rows, against 226 ms with a default).
                    let filled = add.constraints().find(|c| match c {
                        ast::Constraint::DefaultConstraint(d) => !is_null_default(d),
                        ast::Constraint::GeneratedConstraint(_) => true,
                        _ => false,
                    });
                    for constraint in add.constraints() {
                        let written = one_line(&constraint.syntax().text().to_string());
                        match constraint {
                            ast::Constraint::CheckConstraint(_) => hit(
                                Rule::AddingFieldWithCheck,
                                Some(format!("the new column has `{written}`")),
                            ),
                            ast::Constraint::ReferencesConstraint(_)
                            | ast::Constraint::ForeignKeyConstraint(_) => {
                                if let Some(filled) = &filled {
                                    let by = one_line(&filled.syntax().text().to_string());
                                    hit(
                                        Rule::AddingFieldWithForeignKey,
                                        Some(format!("the new column has `{written}` and `{by}`")),
                                    );
                                }
                            }
                            ast::Constraint::UniqueConstraint(_) => hit(
                                Rule::AddingFieldWithUnique,
                                Some(format!("the new column has `{written}`")),
                            ),
                            _ => {}
                        }
                    }
                }
            }
        }
        ast::Stmt::Update(u) => match u.where_clause_or_current_of() {
            None => hit(Rule::RequireWhereClause, None),
            Some(w) if by_own_columns(w.syntax()) => hit(Rule::WholeTableUpdate, None),
            Some(_) => {}
        },
        ast::Stmt::Delete(d) => match d.where_clause_or_current_of() {
            None => hit(Rule::RequireWhereClause, None),
            Some(w) if by_own_columns(w.syntax()) => hit(Rule::WholeTableUpdate, None),
            Some(_) => {}
        },
        ast::Stmt::DropType(_) | ast::Stmt::DropDomain(_) => hit(Rule::BanDropType, None),
        ast::Stmt::DropFunction(_)
        | ast::Stmt::DropProcedure(_)
        | ast::Stmt::DropRoutine(_)
        | ast::Stmt::DropAggregate(_) => hit(Rule::BanDropFunction, None),
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

/// Whether a column default is `DEFAULT NULL` (possibly cast), which fills nothing.
fn is_null_default(default: &ast::DefaultConstraint) -> bool {
    let text = default.syntax().text().to_string().to_ascii_uppercase();
    let value = text.trim().trim_start_matches("DEFAULT").trim();
    value == "NULL" || value.starts_with("NULL::") || value.starts_with("NULL ::")
}

/// Whether a statement builds, drops or rebuilds an index `CONCURRENTLY`: PostgreSQL runs it outside any
/// transaction.
fn is_concurrent_index(stmt: &ast::Stmt) -> bool {
    match stmt {
        ast::Stmt::CreateIndex(i) => i.concurrently_token().is_some(),
        ast::Stmt::DropIndex(d) => d.concurrently_token().is_some(),
        ast::Stmt::Reindex(r) => has_keywords(r.syntax(), &["CONCURRENTLY"]),
        _ => false,
    }
}

/// `concurrent-index-with-other-ddl`: in a migration outside a transaction, a concurrent index operation
/// whose effect the engine cannot tell after an interruption (an unnamed build, a drop without `IF EXISTS`),
/// next to statements of other operations. A named build, a guarded drop and a rebuild are continued by the
/// next run wherever the run stopped, so they are fine anywhere. Statements of the index operation itself
/// (its comment) and statements that change no schema (settings, VACUUM, ANALYZE) do not count. One hit, on
/// the first such statement, naming the other operations.
fn concurrent_with_other_ddl(
    stmts: &[Stmt],
    inputs: &[Input<'_>],
    out: &mut Vec<(usize, Rule, Option<String>)>,
) {
    let concurrent: Vec<usize> = (0..stmts.len())
        .filter(|&i| is_concurrent_index(&stmts[i].node))
        .filter(|&i| {
            !crate::outside::recognised_after_interruption(
                &stmts[i].node.syntax().text().to_string(),
            )
        })
        .collect();
    let Some(&first) = concurrent.first() else {
        return;
    };
    // By operation, not by rendered statement: an operation that builds its index concurrently and then
    // uses it (`add_constraint_online`'s `USING INDEX`) is one piece of work.
    let index_ops: HashSet<usize> = concurrent
        .iter()
        .map(|&i| inputs[stmts[i].input].position)
        .collect();
    let mut others: Vec<usize> = stmts
        .iter()
        .filter(|s| !index_ops.contains(&inputs[s.input].position))
        .filter(|s| {
            !matches!(
                s.node,
                ast::Stmt::Set(_)
                    | ast::Stmt::Reset(_)
                    | ast::Stmt::Vacuum(_)
                    | ast::Stmt::Analyze(_)
            )
        })
        .map(|s| s.input)
        .collect();
    others.dedup();
    if others.is_empty() {
        return;
    }
    let named: Vec<String> = others
        .iter()
        .map(|&i| format!("#{} ({})", inputs[i].position, inputs[i].op))
        .collect();
    out.push((
        first,
        Rule::ConcurrentIndexWithOtherDdl,
        Some(format!("the migration also runs {}", named.join(", "))),
    ));
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

/// The one table a statement changes, where there is one (or the domain an `ALTER DOMAIN` changes).
fn target_table(stmt: &ast::Stmt) -> Option<String> {
    let text = match stmt {
        ast::Stmt::AlterTable(t) => t.table_relation_name()?.table_name_ref()?.syntax().text(),
        ast::Stmt::AlterDomain(d) => d.domain_ref()?.syntax().text(),
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

#[cfg(test)]
mod tests;
