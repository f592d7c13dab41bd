//! Everything but tables: schemas, extensions, types, domains, sequences and functions before the tables
//! (columns and defaults use them), views, SQL functions and sequence owners after them.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Attribute, Column, Domain, Extension, Function, Model, QName, Sequence};
use super::plan::{Change, Planner, Step};
use super::rust::{self, lit, name, shown};
use super::rust::serial_type;
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
        format!(
            "pgm.sql({})",
            lit(&format!("ALTER DEFAULT PRIVILEGES FOR ROLE {}{scope} {action}", sql_ident(&d.role)))
        )
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
            None => {
                let mut call = format!("pgm.create_schema({})", lit(schema));
                if let Some(comment) = &desired.comment {
                    call.push_str(&format!(".comment({})", lit(comment)));
                }
                p.push(
                    Change::new(Step::Expand, format!("add schema {schema}"))
                        .up(call)
                        .down(format!("pgm.drop_schema({})", lit(schema))),
                );
            }
            Some(current) if current.comment != desired.comment => {
                let set = |c: Option<&str>| {
                    format!("pgm.sql({})", lit(&format!("COMMENT ON SCHEMA {} IS {}", sql_ident(schema), sql_literal(c))))
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
            let mut create = format!("pgm.create_schema({})", lit(schema));
            if let Some(comment) = &current.comment {
                create.push_str(&format!(".comment({})", lit(comment)));
            }
            p.push(
                Change::new(Step::Drops, format!("drop schema {schema}"))
                    .order(10)
                    .up(format!("pgm.drop_schema({})", lit(schema)))
                    .down(create),
            );
        }
    }
}

/// Privileges on schemas, as `grant_on_schemas` / `revoke_on_schemas` for each grantee.
fn schema_grants(p: &mut Planner<'_>, schema: &str, from: &[(String, String)], to: &[(String, String)]) {
    let privilege = |name: &str| match name {
        "USAGE" => Some("Privilege::Usage"),
        "CREATE" => Some("Privilege::Create"),
        _ => None,
    };
    let call = |verb: &str, grantee: &str, privileges: &str| {
        format!("pgm.{verb}_on_schemas([{}], [{privileges}], [{}])", lit(schema), lit(grantee))
    };
    for (grantee, granted) in to.iter().filter(|g| !from.contains(g)) {
        if let Some(typed) = privilege(granted) {
            p.push(
                Change::new(Step::Expand, format!("grant {granted} on schema {schema} to {grantee}"))
                    .up(call("grant", grantee, typed))
                    .down(call("revoke", grantee, typed)),
            );
        }
    }
    for (grantee, revoked) in from.iter().filter(|g| !to.contains(g)) {
        if let Some(typed) = privilege(revoked) {
            p.push(
                Change::new(Step::Expand, format!("revoke {revoked} on schema {schema} from {grantee}"))
                    .up(call("revoke", grantee, typed))
                    .down(call("grant", grantee, typed)),
            );
        }
    }
}

fn extensions(p: &mut Planner<'_>) {
    let (from, to) = (p.from, p.to);
    let create = |extension: &str, schema: &str| {
        let mut call = format!("pgm.create_extension([{}])", lit(extension));
        if schema != "public" {
            call.push_str(&format!(".schema({})", lit(schema)));
        }
        call
    };
    for (extension, Extension { schema, .. }) in &to.extensions {
        match from.extensions.get(extension).map(|e| &e.schema) {
            None => p.push(
                Change::new(Step::Expand, format!("add extension {extension}"))
                    .up(create(extension, schema))
                    .down(format!("pgm.drop_extension([{}])", lit(extension))),
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
                    .up(format!("pgm.drop_extension([{}])", lit(extension)))
                    .down(create(extension, schema)),
            );
        }
    }
}

