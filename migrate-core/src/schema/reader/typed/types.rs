//! The queries of the types other than enums (domains, ranges, composite types), of operators, operator
//! families and casts: what `diff` compares of them, and what the description and the SQL show.

use std::collections::BTreeMap;

use postgres::Transaction;

use super::super::query::{
    bookkeeping_filter, col, flag, not_extension_member, opt, privileges, qualified, query, user_schema,
    Row,
};
use super::{letter, lines, list, oid, owned, qname, SEP};
use crate::error::Error;
use crate::history::MigrationsTable;
use crate::schema::model::{
    Attribute, Cast, Composite, Domain, DomainCheck, Model, Operator, OperatorClass, OperatorFamily,
    Range,
};

/// Two columns that are both set, or both NULL, as a pair.
fn both(row: &Row, i: usize) -> Option<(String, String)> {
    Some((owned(row, i)?, owned(row, i + 1)?))
}

/// Domains, ranges and composite types: one creation order for the SQL (see their `created`).
pub(super) fn types(
    tx: &mut Transaction<'_>,
    table: &MigrationsTable,
    model: &mut Model,
) -> Result<(), Error> {
    domains(tx, model)?;
    ranges(tx, model)?;
    composites(tx, table, model)
}

/// Operators, operator families (with their classes) and casts.
pub(super) fn operators(tx: &mut Transaction<'_>, model: &mut Model) -> Result<(), Error> {
    operators_only(tx, model)?;
    operator_families(tx, model)?;
    casts(tx, model)
}

fn domains(tx: &mut Transaction<'_>, model: &mut Model) -> Result<(), Error> {
    // A domain's constraints are its checks and (PostgreSQL 17 and later) its NOT NULL, which `typnotnull`
    // shows on every major.
    let sql = format!(
        "SELECT n.nspname, t.typname, format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault, \
           array_to_string(ARRAY(SELECT con.conname || {SEP} || pg_get_expr(con.conbin, 0) || {SEP} \
               || quote_ident(con.conname) || {SEP} || pg_get_constraintdef(con.oid) || {SEP} || con.oid \
             FROM pg_constraint con WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname), {SEP}), \
           obj_description(t.oid, 'pg_type'), {}, \
           CASE WHEN t.typcollation <> 0 \
             AND t.typcollation <> (SELECT bt.typcollation FROM pg_type bt WHERE bt.oid = t.typbasetype) THEN \
             (SELECT quote_ident(cn.nspname) FROM pg_collation co \
               JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation) END, \
           CASE WHEN t.typcollation <> 0 \
             AND t.typcollation <> (SELECT bt.typcollation FROM pg_type bt WHERE bt.oid = t.typbasetype) THEN \
             (SELECT quote_ident(co.collname) FROM pg_collation co WHERE co.oid = t.typcollation) END, \
           {}, t.oid \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'd' AND {} AND {}",
        qualified("n.nspname", "t.typname"),
        privileges("t.typacl", 'T', "t.typowner", "pg_type", "t.oid", "0"),
        user_schema("n"),
        not_extension_member("pg_type", "t.oid")
    );
    for row in query(tx, "domains", &sql)? {
        let checks = list(&row, 5)
            .chunks(5)
            .map(|check| DomainCheck {
                name: check[0].clone(),
                expression: check.get(1).cloned().unwrap_or_default(),
                quoted: check.get(2).cloned().unwrap_or_default(),
                definition: check.get(3).cloned().unwrap_or_default(),
                created: check.get(4).and_then(|oid| oid.parse().ok()).unwrap_or_default(),
            })
            .collect();
        model.domains.insert(
            qname(&row, 0),
            Domain {
                base: col(&row, 2).to_owned(),
                not_null: flag(&row, 3),
                default: owned(&row, 4),
                checks,
                comment: owned(&row, 6),
                quoted: col(&row, 7).to_owned(),
                collation: both(&row, 8),
                privileges: lines(&row, 10),
                created: oid(&row, 11),
            },
        );
    }
    Ok(())
}

