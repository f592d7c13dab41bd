//! The catalog queries behind the typed [`Model`]: one query per kind of object, run in the read-only
//! transaction of [`super::read_only`] (empty `search_path`, fixed formats), on PostgreSQL 13 to 18.
//!
//! What a partition inherits from its parent (constraints, indexes, triggers made by the parent's) is held
//! apart from the table's own (`Table::other_*`): the description shows it, but `diff` does not compare it
//! and the SQL does not create it (PostgreSQL makes it when the partition is created).

use std::collections::BTreeMap;

use postgres::Transaction;

use crate::schema::model::*;
use crate::error::Error;
use crate::history::MigrationsTable;
use super::query::{
    acl_changes, bookkeeping_filter, col, flag, not_extension_member, opt, privileges, qualified, query, user_schema,
    Row,
};

mod extension_members;
mod triggers;
mod types;
mod views;

/// Lists travel as one text column, elements separated by this character (no name holds it).
const SEP: &str = "chr(1)";

fn list(row: &Row, i: usize) -> Vec<String> {
    match opt(row, i) {
        None | Some("") => Vec::new(),
        Some(text) => text.split('\u{1}').map(str::to_owned).collect(),
    }
}

/// A list of `a, b, a, b, ...` as pairs (grantee and privilege, attribute and type, ...).
fn pairs(items: &[String]) -> Vec<(String, String)> {
    items
        .chunks(2)
        .map(|pair| (pair[0].clone(), pair.get(1).cloned().unwrap_or_default()))
        .collect()
}

/// A column of newline-separated lines (the privileges' `grant ...` / `revoke ...` lines) as a list.
fn lines(row: &Row, i: usize) -> Vec<String> {
    opt(row, i).unwrap_or_default().lines().map(str::to_owned).collect()
}

fn qname(row: &Row, i: usize) -> QName {
    (col(row, i).to_owned(), col(row, i + 1).to_owned())
}

/// A `schema<SEP>name` column as a name.
fn pair(row: &Row, i: usize) -> Option<QName> {
    let parts = list(row, i);
    match parts.as_slice() {
        [schema, name] => Some((schema.clone(), name.clone())),
        _ => None,
    }
}

fn owned(row: &Row, i: usize) -> Option<String> {
    opt(row, i).map(str::to_owned)
}

fn number(row: &Row, i: usize) -> i64 {
    col(row, i).parse().unwrap_or_default()
}

/// An oid column (what `created` keeps: the SQL recreates objects in creation order).
fn oid(row: &Row, i: usize) -> u32 {
    col(row, i).parse().unwrap_or_default()
}

fn letter(row: &Row, i: usize) -> char {
    col(row, i).chars().next().unwrap_or(' ')
}

/// The relations the model reads, an extension's too (`Table::of_extension`, `View::of_extension`: the SQL
/// writes the parts a user added to them), with their parts: in a user's schema, not the engine's
/// bookkeeping. A condition on `n` (the `pg_namespace` row) and `c` (the `pg_class` row).
pub(super) fn with_extensions(table: &MigrationsTable) -> String {
    format!(
        "{} AND {}",
        user_schema("n"),
        bookkeeping_filter(table, "n.nspname", "c.relname"),
    )
}

/// The whole model, read once, in `tx`: what the description and the SQL are rendered from, and (less an
/// extension's tables, see [`super::compared`]) what `diff` compares. The tables, an extension's too, and
/// the foreign tables are read with their columns, constraints, indexes, statistics objects, triggers, rules
/// and policies; every other relation's triggers and rules, and the views with their columns, indexes and
/// statistics objects; last, what a user gave an extension's own objects ([`Model::extension_members`]).
pub(super) fn read(tx: &mut Transaction<'_>, table: &MigrationsTable) -> Result<Model, Error> {
    let mut model = Model::default();
    schemas(tx, &mut model)?;
    extensions(tx, &mut model)?;
    enums(tx, &mut model)?;
    types::types(tx, table, &mut model)?;
    types::operators(tx, &mut model)?;
    let owners = sequences(tx, table, &mut model)?;
    let all = with_extensions(table);
    let tables = tables(tx, &all, &mut model)?;
    columns(tx, &all, &tables, &owners, &mut model)?;
    constraints(tx, &all, &tables, &mut model)?;
    indexes(tx, &all, &tables, &mut model)?;
    statistics(tx, &all, &tables, &mut model)?;
    triggers::triggers(tx, table, &tables, &mut model)?;
    triggers::rules(tx, table, &tables, &mut model)?;
    policies(tx, &all, &tables, &mut model)?;
    views::views(tx, table, &mut model)?;
    functions(tx, &mut model)?;
    default_privileges(tx, &mut model)?;
    event_triggers(tx, &mut model)?;
    extension_members::extension_members(tx, table, &mut model)?;
    Ok(model)
}

