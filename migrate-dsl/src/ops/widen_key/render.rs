//! The SQL of a key's widening, phase by phase, from what the catalog said ([`KeyCatalog`]). Each phase runs
//! outside a transaction: its statements are grouped into short transactions (one per table where locks are
//! taken), its backfills commit batch by batch and its indexes are built `CONCURRENTLY`. The statements of
//! the derived `down`s look at the catalog before each change (in `DO` blocks), so that the `down` of a phase
//! stopped part-way undoes exactly what took effect.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{quote_ident, quote_name, Ident, Name};
use crate::ops::constraint::naming::make_object_name;
use crate::ops::{Backfill, IndexCopy, KeyCatalog, KeyReference, WidenKeyOnline, WidenPhase};
use crate::quote::literal;
use crate::render::Render;

use super::{is_narrow, new_column, old_column};

/// The dollar quote of the `DO` blocks; the trigger functions' bodies use `$$`.
const TAG: &str = "$migrate$";

/// Stands for the referenced column in a foreign key whose column is chosen when it runs.
const KEY_MARK: &str = "\u{1}key\u{1}";

/// One rendered statement of a phase.
pub(crate) enum Part {
    /// SQL; `true` when it starts a new transaction.
    Sql(String, bool),
    /// A batched backfill, run by the engine.
    Backfill(Backfill),
    /// A comment of the plan: nothing runs.
    Note(String),
}

/// A column that gets a `bigint` twin: the key, or a foreign key column narrower than `bigint`.
struct Widened<'a> {
    table: &'a Name,
    column: &'a Ident,
    /// Its type before the widening.
    old_type: &'a str,
    not_null: bool,
    indexes: &'a [IndexCopy],
}

