//! The engine's side of [`migrate_dsl::Safeguard`]: checks that an `IF [NOT] EXISTS` the engine added to a
//! typed operation can only skip this migration's own object, and records what a `CREATE OR REPLACE`
//! replaces so the derived `down` can restore it.

use postgres::GenericClient;

use migrate_dsl::{GrantCheck, Ident, Name, Object, Restore, Safeguard};

use crate::error::Error;
use crate::history::{self, MigrationsTable};
use crate::migration::{Direction, Migration};
use crate::previous::{self, Previous};

#[cfg(test)]
mod tests;

/// The migration and operation a statement belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At<'a> {
    pub table: &'a MigrationsTable,
    pub migration: &'a Migration,
    pub direction: Direction,
    pub position: usize,
}

/// Why a safeguarded statement must not run, before anything of it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// What is wrong with the object, e.g. "already exists".
    pub problem: String,
    /// Whether the object is in the way (so naming its owner helps), rather than missing.
    pub present: bool,
}

/// Checks `safeguard` on `statement` against the database. `Ok(None)`: the statement may run.
pub(crate) fn check(
    conn: &mut impl GenericClient,
    at: At<'_>,
    safeguard: &Safeguard,
    statement: &str,
) -> Result<Option<Refusal>, Error> {
    match safeguard {
        Safeguard::GrantsNothingHeld(grant) => grants_nothing_held(conn, grant),
        Safeguard::CreatesIfAbsent(o) => creates_if_absent(conn, at, o, statement),
        Safeguard::DropsIfPresent(o) => drops_if_present(conn, at, o, statement),
        Safeguard::ClearsLeftover(o) => clears_leftover(conn, at, o, statement),
        Safeguard::SetsNotNull(o) => sets_not_null(conn, o),
        // Nothing to check: the record is written just before the statement runs.
        _ => Ok(None),
    }
}

/// A `GRANT` whose `down` revokes it may give nothing that is held already.
fn grants_nothing_held(
    conn: &mut impl GenericClient,
    grant: &GrantCheck,
) -> Result<Option<Refusal>, Error> {
    let held: Vec<String> = conn
        .query(&grant.held_query, &[])
        .map_err(Error::database(
            "cannot check what is already granted".to_owned(),
        ))?
        .iter()
        .map(|row| row.get(0))
        .collect();
    Ok(grant_verdict(&held))
}

/// A grant may run when nothing of it is `held` already.
fn grant_verdict(held: &[String]) -> Option<Refusal> {
    (!held.is_empty()).then(|| Refusal {
        problem: format!("grants what is already held: {}", held.join(", ")),
        present: false,
    })
}

/// An engine-added `IF NOT EXISTS` may only skip `object` when an earlier attempt of this migration created it.
fn creates_if_absent(
    conn: &mut impl GenericClient,
    at: At<'_>,
    object: &Object,
    statement: &str,
) -> Result<Option<Refusal>, Error> {
    let relation = relation_in_table_schema(conn, object)?;
    create_verdict(relation, || ours(conn, at, object, statement))
}

/// Whether `IF NOT EXISTS` may skip the relation in the way. Like the other verdicts, apart from the lookups
/// that feed it so the decision reads (and is tested) on its own; `ours` costs a query and is asked only
/// where it decides.
fn create_verdict(
    relation: Option<Relation>,
    ours: impl FnOnce() -> Result<bool, Error>,
) -> Result<Option<Refusal>, Error> {
    let Some(state) = relation else {
        return Ok(None);
    };
    // An invalid index an earlier attempt of this migration left (a failed or interrupted concurrent build)
    // is the runner's to drop and rebuild; one nothing records this migration building is someone else's
    // failed build, which it must neither drop nor take for its own.
    if ours()? {
        return Ok(None);
    }
    let problem = if state.invalid_index_on_table {
        format!(
            "already exists, invalid ({}): a failed `CREATE INDEX CONCURRENTLY` left it, and no earlier \
             attempt of this migration built it, so it is not this migration's to drop and build again; drop \
             it (`DROP INDEX CONCURRENTLY`) if it is a leftover, or give this index another name",
            state.what
        )
    } else {
        format!("already exists ({})", state.what)
    };
    Ok(Some(Refusal {
        problem,
        present: true,
    }))
}

