//! Everything but tables: schemas, extensions, types, domains, sequences and functions before the tables
//! (columns and defaults use them), views, SQL functions and sequence owners after them.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Domain, Extension, Function, Model, QName, Sequence};
use super::plan::{Change, Planner, Step};
use super::rust::{self, lit, name, shown};
use super::rust::serial_type;
use super::sql::{comment_change, sql_ident, sql_literal, sql_name};
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

fn enums(p: &mut Planner<'_>) {
    let (from, to) = (p.from, p.to);
    for (q, enum_) in &to.enums {
        let labels = &enum_.labels;
        let Some(current) = from.enums.get(q).map(|e| &e.labels) else {
            p.push(
                Change::new(Step::Expand, format!("add enum {}", shown(q)))
                    .up(create_enum(q, labels))
                    .down(format!("pgm.drop_type({})", name(q))),
            );
            continue;
        };
        if current == labels {
            continue;
        }
        // Labels only added, the existing ones in their order: `ADD VALUE` each, placed before the label
        // that follows it (or at the end).
        let kept: Vec<&String> = labels.iter().filter(|l| current.contains(l)).collect();
        if kept.len() != current.len() || kept.iter().zip(current).any(|(a, b)| *a != b) {
            p.uncovered(format!(
                "enum {}: labels removed or reordered ({} to {}); PostgreSQL only adds labels",
                shown(q),
                current.join(", "),
                labels.join(", ")
            ));
            continue;
        }
        let mut change = Change::new(Step::Expand, format!("enum {}: add {}", shown(q), labels.iter().filter(|l| !current.contains(l)).cloned().collect::<Vec<_>>().join(", ")));
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
        // PostgreSQL cannot remove a label: the down makes the type again with the old labels and moves
        // the columns of that type over to it.
        change.down = recreate_enum(from, q, current);
        p.push(change);
    }
    for (q, enum_) in &from.enums {
        let labels = &enum_.labels;
        if !to.enums.contains_key(q) {
            p.push(
                Change::new(Step::Drops, format!("drop enum {}", shown(q)))
                    .order(8)
                    .up(format!("pgm.drop_type({})", name(q)))
                    .down(create_enum(q, labels)),
            );
        }
    }
}