impl Widened<'_> {
    fn table(&self) -> String {
        quote_name(self.table)
    }

    fn regclass(&self) -> String {
        format!("{}::pg_catalog.regclass", literal(&self.table()))
    }

    fn new_twin(&self) -> Ident {
        new_column(self.column)
    }

    fn old(&self) -> Ident {
        old_column(self.column)
    }

    /// The trigger and its function: `<table>_<column>_widen`, in the table's schema.
    fn sync(&self) -> Name {
        self.table.sibling(Ident::new(super::sync_trigger_name(
            self.table.name().as_str(),
            self.column.as_str(),
        )))
    }

    /// The check standing for `NOT NULL` on `column` (the new one, or the old one on the way back).
    fn check(&self, column: &Ident) -> Ident {
        Ident::new(make_object_name(
            self.table.name().as_str(),
            Some(column.as_str()),
            "not_null_check",
        ))
    }

    fn add_column(&self) -> String {
        format!(
            "ALTER TABLE {} ADD COLUMN {} bigint",
            self.table(),
            quote_ident(&self.new_twin())
        )
    }

    /// The trigger function: `target := source` on every write. While the old column is the source (the
    /// expand), every value fits; once the new one is (after the switch), a value beyond the old type leaves
    /// the old column NULL, and the switch can no longer be undone.
    fn function(&self, source: &Ident, target: &Ident, target_type: &str, replace: bool) -> String {
        let (source, target) = (quote_ident(source), quote_ident(target));
        let value = match range(target_type) {
            Some((min, max)) => {
                format!("CASE WHEN NEW.{source} BETWEEN {min} AND {max} THEN NEW.{source} END")
            }
            None => format!("NEW.{source}"),
        };
        format!(
            "CREATE {}FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.{target} := {value};
    RETURN NEW;
END
$$",
            if replace { "OR REPLACE " } else { "" },
            quote_name(&self.sync()),
        )
    }

    fn forward(&self, replace: bool) -> String {
        self.function(self.column, &self.new_twin(), "bigint", replace)
    }

    fn backward(&self) -> String {
        self.function(self.column, &self.old(), self.old_type, true)
    }

    /// Fires only where the two columns differ: a row the backfill has just filled, or one written with
    /// both equal, skips the function call (a third of a backfill's time per row). The condition names the
    /// columns by position, so after the switch's renames it still compares the two.
    fn trigger(&self) -> String {
        format!(
            "CREATE TRIGGER {} BEFORE INSERT OR UPDATE ON {} FOR EACH ROW WHEN (NEW.{} IS DISTINCT FROM NEW.{}) \
             EXECUTE FUNCTION {}()",
            quote_ident(self.sync().name()),
            self.table(),
            quote_ident(&self.new_twin()),
            quote_ident(self.column),
            quote_name(&self.sync())
        )
    }

    fn add_check(&self, column: &Ident) -> String {
        format!(
            "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID",
            self.table(),
            quote_ident(&self.check(column)),
            quote_ident(column)
        )
    }

    /// The old column's comment on the new one, where it has one.
    fn copy_comment(&self) -> String {
        let regclass = self.regclass();
        let column = literal(self.column.as_str());
        format!(
            "DO {TAG}
DECLARE
    comment pg_catalog.text := pg_catalog.col_description({regclass}, (SELECT attnum FROM pg_catalog.pg_attribute WHERE attrelid = {regclass} AND attname = {column}));
BEGIN
    IF comment IS NOT NULL THEN
        EXECUTE pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', {regclass}, {new}, comment);
    END IF;
END
{TAG}",
            new = literal(self.new_twin().as_str()),
        )
    }

    /// The check the switch proves before it swaps: the twin holds the old column's value in every row
    /// (something that writes the table without the trigger, or after it, would have broken that).
    fn same_check(&self) -> Ident {
        Ident::new(make_object_name(
            self.table.name().as_str(),
            Some(self.column.as_str()),
            "widened_check",
        ))
    }

    fn add_same_check(&self) -> String {
        format!(
            "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT DISTINCT FROM {}) NOT VALID",
            self.table(),
            quote_ident(&self.same_check()),
            quote_ident(&self.new_twin()),
            quote_ident(self.column)
        )
    }

    fn drop_same_check(&self) -> String {
        format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            self.table(),
            quote_ident(&self.same_check())
        )
    }

    fn validate_same_check(&self) -> String {
        let message = literal(
            &format!(
                "rows of {} have {} different from {}: something wrote the table without the operation's trigger \
                 (a trigger that fires after it, a replication apply): fix those rows (UPDATE .. SET {} = {}) and run the switch again",
                shown(self.table),
                self.new_twin().as_str(),
                self.column.as_str(),
                quote_ident(&self.new_twin()),
                quote_ident(self.column),
            )
            .replace('%', "%%"),
        );
        format!(
            "DO {TAG}
BEGIN
    ALTER TABLE {table} VALIDATE CONSTRAINT {check};
EXCEPTION WHEN check_violation THEN
    RAISE EXCEPTION {message};
END
{TAG}",
            table = self.table(),
            check = quote_ident(&self.same_check()),
        )
    }

    /// The trigger, its function and `column`, where the function exists.
    fn drop_twin(&self, column: &Ident) -> String {
        let sync = quote_name(&self.sync());
        format!(
            "DO {TAG}
BEGIN
    IF pg_catalog.to_regprocedure({function}) IS NOT NULL THEN
        DROP TRIGGER IF EXISTS {trigger} ON {table};
        DROP FUNCTION {sync}();
        ALTER TABLE {table} DROP COLUMN IF EXISTS {column};
    END IF;
END
{TAG}",
            function = literal(&format!("{sync}()")),
            trigger = quote_ident(self.sync().name()),
            table = self.table(),
            column = quote_ident(column),
        )
    }

    fn rename(&self, from: &Ident, to: &Ident) -> String {
        format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {}",
            self.table(),
            quote_ident(from),
            quote_ident(to)
        )
    }

    /// `NOT NULL` on `column` from its valid check (no scan), and the check dropped.
    fn set_not_null(&self, column: &Ident) -> [String; 2] {
        [
            format!(
                "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL",
                self.table(),
                quote_ident(column)
            ),
            format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                self.table(),
                quote_ident(&self.check(column))
            ),
        ]
    }

    /// The copy of `index` on the new columns, built without blocking writes: each of `widened` (the
    /// columns of this table that get a twin) it holds is replaced by its twin.
    fn copy_index(&self, index: &IndexCopy, widened: &[&Ident]) -> String {
        let on = |c: &Ident| {
            if widened.contains(&c) {
                new_column(c)
            } else {
                c.clone()
            }
        };
        let columns: Vec<String> = index
            .columns
            .iter()
            .map(|c| {
                let mut out = quote_ident(&on(&c.name));
                match (c.descending, c.nulls_first) {
                    (true, true) => out.push_str(" DESC"),
                    (true, false) => out.push_str(" DESC NULLS LAST"),
                    (false, true) => out.push_str(" NULLS FIRST"),
                    (false, false) => {}
                }
                out
            })
            .collect();
        let mut sql = format!(
            "CREATE {}INDEX CONCURRENTLY {} ON {} USING {} ({})",
            if index.unique { "UNIQUE " } else { "" },
            quote_ident(&copy_name(&index.name)),
            self.table(),
            index.method,
            columns.join(", ")
        );
        if !index.include.is_empty() {
            let include: Vec<String> = index.include.iter().map(|c| quote_ident(&on(c))).collect();
            sql.push_str(&format!(" INCLUDE ({})", include.join(", ")));
        }
        if let Some(predicate) = &index.predicate {
            sql.push_str(&format!(" WHERE {predicate}"));
        }
        sql
    }

    /// At the switch (or its undo), before the columns are renamed: each index on the key column whose copy
    /// on the other column exists gives its name to the copy and takes `<name>_old` (or, undoing, takes back
    /// its name from the copy, which gets `<name>_new` again), read from the catalog, so that the indexes keep
    /// the names the schema had. A PL/pgSQL block.
    fn rename_indexes(&self, forward: bool) -> String {
        let (taken, given) = if forward {
            ("_new", "_old")
        } else {
            ("_old", "_new")
        };
        format!(
            "DECLARE
    index_name pg_catalog.name;
    schema_name pg_catalog.name := (SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = {regclass});
BEGIN
    FOR index_name IN SELECT i.relname FROM pg_catalog.pg_index x
            JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
            JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY (x.indkey)
            WHERE x.indrelid = {regclass} AND a.attname = {column} AND NOT x.indisprimary
                AND pg_catalog.to_regclass(pg_catalog.quote_ident(schema_name) || '.' || pg_catalog.quote_ident(i.relname || '{taken}')) IS NOT NULL
    LOOP
        EXECUTE pg_catalog.format('ALTER INDEX %I.%I RENAME TO %I', schema_name, index_name, index_name || '{given}');
        EXECUTE pg_catalog.format('ALTER INDEX %I.%I RENAME TO %I', schema_name, index_name || '{taken}', index_name);
    END LOOP;
END",
            regclass = self.regclass(),
            column = literal(self.column.as_str()),
        )
    }
}

