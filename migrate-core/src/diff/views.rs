//! Views and materialized views: made after the tables, replaced keeping the old definition for `down`, and
//! dropped and made again around a change of a column they read.

use std::collections::{BTreeMap, BTreeSet};

use migrate_dsl::prelude::*;
use migrate_dsl::Operation;

use super::extras;
use super::model::{Index, Model, QName, Trigger, TriggersAndRules, View};
use super::ops::{self, name, shown};
use super::plan::{recorded, Change, Planner, Step};
use super::privileges;
use super::sql::{comment_change, mentions, sql_ident, sql_literal, sql_name};

/// Records `v`'s creation (replacing the view of its name when `replace`).
fn create_view(pgm: &mut MigrationBuilder, q: &QName, v: &View, replace: bool) {
    // A view's options are `option`s; a materialized view's are storage parameters.
    if v.materialized {
        let call = pgm.create_materialized_view(name(q), v.definition.as_str());
        for (option, value) in &v.options {
            call.storage_parameter(option.as_str(), value.as_str());
        }
        if let Some(comment) = &v.comment {
            call.comment(comment.as_str());
        }
    } else {
        let call = pgm.create_view(name(q), v.definition.as_str());
        for (option, value) in &v.options {
            call.option(option.as_str(), value.as_str());
        }
        if let Some(comment) = &v.comment {
            call.comment(comment.as_str());
        }
        if replace {
            call.or_replace();
        }
    }
}

/// What a view carries besides its query, made after it: its columns' defaults and comments, a materialized
/// view's indexes (built plainly: the view is new) and their comments, its triggers, its privileges.
fn parts(pgm: &mut MigrationBuilder, model: &Model, q: &QName, v: &View) {
    for column in &v.columns {
        if let Some(default) = &column.default {
            pgm.alter_view_column(name(q), column.name.as_str()).set_default(expr(default.as_str()));
        }
        if let Some(comment) = &column.comment {
            column_comment(pgm, q, &column.name, Some(comment));
        }
    }
    for (index_name, index) in &v.indexes {
        ops::create_index(pgm, q, index_name, index, false);
        if let Some(comment) = &index.comment {
            index_comment(pgm, q, index_name, Some(comment));
        }
    }
    for (trigger_name, trigger) in view_triggers(model, q) {
        extras::create_trigger(pgm, q, trigger_name, trigger);
    }
    for op in privileges::granted(&on(q), &v.privileges) {
        pgm.push(op);
    }
}

/// A view's triggers (`INSTEAD OF`), by name.
fn view_triggers<'m>(model: &'m Model, q: &QName) -> BTreeMap<&'m String, &'m Trigger> {
    model
        .triggers_and_rules
        .get(q)
        .map(|t| t.triggers.iter().filter(|(_, t)| t.created_by_sql()).collect())
        .unwrap_or_default()
}

/// What privileges on a view are granted on: `TABLE "schema"."name"` (a view is granted on as a table).
fn on(q: &QName) -> String {
    format!("TABLE {}", sql_name(q))
}

fn column_comment(pgm: &mut MigrationBuilder, q: &QName, column: &str, comment: Option<&str>) {
    pgm.sql(format!("COMMENT ON COLUMN {}.{} IS {}", sql_name(q), sql_ident(column), sql_literal(comment)));
}

fn index_comment(pgm: &mut MigrationBuilder, q: &QName, index_name: &str, comment: Option<&str>) {
    let index = (q.0.clone(), index_name.to_owned());
    pgm.sql(format!("COMMENT ON INDEX {} IS {}", sql_name(&index), sql_literal(comment)));
}

/// `create_view` and what the view carries: what makes it again as it was.
fn create_view_whole(model: &Model, q: &QName, v: &View) -> Vec<Operation> {
    recorded(|pgm| {
        create_view(pgm, q, v, false);
        parts(pgm, model, q, v);
    })
}

/// A change whose `down` makes `v` again with all it carries.
fn down_makes(change: Change, model: &Model, q: &QName, v: &View) -> Change {
    change.downs(create_view_whole(model, q, v))
}

