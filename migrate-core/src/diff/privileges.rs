//! Privileges on views, materialized views, sequences, functions and procedures. The model holds them as
//! the description's lines, relative to the object's defaults (`grant SELECT to PUBLIC`, `revoke EXECUTE
//! from PUBLIC`), so each line is one `GRANT` or `REVOKE` statement and its undoing the opposite one. No
//! typed operation grants on these kinds: the statements are written as SQL.

use migrate_dsl::Operation;

use super::plan::{recorded, Change, Planner, Step};

/// Why the calls are SQL, written above them.
const WHY: &str = "No operation grants on this kind of object: written as SQL.";

/// A line without its grant option, and whether it had one.
fn split(line: &str) -> (&str, bool) {
    match line.strip_suffix(" with grant option") {
        Some(rest) => (rest, true),
        None => (line, false),
    }
}

/// The statement that makes `line` hold on `on` (`SEQUENCE "public"."s"`), or (`undo`) that takes it back
/// to the default.
fn statement(on: &str, line: &str, undo: bool) -> String {
    let (line, grant_option) = split(line);
    let (grant, rest) = match (line.strip_prefix("grant "), line.strip_prefix("revoke ")) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        (None, None) => (true, line),
    };
    let (privileges, grantee) = if grant {
        rest.split_once(" to ").unwrap_or((rest, "PUBLIC"))
    } else {
        rest.split_once(" from ").unwrap_or((rest, "PUBLIC"))
    };
    // Granting makes the line hold; undoing a grant revokes. A revoke line is the reverse.
    if grant != undo {
        let option = if grant_option { " WITH GRANT OPTION" } else { "" };
        format!("GRANT {privileges} ON {on} TO {grantee}{option}")
    } else {
        format!("REVOKE {privileges} ON {on} FROM {grantee}")
    }
}

/// The operations running `statements`.
fn sql(statements: impl IntoIterator<Item = String>) -> Vec<Operation> {
    recorded(|pgm| {
        for statement in statements {
            pgm.sql(statement);
        }
    })
}

/// The operations that give an object just made (which has its defaults) the privileges of `lines`: revokes
/// first, so that a grant without the grant option that follows one revoked stays.
pub(super) fn granted(on: &str, lines: &[String]) -> Vec<Operation> {
    let (grants, revokes): (Vec<&String>, Vec<&String>) = lines.iter().partition(|l| l.starts_with("grant "));
    sql(revokes.into_iter().chain(grants).map(|line| statement(on, line, false)))
}

/// The statements from privileges `from` to `to` on one object: what only `from` has undone (its grants
/// revoked first), then what only `to` has made to hold.
fn statements(on: &str, from: &[String], to: &[String]) -> Vec<String> {
    let gone: Vec<&String> = from.iter().filter(|l| !to.contains(l)).collect();
    let new: Vec<&String> = to.iter().filter(|l| !from.contains(l)).collect();
    let (gone_grants, gone_revokes): (Vec<&String>, Vec<&String>) =
        gone.into_iter().partition(|l| l.starts_with("grant "));
    let (new_grants, new_revokes): (Vec<&String>, Vec<&String>) =
        new.into_iter().partition(|l| l.starts_with("grant "));
    let mut out: Vec<String> = gone_grants
        .into_iter()
        .chain(gone_revokes)
        .map(|line| statement(on, line, true))
        .collect();
    out.extend(new_revokes.into_iter().chain(new_grants).map(|line| statement(on, line, false)));
    out
}

/// One change from privileges `from` to `to` on `on`, `what` naming the object in the summary; none when
/// they are the same.
pub(super) fn change(p: &mut Planner<'_>, what: &str, on: &str, from: &[String], to: &[String]) {
    let up = statements(on, from, to);
    if up.is_empty() {
        return;
    }
    let change = Change::new(Step::Expand, format!("privileges on {what}"))
        .comment(WHY)
        .ups(sql(up))
        .downs(sql(statements(on, to, from)));
    p.push(change);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_is_one_statement_and_its_undoing_the_opposite() {
        let on = r#"SEQUENCE "public"."s""#;
        assert_eq!(statement(on, "grant SELECT, USAGE to PUBLIC", false), r#"GRANT SELECT, USAGE ON SEQUENCE "public"."s" TO PUBLIC"#);
        assert_eq!(statement(on, "grant USAGE to reader", true), r#"REVOKE USAGE ON SEQUENCE "public"."s" FROM reader"#);
        assert_eq!(statement(on, "revoke USAGE from PUBLIC", false), r#"REVOKE USAGE ON SEQUENCE "public"."s" FROM PUBLIC"#);
        assert_eq!(statement(on, "revoke USAGE from PUBLIC", true), r#"GRANT USAGE ON SEQUENCE "public"."s" TO PUBLIC"#);
        assert_eq!(
            statement(on, "grant USAGE to \"Odd\" with grant option", false),
            r#"GRANT USAGE ON SEQUENCE "public"."s" TO "Odd" WITH GRANT OPTION"#
        );
    }

    #[test]
    fn changed_lines_are_undone_before_the_new_ones_hold() {
        let from = vec!["grant SELECT to r".to_owned()];
        let to = vec!["grant SELECT to r with grant option".to_owned()];
        assert_eq!(
            statements("TABLE v", &from, &to),
            ["REVOKE SELECT ON TABLE v FROM r", "GRANT SELECT ON TABLE v TO r WITH GRANT OPTION"]
        );
        assert!(statements("TABLE v", &to, &to).is_empty());
    }
}
