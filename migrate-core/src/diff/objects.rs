//! Everything but tables: schemas, extensions, types, domains, sequences and functions before the tables
//! (columns and defaults use them), views, SQL functions and sequence owners after them.

use std::collections::{BTreeMap, BTreeSet};

use migrate_dsl::prelude::*;
use migrate_dsl::Operation;

use super::model::{Attribute, Column as ModelColumn, Domain, Extension, Function, Model, QName, Sequence};
use super::ops::{self, name, serial_type, shown};
use super::plan::{recorded, Change, Planner, Step};
use super::sql::{comment_change, mentions, sql_ident, sql_literal, sql_name};
use super::privileges;
use super::views;

/// Returns the views dropped to be made again after the tables (see [`views::drop_over_changed_columns`]).
pub(crate) fn before_tables(p: &mut Planner<'_>) -> BTreeSet<QName> {
    schemas(p);
    extensions(p);
    enums(p);
    composites(p);
    domains(p);
    sequences(p);
    let recreated = views::drop_over_changed_columns(p);
    functions(p, false);
    recreated
}

/// `recreated`: what [`before_tables`] returned.
pub(crate) fn after_tables(p: &mut Planner<'_>, recreated: &BTreeSet<QName>) {
    sequence_owners(p);
    functions(p, true);
    views::views(p, recreated);
    default_privileges(p);
}

/// `ALTER DEFAULT PRIVILEGES`: no operation writes them, so each difference is one statement, undone by
/// the opposite one.
fn default_privileges(p: &mut Planner<'_>) {
    let (from, to) = (p.from, p.to);
    let statement = |d: &super::model::DefaultPrivilege, grant: bool| {
        let scope = match &d.schema {
            Some(schema) => format!(" IN SCHEMA {}", sql_ident(schema)),
            None => String::new(),
        };
        let grantee = if d.grantee == "PUBLIC" { "PUBLIC".to_owned() } else { sql_ident(&d.grantee) };
        let action = if grant {
            format!("GRANT {} ON {} TO {grantee}", d.privilege, d.objects)
        } else {
            format!("REVOKE {} ON {} FROM {grantee}", d.privilege, d.objects)
        };
        let statement = format!("ALTER DEFAULT PRIVILEGES FOR ROLE {}{scope} {action}", sql_ident(&d.role));
        move |pgm: &mut MigrationBuilder| {
            pgm.sql(statement);
        }
    };
    let push = |d: &super::model::DefaultPrivilege, grant: bool, p: &mut Planner<'_>| {
        p.push(
            Change::new(
                Step::Expand,
                format!(
                    "default privileges of {}{}: {} {} on {} {} {}",
                    d.role,
                    d.schema.as_ref().map(|s| format!(" in {s}")).unwrap_or_default(),
                    if grant { "grant" } else { "revoke" },
                    d.privilege,
                    d.objects.to_lowercase(),
                    if grant { "to" } else { "from" },
                    d.grantee
                ),
            )
            .comment("No operation sets default privileges: written as SQL.")
            .up(statement(d, grant))
            .down(statement(d, !grant)),
        );
    };
    // In the desired schema only: granted, or revoked from the defaults. In the current one only: undone.
    for d in to.default_privileges.difference(&from.default_privileges) {
        push(d, d.granted, p);
    }
    for d in from.default_privileges.difference(&to.default_privileges) {
        push(d, !d.granted, p);
    }
}

fn schemas(p: &mut Planner<'_>) {
    let (from, to) = (p.from, p.to);
    let mut schema_grants_later = Vec::new();
    for (schema, desired) in &to.schemas {
        let current_grants = from.schemas.get(schema).map(|s| s.grants.as_slice()).unwrap_or_default();
        schema_grants_later.push((schema, current_grants, desired.grants.as_slice()));
        match from.schemas.get(schema) {
            None => p.push(
                Change::new(Step::Expand, format!("add schema {schema}"))
                    .up(|pgm| create_schema(pgm, schema, desired.comment.as_deref())),
            ),
            Some(current) if current.comment != desired.comment => {
                let set = |c: Option<&str>| {
                    let statement = format!("COMMENT ON SCHEMA {} IS {}", sql_ident(schema), sql_literal(c));
                    move |pgm: &mut MigrationBuilder| {
                        pgm.sql(statement);
                    }
                };
                p.push(
                    Change::new(Step::Expand, format!("comment on schema {schema}"))
                        .comment("No operation sets the comment of an existing schema: written as SQL.")
                        .up(set(desired.comment.as_deref()))
                        .down(set(current.comment.as_deref())),
                );
            }
            Some(_) => {}
        }
    }
    for (schema, current, desired) in schema_grants_later {
        schema_grants(p, schema, current, desired);
    }
    for (schema, current) in &from.schemas {
        if !to.schemas.contains_key(schema) && p.may_drop(&format!("schema {schema}")) {
            p.push(
                Change::new(Step::Drops, format!("drop schema {schema}"))
                    .order(10)
                    .up(|pgm| {
                        pgm.drop_schema(schema.as_str());
                    })
                    .down(|pgm| create_schema(pgm, schema, current.comment.as_deref())),
            );
        }
    }
}

fn create_schema(pgm: &mut MigrationBuilder, schema: &str, comment: Option<&str>) {
    let call = pgm.create_schema(schema);
    if let Some(comment) = comment {
        call.comment(comment);
    }
}

