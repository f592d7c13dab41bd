//! The SQL of an online rename, phase by phase. What depends on the old column (its type, collation,
//! `NOT NULL` and default) is read from the catalog by the statements themselves, in `DO` blocks: the
//! builder never touches the database, and the reviewer sees where each property comes from.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{quote_ident, quote_name};
use crate::ops::online::Retype;
use crate::ops::{OnlinePhase, RenameColumnOnline};
use crate::quote::literal;
use crate::render::Render;

/// The dollar quote of the `DO` blocks; the trigger function's body uses `$$`.
const TAG: &str = "$migrate$";

impl Render for RenameColumnOnline {
    // The backfills (the expand's, and the contract's `down`'s copy back into the old column) commit batch by
    // batch.
    fn outside_transaction(&self) -> bool {
        matches!(self.phase, OnlinePhase::Expand | OnlinePhase::UndoContract)
    }

    // The contract: the check is validated in a transaction of its own (so a lock timeout retries only the
    // scan, and no exclusive lock is held during it), and the exclusive part comes after it.
    fn starts_transaction(&self, index: usize) -> bool {
        self.phase == OnlinePhase::Contract && (index == 1 || index == 2)
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.ident(&self.from, "column")?;
        ctx.ident(&self.to, "new column")?;
        if self.from == self.to {
            return Err(ctx.invalid("the column's new name is its old name"));
        }
        if let Some(retype) = &self.retype {
            if retype.new_type.trim().is_empty() {
                return Err(ctx.invalid("empty new type"));
            }
            let blank = |e: &Option<String>| e.as_deref().is_some_and(|e| e.trim().is_empty());
            if blank(&retype.using) || blank(&retype.back) || blank(&retype.old_type) {
                return Err(ctx.invalid("an empty `using`, `back` or `old_type`"));
            }
        }
        let sql = Sql::new(self);
        Ok(match self.phase {
            OnlinePhase::Expand => {
                let backfill = self.backfill();
                let plan = crate::render::Render::render(&backfill, ctx)?;
                // Outside a transaction each statement commits on its own, so each must leave a state the
                // running app survives: the check comes after the trigger that fills the column on every
                // write; rows written before the trigger are the backfill's.
                let add = match &self.retype {
                    None => sql.add_column(&self.to, &self.from),
                    Some(retype) => format!(
                        "ALTER TABLE {} ADD COLUMN {} {}",
                        sql.table, sql.to, retype.new_type
                    ),
                };
                vec![
                    add,
                    sql.function(),
                    sql.trigger(),
                    sql.add_check(),
                    plan.join("\n"),
                ]
            }
            OnlinePhase::UndoExpand => vec![
                sql.drop_trigger(),
                sql.drop_function(),
                format!("ALTER TABLE {} DROP COLUMN {}", sql.table, sql.to),
            ],
            OnlinePhase::Contract => vec![
                sql.refuse_dependents(),
                sql.validate(),
                sql.move_constraints(),
                sql.drop_trigger(),
                sql.drop_function(),
                format!("ALTER TABLE {} DROP COLUMN {}", sql.table, sql.from),
            ],
            // Like the expand in the other direction: the old column, the trigger that keeps both equal from
            // now on, a batched copy of the rows written before it (never one UPDATE of every row in the
            // transaction that holds the table's lock), then the old column's NOT NULL and default.
            OnlinePhase::UndoContract => vec![
                match &self.retype {
                    None => sql.add_column(&self.from, &self.to),
                    Some(retype) => {
                        let Some(old_type) = &retype.old_type else {
                            return Err(ctx.invalid(
                                "the old column's type is not known: give `.old_type(..)`",
                            ));
                        };
                        format!(
                            "ALTER TABLE {} ADD COLUMN {} {old_type}",
                            sql.table, sql.from
                        )
                    }
                },
                sql.function_while_copying_back(),
                sql.trigger(),
                crate::render::Render::render(&self.copy_back(), ctx)?.join("\n"),
                sql.move_constraints_back(),
                sql.function_replaced(),
            ],
        })
    }
}