/// A PL/pgSQL block (`DECLARE .. BEGIN .. END`) as a statement of its own.
fn do_block(block: &str) -> String {
    format!("DO {TAG}\n{block}\n{TAG}")
}

/// The name of an index's copy on the new column.
fn copy_name(index: &Ident) -> Ident {
    Ident::new(make_object_name(index.as_str(), None, "new"))
}

/// The values an integer type holds.
fn range(column_type: &str) -> Option<(i64, i64)> {
    match column_type {
        "smallint" => Some((i16::MIN.into(), i16::MAX.into())),
        "integer" => Some((i32::MIN.into(), i32::MAX.into())),
        _ => None,
    }
}

impl WidenKeyOnline {
    /// The catalog as read, or, for review without a database, the key's table alone with the names
    /// PostgreSQL gives by default (a note says so).
    fn catalog_or_default(&self) -> (KeyCatalog, bool) {
        match &self.catalog {
            Some(catalog) => (catalog.clone(), true),
            None => (
                KeyCatalog::new(
                    "integer",
                    make_object_name(self.table.name().as_str(), None, "pkey"),
                ),
                false,
            ),
        }
    }

    fn key<'a>(&'a self, catalog: &'a KeyCatalog) -> Widened<'a> {
        Widened {
            table: &self.table,
            column: &self.column,
            old_type: &catalog.key_type,
            not_null: true,
            indexes: &catalog.indexes,
        }
    }

