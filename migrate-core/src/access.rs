//! Before a run changes anything: the server must accept writes, and the role must hold the rights the
//! bookkeeping needs (the migrations table and the tables named after it, or CREATE on their schema to make
//! them). Otherwise a run would fail half-way through its own bookkeeping: a migration outside a transaction
//! applied but not recorded, or a failure that cannot be marked. The refusal names each missing right.

use migrate_dsl::Action;
use postgres::types::Type;
use postgres::GenericClient;

use crate::error::{Error, ReadOnlyError};
use crate::history::MigrationsTable;
use crate::migration::Direction;
use crate::plan::Step;

/// What a run's steps need from the role, gathered one step at a time: a long run need not hold its steps
/// to be checked.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Needs {
    any: bool,
    up: bool,
    down: bool,
    /// A step outside a transaction or in several: the runner journals its steps, and may write a failure
    /// mark.
    marks: bool,
    backfills: bool,
    /// Safeguards or restores: the runner records what it replaces.
    previous: bool,
}

impl Needs {
    pub(crate) fn of(steps: &[Step<'_>]) -> Self {
        let mut needs = Needs::default();
        for step in steps {
            needs.add(step);
        }
        needs
    }

    pub(crate) fn add(&mut self, s: &Step<'_>) {
        self.any = true;
        self.up |= s.direction == Direction::Up;
        self.down |= s.direction == Direction::Down;
        // More than one segment (see `Step::segments`) without building them: a transaction break after the
        // first statement.
        // A step that sends nothing writes its bookkeeping row only.
        self.marks |= !s.sends_nothing()
            && (!s.transactional || s.statements().iter().skip(1).any(|st| st.new_transaction));
        self.backfills |= s
            .statements()
            .iter()
            .any(|st| matches!(st.action, Some(Action::Backfill(_))));
        self.previous |= s
            .statements()
            .iter()
            .any(|st| st.safeguard.is_some() || matches!(st.action, Some(Action::Restore(_))));
    }
}

/// Refuses a read-only server or session, or a role without a right the steps behind `needs` need, before
/// anything runs. One query asks all of it: a fleet checks each of its targets. When `needs` asked anything,
/// the same query read what the run needs next (see [`Checked`]).
pub(crate) fn check(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    needs: &Needs,
) -> Result<Option<Checked>, Error> {
    if !needs.any {
        return Ok(None);
    }
    let wanted = wanted(table, needs);
    let facts = read(client, table, &wanted)?;
    let role = writable_role(&facts)?;
    let mut missing = Vec::new();
    for (want, held) in wanted.iter().zip(&facts.held) {
        match held {
            Some(held) => lacking(want, held, &role, &mut missing),
            None => schema_create(&facts, table, want, &role, &mut missing),
        }
    }
    missing.dedup();
    if missing.is_empty() {
        Ok(Some(Checked {
            schema_exists: facts.schema_exists,
            search_path: facts.search_path,
            set_role: facts.set_role,
        }))
    } else {
        Err(Error::Access { role, missing })
    }
}

/// What the access check read besides the rights, which the run would otherwise ask in round trips of their
/// own (a fleet pays each per target).
pub(crate) struct Checked {
    /// Whether the migrations table's schema exists: creating the table needs no look-up.
    pub schema_exists: bool,
    /// The session's `search_path` and role setting, which the run puts back before each migration.
    pub search_path: String,
    pub set_role: String,
}

/// A table the run writes or reads, the rights it needs on it, and what the table is for (named in the
/// refusal).
struct Wanted {
    name: String,
    rights: &'static [&'static str],
    purpose: &'static str,
}

