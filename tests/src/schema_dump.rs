//! The schema dump `TestDb::schema` compares: every user object, read from the catalogs and written
//! in a stable order, so two databases built different ways can be compared as text.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use postgres::Client;

use crate::{not_extension_member, query_text, quote_ident, user_schema_filter};

type Row = Vec<Option<String>>;
type Key = (String, String);

/// A view's query with the columns of the relations it reads written without their relation's name
/// (`people.id` as `id`): PostgreSQL 16 and newer print them so where that is unambiguous, older majors
/// always qualify them, and the dump must read the same on every supported major.
pub(crate) fn unqualify_columns(definition: &str, relations: &[&str]) -> String {
    let mut out = definition.to_owned();
    for relation in relations {
        for prefix in [
            format!("{relation}."),
            format!("{}.", quote_ident(relation)),
        ] {
            let mut result = String::with_capacity(out.len());
            let mut rest = out.as_str();
            while let Some(at) = rest.find(&prefix) {
                let before = rest[..at].chars().last().or_else(|| result.chars().last());
                let part_of_name =
                    before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '"');
                result.push_str(&rest[..at]);
                if part_of_name {
                    result.push_str(&prefix);
                }
                rest = &rest[at + prefix.len()..];
            }
            result.push_str(rest);
            out = result;
        }
    }
    out
}

fn col(row: &Row, i: usize) -> &str {
    row[i].as_deref().unwrap_or("")
}

fn opt(row: &Row, i: usize) -> Option<&str> {
    row[i].as_deref()
}

fn flag(row: &Row, i: usize) -> bool {
    col(row, i) == "t"
}

fn key(row: &Row) -> Key {
    (col(row, 0).to_owned(), col(row, 1).to_owned())
}