fn create_enum(q: &QName, labels: &[String]) -> String {
    format!("pgm.create_type({}, TypeDefinition::enumeration({}))", name(q), rust::list(labels))
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
            let mut change = Change::new(Step::Expand, format!("add enum {}", shown(q)))
                .up(create_enum(q, labels))
                .down(format!("pgm.drop_type({})", name(q)));
            if let Some(comment) = &enum_.comment {
                change = change.up(type_comment(q, Some(comment)));
            }
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
                let mut change = Change::new(Step::EnumValues, format!("enum {}: add {}", shown(q), added.join(", ")));
                for (i, label) in labels.iter().enumerate() {
                    if current.contains(label) {
                        continue;
                    }
                    let mut call = format!("pgm.add_type_value({}, {})", name(q), lit(label));
                    if let Some(next) = labels[i + 1..].iter().find(|l| current.contains(l)) {
                        call.push_str(&format!(".before({})", lit(next)));
                    }
                    change = change.up(call);
                }
                // PostgreSQL cannot remove a label: the down makes the type again with the old labels and
                // moves the columns of that type over to it (it runs last, on the tables as they were).
                change.down = recreate_enum(&columns_of(from, None, q), q, current, current_enum.comment.as_deref());
                p.push(change);
            }
            Labels::Renamed(pairs) => {
                let shown_pairs: Vec<String> = pairs.iter().map(|(old, new)| format!("{old} to {new}")).collect();
                let mut change = Change::new(
                    Step::EnumValues,
                    format!("enum {}: rename {}", shown(q), shown_pairs.join(", ")),
                );
                for (old, new) in &pairs {
                    change = change
                        .up(format!("pgm.rename_type_value({}, {}, {})", name(q), lit(old), lit(new)))
                        .down(format!("pgm.rename_type_value({}, {}, {})", name(q), lit(new), lit(old)));
                }
                change.down.reverse();
                change = change.allow(
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
                change.up = recreate_enum(&columns, q, labels, enum_.comment.as_deref());
                change.down = recreate_enum(&columns, q, current, enum_.comment.as_deref());
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
            let mut change = Change::new(Step::Drops, format!("drop enum {}", shown(q)))
                .order(8)
                .up(format!("pgm.drop_type({})", name(q)))
                .down(create_enum(q, labels));
            if let Some(comment) = &enum_.comment {
                change = change.down(type_comment(q, Some(comment)));
            }
            p.push(change);
        }
    }
}

fn type_comment(q: &QName, comment: Option<&str>) -> String {
    format!("pgm.sql({})", lit(&format!("COMMENT ON TYPE {} IS {}", sql_name(q), sql_literal(comment))))
}

/// The columns of type `q` in `model`'s tables, then those of `also` not in them (by table and name).
fn columns_of<'m>(model: &'m Model, also: Option<&'m Model>, q: &QName) -> Vec<(&'m QName, &'m Column)> {
    let type_names = [format!("{}.{}", q.0, q.1), sql_name(q)];
    let of_type = |c: &Column| type_names.contains(&c.data_type);
    let mut out: Vec<(&QName, &Column)> = Vec::new();
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

/// The calls that make enum `q` again with `labels` and `comment` (a new type has none) and move `columns`
/// over to it, their defaults put back. Listed in the order they run.
fn recreate_enum(columns: &[(&QName, &Column)], q: &QName, labels: &[String], comment: Option<&str>) -> Vec<String> {
    let old = format!("{}_before_diff", q.1);
    let mut calls = vec![
        format!("pgm.rename_type({}, {})", name(q), lit(&old)),
        create_enum(q, labels),
    ];
    if comment.is_some() {
        calls.push(type_comment(q, comment));
    }
    for (table_name, column) in columns {
        let alter = rust::alter_column(table_name, &column.name);
        if column.default.is_some() {
            calls.push(format!("{alter}.drop_default()"));
        }
        calls.push(format!(
            "{alter}.set_type({}).using({})",
            lit(&column.data_type),
            lit(&format!("{}::text::{}", sql_ident(&column.name), column.data_type))
        ));
        if let Some(default) = &column.default {
            calls.push(format!("{alter}.set_default(expr({}))", lit(default)));
        }
    }
    calls.push(format!("pgm.drop_type({})", name(&(q.0.clone(), old))));
    calls
}