/// The tables the steps behind `needs` use: the migrations table (read, and rows inserted by `up`, deleted by
/// `down`), and what the runner writes besides it.
fn wanted(table: &MigrationsTable, needs: &Needs) -> Vec<Wanted> {
    const ALL: &[&str] = &["SELECT", "INSERT", "UPDATE", "DELETE"];
    let rights: &'static [&'static str] = match (needs.up, needs.down) {
        (true, true) => &["SELECT", "INSERT", "DELETE"],
        (true, false) => &["SELECT", "INSERT"],
        (false, true) => &["SELECT", "DELETE"],
        (false, false) => &["SELECT"],
    };
    let mut wanted = vec![Wanted {
        name: table.quoted(),
        rights,
        purpose: "the migrations table, where applied migrations are recorded",
    }];
    if needs.marks {
        wanted.push(Wanted {
            name: table.journal(),
            rights: ALL,
            purpose: "where a migration that commits more than once records each step as it commits",
        });
        wanted.push(Wanted {
            name: table.failures(),
            rights: ALL,
            purpose: "where a migration that failed part-way is marked for a person",
        });
    }
    if needs.backfills {
        wanted.push(Wanted {
            name: table.backfills(),
            rights: ALL,
            purpose: "where backfills record their progress",
        });
    }
    if let Some(name) = crate::previous::table_name(table).filter(|_| needs.previous) {
        wanted.push(Wanted {
            name,
            rights: ALL,
            purpose: "where what a migration replaces or creates is recorded",
        });
    }
    wanted
}

/// What [`check`] decides by, as one query read it.
struct Facts {
    standby: bool,
    read_only: bool,
    role: String,
    schema_exists: bool,
    /// USAGE and CREATE on the migrations table's schema.
    on_schema: bool,
    /// CREATE on the database.
    on_database: bool,
    database: String,
    /// The session's `search_path` and role setting (`none` unless the session ran `SET ROLE`), which the
    /// run puts back before each migration.
    search_path: String,
    set_role: String,
    /// For each wanted table, whether the role holds each of its rights, in order; `None` when the table
    /// does not exist.
    held: Vec<Option<Vec<bool>>>,
}

fn read(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    wanted: &[Wanted],
) -> Result<Facts, Error> {
    // The rights are this module's own words, written into the query; the names are parameters. A table that
    // does not exist has no oid, and the privilege of none is NULL.
    let mut sql = String::from(
        "SELECT pg_catalog.pg_is_in_recovery(), \
         pg_catalog.current_setting('default_transaction_read_only') = 'on' \
         OR pg_catalog.current_setting('transaction_read_only') = 'on', current_user::text, \
         EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1), \
         EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1 \
                 AND pg_catalog.has_schema_privilege(oid, 'CREATE') AND pg_catalog.has_schema_privilege(oid, 'USAGE')), \
         pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE'), pg_catalog.current_database()::text, \
         pg_catalog.current_setting('search_path'), pg_catalog.current_setting('role')",
    );
    for (i, want) in wanted.iter().enumerate() {
        let at = i + 2;
        sql.push_str(&format!(", pg_catalog.to_regclass(${at}) IS NOT NULL"));
        for right in want.rights {
            sql.push_str(&format!(
                ", pg_catalog.has_table_privilege(pg_catalog.to_regclass(${at})::oid, '{right}')"
            ));
        }
    }
    let schema = table.schema();
    let mut params: Vec<(&(dyn postgres::types::ToSql + Sync), Type)> = vec![(&schema, Type::NAME)];
    for want in wanted {
        params.push((&want.name, Type::TEXT));
    }
    let row = client
        .query_typed_one(&sql, &params)
        .map_err(Error::database(
            "cannot check whether the server accepts writes and the role's rights",
        ))?;
    let mut at = 9;
    let mut held = Vec::new();
    for want in wanted {
        let exists: bool = row.get(at);
        let rights: Vec<bool> = (0..want.rights.len())
            .map(|r| row.get::<_, Option<bool>>(at + 1 + r).unwrap_or(false))
            .collect();
        held.push(exists.then_some(rights));
        at += 1 + want.rights.len();
    }
    Ok(Facts {
        standby: row.get(0),
        read_only: row.get(1),
        role: row.get(2),
        schema_exists: row.get(3),
        on_schema: row.get(4),
        on_database: row.get(5),
        database: row.get(6),
        search_path: row.get(7),
        set_role: row.get(8),
        held,
    })
}

