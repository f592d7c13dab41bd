//! What the catalog says about a key being widened ([`migrate_dsl::WidenKeyOnline`]), read right before its
//! step is rendered to run (or shown by `sql`): the foreign keys that reference it, the indexes to copy, and
//! the refusals of what the operation cannot do safely.
//!
//! Read the same way in every state the operation leaves a table in, so that a phase stopped part-way
//! renders the same statements when it goes on (the journal compares them): a column's type is its old
//! one (`<column>_old` once switched), and a constraint the operation added next to one it replaces
//! (`<name>_new`, `<name>_old`) is not a reference of its own.

use migrate_dsl::{
    is_narrow, CopiedColumn, IndexCopy, KeyCatalog, KeyReference, Name, WidenKeyOnline, WidenPhase,
    MAX_IDENTIFIER_BYTES,
};
use postgres::GenericClient;

/// The catalog for `op`, or why the operation cannot run on this database.
pub(crate) fn read(
    conn: &mut impl GenericClient,
    op: &WidenKeyOnline,
) -> Result<Result<KeyCatalog, String>, postgres::Error> {
    let table = op.table().quoted();
    let column = op.column().as_str();
    let shown = format!("{}.{column}", shown_table(op.table()));
    let expand = op.phase() == WidenPhase::Expand;
    let checked = matches!(op.phase(), WidenPhase::Expand | WidenPhase::Switch);
    let Some(row) = conn.query_opt(
        "SELECT c.oid, c.relkind::text FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1)",
        &[&table],
    )?
    else {
        return Ok(Err(format!("table {} does not exist", shown_table(op.table()))));
    };
    let (oid, relkind): (u32, String) = (row.get(0), row.get(1));
    if relkind == "p" {
        return Ok(Err(format!(
            "{} is partitioned: widen its key partition by partition, or with ALTER COLUMN .. TYPE in a maintenance window",
            shown_table(op.table())
        )));
    }
    let new = suffixed(column, "new");
    let old = suffixed(column, "old");
    let types = column_types(conn, oid, &[column, &new, &old])?;
    let Some(current) = types[0].clone() else {
        return Ok(Err(format!("column {shown} does not exist")));
    };
    // Once switched, the old column holds the old type.
    let key_type = types[2].clone().unwrap_or(current.clone());
    // The expand has run (a switch shown before it, by `sql`, is shown as it will run after it).
    let expanded = types[1].is_some() || types[2].is_some();
    if expand && !is_narrow(&key_type) {
        return Ok(Err(if key_type == "bigint" {
            format!("{shown} is bigint already")
        } else {
            format!("{shown} is {key_type}: only an integer or smallint key is widened")
        }));
    }
    let primary = conn.query_opt(
        "SELECT k.conname::text, k.conindid, k.oid, (SELECT pg_catalog.array_agg(a.attname::text ORDER BY a.attnum)
            FROM pg_catalog.pg_attribute a WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey))
         FROM pg_catalog.pg_constraint k WHERE k.conrelid = $1 AND k.contype = 'p'",
        &[&oid],
    )?;
    let Some(primary) = primary else {
        return Ok(Err(format!(
            "{} has no primary key: widen_key_online widens a primary key",
            shown_table(op.table())
        )));
    };
    let (primary_key, primary_index, primary_oid, key_columns): (String, u32, u32, Vec<String>) =
        (primary.get(0), primary.get(1), primary.get(2), primary.get(3));
    if checked && key_columns != [column] {
        return Ok(Err(if key_columns.iter().any(|c| c == column) {
            format!(
                "{shown} is part of the composite primary key ({}): only a key of one column is widened",
                key_columns.join(", ")
            )
        } else {
            format!(
                "{shown} is not the primary key of {} (its key is {})",
                shown_table(op.table()),
                key_columns.join(", ")
            )
        }));
    }
    if checked {
        if let Some(refusal) = publications(conn, oid, &shown_table(op.table()))? {
            return Ok(Err(refusal));
        }
    }
    if expand {
        let table_name = op.table().name().as_str();
        if let Some(refusal) = dependents(conn, oid, table_name, column, Some(primary_oid), &shown)? {
            return Ok(Err(refusal));
        }
    }
    let mut catalog = KeyCatalog::new(key_type, primary_key);
    // Indexes copied so far, by table: one holding two widened columns of a table (a tree's `(parent_id,
    // id)`, two foreign keys of one table) is copied once, with both replaced.
    let mut copied: Vec<(u32, String)> = Vec::new();
    if expand {
        match indexes(conn, oid, column, Some(primary_index), &shown)? {
            Ok(indexes) => {
                copied.extend(indexes.iter().map(|i| (oid, i.name.as_str().to_owned())));
                catalog.indexes = indexes;
            }
            Err(refusal) => return Ok(Err(refusal)),
        }
    }
    let rows = conn.query(
        "SELECT f.conname::text, n.nspname::text, r.relname::text, r.oid, r.relkind::text, f.conparentid <> 0,
                pg_catalog.array_length(f.conkey, 1), a.attname::text, a.attnotnull,
                f.confupdtype::text, f.confdeltype::text, f.condeferrable, f.condeferred,
                pg_catalog.pg_has_role(r.relowner, 'USAGE'), f.conindid,
                EXISTS (SELECT FROM pg_catalog.pg_constraint o WHERE o.conrelid = f.conrelid
                    AND o.conname::text IN (pg_catalog.left(f.conname, -4)) AND pg_catalog.right(f.conname, 4) IN ('_new', '_old'))
         FROM pg_catalog.pg_constraint f
         JOIN pg_catalog.pg_class r ON r.oid = f.conrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
         JOIN pg_catalog.pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = f.conkey[1]
         WHERE f.contype = 'f' AND f.confrelid = $1
             AND EXISTS (SELECT FROM pg_catalog.pg_attribute k WHERE k.attrelid = f.confrelid
                 AND k.attnum = ANY (f.confkey) AND k.attname::text IN ($2, $3, $4))
         ORDER BY n.nspname, r.relname, f.conname",
        &[&oid, &column, &new, &old],
    )?;
    for row in rows {
        let constraint: String = row.get(0);
        let child_oid: u32 = row.get(3);
        // A self-reference names the table as the operation does: the statements compare the two.
        let child = if child_oid == oid {
            op.table().clone()
        } else {
            Name::qualified(row.get::<_, String>(1), row.get::<_, String>(2))
        };
        let shown_fk = format!("foreign key {constraint} of {}", shown_table(&child));
        // A partition's copy of its parent's foreign key: the parent's is the one (refused below).
        if row.get::<_, bool>(5) || row.get::<_, bool>(15) {
            continue;
        }
        if row.get::<_, String>(4) == "p" {
            return Ok(Err(format!(
                "{shown_fk} references {shown} from a partitioned table, whose columns cannot be switched one partition at a time here"
            )));
        }
        if row.get::<_, Option<i32>>(6) != Some(1) {
            return Ok(Err(format!(
                "{shown_fk} has several columns: only a foreign key of one column is moved to the new key"
            )));
        }
        if !row.get::<_, bool>(13) {
            return Ok(Err(format!(
                "{shown_fk} references {shown}, and the role does not own {}: run the migration as its owner",
                shown_table(&child)
            )));
        }
        if expand && row.get::<_, u32>(14) != primary_index {
            return Ok(Err(format!(
                "{shown_fk} references {shown} through another unique index than the primary key's"
            )));
        }
        let child_column: String = row.get(7);
        let types = column_types(
            conn,
            child_oid,
            &[&child_column, &suffixed(&child_column, "old")],
        )?;
        let column_type = types[1].clone().or(types[0].clone()).unwrap_or_default();
        // A foreign key added after the expand read the catalog has no twin to switch to.
        if op.phase() == WidenPhase::Switch
            && expanded
            && types[1].is_none()
            && is_narrow(&column_type)
            && column_types(conn, child_oid, &[&suffixed(&child_column, "new")])?[0].is_none()
        {
            return Ok(Err(format!(
                "{shown_fk} references {shown}, and its column {child_column} has no twin {}: the foreign key \
                 came after the expand read the catalog; undo the expand (`down`) and apply it again, so that \
                 it widens this column too",
                suffixed(&child_column, "new")
            )));
        }
        if !is_narrow(&column_type) && column_type != "bigint" {
            return Ok(Err(format!(
                "{shown_fk}: its column {child_column} is {column_type}, not integer, smallint or bigint"
            )));
        }
        if checked {
            if let Some(refusal) = publications(conn, child_oid, &shown_table(&child))? {
                return Ok(Err(refusal));
            }
        }
        let child_shown = format!("{}.{child_column}", shown_table(&child));
        if expand && is_narrow(&column_type) {
            let child_name = child.name().as_str().to_owned();
            if let Some(refusal) =
                dependents(conn, child_oid, &child_name, &child_column, None, &child_shown)?
            {
                return Ok(Err(refusal));
            }
            if !has_primary_key(conn, child_oid)? {
                return Ok(Err(format!(
                    "{} has no primary key: the backfill of {child_shown}'s twin walks one; add a primary key first",
                    shown_table(&child)
                )));
            }
        }
        let mut reference = KeyReference::new(child, child_column.as_str(), constraint, column_type);
        reference.not_null = row.get(8);
        reference.on_update = code(&row.get::<_, String>(9));
        reference.on_delete = code(&row.get::<_, String>(10));
        reference.deferrable = row.get(11);
        reference.initially_deferred = row.get(12);
        if expand && reference.widens() {
            match indexes(conn, child_oid, &child_column, None, &child_shown)? {
                Ok(indexes) => {
                    for index in indexes {
                        let id = (child_oid, index.name.as_str().to_owned());
                        if !copied.contains(&id) {
                            copied.push(id);
                            reference.indexes.push(index);
                        }
                    }
                }
                Err(refusal) => return Ok(Err(refusal)),
            }
        }
        catalog.references.push(reference);
    }
    Ok(Ok(catalog))
}

