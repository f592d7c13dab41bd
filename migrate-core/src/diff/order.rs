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
//! like a reference (in a string, say) can only add an order that is not needed; within a cycle (which
//! PostgreSQL could not create either) no order is read, and its changes keep the planner's.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use migrate_dsl::MigrationBuilder;

use super::model::QName;
use super::plan::{Change, Down, Step};

/// Sorts the changes of every step into dependency order, the drops first by their rank.
pub(crate) fn by_dependencies(changes: &mut Vec<Change>) {
    // Stable: within one rank, the order the planner found them in.
    changes.sort_by_key(|c| (c.step, if c.step == Step::Drops { c.order } else { 0 }));
    let mut order = Vec::with_capacity(changes.len());
    for group in changes.chunk_by(|a, b| a.step == b.step) {
        let start = order.len();
        order.extend(sorted(group, group[0].step == Step::Drops).into_iter().map(|i| start + i));
    }
    let mut slots: Vec<Option<Change>> = std::mem::take(changes).into_iter().map(Some).collect();
    changes.extend(order.into_iter().filter_map(|i| slots[i].take()));
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
    for needs in &mut after {
        needs.sort_unstable();
        needs.dedup();
    }
    // Within a cycle no order holds: its changes keep the planner's.
    let component = components(&after);
    for (i, needs) in after.iter_mut().enumerate() {
        needs.retain(|&j| component[j] != component[i]);
    }
    // Kahn's algorithm, taking the first ready change in the planner's order each time.
    let mut before: Vec<Vec<usize>> = vec![Vec::new(); changes.len()];
    let mut waiting: Vec<usize> = after.iter().map(Vec::len).collect();
    for (i, needs) in after.iter().enumerate() {
        for &j in needs {
            before[j].push(i);
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..changes.len()).filter(|&i| waiting[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(changes.len());
    while let Some(Reverse(next)) = ready.pop() {
        order.push(next);
        for &k in &before[next] {
            waiting[k] -= 1;
            if waiting[k] == 0 {
                ready.push(Reverse(k));
            }
        }
    }
    order
}

/// The strongly connected components of the graph whose edges go from each node to those of `edges[node]`
/// (Kosaraju's algorithm, without recursion): two nodes share a component when each reaches the other.
fn components(edges: &[Vec<usize>]) -> Vec<usize> {
    let n = edges.len();
    // The nodes in the order their depth-first search finishes.
    let mut finished = Vec::with_capacity(n);
    let mut seen = vec![false; n];
    for root in 0..n {
        if seen[root] {
            continue;
        }
        seen[root] = true;
        let mut stack = vec![(root, 0)];
        while let Some((node, next)) = stack.pop() {
            if let Some(&to) = edges[node].get(next) {
                stack.push((node, next + 1));
                if !seen[to] {
                    seen[to] = true;
                    stack.push((to, 0));
                }
            } else {
                finished.push(node);
            }
        }
    }
    let mut reverse: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (from, tos) in edges.iter().enumerate() {
        for &to in tos {
            reverse[to].push(from);
        }
    }
    let mut component = vec![usize::MAX; n];
    for (id, &root) in finished.iter().rev().enumerate() {
        if component[root] != usize::MAX {
            continue;
        }
        component[root] = id;
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            for &from in &reverse[node] {
                if component[from] == usize::MAX {
                    component[from] = id;
                    stack.push(from);
                }
            }
        }
    }
    component
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
    use super::{qualified_names, sorted};
    use crate::diff::plan::{Change, Step};

    /// A change making `name` (in `public`) with `sql`; the drop of it, its `down` being `sql`.
    fn making(name: &str, sql: &str) -> Change {
        let sql = sql.to_owned();
        Change::new(Step::Expand, name).object(&("public".to_owned(), name.to_owned())).up(|pgm| {
            pgm.sql(sql);
        })
    }

    fn dropping(name: &str, definition: &str) -> Change {
        let definition = definition.to_owned();
        let drop = format!("DROP TYPE public.{name}");
        Change::new(Step::Drops, name)
            .object(&("public".to_owned(), name.to_owned()))
            .up(|pgm| {
                pgm.sql(drop);
            })
            .down(|pgm| {
                pgm.sql(definition);
            })
    }

    #[test]
    fn a_change_moves_only_after_what_it_names_and_a_cycle_keeps_the_planners_order() {
        let changes = [
            making("a", "CREATE TYPE a AS (x public.c)"),
            making("b", "CREATE TYPE b AS (x int)"),
            making("c", "CREATE TYPE c AS (x int)"),
        ];
        assert_eq!(sorted(&changes, false), [1, 2, 0]);
        let cycle = [
            making("a", "CREATE FUNCTION a() ... public.b()"),
            making("b", "CREATE FUNCTION b() ... public.a()"),
            making("c", "CREATE TYPE c AS (x int)"),
        ];
        assert_eq!(sorted(&cycle, false), [0, 1, 2]);
        // A need outside the cycle still holds: `a` after `c`; `b`, whose only need is in the cycle, keeps
        // its place.
        let cycle_needing = [
            making("a", "CREATE FUNCTION a() ... public.b() public.c"),
            making("b", "CREATE FUNCTION b() ... public.a()"),
            making("c", "CREATE TYPE c AS (x int)"),
        ];
        assert_eq!(sorted(&cycle_needing, false), [1, 2, 0]);
        // A drop among creations does not need what makes again what it drops.
        let again = [
            making("v", "DROP VIEW public.v"),
            making("v", "CREATE VIEW v AS SELECT 1"),
        ];
        assert_eq!(sorted(&again, false), [0, 1]);
    }

    #[test]
    fn a_drop_goes_before_the_drops_of_what_its_definition_names() {
        let changes = [
            dropping("inner", "CREATE TYPE inner AS (x int)"),
            dropping("outer", "CREATE TYPE outer AS (i public.inner)"),
        ];
        assert_eq!(sorted(&changes, true), [1, 0]);
    }

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
