//! Squashed baselines: one migration standing for the migrations up to a named one (`migrate squash`).
//!
//! A baseline is a normal migration file whose source lists the migrations it replaces in a constant:
//!
//! ```text
//! pub const SQUASHED: &[&str] = &["20260101000000_create_users", "20260102000000_add_email"];
//! ```
//!
//! The engine reads that list from the compiled source ([`Migration::source`]), so the registry needs nothing
//! new. When `up` meets a baseline that is not applied:
//! - the database applied none of the listed migrations (a fresh one): the baseline runs like any migration;
//! - it applied all of them: the baseline is recorded as applied without running. Its row takes the place of
//!   the newest listed one (same id and `run_on`, so `down` still reverts newest first) and the rows of the
//!   others are removed: the migrations table then holds exactly the files there are;
//! - it applied only some: `up` refuses and names which are applied and which are not. Such a database must
//!   apply the rest with the files from before the squash first.
//!
//! `status` and `--dry-run` show a database that applied all of them as `up` will record it.

use std::collections::HashSet;

use postgres::Client;

use crate::error::Error;
use crate::events::Event;
use crate::history::{self, History, Kept, MigrationsTable};
use crate::migration::{Direction, Migration};

/// The constant a baseline lists the migrations it replaces in.
pub const SQUASHED_CONST: &str = "pub const SQUASHED: &[&str] = &[";

/// The names a baseline's source lists in its `SQUASHED` constant, or `None` when it is not a baseline.
///
/// ```
/// let source = "pub const SQUASHED: &[&str] = &[\n    \"20260101000000_a\",\n    \"20260102000000_b\",\n];\n";
/// assert_eq!(
///     migrate_core::squash::squashed_names(source).unwrap(),
///     ["20260101000000_a", "20260102000000_b"]
/// );
/// assert!(migrate_core::squash::squashed_names("pub fn up() {}").is_none());
/// ```
pub fn squashed_names(source: &str) -> Option<Vec<String>> {
    let start = source.find(SQUASHED_CONST)? + SQUASHED_CONST.len();
    let end = start + source[start..].find("];")?;
    Some(
        source[start..end]
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect(),
    )
}

/// A baseline of the registry and what it replaces.
struct Baseline<'a> {
    migration: &'a Migration,
    replaces: Vec<String>,
}

fn baselines(migrations: &[Migration]) -> Vec<Baseline<'_>> {
    migrations
        .iter()
        // The flag comes from the build script: only a baseline's source is read, not every migration's.
        .filter(|m| m.is_baseline())
        .filter_map(|m| {
            squashed_names(m.source()).map(|replaces| Baseline {
                migration: m,
                replaces,
            })
        })
        .collect()
}

/// What to do about one pending baseline given the applied rows.
enum Decision {
    /// None of the replaced migrations is applied: run it.
    Run,
    /// All are applied: record it in place of the newest row of them (its position in the history).
    Record { newest: usize },
}

fn decide(baseline: &Baseline<'_>, applied: &History) -> Result<Decision, Error> {
    let replaced: HashSet<&str> = baseline.replaces.iter().map(String::as_str).collect();
    let rows: Vec<usize> = (0..applied.len())
        .filter(|&i| replaced.contains(applied.name(i)))
        .collect();
    if rows.is_empty() {
        return Ok(Decision::Run);
    }
    if rows.len() < replaced.len() {
        let present: HashSet<&str> = rows.iter().map(|&i| applied.name(i)).collect();
        return Err(Error::PartlySquashed {
            baseline: baseline.migration.name().to_owned(),
            applied: baseline
                .replaces
                .iter()
                .filter(|n| present.contains(n.as_str()))
                .cloned()
                .collect(),
            missing: baseline
                .replaces
                .iter()
                .filter(|n| !present.contains(n.as_str()))
                .cloned()
                .collect(),
        });
    }
    let newest = rows
        .into_iter()
        .max_by_key(|&i| applied.id(i))
        .ok_or(Error::NothingApplied)?;
    Ok(Decision::Record { newest })
}