/// `name_suffix`, shortened as the operation's names are.
fn suffixed(name: &str, suffix: &str) -> String {
    migrate_dsl::twin_name(name, suffix)
}

fn code(text: &str) -> char {
    text.chars().next().unwrap_or('a')
}

/// The types of `columns` of table `oid`, as `format_type` spells them; `None` for a column that does not
/// exist.
fn column_types(
    conn: &mut impl GenericClient,
    oid: u32,
    columns: &[&str],
) -> Result<Vec<Option<String>>, postgres::Error> {
    let mut out = Vec::with_capacity(columns.len());
    for column in columns {
        let row = conn.query_opt(
            "SELECT pg_catalog.format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute
             WHERE attrelid = $1 AND attname = $2 AND attnum > 0 AND NOT attisdropped",
            &[&oid, column],
        )?;
        out.push(row.map(|r| r.get(0)));
    }
    Ok(out)
}

/// Why a table in a publication is refused: subscribers replicate by column name, and a rename of the key
/// under them stops their apply. Read from `pg_publication_tables`, which lists the tables of every kind of
/// publication (`FOR ALL TABLES`, `FOR TABLE`, `FOR TABLES IN SCHEMA`).
fn publications(
    conn: &mut impl GenericClient,
    oid: u32,
    shown: &str,
) -> Result<Option<String>, postgres::Error> {
    let row = conn.query_one(
        "SELECT pg_catalog.string_agg(DISTINCT p.pubname::text, ', ')
         FROM pg_catalog.pg_publication_tables p
         JOIN pg_catalog.pg_namespace n ON n.nspname = p.schemaname
         JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
         WHERE c.oid = $1",
        &[&oid],
    )?;
    Ok(row.get::<_, Option<String>>(0).map(|names| {
        format!(
            "{shown} is in publication {names}: subscribers would stop at the renamed columns; \
             widen the key on the subscribers first, or take the table out of the publication"
        )
    }))
}

