//! The tables: their columns (types, collations, defaults, identity and generated expressions), the `CREATE
//! TABLE` statements themselves, and the columns' storage where it is not their type's.

use super::*;

/// The tables in the order they were created, each with the columns it defines itself (those it inherits come
/// from its parents), then the columns' storage where it is not their type's.
pub(super) fn tables(tx: &mut Transaction<'_>, relation_filter: &str, out: &mut Out) -> Result<(), Error> {
    let Columns {
        mut by_table,
        storage,
    } = columns(tx, relation_filter)?;
    let sql = format!(
        "SELECT c.oid, pg_catalog.textin(pg_catalog.regclassout(c.oid::regclass)), c.relkind, c.relpersistence, array_to_string(c.reloptions, ', '), \
         CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, \
         CASE WHEN c.relispartition THEN (SELECT pg_catalog.textin(pg_catalog.regclassout(i.inhparent::regclass)) FROM pg_inherits i \
           WHERE i.inhrelid = c.oid) || ' ' || pg_get_expr(c.relpartbound, c.oid) END, \
         CASE WHEN NOT c.relispartition THEN (SELECT string_agg(pg_catalog.textin(pg_catalog.regclassout(i.inhparent::regclass)), ', ' \
           ORDER BY i.inhseqno) FROM pg_inherits i WHERE i.inhrelid = c.oid) END, \
         (SELECT quote_ident(am.amname) FROM pg_am am WHERE am.oid = c.relam AND am.amname <> 'heap'), \
         (SELECT quote_ident(ts.spcname) FROM pg_tablespace ts WHERE ts.oid = c.reltablespace) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND {relation_filter} AND {} ORDER BY c.oid",
        not_extension_member("pg_class", "c.oid")
    );
    for row in query(tx, "tables", &sql)? {
        let columns = by_table.remove(col(&row, 0)).unwrap_or_default();
        out.push(create_table(&row, &columns));
    }
    for statement in storage {
        out.push(statement);
    }
    Ok(())
}

/// What the columns query gives: the definitions of the columns each table defines itself, by the table's
/// oid, and an `ALTER TABLE ... SET STORAGE` for each column whose storage is not its type's.
struct Columns {
    by_table: HashMap<String, Vec<String>>,
    storage: Vec<String>,
}

/// The columns of the tables `relation_filter` selects, as [`Columns`].
fn columns(tx: &mut Transaction<'_>, relation_filter: &str) -> Result<Columns, Error> {
    let columns = format!(
        "SELECT a.attrelid, quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod) \
         || CASE WHEN a.attcollation <> t.typcollation THEN ' COLLATE ' || quote_ident(cn.nspname) || '.' \
              || quote_ident(co.collname) ELSE '' END \
         || CASE WHEN a.attgenerated = 's' THEN ' GENERATED ALWAYS AS (' || pg_get_expr(ad.adbin, ad.adrelid) || ') STORED' \
                 WHEN a.attgenerated = 'v' THEN ' GENERATED ALWAYS AS (' || pg_get_expr(ad.adbin, ad.adrelid) || ') VIRTUAL' \
                 WHEN ad.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid) ELSE '' END \
         || CASE WHEN a.attidentity IN ('a', 'd') THEN \
              ' GENERATED ' || CASE a.attidentity WHEN 'a' THEN 'ALWAYS' ELSE 'BY DEFAULT' END || ' AS IDENTITY' \
              || coalesce((SELECT ' (SEQUENCE NAME ' || pg_catalog.textin(pg_catalog.regclassout(s.seqrelid::regclass)) || ' START WITH ' || pg_catalog.textin(pg_catalog.int8out(s.seqstart)) \
                 || ' INCREMENT BY ' || pg_catalog.textin(pg_catalog.int8out(s.seqincrement)) || ' MINVALUE ' || pg_catalog.textin(pg_catalog.int8out(s.seqmin)) || ' MAXVALUE ' || pg_catalog.textin(pg_catalog.int8out(s.seqmax)) \
                 || ' CACHE ' || pg_catalog.textin(pg_catalog.int8out(s.seqcache)) || CASE WHEN s.seqcycle THEN ' CYCLE' ELSE '' END || ')' \
                 FROM pg_depend d JOIN pg_sequence s ON s.seqrelid = d.objid \
                 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass \
                 AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum AND d.deptype = 'i'), '') \
            ELSE '' END \
         || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END, \
         a.attislocal, \
         CASE WHEN a.attstorage <> t.typstorage THEN 'ALTER TABLE ' || pg_catalog.textin(pg_catalog.regclassout(c.oid::regclass)) \
           || ' ALTER COLUMN ' || quote_ident(a.attname) || ' SET STORAGE ' \
           || CASE a.attstorage WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' \
              ELSE 'EXTENDED' END END \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
         LEFT JOIN pg_collation co ON co.oid = a.attcollation \
         LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') \
         AND {relation_filter} ORDER BY a.attrelid, a.attnum"
    );
    let mut by_table: HashMap<String, Vec<String>> = HashMap::new();
    let mut storage = Vec::new();
    for row in query(tx, "columns", &columns)? {
        if flag(&row, 2) {
            by_table
                .entry(col(&row, 0).to_owned())
                .or_default()
                .push(col(&row, 1).to_owned());
        }
        if let Some(statement) = opt(&row, 3) {
            storage.push(statement.to_owned());
        }
    }
    Ok(Columns { by_table, storage })
}

