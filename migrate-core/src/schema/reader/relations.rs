//! The catalog queries behind the relations of [`describe`](crate::schema::describe): views and materialized
//! views, each with its columns, indexes, triggers, rules, statistics objects, privileges and comments, read by
//! one query per part for all relations at once, and the triggers and rules of tables and foreign tables,
//! whose other lines are rendered from the model (as composite types are).

use postgres::Transaction;

use super::query::{
    bookkeeping_filter, col, flag, not_extension_member, opt, privileges, qualified, query,
    user_schema,
};
use crate::schema::description::{Kind, SchemaObject};
use crate::error::Error;
use crate::history::MigrationsTable;
use crate::schema::model::Model;

/// Lines gathered per relation by the queries after the first, shown in this order.
#[derive(Default)]
struct Parts {
    columns: Vec<String>,
    constraints: Vec<String>,
    indexes: Vec<String>,
    triggers: Vec<String>,
    policies: Vec<String>,
    grants: Vec<String>,
    comments: Vec<String>,
}

/// Relations (tables of every kind, views, materialized views) by name, each with the lines
/// gathered for it so far.
type Found = std::collections::BTreeMap<String, (SchemaObject, Parts)>;

/// The relations, with the lines of the kinds `model` holds (tables with their columns, constraints,
/// privileges and comments; policies) rendered from it.
pub(super) fn relations(
    tx: &mut Transaction<'_>,
    table: &MigrationsTable,
    model: &Model,
    out: &mut Vec<SchemaObject>,
) -> Result<(), Error> {
    let keep = bookkeeping_filter(table, "n.nspname", "c.relname");
    let relation_filter = format!("{} AND {keep}", user_schema("n"));
    let mut found = relation_headers(tx, &relation_filter)?;
    for table in crate::schema::render::described::tables(model) {
        let parts = Parts {
            columns: table.columns,
            constraints: table.constraints,
            indexes: table.indexes,
            grants: table.grants,
            comments: table.comments,
            ..Parts::default()
        };
        found.insert(table.object.name().to_owned(), (table.object, parts));
    }
    relation_columns(tx, &relation_filter, &mut found)?;
    relation_indexes(tx, &relation_filter, &mut found)?;
    relation_triggers(tx, &relation_filter, &mut found)?;
    for (relation, line) in crate::schema::render::described::policies(model) {
        if let Some((_, parts)) = found.get_mut(relation) {
            parts.policies.push(line);
        }
    }
    relation_rules(tx, &relation_filter, &mut found)?;
    relation_statistics(tx, &relation_filter, &mut found)?;
    for (_, (mut object, mut parts)) in found {
        // Columns keep their ordinal order (the query's); everything else is sorted.
        for list in [
            &mut parts.constraints,
            &mut parts.indexes,
            &mut parts.triggers,
            &mut parts.policies,
            &mut parts.grants,
            &mut parts.comments,
        ] {
            list.sort();
        }
        for line in parts
            .columns
            .into_iter()
            .chain(parts.constraints)
            .chain(parts.indexes)
            .chain(parts.triggers)
            .chain(parts.policies)
            .chain(parts.grants)
            .chain(parts.comments)
        {
            object.line(line);
        }
        out.push(object);
    }
    Ok(())
}