fn has_primary_key(conn: &mut impl GenericClient, oid: u32) -> Result<bool, postgres::Error> {
    Ok(conn
        .query_one(
            "SELECT EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = $1 AND contype = 'p')",
            &[&oid],
        )?
        .get(0))
}

/// What uses `column` of table `oid` and would stay on the old column after the switch, then be dropped by the
/// contract: views and rules, policies, generated columns, constraints other than the foreign keys this
/// operation moves and the key (`skip`) (a `CHECK`, a `UNIQUE` or `EXCLUDE` constraint, a primary key the
/// column is part of), triggers that name the column, extended statistics; the column's own privileges;
/// and a `BEFORE` row trigger that fires after the operation's own, which could change the column after it
/// is copied.
fn dependents(
    conn: &mut impl GenericClient,
    oid: u32,
    table: &str,
    column: &str,
    skip: Option<u32>,
    shown: &str,
) -> Result<Option<String>, postgres::Error> {
    let ours = migrate_dsl::sync_trigger_name(table, column);
    let row = conn.query_one(
        "SELECT pg_catalog.string_agg(DISTINCT pg_catalog.pg_describe_object(d.classid, d.objid, 0), ', ')
         FROM pg_catalog.pg_depend d
         JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
         WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = $1 AND a.attname = $2
             AND (d.classid IN ('pg_catalog.pg_rewrite'::pg_catalog.regclass, 'pg_catalog.pg_policy'::pg_catalog.regclass,
                     'pg_catalog.pg_trigger'::pg_catalog.regclass, 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass)
                     -- The operation's own trigger names the column in its condition.
                     AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger t WHERE d.classid = 'pg_catalog.pg_trigger'::pg_catalog.regclass
                         AND t.oid = d.objid AND t.tgname::text = $4)
                 OR (d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND EXISTS (
                     SELECT FROM pg_catalog.pg_attrdef ad JOIN pg_catalog.pg_attribute g ON g.attrelid = ad.adrelid AND g.attnum = ad.adnum
                     WHERE ad.oid = d.objid AND g.attgenerated <> ''))
                 OR (d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objid IS DISTINCT FROM $3 AND EXISTS (
                     SELECT FROM pg_catalog.pg_constraint k WHERE k.oid = d.objid AND k.contype NOT IN ('f', 'n'))))",
        &[&oid, &column, &skip, &ours],
    )?;
    if let Some(objects) = row.get::<_, Option<String>>(0) {
        return Ok(Some(format!(
            "{objects} use {shown}, and would stay on the old column after the switch (the contract would drop \
             them): drop them before the expand and re-create them after the switch"
        )));
    }
    let privileges: bool = conn
        .query_one(
            "SELECT attacl IS NOT NULL FROM pg_catalog.pg_attribute WHERE attrelid = $1 AND attname = $2",
            &[&oid, &column],
        )?
        .get(0);
    if privileges {
        return Ok(Some(format!(
            "{shown} has privileges of its own (GRANT .. ({column})), which would stay on the old column: revoke \
             them before the expand and grant them again after the switch"
        )));
    }
    let later = conn.query_one(
        "SELECT pg_catalog.string_agg(tgname::text, ', ' ORDER BY tgname) FROM pg_catalog.pg_trigger
         WHERE tgrelid = $1 AND NOT tgisinternal AND tgtype & 3 = 3 AND tgtype & 20 <> 0 AND tgname::text > $2
             AND NOT EXISTS (SELECT FROM pg_catalog.pg_proc p WHERE p.oid = tgfoid AND p.proname = tgname
                 AND tgname::text LIKE '%\\_widen')",
        &[&oid, &ours],
    )?;
    Ok(later.get::<_, Option<String>>(0).map(|names| {
        format!(
            "BEFORE row trigger {names} fires after the operation's {ours} (triggers fire in name order) and could \
             change {shown} after it is copied: rename it to sort before {ours}"
        )
    }))
}

