//! Views and materialized views: made after the tables, replaced keeping the old definition for `down`, and
//! dropped and made again around a change of a column they read.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Model, QName, View};
use super::plan::{Change, Planner, Step};
use super::rust::{lit, name, shown};
use super::sql::{comment_change, sql_name};

fn create_view(q: &QName, v: &View) -> String {
    let mut call = if v.materialized {
        format!("pgm.create_materialized_view({}, {})", name(q), lit(&v.definition))
    } else {
        format!("pgm.create_view({}, {})", name(q), lit(&v.definition))
    };
    for (option, value) in &v.options {
        call.push_str(&format!("\n    .option({}, {})", lit(option), lit(value)));
    }
    if let Some(comment) = &v.comment {
        call.push_str(&format!("\n    .comment({})", lit(comment)));
    }
    call
}

/// The views `diff` compares: an extension's are its extension's (the model holds them for the SQL).
fn own(model: &Model) -> BTreeMap<&QName, &View> {
    model.views.iter().filter(|(_, view)| !view.of_extension).collect()
}

fn drop_view(q: &QName, v: &View) -> String {
    if v.materialized {
        format!("pgm.drop_materialized_view({})", name(q))
    } else {
        format!("pgm.drop_view({})", name(q))
    }
}

/// Views of both schemas that read a table whose column changes type or is dropped: PostgreSQL refuses
/// those changes under a view, so the view is dropped before them and made again after.
fn over_changed_columns(from: &Model, to: &Model) -> BTreeSet<QName> {
    let changed: BTreeSet<&QName> = from
        .tables
        .iter()
        .filter(|(q, table)| {
            to.tables.get(*q).is_some_and(|desired| {
                table.columns.iter().any(|c| {
                    desired
                        .column(&c.name)
                        .is_none_or(|d| d.data_type != c.data_type)
                })
            })
        })
        .map(|(q, _)| q)
        .collect();
    let (from_views, to_views) = (own(from), own(to));
    let mut views: BTreeSet<QName> = BTreeSet::new();
    loop {
        let before = views.len();
        for (q, view) in &from_views {
            if to_views.contains_key(q)
                && view
                    .depends_on
                    .iter()
                    .any(|d| changed.contains(d) || views.contains(d))
            {
                views.insert((*q).clone());
            }
        }
        if views.len() == before {
            return views;
        }
    }
}

/// Views (of either schema) that read, directly or through other views, a table whose column changes type
/// in a way that rewrites it: that change goes in the [`Step::Constraints`] contract, so these are dropped,
/// made and made again there too (PostgreSQL refuses the change under a view).
fn over_retyped_columns(from: &Model, to: &Model) -> BTreeSet<QName> {
    let retyped: BTreeSet<&QName> = from
        .tables
        .iter()
        .filter(|(q, table)| {
            to.tables.get(*q).is_some_and(|desired| {
                table.columns.iter().any(|c| {
                    desired.column(&c.name).is_some_and(|d| {
                        d.data_type != c.data_type
                            && !super::columns::binary_compatible(&c.data_type, &d.data_type)
                    })
                })
            })
        })
        .map(|(q, _)| q)
        .collect();
    let (from_views, to_views) = (own(from), own(to));
    let mut views: BTreeSet<QName> = BTreeSet::new();
    loop {
        let before = views.len();
        for (q, view) in from_views.iter().chain(&to_views) {
            if view.depends_on.iter().any(|d| retyped.contains(d) || views.contains(d)) {
                views.insert((*q).clone());
            }
        }
        if views.len() == before {
            return views;
        }
    }
}

/// The step a view's drop or creation goes in: with the type change it reads, else the expand.
fn step_of(late: &BTreeSet<QName>, q: &QName) -> Step {
    if late.contains(q) {
        Step::Constraints
    } else {
        Step::Expand
    }
}

