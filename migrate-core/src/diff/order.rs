//! The changes of each migration put in dependency order: an object is created before the changes whose SQL
//! names it, and dropped after the objects whose definitions name it.
//!
//! The planner writes its changes kind by kind (types, then functions, then tables, ...), with rules for
//! what it knows to depend across kinds; within a kind, and across kinds it has no rule for, two objects of
//! one migration can still need each other (a composite type with an attribute of another new one, a
//! domain whose check calls a new function, a policy or a generated column calling a new function). So,
//! once planned, each migration's changes are sorted again by what they name. A change that creates or
//! drops an object says which ([`Change::object`]); what a change needs is read from the SQL its operations
//! render, where the catalog's own rendering (`pg_get_expr`, `format_type`, run with an empty
//! `search_path`) names every object by its schema: `public.z_ok(VALUE)`, `public.z_inner[]`. The drops
//! read the definitions their `down` makes again: what a dropped object's definition names is dropped
//! after it.
//!
//! The sort is stable: a change moves only when a change before it needs it, and otherwise keeps the place
//! the planner gave it (or, among the drops, its rank: views first, schemas last). Names that only look
//! like a reference (in a string, say) can only add an order that is not needed; a cycle (which
//! PostgreSQL could not create either) leaves its changes in the planner's order.

use std::collections::BTreeMap;

use migrate_dsl::MigrationBuilder;

use super::model::QName;
use super::plan::{Change, Down, Step};

/// Sorts the changes of every step into dependency order, the drops first by their rank.
pub(crate) fn by_dependencies(changes: &mut Vec<Change>) {
    let mut all = std::mem::take(changes);
    // Stable: within one rank, the order the planner found them in.
    all.sort_by_key(|c| (c.step, if c.step == Step::Drops { c.order } else { 0 }));
    let mut start = 0;
    while start < all.len() {
        let step = all[start].step;
        let end = start + all[start..].iter().take_while(|c| c.step == step).count();
        let sorted = sorted(&all[start..end], step == Step::Drops);
        changes.extend(sorted.into_iter().map(|i| all[start + i].clone()));
        start = end;
    }
}

/// The positions of `changes` in dependency order. For creations a change comes after the changes
/// creating what its SQL names; for drops (`drops`), before the changes dropping what its definition
/// names.
fn sorted(changes: &[Change], drops: bool) -> Vec<usize> {
    let mut by_name: BTreeMap<&QName, Vec<usize>> = BTreeMap::new();
    for (i, change) in changes.iter().enumerate() {
        if let Some(q) = &change.object {
            by_name.entry(q).or_default().push(i);
        }
    }
    if by_name.is_empty() {
        return (0..changes.len()).collect();
    }
    // `after[i]`: the changes that must come before change `i`.
    let mut after: Vec<Vec<usize>> = vec![Vec::new(); changes.len()];
    for (i, change) in changes.iter().enumerate() {
        let text = if drops {
            written_down(change)
        } else {
            // A drop among creations (a view dropped to be made again) names what it drops, which it
            // does not need.
            rendered(&change.up)
                .into_iter()
                .filter(|statement| !statement.trim_start().starts_with("DROP "))
                .collect::<Vec<_>>()
                .join("\n")
        };
        for q in qualified_names(&text) {
            for &j in by_name.get(&q).into_iter().flatten() {
                if j == i {
                    continue;
                }
                if drops {
                    // `i`'s definition names what `j` drops: `i` goes first.
                    after[j].push(i);
                } else {
                    after[i].push(j);
                }
            }
        }
    }
    let mut placed = vec![false; changes.len()];
    let mut order = Vec::with_capacity(changes.len());
    while order.len() < changes.len() {
        // The first change (in the planner's order) whose needs are placed; in a cycle, the first left.
        let next = (0..changes.len())
            .find(|&i| !placed[i] && after[i].iter().all(|&j| placed[j]))
            .or_else(|| (0..changes.len()).find(|&i| !placed[i]));
        let Some(next) = next else { break };
        placed[next] = true;
        order.push(next);
    }
    order
}

/// The statements `operations` render (none where they cannot be rendered: no order is read from them).
fn rendered(operations: &[migrate_dsl::Operation]) -> Vec<String> {
    MigrationBuilder::from_operations(operations.iter().cloned())
        .to_sql()
        .unwrap_or_default()
}

/// The SQL of the definitions a drop's `down` makes again.
fn written_down(change: &Change) -> String {
    match &change.down {
        Down::Written(operations) => rendered(operations).join("\n"),
        Down::Derived => String::new(),
    }
}

/// Every `schema.name` of `sql`, each part a bare identifier (folded to lower case, as PostgreSQL reads
/// it) or a quoted one.
fn qualified_names(sql: &str) -> Vec<QName> {
    let chars: Vec<char> = sql.chars().collect();
    let mut names = Vec::new();
    let mut i = 0;
    // The identifier just read and where it ended, to pair with the next one after a dot.
    let mut previous: Option<(String, usize)> = None;
    while i < chars.len() {
        let start = i;
        let ident = if chars[i] == '"' {
            let mut ident = String::new();
            i += 1;
            while i < chars.len() {
                if chars[i] == '"' {
                    if chars.get(i + 1) == Some(&'"') {
                        ident.push('"');
                        i += 2;
                        continue;
                    }
                    break;
                }
                ident.push(chars[i]);
                i += 1;
            }
            i += 1;
            Some(ident)
        } else if chars[i].is_alphabetic() || chars[i] == '_' {
            let mut ident = String::new();
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
                ident.extend(chars[i].to_lowercase());
                i += 1;
            }
            Some(ident)
        } else {
            i += 1;
            None
        };
        if let Some(ident) = ident {
            if let Some((schema, end)) = previous.take() {
                if start == end + 1 && chars[end] == '.' {
                    names.push((schema, ident.clone()));
                }
            }
            previous = Some((ident, i));
        } else if chars[start] != '.' {
            previous = None;
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::qualified_names;

    fn names(sql: &str) -> Vec<String> {
        qualified_names(sql).into_iter().map(|(s, n)| format!("{s}|{n}")).collect()
    }

    #[test]
    fn qualified_names_are_read_bare_or_quoted() {
        assert_eq!(
            names(r#"CREATE DOMAIN "a" AS integer CHECK (public.z_ok(VALUE)) DEFAULT "App"."Start"()"#),
            ["public|z_ok", "App|Start"]
        );
        assert_eq!(names("CREATE TYPE t AS (m public.z_mood[], n Public.Other)"), ["public|z_mood", "public|other"]);
        // A column of a table (`t.a`) reads as one too: an order that may not be needed, never a wrong one.
        assert_eq!(names("SELECT t.a FROM x"), ["t|a"]);
        assert_eq!(names(r#""a""b".c . d"#), [r#"a"b|c"#]);
    }
}