fn ranges(tx: &mut Transaction<'_>, model: &mut Model) -> Result<(), Error> {
    let sql = format!(
        "SELECT n.nspname, t.typname, format_type(r.rngsubtype, NULL), \
           CASE WHEN r.rngsubdiff <> 0 THEN pg_catalog.textin(pg_catalog.regprocout(r.rngsubdiff::regproc)) END, \
           {}, {}, obj_description(t.oid, 'pg_type'), t.oid \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_range r ON r.rngtypid = t.oid \
         WHERE t.typtype = 'r' AND {} AND {}",
        qualified("n.nspname", "t.typname"),
        privileges("t.typacl", 'T', "t.typowner", "pg_type", "t.oid", "0"),
        user_schema("n"),
        not_extension_member("pg_type", "t.oid")
    );
    for row in query(tx, "ranges", &sql)? {
        model.ranges.insert(
            qname(&row, 0),
            Range {
                subtype: col(&row, 2).to_owned(),
                subtype_diff: owned(&row, 3),
                quoted: col(&row, 4).to_owned(),
                privileges: lines(&row, 5),
                comment: owned(&row, 6),
                created: oid(&row, 7),
            },
        );
    }
    Ok(())
}

/// Composite types (in a user's schema, not named as the engine's tables are), with their attributes.
fn composites(
    tx: &mut Transaction<'_>,
    table: &MigrationsTable,
    model: &mut Model,
) -> Result<(), Error> {
    let filter = format!(
        "c.relkind = 'c' AND {} AND {}",
        user_schema("n"),
        bookkeeping_filter(table, "n.nspname", "c.relname")
    );
    let sql = format!(
        "SELECT c.oid, n.nspname, c.relname, {}, NOT {}, t.oid \
         FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE t.typtype = 'c' AND {filter}",
        qualified("n.nspname", "c.relname"),
        not_extension_member("pg_type", "t.oid")
    );
    let mut by_relation = BTreeMap::new();
    for row in query(tx, "composite types", &sql)? {
        let name = qname(&row, 1);
        by_relation.insert(col(&row, 0).to_owned(), name.clone());
        model.composites.insert(
            name,
            Composite {
                attributes: Vec::new(),
                quoted: col(&row, 3).to_owned(),
                of_extension: flag(&row, 4),
                created: oid(&row, 5),
            },
        );
    }
    let sql = format!(
        "SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), quote_ident(a.attname), \
           CASE WHEN a.attcollation <> at.typcollation THEN quote_ident(cn.nspname) END, \
           CASE WHEN a.attcollation <> at.typcollation THEN quote_ident(co.collname) END, \
           col_description(a.attrelid, a.attnum) \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type at ON at.oid = a.atttypid LEFT JOIN pg_collation co ON co.oid = a.attcollation \
         LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND {filter} ORDER BY a.attrelid, a.attnum"
    );
    for row in query(tx, "attributes of composite types", &sql)? {
        let Some(composite) = by_relation
            .get(col(&row, 0))
            .and_then(|name| model.composites.get_mut(name))
        else {
            continue;
        };
        composite.attributes.push(Attribute {
            name: col(&row, 1).to_owned(),
            data_type: col(&row, 2).to_owned(),
            quoted: col(&row, 3).to_owned(),
            collation: both(&row, 4),
            comment: owned(&row, 6),
        });
    }
    Ok(())
}

fn operators_only(tx: &mut Transaction<'_>, model: &mut Model) -> Result<(), Error> {
    let sql = format!(
        "SELECT n.nspname, o.oprname, \
           CASE WHEN o.oprleft = 0 THEN 'NONE' ELSE format_type(o.oprleft, NULL) END || ', ' \
             || CASE WHEN o.oprright = 0 THEN 'NONE' ELSE format_type(o.oprright, NULL) END, \
           quote_ident(n.nspname) || '.' || o.oprname, \
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
        let arguments = col(&row, 2);
        model.operators.insert(
            (qname(&row, 0), arguments.to_owned()),
            Operator {
                quoted: format!("{}({arguments})", col(&row, 3)),
                function: col(&row, 4).to_owned(),
                result: col(&row, 5).to_owned(),
                commutator: owned(&row, 6),
                negator: owned(&row, 7),
                restrict: owned(&row, 8),
                join: owned(&row, 9),
                hashes: flag(&row, 10),
                merges: flag(&row, 11),
                comment: owned(&row, 12),
            },
        );
    }
    Ok(())
}