/// Multi-line text (a function body, a view) indented under its header.
fn block(text: &str, indent: &str) -> String {
    let mut out = String::new();
    for line in text.trim_end().lines() {
        out.push_str(indent);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[derive(Default)]
struct Relation {
    kind: String,
    header: Vec<String>,
    columns: Vec<String>,
    constraints: Vec<(String, String)>,
    indexes: Vec<String>,
    triggers: Vec<String>,
    policies: Vec<String>,
    comments: Vec<String>,
    definition: Option<String>,
}

pub(crate) fn dump_schema(client: &mut Client, excluded: &BTreeSet<Key>) -> String {
    let mut out = String::new();
    write_types(client, &mut out);
    let mut relations = read_relations(client, excluded);
    read_relation_parts(client, &mut relations);
    write_relations(&mut relations, &mut out);
    write_sequences(client, excluded, &mut out);
    write_functions(client, &mut out);
    out
}

/// Schemas, extensions, enum types and domains.
fn write_types(client: &mut Client, out: &mut String) {
    let user = |alias: &str| user_schema_filter(alias);
    // Schemas.
    let mut schemas = query_text(
        client,
        &format!(
            "SELECT n.nspname, obj_description(n.oid, 'pg_namespace') FROM pg_namespace n WHERE {}",
            user("n")
        ),
    );
    schemas.sort();
    for row in &schemas {
        let _ = write!(out, "schema {}", col(row, 0));
        if let Some(comment) = opt(row, 1) {
            let _ = write!(out, " comment {comment:?}");
        }
        out.push('\n');
    }

    // Extensions.
    let mut extensions = query_text(
        client,
        "SELECT e.extname, e.extversion, n.nspname FROM pg_extension e \
         JOIN pg_namespace n ON n.oid = e.extnamespace",
    );
    extensions.sort();
    for row in &extensions {
        let _ = writeln!(
            out,
            "extension {} version {} schema {}",
            col(row, 0),
            col(row, 1),
            col(row, 2)
        );
    }

    // Enum types.
    let mut enums = query_text(
        client,
        &format!(
            "SELECT n.nspname, t.typname, \
             (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) \
              FROM pg_enum e WHERE e.enumtypid = t.oid), \
             obj_description(t.oid, 'pg_type') \
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
             WHERE t.typtype = 'e' AND {} AND {}",
            user("n"),
            not_extension_member("pg_type", "t.oid")
        ),
    );
    enums.sort();
    for row in &enums {
        let _ = writeln!(
            out,
            "enum {}.{} ({})",
            col(row, 0),
            col(row, 1),
            col(row, 2)
        );
        if let Some(comment) = opt(row, 3) {
            let _ = writeln!(out, "  comment {comment:?}");
        }
    }

    // Domains.
    let mut domains = query_text(
        client,
        &format!(
            "SELECT n.nspname, t.typname, format_type(t.typbasetype, t.typtypmod), t.typnotnull, \
             t.typdefault, \
             (SELECT string_agg(c.conname || ' ' || pg_get_constraintdef(c.oid), chr(10) ORDER BY c.conname) \
              FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype <> 'n'), \
             obj_description(t.oid, 'pg_type') \
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
             WHERE t.typtype = 'd' AND {} AND {}",
            user("n"),
            not_extension_member("pg_type", "t.oid")
        ),
    );
    domains.sort();
    for row in &domains {
        let _ = write!(
            out,
            "domain {}.{} {}",
            col(row, 0),
            col(row, 1),
            col(row, 2)
        );
        if flag(row, 3) {
            out.push_str(" not null");
        }
        if let Some(default) = opt(row, 4) {
            let _ = write!(out, " default {default}");
        }
        out.push('\n');
        if let Some(constraints) = opt(row, 5) {
            for constraint in constraints.lines() {
                let _ = writeln!(out, "  constraint {constraint}");
            }
        }
        if let Some(comment) = opt(row, 6) {
            let _ = writeln!(out, "  comment {comment:?}");
        }
    }
}

/// Relations (and standalone composite types) with their columns, less those `excluded`.
fn read_relations(client: &mut Client, excluded: &BTreeSet<Key>) -> BTreeMap<Key, Relation> {
    let user = |alias: &str| user_schema_filter(alias);
    // Relations (and standalone composite types, which share the column code).
    let relations_sql = format!(
        "SELECT n.nspname, c.relname, c.relkind, c.relpersistence, c.relrowsecurity, \
         c.relforcerowsecurity, array_to_string(c.reloptions, ', '), \
         CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, \
         CASE WHEN c.relispartition THEN \
           (SELECT pn.nspname || '.' || pc.relname FROM pg_inherits i \
            JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
            WHERE i.inhrelid = c.oid) || ' ' || pg_get_expr(c.relpartbound, c.oid) END, \
         CASE WHEN NOT c.relispartition THEN \
           (SELECT string_agg(pn.nspname || '.' || pc.relname, ', ' ORDER BY i.inhseqno) \
            FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent \
            JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid) END, \
         CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END, \
         obj_description(c.oid, 'pg_class'), \
         (SELECT string_agg(DISTINCT dc.relname, chr(10)) FROM pg_rewrite r \
            JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid \
            JOIN pg_class dc ON dc.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass \
          WHERE r.ev_class = c.oid AND d.refobjid <> c.oid) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'c') AND {} AND {} \
         AND (c.relkind <> 'c' OR EXISTS (SELECT 1 FROM pg_type t WHERE t.typrelid = c.oid AND t.typtype = 'c'))",
        user("n"),
        not_extension_member("pg_class", "c.oid")
    );
    let mut relations: BTreeMap<Key, Relation> = BTreeMap::new();
    for row in query_text(client, &relations_sql) {
        let k = key(&row);
        if excluded.contains(&k) {
            continue;
        }
        let kind = match col(&row, 2) {
            "r" => "table",
            "p" => "partitioned table",
            "f" => "foreign table",
            "v" => "view",
            "m" => "materialized view",
            "c" => "type",
            other => other,
        };
        let mut rel = Relation {
            kind: kind.to_owned(),
            ..Relation::default()
        };
        if col(&row, 3) == "u" {
            rel.header.push("unlogged".to_owned());
        }
        if flag(&row, 4) {
            rel.header.push("row level security enabled".to_owned());
        }
        if flag(&row, 5) {
            rel.header.push("row level security forced".to_owned());
        }
        if let Some(options) = opt(&row, 6).filter(|o| !o.is_empty()) {
            rel.header.push(format!("with ({options})"));
        }
        if let Some(key) = opt(&row, 7) {
            rel.header.push(format!("partition by {key}"));
        }
        if let Some(parent) = opt(&row, 8) {
            rel.header.push(format!("partition of {parent}"));
        }
        if let Some(parents) = opt(&row, 9) {
            rel.header.push(format!("inherits {parents}"));
        }
        rel.definition = opt(&row, 10).map(|definition| {
            let read: Vec<&str> = opt(&row, 12).map_or_else(Vec::new, |r| r.lines().collect());
            unqualify_columns(definition, &read)
        });
        if let Some(comment) = opt(&row, 11) {
            rel.comments.push(format!("comment {comment:?}"));
        }
        relations.insert(k, rel);
    }

    // Columns, in ordinal order (the query's ORDER BY; rows are appended).
    let columns_sql = format!(
        "SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), \
         a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated, \
         CASE WHEN a.attcollation <> t.typcollation THEN co.collname END, \
         col_description(c.oid, a.attnum) \
         FROM pg_attribute a \
         JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
         LEFT JOIN pg_collation co ON co.oid = a.attcollation \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'c') \
         AND {} ORDER BY n.nspname, c.relname, a.attnum",
        user("n")
    );
    for row in query_text(client, &columns_sql) {
        let Some(rel) = relations.get_mut(&key(&row)) else {
            continue;
        };
        let name = col(&row, 2);
        let mut line = format!("column {name} {}", col(&row, 3));
        if let Some(collation) = opt(&row, 8) {
            let _ = write!(line, " collate {collation}");
        }
        if flag(&row, 4) {
            line.push_str(" not null");
        }
        let generated = col(&row, 7);
        match (opt(&row, 5), generated) {
            (Some(expr), "s") => {
                let _ = write!(line, " generated always as ({expr}) stored");
            }
            (Some(expr), _) => {
                let _ = write!(line, " default {expr}");
            }
            (None, _) => {}
        }
        match col(&row, 6) {
            "a" => line.push_str(" generated always as identity"),
            "d" => line.push_str(" generated by default as identity"),
            _ => {}
        }
        rel.columns.push(line);
        if let Some(comment) = opt(&row, 9) {
            rel.comments
                .push(format!("comment on column {name} {comment:?}"));
        }
    }
    relations
}