/// The applied rows as `up` will leave them once it recorded the baselines whose migrations are all applied
/// (for `status` and plans). Rows of a partly applied baseline stay as they are: `status` shows them as
/// missing files, `up` refuses with [`Error::PartlySquashed`].
pub(crate) fn as_recorded<'m>(migrations: &[Migration], mut applied: History<'m>) -> History<'m> {
    for baseline in baselines(migrations) {
        if applied.contains(baseline.migration.name()) {
            continue;
        }
        let Ok(Decision::Record { newest }) = decide(&baseline, &applied) else {
            continue;
        };
        let keep_id = applied.id(newest);
        let replaced: HashSet<&str> = baseline.replaces.iter().map(String::as_str).collect();
        applied = applied.rebuilt(|i| {
            if applied.id(i) == keep_id {
                Some(Kept::As {
                    name: baseline.migration.name(),
                    digest: baseline.migration.precomputed().digest,
                })
            } else if replaced.contains(applied.name(i)) {
                None
            } else {
                Some(Kept::AsIs)
            }
        });
    }
    applied
}

/// Records, under the migration lock and in one transaction, every pending baseline whose migrations are all
/// applied; refuses (changing nothing) when a baseline's migrations are only partly applied.
pub(crate) fn record_baselines(
    client: &mut Client,
    table: &MigrationsTable,
    migrations: &[Migration],
    events: &mut dyn FnMut(Event<'_>),
) -> Result<(), Error> {
    let found = baselines(migrations);
    if found.is_empty() || !history::exists(client, table)? {
        return Ok(());
    }
    let applied = history::load(client, table, migrations)?;
    let mut records = Vec::new();
    for baseline in &found {
        if applied.contains(baseline.migration.name()) {
            continue;
        }
        if let Decision::Record { newest } = decide(baseline, &applied)? {
            records.push((baseline, applied.name(newest).to_owned()));
        }
    }
    if records.is_empty() {
        return Ok(());
    }
    let mut tx = client.transaction().map_err(|error| Error::Database {
        context: "cannot start a transaction to record a squashed baseline".to_owned(),
        error,
    })?;
    for (baseline, newest) in &records {
        // One statement for all of them: a baseline may stand for thousands of rows.
        let others: Vec<&str> = baseline
            .replaces
            .iter()
            .map(String::as_str)
            .filter(|n| n != newest)
            .collect();
        tx.execute(
            &format!("DELETE FROM {} WHERE name = ANY($1)", table.quoted()),
            &[&others],
        )
        .map_err(|error| Error::Database {
            context: format!(
                "cannot remove the rows of the migrations {} replaces",
                baseline.migration.name()
            ),
            error,
        })?;
        history::rename(&mut tx, table, newest, baseline.migration.name())?;
        history::update_checksum(
            &mut tx,
            table,
            baseline.migration.name(),
            &baseline.migration.checksum(),
        )?;
    }
    tx.commit().map_err(|error| Error::Database {
        context: "cannot commit the record of a squashed baseline".to_owned(),
        error,
    })?;
    for (baseline, _) in &records {
        events(Event::BaselineRecorded {
            name: baseline.migration.name(),
            replaced: baseline.replaces.len(),
        });
    }
    Ok(())
}

/// The migrations `squash` replaces: those up to and including `target` (full name or timestamp). Refuses
/// a target that is not compiled, a range of fewer than two migrations, and a migration in it that calls
/// `pgm.no_transaction()` (statements outside a transaction such as `VACUUM` or `ALTER SYSTEM` may have
/// effects the catalog does not show; typed operations that run outside one, such as a backfill or a
/// concurrent index, are fine: on an empty database their effect is the schema). Records every `up` in the
/// range, so one that cannot be recorded is reported here.
pub fn squash_range<'a>(
    migrations: &'a [Migration],
    target: &str,
) -> Result<&'a [Migration], Error> {
    let at = migrations
        .iter()
        .position(|m| m.name() == target || m.version() == target)
        .ok_or_else(|| Error::UnknownMigration {
            name: target.to_owned(),
        })?;
    let range = &migrations[..=at];
    if range.len() < 2 {
        return Err(Error::Squash(format!(
            "{} is the first migration: squashing it alone changes nothing; name a later one",
            range[at].name()
        )));
    }
    for m in range {
        let pgm = m.build(Direction::Up)?;
        let typed = pgm
            .operations()
            .iter()
            .any(migrate_dsl::Operation::requires_no_transaction);
        if !pgm.is_transactional() && !typed {
            return Err(Error::Squash(format!(
                "migration {} ({}) runs outside a transaction (`pgm.no_transaction()`): what its statements did \
                 may not be schema the catalog shows (VACUUM, ALTER SYSTEM, ...), so a baseline cannot stand for \
                 it; squash up to a migration before it",
                m.name(),
                m.display_path()
            )));
        }
    }
    Ok(range)
}

