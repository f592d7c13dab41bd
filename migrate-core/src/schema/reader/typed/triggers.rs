//! The queries of triggers and rules: one each, for every relation in a user's schema but the engine's
//! bookkeeping, an extension's too (the SQL has always written theirs). A trigger or rule of one of the
//! model's tables goes on the table; the others' go into [`Model::triggers_and_rules`], with what each use
//! needs to tell them apart (the relation's kind, whether it is an extension's).

use postgres::Transaction;

use super::super::query::{
    col, flag, not_extension_member, qualified, query, Row,
};
use super::{letter, list, names_of, number, oid, owned, qname, Tables, SEP};
use crate::error::Error;
use crate::history::MigrationsTable;
use crate::schema::model::{Model, Rule, Table, Trigger, TriggersAndRules};

/// The columns after these queries' own that say where a row's relation is: its schema and name (raw),
/// its quoted name, its kind and whether it is an extension's member.
fn relation_columns() -> String {
    format!(
        "n.nspname, c.relname, {}, c.relkind, NOT ({})",
        qualified("n.nspname", "c.relname"),
        not_extension_member("pg_class", "c.oid")
    )
}

/// Where a row of a relation that is not one of the model's tables goes (`first`: the index of
/// [`relation_columns`]' first column).
fn other<'m>(model: &'m mut Model, row: &Row, first: usize) -> &'m mut TriggersAndRules {
    model
        .triggers_and_rules
        .entry(qname(row, first))
        .or_insert_with(|| TriggersAndRules {
            quoted: col(row, first + 2).to_owned(),
            kind: letter(row, first + 3),
            extension_member: flag(row, first + 4),
            ..TriggersAndRules::default()
        })
}

/// The table whose own lines and statements carry a trigger or rule: one of the model's tables but an
/// extension's. An extension's tables' and foreign tables' triggers and rules are kept with the other
/// relations' ([`Model::triggers_and_rules`]), where the description leaves out an extension's and the SQL
/// writes them as it always has.
fn own_table<'m>(model: &'m mut Model, tables: &Tables, oid: &str) -> Option<&'m mut Table> {
    let name = tables.get(oid)?;
    model.tables.get_mut(name).filter(|table| !table.of_extension)
}

/// Triggers other than PostgreSQL's internal ones (a foreign key's, which the constraint stands for), and
/// those internal ones that have a comment (the SQL has always set it).
pub(super) fn triggers(
    tx: &mut Transaction<'_>,
    table: &MigrationsTable,
    tables: &Tables,
    model: &mut Model,
) -> Result<(), Error> {
    let sql = format!(
        "SELECT t.tgrelid, t.tgname, fn.nspname, f.proname, t.tgtype, {}, pg_get_triggerdef(t.oid), \
           array_to_string(ARRAY(SELECT a FROM \
             unnest(string_to_array(encode(t.tgargs, 'escape'), '\\000')) a WHERE a <> ''), {SEP}), \
           obj_description(t.oid, 'pg_trigger'), quote_ident(t.tgname), t.tgenabled, t.tgparentid <> 0, \
           t.tgisinternal, t.oid, {} \
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_proc f ON f.oid = t.tgfoid JOIN pg_namespace fn ON fn.oid = f.pronamespace \
         WHERE (NOT t.tgisinternal OR obj_description(t.oid, 'pg_trigger') IS NOT NULL) AND {}",
        names_of("t.tgrelid", "t.tgattr::int2[]"),
        relation_columns(),
        super::with_extensions(table),
    );
    for row in query(tx, "triggers", &sql)? {
        let tgtype = number(&row, 4);
        let timing = if tgtype & 64 != 0 {
            "instead_of"
        } else if tgtype & 2 != 0 {
            "before"
        } else {
            "after"
        };
        let events = [(4, "on_insert"), (16, "on_update"), (8, "on_delete"), (32, "on_truncate")]
            .into_iter()
            .filter(|(bit, _)| tgtype & bit != 0)
            .map(|(_, event)| event)
            .collect();
        let definition = col(&row, 6).to_owned();
        let when = definition.find(" WHEN (").and_then(|start| {
            let end = definition.rfind(") EXECUTE ")?;
            Some(definition[start + " WHEN (".len()..end].to_owned())
        });
        let trigger = Trigger {
            function: qname(&row, 2),
            timing,
            events,
            update_columns: list(&row, 5),
            for_each_row: tgtype & 1 != 0,
            when,
            arguments: list(&row, 7),
            definition,
            comment: owned(&row, 8),
            quoted: col(&row, 9).to_owned(),
            enabled: letter(&row, 10),
            inherited: flag(&row, 11),
            internal: flag(&row, 12),
            created: oid(&row, 13),
        };
        let name = col(&row, 1).to_owned();
        match own_table(model, tables, col(&row, 0)) {
            // A table's own triggers are what `diff` compares.
            Some(table) if trigger.created_by_sql() => {
                table.triggers.insert(name, trigger);
            }
            Some(table) => {
                table.other_triggers.insert(name, trigger);
            }
            None => {
                other(model, &row, 14).triggers.insert(name, trigger);
            }
        }
    }
    Ok(())
}

/// Rules other than a view's own (`_RETURN`, which is the view's query).
pub(super) fn rules(
    tx: &mut Transaction<'_>,
    table: &MigrationsTable,
    tables: &Tables,
    model: &mut Model,
) -> Result<(), Error> {
    let sql = format!(
        "SELECT r.ev_class, r.rulename, pg_get_ruledef(r.oid), r.oid, {} \
         FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE r.rulename <> '_RETURN' AND {}",
        relation_columns(),
        super::with_extensions(table),
    );
    for row in query(tx, "rules", &sql)? {
        let rule = Rule {
            definition: col(&row, 2).to_owned(),
            created: oid(&row, 3),
        };
        let name = col(&row, 1).to_owned();
        match own_table(model, tables, col(&row, 0)) {
            Some(table) => {
                table.rules.insert(name, rule);
            }
            None => {
                other(model, &row, 4).rules.insert(name, rule);
            }
        }
    }
    Ok(())
}