/// The calls that make enum `q` again with `labels` and move every column of type `q` (as `model` has
/// them) over to it, their defaults put back. Listed in the order they run.
fn recreate_enum(model: &Model, q: &QName, labels: &[String]) -> Vec<String> {
    let type_name = format!("{}.{}", sql_ident(&q.0), sql_ident(&q.1));
    let shown_type = format!("{}.{}", q.0, q.1);
    let old = format!("{}_before_diff", q.1);
    let mut calls = vec![
        format!("pgm.rename_type({}, {})", name(q), lit(&old)),
        create_enum(q, labels),
    ];
    for (table_name, table) in &model.tables {
        for column in &table.columns {
            if column.data_type != shown_type && column.data_type != type_name {
                continue;
            }
            let alter = format!("pgm.alter_column({}, {})", name(table_name), lit(&column.name));
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
    }
    calls.push(format!("pgm.drop_type({})", name(&(q.0.clone(), old))));
    // Downs are written in reverse order of the changes, each change's calls as listed.
    calls
}

fn create_composite(q: &QName, attributes: &[(String, String)]) -> String {
    let pairs: Vec<String> = attributes
        .iter()
        .map(|(a, t)| format!("({}, {})", lit(a), lit(t)))
        .collect();
    format!("pgm.create_type({}, TypeDefinition::composite([{}]))", name(q), pairs.join(", "))
}

/// What `diff` compares of each composite type: its attributes' names and types. An extension's composite
/// types are left out: the extension makes them.
fn composite_attributes(model: &Model) -> BTreeMap<&QName, Vec<(String, String)>> {
    model
        .composites
        .iter()
        .filter(|(_, composite)| !composite.of_extension)
        .map(|(q, composite)| {
            let attributes = composite
                .attributes
                .iter()
                .map(|a| (a.name.clone(), a.data_type.clone()))
                .collect();
            (q, attributes)
        })
        .collect()
}

fn composites(p: &mut Planner<'_>) {
    let (from, to) = (composite_attributes(p.from), composite_attributes(p.to));
    for (q, attributes) in &to {
        match from.get(q) {
            None => p.push(
                Change::new(Step::Expand, format!("add type {}", shown(q)))
                    .up(create_composite(q, attributes))
                    .down(format!("pgm.drop_type({})", name(q))),
            ),
            Some(current) if current == attributes => {}
            Some(current) if attributes.starts_with(current) => {
                for (attribute, data_type) in &attributes[current.len()..] {
                    p.push(
                        Change::new(Step::Expand, format!("type {}: add attribute {attribute}", shown(q)))
                            .up(format!("pgm.add_type_attribute({}, {}, {})", name(q), lit(attribute), lit(data_type)))
                            .down(format!("pgm.drop_type_attribute({}, {})", name(q), lit(attribute))),
                    );
                }
            }
            Some(_) => p.uncovered(format!("type {}: attributes changed other than added at the end", shown(q))),
        }
    }
    for (q, attributes) in &from {
        if !to.contains_key(q) {
            p.push(
                Change::new(Step::Drops, format!("drop type {}", shown(q)))
                    .order(8)
                    .up(format!("pgm.drop_type({})", name(q)))
                    .down(create_composite(q, attributes)),
            );
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
            None => p.push(
                Change::new(Step::Expand, format!("add sequence {}", shown(q)))
                    .up(create_sequence(q, sequence))
                    .down(format!("pgm.drop_sequence({})", name(q))),
            ),
            Some(current) => {
                let settings = |s: &Sequence| (s.data_type.clone(), s.start, s.increment, s.min, s.max, s.cache, s.cycle);
                if settings(current) != settings(sequence) {
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
                        call
                    };
                    p.push(
                        Change::new(Step::Expand, format!("sequence {}: settings", shown(q)))
                            .up(alter(sequence))
                            .down(alter(current)),
                    );
                }
                if current.comment != sequence.comment {
                    p.uncovered(format!("sequence {}: its comment", shown(q)));
                }
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
            p.push(
                Change::new(Step::Drops, format!("drop sequence {}", shown(q)))
                    .order(6)
                    .up(format!("pgm.drop_sequence({})", name(q)))
                    .down(create_sequence(q, sequence)),
            );
        }
    }
}

/// `OWNED BY` of new sequences, once their tables exist.
fn sequence_owners(p: &mut Planner<'_>) {
    let (from, to) = (p.from, p.to);
    for (q, sequence) in diffed(to) {
        if diffed_has(from, q) || made_by_serial(to, from, q, sequence) {
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
        call.push_str(&format!("\n    .set({}, {})", lit(parameter), lit(value)));
    }
    if let (Some(comment), false) = (&f.comment, replace) {
        call.push_str(&format!("\n    .comment({})", lit(comment)));
    }
    if replace {
        call.push_str("\n    .or_replace()");
    }
    call
}

/// `COMMENT ON <what> IS ..` as SQL, with the old comment put back by `down`: no operation sets the
/// comment of an existing object.
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

/// Functions: those in `sql` (checked against the tables when created) after the tables, the others
/// before them (defaults, checks and triggers call them).
fn functions(p: &mut Planner<'_>, sql_language: bool) {
    let (from, to) = (p.from, p.to);
    // Aggregates and window functions are in the model for the description; no operation makes them.
    for ((q, arguments), function) in to.functions.iter().filter(|(_, f)| f.diffed()) {
        if (function.language == "sql") != sql_language {
            continue;
        }
        let what = format!("{} {}({arguments})", if function.procedure { "procedure" } else { "function" }, shown(q));
        let written_as_sql = function.procedure || (function.language == "sql" && function.body.trim().is_empty());
        let note = |change: Change| {
            if written_as_sql {
                change.comment("No operation creates a procedure or a function with a SQL-standard body: written as its definition.")
            } else {
                change
            }
        };
        match from.functions.get(&(q.clone(), arguments.clone())).filter(|f| f.diffed()) {
            None => p.push(note(
                Change::new(Step::Expand, format!("add {what}"))
                    .up(create_function(q, function, false))
                    .down(drop_function(q, function)),
            )),
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
                    let kind = if function.procedure { "PROCEDURE" } else { "FUNCTION" };
                    p.push(comment_change(
                        &what,
                        format!("{kind} {}({arguments})", sql_name(q)),
                        current.comment.as_deref(),
                        function.comment.as_deref(),
                    ));
                }
            }
            Some(current) => {
                p.push(
                    Change::new(Step::Expand, format!("drop {what} (its result type changes)"))
                        .up(drop_function(q, current))
                        .down(create_function(q, current, false))
                        .allow(
                            "ban-drop-function",
                            format!("{what} changes its result type: dropped and created again in one transaction"),
                        ),
                );
                p.push(note(
                    Change::new(Step::Expand, format!("add {what}"))
                        .up(create_function(q, function, false))
                        .down(drop_function(q, function)),
                ));
            }
        }
    }
    if sql_language {
        return;
    }
    for ((q, arguments), function) in from.functions.iter().filter(|(_, f)| f.diffed()) {
        if !to.functions.get(&(q.clone(), arguments.clone())).is_some_and(|f| f.diffed()) {
            p.push(
                Change::new(Step::Drops, format!("drop function {}({arguments})", shown(q)))
                    .order(7)
                    .up(drop_function(q, function))
                    .down(create_function(q, function, false)),
            );
        }
    }
}