/// An engine-added `IF EXISTS` may only skip `object` when an earlier attempt of this migration dropped it.
fn drops_if_present(
    conn: &mut impl GenericClient,
    at: At<'_>,
    object: &Object,
    statement: &str,
) -> Result<Option<Refusal>, Error> {
    let exists = index_exists(conn, object)?;
    drop_verdict(exists, || ours(conn, at, object, statement))
}

fn drop_verdict(
    exists: bool,
    ours: impl FnOnce() -> Result<bool, Error>,
) -> Result<Option<Refusal>, Error> {
    if exists || ours()? {
        Ok(None)
    } else {
        Ok(Some(Refusal {
            problem: "does not exist: it was dropped outside this migration, or never created"
                .to_owned(),
            present: false,
        }))
    }
}

/// A statement that first drops what a failed attempt left may only drop a constraint that attempt added.
fn clears_leftover(
    conn: &mut impl GenericClient,
    at: At<'_>,
    object: &Object,
    statement: &str,
) -> Result<Option<Refusal>, Error> {
    let kind = constraint_kind(conn, object)?;
    clear_verdict(kind.as_deref(), || ours(conn, at, object, statement))
}

/// `kind` is the `contype` of the constraint in the way, if there is one.
fn clear_verdict(
    kind: Option<&str>,
    ours: impl FnOnce() -> Result<bool, Error>,
) -> Result<Option<Refusal>, Error> {
    let Some(kind) = kind else {
        return Ok(None);
    };
    if kind == "n" {
        // PostgreSQL 18 records NOT NULL as a constraint named `<table>_<column>_not_null`: the name
        // `set_not_null` gives its temporary check. Dropping it would drop the column's NOT NULL.
        Ok(Some(Refusal {
            problem: "is the NOT NULL constraint of the column (PostgreSQL 18 and newer name it so): \
                      the column is NOT NULL already, and the statement would drop it"
                .to_owned(),
            present: true,
        }))
    } else if ours()? {
        Ok(None)
    } else {
        Ok(Some(Refusal {
            problem: "already exists, and the statement drops it first to clear what a failed \
                              earlier attempt of this migration left"
                .to_owned(),
            present: true,
        }))
    }
}

/// A column whose `down` drops `NOT NULL` again must allow `NULL`s before the statement runs.
fn sets_not_null(
    conn: &mut impl GenericClient,
    object: &Object,
) -> Result<Option<Refusal>, Error> {
    let Object::Column { table, column } = object else {
        return Ok(None);
    };
    let not_null: bool = conn
        .query_one(
            "SELECT coalesce((SELECT attnotnull FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass($1) \
             AND attname = $2 AND NOT attisdropped), false)",
            &[&table.quoted(), &column.as_str()],
        )
        .map_err(Error::database(format!("cannot look up {}", object.describe())))?
        .get(0);
    Ok(not_null_verdict(not_null))
}

/// `SET NOT NULL` whose `down` drops it again may only run on a column that allows `NULL`s.
fn not_null_verdict(not_null: bool) -> Option<Refusal> {
    not_null.then(|| Refusal {
        problem: "is NOT NULL already".to_owned(),
        present: false,
    })
}

/// Whether an earlier attempt of this migration ran `statement` on `object` at this position, so that what
/// it finds is the migration's own.
fn ours(
    conn: &mut impl GenericClient,
    at: At<'_>,
    object: &Object,
    statement: &str,
) -> Result<bool, Error> {
    previous::attempted(
        conn,
        at.table,
        at.migration.name(),
        at.direction,
        at.position,
        &object.key(),
        statement,
    )
}