/// The indexes of table `oid` that hold `column` (the primary key's, `skip`, aside), as copies to build on
/// the new column; refused when one uses the column in an expression, or has a name too long for
/// `_new`.
fn indexes(
    conn: &mut impl GenericClient,
    oid: u32,
    column: &str,
    skip: Option<u32>,
    shown: &str,
) -> Result<Result<Vec<IndexCopy>, String>, postgres::Error> {
    let rows = conn.query(
        "SELECT x.indexrelid, i.relname::text, x.indisunique, am.amname::text, x.indnkeyatts::int4,
                x.indexprs IS NOT NULL, pg_catalog.pg_get_expr(x.indpred, x.indrelid),
                (SELECT pg_catalog.array_agg(a.attname::text ORDER BY k.ord) FROM pg_catalog.unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                    LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum),
                (SELECT pg_catalog.array_agg(o::int4 ORDER BY ord) FROM pg_catalog.unnest(x.indoption::int2[]) WITH ORDINALITY o(o, ord)),
                CASE WHEN i.reloptions IS NOT NULL THEN 'storage parameters'
                    WHEN i.reltablespace <> 0 THEN 'a tablespace'
                    WHEN pg_catalog.pg_get_indexdef(x.indexrelid) LIKE '% NULLS NOT DISTINCT%' THEN 'NULLS NOT DISTINCT'
                    WHEN pg_catalog.pg_get_indexdef(x.indexrelid) LIKE '% COLLATE %' THEN 'a collation'
                    WHEN EXISTS (SELECT FROM pg_catalog.unnest(x.indclass::oid[]) c JOIN pg_catalog.pg_opclass o ON o.oid = c
                        WHERE NOT o.opcdefault) THEN 'an operator class'
                    WHEN x.indisclustered THEN 'the CLUSTER mark'
                    WHEN x.indisreplident THEN 'the replica identity'
                END
         FROM pg_catalog.pg_index x
         JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
         JOIN pg_catalog.pg_am am ON am.oid = i.relam
         WHERE x.indrelid = $1 AND EXISTS (
             SELECT FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
             WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = x.indexrelid
                 AND d.refobjid = $1 AND a.attname = $2)
         ORDER BY i.relname",
        &[&oid, &column],
    )?;
    let mut out = Vec::new();
    for row in rows {
        let index: u32 = row.get(0);
        if Some(index) == skip {
            continue;
        }
        let name: String = row.get(1);
        if let Some(what) = row.get::<_, Option<String>>(9) {
            return Ok(Err(format!(
                "index {name} holds {shown} and has {what}, which its copy on the new column would not have: drop it \
                 before the expand and re-create it after the switch"
            )));
        }
        if row.get::<_, bool>(5) {
            return Ok(Err(format!(
                "index {name} uses {shown} in an expression, which cannot be copied onto the new column: drop it before the expand and re-create it after the switch"
            )));
        }
        if name.len() + 4 > MAX_IDENTIFIER_BYTES {
            return Ok(Err(format!(
                "index {name} holds {shown}, and its copy would be named {name}_new, longer than {MAX_IDENTIFIER_BYTES} bytes: rename the index first"
            )));
        }
        // A predicate on the old column would tie the copy to it, and the contract would drop the copy.
        if row
            .get::<_, Option<String>>(6)
            .is_some_and(|p| mentions(&p, column))
        {
            return Ok(Err(format!(
                "partial index {name} uses {shown} in its predicate, which cannot be copied onto the new column: drop it before the expand and re-create it after the switch"
            )));
        }
        let key_count = usize::try_from(row.get::<_, i32>(4)).unwrap_or(0);
        let names: Vec<Option<String>> = row.get(7);
        let options: Vec<i32> = row.get::<_, Option<Vec<i32>>>(8).unwrap_or_default();
        let mut copy = IndexCopy::new(name.as_str(), &[]);
        copy.unique = row.get(2);
        copy.method = row.get(3);
        copy.predicate = row.get(6);
        for (i, attname) in names.into_iter().enumerate() {
            let Some(attname) = attname else {
                return Ok(Err(format!(
                    "index {name} has an expression, which cannot be copied onto the new column of {shown}"
                )));
            };
            if i < key_count {
                let option = options.get(i).copied().unwrap_or(0);
                let mut key = CopiedColumn::new(attname.as_str());
                key.descending = option & 1 != 0;
                key.nulls_first = option & 2 != 0;
                copy.columns.push(key);
            } else {
                copy.include.push(attname.as_str().into());
            }
        }
        out.push(copy);
    }
    Ok(Ok(out))
}

/// Whether `sql` names `column` (as a word, or quoted).
fn mentions(sql: &str, column: &str) -> bool {
    let quoted = migrate_dsl::ident(column);
    sql.contains(&quoted)
        || sql
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .any(|word| word == column)
}

/// A table as messages name it: `schema.table`, unquoted.
fn shown_table(table: &Name) -> String {
    match table.schema() {
        Some(schema) => format!("{}.{}", schema.as_str(), table.name().as_str()),
        None => table.name().as_str().to_owned(),
    }
}