fn create_composite(q: &QName, attributes: &[&Attribute]) -> Vec<String> {
    let pairs: Vec<String> = attributes
        .iter()
        .map(|a| format!("({}, {})", lit(&a.name), lit(&a.data_type)))
        .collect();
    let mut calls = vec![format!("pgm.create_type({}, TypeDefinition::composite([{}]))", name(q), pairs.join(", "))];
    calls.extend(attributes.iter().filter_map(|a| a.comment.as_deref().map(|c| attribute_comment(q, &a.name, Some(c)))));
    calls
}

fn attribute_comment(q: &QName, attribute: &str, comment: Option<&str>) -> String {
    format!(
        "pgm.sql({})",
        lit(&format!("COMMENT ON COLUMN {}.{} IS {}", sql_name(q), sql_ident(attribute), sql_literal(comment)))
    )
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

/// The calls that drop `from`'s attributes and add `to`'s: what changes the attributes from one list to
/// the other, past the common first ones (PostgreSQL adds an attribute at the end).
fn replace_attributes(q: &QName, from: &[&Attribute], to: &[&Attribute]) -> Vec<String> {
    let mut calls: Vec<String> = from
        .iter()
        .map(|a| format!("pgm.drop_type_attribute({}, {})", name(q), lit(&a.name)))
        .collect();
    for a in to {
        calls.push(format!("pgm.add_type_attribute({}, {}, {})", name(q), lit(&a.name), lit(&a.data_type)));
        if let Some(comment) = &a.comment {
            calls.push(attribute_comment(q, &a.name, Some(comment)));
        }
    }
    calls
}

fn composites(p: &mut Planner<'_>) {
    let (from, to) = (composite_attributes(p.from), composite_attributes(p.to));
    for (q, attributes) in &to {
        let Some(current) = from.get(q) else {
            let mut change = Change::new(Step::Expand, format!("add type {}", shown(q)))
                .down(format!("pgm.drop_type({})", name(q)));
            change.up = create_composite(q, attributes);
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
                let set = |a: &Attribute| format!("pgm.set_type_attribute({}, {}, {})", name(q), lit(&a.name), lit(&a.data_type));
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
            let mut change = Change::new(Step::Expand, format!("type {}: {}", shown(q), what.join(", ")));
            change.up = replace_attributes(q, gone, new);
            change.down = replace_attributes(q, new, gone);
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
                        .up(attribute_comment(q, &new.name, new.comment.as_deref()))
                        .down(attribute_comment(q, &new.name, old.comment.as_deref())),
                );
            }
        }
    }
    for (q, attributes) in &from {
        if !to.contains_key(q) {
            let mut change = Change::new(Step::Drops, format!("drop type {}", shown(q)))
                .order(8)
                .up(format!("pgm.drop_type({})", name(q)));
            change.down = create_composite(q, attributes);
            p.push(change);
        }
    }
}

