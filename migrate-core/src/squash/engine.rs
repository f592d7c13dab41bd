//! The squash engine: baselines met by `up`, `status` and `repair`, and writing one (see the module above).

use std::collections::{HashMap, HashSet};

use postgres::Client;

use crate::error::{Error, SquashError};
use crate::events::Event;
use crate::history::{self, Checksum, History, Kept, MigrationsTable};
use crate::migration::{hex, Direction, Migration};

use super::{squashed_checksums, squashed_names, SQUASHED_CHECKSUMS_CONST, SQUASHED_CONST};

/// A baseline of the registry and what it replaces.
struct Baseline<'a> {
    /// Its position in the registry.
    at: usize,
    migration: &'a Migration,
    replaces: Vec<String>,
    /// The squashed files' checksums, in the order of `replaces`, when the baseline carries them.
    checksums: Option<Vec<String>>,
}

fn baselines(migrations: &[Migration]) -> Vec<Baseline<'_>> {
    migrations
        .iter()
        .enumerate()
        // The flag comes from the build script: only a baseline's source is read, not every migration's.
        .filter(|(_, m)| m.is_baseline())
        .filter_map(|(at, m)| {
            squashed_names(m.source()).map(|replaces| Baseline {
                at,
                migration: m,
                replaces,
                checksums: squashed_checksums(m.source()),
            })
        })
        .collect()
}

/// The names the baselines not applied yet replace, each with its baseline's registry position: rows under
/// these names are not missing files but what such a baseline stands for (see [`crate::status`]).
pub(crate) fn pending_squashed(
    migrations: &[Migration],
    applied: &History,
) -> Vec<(String, usize)> {
    let mut names = Vec::new();
    for baseline in baselines(migrations) {
        if applied.contains(baseline.migration.name()) {
            continue;
        }
        names.extend(baseline.replaces.into_iter().map(|n| (n, baseline.at)));
    }
    names
}

/// Why `up` cannot record or run a pending baseline on a database with these rows (the first such
/// baseline's refusal), or `None` when it can.
pub(crate) fn refusal(migrations: &[Migration], applied: &History) -> Option<Error> {
    refusals(migrations, applied).into_iter().next()
}

/// Every pending baseline's refusal, in registry order (see [`refusal`]).
pub(crate) fn refusals(migrations: &[Migration], applied: &History) -> Vec<Error> {
    baselines(migrations)
        .iter()
        .filter(|b| !applied.contains(b.migration.name()))
        .filter_map(|b| decide(b, applied).err())
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
    if let Some(checksums) = &baseline.checksums {
        if checksums.len() != baseline.replaces.len() {
            return Err(SquashError::ChecksumCount {
                baseline: baseline.migration.name().to_owned(),
                checksums: checksums.len(),
                replaces: baseline.replaces.len(),
            }
            .into());
        }
        let squashed: HashMap<&str, &str> = baseline
            .replaces
            .iter()
            .map(String::as_str)
            .zip(checksums.iter().map(String::as_str))
            .collect();
        let mut changed: Vec<String> = rows
            .iter()
            .filter(|&&i| {
                let wanted = squashed.get(applied.name(i)).copied().unwrap_or_default();
                match applied.checksum(i) {
                    // A row another tool wrote records none: nothing tells, as for any migration.
                    Checksum::Missing => false,
                    Checksum::Digest(digest) => !hex(&digest).eq_ignore_ascii_case(wanted),
                    Checksum::Odd(_) => true,
                }
            })
            .map(|&i| applied.name(i).to_owned())
            .collect();
        if !changed.is_empty() {
            changed.sort();
            changed.dedup();
            return Err(Error::SquashedChanged {
                baseline: baseline.migration.name().to_owned(),
                changed,
            });
        }
    }
    let newest = rows
        .into_iter()
        .max_by_key(|&i| applied.id(i))
        .ok_or(Error::NothingApplied)?;
    Ok(Decision::Record { newest })
}