/// Operator families with their members (sorted by the server as text, see
/// [`OperatorFamily::members`]), then their classes.
fn operator_families(tx: &mut Transaction<'_>, model: &mut Model) -> Result<(), Error> {
    let families = format!(
        "{} AND {}",
        user_schema("n"),
        not_extension_member("pg_opfamily", "f.oid")
    );
    let sql = format!(
        "SELECT n.nspname, f.opfname, am.amname, {}, quote_ident(am.amname), f.oid, \
         (SELECT string_agg(line, chr(10) ORDER BY line) FROM ( \
            SELECT 'operator ' || pg_catalog.textin(pg_catalog.int2out(ao.amopstrategy)) || ' ' || pg_catalog.textin(pg_catalog.regoperatorout(ao.amopopr::regoperator)) \
              || CASE WHEN ao.amoppurpose = 'o' THEN ' for order by ' || pg_catalog.textin(pg_catalog.regclassout(ao.amopsortfamily::regclass)) ELSE '' END AS line \
            FROM pg_amop ao WHERE ao.amopfamily = f.oid \
            UNION ALL SELECT 'function ' || pg_catalog.textin(pg_catalog.int2out(ap.amprocnum)) || ' (' || format_type(ap.amproclefttype, NULL) || ', ' \
              || format_type(ap.amprocrighttype, NULL) || ') ' || pg_catalog.textin(pg_catalog.regprocedureout(ap.amproc::regprocedure)) \
            FROM pg_amproc ap WHERE ap.amprocfamily = f.oid) members) \
         FROM pg_opfamily f JOIN pg_namespace n ON n.oid = f.opfnamespace JOIN pg_am am ON am.oid = f.opfmethod \
         WHERE {families}",
        qualified("n.nspname", "f.opfname"),
    );
    let mut by_oid = BTreeMap::new();
    for row in query(tx, "operator families", &sql)? {
        let key = (qname(&row, 0), col(&row, 2).to_owned());
        by_oid.insert(col(&row, 5).to_owned(), key.clone());
        model.operator_families.insert(
            key,
            OperatorFamily {
                quoted: col(&row, 3).to_owned(),
                method: col(&row, 4).to_owned(),
                classes: Vec::new(),
                members: opt(&row, 6)
                    .unwrap_or_default()
                    .lines()
                    .map(str::to_owned)
                    .collect(),
            },
        );
    }
    let sql = format!(
        "SELECT c.opcfamily, {}, format_type(c.opcintype, NULL), c.opcdefault, \
           CASE WHEN c.opckeytype <> 0 THEN format_type(c.opckeytype, NULL) END \
         FROM pg_opclass c JOIN pg_namespace cn ON cn.oid = c.opcnamespace \
         JOIN pg_opfamily f ON f.oid = c.opcfamily JOIN pg_namespace n ON n.oid = f.opfnamespace \
         WHERE {families} ORDER BY c.opcfamily, c.opcname",
        qualified("cn.nspname", "c.opcname"),
    );
    for row in query(tx, "operator classes", &sql)? {
        let Some(family) = by_oid
            .get(col(&row, 0))
            .and_then(|key| model.operator_families.get_mut(key))
        else {
            continue;
        };
        family.classes.push(OperatorClass {
            quoted: col(&row, 1).to_owned(),
            for_type: col(&row, 2).to_owned(),
            default: flag(&row, 3),
            storage: owned(&row, 4),
        });
    }
    Ok(())
}

/// Casts made after initdb, but those of extensions and those PostgreSQL makes for a type itself (a range's
/// cast to its multirange).
fn casts(tx: &mut Transaction<'_>, model: &mut Model) -> Result<(), Error> {
    let sql = format!(
        "SELECT format_type(c.castsource, NULL), format_type(c.casttarget, NULL), \
           CASE WHEN c.castmethod = 'f' THEN pg_catalog.textin(pg_catalog.regprocedureout(c.castfunc::regprocedure)) END, \
           c.castmethod = 'i', c.castcontext, obj_description(c.oid, 'pg_cast') \
         FROM pg_cast c WHERE c.oid >= 16384 AND {} \
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_cast'::regclass \
           AND d.objid = c.oid AND d.deptype = 'i')",
        not_extension_member("pg_cast", "c.oid")
    );
    for row in query(tx, "casts", &sql)? {
        model.casts.insert(
            (col(&row, 0).to_owned(), col(&row, 1).to_owned()),
            Cast {
                source: col(&row, 0).to_owned(),
                target: col(&row, 1).to_owned(),
                function: owned(&row, 2),
                inout: flag(&row, 3),
                context: letter(&row, 4),
                comment: owned(&row, 5),
            },
        );
    }
    Ok(())
}
