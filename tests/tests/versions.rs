//! The app and the database at different versions: what each applied row records so that a binary without
//! the migration's file (an older release, after a rollback) can judge it and revert it.

use tests::cli::{FixtureCli, Run};
use tests::TestDb;

/// A run that must fail: its exit code is not 0.
fn failed(run: Run) -> Run {
    assert_ne!(
        run.code, 0,
        "expected a failure:\n{}\n{}",
        run.stdout, run.stderr
    );
    run
}

/// The rows as `(name, phase, down_statements, down_transactional)`, oldest first.
fn recorded(db: &TestDb) -> Vec<Vec<Option<String>>> {
    db.query_strings(
        "SELECT name, phase, array_to_string(down_statements, E'\\n'), down_transactional::text \
         FROM public.pgmigrations ORDER BY id",
    )
}

#[test]
fn each_applied_row_records_its_phase_and_its_down_as_rendered() {
    let db = TestDb::new();
    let cli = FixtureCli::new("phases", &db);
    cli.run(&["up"]).expect_code(0);
    let rows = recorded(&db);
    let phases: Vec<_> = rows.iter().map(|r| r[1].as_deref()).collect();
    assert_eq!(
        phases,
        [
            Some("expand"),
            Some("expand"),
            Some("contract"),
            Some("expand")
        ]
    );
    // A derived down and a written one, both as the server runs them, in a transaction.
    assert_eq!(rows[0][2].as_deref(), Some("DROP TABLE \"posts\""));
    assert_eq!(
        rows[2][2].as_deref(),
        Some("ALTER TABLE \"posts\" ADD COLUMN \"legacy\" text")
    );
    assert!(
        rows.iter().all(|r| r[3].as_deref() == Some("true")),
        "{rows:?}"
    );

    // The recorded down is exact: run as it is, it gives the schema from before its `up`.
    let newest = rows[3][2]
        .clone()
        .expect("the newest migration's down is recorded");
    let with_three = {
        let other = TestDb::new();
        FixtureCli::new("phases", &other)
            .run(&["up", "3"])
            .expect_code(0);
        other.schema_dump_excluding(&["pgmigrations"])
    };
    db.exec(&newest);
    assert_eq!(db.schema_dump_excluding(&["pgmigrations"]), with_three);
}

#[test]
fn a_down_outside_a_transaction_is_recorded_so_and_one_that_cannot_be_derived_is_not() {
    let db = TestDb::new();
    FixtureCli::new("concurrent", &db)
        .run(&["up"])
        .expect_code(0);
    let rows = recorded(&db);
    let index = rows
        .iter()
        .find(|r| r[0].as_deref() == Some("20260401000002_index_events"))
        .expect("the index migration is recorded");
    assert_eq!(index[3].as_deref(), Some("false"), "{index:?}");
    assert!(
        index[2]
            .as_deref()
            .is_some_and(|d| d.contains("DROP INDEX CONCURRENTLY")),
        "{index:?}"
    );

    // Raw SQL without a written `down`: nothing can be derived, so nothing is recorded.
    let db = TestDb::new();
    FixtureCli::new("backfill", &db)
        .run(&["up", "1"])
        .expect_code(0);
    let rows = recorded(&db);
    assert_eq!(rows[0][1].as_deref(), Some("expand"));
    assert_eq!(rows[0][2], None, "{rows:?}");
    assert_eq!(rows[0][3], None, "{rows:?}");
}

