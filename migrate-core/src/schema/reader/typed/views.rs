//! The queries of views and materialized views: the views with their header, query, comment and
//! privileges, their columns, and a materialized view's indexes and statistics objects. An extension's are
//! read too, flagged (see [`View`]).

use std::collections::BTreeMap;

use postgres::Transaction;

use super::super::query::{
    col, flag, not_extension_member, opt, privileges, qualified, query,
};
use super::{letter, lines, list, oid, owned, pair, pairs, qname, SEP};
use crate::error::Error;
use crate::history::MigrationsTable;
use crate::schema::model::{Column, Index, IndexElement, Model, QName, View};

/// View names by oid.
type Views = BTreeMap<String, QName>;

/// Every view and materialized view in a user's schema but the engine's bookkeeping, an extension's too.
pub(super) fn views(
    tx: &mut Transaction<'_>,
    table: &MigrationsTable,
    model: &mut Model,
) -> Result<(), Error> {
    let filter = format!("c.relkind IN ('v', 'm') AND {}", super::with_extensions(table));
    let views = headers(tx, &filter, model)?;
    columns(tx, &filter, &views, model)?;
    indexes(tx, &filter, &views, model)?;
    index_elements(tx, &filter, &views, model)?;
    statistics(tx, &filter, &views, model)
}

fn view_of<'m>(model: &'m mut Model, views: &Views, oid: &str) -> Option<&'m mut View> {
    views.get(oid).and_then(|name| model.views.get_mut(name))
}

/// The views themselves: what `diff` compares (kind, query, columns' names, options, comment, what they
/// read) and what the description and the SQL show.
fn headers(tx: &mut Transaction<'_>, filter: &str, model: &mut Model) -> Result<Views, Error> {
    // What a view reads: the relations its rules depend on (the `_RETURN` rule is its query).
    let reads = |what: &str| {
        format!(
            "FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid \
               AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> c.oid \
             {what} WHERE r.ev_class = c.oid"
        )
    };
    let sql = format!(
        "SELECT c.oid, n.nspname, c.relname, c.relkind = 'm', pg_get_viewdef(c.oid), \
           array_to_string(ARRAY(SELECT replace(o, '=', {SEP}) FROM unnest(c.reloptions) o), {SEP}), \
           obj_description(c.oid, 'pg_class'), \
           array_to_string(ARRAY(SELECT DISTINCT dn.nspname || {SEP} || dc.relname {}), {SEP}), \
           {}, c.relispopulated, \
           (SELECT quote_ident(am.amname) FROM pg_am am WHERE am.oid = c.relam AND am.amname <> 'heap'), \
           (SELECT quote_ident(ts.spcname) FROM pg_tablespace ts WHERE ts.oid = c.reltablespace), \
           c.relreplident, {}, \
           array_to_string(ARRAY(SELECT DISTINCT d.refobjid {} ORDER BY 1), {SEP}), \
           NOT {} \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {filter}",
        reads(
            "JOIN pg_class dc ON dc.oid = d.refobjid JOIN pg_namespace dn ON dn.oid = dc.relnamespace"
        ),
        qualified("n.nspname", "c.relname"),
        privileges("c.relacl", 'r', "c.relowner", "pg_class", "c.oid", "0"),
        reads(""),
        not_extension_member("pg_class", "c.oid"),
    );
    let mut views = Views::new();
    for row in query(tx, "views", &sql)? {
        let name = qname(&row, 1);
        views.insert(col(&row, 0).to_owned(), name.clone());
        let options = list(&row, 5);
        let depends = list(&row, 7);
        let viewdef = col(&row, 4).to_owned();
        model.views.insert(
            name,
            View {
                materialized: flag(&row, 3),
                definition: viewdef.trim().trim_end_matches(';').to_owned(),
                columns: Vec::new(),
                options: pairs(&options),
                comment: owned(&row, 6),
                depends_on: pairs(&depends),
                quoted: col(&row, 8).to_owned(),
                query: viewdef,
                populated: flag(&row, 9),
                access_method: owned(&row, 10),
                tablespace: owned(&row, 11),
                replica_identity: letter(&row, 12),
                indexes: BTreeMap::new(),
                statistics: Vec::new(),
                privileges: lines(&row, 13),
                reads: list(&row, 14).iter().filter_map(|oid| oid.parse().ok()).collect(),
                of_extension: flag(&row, 15),
                created: oid(&row, 0),
            },
        );
    }
    Ok(views)
}