/// Records, before `statement` runs, what the safeguard needs later: that this migration ran it (for a
/// re-run), or the definition it replaces (for the `down`).
pub(crate) fn record(
    conn: &mut impl GenericClient,
    at: At<'_>,
    safeguard: &Safeguard,
    statement: &str,
) -> Result<(), Error> {
    let Some(object) = safeguard.object() else {
        return Ok(());
    };
    match safeguard {
        Safeguard::SetsNotNull(_) => Ok(()),
        Safeguard::RecordsPrevious(o) => {
            if at.direction != Direction::Up {
                return Ok(());
            }
            match current_definition(conn, o)? {
                Some(previous) => previous::record_previous(
                    conn,
                    at.table,
                    at.migration.name(),
                    at.position,
                    &o.key(),
                    &previous,
                ),
                None => Ok(()),
            }
        }
        _ => previous::record_attempt(
            conn,
            at.table,
            at.migration.name(),
            at.direction,
            at.position,
            &object.key(),
            statement,
        ),
    }
}

/// What a relation named like `index` in its table's schema is, if there is one.
struct Relation {
    /// "an index on \"comments\"", "a table", ...
    what: String,
    invalid_index_on_table: bool,
}

fn relation_in_table_schema(
    conn: &mut impl GenericClient,
    object: &Object,
) -> Result<Option<Relation>, Error> {
    let Object::Index { name, table } = object else {
        return Ok(None);
    };
    // CREATE INDEX puts the index in its table's schema, and IF NOT EXISTS skips on any relation of that
    // name there.
    let row = conn
        .query_opt(
            "SELECT c.relkind::text, pg_catalog.textin(pg_catalog.regclassout(i.indrelid::regclass)), coalesce(i.indrelid = pg_catalog.to_regclass($2), false), \
             coalesce(NOT i.indisvalid, false) \
             FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid \
             WHERE c.relname = $1 AND c.relnamespace = \
             (SELECT relnamespace FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass($2))",
            &[&name.name().as_str(), &table.quoted()],
        )
        .map_err(Error::database(format!("cannot look up {}", object.describe())))?;
    Ok(row.map(|r| Relation::described(&r.get::<_, String>(0), r.get(1), r.get(2), r.get(3))))
}

impl Relation {
    /// A relation of `kind` (`relkind`), an index `on` a table when it is one, `same_table` as the
    /// statement's, `invalid` when a failed concurrent build left it.
    fn described(kind: &str, on: Option<String>, same_table: bool, invalid: bool) -> Relation {
        let what = match (kind, on) {
            ("i" | "I", Some(on)) if same_table => format!("an index on {on}"),
            ("i" | "I", Some(on)) => format!("an index on another table, {on}"),
            ("r" | "p", _) => "a table of that name".to_owned(),
            ("v", _) => "a view of that name".to_owned(),
            ("m", _) => "a materialized view of that name".to_owned(),
            ("S", _) => "a sequence of that name".to_owned(),
            _ => "a relation of that name".to_owned(),
        };
        Relation {
            what,
            invalid_index_on_table: same_table && invalid,
        }
    }
}

fn index_exists(conn: &mut impl GenericClient, object: &Object) -> Result<bool, Error> {
    let Object::Index { name, .. } = object else {
        return Ok(true);
    };
    let row = conn
        .query_one(
            "SELECT coalesce((SELECT relkind IN ('i', 'I') FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass($1)), false)",
            &[&name.quoted()],
        )
        .map_err(Error::database(format!("cannot look up {}", object.describe())))?;
    Ok(row.get(0))
}

/// The `contype` of constraint `object` on its table (`c`, `n`, ...), or `None` when there is none.
fn constraint_kind(
    conn: &mut impl GenericClient,
    object: &Object,
) -> Result<Option<String>, Error> {
    let Object::Constraint { name, table } = object else {
        return Ok(None);
    };
    let row = conn
        .query_one(
            "SELECT (SELECT contype::text FROM pg_catalog.pg_constraint WHERE conrelid = pg_catalog.to_regclass($1) AND conname = $2)",
            &[&table.quoted(), &name.as_str()],
        )
        .map_err(Error::database(format!("cannot look up {}", object.describe())))?;
    Ok(row.get(0))
}

/// The statements that put `object` back as it is now, or that it does not exist; `None` when it is not
/// something `CREATE OR REPLACE` can replace (the statement then fails on its own).
fn current_definition(
    conn: &mut impl GenericClient,
    object: &Object,
) -> Result<Option<Previous>, Error> {
    let context = || {
        format!(
            "cannot read the current definition of {}",
            object.describe()
        )
    };
    match object {
        Object::Function { signature, .. } => {
            function_definition(conn, signature, context()).map(Some)
        }
        Object::View { name } => view_definition(conn, name, context()),
        Object::OperatorFamily { name, method } => {
            operator_family_existed(conn, name, method, context()).map(Some)
        }
        _ => Ok(None),
    }
}

