//! Before a run changes anything: the server must accept writes, and the role must hold the rights the
//! bookkeeping needs (the migrations table and the tables named after it, or CREATE on their schema to make
//! them). Otherwise a run would fail half-way through its own bookkeeping: a migration outside a transaction
//! applied but not recorded, or a failure that cannot be marked. The refusal names each missing right.

use migrate_dsl::Action;
use postgres::types::Type;
use postgres::GenericClient;

use crate::error::Error;
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
/// anything runs.
pub(crate) fn check(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    needs: &Needs,
) -> Result<(), Error> {
    if !needs.any {
        return Ok(());
    }
    let role = writable_role(client)?;
    let mut rights = Rights {
        client,
        table,
        role: &role,
        missing: Vec::new(),
    };
    rights.of_migrations_table(needs)?;
    rights.of_bookkeeping_tables(needs)?;
    let mut missing = rights.missing;
    missing.dedup();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::Access { role, missing })
    }
}

/// The current role, once the server and the session are known to accept writes: a standby or a read-only
/// session would refuse the first write, whatever the role's rights.
fn writable_role(client: &mut impl GenericClient) -> Result<String, Error> {
    let row = client
        .query_typed_one(
            "SELECT pg_catalog.pg_is_in_recovery(), pg_catalog.current_setting('default_transaction_read_only') = 'on', \
             pg_catalog.current_setting('transaction_read_only') = 'on', current_user::text",
            &[],
        )
        .map_err(Error::database(
            "cannot check whether the server accepts writes",
        ))?;
    let (standby, default_read_only, read_only, role): (bool, bool, bool, String) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    if standby {
        return Err(Error::ReadOnly(
            "the server is a read-only standby (pg_is_in_recovery() is true); run the migrations on the primary \
             (with several hosts in the URL, add target_session_attrs=read-write)"
                .to_owned(),
        ));
    }
    if default_read_only || read_only {
        return Err(Error::ReadOnly(format!(
            "default_transaction_read_only is on for this session (set for the server, the database or role \
             {role:?}, or in the connection's options), so every transaction is read-only; connect as a role or to \
             a database where it is off (e.g. ALTER ROLE {} SET default_transaction_read_only = off)",
            migrate_dsl::ident(&role)
        )));
    }
    Ok(role)
}

/// The rights of `role` checked table by table, with what is missing gathered so that the refusal names
/// all of it at once.
struct Rights<'c, C> {
    client: &'c mut C,
    table: &'c MigrationsTable,
    role: &'c str,
    missing: Vec<String>,
}

impl<C: GenericClient> Rights<'_, C> {
    /// Reading the migrations table, and inserting (`up`) or deleting (`down`) its rows.
    fn of_migrations_table(&mut self, needs: &Needs) -> Result<(), Error> {
        let mut rights = vec!["SELECT"];
        if needs.up {
            rights.push("INSERT");
        }
        if needs.down {
            rights.push("DELETE");
        }
        self.need(
            self.table.quoted(),
            &rights,
            "the migrations table, where applied migrations are recorded",
        )
    }

    /// What the runner writes besides the migrations table, and which table it goes to.
    fn of_bookkeeping_tables(&mut self, needs: &Needs) -> Result<(), Error> {
        let table = self.table;
        if needs.marks {
            self.need(
                table.journal(),
                &["SELECT", "INSERT", "UPDATE", "DELETE"],
                "where a migration that commits more than once records each step as it commits",
            )?;
            self.need(
                table.failures(),
                &["SELECT", "INSERT", "UPDATE", "DELETE"],
                "where a migration that failed part-way is marked for a person",
            )?;
        }
        if needs.backfills {
            self.need(
                table.backfills(),
                &["SELECT", "INSERT", "UPDATE", "DELETE"],
                "where backfills record their progress",
            )?;
        }
        if let Some(name) = crate::previous::table_name(table).filter(|_| needs.previous) {
            self.need(
                name,
                &["SELECT", "INSERT", "UPDATE", "DELETE"],
                "where what a migration replaces or creates is recorded",
            )?;
        }
        Ok(())
    }

    /// `rights` on table `name`, or, when it does not exist yet, what creating it takes.
    fn need(&mut self, name: String, rights: &[&str], purpose: &str) -> Result<(), Error> {
        let Some(held) = self.held(&name, rights)? else {
            return schema_create(
                self.client,
                self.table,
                &name,
                purpose,
                self.role,
                &mut self.missing,
            );
        };
        let lacking: Vec<&str> = rights
            .iter()
            .zip(&held)
            .filter(|(_, held)| !**held)
            .map(|(r, _)| *r)
            .collect();
        if !lacking.is_empty() {
            self.missing.push(format!(
                "{} on table {name} ({purpose}; GRANT {} ON {name} TO {})",
                lacking.join(", "),
                lacking.join(", "),
                migrate_dsl::ident(self.role)
            ));
        }
        Ok(())
    }

    /// Whether the role holds each of `rights` on table `name`, in order; `None` when the table does not
    /// exist.
    fn held(&mut self, name: &str, rights: &[&str]) -> Result<Option<Vec<bool>>, Error> {
        let exists = crate::history::relation_exists(self.client, name)
            .map_err(Error::database(format!("cannot look up {name}")))?;
        if !exists {
            return Ok(None);
        }
        let mut held = Vec::new();
        for right in rights {
            held.push(
                self.client
                    .query_one(
                        "SELECT pg_catalog.has_table_privilege($1, $2)",
                        &[&name, right],
                    )
                    .map_err(Error::database(format!(
                        "cannot check the rights on {name}"
                    )))?
                    .get(0),
            );
        }
        Ok(Some(held))
    }
}

/// A bookkeeping table that does not exist yet is created in the migrations table's schema: that needs
/// USAGE and CREATE on the schema, or CREATE on the database when the schema is missing too.
fn schema_create(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    name: &str,
    purpose: &str,
    role: &str,
    missing: &mut Vec<String>,
) -> Result<(), Error> {
    let row = client
        .query_typed_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1), \
             EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1 AND pg_catalog.has_schema_privilege(oid, 'CREATE') \
                     AND pg_catalog.has_schema_privilege(oid, 'USAGE')), \
             pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE'), pg_catalog.current_database()::text",
            &[(&table.schema(), Type::NAME)],
        )
        .map_err(Error::database(format!("cannot check the rights on schema {}", table.schema())))?;
    let (schema_exists, on_schema, on_database, database): (bool, bool, bool, String) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    let schema = migrate_dsl::ident(table.schema());
    let role = migrate_dsl::ident(role);
    if schema_exists && !on_schema {
        missing.push(format!(
            "CREATE on schema {schema}, to create {name} ({purpose}; GRANT USAGE, CREATE ON SCHEMA {schema} TO {role}, \
             or create the table as its owner)"
        ));
    } else if !schema_exists && !on_database {
        missing.push(format!(
            "CREATE on database {}, to create schema {schema} for {name} ({purpose}; GRANT CREATE ON DATABASE {} TO {role}, \
             or create the schema as its owner)",
            migrate_dsl::ident(&database),
            migrate_dsl::ident(&database)
        ));
    }
    Ok(())
}
