//! The journal of migrations in progress, kept in `<migrations table>_journal`: one row for each migration
//! that runs in more than one commit (outside a transaction, or in several transactions) and has not finished.
//!
//! Each step of such a migration commits together with the journal entry that says it is done (in the same
//! transaction), so after an interruption at any point the journal says exactly which steps took effect,
//! and the next run continues after them instead of asking a person. A step PostgreSQL refuses to run in a
//! transaction (`CREATE INDEX CONCURRENTLY`) cannot commit with its entry: the row names it as `running` while
//! it is sent, and the next run recognises in the catalog whether it took effect.
//!
//! The row also names the application it belongs to (`attempt`): a backfill's saved position is keyed to it,
//! so a position saved by an application that was reverted or repaired away is never resumed by a later one.
//! The row goes when the migration is recorded as applied (in that same transaction), when its partial
//! application is undone, and on `repair`.
//!
//! The table is created with the first row, not with the migrations table, so reading treats a missing table
//! as no rows.

use postgres::GenericClient;

use crate::error::Error;
use crate::migration::Direction;

use super::table::MigrationsTable;

/// A migration in progress, as the journal records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InProgress {
    pub name: String,
    /// The direction it runs in.
    pub direction: Direction,
    /// Names this application of the migration; a backfill's saved position belongs to it.
    pub attempt: String,
    /// The steps that took effect, in order: each as [`Entry`]'s text.
    pub done: Vec<String>,
    /// The step that was sent outside any transaction and has not been confirmed: it may or may not have
    /// taken effect.
    pub running: Option<String>,
    /// What the catalog said when the migration started, for an operation whose statements depend on it (a
    /// key's widening), as JSON: the migration goes on, or is undone, as it started, whatever changed in
    /// the catalog since.
    pub catalogs: Option<String>,
}

/// In JSON (`status --json`): the migration, its direction, and the statements that took effect as
/// descriptions.
impl serde::Serialize for InProgress {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("InProgress", 4)?;
        s.serialize_field("name", &self.name)?;
        s.serialize_field("direction", &self.direction)?;
        let done: Vec<&str> = self.entries().map(|e| e.described).collect();
        s.serialize_field("done", &done)?;
        s.serialize_field(
            "running",
            &self.running.as_deref().map(|r| Entry::parse(r).described),
        )?;
        s.end()
    }
}

impl InProgress {
    /// The steps done, as entries.
    pub(crate) fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        self.done.iter().map(|text| Entry::parse(text))
    }
}

/// One step of a migration as the journal names it: a digest of what it runs (so a migration file changed
/// after some of its steps took effect is noticed), and a description for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry<'a> {
    pub digest: &'a str,
    /// `#2 (add_columns): ALTER TABLE ...`, the step's operation and first line.
    pub described: &'a str,
}

impl<'a> Entry<'a> {
    /// How a step is written in the journal: `<digest> <description>`.
    pub(crate) fn text(digest: &str, described: &str) -> String {
        format!("{digest} {described}")
    }

    pub(crate) fn parse(text: &'a str) -> Self {
        match text.split_once(' ') {
            Some((digest, described)) => Entry { digest, described },
            None => Entry {
                digest: text,
                described: "",
            },
        }
    }
}

/// Creates the journal when missing. Checked first: `IF NOT EXISTS` would send a notice on every run.
fn ensure_table(client: &mut impl GenericClient, table: &MigrationsTable) -> Result<String, Error> {
    let journal = table.journal();
    let exists = super::sql::relation_exists(client, &journal)
        .map_err(Error::database(format!("cannot look up {journal}")))?;
    if !exists {
        client
            .batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {journal} (name text PRIMARY KEY, direction text NOT NULL, \
                 attempt text NOT NULL, done text[] NOT NULL DEFAULT '{{}}', running text, catalogs text, \
                 started_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(), \
                 updated_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp())"
            ))
            .map_err(Error::database(format!("cannot create {journal}")))?;
    }
    Ok(journal)
}