#[test]
fn a_table_made_by_an_earlier_version_gains_the_columns_and_its_old_rows_have_no_phase() {
    let db = TestDb::new();
    let cli = FixtureCli::new("phases", &db);
    cli.run(&["up", "1"]).expect_code(0);
    // The table as earlier versions made it.
    db.exec(
        "ALTER TABLE public.pgmigrations DROP COLUMN phase, DROP COLUMN down_statements, \
         DROP COLUMN down_transactional",
    );
    cli.run(&["up", "1"]).expect_code(0);
    let rows = recorded(&db);
    assert_eq!(rows[0][1], None, "a row from before has no phase: {rows:?}");
    assert_eq!(rows[1][1].as_deref(), Some("expand"));

    // A table with a trigger of its own is left as it is: its rows are written as before.
    let db = TestDb::new();
    let cli = FixtureCli::new("phases", &db);
    cli.run(&["up", "1"]).expect_code(0);
    db.exec(
        "ALTER TABLE public.pgmigrations DROP COLUMN phase, DROP COLUMN down_statements, \
         DROP COLUMN down_transactional;
         CREATE FUNCTION public.audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
         CREATE TRIGGER audit AFTER INSERT ON public.pgmigrations FOR EACH ROW EXECUTE FUNCTION public.audit();",
    );
    cli.run(&["up"]).expect_code(0);
    assert_eq!(db.recorded().len(), 4);
    assert!(
        !db.columns("pgmigrations").iter().any(|c| c == "phase"),
        "{:?}",
        db.columns("pgmigrations")
    );
}