/// Privileges on schemas, as `grant_on_schemas` / `revoke_on_schemas` for each grantee.
fn schema_grants(p: &mut Planner<'_>, schema: &str, from: &[(String, String)], to: &[(String, String)]) {
    let privilege = |name: &str| match name {
        "USAGE" => Some(Privilege::Usage),
        "CREATE" => Some(Privilege::Create),
        _ => None,
    };
    let call = |grant: bool, grantee: &str, privilege: Privilege| {
        let grantee = grantee.to_owned();
        move |pgm: &mut MigrationBuilder| {
            if grant {
                pgm.grant_on_schemas([schema], [privilege], [grantee]);
            } else {
                pgm.revoke_on_schemas([schema], [privilege], [grantee]);
            }
        }
    };
    for (grantee, granted) in to.iter().filter(|g| !from.contains(g)) {
        if let Some(typed) = privilege(granted) {
            p.push(
                Change::new(Step::Expand, format!("grant {granted} on schema {schema} to {grantee}"))
                    .up(call(true, grantee, typed))
                    .down_if_not_derived(call(false, grantee, typed)),
            );
        }
    }
    for (grantee, revoked) in from.iter().filter(|g| !to.contains(g)) {
        if let Some(typed) = privilege(revoked) {
            p.push(
                Change::new(Step::Expand, format!("revoke {revoked} on schema {schema} from {grantee}"))
                    .up(call(false, grantee, typed))
                    .down_if_not_derived(call(true, grantee, typed)),
            );
        }
    }
}

fn extensions(p: &mut Planner<'_>) {
    let (from, to) = (p.from, p.to);
    let create = |extension: &str, schema: &str| {
        let (extension, schema) = (extension.to_owned(), schema.to_owned());
        move |pgm: &mut MigrationBuilder| {
            let call = pgm.create_extension([extension]);
            if schema != "public" {
                call.schema(schema);
            }
        }
    };
    for (extension, Extension { schema, .. }) in &to.extensions {
        match from.extensions.get(extension).map(|e| &e.schema) {
            None => p.push(
                Change::new(Step::Expand, format!("add extension {extension}"))
                    .up(create(extension, schema))
                    .down_if_not_derived(|pgm| {
                        pgm.drop_extension([extension.as_str()]);
                    }),
            ),
            Some(current) if current != schema => {
                p.uncovered(format!("extension {extension}: moves from schema {current} to {schema}"))
            }
            Some(_) => {}
        }
    }
    for (extension, Extension { schema, .. }) in &from.extensions {
        if !to.extensions.contains_key(extension) && p.may_drop(&format!("extension {extension}")) {
            p.push(
                Change::new(Step::Drops, format!("drop extension {extension}"))
                    .order(9)
                    .up(|pgm| {
                        pgm.drop_extension([extension.as_str()]);
                    })
                    .down(create(extension, schema)),
            );
        }
    }
}

fn create_enum(pgm: &mut MigrationBuilder, q: &QName, labels: &[String]) {
    pgm.create_type(name(q), TypeDefinition::enumeration(labels));
}

/// How an enum's labels change, and so what is written.
#[derive(Debug, PartialEq)]
enum Labels {
    Same,
    /// Labels only added, the existing ones kept in their order: `ADD VALUE` each, in its place.
    Added,
    /// As many labels, each kept or, in its place, one the type did not have: `RENAME VALUE` each
    /// `(old, new)`.
    Renamed(Vec<(String, String)>),
    /// Labels removed or reordered, which PostgreSQL cannot do in place: the type is made again and its
    /// columns moved over.
    Recreated,
}

fn labels_change(current: &[String], labels: &[String]) -> Labels {
    if current == labels {
        return Labels::Same;
    }
    let kept: Vec<&String> = labels.iter().filter(|l| current.contains(l)).collect();
    if kept.len() == current.len() && kept.iter().zip(current).all(|(a, b)| *a == b) {
        return Labels::Added;
    }
    if current.len() == labels.len() {
        let renamed: Option<Vec<(String, String)>> = current
            .iter()
            .zip(labels)
            .filter(|(old, new)| old != new)
            .map(|(old, new)| {
                (!labels.contains(old) && !current.contains(new)).then(|| (old.clone(), new.clone()))
            })
            .collect();
        if let Some(renamed) = renamed {
            return Labels::Renamed(renamed);
        }
    }
    Labels::Recreated
}

/// The labels renamed in place (`RENAME VALUE`) between the two schemas: `(type, old, new)`.
fn renamed_labels(from: &Model, to: &Model) -> Vec<(QName, String, String)> {
    let mut out = Vec::new();
    for (q, enum_) in &to.enums {
        if let Some(current) = from.enums.get(q) {
            if let Labels::Renamed(pairs) = labels_change(&current.labels, &enum_.labels) {
                out.extend(pairs.into_iter().map(|(old, new)| (q.clone(), old, new)));
            }
        }
    }
    out
}

