//! Data changes of a whole table: an `UPDATE` or `DELETE` whose `WHERE` nothing bounds
//! (`whole-table-update`), and, for it and for one without `WHERE` (`require-where-clause`), the statement
//! before it in the same transaction that locked its table `ACCESS EXCLUSIVE`, which then stays held while
//! every row is changed.

use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{SyntaxKind, SyntaxNode};

use super::statement::{has_keywords, normalise, one_line, Input, Stmt};

/// Whether a `WHERE` clause picks rows only by their own columns: no constant (`NULL`, `TRUE` and `FALSE`
/// aside), parameter or subquery in it, so nothing bounds how many rows match (`WHERE new IS NULL`, the
/// shape of a backfill, matches every row written before it). `WHERE CURRENT OF` names one row.
pub(super) fn by_own_columns(clause: &SyntaxNode) -> bool {
    let mut tokens = clause
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !matches!(t.kind(), SyntaxKind::WHITESPACE | SyntaxKind::COMMENT));
    !tokens.any(|t| {
        matches!(
            t.kind(),
            SyntaxKind::STRING
                | SyntaxKind::ESC_STRING
                | SyntaxKind::UNICODE_ESC_STRING
                | SyntaxKind::NATIONAL_STRING
                | SyntaxKind::BIT_STRING
                | SyntaxKind::BYTE_STRING
                | SyntaxKind::DOLLAR_QUOTED_STRING
                | SyntaxKind::INT_NUMBER
                | SyntaxKind::NUMERIC_NUMBER
                | SyntaxKind::POSITIONAL_PARAM
                | SyntaxKind::SELECT_KW
                | SyntaxKind::VALUES_KW
                | SyntaxKind::CURRENT_KW
        )
    })
}

/// Whether `stmt` takes an `ACCESS EXCLUSIVE` lock on `table` (normalised), held to the end of its
/// transaction: an `ALTER TABLE` with an action that takes it (most do; validating a constraint, adding a
/// foreign key, triggers, options and partitions take weaker ones), or a `DO` block whose code alters the
/// table (the derived `down`s of the online operations add a column back that way).
fn locks_table_exclusively(stmt: &Stmt, table: &str) -> bool {
    match &stmt.node {
        ast::Stmt::AlterTable(t) => {
            stmt.table.as_deref() == Some(table)
                && t.actions().any(|action| match action {
                    ast::AlterTableAction::AddConstraint(add) => {
                        !has_keywords(add.syntax(), &["FOREIGN", "KEY"])
                    }
                    ast::AlterTableAction::ValidateConstraint(_)
                    | ast::AlterTableAction::AlterConstraint(_)
                    | ast::AlterTableAction::AttachPartition(_)
                    | ast::AlterTableAction::DetachPartition(_)
                    | ast::AlterTableAction::ClusterOn(_)
                    | ast::AlterTableAction::SetWithoutCluster(_)
                    | ast::AlterTableAction::SetOptions(_)
                    | ast::AlterTableAction::ResetOptions(_)
                    | ast::AlterTableAction::EnableTrigger(_)
                    | ast::AlterTableAction::DisableTrigger(_)
                    | ast::AlterTableAction::EnableAlwaysTrigger(_)
                    | ast::AlterTableAction::EnableReplicaTrigger(_) => false,
                    _ => true,
                })
        }
        ast::Stmt::Do(_) => {
            let body = stmt.node.syntax().text().to_string();
            let words: Vec<String> = body
                .split(|c: char| c.is_whitespace() || c == '\'')
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect();
            words.windows(3).any(|w| {
                w[0].eq_ignore_ascii_case("ALTER")
                    && w[1].eq_ignore_ascii_case("TABLE")
                    && normalise(&w[2]) == table
            })
        }
        _ => false,
    }
}

/// For an `UPDATE` or `DELETE` of every row (statement `i`), the statement before it in the same
/// transaction that locked its table `ACCESS EXCLUSIVE`: that lock is held while every row is changed.
pub(super) fn altered_in_the_same_transaction(
    stmts: &[Stmt],
    inputs: &[Input<'_>],
    i: usize,
    transactional: bool,
) -> Option<String> {
    let table = stmts[i].table.as_deref()?;
    if !transactional {
        return None;
    }
    let input = stmts[i].input;
    let earlier = (0..i).rev().take_while(|&j| {
        // A transaction boundary before an input between the two ends the search.
        !(stmts[j].input + 1..=input).any(|k| inputs[k].new_transaction)
    });
    let j = earlier
        .filter(|&j| locks_table_exclusively(&stmts[j], table))
        .last()?;
    Some(format!(
        "the same transaction altered the table first (`{}`), so its ACCESS EXCLUSIVE lock is held while \
         every row is changed: reads and writes of the table wait for all of it",
        one_line(&stmts[j].node.syntax().text().to_string())
    ))
}

#[cfg(test)]
mod tests {
    use super::super::rules::Rule;
    use super::super::sql::{check, Input};

    fn inputs<'a>(sqls: &[&'a str]) -> Vec<Input<'a>> {
        sqls.iter()
            .enumerate()
            .map(|(i, sql)| Input {
                position: i + 1,
                op: "sql",
                sql,
                new_transaction: false,
            })
            .collect()
    }

    #[test]
    fn a_whole_table_update_after_altering_the_table_says_the_lock_is_held() {
        let detail = |sqls: &[&str], boundary: bool| {
            let mut inputs = inputs(sqls);
            inputs[sqls.len() - 1].new_transaction = boundary;
            let (hits, _) = check(&inputs, 15, true);
            hits.into_iter()
                .find(|h| matches!(h.rule, Rule::WholeTableUpdate | Rule::RequireWhereClause))
                .and_then(|h| h.detail)
        };
        let added = "ALTER TABLE comments ADD COLUMN contents text";
        let copy = r#"UPDATE "comments" SET "contents" = "body" WHERE "body" IS NOT NULL"#;
        let said = detail(&[added, copy], false).expect("a detail");
        assert!(said.contains("ACCESS EXCLUSIVE lock is held"), "{said}");
        assert!(said.contains(added), "{said}");
        // Added in a DO block, as the derived downs of the online operations do.
        let block = "DO $x$ BEGIN EXECUTE 'ALTER TABLE \"comments\" ADD COLUMN \"contents\" ' || 'text'; END $x$";
        assert!(detail(&[block, copy], false).is_some());
        assert!(detail(&[added, "DELETE FROM comments"], false).is_some());
        // Another table, a weaker lock, or a transaction of its own: no lock held across it.
        assert_eq!(
            detail(&["ALTER TABLE posts ADD COLUMN a text", copy], false),
            None
        );
        assert_eq!(
            detail(&["ALTER TABLE comments VALIDATE CONSTRAINT c", copy], false),
            None
        );
        assert_eq!(detail(&[added, copy], true), None);
    }
}