/// Nothing to restore: the object did not exist, and the `down` drops it.
fn absent() -> Previous {
    Previous {
        existed: false,
        restore: Vec::new(),
        kept: None,
    }
}

/// The function of `signature` as it is now: its definition and comment, and how many parameter defaults it
/// has (the `down` cannot remove any added since).
fn function_definition(
    conn: &mut impl GenericClient,
    signature: &str,
    context: String,
) -> Result<Previous, Error> {
    let row = conn
        .query_opt(
            "SELECT pg_catalog.pg_get_functiondef(p.oid), pg_catalog.textin(pg_catalog.regprocedureout(p.oid::regprocedure)), \
             pg_catalog.obj_description(p.oid, 'pg_proc'), p.pronargdefaults FROM pg_catalog.pg_proc p \
             WHERE p.oid = pg_catalog.to_regprocedure($1)",
            &[&signature],
        )
        .map_err(Error::database(context))?;
    let Some(r) = row else {
        return Ok(absent());
    };
    let definition: String = r.get(0);
    let identity: String = r.get(1);
    let comment: Option<String> = r.get(2);
    let defaults: i16 = r.get(3);
    Ok(Previous {
        existed: true,
        restore: vec![
            definition.trim_end().to_owned(),
            format!("COMMENT ON FUNCTION {identity} IS {}", comment_sql(comment)),
        ],
        kept: Some(i32::from(defaults)),
    })
}

/// The view `name` as it is now: its query, columns, options and comment, and how many columns it has (the
/// `down` cannot remove any added since). `None` when `name` is a relation other than a view.
fn view_definition(
    conn: &mut impl GenericClient,
    name: &Name,
    context: String,
) -> Result<Option<Previous>, Error> {
    let row = conn
        .query_opt(
            "SELECT c.relkind::text, pg_catalog.textin(pg_catalog.regclassout(c.oid::regclass)), pg_catalog.pg_get_viewdef(c.oid), \
             array(SELECT pg_catalog.quote_ident(a.attname) FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid \
             AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum), \
             coalesce(pg_catalog.array_to_string(c.reloptions, ', '), ''), pg_catalog.obj_description(c.oid, 'pg_class') \
             FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1)",
            &[&name.quoted()],
        )
        .map_err(Error::database(context))?;
    let Some(r) = row else {
        return Ok(Some(absent()));
    };
    let kind: String = r.get(0);
    if kind != "v" {
        return Ok(None);
    }
    let view: String = r.get(1);
    let query: String = r.get(2);
    let columns: Vec<String> = r.get(3);
    let options: String = r.get(4);
    let comment: Option<String> = r.get(5);
    // CREATE OR REPLACE keeps the view's owner, privileges, column defaults, triggers and dependent
    // views, which a DROP and CREATE would lose; its WITH list replaces the options entirely (an
    // empty one clears them), check option included.
    let with = if options.is_empty() {
        String::new()
    } else {
        format!(" WITH ({options})")
    };
    Ok(Some(Previous {
        existed: true,
        restore: vec![
            format!(
                "CREATE OR REPLACE VIEW {view} ({}){with} AS {}",
                columns.join(", "),
                query.trim().trim_end_matches(';')
            ),
            format!("COMMENT ON VIEW {view} IS {}", comment_sql(comment)),
        ],
        kept: i32::try_from(columns.len()).ok(),
    }))
}

/// Whether the operator family `name` of index method `method` exists: the `down` drops it if it did not
/// (there is nothing to restore otherwise).
fn operator_family_existed(
    conn: &mut impl GenericClient,
    name: &Name,
    method: &Ident,
    context: String,
) -> Result<Previous, Error> {
    // CREATE OPERATOR CLASS makes the family in its own schema: the qualified one, or the first
    // schema of the search_path.
    let schema = name
        .schema()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    let existed: bool = conn
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod \
             WHERE f.opfname = $1 AND am.amname = $2 AND f.opfnamespace = \
             CASE WHEN $3 = '' THEN (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema()) \
             ELSE (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $3) END)",
            &[&name.name().as_str(), &method.as_str(), &schema],
        )
        .map_err(Error::database(context))?
        .get(0);
    Ok(Previous {
        existed,
        restore: Vec::new(),
        kept: None,
    })
}