/// The `CREATE TABLE` of `row` (of the tables query), with `columns` the definitions of its own columns.
fn create_table(row: &Row, columns: &[String]) -> String {
    let mut sql = format!(
        "CREATE {}TABLE {}",
        if col(row, 3) == "u" { "UNLOGGED " } else { "" },
        col(row, 1)
    );
    if let Some(partition) = opt(row, 6) {
        partition_of(&mut sql, col(row, 1), partition, columns);
    } else {
        own_columns(&mut sql, row, columns);
    }
    if let Some(method) = opt(row, 8) {
        sql.push_str(&format!(" USING {method}"));
    }
    if let Some(options) = opt(row, 4).filter(|o| !o.is_empty()) {
        sql.push_str(&format!(" WITH ({options})"));
    }
    if let Some(tablespace) = opt(row, 9) {
        sql.push_str(&format!(" TABLESPACE {tablespace}"));
    }
    sql
}

/// A partition of `partition` (`<parent> FOR VALUES ...`): the columns come from the parent.
fn partition_of(sql: &mut String, table: &str, partition: &str, columns: &[String]) {
    sql.push_str(&format!(" PARTITION OF {partition}"));
    if !columns.is_empty() {
        // Columns of its own cannot be added to a partition; the comparison reports it.
        *sql = format!(
            "{sql}; {}",
            columns
                .iter()
                .map(|c| format!("ALTER TABLE {table} ADD COLUMN {c}"))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
}

/// The column list of a table that is not a partition, one column a line, then its parents and its
/// partition key.
fn own_columns(sql: &mut String, row: &Row, columns: &[String]) {
    sql.push_str(" (");
    if !columns.is_empty() {
        sql.push_str("\n    ");
        sql.push_str(&columns.join(",\n    "));
        sql.push('\n');
    }
    sql.push(')');
    if let Some(parents) = opt(row, 7) {
        sql.push_str(&format!(" INHERITS ({parents})"));
    }
    if let Some(key) = opt(row, 5) {
        sql.push_str(&format!(" PARTITION BY {key}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row of the tables query: oid, name, kind, persistence, options, partition key, partition bound,
    /// parents, access method, tablespace.
    fn row(fields: [Option<&str>; 10]) -> Row {
        fields.iter().map(|f| f.map(str::to_owned)).collect()
    }

    fn columns() -> Vec<String> {
        vec!["id bigint NOT NULL".to_owned(), "body text".to_owned()]
    }

    /// A table lists its columns one a line, then its parents, its partition key, its access method, its
    /// options and its tablespace.
    #[test]
    fn a_table_is_created_with_its_columns_and_what_it_is_stored_with() {
        let partitioned = row([
            Some("1"),
            Some("public.events"),
            Some("p"),
            Some("u"),
            Some("fillfactor=70"),
            Some("RANGE (id)"),
            None,
            Some("public.base"),
            Some("columnar"),
            Some("fast"),
        ]);
        assert_eq!(
            create_table(&partitioned, &columns()),
            "CREATE UNLOGGED TABLE public.events (\n    id bigint NOT NULL,\n    body text\n) \
             INHERITS (public.base) PARTITION BY RANGE (id) USING columnar WITH (fillfactor=70) TABLESPACE fast"
        );
        let plain = row([
            Some("2"),
            Some("public.empty"),
            Some("r"),
            Some("p"),
            Some(""),
            None,
            None,
            None,
            None,
            None,
        ]);
        assert_eq!(create_table(&plain, &[]), "CREATE TABLE public.empty ()");
    }

    /// A partition takes its columns from its parent; one of its own is added after it (and the comparison
    /// of the schemas reports it).
    #[test]
    fn a_partition_is_created_of_its_parent() {
        let partition = row([
            Some("3"),
            Some("public.events_2026"),
            Some("r"),
            Some("p"),
            None,
            None,
            Some("public.events FOR VALUES FROM (1) TO (100)"),
            None,
            None,
            None,
        ]);
        assert_eq!(
            create_table(&partition, &[]),
            "CREATE TABLE public.events_2026 PARTITION OF public.events FOR VALUES FROM (1) TO (100)"
        );
        assert_eq!(
            create_table(&partition, &columns()[1..]),
            "CREATE TABLE public.events_2026 PARTITION OF public.events FOR VALUES FROM (1) TO (100); \
             ALTER TABLE public.events_2026 ADD COLUMN body text"
        );
    }
}