/// Every migration in progress, oldest first (none when the table does not exist).
pub(crate) fn load_all(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<Vec<InProgress>, Error> {
    load_where(client, table, None)
}

/// The journal row of `name`, if it is in progress.
pub(crate) fn load(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    name: &str,
) -> Result<Option<InProgress>, Error> {
    Ok(load_where(client, table, Some(name))?.pop())
}

fn load_where(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    name: Option<&str>,
) -> Result<Vec<InProgress>, Error> {
    let journal = table.journal();
    let exists = super::sql::relation_exists(client, &journal)
        .map_err(Error::database(format!("cannot look up {journal}")))?;
    if !exists {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            &format!(
                // `catalogs` through the row as JSON: a journal made before the column reads as none.
                "SELECT name, direction, attempt, done, running, pg_catalog.to_jsonb(j) ->> 'catalogs' \
                 FROM {journal} j WHERE $1::text IS NULL OR name = $1 ORDER BY started_at, name"
            ),
            &[&name],
        )
        .map_err(Error::database(format!("cannot read {journal}")))?;
    rows.iter()
        .map(|r| {
            let direction: String = r.try_get(1)?;
            Ok(InProgress {
                name: r.try_get(0)?,
                direction: if direction == "down" {
                    Direction::Down
                } else {
                    Direction::Up
                },
                attempt: r.try_get(2)?,
                done: r.try_get(3)?,
                running: r.try_get(4)?,
                catalogs: r.try_get(5)?,
            })
        })
        .collect::<Result<Vec<_>, postgres::Error>>()
        .map_err(Error::database(format!(
            "cannot read {journal}: its columns are not as this tool creates them"
        )))
}

/// Starts the journal row of `name` (a new application of it, with a new attempt), committed at once or
/// with the caller's transaction; `catalogs` is what the catalog said for its statements, when they depend
/// on it ([`InProgress::catalogs`]).
pub(crate) fn begin(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    name: &str,
    direction: Direction,
    catalogs: Option<&str>,
) -> Result<InProgress, Error> {
    let journal = ensure_table(client, table)?;
    let direction_text = direction.to_string();
    let row = match catalogs {
        Some(catalogs) => {
            add_catalogs_column(client, &journal)?;
            client.query_one(
                &format!(
                    "INSERT INTO {journal} (name, direction, attempt, catalogs) \
                     VALUES ($1, $2, pg_catalog.gen_random_uuid()::text, $3) RETURNING attempt"
                ),
                &[&name, &direction_text, &catalogs],
            )
        }
        None => client.query_one(
            &format!(
                "INSERT INTO {journal} (name, direction, attempt) \
                 VALUES ($1, $2, pg_catalog.gen_random_uuid()::text) RETURNING attempt"
            ),
            &[&name, &direction_text],
        ),
    }
    .map_err(Error::database(format!(
        "cannot record that {name} started in {journal}"
    )))?;
    Ok(InProgress {
        name: name.to_owned(),
        direction,
        attempt: row.get(0),
        done: Vec::new(),
        running: None,
        catalogs: catalogs.map(str::to_owned),
    })
}

/// Adds the `catalogs` column to a journal made before it. Checked first: `IF NOT EXISTS` alone would have
/// the server say "already exists, skipping".
fn add_catalogs_column(client: &mut impl GenericClient, journal: &str) -> Result<(), Error> {
    let missing = client
        .query_one(
            "SELECT NOT EXISTS (SELECT FROM pg_catalog.pg_attribute \
             WHERE attrelid = $1::text::regclass AND attname = 'catalogs' AND NOT attisdropped)",
            &[&journal],
        )
        .map_err(Error::database(format!("cannot look up {journal}")))?
        .get::<_, bool>(0);
    if missing {
        client
            .batch_execute(&format!("ALTER TABLE {journal} ADD COLUMN IF NOT EXISTS catalogs text"))
            .map_err(Error::database(format!("cannot add the column catalogs to {journal}")))?;
    }
    Ok(())
}

/// Records `entries` as done (appended in order) and clears `running`, in the caller's transaction when
/// there is one: the step and its entry commit together.
pub(crate) fn advance(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    name: &str,
    entries: &[String],
) -> Result<(), Error> {
    advance_raw(client, table, name, entries).map_err(Error::database(format!(
        "cannot record the progress of {name} in {}",
        table.journal()
    )))
}

/// [`advance`] with the server's error as it is, for a backfill's last batch.
pub(crate) fn advance_raw(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    name: &str,
    entries: &[String],
) -> Result<(), postgres::Error> {
    client.execute(
        &format!(
            "UPDATE {} SET done = done || $2::text[], running = NULL, \
             updated_at = pg_catalog.clock_timestamp() WHERE name = $1",
            table.journal()
        ),
        &[&name, &entries],
    )?;
    Ok(())
}

/// Replaces the steps done by `done` (a partial application being undone, step by step).
pub(crate) fn set_done(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    name: &str,
    done: &[String],
) -> Result<(), Error> {
    let journal = table.journal();
    client
        .execute(
            &format!(
                "UPDATE {journal} SET done = $2::text[], running = NULL, \
                 updated_at = pg_catalog.clock_timestamp() WHERE name = $1"
            ),
            &[&name, &done],
        )
        .map_err(Error::database(format!(
            "cannot record the progress of {name} in {journal}"
        )))?;
    Ok(())
}

/// Names the step about to be sent outside any transaction (committed at once): should the run end while
/// it runs, the next one knows to check whether it took effect.
pub(crate) fn set_running(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    name: &str,
    entry: &str,
) -> Result<(), Error> {
    let journal = table.journal();
    client
        .execute(
            &format!(
                "UPDATE {journal} SET running = $2, updated_at = pg_catalog.clock_timestamp() WHERE name = $1"
            ),
            &[&name, &entry],
        )
        .map_err(Error::database(format!(
            "cannot record the progress of {name} in {journal}"
        )))?;
    Ok(())
}

/// Forgets `name`'s progress, and the saved positions of its backfills with it: the migration was
/// recorded as applied, its partial application was undone, or a person took over (`repair`). In the
/// caller's transaction, so it goes with the bookkeeping row. Nothing to do when the tables do not exist.
pub(crate) fn finish(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    name: &str,
) -> Result<bool, Error> {
    let (journal, backfills) = (table.journal(), table.backfills());
    let row = client
        .query_one(
            "SELECT pg_catalog.to_regclass($1) IS NOT NULL, pg_catalog.to_regclass($2) IS NOT NULL",
            &[&journal, &backfills],
        )
        .map_err(Error::database(format!("cannot look up {journal}")))?;
    let (has_journal, has_backfills): (bool, bool) = (row.get(0), row.get(1));
    let mut had = false;
    if has_journal {
        had = client
            .execute(&format!("DELETE FROM {journal} WHERE name = $1"), &[&name])
            .map_err(Error::database(format!(
                "cannot clear the progress of {name} in {journal}"
            )))?
            > 0;
    }
    if has_backfills {
        client
            .execute(
                &format!("DELETE FROM {backfills} WHERE migration = $1"),
                &[&name],
            )
            .map_err(Error::database(format!(
                "cannot clear the backfill positions of {name} in {backfills}"
            )))?;
    }
    Ok(had)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_its_digest_then_its_description() {
        let text = Entry::text("0123abcd", "#2 (add_columns): ALTER TABLE \"t\" ADD COLUMN \"c\" text");
        assert_eq!(
            Entry::parse(&text),
            Entry {
                digest: "0123abcd",
                described: "#2 (add_columns): ALTER TABLE \"t\" ADD COLUMN \"c\" text",
            }
        );
        assert_eq!(
            Entry::parse("lonely"),
            Entry {
                digest: "lonely",
                described: ""
            }
        );
    }
}
