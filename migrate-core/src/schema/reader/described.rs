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
    col, flag, not_extension_member, opt, privileges, qualified, query,
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
    crate::schema::render::described::objects(model, &mut objects);
    types(tx, &mut objects)?;
    super::relations::relations(tx, table, model, &mut objects)?;
    operators(tx, &mut objects)?;
    operator_families(tx, &mut objects)?;
    casts(tx, &mut objects)?;
    Ok(SchemaDescription::new(objects))
}

/// Domains and ranges (enums are rendered from the model).
fn types(tx: &mut Transaction<'_>, out: &mut Vec<SchemaObject>) -> Result<(), Error> {
    let sql = format!(
        "SELECT {}, t.typtype, \
         format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault, \
         (SELECT string_agg(quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid), chr(10) ORDER BY c.conname) \
            FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype <> 'n'), \
         (SELECT format_type(r.rngsubtype, NULL) \
            || CASE WHEN r.rngsubdiff <> 0 THEN ' subtype_diff ' || pg_catalog.textin(pg_catalog.regprocout(r.rngsubdiff::regproc)) ELSE '' END \
            FROM pg_range r WHERE r.rngtypid = t.oid), \
         CASE WHEN t.typcollation <> 0 AND t.typtype = 'd' \
           AND t.typcollation <> (SELECT bt.typcollation FROM pg_type bt WHERE bt.oid = t.typbasetype) \
           THEN (SELECT quote_ident(co.collname) FROM pg_collation co WHERE co.oid = t.typcollation) END, \
         obj_description(t.oid, 'pg_type'), {} \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE t.typtype IN ('d', 'r') AND {} AND {}",
        qualified("n.nspname", "t.typname"),
        privileges("t.typacl", 'T', "t.typowner", "pg_type", "t.oid", "0"),
        user_schema("n"),
        not_extension_member("pg_type", "t.oid")
    );
    for row in query(tx, "types", &sql)? {
        let name = col(&row, 0).to_owned();
        let mut object = match col(&row, 1) {
            "r" => {
                let mut o = SchemaObject::new(Kind::Range, name);
                o.summary(format!("subtype {}", col(&row, 6)));
                o
            }
            _ => {
                let mut o = SchemaObject::new(Kind::Domain, name);
                o.summary(format!("as {}", col(&row, 2)));
                if let Some(collation) = opt(&row, 7) {
                    o.summary(format!("collate {collation}"));
                }
                if flag(&row, 3) {
                    o.summary("not null");
                }
                if let Some(default) = opt(&row, 4) {
                    o.summary(format!("default {default}"));
                }
                for constraint in col(&row, 5).lines() {
                    o.line(format!("constraint {constraint}"));
                }
                o
            }
        };
        push_lines(&mut object, opt(&row, 9));
        comment(&mut object, "", opt(&row, 8));
        out.push(object);
    }
    Ok(())
}

fn operators(tx: &mut Transaction<'_>, out: &mut Vec<SchemaObject>) -> Result<(), Error> {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || o.oprname || '(' \
           || CASE WHEN o.oprleft = 0 THEN 'NONE' ELSE format_type(o.oprleft, NULL) END || ', ' \
           || CASE WHEN o.oprright = 0 THEN 'NONE' ELSE format_type(o.oprright, NULL) END || ')', \
         pg_catalog.textin(pg_catalog.regprocedureout(o.oprcode::regprocedure)), format_type(o.oprresult, NULL), \
         CASE WHEN o.oprcom <> 0 THEN pg_catalog.textin(pg_catalog.regoperatorout(o.oprcom::regoperator)) END, \
         CASE WHEN o.oprnegate <> 0 THEN pg_catalog.textin(pg_catalog.regoperatorout(o.oprnegate::regoperator)) END, \
         CASE WHEN o.oprrest <> 0 THEN pg_catalog.textin(pg_catalog.regprocedureout(o.oprrest::regprocedure)) END, \
         CASE WHEN o.oprjoin <> 0 THEN pg_catalog.textin(pg_catalog.regprocedureout(o.oprjoin::regprocedure)) END, \
         o.oprcanhash, o.oprcanmerge, obj_description(o.oid, 'pg_operator') \
         FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace WHERE {} AND {}",
        user_schema("n"),
        not_extension_member("pg_operator", "o.oid")
    );
    for row in query(tx, "operators", &sql)? {
        let mut object = SchemaObject::new(Kind::Operator, col(&row, 0).to_owned());
        object.summary(format!(
            "function {} returns {}",
            col(&row, 1),
            col(&row, 2)
        ));
        for (i, what) in [
            (3, "commutator"),
            (4, "negator"),
            (5, "restrict"),
            (6, "join"),
        ] {
            if let Some(value) = opt(&row, i) {
                object.summary(format!("{what} {value}"));
            }
        }
        if flag(&row, 7) {
            object.summary("hashes");
        }
        if flag(&row, 8) {
            object.summary("merges");
        }
        comment(&mut object, "", opt(&row, 9));
        out.push(object);
    }
    Ok(())
}

