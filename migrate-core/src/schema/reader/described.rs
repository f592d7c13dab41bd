//! The catalog queries behind [`describe`](crate::schema::describe): the description's objects other
//! than relations (those are [`super::relations`]'s).
//!
//! They run on PostgreSQL 13 to 18 alike: definitions come from the server's own `pg_get_*def` functions,
//! which know their version's syntax, and the only catalog columns read are ones every supported major has
//! (`prokind`, `pg_sequence`, `attgenerated`, `pg_init_privs`, ...). NOT NULL constraints, which PostgreSQL 18
//! also lists in `pg_constraint`, are shown on their columns (`attnotnull`) on every major instead.
//! Everything runs with an empty `search_path`, so every name in a definition is schema-qualified whatever the
//! connection's settings are.

use postgres::Transaction;

use crate::schema::description::{Kind, SchemaDescription, SchemaObject};
use super::query::{
    acl_changes, bookkeeping_filter, col, flag, not_extension_member, opt, privileges, qualified, query,
    user_schema,
};
use crate::error::Error;
use crate::schema::model::Model;
use crate::history::MigrationsTable;

fn push_lines(object: &mut SchemaObject, text: Option<&str>) {
    for line in text.unwrap_or_default().lines() {
        object.line(line);
    }
}

fn comment(object: &mut SchemaObject, what: &str, text: Option<&str>) {
    if let Some(text) = text {
        object.line(format!("comment{what} {text:?}"));
    }
}

/// The description: the kinds still read as text here, and those `model` holds rendered from it (see
/// [`crate::schema::render::described`]).
pub(crate) fn describe(
    tx: &mut Transaction<'_>,
    table: &MigrationsTable,
    model: &Model,
) -> Result<SchemaDescription, Error> {
    let mut objects = Vec::new();
    schemas(tx, &mut objects)?;
    crate::schema::render::described::objects(model, &mut objects);
    super::relations::relations(tx, table, model, &mut objects)?;
    sequences(tx, table, &mut objects)?;
    functions(tx, &mut objects)?;
    default_privileges(tx, &mut objects)?;
    event_triggers(tx, &mut objects)?;
    Ok(SchemaDescription::new(objects))
}

fn schemas(tx: &mut Transaction<'_>, out: &mut Vec<SchemaObject>) -> Result<(), Error> {
    // Schema `public` comes with initdb's comment; only a comment of the project's own is shown.
    let sql = format!(
        "SELECT quote_ident(n.nspname), \
         CASE WHEN n.oid >= 16384 OR d.description <> 'standard public schema' THEN d.description END, {} \
         FROM pg_namespace n LEFT JOIN pg_description d ON d.objoid = n.oid \
           AND d.classoid = 'pg_namespace'::regclass AND d.objsubid = 0 \
         WHERE {} AND {}",
        privileges("n.nspacl", 'n', "n.nspowner", "pg_namespace", "n.oid", "0"),
        user_schema("n"),
        not_extension_member("pg_namespace", "n.oid")
    );
    for row in query(tx, "schemas", &sql)? {
        let mut object = SchemaObject::new(Kind::Schema, col(&row, 0).to_owned());
        push_lines(&mut object, opt(&row, 2));
        comment(&mut object, "", opt(&row, 1));
        out.push(object);
    }
    Ok(())
}

fn sequences(
    tx: &mut Transaction<'_>,
    table: &MigrationsTable,
    out: &mut Vec<SchemaObject>,
) -> Result<(), Error> {
    // The current value is data, not schema: left out.
    let sql = format!(
        "SELECT {}, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, \
         s.seqcache, s.seqcycle, \
         CASE WHEN tc.oid IS NOT NULL THEN {} || '.' || quote_ident(ta.attname) END, d.deptype, \
         obj_description(c.oid, 'pg_class'), {} \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_sequence s ON s.seqrelid = c.oid \
         LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid \
           AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') \
         LEFT JOIN pg_class tc ON tc.oid = d.refobjid \
         LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace \
         LEFT JOIN pg_attribute ta ON ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid \
         WHERE c.relkind = 'S' AND {} AND {} AND {}",
        qualified("n.nspname", "c.relname"),
        qualified("tn.nspname", "tc.relname"),
        privileges("c.relacl", 's', "c.relowner", "pg_class", "c.oid", "0"),
        user_schema("n"),
        not_extension_member("pg_class", "c.oid"),
        bookkeeping_filter(table, "tn.nspname", "tc.relname"),
    );
    for row in query(tx, "sequences", &sql)? {
        let mut object = SchemaObject::new(Kind::Sequence, col(&row, 0).to_owned());
        object.summary(format!(
            "as {} start {} increment {} min {} max {} cache {}",
            col(&row, 1),
            col(&row, 2),
            col(&row, 3),
            col(&row, 4),
            col(&row, 5),
            col(&row, 6)
        ));
        if flag(&row, 7) {
            object.summary("cycle");
        }
        if let Some(owner) = opt(&row, 8) {
            object.summary(format!("owned by {owner}"));
            if col(&row, 9) == "i" {
                object.summary("(identity)");
            }
        }
        push_lines(&mut object, opt(&row, 11));
        comment(&mut object, "", opt(&row, 10));
        out.push(object);
    }
    Ok(())
}