fn create_domain(q: &QName, d: &Domain) -> Vec<String> {
    let mut call = format!("pgm.create_domain({}, {})", name(q), lit(&d.base));
    if d.not_null {
        call.push_str(".not_null()");
    }
    if let Some(default) = &d.default {
        call.push_str(&format!(".default(expr({}))", lit(default)));
    }
    if let Some(comment) = &d.comment {
        call.push_str(&format!(".comment({})", lit(comment)));
    }
    let mut calls = vec![call];
    for (i, check) in d.checks.iter().enumerate() {
        let check_name = &check.name;
        let expression = check.expression.trim_start_matches("CHECK ");
        let check = format!(".check({}).constraint_name({})", lit(strip(expression)), lit(check_name));
        if i == 0 {
            calls[0].push_str(&check);
        } else {
            calls.push(format!(
                "pgm.alter_domain({}).add_check({}).constraint_name({})",
                name(q),
                lit(strip(expression)),
                lit(check_name)
            ));
        }
    }
    calls
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
                let mut change = Change::new(Step::Expand, format!("add domain {}", shown(q)));
                for call in create_domain(q, domain) {
                    change = change.up(call);
                }
                p.push(change.down(format!("pgm.drop_domain({})", name(q))));
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
            let mut change = Change::new(Step::Drops, format!("drop domain {}", shown(q)))
                .order(8)
                .up(format!("pgm.drop_domain({})", name(q)));
            change.down = create_domain(q, domain);
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

fn create_sequence(q: &QName, s: &Sequence) -> String {
    let mut call = format!("pgm.create_sequence({})", name(q));
    let defaults = rust::sequence_defaults(&s.data_type, s.increment);
    if s.data_type != "bigint" {
        call.push_str(&format!(".data_type({})", lit(&s.data_type)));
    }
    if s.increment != 1 {
        call.push_str(&format!(".increment({})", s.increment));
    }
    if s.min != defaults.min {
        call.push_str(&format!(".minvalue({})", s.min));
    }
    if s.max != defaults.max {
        call.push_str(&format!(".maxvalue({})", s.max));
    }
    if s.start != defaults.start && !(s.start == s.min && s.increment > 0) {
        call.push_str(&format!(".start({})", s.start));
    }
    if s.cache != 1 {
        call.push_str(&format!(".cache({})", s.cache));
    }
    if s.cycle {
        call.push_str(".cycle()");
    }
    if let Some(comment) = &s.comment {
        call.push_str(&format!(".comment({})", lit(comment)));
    }
    call
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
                let mut change = Change::new(Step::Expand, format!("add sequence {}", shown(q)))
                    .down(format!("pgm.drop_sequence({})", name(q)));
                change.up = create_sequence_whole(q, sequence);
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
                        let mut call = format!(
                            "pgm.alter_sequence({}).data_type({}).increment({}).minvalue({}).maxvalue({}).start({}).cache({})",
                            name(q),
                            lit(&s.data_type),
                            s.increment,
                            s.min,
                            s.max,
                            s.start,
                            s.cache
                        );
                        call.push_str(if s.cycle { ".cycle()" } else { ".no_cycle()" });
                        if disjoint {
                            call.push_str(&format!(".restart_with({})", s.start));
                        }
                        call
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
            let mut change = Change::new(Step::Drops, format!("drop sequence {}", shown(q)))
                .order(6)
                .up(format!("pgm.drop_sequence({})", name(q)));
            change.down = create_sequence_whole(q, sequence);
            p.push(change);
        }
    }
}

/// What privileges on a sequence are granted on.
fn sequence_on(q: &QName) -> String {
    format!("SEQUENCE {}", sql_name(q))
}

/// `create_sequence` and its privileges: what makes it again as it was (its owner apart).
fn create_sequence_whole(q: &QName, s: &Sequence) -> Vec<String> {
    let mut calls = vec![create_sequence(q, s)];
    calls.extend(privileges::granted(&sequence_on(q), &s.privileges));
    calls
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
                let owned = |owner: &Option<(QName, String)>| match owner {
                    Some((table, column)) => {
                        format!("pgm.alter_sequence({}).owned_by({}, {})", name(q), name(table), lit(column))
                    }
                    None => format!("pgm.alter_sequence({}).owned_by_none()", name(q)),
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
                    .up(format!("pgm.alter_sequence({}).owned_by({}, {})", name(q), name(table), lit(column)))
                    .down(format!("pgm.alter_sequence({}).owned_by_none()", name(q))),
            );
        }
    }
}