/// Schemas, with what the description and the SQL show of them: the quoted name, the privileges' lines
/// and the comment (`public`'s only when it is not initdb's).
fn schemas(tx: &mut Transaction<'_>, model: &mut Model) -> Result<(), Error> {
    let sql = format!(
        "SELECT n.nspname, CASE WHEN n.oid >= 16384 OR d.description <> 'standard public schema' \
           THEN d.description END, \
           array_to_string(ARRAY(SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END \
             || {SEP} || a.privilege_type FROM aclexplode(n.nspacl) a WHERE a.grantee <> n.nspowner \
             ORDER BY 1), {SEP}), \
           quote_ident(n.nspname), {}, n.oid \
         FROM pg_namespace n LEFT JOIN pg_description d ON d.objoid = n.oid \
           AND d.classoid = 'pg_namespace'::regclass AND d.objsubid = 0 \
         WHERE {} AND {}",
        privileges("n.nspacl", 'n', "n.nspowner", "pg_namespace", "n.oid", "0"),
        user_schema("n"),
        not_extension_member("pg_namespace", "n.oid")
    );
    for row in query(tx, "schemas", &sql)? {
        let grants = list(&row, 2);
        model.schemas.insert(
            col(&row, 0).to_owned(),
            Schema {
                comment: owned(&row, 1),
                grants: pairs(&grants),
                quoted: col(&row, 3).to_owned(),
                privileges: lines(&row, 4),
                created: oid(&row, 5),
            },
        );
    }
    Ok(())
}

/// Extensions other than those initdb installed (oids from 16384 on are objects made after initdb).
fn extensions(tx: &mut Transaction<'_>, model: &mut Model) -> Result<(), Error> {
    let sql = "SELECT e.extname, n.nspname, quote_ident(e.extname), quote_ident(n.nspname), e.oid \
               FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.oid >= 16384";
    for row in query(tx, "extensions", sql)? {
        model.extensions.insert(
            col(&row, 0).to_owned(),
            Extension {
                schema: col(&row, 1).to_owned(),
                quoted: (col(&row, 2).to_owned(), col(&row, 3).to_owned()),
                created: oid(&row, 4),
            },
        );
    }
    Ok(())
}

/// Enum types, with what the description and the SQL show of them: the quoted name, the privileges' lines
/// and the comment.
fn enums(tx: &mut Transaction<'_>, model: &mut Model) -> Result<(), Error> {
    let sql = format!(
        "SELECT n.nspname, t.typname, \
           array_to_string(ARRAY(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid \
             ORDER BY e.enumsortorder), {SEP}), \
           {}, {}, obj_description(t.oid, 'pg_type'), t.oid \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'e' AND {} AND {}",
        qualified("n.nspname", "t.typname"),
        privileges("t.typacl", 'T', "t.typowner", "pg_type", "t.oid", "0"),
        user_schema("n"),
        not_extension_member("pg_type", "t.oid")
    );
    for row in query(tx, "enums", &sql)? {
        model.enums.insert(
            qname(&row, 0),
            Enum {
                labels: list(&row, 2),
                quoted: col(&row, 3).to_owned(),
                privileges: opt(&row, 4)
                    .unwrap_or_default()
                    .lines()
                    .map(str::to_owned)
                    .collect(),
                comment: owned(&row, 5),
                created: oid(&row, 6),
            },
        );
    }
    Ok(())
}

/// Every sequence into the model (see [`Sequence`]); every sequence a column owns (serial or identity) by its
/// owner, `(table oid, column number)`, with its kind of ownership (`a` serial, `i` identity), for the
/// columns.
type Owners = BTreeMap<(String, String), (char, QName, Sequence)>;