/// Whether default `from` becomes `to` by the enum labels renamed in place alone: `RENAME VALUE` changes
/// it (the default holds the label's oid), so no change of the default is written; one written would name
/// a label that does not exist yet on the way up, or no longer on the way down.
pub(super) fn same_but_renamed_labels(p: &Planner<'_>, from: Option<&str>, to: Option<&str>) -> bool {
    let (Some(from), Some(to)) = (from, to) else {
        return false;
    };
    let mut renamed = from.to_owned();
    for (q, old, new) in renamed_labels(p.from, p.to) {
        for type_name in [format!("{}.{}", q.0, q.1), sql_name(&q)] {
            renamed = renamed.replace(
                &format!("{}::{type_name}", sql_literal(Some(old.as_str()))),
                &format!("{}::{type_name}", sql_literal(Some(new.as_str()))),
            );
        }
    }
    renamed != from && renamed == to
}

fn enums(p: &mut Planner<'_>) {
    let (from, to) = (p.from, p.to);
    for (q, enum_) in &to.enums {
        let labels = &enum_.labels;
        let Some(current_enum) = from.enums.get(q) else {
            let change = Change::new(Step::Expand, format!("add enum {}", shown(q)))
                .object(q)
                .up(|pgm| {
                    create_enum(pgm, q, labels);
                    if let Some(comment) = &enum_.comment {
                        type_comment(pgm, q, Some(comment));
                    }
                })
                .down_if_not_derived(|pgm| {
                    pgm.drop_type(name(q));
                });
            p.push(change);
            continue;
        };
        let current = &current_enum.labels;
        if current_enum.comment != enum_.comment {
            p.push(comment_change(
                &format!("type {}", shown(q)),
                format!("TYPE {}", sql_name(q)),
                current_enum.comment.as_deref(),
                enum_.comment.as_deref(),
            ));
        }
        match labels_change(current, labels) {
            Labels::Same => {}
            Labels::Added => {
                // In a migration of their own, committed before anything uses them: PostgreSQL refuses a
                // label added in the transaction that uses it.
                let added: Vec<String> = labels.iter().filter(|l| !current.contains(l)).cloned().collect();
                let change = Change::new(Step::EnumValues, format!("enum {}: add {}", shown(q), added.join(", ")))
                    .up(|pgm| {
                        for (i, label) in labels.iter().enumerate() {
                            if current.contains(label) {
                                continue;
                            }
                            let call = pgm.add_type_value(name(q), label.as_str());
                            if let Some(next) = labels[i + 1..].iter().find(|l| current.contains(l)) {
                                call.before(next.as_str());
                            }
                        }
                    })
                    // PostgreSQL cannot remove a label: the down makes the type again with the old labels
                    // and moves the columns of that type over to it (it runs last, on the tables as they
                    // were).
                    .downs(recreate_enum(&columns_of(from, None, q), q, current, current_enum.comment.as_deref()));
                p.push(change);
            }
            Labels::Renamed(pairs) => {
                let shown_pairs: Vec<String> = pairs.iter().map(|(old, new)| format!("{old} to {new}")).collect();
                let change = Change::new(
                    Step::EnumValues,
                    format!("enum {}: rename {}", shown(q), shown_pairs.join(", ")),
                )
                .up(|pgm| {
                    for (old, new) in &pairs {
                        pgm.rename_type_value(name(q), old.as_str(), new.as_str());
                    }
                })
                .allow(
                    "stricter-change-in-expand",
                    format!(
                        "enum {}: labels renamed in place, committed before the expand uses the new ones (see the warning)",
                        shown(q)
                    ),
                );
                p.warn(format!(
                    "enum {}: {} renamed in place; the app version before this change still writes the old label",
                    shown(q),
                    shown_pairs.join(", ")
                ));
                p.push(change);
            }
            Labels::Recreated => {
                // The columns as they are in the contract: the desired tables made, the dropped columns not
                // dropped yet.
                let columns = columns_of(to, Some(from), q);
                let mut change = Change::new(
                    Step::Constraints,
                    format!(
                        "enum {}: labels removed or reordered ({} to {}): the type made again, its columns moved over",
                        shown(q),
                        current.join(", "),
                        labels.join(", ")
                    ),
                )
                .comment(
                    "PostgreSQL cannot remove or reorder an enum's labels: the type is renamed aside, made again \
                     and each column of it cast over (a row holding a removed label makes the cast fail); the \
                     old type is dropped.",
                );
                // The comment the type has when each runs: the desired one (the expand's down puts the
                // current one back after).
                change = change
                    .ups(recreate_enum(&columns, q, labels, enum_.comment.as_deref()))
                    .downs(recreate_enum(&columns, q, current, enum_.comment.as_deref()));
                if !columns.is_empty() {
                    change = change.allow(
                        "changing-column-type",
                        format!("the columns of enum {} move to the type made again with the desired labels", shown(q)),
                    );
                }
                p.warn(format!(
                    "enum {}: labels removed or reordered; the type is made again and {} column(s) rewritten",
                    shown(q),
                    columns.len()
                ));
                p.push(change);
            }
        }
    }
    for (q, enum_) in &from.enums {
        let labels = &enum_.labels;
        if !to.enums.contains_key(q) {
            let change = Change::new(Step::Drops, format!("drop enum {}", shown(q)))
                .order(8)
                .up(|pgm| {
                    pgm.drop_type(name(q));
                })
                .down(|pgm| {
                    create_enum(pgm, q, labels);
                    if let Some(comment) = &enum_.comment {
                        type_comment(pgm, q, Some(comment));
                    }
                });
            p.push(change);
        }
    }
}

fn type_comment(pgm: &mut MigrationBuilder, q: &QName, comment: Option<&str>) {
    pgm.sql(format!("COMMENT ON TYPE {} IS {}", sql_name(q), sql_literal(comment)));
}