    /// The statements of this phase, in order.
    pub(crate) fn parts(&self, ctx: Ctx) -> Result<Vec<Part>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.ident(&self.column, "column")?;
        if !matches!(
            self.new_type.trim().to_ascii_lowercase().as_str(),
            "bigint" | "int8"
        ) {
            return Err(ctx.invalid(format!(
                "a key is widened to bigint, not {:?}",
                self.new_type
            )));
        }
        if self.background && !matches!(self.phase, WidenPhase::Expand | WidenPhase::UndoExpand) {
            return Err(ctx.invalid(
                "in_background() queues the expand's backfills: the switch and the contract have none",
            ));
        }
        let (catalog, read) = self.catalog_or_default();
        if self.phase == WidenPhase::Expand && !is_narrow(&catalog.key_type) {
            return Err(ctx.invalid(format!(
                "{}.{} is {}, not integer or smallint",
                shown(&self.table),
                self.column.as_str(),
                catalog.key_type
            )));
        }
        let mut parts = Vec::new();
        if !read {
            parts.push(Part::Note(format!(
                "-- and the same for each table whose foreign key references {}.{} (read from the catalog when the migration runs: `sql` against the database lists them)",
                shown(&self.table),
                self.column.as_str()
            )));
        }
        let key = self.key(&catalog);
        // The contract and the expand's undo drop only what exists (`IF EXISTS`), so that one stopped
        // part-way renders the same when it goes on: every referencing column, whatever its type by then.
        let every = matches!(self.phase, WidenPhase::Contract | WidenPhase::UndoExpand);
        let referencing = widened_references(&catalog, every);
        // The key first, then each referencing column.
        let widened: Vec<&Widened<'_>> = std::iter::once(&key).chain(&referencing).collect();
        match self.phase {
            WidenPhase::Expand => self.expand(&widened, &mut parts),
            WidenPhase::Switch => self.switch_parts(&key, &catalog, &mut parts),
            // Referencing tables first, each in a transaction of its own. A column is dropped only where its
            // trigger function exists: that marks it as this operation's (a foreign key column that was
            // `bigint` already has none), and the statement does nothing once it ran.
            WidenPhase::Contract => {
                for w in widened.iter().rev() {
                    parts.push(Part::Sql(w.drop_twin(&w.old()), true));
                }
            }
            // The expand's column, trigger, check and index copies (dropped with the column).
            WidenPhase::UndoExpand => {
                for w in widened.iter().rev() {
                    parts.push(Part::Sql(w.drop_twin(&w.new_twin()), true));
                }
            }
            WidenPhase::UndoSwitch => self.undo_switch(&key, &catalog, &mut parts),
        }
        Ok(parts)
    }

    fn expand(&self, widened: &[&Widened<'_>], parts: &mut Vec<Part>) {
        for w in widened {
            parts.push(Part::Sql(w.add_column(), true));
            parts.push(Part::Sql(w.copy_comment(), false));
            parts.push(Part::Sql(w.forward(false), false));
            parts.push(Part::Sql(w.trigger(), false));
            // Rows a logical replication subscriber applies (`session_replication_role = replica`) too.
            parts.push(Part::Sql(
                format!(
                    "ALTER TABLE {} ENABLE ALWAYS TRIGGER {}",
                    w.table(),
                    quote_ident(w.sync().name())
                ),
                false,
            ));
            if w.not_null {
                parts.push(Part::Sql(w.add_check(&w.new_twin()), false));
            }
        }
        // One walk per table, filling each of its new columns.
        let mut tables: Vec<(&Name, Vec<&Ident>)> = Vec::new();
        for w in widened {
            match tables.iter_mut().find(|(t, _)| *t == w.table) {
                Some((_, columns)) => columns.push(w.column),
                None => tables.push((w.table, vec![w.column])),
            }
        }
        for (table, columns) in &tables {
            parts.push(Part::Backfill(self.backfill(table, columns)));
        }
        // Queued as jobs, the backfills have not run yet: the switch validates the checks, after them.
        for w in widened.iter().filter(|w| w.not_null && !self.background) {
            parts.push(Part::Sql(
                format!(
                    "ALTER TABLE {} VALIDATE CONSTRAINT {}",
                    w.table(),
                    quote_ident(&w.check(&w.new_twin()))
                ),
                true,
            ));
        }
        let key = widened[0];
        parts.push(Part::Sql(
            format!(
                "CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({})",
                quote_ident(&self.new_key_index()),
                key.table(),
                quote_ident(&key.new_twin())
            ),
            true,
        ));
        for w in widened {
            let same_table: Vec<&Ident> = widened
                .iter()
                .filter(|o| o.table == w.table)
                .map(|o| o.column)
                .collect();
            for index in w.indexes {
                parts.push(Part::Sql(w.copy_index(index, &same_table), true));
            }
        }
    }

    /// The unique index on the new key, which becomes the primary key's at the switch.
    fn new_key_index(&self) -> Ident {
        Ident::new(make_object_name(
            self.table.name().as_str(),
            Some(new_column(&self.column).as_str()),
            "key",
        ))
    }

    /// The spare unique index on the old key, built by the switch for its undo.
    fn old_key_index(&self) -> Ident {
        Ident::new(make_object_name(
            self.table.name().as_str(),
            Some(old_column(&self.column).as_str()),
            "key",
        ))
    }

    fn switch_parts(&self, key: &Widened<'_>, catalog: &KeyCatalog, parts: &mut Vec<Part>) {
        parts.push(Part::Sql(
            format!(
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({})",
                quote_ident(&self.old_key_index()),
                key.table(),
                quote_ident(key.column)
            ),
            true,
        ));
        // Proof that every twin holds its column's value, before anything is swapped. First the twins'
        // `NOT NULL` checks, which an expand with background jobs leaves `NOT VALID` (a no-op otherwise):
        // `SET NOT NULL` below relies on them instead of scanning the table under its lock.
        let referencing = widened_references(catalog, false);
        for w in referencing
            .iter()
            .chain(std::iter::once(key))
            .filter(|w| w.not_null)
        {
            parts.push(Part::Sql(
                validate_if_not_valid(&w.regclass(), &w.table(), &w.check(&w.new_twin())),
                true,
            ));
        }
        for w in referencing.iter().chain(std::iter::once(key)) {
            parts.push(Part::Sql(w.add_same_check(), true));
            parts.push(Part::Sql(w.validate_same_check(), true));
        }
        for r in &catalog.references {
            let column = if r.widens() {
                new_column(&r.column)
            } else {
                r.column.clone()
            };
            parts.push(Part::Sql(
                foreign_key(
                    r,
                    &new_name(&r.constraint),
                    &column,
                    &self.table,
                    &key.new_twin(),
                ),
                true,
            ));
        }
        for r in &catalog.references {
            parts.push(Part::Sql(
                format!(
                    "ALTER TABLE {} VALIDATE CONSTRAINT {}",
                    quote_name(&r.table),
                    quote_ident(&new_name(&r.constraint))
                ),
                true,
            ));
        }
        // Each referencing table in a transaction of its own: its old foreign key is what holds the old
        // primary key's index.
        for r in &catalog.references {
            let table = quote_name(&r.table);
            parts.push(Part::Sql(
                format!(
                    "ALTER TABLE {table} DROP CONSTRAINT {}",
                    quote_ident(&r.constraint)
                ),
                true,
            ));
            if r.widens() {
                let w = reference(r);
                parts.push(Part::Sql(w.drop_same_check(), false));
                if w.not_null {
                    for sql in w.set_not_null(&w.new_twin()) {
                        parts.push(Part::Sql(sql, false));
                    }
                }
                parts.push(Part::Sql(
                    do_block(&move_generator(&w, w.column, &w.new_twin(), "bigint")),
                    false,
                ));
                for sql in swap_names(&w, true, false) {
                    parts.push(Part::Sql(sql, false));
                }
            }
            parts.push(Part::Sql(
                format!(
                    "ALTER TABLE {table} RENAME CONSTRAINT {} TO {}",
                    quote_ident(&new_name(&r.constraint)),
                    quote_ident(&r.constraint)
                ),
                false,
            ));
        }
        // The key's table: the new key takes the primary key, its sequence and the name.
        let table = key.table();
        let pkey = quote_ident(&catalog.primary_key);
        let [not_null, drop_check] = key.set_not_null(&key.new_twin());
        parts.push(Part::Sql(key.drop_same_check(), true));
        parts.push(Part::Sql(not_null, false));
        parts.push(Part::Sql(drop_check, false));
        parts.push(Part::Sql(
            format!("ALTER TABLE {table} DROP CONSTRAINT {pkey}"),
            false,
        ));
        parts.push(Part::Sql(
            format!(
                "ALTER TABLE {table} ADD CONSTRAINT {pkey} PRIMARY KEY USING INDEX {}",
                quote_ident(&self.new_key_index())
            ),
            false,
        ));
        parts.push(Part::Sql(
            do_block(&move_generator(key, key.column, &key.new_twin(), "bigint")),
            false,
        ));
        for sql in swap_names(key, true, false) {
            parts.push(Part::Sql(sql, false));
        }
    }

    fn undo_switch(&self, key: &Widened<'_>, catalog: &KeyCatalog, parts: &mut Vec<Part>) {
        let key_table = key.table();
        let key_regclass = key.regclass();
        // The old key column, whichever name it has now.
        let old_key = format!(
            "CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = {key_regclass} AND attname = {} AND NOT attisdropped) THEN {} ELSE {} END",
            literal(key.old().as_str()),
            literal(&quote_ident(&key.old())),
            literal(&quote_ident(key.column)),
        );
        // 1. The old foreign keys again, `NOT VALID`, on each table already switched.
        for r in &catalog.references {
            let old_fk = old_name(&r.constraint);
            let column = if r.widens() {
                old_column(&r.column)
            } else {
                r.column.clone()
            };
            // The referenced column is known when it runs: `%s` of `format`, every other `%` doubled.
            let add = foreign_key(r, &old_fk, &column, &self.table, &Ident::new(KEY_MARK))
                .replace('%', "%%")
                .replace(&quote_ident(&Ident::new(KEY_MARK)), "%s")
                .replace('\'', "''");
            parts.push(Part::Sql(
                format!(
                    "DO {TAG}
BEGIN
    IF {switched} AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = {regclass} AND conname = {old_fk_literal}) THEN
        EXECUTE pg_catalog.format('{add}', {old_key});
    END IF;
END
{TAG}",
                    switched = switched(r),
                    regclass = reference(r).regclass(),
                    old_fk_literal = literal(old_fk.as_str()),
                ),
                true,
            ));
        }
        for r in &catalog.references {
            let old_fk = old_name(&r.constraint);
            parts.push(Part::Sql(
                validate_if_not_valid(&reference(r).regclass(), &quote_name(&r.table), &old_fk),
                true,
            ));
        }
        // 2. Proof that the old columns hold every value again: a check on each, validated.
        let referencing = widened_references(catalog, false);
        let with_key: Vec<&Widened<'_>> = referencing.iter().chain(std::iter::once(key)).collect();
        for w in with_key.iter().filter(|w| w.not_null) {
            let old = w.old();
            parts.push(Part::Sql(
                format!(
                    "DO {TAG}
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = {regclass} AND attname = {old_literal} AND NOT attisdropped)
        AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = {regclass} AND conname = {check_literal}) THEN
        {add};
    END IF;
END
{TAG}",
                    regclass = w.regclass(),
                    old_literal = literal(old.as_str()),
                    check_literal = literal(w.check(&old).as_str()),
                    add = w.add_check(&old),
                ),
                true,
            ));
            let message = literal(
                &format!(
                    "{}.{} holds values beyond {}, written since the switch: the switch cannot be undone",
                    shown(w.table),
                    w.column.as_str(),
                    w.old_type
                )
                .replace('%', "%%"),
            );
            parts.push(Part::Sql(
                format!(
                    "DO {TAG}
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = {regclass} AND conname = {check_literal} AND NOT convalidated) THEN
        ALTER TABLE {table} VALIDATE CONSTRAINT {check};
    END IF;
EXCEPTION WHEN check_violation THEN
    RAISE EXCEPTION {message};
END
{TAG}",
                    regclass = w.regclass(),
                    table = w.table(),
                    check_literal = literal(w.check(&old).as_str()),
                    check = quote_ident(&w.check(&old)),
                ),
                true,
            ));
        }
        // 3. Each referencing table back, in a transaction of its own; one never switched loses the new
        // foreign key the switch added.
        for r in &catalog.references {
            let table = quote_name(&r.table);
            let mut back = vec![format!(
                "ALTER TABLE {table} DROP CONSTRAINT {}",
                quote_ident(&r.constraint)
            )];
            if r.widens() {
                let w = reference(r);
                if w.not_null {
                    back.extend(w.set_not_null(&w.old()));
                }
                back.push(move_generator(&w, w.column, &w.old(), w.old_type));
                back.extend(swap_names(&w, false, true));
            }
            back.push(format!(
                "ALTER TABLE {table} RENAME CONSTRAINT {} TO {}",
                quote_ident(&old_name(&r.constraint)),
                quote_ident(&r.constraint)
            ));
            parts.push(Part::Sql(
                format!(
                    "DO {TAG}
BEGIN
    IF {switched} THEN
{back}
    ELSE
        ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {new_fk};
    END IF;
END
{TAG}",
                    switched = switched(r),
                    back = indent(&back),
                    new_fk = quote_ident(&new_name(&r.constraint)),
                ),
                true,
            ));
        }
        // 4. The key's table back: the primary key on the spare index, the sequence, the names.
        let pkey = quote_ident(&catalog.primary_key);
        let mut back = key.set_not_null(&key.old()).to_vec();
        back.push(format!("ALTER TABLE {key_table} DROP CONSTRAINT {pkey}"));
        back.push(format!(
            "ALTER TABLE {key_table} ADD CONSTRAINT {pkey} PRIMARY KEY USING INDEX {}",
            quote_ident(&self.old_key_index())
        ));
        back.push(move_generator(key, key.column, &key.old(), key.old_type));
        back.extend(swap_names(key, false, true));
        parts.push(Part::Sql(
            format!(
                "DO {TAG}
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = {key_regclass} AND attname = {old_literal} AND NOT attisdropped) THEN
{back}
    END IF;
END
{TAG}",
                old_literal = literal(key.old().as_str()),
                back = indent(&back),
            ),
            true,
        ));
        // 5. The expand's state exactly: its checks validated, the new key's unique index, no spare.
        for w in with_key.iter().filter(|w| w.not_null) {
            parts.push(Part::Sql(
                validate_if_not_valid(&w.regclass(), &w.table(), &w.check(&w.new_twin())),
                true,
            ));
        }
        parts.push(Part::Sql(
            format!(
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {} ON {key_table} ({})",
                quote_ident(&self.new_key_index()),
                quote_ident(&key.new_twin())
            ),
            true,
        ));
        parts.push(Part::Sql(
            format!(
                "DROP INDEX CONCURRENTLY IF EXISTS {}",
                quote_name(&self.table.sibling(self.old_key_index()))
            ),
            true,
        ));
        // The switch's proof of the twins, where it was added and no swap dropped it.
        for w in &with_key {
            parts.push(Part::Sql(
                format!(
                    "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
                    w.table(),
                    quote_ident(&w.same_check())
                ),
                true,
            ));
        }
    }
}