/// The parts of a view in both schemas that differ: its columns' defaults and comments, a materialized
/// view's indexes (built and dropped concurrently: the view exists) and their comments, its privileges.
fn changed_parts(p: &mut Planner<'_>, q: &QName, from: &View, to: &View) {
    let shown_view = shown(q);
    for column in &to.columns {
        let before = from.columns.iter().find(|c| c.name == column.name);
        let (default_before, comment_before) = (
            before.and_then(|c| c.default.as_deref()),
            before.and_then(|c| c.comment.as_deref()),
        );
        if default_before != column.default.as_deref() {
            let set = |d: Option<&str>| {
                let d = d.map(str::to_owned);
                move |pgm: &mut MigrationBuilder| {
                    let alter = pgm.alter_view_column(name(q), column.name.as_str());
                    match d {
                        Some(d) => alter.set_default(expr(d)),
                        None => alter.drop_default(),
                    };
                }
            };
            p.push(
                Change::new(Step::Expand, format!("default of view column {shown_view}.{}", column.name))
                    .up(set(column.default.as_deref()))
                    .down(set(default_before)),
            );
        }
        if comment_before != column.comment.as_deref() {
            p.push(
                Change::new(Step::Expand, format!("comment on view column {shown_view}.{}", column.name))
                    .comment("No operation sets the comment of an existing object: written as SQL.")
                    .up(|pgm| column_comment(pgm, q, &column.name, column.comment.as_deref()))
                    .down(|pgm| column_comment(pgm, q, &column.name, comment_before)),
            );
        }
    }
    for (index_name, index) in &to.indexes {
        let add = |index: &Index| {
            Change::new(Step::Indexes, format!("add index {index_name} on {shown_view}")).up(|pgm| {
                ops::create_index(pgm, q, index_name, index, true);
            })
        };
        match from.indexes.get(index_name) {
            None => p.push(add(index)),
            Some(current) if current.definition != index.definition => {
                p.push(
                    Change::new(Step::Indexes, format!("rebuild index {index_name} on {shown_view}"))
                        .up(|pgm| {
                            ops::drop_index(pgm, q, index_name, current, true);
                        })
                        .down(|pgm| {
                            ops::create_index(pgm, q, index_name, current, true);
                        }),
                );
                p.push(add(index));
            }
            Some(_) => {}
        }
        let kept = from.indexes.get(index_name).filter(|current| current.definition == index.definition);
        let comment_before = kept.and_then(|current| current.comment.as_deref());
        if comment_before != index.comment.as_deref() {
            // On an index kept, in the expand; on one built in the `_indexes` migration, after it.
            let step = if kept.is_some() { Step::Expand } else { Step::Indexes };
            p.push(
                Change::new(step, format!("comment on index {index_name} on {shown_view}"))
                    .comment("No operation sets the comment of an existing object: written as SQL.")
                    .up(|pgm| index_comment(pgm, q, index_name, index.comment.as_deref()))
                    .down(|pgm| index_comment(pgm, q, index_name, comment_before)),
            );
        }
    }
    for (index_name, index) in &from.indexes {
        if !to.indexes.contains_key(index_name) {
            let change = Change::new(Step::Drops, format!("drop index {index_name} on {shown_view}"))
                .order(1)
                .up(|pgm| {
                    ops::drop_index(pgm, q, index_name, index, true);
                })
                .down(|pgm| {
                    ops::create_index(pgm, q, index_name, index, true);
                    if let Some(comment) = &index.comment {
                        index_comment(pgm, q, index_name, Some(comment));
                    }
                });
            p.push(change);
        }
    }
    let empty = TriggersAndRules::default();
    let (from_model, to_model) = (p.from, p.to);
    let from_triggers = &from_model.triggers_and_rules.get(q).unwrap_or(&empty).triggers;
    let to_triggers = &to_model.triggers_and_rules.get(q).unwrap_or(&empty).triggers;
    extras::triggers(p, q, from_triggers, to_triggers);
    privileges::change(p, &format!("view {shown_view}"), &on(q), &from.privileges, &to.privileges);
}

/// The views `diff` compares: an extension's are its extension's (the model holds them for the SQL).
fn own(model: &Model) -> BTreeMap<&QName, &View> {
    model.views.iter().filter(|(_, view)| !view.of_extension).collect()
}

fn drop_view(pgm: &mut MigrationBuilder, q: &QName, v: &View) {
    if v.materialized {
        pgm.drop_materialized_view(name(q));
    } else {
        pgm.drop_view(name(q));
    }
}