/// What hangs on the relations read: constraints, indexes, triggers and policies.
fn read_relation_parts(client: &mut Client, relations: &mut BTreeMap<Key, Relation>) {
    let user = |alias: &str| user_schema_filter(alias);
    // Constraints (NOT NULL constraints, catalogued from PostgreSQL 18 on,
    // are already shown on their columns).
    let constraints_sql = format!(
        "SELECT n.nspname, c.relname, con.conname, pg_get_constraintdef(con.oid), \
         obj_description(con.oid, 'pg_constraint') \
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE con.contype <> 'n' AND {}",
        user("n")
    );
    for row in query_text(client, &constraints_sql) {
        let Some(rel) = relations.get_mut(&key(&row)) else {
            continue;
        };
        rel.constraints
            .push((col(&row, 2).to_owned(), col(&row, 3).to_owned()));
        if let Some(comment) = opt(&row, 4) {
            rel.comments.push(format!(
                "comment on constraint {} {comment:?}",
                col(&row, 2)
            ));
        }
    }

    // Indexes.
    let indexes_sql = format!(
        "SELECT n.nspname, c.relname, pg_get_indexdef(i.indexrelid), \
         obj_description(i.indexrelid, 'pg_class') \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {}",
        user("n")
    );
    for row in query_text(client, &indexes_sql) {
        let Some(rel) = relations.get_mut(&key(&row)) else {
            continue;
        };
        let mut line = format!("index {}", col(&row, 2));
        if let Some(comment) = opt(&row, 3) {
            let _ = write!(line, " comment {comment:?}");
        }
        rel.indexes.push(line);
    }

    // User triggers (foreign-key enforcement triggers are internal).
    let triggers_sql = format!(
        "SELECT n.nspname, c.relname, pg_get_triggerdef(tg.oid), \
         obj_description(tg.oid, 'pg_trigger'), tg.tgenabled \
         FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT tg.tgisinternal AND {}",
        user("n")
    );
    for row in query_text(client, &triggers_sql) {
        let Some(rel) = relations.get_mut(&key(&row)) else {
            continue;
        };
        let mut line = format!("trigger {}", col(&row, 2));
        match col(&row, 4) {
            "O" => {}
            "D" => line.push_str(" (disabled)"),
            "R" => line.push_str(" (enabled replica)"),
            "A" => line.push_str(" (enabled always)"),
            other => {
                let _ = write!(line, " (tgenabled {other})");
            }
        }
        if let Some(comment) = opt(&row, 3) {
            let _ = write!(line, " comment {comment:?}");
        }
        rel.triggers.push(line);
    }

    // Row-level-security policies.
    let policies_sql = format!(
        "SELECT n.nspname, c.relname, p.polname, p.polcmd, p.polpermissive, \
         CASE WHEN p.polroles = '{{0}}' THEN 'public' ELSE \
           (SELECT string_agg(r.rolname, ', ' ORDER BY r.rolname) FROM pg_roles r \
            WHERE r.oid = ANY (p.polroles)) END, \
         pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid) \
         FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {}",
        user("n")
    );
    for row in query_text(client, &policies_sql) {
        let Some(rel) = relations.get_mut(&key(&row)) else {
            continue;
        };
        let cmd = match col(&row, 3) {
            "r" => "select",
            "a" => "insert",
            "w" => "update",
            "d" => "delete",
            _ => "all",
        };
        let mut line = format!(
            "policy {} {} for {cmd} to {}",
            col(&row, 2),
            if flag(&row, 4) {
                "permissive"
            } else {
                "restrictive"
            },
            col(&row, 5)
        );
        if let Some(qual) = opt(&row, 6) {
            let _ = write!(line, " using ({qual})");
        }
        if let Some(check) = opt(&row, 7) {
            let _ = write!(line, " with check ({check})");
        }
        rel.policies.push(line);
    }
}