/// The columns of type `q` in `model`'s tables, then those of `also` not in them (by table and name).
fn columns_of<'m>(model: &'m Model, also: Option<&'m Model>, q: &QName) -> Vec<(&'m QName, &'m ModelColumn)> {
    let type_names = [format!("{}.{}", q.0, q.1), sql_name(q)];
    let of_type = |c: &ModelColumn| type_names.contains(&c.data_type);
    let mut out: Vec<(&QName, &ModelColumn)> = Vec::new();
    for m in std::iter::once(model).chain(also) {
        for (table_name, table) in &m.tables {
            for column in table.columns.iter().filter(|c| of_type(c)) {
                if !out.iter().any(|(t, c)| *t == table_name && c.name == column.name) {
                    out.push((table_name, column));
                }
            }
        }
    }
    out
}

/// The operations that make enum `q` again with `labels` and `comment` (a new type has none) and move
/// `columns` over to it, their defaults put back. In the order they run.
fn recreate_enum(columns: &[(&QName, &ModelColumn)], q: &QName, labels: &[String], comment: Option<&str>) -> Vec<Operation> {
    let old = format!("{}_before_diff", q.1);
    recorded(|pgm| {
        pgm.rename_type(name(q), old.as_str());
        create_enum(pgm, q, labels);
        if comment.is_some() {
            type_comment(pgm, q, comment);
        }
        for (table_name, column) in columns {
            if column.default.is_some() {
                pgm.alter_column(name(table_name), column.name.as_str()).drop_default();
            }
            pgm.alter_column(name(table_name), column.name.as_str())
                .set_type(column.data_type.as_str())
                .using(format!("{}::text::{}", sql_ident(&column.name), column.data_type));
            if let Some(default) = &column.default {
                pgm.alter_column(name(table_name), column.name.as_str()).set_default(expr(default.as_str()));
            }
        }
        pgm.drop_type(name(&(q.0.clone(), old.clone())));
    })
}

fn create_composite(pgm: &mut MigrationBuilder, q: &QName, attributes: &[&Attribute]) {
    let pairs = attributes.iter().map(|a| (a.name.as_str(), a.data_type.as_str()));
    pgm.create_type(name(q), TypeDefinition::composite(pairs));
    for a in attributes {
        if let Some(comment) = &a.comment {
            attribute_comment(pgm, q, &a.name, Some(comment));
        }
    }
}

fn attribute_comment(pgm: &mut MigrationBuilder, q: &QName, attribute: &str, comment: Option<&str>) {
    pgm.sql(format!("COMMENT ON COLUMN {}.{} IS {}", sql_name(q), sql_ident(attribute), sql_literal(comment)));
}

/// The composite types `diff` compares, with their attributes. An extension's are left out: the extension
/// makes them.
fn composite_attributes(model: &Model) -> BTreeMap<&QName, Vec<&Attribute>> {
    model
        .composites
        .iter()
        .filter(|(_, composite)| !composite.of_extension)
        .map(|(q, composite)| (q, composite.attributes.iter().collect()))
        .collect()
}

/// The operations that drop `from`'s attributes and add `to`'s: what changes the attributes from one list
/// to the other, past the common first ones (PostgreSQL adds an attribute at the end).
fn replace_attributes(q: &QName, from: &[&Attribute], to: &[&Attribute]) -> Vec<Operation> {
    recorded(|pgm| {
        for a in from {
            pgm.drop_type_attribute(name(q), a.name.as_str());
        }
        for a in to {
            pgm.add_type_attribute(name(q), a.name.as_str(), a.data_type.as_str());
            if let Some(comment) = &a.comment {
                attribute_comment(pgm, q, &a.name, Some(comment));
            }
        }
    })
}