fn comment_sql(comment: Option<String>) -> String {
    comment.map_or_else(|| "NULL".to_owned(), |c| migrate_dsl::literal(&c))
}

/// The statements that restore what the `up` replaced, from the record. An `Err` says why it cannot.
pub(crate) fn restore_statements(
    conn: &mut impl GenericClient,
    at: At<'_>,
    restore: &Restore,
) -> Result<Result<Vec<String>, String>, Error> {
    let object = &restore.object;
    let Some(previous) = previous::load_previous(
        conn,
        at.table,
        at.migration.name(),
        restore.up_position,
        &object.key(),
    )?
    else {
        return Ok(Err(format!(
            "no previous definition of {} was recorded when the `up` ran (it was recorded as applied without running, or by \
             a version of migrate that did not record it), so it cannot be restored; write a `down` that \
             restores it, or restore it by hand and record the revert without running it",
            object.describe()
        )));
    };
    if !previous.existed {
        return Ok(Ok(restore.drop.clone()));
    }
    if let (Object::Function { signature, .. }, Some(before)) = (object, previous.kept) {
        let now: Option<i32> = conn
            .query_opt(
                "SELECT p.pronargdefaults FROM pg_catalog.pg_proc p WHERE p.oid = pg_catalog.to_regprocedure($1)",
                &[signature],
            )
            .map_err(Error::database(format!(
                "cannot look up {}",
                object.describe()
            )))?
            .map(|r| i32::from(r.get::<_, i16>(0)));
        if let Some(now) = now.filter(|&now| now > before) {
            return Ok(Err(format!(
                "{} has {now} parameter default(s) now and had {before} before this migration: CREATE OR REPLACE \
                 FUNCTION cannot remove parameter defaults, so the previous definition can only come back by \
                 dropping the function (and what depends on it); write a `down` that does that",
                object.describe()
            )));
        }
    }
    if let (Object::View { name }, Some(before)) = (object, previous.kept) {
        let now: i64 = conn
            .query_one(
                "SELECT pg_catalog.count(*) FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass($1) AND attnum > 0 \
                 AND NOT attisdropped",
                &[&name.quoted()],
            )
            .map_err(Error::database(format!("cannot look up {}", object.describe())))?
            .get(0);
        if now > i64::from(before) {
            return Ok(Err(format!(
                "{} has {now} columns now and had {before} before this migration: CREATE OR REPLACE VIEW cannot \
                 remove columns, so the previous definition can only come back by dropping the view (and \
                 what depends on it); write a `down` that does that",
                object.describe()
            )));
        }
    }
    Ok(Ok(previous.restore))
}

/// Who most likely owns `object`: an earlier operation of this migration, the newest applied migration
/// whose typed operations create it, or else "an earlier migration or a manual change".
pub(crate) fn owner(
    conn: &mut impl GenericClient,
    at: At<'_>,
    migrations: &[Migration],
    object: &Object,
) -> String {
    let creates = |m: &Migration, before: Option<usize>| -> bool {
        m.build(Direction::Up).is_ok_and(|pgm| {
            pgm.operations()
                .iter()
                .enumerate()
                .filter(|(i, _)| before.is_none_or(|p| i + 1 < p))
                .any(|(_, op)| op.creates().iter().any(|o| o.same_as(object)))
        })
    };
    if at.direction == Direction::Up && creates(at.migration, Some(at.position)) {
        return "an earlier operation of this same migration".to_owned();
    }
    let applied = history::load(conn, at.table, migrations).unwrap_or_default();
    for name in applied.names().rev() {
        if name == at.migration.name() {
            continue;
        }
        if let Some(m) = migrations.iter().find(|m| m.name() == name) {
            if creates(m, None) {
                return format!("migration {} (applied)", m.name());
            }
        }
    }
    "an earlier migration or a manual change".to_owned()
}