/// Each view and materialized view (tables and foreign tables are rendered from the model) with its header
/// (kind, options, ...), definition, comment and privileges.
fn relation_headers(tx: &mut Transaction<'_>, relation_filter: &str) -> Result<Found, Error> {
    let sql = format!(
        "SELECT {}, c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity, \
         array_to_string(c.reloptions, ', '), \
         CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, \
         CASE WHEN c.relispartition THEN \
           (SELECT {} FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent \
            JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid) \
           || ' ' || pg_get_expr(c.relpartbound, c.oid) END, \
         CASE WHEN NOT c.relispartition THEN \
           (SELECT string_agg({}, ', ' ORDER BY i.inhseqno) FROM pg_inherits i \
            JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
            WHERE i.inhrelid = c.oid) END, \
         CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END, \
         obj_description(c.oid, 'pg_class'), \
         {}, \
         (SELECT quote_ident(ts.spcname) FROM pg_tablespace ts WHERE ts.oid = c.reltablespace), \
         CASE WHEN c.relkind IN ('r', 'p', 'm') AND c.relreplident <> 'd' THEN \
           CASE c.relreplident WHEN 'n' THEN 'nothing' WHEN 'f' THEN 'full' ELSE 'using index' END END, \
         (SELECT quote_ident(am.amname) FROM pg_am am WHERE am.oid = c.relam AND am.amname <> 'heap') \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('v', 'm') AND {relation_filter} AND {}",
        qualified("n.nspname", "c.relname"),
        qualified("pn.nspname", "pc.relname"),
        qualified("pn.nspname", "pc.relname"),
        privileges("c.relacl", 'r', "c.relowner", "pg_class", "c.oid", "0"),
        not_extension_member("pg_class", "c.oid")
    );
    let mut found = Found::new();
    for row in query(tx, "tables and views", &sql)? {
        let name = col(&row, 0).to_owned();
        let kind = match col(&row, 1) {
            "p" => Kind::PartitionedTable,
            "v" => Kind::View,
            "m" => Kind::MaterializedView,
            _ => Kind::Table,
        };
        let mut object = SchemaObject::new(kind, name.clone());
        let mut parts = Parts::default();
        if col(&row, 2) == "u" {
            object.summary("unlogged");
        }
        if let Some(parent) = opt(&row, 7) {
            object.summary(format!("partition of {parent}"));
        }
        if let Some(key) = opt(&row, 6) {
            object.summary(format!("partition by {key}"));
        }
        if let Some(parents) = opt(&row, 8) {
            object.summary(format!("inherits {parents}"));
        }
        if let Some(options) = opt(&row, 5).filter(|o| !o.is_empty()) {
            object.summary(format!("with ({options})"));
        }
        if flag(&row, 3) {
            object.summary("row level security");
        }
        if flag(&row, 4) {
            object.summary("forced");
        }
        if let Some(method) = opt(&row, 14) {
            object.summary(format!("using {method}"));
        }
        if let Some(tablespace) = opt(&row, 12) {
            object.summary(format!("tablespace {tablespace}"));
        }
        if let Some(identity) = opt(&row, 13) {
            object.summary(format!("replica identity {identity}"));
        }
        if let Some(definition) = opt(&row, 9) {
            object.block("as", definition);
        }
        if let Some(text) = opt(&row, 10) {
            parts.comments.push(format!("comment {text:?}"));
        }
        parts
            .grants
            .extend(col(&row, 11).lines().map(str::to_owned));
        found.insert(name, (object, parts));
    }
    Ok(found)
}

/// Columns of the views and materialized views (tables' and foreign tables' are rendered from the model), in
/// their ordinal order, with their privileges and comments.
fn relation_columns(
    tx: &mut Transaction<'_>,
    relation_filter: &str,
    found: &mut Found,
) -> Result<(), Error> {
    let columns =
        format!(
        "SELECT {}, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod), a.attnotnull, \
         pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated, \
         CASE WHEN a.attcollation <> t.typcollation THEN quote_ident(co.collname) END, \
         col_description(c.oid, a.attnum), {}, \
         CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
         LEFT JOIN pg_collation co ON co.oid = a.attcollation \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('v', 'm') \
         AND {relation_filter} ORDER BY n.nspname, c.relname, a.attnum",
        qualified("n.nspname", "c.relname"),
        privileges("a.attacl", 'c', "c.relowner", "pg_class", "c.oid", "a.attnum"),
    );
    for row in query(tx, "columns", &columns)? {
        let Some((_, parts)) = found.get_mut(col(&row, 0)) else {
            continue;
        };
        let name = col(&row, 1);
        let mut line = format!("column {name} {}", col(&row, 2));
        if let Some(collation) = opt(&row, 7) {
            line.push_str(&format!(" collate {collation}"));
        }
        if flag(&row, 3) {
            line.push_str(" not null");
        }
        match (opt(&row, 4), col(&row, 6)) {
            (Some(expr), "s") => line.push_str(&format!(" generated always as ({expr}) stored")),
            (Some(expr), "v") => line.push_str(&format!(" generated always as ({expr}) virtual")),
            (Some(expr), _) => line.push_str(&format!(" default {expr}")),
            (None, _) => {}
        }
        match col(&row, 5) {
            "a" => line.push_str(" generated always as identity"),
            "d" => line.push_str(" generated by default as identity"),
            _ => {}
        }
        match opt(&row, 10) {
            Some("p") => line.push_str(" storage plain"),
            Some("e") => line.push_str(" storage external"),
            Some("m") => line.push_str(" storage main"),
            Some("x") => line.push_str(" storage extended"),
            _ => {}
        }
        parts.columns.push(line);
        for grant in col(&row, 9).lines() {
            parts.grants.push(format!("{grant} (column {name})"));
        }
        if let Some(text) = opt(&row, 8) {
            parts
                .comments
                .push(format!("comment on column {name} {text:?}"));
        }
    }
    Ok(())
}

