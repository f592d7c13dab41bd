//! The tables: their columns (types, collations, defaults, identity and generated expressions), the `CREATE
//! TABLE` statements themselves, and the columns' storage where it is not their type's.

use super::*;

pub(super) fn tables(tx: &mut Transaction<'_>, relation_filter: &str, out: &mut Out) -> Result<(), Error> {
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
        let mut sql = format!(
            "CREATE {}TABLE {}",
            if col(&row, 3) == "u" { "UNLOGGED " } else { "" },
            col(&row, 1)
        );
        if let Some(partition) = opt(&row, 6) {
            // `<parent> FOR VALUES ...`: the columns come from the parent.
            sql.push_str(&format!(" PARTITION OF {partition}"));
            if !columns.is_empty() {
                // Columns of its own cannot be added to a partition; the comparison reports it.
                sql = format!(
                    "{sql}; {}",
                    columns
                        .iter()
                        .map(|c| format!("ALTER TABLE {} ADD COLUMN {c}", col(&row, 1)))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
            }
        } else {
            sql.push_str(" (");
            if !columns.is_empty() {
                sql.push_str("\n    ");
                sql.push_str(&columns.join(",\n    "));
                sql.push('\n');
            }
            sql.push(')');
            if let Some(parents) = opt(&row, 7) {
                sql.push_str(&format!(" INHERITS ({parents})"));
            }
            if let Some(key) = opt(&row, 5) {
                sql.push_str(&format!(" PARTITION BY {key}"));
            }
        }
        if let Some(method) = opt(&row, 8) {
            sql.push_str(&format!(" USING {method}"));
        }
        if let Some(options) = opt(&row, 4).filter(|o| !o.is_empty()) {
            sql.push_str(&format!(" WITH ({options})"));
        }
        if let Some(tablespace) = opt(&row, 9) {
            sql.push_str(&format!(" TABLESPACE {tablespace}"));
        }
        out.push(sql);
    }
    for statement in storage {
        out.push(statement);
    }
    Ok(())
}