fn composites(p: &mut Planner<'_>) {
    let (from, to) = (composite_attributes(p.from), composite_attributes(p.to));
    for (q, attributes) in &to {
        let Some(current) = from.get(q) else {
            let change = Change::new(Step::Expand, format!("add type {}", shown(q)))
                .object(q)
                .up(|pgm| create_composite(pgm, q, attributes))
                .down_if_not_derived(|pgm| {
                    pgm.drop_type(name(q));
                });
            p.push(change);
            continue;
        };
        let typed = |list: &[&Attribute]| -> Vec<(String, String)> {
            list.iter().map(|a| (a.name.clone(), a.data_type.clone())).collect()
        };
        let names = |list: &[&Attribute]| -> Vec<String> { list.iter().map(|a| a.name.clone()).collect() };
        let (before, after) = (typed(current), typed(attributes));
        if before != after && names(current) == names(attributes) {
            // The same attributes, some of another type: `ALTER ATTRIBUTE .. TYPE`, in place.
            for (old, new) in current.iter().zip(attributes).filter(|(a, b)| a.data_type != b.data_type) {
                let set = |a: &Attribute| {
                    let (attribute, data_type) = (a.name.clone(), a.data_type.clone());
                    move |pgm: &mut MigrationBuilder| {
                        pgm.set_type_attribute(name(q), attribute, data_type);
                    }
                };
                p.push(
                    Change::new(Step::Expand, format!("type {}: attribute {} becomes {}", shown(q), new.name, new.data_type))
                        .up(set(new))
                        .down(set(old))
                        .allow(
                            "changing-column-type",
                            format!("an attribute of composite type {}, not a table's column", shown(q)),
                        ),
                );
            }
        } else if before != after {
            // Past the attributes both have first, the current ones are dropped and the desired ones added
            // in their order (PostgreSQL adds at the end); the down does the opposite.
            let common = before.iter().zip(&after).take_while(|(a, b)| a == b).count();
            let (gone, new) = (&current[common..], &attributes[common..]);
            let mut what: Vec<String> = gone.iter().filter(|a| !after.iter().any(|(n, _)| *n == a.name)).map(|a| format!("drop attribute {}", a.name)).collect();
            what.extend(new.iter().filter(|a| !before.iter().any(|(n, _)| *n == a.name)).map(|a| format!("add attribute {}", a.name)));
            if what.is_empty() {
                what.push("attributes reordered".to_owned());
            }
            let mut change = Change::new(Step::Expand, format!("type {}: {}", shown(q), what.join(", ")))
                .ups(replace_attributes(q, gone, new))
                .downs(replace_attributes(q, new, gone));
            if !gone.is_empty() {
                change = change.allow(
                    "ban-drop-column",
                    format!("attributes of composite type {}, not a table's columns", shown(q)),
                );
            }
            p.push(change);
        }
        // Comments of the attributes both keep in place (those dropped and added above have theirs).
        let common = before.iter().zip(&after).take_while(|(a, b)| a == b).count();
        let kept = if names(current) == names(attributes) { current.len() } else { common };
        for (old, new) in current.iter().zip(attributes).take(kept) {
            if old.comment != new.comment {
                p.push(
                    Change::new(Step::Expand, format!("comment on attribute {} of type {}", new.name, shown(q)))
                        .comment("No operation sets the comment of an existing object: written as SQL.")
                        .up(|pgm| attribute_comment(pgm, q, &new.name, new.comment.as_deref()))
                        .down(|pgm| attribute_comment(pgm, q, &new.name, old.comment.as_deref())),
                );
            }
        }
    }
    for (q, attributes) in &from {
        if !to.contains_key(q) {
            let change = Change::new(Step::Drops, format!("drop type {}", shown(q)))
                .object(q)
                .order(8)
                .up(|pgm| {
                    pgm.drop_type(name(q));
                })
                .down(|pgm| create_composite(pgm, q, attributes));
            p.push(change);
        }
    }
}

fn create_domain(pgm: &mut MigrationBuilder, q: &QName, d: &Domain) {
    let call = pgm.create_domain(name(q), d.base.as_str());
    if d.not_null {
        call.not_null();
    }
    if let Some(default) = &d.default {
        call.default(expr(default.as_str()));
    }
    if let Some(comment) = &d.comment {
        call.comment(comment.as_str());
    }
    let mut checks = d.checks.iter().map(|check| (check.name.as_str(), strip(check.expression.trim_start_matches("CHECK "))));
    if let Some((check_name, expression)) = checks.next() {
        call.check(expression).constraint_name(check_name);
    }
    for (check_name, expression) in checks {
        pgm.alter_domain(name(q)).add_check(expression).constraint_name(check_name);
    }
}

fn strip(expression: &str) -> &str {
    expression
        .strip_prefix('(')
        .and_then(|e| e.strip_suffix(')'))
        .filter(|inner| !inner.contains(')') || inner.find('(') < inner.find(')'))
        .unwrap_or(expression)
}

/// Two domains do the same when their base type, `NOT NULL`, default, checks (names and expressions) and
/// comment are the same: not their oids (two databases built alike have others), nor the texts that only
/// render them, nor their collation and privileges, which `diff` does not compare.
fn same_domain(a: &Domain, b: &Domain) -> bool {
    a.base == b.base
        && a.not_null == b.not_null
        && a.default == b.default
        && a.comment == b.comment
        && a.checks.len() == b.checks.len()
        && a.checks
            .iter()
            .zip(&b.checks)
            .all(|(x, y)| x.name == y.name && x.expression == y.expression)
}

fn domains(p: &mut Planner<'_>) {
    let (from, to) = (p.from, p.to);
    for (q, domain) in &to.domains {
        match from.domains.get(q) {
            None => {
                let change = Change::new(Step::Expand, format!("add domain {}", shown(q)))
                .object(q)
                    .up(|pgm| create_domain(pgm, q, domain))
                    .down_if_not_derived(|pgm| {
                        pgm.drop_domain(name(q));
                    });
                p.push(change);
            }
            Some(current) if same_domain(current, domain) => {}
            Some(current) if same_domain(current, &Domain { comment: current.comment.clone(), ..domain.clone() }) => {
                p.push(comment_change(
                    &format!("domain {}", shown(q)),
                    format!("DOMAIN {}", sql_name(q)),
                    current.comment.as_deref(),
                    domain.comment.as_deref(),
                ));
            }
            Some(_) => p.uncovered(format!("domain {}: its definition changes", shown(q))),
        }
    }
    for (q, domain) in &from.domains {
        if !to.domains.contains_key(q) {
            let change = Change::new(Step::Drops, format!("drop domain {}", shown(q)))
                .object(q)
                .order(8)
                .up(|pgm| {
                    pgm.drop_domain(name(q));
                })
                .down(|pgm| create_domain(pgm, q, domain));
            p.push(change);
        }
    }
}