/// A table as messages name it: `schema.table`, unquoted.
fn shown(table: &Name) -> String {
    match table.schema() {
        Some(schema) => format!("{}.{}", schema.as_str(), table.name().as_str()),
        None => table.name().as_str().to_owned(),
    }
}

/// The referencing columns that get a twin (with `every`, each referencing column, whatever its type).
fn widened_references(catalog: &KeyCatalog, every: bool) -> Vec<Widened<'_>> {
    catalog
        .references
        .iter()
        .filter(|r| every || r.widens())
        .map(reference)
        .collect()
}

/// A referencing column as a [`Widened`] one.
fn reference(r: &KeyReference) -> Widened<'_> {
    Widened {
        table: &r.table,
        column: &r.column,
        old_type: &r.column_type,
        not_null: r.not_null,
        indexes: &r.indexes,
    }
}

/// Whether `r`'s table is switched: its foreign key references a `bigint` column of the key's table.
fn switched(r: &KeyReference) -> String {
    format!(
        "EXISTS (SELECT FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = c.confkey[1]
        WHERE c.conrelid = {} AND c.conname = {} AND a.atttypid = 'pg_catalog.int8'::pg_catalog.regtype)",
        reference(r).regclass(),
        literal(r.constraint.as_str())
    )
}

/// The renames of a switch (`forward`) or of its undo, with the trigger function turned around and the
/// old column's `NOT NULL` given to the new one (or back) with its check.
fn swap_names(w: &Widened<'_>, forward: bool, nested: bool) -> Vec<String> {
    let (column, new, old) = (w.column, w.new_twin(), w.old());
    // Run inside a `DO` block by the undo: the blocks are nested, not statements of their own.
    let block = |b: String| if nested { b } else { do_block(&b) };
    let mut out = vec![block(w.rename_indexes(forward))];
    if forward {
        out.push(w.rename(column, &old));
        out.push(w.rename(&new, column));
        if w.not_null {
            out.push(format!(
                "ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL",
                w.table(),
                quote_ident(&old)
            ));
        }
        out.push(w.backward());
    } else {
        out.push(w.rename(column, &new));
        out.push(w.rename(&old, column));
        if w.not_null {
            out.push(format!(
                "ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL",
                w.table(),
                quote_ident(&new)
            ));
            out.push(w.add_check(&new));
        }
        out.push(w.forward(true));
    }
    out
}