/// The relations, in the dump's order.
fn write_relations(relations: &mut BTreeMap<Key, Relation>, out: &mut String) {
    // Composite types first, then tables, views, materialized views; each
    // group by schema and name.
    let rank = |kind: &str| match kind {
        "type" => 0,
        "view" => 2,
        "materialized view" => 3,
        _ => 1,
    };
    let mut ordered: Vec<(&Key, &mut Relation)> = relations.iter_mut().collect();
    ordered.sort_by(|(ka, ra), (kb, rb)| (rank(&ra.kind), *ka).cmp(&(rank(&rb.kind), *kb)));
    for ((schema, name), rel) in ordered {
        let _ = write!(out, "{} {schema}.{name}", rel.kind);
        for item in &rel.header {
            let _ = write!(out, " {item}");
        }
        out.push('\n');
        if let Some(definition) = &rel.definition {
            out.push_str("  as\n");
            out.push_str(&block(definition, "    "));
        }
        for line in &rel.columns {
            let _ = writeln!(out, "  {line}");
        }
        rel.constraints.sort();
        for (name, def) in &rel.constraints {
            let _ = writeln!(out, "  constraint {name} {def}");
        }
        rel.indexes.sort();
        rel.triggers.sort();
        rel.policies.sort();
        rel.comments.sort();
        for line in rel
            .indexes
            .iter()
            .chain(&rel.triggers)
            .chain(&rel.policies)
            .chain(&rel.comments)
        {
            let _ = writeln!(out, "  {line}");
        }
    }
}

/// Sequences, with the column that owns each (none of those `excluded`).
fn write_sequences(client: &mut Client, excluded: &BTreeSet<Key>, out: &mut String) {
    let user = |alias: &str| user_schema_filter(alias);
    // Sequences (with the column that owns them, if any).
    let sequences_sql = format!(
        "SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, \
         s.seqmin, s.seqmax, s.seqcache, s.seqcycle, tn.nspname, tc.relname, ta.attname, d.deptype, \
         obj_description(c.oid, 'pg_class') \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_sequence s ON s.seqrelid = c.oid \
         LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid \
           AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') \
         LEFT JOIN pg_class tc ON tc.oid = d.refobjid \
         LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace \
         LEFT JOIN pg_attribute ta ON ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid \
         WHERE c.relkind = 'S' AND {} AND {}",
        user("n"),
        not_extension_member("pg_class", "c.oid")
    );
    let mut sequences = query_text(client, &sequences_sql);
    sequences.sort();
    for row in &sequences {
        if let (Some(owner_schema), Some(owner_table)) = (opt(row, 9), opt(row, 10)) {
            if excluded.contains(&(owner_schema.to_owned(), owner_table.to_owned())) {
                continue;
            }
        }
        let _ = write!(
            out,
            "sequence {}.{} as {} start {} increment {} min {} max {} cache {}",
            col(row, 0),
            col(row, 1),
            col(row, 2),
            col(row, 3),
            col(row, 4),
            col(row, 5),
            col(row, 6),
            col(row, 7)
        );
        if flag(row, 8) {
            out.push_str(" cycle");
        }
        if let (Some(schema), Some(table)) = (opt(row, 9), opt(row, 10)) {
            let _ = write!(out, " owned by {schema}.{table}");
            if let Some(column) = opt(row, 11) {
                let _ = write!(out, ".{column}");
            }
            if col(row, 12) == "i" {
                out.push_str(" (identity)");
            }
        }
        out.push('\n');
        if let Some(comment) = opt(row, 13) {
            let _ = writeln!(out, "  comment {comment:?}");
        }
    }
}

/// Functions, procedures and aggregates.
fn write_functions(client: &mut Client, out: &mut String) {
    let user = |alias: &str| user_schema_filter(alias);
    // Functions, procedures, aggregates.
    let functions_sql = format!(
        "SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), p.prokind, \
         CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END, \
         obj_description(p.oid, 'pg_proc') \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {} AND {}",
        user("n"),
        not_extension_member("pg_proc", "p.oid")
    );
    let mut functions = query_text(client, &functions_sql);
    functions.sort();
    for row in &functions {
        let kind = match col(row, 3) {
            "p" => "procedure",
            "a" => "aggregate",
            "w" => "window function",
            _ => "function",
        };
        let _ = writeln!(
            out,
            "{kind} {}.{}({})",
            col(row, 0),
            col(row, 1),
            col(row, 2)
        );
        if let Some(definition) = opt(row, 4) {
            out.push_str(&block(definition, "    "));
        }
        if let Some(comment) = opt(row, 5) {
            let _ = writeln!(out, "  comment {comment:?}");
        }
    }
}