/// The name of the baseline replacing `range`: the timestamp of its last migration (so it sorts before every
/// migration that stays, and after none) and `baseline`.
pub fn baseline_name(range: &[Migration]) -> Result<String, Error> {
    let last = range
        .last()
        .ok_or_else(|| Error::Squash("no migration to squash".to_owned()))?;
    let name = format!("{}_baseline", last.version());
    if name == last.name() {
        return Err(Error::Squash(format!(
            "{} is already a squashed baseline; add migrations after it before squashing again",
            last.name()
        )));
    }
    Ok(name)
}

/// The Rust source of a baseline migration: `SQUASHED` lists `range`, `up` runs `schema` then `data`, each
/// statement in its own `pgm.sql(..)`, and `down` refuses with the reason.
pub fn render_baseline(
    range: &[Migration],
    schema: &[String],
    data: &[(String, Vec<String>)],
) -> String {
    let mut out = String::new();
    let last = range.last().map(|m| m.name()).unwrap_or_default();
    out.push_str(&format!(
        "//! Baseline: the schema after the {} migrations up to {last},\n//! squashed into one by `migrate squash`.\n",
        range.len()
    ));
    out.push_str(
        "//!\n\
         //! Generated from PostgreSQL's catalog after applying them to a scratch database, and checked there: applied\n\
         //! to an empty database, it gives the same schema. A database that applied all of the migrations in\n\
         //! `SQUASHED` records this one as applied without running it (its row replaces theirs); one that applied\n\
         //! only some of them is refused; a fresh one runs it. Review it like any migration.\n\
         //!\n\
         //! Rows the squashed migrations wrote are kept only for the tables given with `--keep-data`; further\n\
         //! `pgm.sql(..)` lines may be added at the end of `up` before this file is first applied.\n\n\
         use migrate_dsl::prelude::*;\n\n\
         /// The migrations this baseline replaces, oldest first. `migrate` reads this list to recognise databases\n\
         /// that applied them: do not edit it.\n\
         #[allow(dead_code)]\n",
    );
    out.push_str(SQUASHED_CONST);
    out.push('\n');
    for m in range {
        out.push_str(&format!("    {:?},\n", m.name()));
    }
    out.push_str("];\n\npub fn up(pgm: &mut MigrationBuilder) {\n");
    for statement in schema {
        out.push_str(&format!("    pgm.sql({});\n", raw_string(statement)));
    }
    for (table, statements) in data {
        out.push_str(&format!("    // Rows of {table} (--keep-data).\n"));
        for statement in statements {
            out.push_str(&format!("    pgm.sql({});\n", raw_string(statement)));
        }
    }
    out.push_str(
        "}\n\npub fn down(pgm: &mut MigrationBuilder) {\n    pgm.irreversible(\n        \"a squashed baseline creates the whole schema: reverting it would drop everything; \
         drop the database instead\",\n    );\n}\n",
    );
    out
}

/// `r"..."` with as many `#` as the text needs; multi-line text starts on its own line.
fn raw_string(text: &str) -> String {
    let mut hashes = String::new();
    while text.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    format!("r{hashes}\"{text}\"{hashes}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_strings_fit_their_text() {
        assert_eq!(raw_string("SELECT 1"), "r\"SELECT 1\"");
        assert_eq!(
            raw_string(r#"CREATE TABLE "a" ()"#),
            r##"r#"CREATE TABLE "a" ()"#"##
        );
        assert_eq!(raw_string(r##"x "# y"##), r###"r##"x "# y"##"###);
    }
}