/// `ALTER TABLE .. ADD CONSTRAINT .. FOREIGN KEY .. NOT VALID` with `r`'s actions.
fn foreign_key(
    r: &KeyReference,
    name: &Ident,
    column: &Ident,
    key_table: &Name,
    key_column: &Ident,
) -> String {
    let action = |code: char| match code {
        'r' => Some("RESTRICT"),
        'c' => Some("CASCADE"),
        'n' => Some("SET NULL"),
        'd' => Some("SET DEFAULT"),
        _ => None,
    };
    let mut sql = format!(
        "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
        quote_name(&r.table),
        quote_ident(name),
        quote_ident(column),
        quote_name(key_table),
        quote_ident(key_column),
    );
    if let Some(a) = action(r.on_update) {
        sql.push_str(&format!(" ON UPDATE {a}"));
    }
    if let Some(a) = action(r.on_delete) {
        sql.push_str(&format!(" ON DELETE {a}"));
    }
    if r.deferrable {
        sql.push_str(" DEFERRABLE");
        if r.initially_deferred {
            sql.push_str(" INITIALLY DEFERRED");
        }
    }
    sql.push_str(" NOT VALID");
    sql
}

fn validate_if_not_valid(regclass: &str, table: &str, constraint: &Ident) -> String {
    format!(
        "DO {TAG}
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = {regclass} AND conname = {} AND NOT convalidated) THEN
        ALTER TABLE {table} VALIDATE CONSTRAINT {};
    END IF;
END
{TAG}",
        literal(constraint.as_str()),
        quote_ident(constraint)
    )
}

