//! The data side of a squash, read from the catalog and the tables: the rows of kept tables as `INSERT`
//! statements, the sequences' positions, and which tables hold rows at all.

use postgres::Transaction;

use super::query::{
    bookkeeping_filter, col, flag, literal, not_extension_member, query, user_schema,
};
use crate::error::Error;
use crate::history::MigrationsTable;

/// Rows per `INSERT` statement of kept data.
const ROWS_PER_INSERT: usize = 500;

/// `INSERT` statements recreating the rows of `schema.name` (of a table with children, its own rows only:
/// each child is a table of its own), in the order of their text.
pub(crate) fn rows(
    tx: &mut Transaction<'_>,
    schema: &str,
    name: &str,
) -> Result<Vec<String>, Error> {
    let found = query(
        tx,
        "kept table",
        &format!(
            "SELECT c.oid, pg_catalog.textin(pg_catalog.regclassout(c.oid::regclass)), c.relkind FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = {} AND c.relname = {} AND c.relkind IN ('r', 'p')",
            literal(schema),
            literal(name)
        ),
    )?;
    let Some(table) = found.first() else {
        return Err(Error::NoTableToKeep {
            schema: schema.to_owned(),
            name: name.to_owned(),
        });
    };
    let (oid, qualified) = (col(table, 0).to_owned(), col(table, 1).to_owned());
    // A partitioned table's rows are its partitions'; an inheritance parent's own rows are those of `ONLY`.
    let only = if col(table, 2) == "r" { "ONLY " } else { "" };
    let columns = query(
        tx,
        "kept table's columns",
        &format!(
            "SELECT quote_ident(a.attname), a.attidentity FROM pg_attribute a WHERE a.attrelid = {oid} \
             AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum"
        ),
    )?;
    let names: Vec<&str> = columns.iter().map(|c| col(c, 0)).collect();
    let overriding = if columns.iter().any(|c| col(c, 1) == "a") {
        " OVERRIDING SYSTEM VALUE"
    } else {
        ""
    };
    let values = names
        .iter()
        .map(|n| format!("quote_nullable({n})"))
        .collect::<Vec<_>>()
        .join(", ");
    let tuples = query(
        tx,
        "kept rows",
        &format!(
            "SELECT '(' || concat_ws(', ', {values}) || ')' AS t FROM {only}{qualified} ORDER BY 1"
        ),
    )?;
    let mut statements = Vec::new();
    for chunk in tuples.chunks(ROWS_PER_INSERT) {
        let rows: Vec<&str> = chunk.iter().map(|r| col(r, 0)).collect();
        statements.push(format!(
            "INSERT INTO {qualified} ({}){overriding} VALUES\n{}",
            names.join(", "),
            rows.join(",\n")
        ));
    }
    Ok(statements)
}

/// `setval` for every sequence (identity columns' included, the engine's own left out) that is not where a new
/// one starts: numbers a default or a kept row took stay taken, whichever table took them. In the order of
/// their names.
pub(crate) fn sequence_positions(
    tx: &mut Transaction<'_>,
    table: &MigrationsTable,
) -> Result<Vec<String>, Error> {
    let sql = format!(
        "SELECT pg_catalog.textin(pg_catalog.regclassout(c.oid::regclass)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid \
           AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') \
         LEFT JOIN pg_class tc ON tc.oid = d.refobjid \
         LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace \
         WHERE c.relkind = 'S' AND {} AND {} AND {} ORDER BY 1",
        user_schema("n"),
        not_extension_member("pg_class", "c.oid"),
        bookkeeping_filter(table, "tn.nspname", "tc.relname"),
    );
    let all = query(tx, "sequences", &sql)?;
    let mut statements = Vec::new();
    // One statement for many sequences: a round trip each adds up at thousands of them.
    for chunk in all.chunks(200) {
        let probe = chunk
            .iter()
            .map(|s| {
                format!(
                    "SELECT {}, pg_catalog.textin(pg_catalog.int8out(s.last_value)), s.is_called, s.last_value = q.seqstart \
                     FROM {} s, pg_sequence q WHERE q.seqrelid = {}::regclass",
                    literal(col(s, 0)),
                    col(s, 0),
                    literal(col(s, 0))
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        for row in query(tx, "sequence positions", &format!("{probe} ORDER BY 1"))? {
            // Never used: a new sequence starts there anyway.
            if !flag(&row, 2) && flag(&row, 3) {
                continue;
            }
            statements.push(format!(
                "SELECT pg_catalog.setval({}, {}, {})",
                literal(col(&row, 0)),
                col(&row, 1),
                flag(&row, 2)
            ));
        }
    }
    Ok(statements)
}

/// User tables (not partitioned parents, whose rows are in their partitions) that hold at least one row of
/// their own (an inheritance parent's children are tables of their own).
pub(crate) fn tables_with_rows(
    tx: &mut Transaction<'_>,
    table: &MigrationsTable,
) -> Result<Vec<String>, Error> {
    let sql = format!(
        "SELECT pg_catalog.textin(pg_catalog.regclassout(c.oid::regclass)), quote_ident(n.nspname), quote_ident(c.relname) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind = 'r' AND {} AND {} AND {} ORDER BY 1",
        user_schema("n"),
        bookkeeping_filter(table, "n.nspname", "c.relname"),
        not_extension_member("pg_class", "c.oid")
    );
    let mut found = Vec::new();
    let all = query(tx, "tables", &sql)?;
    // One statement for all tables: a round trip per table adds up at thousands of tables.
    for chunk in all.chunks(200) {
        let probe = chunk
            .iter()
            .map(|t| {
                format!(
                    "SELECT {} WHERE EXISTS (SELECT 1 FROM ONLY {})",
                    literal(col(t, 0)),
                    col(t, 0)
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        for row in query(tx, "tables with rows", &probe)? {
            found.push(col(&row, 0).to_owned());
        }
    }
    found.sort();
    Ok(found)
}