fn create_function(q: &QName, f: &Function, replace: bool) -> String {
    if f.procedure || (f.language == "sql" && f.body.trim().is_empty()) {
        let definition = if replace {
            f.definition.clone()
        } else {
            f.definition.replacen("CREATE OR REPLACE", "CREATE", 1)
        };
        return format!("pgm.sql({})", lit(definition.trim_end()));
    }
    let mut call = format!(
        "pgm.create_function(\n        {},\n        {},\n        {},\n    )",
        name(q),
        rust::params(&f.params),
        lit(&f.body)
    );
    if let Some(result) = &f.result {
        call.push_str(&format!("\n    .returns({})", lit(result)));
    }
    if f.language != "plpgsql" {
        call.push_str(&format!("\n    .language({})", lit(&f.language)));
    }
    match f.volatility {
        'i' => call.push_str("\n    .immutable()"),
        's' => call.push_str("\n    .stable()"),
        _ => {}
    }
    if f.strict {
        call.push_str("\n    .strict()");
    }
    if f.security_definer {
        call.push_str("\n    .security_definer()");
    }
    match f.parallel {
        's' => call.push_str("\n    .parallel_safe()"),
        'r' => call.push_str("\n    .parallel_restricted()"),
        _ => {}
    }
    for (parameter, value) in &f.config {
        call.push_str(&format!("\n    .set({}, {})", lit(parameter), setting(parameter, value)));
    }
    if let (Some(comment), false) = (&f.comment, replace) {
        call.push_str(&format!("\n    .comment({})", lit(comment)));
    }
    if replace {
        call.push_str("\n    .or_replace()");
    }
    call
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
fn setting(parameter: &str, value: &str) -> String {
    if !LIST_SETTINGS.contains(&parameter) {
        return lit(value);
    }
    let elements: Vec<String> = list_elements(value).iter().map(|e| sql_literal(Some(e))).collect();
    format!("expr({})", lit(&elements.join(", ")))
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

fn drop_function(q: &QName, f: &Function) -> String {
    if f.procedure {
        let types: Vec<String> = f
            .params
            .iter()
            .filter(|p| p.mode != 'o')
            .map(|p| p.data_type.clone())
            .collect();
        return format!("pgm.sql({})", lit(&format!("DROP PROCEDURE {}({})", sql_name(q), types.join(", "))));
    }
    format!("pgm.drop_function({}, {})", name(q), rust::param_types(&f.params))
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
fn create_function_whole(q: &QName, arguments: &str, f: &Function) -> Vec<String> {
    let mut calls = vec![create_function(q, f, false)];
    if let (true, Some(comment)) = (written_as_sql(f), &f.comment) {
        calls.push(format!(
            "pgm.sql({})",
            lit(&format!("COMMENT ON {} IS {}", routine_on(q, arguments, f), sql_literal(Some(comment))))
        ));
    }
    calls.extend(privileges::granted(&routine_on(q, arguments, f), &f.privileges));
    calls
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
            let mut change = Change::new(Step::Expand, format!("add {what}")).down(drop_function(q, function));
            change.up = create_function_whole(q, arguments, function);
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
                            .up(create_function(q, function, true))
                            .down(create_function(q, current, true)),
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
                let mut drop = Change::new(Step::Expand, format!("drop {what} (its result type changes)"))
                    .up(drop_function(q, current))
                    .allow(
                        "ban-drop-function",
                        format!("{what} changes its result type: dropped and created again in one transaction"),
                    );
                drop.down = create_function_whole(q, arguments, current);
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
            let mut change = Change::new(Step::Drops, format!("drop function {}({arguments})", shown(q)))
                .order(7)
                .up(drop_function(q, function));
            change.down = create_function_whole(q, arguments, function);
            p.push(change);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_settings_are_written_element_by_element() {
        assert_eq!(setting("search_path", "\"\""), "expr(\"''\")");
        assert_eq!(setting("search_path", "pg_catalog, \"My \"\"S\"\"\""), "expr(\"'pg_catalog', 'My \\\"S\\\"'\")");
        assert_eq!(setting("work_mem", "64MB"), "\"64MB\"");
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