/// The key's identity, or its default with the sequence it owns, moved from column `from` to `to`, whose
/// type is `to_type`: an identity is re-created on `to` from the next value of the old one (a sequence of
/// an identity cannot change columns); a `serial`'s sequence is widened (or narrowed back) and owned by
/// `to`. Read from the catalog when it runs.
fn move_generator(key: &Widened<'_>, from: &Ident, to: &Ident, to_type: &str) -> String {
    let table = key.table();
    let in_literal = |s: &str| s.replace('\'', "''");
    let to_max = match range(to_type) {
        Some((_, max)) => max,
        None => i64::MAX,
    };
    let message = literal(
        &format!(
            "the sequence of {}.{} has handed out values beyond {to_type}: the key cannot go back to it",
            shown(key.table),
            key.column.as_str()
        )
        .replace('%', "%%"),
    );
    format!(
        "DECLARE
    kind \"char\";
    sequence_name pg_catalog.text;
    last_value bigint;
    is_called boolean;
    options pg_catalog.pg_sequence%ROWTYPE;
    type_max bigint;
    default_value pg_catalog.text;
BEGIN
    SELECT attidentity INTO kind FROM pg_catalog.pg_attribute WHERE attrelid = {regclass} AND attname = {from_literal};
    sequence_name := pg_catalog.pg_get_serial_sequence({table_literal}, {from_literal});
    IF sequence_name IS NOT NULL THEN
        EXECUTE 'SELECT last_value, is_called FROM ' || sequence_name INTO last_value, is_called;
        IF last_value > {to_max} THEN
            RAISE EXCEPTION {message};
        END IF;
    END IF;
    IF kind IN ('a', 'd') THEN
        SELECT * INTO options FROM pg_catalog.pg_sequence WHERE seqrelid = sequence_name::pg_catalog.regclass;
        type_max := CASE options.seqtypid WHEN 'pg_catalog.int2'::pg_catalog.regtype THEN 32767
            WHEN 'pg_catalog.int4'::pg_catalog.regtype THEN 2147483647 ELSE 9223372036854775807 END;
        ALTER TABLE {table} ALTER COLUMN {from} DROP IDENTITY;
        -- The same sequence, of the new column's type: its bounds follow the type where they were the
        -- old type's, and it goes on where the old one stood.
        EXECUTE pg_catalog.format('ALTER TABLE {table_in_literal} ALTER COLUMN {to_in_literal} ADD GENERATED %s AS IDENTITY (SEQUENCE NAME %s START WITH %s INCREMENT BY %s %s %s CACHE %s %s)',
            CASE kind WHEN 'a' THEN 'ALWAYS' ELSE 'BY DEFAULT' END, sequence_name, options.seqstart, options.seqincrement,
            CASE WHEN options.seqmin = -type_max - 1 THEN 'NO MINVALUE' ELSE 'MINVALUE ' || options.seqmin END,
            CASE WHEN options.seqmax = type_max THEN 'NO MAXVALUE' ELSE 'MAXVALUE ' || options.seqmax END,
            options.seqcache, CASE WHEN options.seqcycle THEN 'CYCLE' ELSE 'NO CYCLE' END);
        PERFORM pg_catalog.setval(sequence_name, last_value, is_called);
    ELSE
        SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) INTO default_value FROM pg_catalog.pg_attrdef d
            JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
            WHERE d.adrelid = {regclass} AND a.attname = {from_literal};
        IF sequence_name IS NOT NULL THEN
            EXECUTE 'ALTER SEQUENCE ' || sequence_name || ' AS {to_type}';
            EXECUTE 'ALTER SEQUENCE ' || sequence_name || ' OWNED BY {table_in_literal}.{to_in_literal}';
        END IF;
        IF default_value IS NOT NULL THEN
            ALTER TABLE {table} ALTER COLUMN {from} DROP DEFAULT;
            EXECUTE 'ALTER TABLE {table_in_literal} ALTER COLUMN {to_in_literal} SET DEFAULT ' || default_value;
        END IF;
    END IF;
END",
        regclass = key.regclass(),
        from_literal = literal(from.as_str()),
        table_literal = literal(&table),
        from = quote_ident(from),
        table_in_literal = in_literal(&table),
        to_in_literal = in_literal(&quote_ident(to)),
    )
}