/// Operator families with their members, and the operator classes in them.
fn operator_families(tx: &mut Transaction<'_>, out: &mut Vec<SchemaObject>) -> Result<(), Error> {
    let sql = format!(
        "SELECT {}, quote_ident(am.amname), \
         (SELECT string_agg(line, chr(10) ORDER BY line) FROM ( \
            SELECT 'operator ' || pg_catalog.textin(pg_catalog.int2out(ao.amopstrategy)) || ' ' || pg_catalog.textin(pg_catalog.regoperatorout(ao.amopopr::regoperator)) \
              || CASE WHEN ao.amoppurpose = 'o' THEN ' for order by ' || pg_catalog.textin(pg_catalog.regclassout(ao.amopsortfamily::regclass)) ELSE '' END AS line \
            FROM pg_amop ao WHERE ao.amopfamily = f.oid \
            UNION ALL SELECT 'function ' || pg_catalog.textin(pg_catalog.int2out(ap.amprocnum)) || ' (' || format_type(ap.amproclefttype, NULL) || ', ' \
              || format_type(ap.amprocrighttype, NULL) || ') ' || pg_catalog.textin(pg_catalog.regprocedureout(ap.amproc::regprocedure)) \
            FROM pg_amproc ap WHERE ap.amprocfamily = f.oid) members), \
         (SELECT string_agg('class ' || {} || ' for type ' || format_type(c.opcintype, NULL) \
            || CASE WHEN c.opcdefault THEN ' default' ELSE '' END \
            || CASE WHEN c.opckeytype <> 0 THEN ' storage ' || format_type(c.opckeytype, NULL) ELSE '' END, \
            chr(10) ORDER BY c.opcname) \
          FROM pg_opclass c JOIN pg_namespace cn ON cn.oid = c.opcnamespace WHERE c.opcfamily = f.oid) \
         FROM pg_opfamily f JOIN pg_namespace n ON n.oid = f.opfnamespace JOIN pg_am am ON am.oid = f.opfmethod \
         WHERE {} AND {}",
        qualified("n.nspname", "f.opfname"),
        qualified("cn.nspname", "c.opcname"),
        user_schema("n"),
        not_extension_member("pg_opfamily", "f.oid")
    );
    for row in query(tx, "operator families", &sql)? {
        let mut object = SchemaObject::new(Kind::OperatorFamily, col(&row, 0).to_owned());
        object.summary(format!("using {}", col(&row, 1)));
        push_lines(&mut object, opt(&row, 3));
        push_lines(&mut object, opt(&row, 2));
        out.push(object);
    }
    Ok(())
}

/// Casts made after initdb, but those of extensions and those PostgreSQL makes for a type itself (a range's
/// cast to its multirange).
fn casts(tx: &mut Transaction<'_>, out: &mut Vec<SchemaObject>) -> Result<(), Error> {
    let sql = format!(
        "SELECT '(' || format_type(c.castsource, NULL) || ' AS ' || format_type(c.casttarget, NULL) || ')', \
         CASE c.castmethod WHEN 'f' THEN 'with function ' || pg_catalog.textin(pg_catalog.regprocedureout(c.castfunc::regprocedure)) \
           WHEN 'i' THEN 'with inout' ELSE 'without function' END, \
         CASE c.castcontext WHEN 'i' THEN 'implicit' WHEN 'a' THEN 'as assignment' ELSE 'explicit' END, \
         obj_description(c.oid, 'pg_cast') \
         FROM pg_cast c WHERE c.oid >= 16384 AND {} \
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_cast'::regclass \
           AND d.objid = c.oid AND d.deptype = 'i')",
        not_extension_member("pg_cast", "c.oid")
    );
    for row in query(tx, "casts", &sql)? {
        let mut object = SchemaObject::new(Kind::Cast, col(&row, 0).to_owned());
        object.summary(col(&row, 1));
        object.summary(col(&row, 2));
        comment(&mut object, "", opt(&row, 3));
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