fn sequences(
    tx: &mut Transaction<'_>,
    table: &MigrationsTable,
    model: &mut Model,
) -> Result<Owners, Error> {
    // Left out with the bookkeeping tables that own them. Those named as the engine's tables are, `diff`
    // does not compare (the last column).
    let sql = format!(
        "SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, \
           s.seqmax, s.seqcache, s.seqcycle, d.deptype, d.refobjid, d.refobjsubid, tn.nspname, tc.relname, \
           a.attname, obj_description(c.oid, 'pg_class'), {}, \
           CASE WHEN tc.oid IS NOT NULL THEN {} || '.' || quote_ident(a.attname) END, \
           c.relpersistence = 'u', {}, c.oid, {} \
         FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid \
           AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') \
         LEFT JOIN pg_class tc ON tc.oid = d.refobjid LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace \
         LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
         WHERE {} AND {} AND {}",
        qualified("n.nspname", "c.relname"),
        qualified("tn.nspname", "tc.relname"),
        privileges("c.relacl", 's', "c.relowner", "pg_class", "c.oid", "0"),
        bookkeeping_filter(table, "n.nspname", "c.relname"),
        user_schema("n"),
        not_extension_member("pg_class", "c.oid"),
        bookkeeping_filter(table, "tn.nspname", "tc.relname"),
    );
    let mut owners = Owners::new();
    for row in query(tx, "sequences", &sql)? {
        let owner = opt(&row, 9).map(|_| ((col(&row, 12).to_owned(), col(&row, 13).to_owned()), col(&row, 14).to_owned()));
        let not_bookkeeping = flag(&row, 21);
        let sequence = Sequence {
            data_type: col(&row, 2).to_owned(),
            start: number(&row, 3),
            increment: number(&row, 4),
            min: number(&row, 5),
            max: number(&row, 6),
            cache: number(&row, 7),
            cycle: flag(&row, 8),
            owned_by: owner,
            comment: owned(&row, 15),
            quoted: col(&row, 16).to_owned(),
            owner_quoted: owned(&row, 17),
            identity: col(&row, 9) == "i",
            unlogged: flag(&row, 18),
            privileges: lines(&row, 19),
            created: oid(&row, 20),
            // A column's is compared once `columns` finds its column (then it is the owner's copy).
            diffed: not_bookkeeping && opt(&row, 9).is_none(),
        };
        if let (Some(kind), true) = (opt(&row, 9), not_bookkeeping) {
            owners.insert(
                (col(&row, 10).to_owned(), col(&row, 11).to_owned()),
                (
                    kind.chars().next().unwrap_or('a'),
                    qname(&row, 0),
                    Sequence {
                        diffed: true,
                        ..sequence.clone()
                    },
                ),
            );
        }
        model.sequences.insert(qname(&row, 0), sequence);
    }
    Ok(owners)
}

/// Table names by oid (foreign tables' too).
type Tables = BTreeMap<String, QName>;

/// Tables (an extension's flagged `of_extension`) into `Model::tables`, foreign tables into
/// `Model::foreign_tables`.
fn tables(tx: &mut Transaction<'_>, relations: &str, model: &mut Model) -> Result<Tables, Error> {
    let sql = format!(
        "SELECT c.oid, n.nspname, c.relname, c.relpersistence = 'u', \
           CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, \
           pn.nspname, pc.relname, CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END, \
           c.relrowsecurity, c.relforcerowsecurity, obj_description(c.oid, 'pg_class'), \
           array_to_string(ARRAY(SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END \
             || {SEP} || a.privilege_type FROM aclexplode(c.relacl) a WHERE a.grantee <> c.relowner \
             ORDER BY 1), {SEP}), {}, \
           CASE WHEN c.relispartition THEN {} END, \
           CASE WHEN NOT c.relispartition THEN array_to_string(ARRAY(SELECT {} FROM pg_inherits ii \
             JOIN pg_class ic ON ic.oid = ii.inhparent JOIN pg_namespace inn ON inn.oid = ic.relnamespace \
             WHERE ii.inhrelid = c.oid ORDER BY ii.inhseqno), {SEP}) END, \
           array_to_string(c.reloptions, {SEP}), \
           (SELECT quote_ident(am.amname) FROM pg_am am WHERE am.oid = c.relam AND am.amname <> 'heap'), \
           (SELECT quote_ident(ts.spcname) FROM pg_tablespace ts WHERE ts.oid = c.reltablespace), \
           c.relreplident, {}, c.relkind = 'f', NOT {} \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid = c.oid \
         LEFT JOIN pg_class pc ON pc.oid = i.inhparent LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'f') AND {relations}",
        qualified("n.nspname", "c.relname"),
        qualified("pn.nspname", "pc.relname"),
        qualified("inn.nspname", "ic.relname"),
        privileges("c.relacl", 'r', "c.relowner", "pg_class", "c.oid", "0"),
        not_extension_member("pg_class", "c.oid"),
    );
    let mut tables = Tables::new();
    for row in query(tx, "tables", &sql)? {
        let name = qname(&row, 1);
        let grants = list(&row, 11);
        tables.insert(col(&row, 0).to_owned(), name.clone());
        let into = if flag(&row, 20) {
            &mut model.foreign_tables
        } else {
            &mut model.tables
        };
        into.insert(
            name,
            Table {
                quoted: col(&row, 12).to_owned(),
                unlogged: flag(&row, 3),
                partition_key: owned(&row, 4),
                partition_of: opt(&row, 7).map(|bound| (qname(&row, 5), bound.to_owned())),
                columns: Vec::new(),
                constraints: BTreeMap::new(),
                other_constraints: BTreeMap::new(),
                indexes: BTreeMap::new(),
                other_indexes: BTreeMap::new(),
                statistics: Vec::new(),
                triggers: BTreeMap::new(),
                other_triggers: BTreeMap::new(),
                rules: BTreeMap::new(),
                policies: BTreeMap::new(),
                row_security: flag(&row, 8),
                force_row_security: flag(&row, 9),
                grants: pairs(&grants),
                comment: owned(&row, 10),
                quoted_parent: owned(&row, 13),
                inherits: list(&row, 14),
                options: list(&row, 15),
                access_method: owned(&row, 16),
                tablespace: owned(&row, 17),
                replica_identity: letter(&row, 18),
                privileges: lines(&row, 19),
                created: oid(&row, 0),
                of_extension: flag(&row, 21),
            },
        );
    }
    Ok(tables)
}