/// A sequence the desired schema has that a new table's serial column makes.
fn made_by_serial(model: &Model, other: &Model, q: &QName, s: &Sequence) -> bool {
    let Some((table, column)) = &s.owned_by else {
        return false;
    };
    let new_table = !other.tables.contains_key(table);
    new_table
        && model
            .tables
            .get(table)
            .and_then(|t| t.column(column))
            .is_some_and(|c| serial_type(model, table, c).is_some() && q.1 == format!("{}_{}_seq", table.1, c.name))
}

fn create_sequence(pgm: &mut MigrationBuilder, q: &QName, s: &Sequence) {
    let call = pgm.create_sequence(name(q));
    let defaults = ops::sequence_defaults(&s.data_type, s.increment);
    if s.data_type != "bigint" {
        call.data_type(s.data_type.as_str());
    }
    if s.increment != 1 {
        call.increment(s.increment);
    }
    if s.min != defaults.min {
        call.minvalue(s.min);
    }
    if s.max != defaults.max {
        call.maxvalue(s.max);
    }
    if s.start != defaults.start && !(s.start == s.min && s.increment > 0) {
        call.start(s.start);
    }
    if s.cache != 1 {
        call.cache(s.cache);
    }
    if s.cycle {
        call.cycle();
    }
    if let Some(comment) = &s.comment {
        call.comment(comment.as_str());
    }
}

/// The sequences `diff` compares (see [`Sequence::diffed`]).
fn diffed(model: &Model) -> impl Iterator<Item = (&QName, &Sequence)> {
    model.sequences.iter().filter(|(_, s)| s.diffed)
}

fn diffed_has(model: &Model, q: &QName) -> bool {
    model.sequences.get(q).is_some_and(|s| s.diffed)
}

fn sequences(p: &mut Planner<'_>) {
    let (from, to) = (p.from, p.to);
    for (q, sequence) in diffed(to) {
        match from.sequences.get(q).filter(|s| s.diffed) {
            None if made_by_serial(to, from, q, sequence) => {}
            None => {
                let change = Change::new(Step::Expand, format!("add sequence {}", shown(q)))
                .object(q)
                    .ups(create_sequence_whole(q, sequence))
                    .down_if_not_derived(|pgm| {
                        pgm.drop_sequence(name(q));
                    });
                p.push(change);
            }
            Some(current) => {
                let settings = |s: &Sequence| (s.data_type.clone(), s.start, s.increment, s.min, s.max, s.cache, s.cycle);
                if settings(current) != settings(sequence) {
                    // PostgreSQL checks the sequence's current value against the new bounds: when the two
                    // ranges do not meet (an increment turned from negative to positive), no value it holds
                    // is kept, so it restarts at the new start, within the new bounds.
                    let disjoint = current.max < sequence.min || sequence.max < current.min;
                    let alter = |s: &Sequence| {
                        let s = s.clone();
                        move |pgm: &mut MigrationBuilder| {
                            let call = pgm.alter_sequence(name(q));
                            call.data_type(s.data_type.as_str())
                                .increment(s.increment)
                                .minvalue(s.min)
                                .maxvalue(s.max)
                                .start(s.start)
                                .cache(s.cache);
                            if s.cycle {
                                call.cycle();
                            } else {
                                call.no_cycle();
                            }
                            if disjoint {
                                call.restart_with(s.start);
                            }
                        }
                    };
                    p.push(
                        Change::new(Step::Expand, format!("sequence {}: settings", shown(q)))
                            .up(alter(sequence))
                            .down(alter(current)),
                    );
                }
                if current.comment != sequence.comment {
                    p.push(comment_change(
                        &format!("sequence {}", shown(q)),
                        format!("SEQUENCE {}", sql_name(q)),
                        current.comment.as_deref(),
                        sequence.comment.as_deref(),
                    ));
                }
                privileges::change(
                    p,
                    &format!("sequence {}", shown(q)),
                    &sequence_on(q),
                    &current.privileges,
                    &sequence.privileges,
                );
            }
        }
    }
    for (q, sequence) in diffed(from) {
        if diffed_has(to, q) || made_by_serial(from, to, q, sequence) {
            continue;
        }
        // A sequence its dropped column or table owns goes with them.
        if let Some((table, column)) = &sequence.owned_by {
            if to.tables.get(table).is_none_or(|t| t.column(column).is_none()) {
                continue;
            }
        }
        if p.may_drop(&format!("sequence {}", shown(q))) {
            let change = Change::new(Step::Drops, format!("drop sequence {}", shown(q)))
                .object(q)
                .order(6)
                .up(|pgm| {
                    pgm.drop_sequence(name(q));
                })
                .downs(create_sequence_whole(q, sequence));
            p.push(change);
        }
    }
}

/// What privileges on a sequence are granted on.
fn sequence_on(q: &QName) -> String {
    format!("SEQUENCE {}", sql_name(q))
}

/// `create_sequence` and its privileges: what makes it again as it was (its owner apart).
fn create_sequence_whole(q: &QName, s: &Sequence) -> Vec<Operation> {
    let mut operations = recorded(|pgm| create_sequence(pgm, q, s));
    operations.extend(privileges::granted(&sequence_on(q), &s.privileges));
    operations
}