/// The quoted names every statement uses.
struct Sql {
    table: String,
    /// The table as a `regclass` literal, for catalog lookups.
    regclass: String,
    from: String,
    to: String,
    /// The columns as literals, for catalog lookups.
    from_literal: String,
    to_literal: String,
    /// The function, schema-qualified like the table.
    sync: String,
    /// The trigger (it lives with its table).
    trigger: String,
    check: String,
    check_literal: String,
    /// In the trigger: the new column's value from `NEW`, and the old column's.
    forward: String,
    back: String,
    /// The contract's check of the old column's type, when it is given.
    old_type: Option<String>,
}

impl Sql {
    fn new(op: &RenameColumnOnline) -> Self {
        let check = op.check_name();
        let (from, to) = (quote_ident(&op.from), quote_ident(&op.to));
        // An expression over the row's columns, evaluated on `NEW`.
        let over_new = |expression: &str| {
            format!(
                "(SELECT {expression} FROM (SELECT NEW.*) AS {})",
                quote_ident(op.table.name())
            )
        };
        let retype = op.retype.as_ref();
        let forward = match retype {
            None => format!("NEW.{from}"),
            Some(Retype {
                using: Some(using), ..
            }) => over_new(using),
            Some(Retype { new_type, .. }) => format!("NEW.{from}::{new_type}"),
        };
        let back = match retype.and_then(|r| r.back.as_deref()) {
            Some(back) => over_new(back),
            // PL/pgSQL assigns with an assignment cast, or through text where there is none.
            None => format!("NEW.{to}"),
        };
        Sql {
            forward,
            back,
            old_type: retype.and_then(|r| r.old_type.clone()),
            table: quote_name(&op.table),
            regclass: format!("{}::pg_catalog.regclass", literal(&quote_name(&op.table))),
            from: quote_ident(&op.from),
            to: quote_ident(&op.to),
            from_literal: literal(op.from.as_str()),
            to_literal: literal(op.to.as_str()),
            sync: quote_name(&op.sync_name()),
            trigger: quote_ident(op.sync_name().name()),
            check: quote_ident(&check),
            check_literal: literal(check.as_str()),
        }
    }

    /// Adds column `new` with the type and collation of `like`.
    fn add_column(&self, new: &crate::name::Ident, like: &crate::name::Ident) -> String {
        let Sql {
            table, regclass, ..
        } = self;
        let new = quote_ident(new);
        let like_literal = literal(like.as_str());
        let like_shown = literal(&quote_ident(like));
        format!(
            "DO {TAG}
DECLARE
    definition pg_catalog.text;
BEGIN
    SELECT pg_catalog.format_type(a.atttypid, a.atttypmod)
            || CASE WHEN a.attcollation <> t.typcollation
                THEN ' COLLATE ' || a.attcollation::pg_catalog.regcollation::pg_catalog.text ELSE '' END
        INTO definition
        FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = {regclass} AND a.attname = {like_literal} AND NOT a.attisdropped
            AND a.attidentity = '' AND a.attgenerated = '';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column % of % does not exist, or is an identity or generated column', {like_shown}, {table_shown};
    END IF;
    EXECUTE 'ALTER TABLE {table_in_literal} ADD COLUMN {new_in_literal} ' || definition;
END
{TAG}",
            table_shown = literal(table),
            table_in_literal = table.replace('\'', "''"),
            new_in_literal = new.replace('\'', "''"),
        )
    }

    /// Where the old column is `NOT NULL`, the new one gets a `NOT VALID` check standing for it: new and
    /// updated rows must have it at once, existing ones are validated by the contract.
    fn add_check(&self) -> String {
        let Sql {
            table,
            regclass,
            to,
            check,
            from_literal,
            ..
        } = self;
        format!(
            "DO {TAG}
BEGIN
    IF (SELECT attnotnull FROM pg_catalog.pg_attribute WHERE attrelid = {regclass} AND attname = {from_literal}) THEN
        ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({to} IS NOT NULL) NOT VALID;
    END IF;
END
{TAG}"
        )
    }