/// Indexes of the relations other than tables (rendered from the model: materialized views'), with what a
/// review needs to see of them, and their comments.
fn relation_indexes(
    tx: &mut Transaction<'_>,
    relation_filter: &str,
    found: &mut Found,
) -> Result<(), Error> {
    let indexes = format!(
        "SELECT {}, pg_get_indexdef(i.indexrelid), obj_description(i.indexrelid, 'pg_class'), \
         quote_ident(ic.relname), i.indisvalid, i.indisclustered, i.indisreplident, \
         (SELECT quote_ident(ts.spcname) FROM pg_tablespace ts WHERE ts.oid = ic.reltablespace) \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {relation_filter} AND c.relkind NOT IN ('r', 'p')",
        qualified("n.nspname", "c.relname")
    );
    for row in query(tx, "indexes", &indexes)? {
        let Some((_, parts)) = found.get_mut(col(&row, 0)) else {
            continue;
        };
        let mut line = col(&row, 1).to_owned();
        // An index a failed concurrent build left behind is there but unused: worth seeing in a review.
        if !flag(&row, 4) {
            line.push_str(" (invalid)");
        }
        if let Some(tablespace) = opt(&row, 7) {
            line.push_str(&format!(" TABLESPACE {tablespace}"));
        }
        if flag(&row, 5) {
            line.push_str(" (clustered)");
        }
        if flag(&row, 6) {
            line.push_str(" (replica identity)");
        }
        parts.indexes.push(line);
        if let Some(text) = opt(&row, 2) {
            parts
                .comments
                .push(format!("comment on index {} {text:?}", col(&row, 3)));
        }
    }
    Ok(())
}

/// Triggers other than the internal ones, and their comments.
fn relation_triggers(
    tx: &mut Transaction<'_>,
    relation_filter: &str,
    found: &mut Found,
) -> Result<(), Error> {
    // Foreign keys are enforced by internal triggers: the constraint stands for them.
    let triggers = format!(
        "SELECT {}, pg_get_triggerdef(tg.oid), tg.tgenabled, obj_description(tg.oid, 'pg_trigger'), \
         quote_ident(tg.tgname) \
         FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT tg.tgisinternal AND {relation_filter}",
        qualified("n.nspname", "c.relname")
    );
    for row in query(tx, "triggers", &triggers)? {
        let Some((_, parts)) = found.get_mut(col(&row, 0)) else {
            continue;
        };
        let state = match col(&row, 2) {
            "O" => "",
            "D" => " (disabled)",
            "R" => " (enabled replica)",
            "A" => " (enabled always)",
            _ => " (unknown state)",
        };
        parts.triggers.push(format!("{}{state}", col(&row, 1)));
        if let Some(text) = opt(&row, 3) {
            parts
                .comments
                .push(format!("comment on trigger {} {text:?}", col(&row, 4)));
        }
    }
    Ok(())
}

/// Rules, listed with the triggers.
fn relation_rules(
    tx: &mut Transaction<'_>,
    relation_filter: &str,
    found: &mut Found,
) -> Result<(), Error> {
    // Rules other than a view's own (`_RETURN`, which is the view's query).
    let rules = format!(
        "SELECT {}, pg_get_ruledef(r.oid) FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE r.rulename <> '_RETURN' AND {relation_filter}",
        qualified("n.nspname", "c.relname")
    );
    for row in query(tx, "rules", &rules)? {
        if let Some((_, parts)) = found.get_mut(col(&row, 0)) {
            parts.triggers.push(col(&row, 1).to_owned());
        }
    }
    Ok(())
}

/// Statistics objects of the materialized views (tables' and foreign tables' are rendered from the model),
/// listed with the indexes.
fn relation_statistics(
    tx: &mut Transaction<'_>,
    relation_filter: &str,
    found: &mut Found,
) -> Result<(), Error> {
    let statistics = format!(
        "SELECT {}, pg_get_statisticsobjdef(s.oid) FROM pg_statistic_ext s JOIN pg_class c ON c.oid = s.stxrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {relation_filter} AND c.relkind NOT IN ('r', 'p', 'f')",
        qualified("n.nspname", "c.relname")
    );
    for row in query(tx, "statistics objects", &statistics)? {
        if let Some((_, parts)) = found.get_mut(col(&row, 0)) {
            parts.indexes.push(col(&row, 1).to_owned());
        }
    }
    Ok(())
}