/// Statements (and nested blocks) as the body of an `IF` in a `DO` block. Only the first line of each is
/// indented: a trigger function's body must stay as the expand wrote it, byte for byte.
fn indent(statements: &[String]) -> String {
    statements
        .iter()
        .map(|s| format!("        {s};"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The name a constraint takes next to the one it replaces: `<name>_new`.
fn new_name(constraint: &Ident) -> Ident {
    Ident::new(make_object_name(constraint.as_str(), None, "new"))
}

/// The old foreign key re-created by the switch's undo: `<name>_old`.
fn old_name(constraint: &Ident) -> Ident {
    Ident::new(make_object_name(constraint.as_str(), None, "old"))
}

impl Render for WidenKeyOnline {
    fn outside_transaction(&self) -> bool {
        true
    }

    fn starts_transaction(&self, index: usize) -> bool {
        let ctx = Ctx {
            op: "widen_key_online",
            position: 0,
        };
        self.parts(ctx)
            .ok()
            .and_then(|parts| parts.into_iter().nth(index))
            .is_some_and(|p| matches!(p, Part::Sql(_, true)))
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        self.parts(ctx)?
            .into_iter()
            .map(|part| match part {
                Part::Sql(sql, _) | Part::Note(sql) => Ok(sql),
                Part::Backfill(backfill) => Ok(Render::render(&backfill, ctx)?.join("\n")),
            })
            .collect()
    }
}

impl WidenKeyOnline {
    /// The engine's work standing for rendered statement `index`: a backfill, or a note.
    pub(crate) fn action_at(&self, index: usize) -> Option<crate::ops::Action> {
        let ctx = Ctx {
            op: "widen_key_online",
            position: 0,
        };
        match self.parts(ctx).ok()?.into_iter().nth(index)? {
            Part::Backfill(backfill) if backfill.is_background() => {
                Some(crate::ops::Action::Queue(backfill))
            }
            Part::Backfill(backfill) => Some(crate::ops::Action::Backfill(backfill)),
            Part::Note(_) => Some(crate::ops::Action::Note),
            Part::Sql(..) => None,
        }
    }
}