/// Functions, procedures and aggregates, named by their input argument types (what tells overloads apart;
/// the names of arguments and `IN` markers vary between majors). Functions PostgreSQL makes for a type itself
/// (a range's constructors) belong to the type and are left out.
fn functions(tx: &mut Transaction<'_>, out: &mut Vec<SchemaObject>) -> Result<(), Error> {
    let sql = format!(
        "SELECT {} || '(' || coalesce((SELECT string_agg(format_type(a.t, NULL), ', ' ORDER BY a.n) \
           FROM unnest(p.proargtypes) WITH ORDINALITY a(t, n)), '') || ')', p.prokind, \
         CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END, \
         CASE WHEN p.prokind = 'a' THEN pg_get_function_result(p.oid) END, \
         obj_description(p.oid, 'pg_proc'), {} \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {} AND {} \
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass \
           AND d.objid = p.oid AND d.deptype = 'i')",
        qualified("n.nspname", "p.proname"),
        privileges("p.proacl", 'f', "p.proowner", "pg_proc", "p.oid", "0"),
        user_schema("n"),
        not_extension_member("pg_proc", "p.oid")
    );
    for row in query(tx, "functions", &sql)? {
        let kind = match col(&row, 1) {
            "p" => Kind::Procedure,
            "a" => Kind::Aggregate,
            _ => Kind::Function,
        };
        let mut object = SchemaObject::new(kind, col(&row, 0).to_owned());
        if let Some(result) = opt(&row, 3) {
            object.summary(format!("returns {result}"));
        }
        if let Some(definition) = opt(&row, 2) {
            object.block("as", definition);
        }
        push_lines(&mut object, opt(&row, 5));
        comment(&mut object, "", opt(&row, 4));
        out.push(object);
    }
    Ok(())
}

/// `ALTER DEFAULT PRIVILEGES`: what objects a role creates will get, per schema or everywhere. Shown as
/// changes from what they would get without it: the built-in default everywhere, nothing more in a schema
/// (the default of a column, `'c'`, is that empty list; a literal empty array is not an ACL `aclexplode`
/// takes).
fn default_privileges(tx: &mut Transaction<'_>, out: &mut Vec<SchemaObject>) -> Result<(), Error> {
    let kind = "CASE d.defaclobjtype WHEN 'S' THEN 's' ELSE d.defaclobjtype::text END::\"char\"";
    let sql = format!(
        "SELECT 'for role ' || quote_ident(pg_get_userbyid(d.defaclrole)) \
           || coalesce(' in schema ' || quote_ident(n.nspname), '') || ' on ' \
           || CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions' \
              WHEN 'T' THEN 'types' WHEN 'n' THEN 'schemas' WHEN 'L' THEN 'large objects' \
              ELSE d.defaclobjtype::text END, {} \
         FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace",
        acl_changes(
            "d.defaclacl",
            &format!(
                "acldefault(CASE WHEN d.defaclnamespace = 0 THEN {kind} ELSE 'c' END, d.defaclrole)"
            ),
            "d.defaclrole"
        )
    );
    for row in query(tx, "default privileges", &sql)? {
        let mut object = SchemaObject::new(Kind::DefaultPrivileges, col(&row, 0).to_owned());
        push_lines(&mut object, opt(&row, 1));
        out.push(object);
    }
    Ok(())
}

fn event_triggers(tx: &mut Transaction<'_>, out: &mut Vec<SchemaObject>) -> Result<(), Error> {
    let sql = format!(
        "SELECT quote_ident(e.evtname), e.evtevent, pg_catalog.textin(pg_catalog.regprocedureout(e.evtfoid::regprocedure)), \
         (SELECT string_agg(quote_literal(t.tag), ', ' ORDER BY t.tag) FROM unnest(e.evttags) t(tag)), e.evtenabled, obj_description(e.oid, 'pg_event_trigger') \
         FROM pg_event_trigger e WHERE {}",
        not_extension_member("pg_event_trigger", "e.oid")
    );
    for row in query(tx, "event triggers", &sql)? {
        let mut object = SchemaObject::new(Kind::EventTrigger, col(&row, 0).to_owned());
        object.summary(format!("on {}", col(&row, 1)));
        if let Some(tags) = opt(&row, 3).filter(|t| !t.is_empty()) {
            object.summary(format!("when tag in ({tags})"));
        }
        object.summary(format!("execute {}", col(&row, 2)));
        match col(&row, 4) {
            "O" => {}
            "D" => object.summary("(disabled)"),
            "R" => object.summary("(enabled replica)"),
            "A" => object.summary("(enabled always)"),
            _ => object.summary("(unknown state)"),
        }
        comment(&mut object, "", opt(&row, 5));
        out.push(object);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_line_text_stays_one_paragraph() {
        let mut object = SchemaObject::new(Kind::Table, "public.t".to_owned());
        push_lines(&mut object, Some("column a int\ncolumn b text  \n"));
        push_lines(&mut object, None);
        comment(&mut object, " on column a", Some("the \"a\""));
        comment(&mut object, "", None);
        assert_eq!(
            object.lines(),
            [
                "column a int",
                "column b text",
                "comment on column a \"the \\\"a\\\"\""
            ]
        );
    }
}