/// `OWNED BY` of new sequences, once their tables exist, and of sequences that stay whose owner changes
/// (before the drops: a sequence still owned by a column dropped goes with it).
fn sequence_owners(p: &mut Planner<'_>) {
    let (from, to) = (p.from, p.to);
    for (q, sequence) in diffed(to) {
        if made_by_serial(to, from, q, sequence) {
            continue;
        }
        if let Some(current) = from.sequences.get(q).filter(|s| s.diffed) {
            if current.owned_by != sequence.owned_by {
                let owned = |owner: &Option<(QName, String)>| {
                    let owner = owner.clone();
                    move |pgm: &mut MigrationBuilder| {
                        let call = pgm.alter_sequence(name(q));
                        match owner {
                            Some((table, column)) => call.owned_by(name(&table), column),
                            None => call.owned_by_none(),
                        };
                    }
                };
                let whom = match &sequence.owned_by {
                    Some((table, column)) => format!("{}.{column}", shown(table)),
                    None => "no column".to_owned(),
                };
                p.push(
                    Change::new(Step::Expand, format!("sequence {} owned by {whom}", shown(q)))
                        .up(owned(&sequence.owned_by))
                        .down(owned(&current.owned_by)),
                );
            }
            continue;
        }
        if let Some((table, column)) = &sequence.owned_by {
            p.push(
                Change::new(Step::Expand, format!("sequence {} owned by {}.{column}", shown(q), shown(table)))
                    .up(|pgm| {
                        pgm.alter_sequence(name(q)).owned_by(name(table), column.as_str());
                    })
                    .down(|pgm| {
                        pgm.alter_sequence(name(q)).owned_by_none();
                    }),
            );
        }
    }
}

fn create_function(pgm: &mut MigrationBuilder, q: &QName, f: &Function, replace: bool) {
    if written_as_sql(f) {
        let definition = if replace {
            f.definition.clone()
        } else {
            f.definition.replacen("CREATE OR REPLACE", "CREATE", 1)
        };
        pgm.sql(definition.trim_end());
        return;
    }
    let call = pgm.create_function(name(q), ops::params(&f.params), f.body.as_str());
    if let Some(result) = &f.result {
        call.returns(result.as_str());
    }
    if f.language != "plpgsql" {
        call.language(f.language.as_str());
    }
    match f.volatility {
        'i' => {
            call.immutable();
        }
        's' => {
            call.stable();
        }
        _ => {}
    }
    if f.strict {
        call.strict();
    }
    if f.security_definer {
        call.security_definer();
    }
    match f.parallel {
        's' => {
            call.parallel_safe();
        }
        'r' => {
            call.parallel_restricted();
        }
        _ => {}
    }
    for (parameter, value) in &f.config {
        call.set(parameter.as_str(), setting(parameter, value));
    }
    if let (Some(comment), false) = (&f.comment, replace) {
        call.comment(comment.as_str());
    }
    if replace {
        call.or_replace();
    }
}

/// The parameters whose value is a list of names, each quoted as an identifier in the catalog
/// (`GUC_LIST_QUOTE`): `search_path = ''` is stored as `""`, `search_path = a, "B c"` as `a, "B c"`.
const LIST_SETTINGS: [&str; 5] = [
    "search_path",
    "temp_tablespaces",
    "local_preload_libraries",
    "session_preload_libraries",
    "shared_preload_libraries",
];

/// A function's `SET` value as the builder takes it: a plain value as a literal; a list's elements (as
/// the catalog quotes them) each as a literal, written with `expr`, so that `SET search_path TO ''` is
/// written back as `''`, not as a schema named `""`.
fn setting(parameter: &str, value: &str) -> Value {
    if !LIST_SETTINGS.contains(&parameter) {
        return Value::from(value);
    }
    let elements: Vec<String> = list_elements(value).iter().map(|e| sql_literal(Some(e))).collect();
    expr(elements.join(", "))
}

/// The elements of a list setting as the catalog holds it: split at the commas outside double quotes,
/// trimmed, a double-quoted element unquoted (`""` inside it is one `"`).
fn list_elements(value: &str) -> Vec<String> {
    let mut elements = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = value.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                current.push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => elements.push(std::mem::take(&mut current).trim().to_owned()),
            c if !quoted && c.is_whitespace() => {}
            c => current.push(c),
        }
    }
    elements.push(current.trim().to_owned());
    elements
}

fn drop_function(pgm: &mut MigrationBuilder, q: &QName, f: &Function) {
    if f.procedure {
        let types: Vec<String> = f
            .params
            .iter()
            .filter(|p| p.mode != 'o')
            .map(|p| p.data_type.clone())
            .collect();
        pgm.sql(format!("DROP PROCEDURE {}({})", sql_name(q), types.join(", ")));
        return;
    }
    pgm.drop_function(name(q), ops::param_types(&f.params));
}

/// A function or procedure created by its definition, as SQL: a procedure, or a function with a
/// SQL-standard body.
fn written_as_sql(f: &Function) -> bool {
    f.procedure || (f.language == "sql" && f.body.trim().is_empty())
}

/// What `COMMENT ON` and `GRANT` name a function or procedure by: `FUNCTION "schema"."name"(arguments)`.
fn routine_on(q: &QName, arguments: &str, f: &Function) -> String {
    let kind = if f.procedure { "PROCEDURE" } else { "FUNCTION" };
    format!("{kind} {}({arguments})", sql_name(q))
}