    /// The trigger function while the contract's `down` copies the new column back into the old one: the same
    /// as [`function`](Self::function) with the sides swapped, so a write that changes neither column fills
    /// the old column from the new (the old is empty until the copy reaches the row, and must not be copied
    /// over the new).
    fn function_while_copying_back(&self) -> String {
        self.sync_function(Watched::From)
    }

    /// Once the copy back is done, the expand's own function again: the state is the expand's, exactly.
    fn function_replaced(&self) -> String {
        self.function()
            .replacen("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
    }

    /// The trigger function: whichever column the writer set wins. An app that knows only one of the
    /// columns leaves the other NULL on `INSERT` (neither has a default while both exist) and unchanged
    /// on `UPDATE`. Values are compared as text, so types without an equality operator (`json`, `point`)
    /// work too. It only assigns `NEW`: it never fires itself again.
    fn function(&self) -> String {
        self.sync_function(Watched::To)
    }

    /// The trigger function, `watched` being the column whose change on `UPDATE` wins: a change to it is
    /// copied to the other column, and an `UPDATE` that leaves it alone copies the other column into it.
    fn sync_function(&self, watched: Watched) -> String {
        let Sql {
            sync,
            from,
            to,
            forward,
            back,
            ..
        } = self;
        let (watched, changed, unchanged) = match watched {
            Watched::To => (
                to,
                format!("NEW.{from} := {back}"),
                format!("NEW.{to} := {forward}"),
            ),
            Watched::From => (
                from,
                format!("NEW.{to} := {forward}"),
                format!("NEW.{from} := {back}"),
            ),
        };
        format!(
            r#"CREATE FUNCTION {sync}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.{to} IS NULL THEN
            NEW.{to} := {forward};
        ELSE
            NEW.{from} := {back};
        END IF;
    ELSIF NEW.{watched}::pg_catalog.text IS DISTINCT FROM OLD.{watched}::pg_catalog.text THEN
        {changed};
    ELSE
        {unchanged};
    END IF;
    RETURN NEW;
END
$$"#
        )
    }

    fn trigger(&self) -> String {
        let Sql {
            sync,
            table,
            trigger,
            ..
        } = self;
        format!(
            "CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {sync}()"
        )
    }

    fn drop_trigger(&self) -> String {
        format!("DROP TRIGGER {} ON {}", self.trigger, self.table)
    }

    fn drop_function(&self) -> String {
        format!("DROP FUNCTION {}()", self.sync)
    }

    /// Dropping the old column would silently drop its indexes and constraints: the contract stops first,
    /// naming them, so they can be re-created on the new column beforehand. Its default goes to the new
    /// column, and its `NOT NULL` (a constraint of its own from PostgreSQL 18) is the check's.
    fn refuse_dependents(&self) -> String {
        let Sql {
            regclass,
            table,
            from,
            to,
            from_literal,
            ..
        } = self;
        // `%` is RAISE's placeholder: one in a name is doubled.
        let message = literal(
            &format!(
                "{{}} still use column {from} of {table}: re-create them on {to} (and drop them) before the contract"
            )
            .replace('%', "%%")
            .replace("{}", "%"),
        );
        // The contract's `down` adds the old column back with the type given: it must be the one it has.
        let type_check = match &self.old_type {
            None => String::new(),
            Some(old_type) => {
                let message = literal(
                    &format!(
                        "column {from} of {table} is {{}}, not {old_type} as .old_type(..) says"
                    )
                    .replace('%', "%%")
                    .replace("{}", "%"),
                );
                format!(
                    "
    IF (SELECT pg_catalog.format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute WHERE attrelid = {regclass} AND attname = {from_literal}) IS DISTINCT FROM {old} THEN
        RAISE EXCEPTION {message}, (SELECT pg_catalog.format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute WHERE attrelid = {regclass} AND attname = {from_literal});
    END IF;",
                    old = literal(old_type),
                )
            }
        };
        format!(
            "DO {TAG}
DECLARE
    dependents pg_catalog.text;
BEGIN
    SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', ')
        INTO dependents
        FROM pg_catalog.pg_depend d
        JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = {regclass}
            AND a.attname = {from_literal} AND d.classid <> 'pg_catalog.pg_attrdef'::pg_catalog.regclass
            AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint c
                WHERE d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND c.oid = d.objid AND c.contype = 'n');
    IF dependents IS NOT NULL THEN
        RAISE EXCEPTION {message}, dependents;
    END IF;{type_check}
END
{TAG}"
        )
    }

    /// Validates the check, where the expand added one (the old column was `NOT NULL`).
    fn validate(&self) -> String {
        let Sql {
            regclass,
            table,
            check,
            check_literal,
            ..
        } = self;
        format!(
            "DO {TAG}
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = {regclass} AND conname = {check_literal}) THEN
        ALTER TABLE {table} VALIDATE CONSTRAINT {check};
    END IF;
END
{TAG}"
        )
    }

    /// `NOT NULL` from the valid check, and the old column's default, onto the new column.
    fn move_constraints(&self) -> String {
        let Sql {
            regclass,
            table,
            to,
            check,
            check_literal,
            from_literal,
            ..
        } = self;
        let table_in_literal = table.replace('\'', "''");
        let to_in_literal = to.replace('\'', "''");
        format!(
            "DO {TAG}
DECLARE
    default_value pg_catalog.text;
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = {regclass} AND conname = {check_literal}) THEN
        ALTER TABLE {table} ALTER COLUMN {to} SET NOT NULL;
        ALTER TABLE {table} DROP CONSTRAINT {check};
    END IF;
    SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) INTO default_value
        FROM pg_catalog.pg_attrdef d
        JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
        WHERE d.adrelid = {regclass} AND a.attname = {from_literal};
    IF default_value IS NOT NULL THEN
        EXECUTE 'ALTER TABLE {table_in_literal} ALTER COLUMN {to_in_literal} SET DEFAULT ' || default_value;
    END IF;