/// Drops the views [`over_changed_columns`] finds, before the tables change; returns them, for [`views`] to
/// make again.
pub(super) fn drop_over_changed_columns(p: &mut Planner<'_>) -> BTreeSet<QName> {
    let from = p.from;
    let views = over_changed_columns(from, p.to);
    let late = over_retyped_columns(from, p.to);
    let from_views = own(from);
    for q in order(&from_views, views.iter().collect()).into_iter().rev() {
        let view = from_views[q];
        p.push(
            Change::new(step_of(&late, q), format!("drop view {} (made again after the column changes)", shown(q)))
                .up(drop_view(q, view))
                .down(create_view(q, view)),
        );
    }
    views
}

/// `views` in an order that creates each after the views it reads.
fn order<'m>(model: &BTreeMap<&QName, &View>, views: Vec<&'m QName>) -> Vec<&'m QName> {
    let mut pending = views;
    let mut ordered = Vec::new();
    while !pending.is_empty() {
        let waiting = pending.clone();
        let (ready, rest): (Vec<&QName>, Vec<&QName>) = pending
            .into_iter()
            .partition(|q| model[*q].depends_on.iter().all(|d| !waiting.contains(&d)));
        if ready.is_empty() {
            // Views cannot read each other in a cycle; keep the rest in name order rather than loop.
            ordered.extend(rest);
            break;
        }
        ordered.extend(ready);
        pending = rest;
    }
    ordered
}

/// Views added, replaced (`OR REPLACE` where the columns allow, else dropped and made again), commented and
/// dropped; `recreated` ones (dropped before the tables changed) made again.
pub(super) fn views(p: &mut Planner<'_>, recreated: &BTreeSet<QName>) {
    let (from, to) = (p.from, p.to);
    let late = over_retyped_columns(from, to);
    let (from_views, to_views) = (own(from), own(to));
    let mut created: Vec<&QName> = Vec::new();
    for (&q, &view) in &to_views {
        match from_views.get(q).copied() {
            _ if recreated.contains(q) => created.push(q),
            None => created.push(q),
            Some(current) if current.same_view(view) => {
                if current.comment != view.comment {
                    let kind = if view.materialized { "MATERIALIZED VIEW" } else { "VIEW" };
                    p.push(comment_change(
                        &format!("view {}", shown(q)),
                        format!("{kind} {}", sql_name(q)),
                        current.comment.as_deref(),
                        view.comment.as_deref(),
                    ));
                }
            }
            Some(current) => {
                let same_columns = current.column_names() == view.column_names();
                if !view.materialized && !current.materialized && view.column_names().starts_with(&current.column_names()) {
                    let replace = |v: &View| format!("{}\n    .or_replace()", create_view(q, &View { comment: None, ..v.clone() }));
                    let down = if same_columns {
                        vec![replace(current)]
                    } else {
                        vec![drop_view(q, view), create_view(q, current)]
                    };
                    let mut change = Change::new(step_of(&late, q), format!("replace view {} (the old definition kept for down)", shown(q)))
                        .up(replace(view));
                    change.down = down;
                    p.push(change);
                    if current.comment != view.comment {
                        p.push(comment_change(
                            &format!("view {}", shown(q)),
                            format!("VIEW {}", sql_name(q)),
                            current.comment.as_deref(),
                            view.comment.as_deref(),
                        ));
                    }
                } else {
                    p.push(
                        Change::new(step_of(&late, q), format!("drop view {} (its columns change)", shown(q)))
                            .up(drop_view(q, current))
                            .down(create_view(q, current)),
                    );
                    created.push(q);
                }
            }
        }
    }
    for q in order(&to_views, created) {
        let view = to_views[q];
        p.push(
            Change::new(step_of(&late, q), format!("add {} {}", if view.materialized { "materialized view" } else { "view" }, shown(q)))
                .up(create_view(q, view))
                .down(drop_view(q, view)),
        );
    }
    let dropped: Vec<&QName> = from_views.keys().copied().filter(|q| !to_views.contains_key(*q)).collect();
    for q in order(&from_views, dropped).into_iter().rev() {
        let view = from_views[q];
        p.push(
            Change::new(Step::Drops, format!("drop view {}", shown(q)))
                .order(0)
                .up(drop_view(q, view))
                .down(create_view(q, view)),
        );
    }
}