/// Their columns, in their order, with what the description shows of them: type, collation, default (a
/// view's column may have one), storage, privileges and comment.
fn columns(tx: &mut Transaction<'_>, filter: &str, views: &Views, model: &mut Model) -> Result<(), Error> {
    let sql = format!(
        "SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
           CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END, \
           CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END, a.attgenerated, \
           CASE WHEN a.attcollation <> t.typcollation THEN \
             (SELECT cn.nspname || {SEP} || co.collname FROM pg_collation co \
              JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END, \
           CASE WHEN a.attcollation <> t.typcollation THEN \
             (SELECT quote_ident(cn.nspname) || {SEP} || quote_ident(co.collname) FROM pg_collation co \
              JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END, \
           col_description(a.attrelid, a.attnum), quote_ident(a.attname), a.attislocal, \
           CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END, {} \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND {filter} ORDER BY a.attrelid, a.attnum",
        privileges("a.attacl", 'c', "c.relowner", "pg_class", "c.oid", "a.attnum"),
    );
    for row in query(tx, "columns of views", &sql)? {
        let column = Column {
            name: col(&row, 1).to_owned(),
            data_type: col(&row, 2).to_owned(),
            not_null: flag(&row, 3),
            default: owned(&row, 4),
            identity: None,
            generated: owned(&row, 5),
            virtual_generated: col(&row, 6) == "v",
            collation: pair(&row, 7),
            quoted_collation: pair(&row, 8),
            comment: owned(&row, 9),
            quoted: col(&row, 10).to_owned(),
            local: flag(&row, 11),
            identity_sequence: None,
            storage: opt(&row, 12).and_then(|s| s.chars().next()),
            privileges: lines(&row, 13),
        };
        if let Some(view) = view_of(model, views, col(&row, 0)) {
            view.columns.push(column);
        }
    }
    Ok(())
}

/// A materialized view's indexes, with what the description and the SQL show of them (their elements and
/// included columns are read by [`index_elements`]).
fn indexes(tx: &mut Transaction<'_>, filter: &str, views: &Views, model: &mut Model) -> Result<(), Error> {
    let sql = format!(
        "SELECT i.indrelid, ic.relname, i.indisunique, am.amname, pg_get_expr(i.indpred, i.indrelid, true), \
           coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false), pg_get_indexdef(i.indexrelid), \
           obj_description(i.indexrelid, 'pg_class'), quote_ident(ic.relname), \
           pg_catalog.textin(pg_catalog.regclassout(i.indexrelid::regclass)), \
           i.indisvalid, i.indisclustered, i.indisreplident, \
           (SELECT quote_ident(ts.spcname) FROM pg_tablespace ts WHERE ts.oid = ic.reltablespace), i.indexrelid \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = ic.relam \
         WHERE {filter}"
    );
    for row in query(tx, "indexes of materialized views", &sql)? {
        let index = Index {
            unique: flag(&row, 2),
            method: col(&row, 3).to_owned(),
            elements: Vec::new(),
            include: Vec::new(),
            predicate: owned(&row, 4),
            nulls_not_distinct: flag(&row, 5),
            definition: col(&row, 6).to_owned(),
            comment: owned(&row, 7),
            quoted: (col(&row, 8).to_owned(), col(&row, 9).to_owned()),
            valid: flag(&row, 10),
            clustered: flag(&row, 11),
            replica_identity: flag(&row, 12),
            tablespace: owned(&row, 13),
            created: oid(&row, 14),
        };
        if let Some(view) = view_of(model, views, col(&row, 0)) {
            view.indexes.insert(col(&row, 1).to_owned(), index);
        }
    }
    Ok(())
}

/// The key elements and included columns of a materialized view's indexes, in their order: what `diff`
/// writes them with (as the tables' indexes are read, one row per key or included column).
fn index_elements(tx: &mut Transaction<'_>, filter: &str, views: &Views, model: &mut Model) -> Result<(), Error> {
    let sql = format!(
        "SELECT i.indrelid, ic.relname, k.pos, i.indnkeyatts, a.attname, \
           CASE WHEN i.indkey[k.pos] = 0 THEN pg_get_indexdef(i.indexrelid, k.pos + 1, true) END, \
           (SELECT on_.nspname || {SEP} || opc.opcname FROM pg_opclass opc \
             JOIN pg_namespace on_ ON on_.oid = opc.opcnamespace WHERE opc.oid = i.indclass[k.pos] \
             AND NOT opc.opcdefault), \
           (SELECT cn.nspname || {SEP} || co.collname FROM pg_collation co \
             JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = i.indcollation[k.pos] \
             AND co.oid <> coalesce(a.attcollation, \
               (SELECT t.typcollation FROM pg_attribute ia JOIN pg_type t ON t.oid = ia.atttypid \
                 WHERE ia.attrelid = i.indexrelid AND ia.attnum = k.pos + 1), 0)), \
           (i.indoption[k.pos] & 1) <> 0, (i.indoption[k.pos] & 2) <> 0 \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         CROSS JOIN LATERAL generate_series(0, i.indnatts - 1) k(pos) \
         LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k.pos] \
           AND i.indkey[k.pos] <> 0 \
         WHERE {filter} ORDER BY i.indrelid, ic.relname, k.pos"
    );
    for row in query(tx, "index elements of materialized views", &sql)? {
        let Some(index) = view_of(model, views, col(&row, 0)).and_then(|v| v.indexes.get_mut(col(&row, 1))) else {
            continue;
        };
        let position: i64 = col(&row, 2).parse().unwrap_or_default();
        let key_columns: i64 = col(&row, 3).parse().unwrap_or_default();
        if position >= key_columns {
            index.include.push(col(&row, 4).to_owned());
            continue;
        }
        let descending = flag(&row, 8);
        let nulls_first = flag(&row, 9);
        index.elements.push(IndexElement {
            column: owned(&row, 4),
            expression: opt(&row, 5).or(opt(&row, 4)).unwrap_or_default().to_owned(),
            opclass: pair(&row, 6),
            collation: pair(&row, 7),
            descending,
            nulls_flipped: nulls_first != descending,
        });
    }
    Ok(())
}

/// A materialized view's statistics objects, as the server prints them.
fn statistics(tx: &mut Transaction<'_>, filter: &str, views: &Views, model: &mut Model) -> Result<(), Error> {
    let sql = format!(
        "SELECT s.stxrelid, s.oid, pg_get_statisticsobjdef(s.oid) FROM pg_statistic_ext s \
         JOIN pg_class c ON c.oid = s.stxrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {filter}"
    );
    for row in query(tx, "statistics objects of materialized views", &sql)? {
        if let Some(view) = view_of(model, views, col(&row, 0)) {
            view.statistics.push((oid(&row, 1), col(&row, 2).to_owned()));
        }
    }
    Ok(())
}