END
{TAG}"
        )
    }

    /// The inverse of [`move_constraints`](Self::move_constraints) after the old column is back: its
    /// `NOT NULL` and default return to it, and the new column gets its `NOT VALID` check again.
    fn move_constraints_back(&self) -> String {
        let Sql {
            regclass,
            table,
            from,
            to,
            check,
            to_literal,
            ..
        } = self;
        let table_in_literal = table.replace('\'', "''");
        let from_in_literal = from.replace('\'', "''");
        format!(
            "DO {TAG}
DECLARE
    default_value pg_catalog.text;
BEGIN
    IF (SELECT attnotnull FROM pg_catalog.pg_attribute WHERE attrelid = {regclass} AND attname = {to_literal}) THEN
        ALTER TABLE {table} ALTER COLUMN {from} SET NOT NULL;
        ALTER TABLE {table} ALTER COLUMN {to} DROP NOT NULL;
        ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({to} IS NOT NULL) NOT VALID;
    END IF;
    SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) INTO default_value
        FROM pg_catalog.pg_attrdef d
        JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
        WHERE d.adrelid = {regclass} AND a.attname = {to_literal};
    IF default_value IS NOT NULL THEN
        EXECUTE 'ALTER TABLE {table_in_literal} ALTER COLUMN {from_in_literal} SET DEFAULT ' || default_value;
        ALTER TABLE {table} ALTER COLUMN {to} DROP DEFAULT;
    END IF;
END
{TAG}"
        )
    }
}

/// Which column of the sync trigger a write's change wins for on `UPDATE`.
#[derive(Clone, Copy)]
enum Watched {
    /// The new column (while the expand runs).
    To,
    /// The old column (while the contract's `down` copies the values back).
    From,
}