/// Release 1 (`versions_r1`) on a database release 2 migrated further: `up` goes on past expands and says
/// so once; `status` shows them as ahead, not as missing files, and exits 0.
#[test]
fn an_older_release_goes_on_past_newer_expands_and_status_shows_them_ahead() {
    let db = TestDb::new();
    FixtureCli::new("versions_r2", &db)
        .run(&["up"])
        .expect_code(0);
    let release_1 = FixtureCli::new("versions_r1", &db);

    let up = release_1.run(&["up"]).expect_code(0);
    assert_eq!(
        up.stderr
            .matches("the database is ahead of this binary")
            .count(),
        1,
        "{}",
        up.stderr
    );
    assert!(
        up.stderr.contains("20260501000004_add_summary (expand)"),
        "{}",
        up.stderr
    );
    assert!(up.stdout.contains("nothing to apply"), "{}", up.stdout);

    let status = release_1.run(&["status"]).expect_code(0);
    let line = status
        .stdout
        .lines()
        .find(|l| l.contains("20260501000004_add_summary"))
        .unwrap_or_default();
    assert!(
        line.starts_with("AHEAD") && line.ends_with("[expand]"),
        "{}",
        status.stdout
    );
    assert!(!status.stdout.contains("MISSING FILE"), "{}", status.stdout);
    assert!(
        status.stdout.contains("1 ahead of this binary"),
        "{}",
        status.stdout
    );

    let json = release_1.run(&["status", "--json"]).expect_code(0);
    let value: serde_json::Value =
        serde_json::from_str(&json.stdout).expect("status --json is JSON");
    let entry = value["migrations"]
        .as_array()
        .and_then(|m| m.iter().find(|e| e["name"] == "20260501000004_add_summary"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(entry["state"], "ahead", "{entry}");
    assert_eq!(entry["phase"], "expand", "{entry}");
    assert_eq!(value["summary"]["ahead"], 1);
    assert_eq!(value["summary"]["problems"], 0);
}

/// Release 2 applied a contract: release 1 applies nothing, naming it; `status` exits non-zero.
#[test]
fn an_older_release_refuses_a_newer_contract_and_changes_nothing() {
    let db = TestDb::new();
    FixtureCli::new("phases", &db).run(&["up"]).expect_code(0);
    let before = db.schema_dump();
    let release_1 = FixtureCli::new("versions_r1", &db);

    let up = failed(release_1.run(&["up"]));
    assert!(
        up.stderr.contains("20260501000003_drop_legacy (contract)")
            && up.stderr.contains("20260501000004_add_summary (expand)")
            && up
                .stderr
                .contains("20260501000003_drop_legacy is a contract or of unknown phase")
            && up.stderr.contains("nothing was applied")
            && up.stderr.contains("hint: `down --recorded --to NAME`"),
        "{}",
        up.stderr
    );
    assert_eq!(db.schema_dump(), before);

    let status = failed(release_1.run(&["status"]));
    assert!(
        status.stdout.contains("[contract]") && status.stdout.contains("AHEAD:"),
        "{}",
        status.stdout
    );
}

/// A row written before phases were recorded may be a contract: refused, with the statement that marks it
/// once a person knows it is an expand; after that, `up` goes on.
#[test]
fn a_newer_migration_without_a_phase_is_refused_until_marked() {
    let db = TestDb::new();
    FixtureCli::new("versions_r2", &db)
        .run(&["up"])
        .expect_code(0);
    db.exec(
        "UPDATE public.pgmigrations SET phase = NULL WHERE name = '20260501000004_add_summary'",
    );
    let release_1 = FixtureCli::new("versions_r1", &db);

    let up = failed(release_1.run(&["up"]));
    let mark = "UPDATE \"public\".\"pgmigrations\" SET phase = 'expand' WHERE name IN ('20260501000004_add_summary')";
    assert!(
        up.stderr.contains("(phase not recorded)") && up.stderr.contains(mark),
        "{}",
        up.stderr
    );
    let status = failed(release_1.run(&["status", "--json"]));
    assert!(
        status.stdout.contains("\"phase\": \"unknown\""),
        "{}",
        status.stdout
    );

    db.exec(mark);
    release_1.run(&["up"]).expect_code(0);
}

/// An unknown row older than the binary's newest file is a missing file, as before: not a newer release's.
#[test]
fn an_unknown_migration_older_than_the_newest_file_is_still_a_missing_file() {
    let db = TestDb::new();
    let release_1 = FixtureCli::new("versions_r1", &db);
    release_1.run(&["up"]).expect_code(0);
    db.exec(
        "INSERT INTO public.pgmigrations (name, run_on, checksum, execution_ms, phase) \
         VALUES ('20260501000001_gone', now(), 'x', 1, 'expand')",
    );
    let up = failed(release_1.run(&["up"]));
    assert!(
        up.stderr.contains("have no file") && up.stderr.contains("20260501000001_gone"),
        "{}",
        up.stderr
    );
}

/// The library call an application starts with takes the same decisions as the command.
#[test]
fn the_library_call_goes_on_past_expands_and_refuses_a_contract() {
    use migrate_cli::{Embedded, Settings};
    use migrate_core::{Event, UpTarget};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    // The harness's own client is synchronous: the database is changed off the runtime, between the calls.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let db = TestDb::new();
    let release =
        |registry| Embedded::with_settings(registry, Settings::default()).database_url(db.url());
    runtime
        .block_on(release(&tests::fixtures::versions_r2::REGISTRY).up(UpTarget::All, |_| {}))
        .expect("release 2 applies");
    let said = Arc::new(AtomicUsize::new(0));
    let counted = said.clone();
    let release_1 = &tests::fixtures::versions_r1::REGISTRY;
    runtime
        .block_on(release(release_1).up(UpTarget::All, move |e| {
            if let Event::AheadOfBinary { ahead } = e {
                assert_eq!(ahead[0].name, "20260501000004_add_summary");
                counted.fetch_add(1, Ordering::Relaxed);
            }
        }))
        .expect("release 1 goes on past an expand");
    assert_eq!(said.load(Ordering::Relaxed), 1);

    db.exec("UPDATE public.pgmigrations SET phase = 'contract' WHERE name = '20260501000004_add_summary'");
    let refused = runtime
        .block_on(release(release_1).up(UpTarget::All, |_| {}))
        .unwrap_err();
    assert!(
        format!("{refused:#}").contains("is a contract or of unknown phase"),
        "{refused:#}"
    );
}

/// Release 1 cannot revert release 2's migrations with code it does not have: it refuses, naming them, and
/// with `--recorded` reverts them with the `down` their rows recorded, leaving the schema release 1 had.
#[test]
fn an_older_release_reverts_newer_migrations_only_with_their_recorded_down() {
    let db = TestDb::new();
    let release_1 = FixtureCli::new("versions_r1", &db);
    release_1.run(&["up"]).expect_code(0);
    // The contract's written `down` adds the dropped column back at the end, as any `down` would.
    let columns = |db: &TestDb| {
        let mut columns = db.columns("posts");
        columns.sort();
        columns
    };
    let columns_of_release_1 = columns(&db);
    FixtureCli::new("phases", &db).run(&["up"]).expect_code(0);

    let refused = failed(release_1.run(&["down"]));
    assert!(
        refused
            .stderr
            .contains("20260501000004_add_summary applied by a newer release")
            && refused.stderr.contains("nothing was reverted")
            && refused.stderr.contains("down --recorded"),
        "{}",
        refused.stderr
    );
    assert_eq!(db.recorded().len(), 4);

    let plan = release_1
        .run(&["down", "--recorded", "--dry-run"])
        .expect_code(0);
    assert!(
        plan.stdout
            .contains("ALTER TABLE \"posts\" DROP COLUMN \"summary\""),
        "{}",
        plan.stdout
    );
    assert_eq!(db.recorded().len(), 4, "a dry run changes nothing");

    // The newest first, each as its row recorded it: the expand, then the contract's written `down`.
    release_1
        .run(&["down", "--recorded", "--to", "20260501000002_add_slug"])
        .expect_code(0);
    assert_eq!(
        db.recorded(),
        ["20260501000001_create_posts", "20260501000002_add_slug"]
    );
    assert_eq!(columns(&db), columns_of_release_1);
    release_1.run(&["status"]).expect_code(0);
}

/// A newer migration whose row recorded no `down` is refused even with `--recorded`.
#[test]
fn a_newer_migration_without_a_recorded_down_is_refused_even_when_asked() {
    let db = TestDb::new();
    let release_1 = FixtureCli::new("versions_r1", &db);
    FixtureCli::new("versions_r2", &db)
        .run(&["up"])
        .expect_code(0);
    db.exec("UPDATE public.pgmigrations SET down_statements = NULL WHERE name = '20260501000004_add_summary'");
    let refused = failed(release_1.run(&["down", "--recorded"]));
    assert!(
        refused
            .stderr
            .contains("no `down` of plain SQL was recorded"),
        "{}",
        refused.stderr
    );
    assert_eq!(db.recorded().len(), 3);
}

/// A newer release's migration stopped part-way, seen by an older release that has no file of it: its
/// `status` does not promise that "the next `up` continues it" (that release's `up` refuses it); it says what
/// this release can do and exits as for any problem.
#[test]
fn an_older_release_names_a_newer_migration_in_progress_as_a_problem() {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE items (id bigint PRIMARY KEY, v int);
         INSERT INTO items SELECT i, i FROM generate_series(1, 5000) i;
         CREATE FUNCTION stop() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.id > 2000 THEN RAISE EXCEPTION 'stopped at %', NEW.id; END IF; RETURN NEW; END $$;
         CREATE TRIGGER stop BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION stop();",
    );
    const NEWER: &str = "20270501000002_add_and_fill_doubled";
    FixtureCli::new("resume_add_backfill", &db)
        .run(&["up"])
        .expect_code(1);
    let older = FixtureCli::new("basic", &db);
    let status = older.run(&["status"]).expect_code(5);
    assert!(
        status.stdout.contains(&format!(
            "IN PROGRESS: {NEWER} was stopped part-way during `up`, and this folder has no file of it"
        )) && status.stdout.contains(&format!("`repair {NEWER}`"))
            && !status.stdout.contains("the next `up` continues it"),
        "{}",
        status.stdout
    );
    let json = older.run(&["status", "--json"]).expect_code(5);
    let value: serde_json::Value =
        serde_json::from_str(&json.stdout).expect("status --json is JSON");
    assert_eq!(value["summary"]["in_progress_elsewhere"], 1, "{value}");
    // What it says this release cannot do, it cannot.
    let up = failed(older.run(&["up"]));
    assert!(up.stderr.contains(NEWER), "{}", up.stderr);
    // And what it says it can do, it can: the part undone by hand, `repair` forgets the run.
    db.exec("ALTER TABLE items DROP COLUMN doubled");
    older.run(&["repair", NEWER]).expect_code(0);
    older.run(&["status"]).expect_code(0);
}