/// Views that read a table whose column changes type or is dropped, or call a function dropped and made
/// again: PostgreSQL refuses those changes under a view, so the view is dropped before them and made again
/// after (one the desired schema has).
fn over_changed_columns(from: &Model, to: &Model) -> BTreeSet<QName> {
    // Tables a column of which is dropped (`true`: or changes type).
    let tables_where = |retyped_only: bool| -> BTreeSet<&QName> {
        from.tables
            .iter()
            .filter(|(q, table)| {
                to.tables.get(*q).is_some_and(|desired| {
                    table.columns.iter().any(|c| match desired.column(&c.name) {
                        Some(d) => d.data_type != c.data_type,
                        None => !retyped_only,
                    })
                })
            })
            .map(|(q, _)| q)
            .collect()
    };
    let (changed, retyped) = (tables_where(false), tables_where(true));
    // Functions dropped and made again (their result type changes): PostgreSQL refuses the drop under a view
    // that calls them.
    let remade_functions: Vec<&str> = from
        .functions
        .iter()
        .filter(|(key, f)| {
            f.diffed()
                && to.functions.get(*key).is_some_and(|t| {
                    t.diffed() && t.definition != f.definition && (t.result != f.result || t.procedure != f.procedure)
                })
        })
        .map(|((q, _), _)| q.1.as_str())
        .collect();
    let (from_views, to_views) = (own(from), own(to));
    let mut views: BTreeSet<QName> = BTreeSet::new();
    loop {
        let before = views.len();
        for (q, view) in &from_views {
            let reads = |tables: &BTreeSet<&QName>| view.depends_on.iter().any(|d| tables.contains(d) || views.contains(d));
            // A view that goes is dropped with them when it reads a column whose type changes or one of them
            // (PostgreSQL refuses both under it), and not made again; over a column dropped, it goes with the
            // drops.
            let calls_remade = remade_functions.iter().any(|f| mentions(&view.definition, f));
            let over = calls_remade || if to_views.contains_key(q) { reads(&changed) } else { reads(&retyped) };
            if over {
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

/// Whether a view dropped and made again around a type change of the contract reads table `q` directly:
/// its other type changes wait for that migration too.
pub(super) fn read_by_late_view(from: &Model, to: &Model, q: &QName) -> bool {
    let late = over_retyped_columns(from, to);
    let (from_views, to_views) = (own(from), own(to));
    late.iter()
        .filter_map(|v| from_views.get(v).or_else(|| to_views.get(v)))
        .any(|view| view.depends_on.contains(q))
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
/// make again (those the desired schema has).
pub(super) fn drop_over_changed_columns(p: &mut Planner<'_>) -> BTreeSet<QName> {
    let from = p.from;
    let views = over_changed_columns(from, p.to);
    let late = over_retyped_columns(from, p.to);
    let from_views = own(from);
    for q in order(&from_views, views.iter().collect()).into_iter().rev() {
        let view = from_views[q];
        p.push(
            down_makes(
                Change::new(step_of(&late, q), format!("drop view {} (made again after the column changes)", shown(q)))
                    .up(|pgm| drop_view(pgm, q, view)),
                from,
                q,
                view,
            ),
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
                changed_parts(p, q, current, view);
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
                    let replace = |v: &View| {
                        let v = View { comment: None, ..v.clone() };
                        move |pgm: &mut MigrationBuilder| create_view(pgm, q, &v, true)
                    };
                    let change = Change::new(step_of(&late, q), format!("replace view {} (the old definition kept for down)", shown(q)))
                        .up(replace(view));
                    let change = if same_columns {
                        change.down(replace(current))
                    } else {
                        change.down(|pgm| drop_view(pgm, q, view)).downs(create_view_whole(from, q, current))
                    };
                    p.push(change);
                    changed_parts(p, q, current, view);
                    if current.comment != view.comment {
                        p.push(comment_change(
                            &format!("view {}", shown(q)),
                            format!("VIEW {}", sql_name(q)),
                            current.comment.as_deref(),
                            view.comment.as_deref(),
                        ));
                    }
                } else {
                    p.push(down_makes(
                        Change::new(step_of(&late, q), format!("drop view {} (its columns change)", shown(q)))
                            .up(|pgm| drop_view(pgm, q, current)),
                        from,
                        q,
                        current,
                    ));
                    created.push(q);
                }
            }
        }
    }
    for q in order(&to_views, created) {
        let view = to_views[q];
        let mut change =
            Change::new(step_of(&late, q), format!("add {} {}", if view.materialized { "materialized view" } else { "view" }, shown(q))).object(q)
                .ups(create_view_whole(to, q, view))
                .down_if_not_derived(|pgm| drop_view(pgm, q, view));
        if !view.indexes.is_empty() {
            change = change.allow(
                "require-concurrent-index-creation",
                format!("{} is created by this migration: nothing reads it yet", shown(q)),
            );
        }
        if view.indexes.values().any(|index| index.unique) {
            change = change.allow(
                "stricter-change-in-expand",
                format!("{} is created by this migration: no app version writes it", shown(q)),
            );
        }
        p.push(change);
    }
    let dropped: Vec<&QName> = from_views
        .keys()
        .copied()
        .filter(|q| !to_views.contains_key(*q) && !recreated.contains(*q))
        .collect();
    for q in order(&from_views, dropped).into_iter().rev() {
        let view = from_views[q];
        p.push(down_makes(
            Change::new(Step::Drops, format!("drop view {}", shown(q))).object(q).order(0).up(|pgm| drop_view(pgm, q, view)),
            from,
            q,
            view,
        ));
    }
}