/// The applied rows as `up` will leave them once it recorded the baselines whose migrations are all applied
/// (for `status` and plans). Rows of a baseline `up` refuses to record stay as they are: `status` shows them
/// as squashed, with `up`'s reason ([`Error::PartlySquashed`], [`Error::SquashedChanged`]).
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
/// applied, and says whether it recorded any (the rows changed); refuses (changing nothing) when a baseline's
/// migrations are only partly applied.
pub(crate) fn record_baselines(
    client: &mut Client,
    table: &MigrationsTable,
    migrations: &[Migration],
    events: &mut dyn FnMut(Event<'_>),
) -> Result<bool, Error> {
    let found = baselines(migrations);
    if found.is_empty() || !history::exists(client, table)? {
        return Ok(false);
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
        return Ok(false);
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
    Ok(true)
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
        return Err(SquashError::FirstMigration {
            name: range[at].name().to_owned(),
        }
        .into());
    }
    for m in range {
        let pgm = m.build(Direction::Up)?;
        let typed = pgm
            .operations()
            .iter()
            .any(migrate_dsl::Operation::requires_no_transaction);
        if !pgm.is_transactional() && !typed {
            return Err(SquashError::NoTransaction {
                name: m.name().to_owned(),
                path: m.display_path(),
            }
            .into());
        }
    }
    Ok(range)
}

/// The name of the baseline replacing `range`: the timestamp of its last migration (so it sorts before every
/// migration that stays, and after none) and `baseline`.
pub fn baseline_name(range: &[Migration]) -> Result<String, Error> {
    let last = range.last().ok_or(SquashError::Empty)?;
    let name = format!("{}_baseline", last.version());
    if name == last.name() {
        return Err(SquashError::AlreadyBaseline {
            name: last.name().to_owned(),
        }
        .into());
    }
    Ok(name)
}

/// The Rust source of a baseline migration: `SQUASHED` lists `range` and `SQUASHED_CHECKSUMS` their files'
/// checksums; `up` runs the first part of `schema`, then `data` (the kept rows) and `positions` (the
/// sequences'), then the rest of `schema`, each statement in its own `pgm.sql(..)`; `down` refuses with the
/// reason.
pub fn render_baseline(
    range: &[Migration],
    schema: &crate::schema::Ddl,
    data: &[(String, Vec<String>)],
    positions: &[String],
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
         //! to an empty database, it gives the same schema, the same kept rows and the same sequence positions. A\n\
         //! database that applied all of the migrations in `SQUASHED`, as they were squashed (`SQUASHED_CHECKSUMS`),\n\
         //! records this one as applied without running it (its row replaces theirs); one that applied only some\n\
         //! of them, or other versions of them, is refused; a fresh one runs it. Review it like any migration.\n\
         //!\n\
         //! Rows the squashed migrations wrote are kept only for the tables given with `--keep-data`. They load\n\
         //! after the tables and before the constraints, indexes, foreign keys, triggers, rules and views, so no\n\
         //! trigger fires on them. Further `pgm.sql(..)` lines may be added at the end of `up` before this file is\n\
         //! first applied.\n\n\
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
    out.push_str(
        "];\n\n\
         /// The checksums of their files when they were squashed, in the same order: a database that recorded\n\
         /// other checksums for them applied other versions, and `migrate` refuses to record this baseline there.\n\
         /// Do not edit it.\n\
         #[allow(dead_code)]\n",
    );
    out.push_str(SQUASHED_CHECKSUMS_CONST);
    out.push('\n');
    for m in range {
        out.push_str(&format!("    {:?},\n", m.checksum()));
    }
    out.push_str("];\n\npub fn up(pgm: &mut MigrationBuilder) {\n");
    for statement in &schema.before_data {
        out.push_str(&format!("    pgm.sql({});\n", raw_string(statement)));
    }
    for (table, statements) in data {
        out.push_str(&format!(
            "    // Rows of {table}, kept by the squash, before any trigger, rule or constraint.\n"
        ));
        for statement in statements {
            out.push_str(&format!("    pgm.sql({});\n", raw_string(statement)));
        }
    }
    if !positions.is_empty() {
        out.push_str("    // Sequence positions after the squashed migrations.\n");
        for statement in positions {
            out.push_str(&format!("    pgm.sql({});\n", raw_string(statement)));
        }
    }
    if !schema.after_data.is_empty() {
        out.push_str(
            "    // Constraints, views, indexes, foreign keys, triggers, rules, policies, comments and privileges.\n",
        );
    }
    for statement in &schema.after_data {
        out.push_str(&format!("    pgm.sql({});\n", raw_string(statement)));
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
    use crate::history::AppliedMigration;
    use crate::migration::{checksum, Definition};

    fn up(_: &mut migrate_dsl::MigrationBuilder) {}

    fn migration(name: &str, source: String) -> Migration {
        Migration::defined(Box::leak(Box::new(Definition {
            name: Box::leak(name.to_owned().into_boxed_str()),
            path: "/nowhere/m.rs",
            source: Box::leak(source.into_boxed_str()),
            up,
            down: None,
        })))
    }

    /// A baseline replacing `a` and `b`, carrying `checksums` when given.
    fn baseline(checksums: Option<&[&str]>) -> Migration {
        let mut source =
            format!("{SQUASHED_CONST}\n    \"20260101000000_a\",\n    \"20260101000001_b\",\n];\n");
        if let Some(checksums) = checksums {
            source.push_str(SQUASHED_CHECKSUMS_CONST);
            for c in checksums {
                source.push_str(&format!("\n    {c:?},"));
            }
            source.push_str("\n];\n");
        }
        migration("20260101000001_baseline", source)
    }

    fn rows(b: Option<String>) -> Vec<AppliedMigration> {
        let row = |id: i64, name: &str, checksum: Option<String>| AppliedMigration {
            id,
            name: name.to_owned(),
            run_on: chrono::DateTime::UNIX_EPOCH,
            checksum,
            execution_ms: None,
        };
        vec![
            row(1, "20260101000000_a", Some(checksum("a"))),
            row(2, "20260101000001_b", b),
        ]
    }

    fn decided(baseline: &Migration, rows: &[AppliedMigration]) -> Result<Decision, Error> {
        let registry = [*baseline];
        let found = baselines(&registry);
        decide(&found[0], &History::from(rows))
    }

    #[test]
    fn a_baseline_is_recorded_only_over_the_versions_it_squashed() {
        let (a, b) = (checksum("a"), checksum("b"));
        let carrying = baseline(Some(&[&a, &b]));
        // As squashed, or without a checksum to tell (a row another tool wrote): recorded.
        for row in [Some(b.clone()), None] {
            assert!(matches!(
                decided(&carrying, &rows(row)),
                Ok(Decision::Record { newest: 1 })
            ));
        }
        // Another version of b, or a checksum this tool did not write: refused, naming b only.
        for row in [Some(checksum("b, edited")), Some("md5:1234".to_owned())] {
            match decided(&carrying, &rows(row)) {
                Err(Error::SquashedChanged { baseline, changed }) => {
                    assert_eq!(baseline, "20260101000001_baseline");
                    assert_eq!(changed, ["20260101000001_b"]);
                }
                other => panic!("{:?}", other.map(|_| ())),
            }
        }
        // A baseline written before it carried checksums: recorded over any version, as it always was.
        let older = baseline(None);
        assert!(matches!(
            decided(&older, &rows(Some(checksum("b, edited")))),
            Ok(Decision::Record { newest: 1 })
        ));
        // Lists that do not match: refused, not guessed.
        let broken = baseline(Some(&[&a]));
        assert!(matches!(
            decided(&broken, &rows(Some(b))),
            Err(Error::Squash(SquashError::ChecksumCount {
                checksums: 1,
                replaces: 2,
                ..
            }))
        ));
    }

    #[test]
    fn the_rendered_baseline_carries_its_checksums_in_the_order_of_its_names() {
        let range = [
            migration("20260101000000_a", "a".to_owned()),
            migration("20260101000001_b", "b".to_owned()),
        ];
        let text = render_baseline(&range, &crate::schema::Ddl::default(), &[], &[]);
        assert_eq!(
            squashed_names(&text).unwrap(),
            ["20260101000000_a", "20260101000001_b"]
        );
        assert_eq!(
            squashed_checksums(&text).unwrap(),
            [checksum("a"), checksum("b")]
        );
    }

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