/// The table (or foreign table: one name is never both) of oid `oid`.
fn table_of<'m>(model: &'m mut Model, tables: &Tables, oid: &str) -> Option<&'m mut Table> {
    let name = tables.get(oid)?;
    if model.tables.contains_key(name) {
        model.tables.get_mut(name)
    } else {
        model.foreign_tables.get_mut(name)
    }
}

fn columns(
    tx: &mut Transaction<'_>,
    relations: &str,
    tables: &Tables,
    owners: &Owners,
    model: &mut Model,
) -> Result<(), Error> {
    let sql = format!(
        "SELECT a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
           CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END, a.attidentity, \
           CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END, \
           CASE WHEN a.attcollation <> t.typcollation THEN \
             (SELECT cn.nspname || {SEP} || co.collname FROM pg_collation co \
              JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END, \
           col_description(a.attrelid, a.attnum), quote_ident(a.attname), a.attislocal, a.attgenerated, \
           CASE WHEN a.attcollation <> t.typcollation THEN \
             (SELECT quote_ident(cn.nspname) || {SEP} || quote_ident(co.collname) FROM pg_collation co \
              JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END, \
           (SELECT pg_catalog.textin(pg_catalog.regclassout(s.seqrelid::regclass)) \
             FROM pg_depend sd JOIN pg_sequence s ON s.seqrelid = sd.objid \
             WHERE sd.classid = 'pg_class'::regclass AND sd.refclassid = 'pg_class'::regclass \
               AND sd.refobjid = a.attrelid AND sd.refobjsubid = a.attnum AND sd.deptype = 'i'), \
           CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END, {} \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f') AND {relations} \
         ORDER BY a.attrelid, a.attnum",
        privileges("a.attacl", 'c', "c.relowner", "pg_class", "c.oid", "a.attnum"),
    );
    for row in query(tx, "columns", &sql)? {
        let identity = match letter(&row, 6) {
            kind @ ('a' | 'd') => owners
                .get(&(col(&row, 0).to_owned(), col(&row, 1).to_owned()))
                .map(|(_, _, sequence)| (kind, sequence.clone())),
            _ => None,
        };
        // A serial column's sequence is the model's too, with its owner: `create_sequence(..).owned_by`
        // makes it when the column's type is not written as `serial`. Not that of a column of an extension's
        // table or of a foreign table, which `diff` does not compare.
        let compared = tables
            .get(col(&row, 0))
            .and_then(|name| model.tables.get(name))
            .is_some_and(|table| !table.of_extension);
        if identity.is_none() && compared {
            if let Some(('a', name, sequence)) =
                owners.get(&(col(&row, 0).to_owned(), col(&row, 1).to_owned()))
            {
                model.sequences.insert(name.clone(), sequence.clone());
            }
        }
        let column = Column {
            name: col(&row, 2).to_owned(),
            data_type: col(&row, 3).to_owned(),
            not_null: flag(&row, 4),
            default: owned(&row, 5),
            identity,
            generated: owned(&row, 7),
            collation: pair(&row, 8),
            comment: owned(&row, 9),
            quoted: col(&row, 10).to_owned(),
            local: flag(&row, 11),
            virtual_generated: col(&row, 12) == "v",
            quoted_collation: pair(&row, 13),
            identity_sequence: owned(&row, 14),
            storage: opt(&row, 15).and_then(|s| s.chars().next()),
            privileges: lines(&row, 16),
        };
        if let Some(table) = table_of(model, tables, col(&row, 0)) {
            table.columns.push(column);
        }
    }
    Ok(())
}

/// Column names of `attrelid` at the positions of int2 array `keys`, in order, as a list.
fn names_of(attrelid: &str, keys: &str) -> String {
    format!(
        "array_to_string(ARRAY(SELECT a.attname FROM unnest({keys}) WITH ORDINALITY k(num, pos) \
         JOIN pg_attribute a ON a.attrelid = {attrelid} AND a.attnum = k.num ORDER BY k.pos), {SEP})"
    )
}

fn constraints(
    tx: &mut Transaction<'_>,
    relations: &str,
    tables: &Tables,
    model: &mut Model,
) -> Result<(), Error> {
    let sql = format!(
        "SELECT con.conrelid, con.conname, con.contype, pg_get_constraintdef(con.oid), con.convalidated, \
           con.condeferrable, con.condeferred, {}, fn.nspname, fc.relname, {}, con.confupdtype, \
           con.confdeltype, con.confmatchtype, pg_get_expr(con.conbin, con.conrelid), con.connoinherit, \
           coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false), \
           obj_description(con.oid, 'pg_constraint'), quote_ident(con.conname), con.oid, \
           con.contype IN ('c', 'f', 'p', 'u', 'x') AND con.conparentid = 0 AND con.conislocal \
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_class fc ON fc.oid = con.confrelid LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
         LEFT JOIN pg_index i ON i.indexrelid = con.conindid AND con.contype IN ('p', 'u') \
         WHERE con.contype <> 'n' AND c.relkind IN ('r', 'p', 'f') AND {relations}",
        names_of("con.conrelid", "con.conkey"),
        names_of("con.confrelid", "con.confkey"),
    );
    for row in query(tx, "constraints", &sql)? {
        let columns = list(&row, 7);
        let kind = match letter(&row, 2) {
            'p' => ConstraintKind::PrimaryKey { columns },
            'u' => ConstraintKind::Unique {
                columns,
                nulls_not_distinct: flag(&row, 16),
            },
            'c' => ConstraintKind::Check {
                expression: col(&row, 14).to_owned(),
                no_inherit: flag(&row, 15),
            },
            'f' => ConstraintKind::ForeignKey {
                columns,
                references: qname(&row, 8),
                referenced_columns: list(&row, 10),
                on_update: letter(&row, 11),
                on_delete: letter(&row, 12),
                match_full: col(&row, 13) == "f",
            },
            _ => ConstraintKind::Exclude,
        };
        let constraint = Constraint {
            kind,
            definition: col(&row, 3).to_owned(),
            validated: flag(&row, 4),
            deferrable: flag(&row, 5),
            deferred: flag(&row, 6),
            comment: owned(&row, 17),
            quoted: col(&row, 18).to_owned(),
            created: oid(&row, 19),
        };
        if let Some(table) = table_of(model, tables, col(&row, 0)) {
            // What a table got from its parent, and constraint triggers', are for the description only.
            let constraints = if flag(&row, 20) {
                &mut table.constraints
            } else {
                &mut table.other_constraints
            };
            constraints.insert(col(&row, 1).to_owned(), constraint);
        }
    }
    Ok(())
}

fn indexes(
    tx: &mut Transaction<'_>,
    relations: &str,
    tables: &Tables,
    model: &mut Model,
) -> Result<(), Error> {
    // One row per key or included column: `indkey` and `indclass` are 0-based vectors. What is per index
    // (its definition, predicate, comment) is computed once, in `idx`.
    let sql = format!(
        "WITH idx AS ( \
           SELECT i.indexrelid, i.indrelid, i.indkey, i.indclass, i.indcollation, i.indoption, i.indnatts, \
             ic.relname, i.indisunique, am.amname, i.indnkeyatts, pg_get_expr(i.indpred, i.indrelid, true) AS pred, \
             coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false) AS nnd, \
             pg_get_indexdef(i.indexrelid) AS def, obj_description(i.indexrelid, 'pg_class') AS comment, \
             quote_ident(ic.relname) AS quoted, \
             pg_catalog.textin(pg_catalog.regclassout(i.indexrelid::regclass)) AS qualified, \
             i.indisvalid, i.indisclustered, i.indisreplident, \
             (SELECT quote_ident(ts.spcname) FROM pg_tablespace ts WHERE ts.oid = ic.reltablespace) AS space, \
             con.oid IS NULL AND inh.inhrelid IS NULL AS own \
           FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid \
           JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = ic.relam \
           LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid \
             AND con.contype IN ('p', 'u', 'x') \
           LEFT JOIN pg_inherits inh ON inh.inhrelid = i.indexrelid \
           WHERE c.relkind IN ('r', 'p') AND {relations}) \
         SELECT i.indrelid, i.relname, i.indisunique, i.amname, i.indnkeyatts, i.pred, i.nnd, i.def, i.comment, \
           k.pos, a.attname, CASE WHEN i.indkey[k.pos] = 0 THEN pg_get_indexdef(i.indexrelid, k.pos + 1, true) END, \
           (SELECT on_.nspname || {SEP} || opc.opcname FROM pg_opclass opc \
             JOIN pg_namespace on_ ON on_.oid = opc.opcnamespace WHERE opc.oid = i.indclass[k.pos] \
             AND NOT opc.opcdefault), \
           (SELECT cn.nspname || {SEP} || co.collname FROM pg_collation co \
             JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = i.indcollation[k.pos] \
             AND co.oid <> coalesce(a.attcollation, \
               (SELECT t.typcollation FROM pg_attribute ia JOIN pg_type t ON t.oid = ia.atttypid \
                 WHERE ia.attrelid = i.indexrelid AND ia.attnum = k.pos + 1), 0)), \
           (i.indoption[k.pos] & 1) <> 0, (i.indoption[k.pos] & 2) <> 0, \
           i.quoted, i.qualified, i.indisvalid, i.indisclustered, i.indisreplident, i.space, i.indexrelid, i.own \
         FROM idx i CROSS JOIN LATERAL generate_series(0, i.indnatts - 1) k(pos) \
         LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k.pos] AND i.indkey[k.pos] <> 0 \
         ORDER BY i.indrelid, i.relname, k.pos"
    );
    for row in query(tx, "indexes", &sql)? {
        let Some(table) = table_of(model, tables, col(&row, 0)) else {
            continue;
        };
        // Constraints' indexes and those attached to a parent's are for the description only.
        let indexes = if flag(&row, 23) {
            &mut table.indexes
        } else {
            &mut table.other_indexes
        };
        let index = indexes
            .entry(col(&row, 1).to_owned())
            .or_insert_with(|| Index {
                unique: flag(&row, 2),
                method: col(&row, 3).to_owned(),
                elements: Vec::new(),
                include: Vec::new(),
                predicate: owned(&row, 5),
                nulls_not_distinct: flag(&row, 6),
                definition: col(&row, 7).to_owned(),
                comment: owned(&row, 8),
                quoted: (col(&row, 16).to_owned(), col(&row, 17).to_owned()),
                valid: flag(&row, 18),
                clustered: flag(&row, 19),
                replica_identity: flag(&row, 20),
                tablespace: owned(&row, 21),
                created: oid(&row, 22),
            });
        let position = number(&row, 9);
        if position >= number(&row, 4) {
            index.include.push(col(&row, 10).to_owned());
            continue;
        }
        let descending = flag(&row, 14);
        let nulls_first = flag(&row, 15);
        index.elements.push(IndexElement {
            column: owned(&row, 10),
            expression: opt(&row, 11).or(opt(&row, 10)).unwrap_or_default().to_owned(),
            opclass: pair(&row, 12),
            collation: pair(&row, 13),
            descending,
            nulls_flipped: nulls_first != descending,
        });
    }
    Ok(())
}

/// Statistics objects of the tables and foreign tables, as the server prints them.
fn statistics(
    tx: &mut Transaction<'_>,
    relations: &str,
    tables: &Tables,
    model: &mut Model,
) -> Result<(), Error> {
    let sql = format!(
        "SELECT s.stxrelid, s.oid, pg_get_statisticsobjdef(s.oid) FROM pg_statistic_ext s \
         JOIN pg_class c ON c.oid = s.stxrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'f') AND {relations}"
    );
    for row in query(tx, "statistics objects", &sql)? {
        if let Some(table) = table_of(model, tables, col(&row, 0)) {
            let created = col(&row, 1).parse().unwrap_or_default();
            table.statistics.push((created, col(&row, 2).to_owned()));
        }
    }
    Ok(())
}

fn policies(
    tx: &mut Transaction<'_>,
    relations: &str,
    tables: &Tables,
    model: &mut Model,
) -> Result<(), Error> {
    let sql = format!(
        "SELECT p.polrelid, p.polname, p.polcmd, p.polpermissive, \
           array_to_string(ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r) END \
             FROM unnest(p.polroles) r ORDER BY 1), {SEP}), \
           pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid), \
           obj_description(p.oid, 'pg_policy'), quote_ident(p.polname), \
           CASE WHEN p.polroles = '{{0}}' THEN 'PUBLIC' ELSE \
             (SELECT string_agg(quote_ident(r.rolname), ', ' ORDER BY r.rolname) FROM pg_roles r \
              WHERE r.oid = ANY (p.polroles)) END, \
           p.oid \
         FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE {relations}"
    );
    for row in query(tx, "policies", &sql)? {
        let policy = Policy {
            quoted: col(&row, 8).to_owned(),
            quoted_roles: col(&row, 9).to_owned(),
            created: oid(&row, 10),
            command: letter(&row, 2),
            permissive: flag(&row, 3),
            roles: list(&row, 4),
            using: owned(&row, 5),
            with_check: owned(&row, 6),
            comment: owned(&row, 7),
        };
        if let Some(table) = table_of(model, tables, col(&row, 0)) {
            table.policies.insert(col(&row, 1).to_owned(), policy);
        }
    }
    Ok(())
}

/// Functions, procedures, aggregates and window functions, with what the description and the SQL show of
/// them (see [`Function`]).
fn functions(tx: &mut Transaction<'_>, model: &mut Model) -> Result<(), Error> {
    let sql = format!(
        "SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), p.prokind = 'p', \
           CASE WHEN p.prokind <> 'p' THEN pg_get_function_result(p.oid) END, l.lanname, p.prosrc, \
           p.provolatile, p.proisstrict, p.prosecdef, p.proparallel, \
           array_to_string(ARRAY(SELECT replace(c, '=', {SEP}) FROM unnest(p.proconfig) c), {SEP}), \
           CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END, obj_description(p.oid, 'pg_proc'), \
           array_to_string(ARRAY(SELECT coalesce(p.proargnames[k.i], '') || {SEP} || format_type(k.t, NULL) \
             || {SEP} || coalesce(p.proargmodes[k.i]::text, 'i') \
             FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY k(t, i) \
             ORDER BY k.i), {SEP}), \
           array_to_string(ARRAY(SELECT coalesce(pg_get_function_arg_default(p.oid, k.i::int), '') \
             FROM generate_series(1, coalesce(array_length(coalesce(p.proallargtypes, p.proargtypes::oid[]), 1), 0)) k(i) \
             ORDER BY k.i), {SEP}), \
           p.prokind, \
           EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass \
             AND d.objid = p.oid AND d.deptype = 'i'), \
           {} || '(' || coalesce((SELECT string_agg(format_type(a.t, NULL), ', ' ORDER BY a.n) \
             FROM unnest(p.proargtypes) WITH ORDINALITY a(t, n)), '') || ')', \
           pg_catalog.textin(pg_catalog.regprocedureout(p.oid::regprocedure)), {}, \
           EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass \
             AND d.objid = p.oid AND (d.refclassid = 'pg_class'::regclass OR (d.refclassid = 'pg_type'::regclass \
             AND EXISTS (SELECT 1 FROM pg_type t JOIN pg_class tc ON tc.oid = t.typrelid \
               WHERE t.oid = d.refobjid AND tc.relkind <> 'c')))), \
           p.oid \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang \
         WHERE {} AND {}",
        qualified("n.nspname", "p.proname"),
        privileges("p.proacl", 'f', "p.proowner", "pg_proc", "p.oid", "0"),
        user_schema("n"),
        not_extension_member("pg_proc", "p.oid")
    );
    for row in query(tx, "functions", &sql)? {
        let parts = list(&row, 14);
        let defaults = list(&row, 15);
        let params = parts
            .chunks(3)
            .enumerate()
            .map(|(i, part)| Param {
                name: Some(part[0].clone()).filter(|n| !n.is_empty()),
                data_type: part.get(1).cloned().unwrap_or_default(),
                mode: part.get(2).and_then(|m| m.chars().next()).unwrap_or('i'),
                default: defaults.get(i).cloned().filter(|d| !d.is_empty()),
            })
            .collect();
        let config = list(&row, 11);
        let kind = letter(&row, 16);
        model.functions.insert(
            (qname(&row, 0), col(&row, 2).to_owned()),
            Function {
                kind,
                procedure: flag(&row, 3),
                params,
                result: owned(&row, 4),
                language: col(&row, 5).to_owned(),
                body: col(&row, 6).to_owned(),
                volatility: letter(&row, 7),
                strict: flag(&row, 8),
                security_definer: flag(&row, 9),
                parallel: letter(&row, 10),
                config: pairs(&config),
                definition: col(&row, 12).to_owned(),
                comment: owned(&row, 13),
                internal: flag(&row, 17),
                signature: col(&row, 18).to_owned(),
                quoted: col(&row, 19).to_owned(),
                privileges: lines(&row, 20),
                needs_tables: flag(&row, 21),
                created: oid(&row, 22),
            },
        );
    }
    Ok(())
}

/// `ALTER DEFAULT PRIVILEGES`: one row per entry, with what the description shows of it and what `diff`
/// compares of it.
fn default_privileges(tx: &mut Transaction<'_>, model: &mut Model) -> Result<(), Error> {
    // Compared with what the role's objects get without them: the built-in defaults for the whole
    // database, nothing for one schema (the default of a column, `'c'`, is that empty list; a literal empty
    // array is not an ACL `aclexplode` takes). `diff` compares grantees and privileges (the last column),
    // the description shows grant options too.
    let kind = "CASE d.defaclobjtype WHEN 'S' THEN 's' ELSE d.defaclobjtype::text END::\"char\"";
    let base = format!("acldefault(CASE WHEN d.defaclnamespace = 0 THEN {kind} ELSE 'c' END, d.defaclrole)");
    let sql = format!(
        "SELECT pg_get_userbyid(d.defaclrole), n.nspname, \
           CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS' \
             WHEN 'T' THEN 'TYPES' WHEN 'n' THEN 'SCHEMAS' ELSE d.defaclobjtype::text END, \
           'for role ' || quote_ident(pg_get_userbyid(d.defaclrole)) \
             || coalesce(' in schema ' || quote_ident(n.nspname), '') || ' on ' \
             || CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions' \
                WHEN 'T' THEN 'types' WHEN 'n' THEN 'schemas' WHEN 'L' THEN 'large objects' \
                ELSE d.defaclobjtype::text END, \
           {}, \
           array_to_string(ARRAY( \
             WITH actual AS (SELECT a.grantee, a.privilege_type FROM aclexplode(d.defaclacl) a \
                 WHERE a.grantee <> d.defaclrole), \
               base AS (SELECT a.grantee, a.privilege_type FROM aclexplode({base}) a \
                 WHERE a.grantee <> d.defaclrole) \
             SELECT CASE WHEN x.granted THEN 't' ELSE 'f' END || {SEP} \
               || CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee) END \
               || {SEP} || x.privilege_type \
             FROM (SELECT true AS granted, g.* FROM (SELECT * FROM actual EXCEPT SELECT * FROM base) g \
               UNION ALL SELECT false, r.* FROM (SELECT * FROM base EXCEPT SELECT * FROM actual) r) x), {SEP}) \
         FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace",
        acl_changes("d.defaclacl", &base, "d.defaclrole")
    );
    for row in query(tx, "default privileges", &sql)? {
        model
            .default_privilege_lines
            .insert(col(&row, 3).to_owned(), lines(&row, 4));
        for entry in list(&row, 5).chunks(3) {
            let [granted, grantee, privilege] = entry else {
                continue;
            };
            model.default_privileges.insert(DefaultPrivilege {
                role: col(&row, 0).to_owned(),
                schema: owned(&row, 1),
                objects: col(&row, 2).to_owned(),
                granted: granted == "t",
                grantee: grantee.clone(),
                privilege: privilege.clone(),
            });
        }
    }
    Ok(())
}

/// Event triggers, but an extension's.
fn event_triggers(tx: &mut Transaction<'_>, model: &mut Model) -> Result<(), Error> {
    let sql = format!(
        "SELECT e.evtname, quote_ident(e.evtname), e.evtevent, \
           pg_catalog.textin(pg_catalog.regprocedureout(e.evtfoid::regprocedure)), \
           array_to_string(ARRAY(SELECT t.tag FROM unnest(e.evttags) t(tag) ORDER BY t.tag), {SEP}), \
           e.evtenabled, obj_description(e.oid, 'pg_event_trigger') \
         FROM pg_event_trigger e WHERE {}",
        not_extension_member("pg_event_trigger", "e.oid")
    );
    for row in query(tx, "event triggers", &sql)? {
        model.event_triggers.insert(
            col(&row, 0).to_owned(),
            EventTrigger {
                quoted: col(&row, 1).to_owned(),
                event: col(&row, 2).to_owned(),
                function: col(&row, 3).to_owned(),
                tags: list(&row, 4),
                enabled: letter(&row, 5),
                comment: owned(&row, 6),
            },
        );
    }
    Ok(())
}