/// The current role, once the server and the session are known to accept writes: a standby or a read-only
/// session would refuse the first write, whatever the role's rights.
fn writable_role(facts: &Facts) -> Result<String, Error> {
    let role = &facts.role;
    if facts.standby {
        return Err(ReadOnlyError::Standby.into());
    }
    if facts.read_only {
        return Err(ReadOnlyError::SessionReadOnly { role: role.clone() }.into());
    }
    Ok(role.clone())
}

/// The rights of `want` that `held` says the role lacks, as a refusal's line.
fn lacking(want: &Wanted, held: &[bool], role: &str, missing: &mut Vec<String>) {
    let lacking: Vec<&str> = want
        .rights
        .iter()
        .zip(held)
        .filter(|(_, held)| !**held)
        .map(|(r, _)| *r)
        .collect();
    if !lacking.is_empty() {
        missing.push(format!(
            "{} on table {} ({}; GRANT {} ON {} TO {})",
            lacking.join(", "),
            want.name,
            want.purpose,
            lacking.join(", "),
            want.name,
            migrate_dsl::ident(role)
        ));
    }
}

/// A bookkeeping table that does not exist yet is created in the migrations table's schema: that needs
/// USAGE and CREATE on the schema, or CREATE on the database when the schema is missing too.
fn schema_create(
    facts: &Facts,
    table: &MigrationsTable,
    want: &Wanted,
    role: &str,
    missing: &mut Vec<String>,
) {
    let (name, purpose) = (&want.name, want.purpose);
    let schema = migrate_dsl::ident(table.schema());
    let role = migrate_dsl::ident(role);
    if facts.schema_exists && !facts.on_schema {
        missing.push(format!(
            "CREATE on schema {schema}, to create {name} ({purpose}; GRANT USAGE, CREATE ON SCHEMA {schema} TO {role}, \
             or create the table as its owner)"
        ));
    } else if !facts.schema_exists && !facts.on_database {
        let database = migrate_dsl::ident(&facts.database);
        missing.push(format!(
            "CREATE on database {database}, to create schema {schema} for {name} ({purpose}; GRANT CREATE ON DATABASE \
             {database} TO {role}, or create the schema as its owner)"
        ));
    }
}

/// The statements that put a session's `search_path` and role back as `path` and `role` (its `role`
/// setting, `none` without a `SET ROLE`) were when read: the runner's before each migration, the
/// background worker's around each job.
pub(crate) fn session_restore_sql(path: &str, role: &str) -> String {
    let role = match role {
        "none" => "RESET ROLE".to_owned(),
        role => format!("SET ROLE {}", migrate_dsl::ident(role)),
    };
    format!(
        "SELECT pg_catalog.set_config('search_path', {}, false); {role}",
        migrate_dsl::literal(path)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted_of(needs: Needs) -> Vec<(String, Vec<&'static str>)> {
        let table = MigrationsTable::default();
        wanted(&table, &needs)
            .into_iter()
            .map(|w| (w.name, w.rights.to_vec()))
            .collect()
    }

    #[test]
    fn each_need_asks_for_its_tables_and_rights() {
        let up = Needs {
            any: true,
            up: true,
            ..Needs::default()
        };
        assert_eq!(
            wanted_of(up),
            [(r#""public"."pgmigrations""#.to_owned(), vec!["SELECT", "INSERT"])]
        );
        let everything = Needs {
            any: true,
            up: true,
            down: true,
            marks: true,
            backfills: true,
            previous: true,
        };
        let all = vec!["SELECT", "INSERT", "UPDATE", "DELETE"];
        assert_eq!(
            wanted_of(everything),
            [
                (r#""public"."pgmigrations""#.to_owned(), vec!["SELECT", "INSERT", "DELETE"]),
                (r#""public"."pgmigrations_journal""#.to_owned(), all.clone()),
                (r#""public"."pgmigrations_failed""#.to_owned(), all.clone()),
                (r#""public"."pgmigrations_backfill""#.to_owned(), all.clone()),
                (r#""public"."pgmigrations_previous""#.to_owned(), all),
            ]
        );
    }
}