/// What makes a function or procedure as it is: created, with its comment (a procedure's, written as
/// SQL, is not in its definition) and privileges.
fn create_function_whole(q: &QName, arguments: &str, f: &Function) -> Vec<Operation> {
    let mut operations = recorded(|pgm| {
        create_function(pgm, q, f, false);
        if let (true, Some(comment)) = (written_as_sql(f), &f.comment) {
            pgm.sql(format!("COMMENT ON {} IS {}", routine_on(q, arguments, f), sql_literal(Some(comment))));
        }
    });
    operations.extend(privileges::granted(&routine_on(q, arguments, f), &f.privileges));
    operations
}

/// `keys` in an order that creates each function after those of `keys` its definition names: a body in
/// `sql` is checked when created, so what it calls must exist. In name order otherwise; a cycle (functions
/// calling each other, overloads of one name) is left in name order.
fn by_calls<'m>(model: &'m Model, keys: Vec<&'m (QName, String)>) -> Vec<&'m (QName, String)> {
    let calls = |caller: &(QName, String), callee: &(QName, String)| {
        caller.0 != callee.0 && mentions(&model.functions[caller].definition, &callee.0 .1)
    };
    let mut pending = keys;
    let mut ordered = Vec::new();
    while !pending.is_empty() {
        let waiting = pending.clone();
        let (ready, rest): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .partition(|key| !waiting.iter().any(|other| calls(key, other)));
        if ready.is_empty() {
            ordered.extend(rest);
            break;
        }
        ordered.extend(ready);
        pending = rest;
    }
    ordered
}

/// Functions: those in `sql` (checked against the tables when created) after the tables, the others
/// before them (defaults, checks and triggers call them); each after the functions it calls.
fn functions(p: &mut Planner<'_>, sql_language: bool) {
    let (from, to) = (p.from, p.to);
    // Aggregates and window functions are in the model for the description; no operation makes them.
    let keys: Vec<&(QName, String)> = to
        .functions
        .iter()
        .filter(|(_, f)| f.diffed() && (f.language == "sql") == sql_language)
        .map(|(key, _)| key)
        .collect();
    for key in by_calls(to, keys) {
        let ((q, arguments), function) = (key, &to.functions[key]);
        let what = format!("{} {}({arguments})", if function.procedure { "procedure" } else { "function" }, shown(q));
        let note = |change: Change| {
            if written_as_sql(function) {
                change.comment("No operation creates a procedure or a function with a SQL-standard body: written as its definition.")
            } else {
                change
            }
        };
        let add = || {
            let change = Change::new(Step::Expand, format!("add {what}"))
                .object(q)
                .ups(create_function_whole(q, arguments, function))
                .down_if_not_derived(|pgm| drop_function(pgm, q, function));
            note(change)
        };
        match from.functions.get(key).filter(|f| f.diffed()) {
            None => p.push(add()),
            Some(current)
                if current.definition == function.definition
                    || (current.result == function.result && current.procedure == function.procedure) =>
            {
                if current.definition != function.definition {
                    p.push(note(
                        Change::new(Step::Expand, format!("replace {what} (the old definition kept for down)"))
                            .up(|pgm| create_function(pgm, q, function, true))
                            .down(|pgm| create_function(pgm, q, current, true)),
                    ));
                }
                if current.comment != function.comment {
                    p.push(comment_change(
                        &what,
                        routine_on(q, arguments, function),
                        current.comment.as_deref(),
                        function.comment.as_deref(),
                    ));
                }
                privileges::change(p, &what, &routine_on(q, arguments, function), &current.privileges, &function.privileges);
            }
            Some(current) => {
                let drop = Change::new(Step::Expand, format!("drop {what} (its result type changes)"))
                    .up(|pgm| drop_function(pgm, q, current))
                    .allow(
                        "ban-drop-function",
                        format!("{what} changes its result type: dropped and created again in one transaction"),
                    )
                    .downs(create_function_whole(q, arguments, current));
                p.push(drop);
                p.push(add());
            }
        }
    }
    if sql_language {
        return;
    }
    for (key, function) in from.functions.iter().filter(|(_, f)| f.diffed()) {
        let (q, arguments) = key;
        if !to.functions.get(key).is_some_and(|f| f.diffed()) {
            let change = Change::new(Step::Drops, format!("drop function {}({arguments})", shown(q)))
                .object(q)
                .order(7)
                .up(|pgm| drop_function(pgm, q, function))
                .downs(create_function_whole(q, arguments, function));
            p.push(change);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_settings_are_written_element_by_element() {
        assert_eq!(setting("search_path", "\"\""), expr("''"));
        assert_eq!(setting("search_path", "pg_catalog, \"My \"\"S\"\"\""), expr("'pg_catalog', 'My \"S\"'"));
        assert_eq!(setting("work_mem", "64MB"), Value::from("64MB"));
    }

    #[test]
    fn enum_labels_renamed_in_place_are_told_from_removed_or_reordered() {
        let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(labels_change(&l(&["a", "b"]), &l(&["a", "c"])), Labels::Renamed(vec![("b".into(), "c".into())]));
        assert_eq!(labels_change(&l(&["a", "c"]), &l(&["x", "a", "c"])), Labels::Added);
        assert_eq!(labels_change(&l(&["a", "b", "c"]), &l(&["c", "b", "a"])), Labels::Recreated);
        assert_eq!(labels_change(&l(&["a", "b"]), &l(&["a"])), Labels::Recreated);
    }
}
