use super::*;
use crate::migration::Definition;
use crate::registry::Migrations;

fn up(_: &mut migrate_dsl::MigrationBuilder) {}

const fn file(name: &'static str, source: &'static str) -> Definition {
    Definition {
        name,
        path: "/nowhere/m.rs",
        source,
        up,
        down: None,
    }
}

fn row(id: i64, name: &str, checksum: Option<String>) -> AppliedMigration {
    AppliedMigration {
        id,
        name: name.to_owned(),
        run_on: chrono::DateTime::UNIX_EPOCH,
        checksum,
        execution_ms: Some(1),
    }
}

/// Each line of the text table says what its entry says.
fn lines_agree(report: &StatusReport<'_>) {
    let lines: Vec<Line<'_>> = report.lines().collect();
    let entries: Vec<Entry> = report.entries().collect();
    assert_eq!(lines.len(), entries.len());
    for (line, entry) in lines.iter().zip(&entries) {
        let shown = (
            entry.state,
            entry.name.as_str(),
            entry.applied.as_ref().map(|a| a.run_on),
            entry.renamed_from.as_deref(),
            entry.squashed_into.as_deref(),
            entry.contract.is_some(),
        );
        assert_eq!(
            (line.state, line.name, line.run_on, line.renamed_from, line.squashed_into, line.contract),
            shown
        );
    }
}

fn states(status: &Status) -> Vec<(&str, State, Option<&str>)> {
    status
        .migrations
        .iter()
        .map(|e| (e.name.as_str(), e.state, e.renamed_from.as_deref()))
        .collect()
}

#[test]
fn every_state_from_files_and_rows_in_name_order() {
    static FILES: Migrations = Migrations::new(&[
        file("20260101000001_applied", "a"),
        file("20260101000002_changed", "b, edited"),
        file("20260101000003_unverified", "c"),
        file("20260101000004_out_of_order", "d"),
        file("20260101000006_renamed_new", "e"),
        file("20260101000008_pending", "f"),
    ]);
    let sum = |s: &str| Some(crate::migration::checksum(s));
    let applied = History::from(
        &[
            row(1, "20260101000001_applied", sum("a")),
            row(2, "20260101000002_changed", sum("b")),
            row(3, "20260101000003_unverified", None),
            row(4, "20260101000005_renamed_old", sum("e")),
            row(5, "20260101000007_gone", sum("g")),
        ][..],
    );
    let classified = Classified::of(&FILES, &applied);
    assert_eq!(
        classified.renames(&FILES, &applied),
        [(
            "20260101000005_renamed_old".to_owned(),
            "20260101000006_renamed_new".to_owned()
        )]
    );
    assert_eq!(classified.missing_names(&applied), ["20260101000007_gone"]);
    assert_eq!(
        classified.names(&FILES, State::Changed),
        ["20260101000002_changed"]
    );
    let status = StatusReport::new(
        "public.pgmigrations".to_owned(),
        true,
        &FILES,
        applied,
        Vec::new(),
    )
    .into_status();
    assert_eq!(
        states(&status),
        [
            ("20260101000001_applied", State::Applied, None),
            ("20260101000002_changed", State::Changed, None),
            ("20260101000003_unverified", State::Unverified, None),
            ("20260101000004_out_of_order", State::OutOfOrder, None),
            (
                "20260101000006_renamed_new",
                State::Renamed,
                Some("20260101000005_renamed_old")
            ),
            ("20260101000007_gone", State::Missing, None),
            ("20260101000008_pending", State::Pending, None),
        ]
    );
    // Each row went to exactly one entry: the renamed file carries the row of its old name.
    let ids: Vec<Option<i64>> = status
        .migrations
        .iter()
        .map(|e| e.applied.as_ref().map(|a| a.id))
        .collect();
    assert_eq!(
        ids,
        [Some(1), Some(2), Some(3), None, Some(4), Some(5), None]
    );
    assert_eq!(status.summary.problems, 4);
}

#[test]
fn a_failure_marks_only_the_first_line_of_its_name() {
    // Two rows under one name (the table has no unique key on it) whose file is gone, and a mark for it:
    // one line is failed, the other stays missing, and the mark is listed once; a mark of a migration
    // this report has nothing of is listed too.
    static FILES: Migrations = Migrations::new(&[file("20260101000003_kept", "k")]);
    let applied = [
        row(1, "20260101000002_twice", None),
        row(2, "20260101000002_twice", None),
        row(
            3,
            "20260101000003_kept",
            Some(crate::migration::checksum("k")),
        ),
    ];
    let failure = |name: &str, error: &str| Failure {
        name: name.to_owned(),
        direction: "up".to_owned(),
        committed: 1,
        statements: Vec::new(),
        error: error.to_owned(),
        failed_at: chrono::DateTime::UNIX_EPOCH,
    };
    let report = StatusReport::new(
        "t".to_owned(),
        true,
        &FILES,
        History::from(&applied[..]),
        vec![
            failure("20260101000002_twice", "first"),
            failure("20260101000009_elsewhere", "no line"),
            failure("20260101000002_twice", "last"),
        ],
    );
    // The mark of a migration with neither a file nor a row comes after those of the lines, on none.
    let failures: Vec<&str> = report.failures().map(|f| f.error.as_str()).collect();
    assert_eq!(failures, ["last", "no line"]);
    let unknown: Vec<&str> = report
        .unknown_failures()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(unknown, ["20260101000009_elsewhere"]);
    lines_agree(&report);
    let status = report.into_status();
    assert_eq!(
        states(&status),
        [
            ("20260101000002_twice", State::Failed, None),
            ("20260101000002_twice", State::Missing, None),
            ("20260101000003_kept", State::Applied, None),
        ]
    );
    assert_eq!(status.migrations[0].applied.as_ref().map(|a| a.id), Some(1));
    assert!(status.migrations[1].failure.is_none());
    // The other migration's mark counts as failed (a problem) too, on no line.
    assert_eq!((status.summary.failed, status.summary.missing), (2, 1));
    assert_eq!(status.summary.problems, 3);
}

#[test]
fn an_ambiguous_rename_is_a_missing_file_and_pending_files() {
    // Two pending files with the content of one gone row: which one was renamed cannot be told.
    static FILES: Migrations = Migrations::new(&[
        file("20260101000002_copy_one", "same"),
        file("20260101000003_copy_two", "same"),
    ]);
    let applied = [row(
        1,
        "20260101000001_original",
        Some(crate::migration::checksum("same")),
    )];
    let report = StatusReport::new(
        "t".to_owned(),
        true,
        &FILES,
        History::from(&applied[..]),
        Vec::new(),
    );
    // Both are named, so that neither is run as if the row could be forgotten.
    let copies = vec![
        "20260101000002_copy_one".to_owned(),
        "20260101000003_copy_two".to_owned(),
    ];
    assert_eq!(
        report.lookalikes(),
        [("20260101000001_original".to_owned(), copies.clone())]
    );
    lines_agree(&report);
    let status = report.into_status();
    assert_eq!(
        states(&status),
        [
            ("20260101000001_original", State::Missing, None),
            ("20260101000002_copy_one", State::Pending, None),
            ("20260101000003_copy_two", State::Pending, None),
        ]
    );
    assert_eq!(status.migrations[0].same_content_as, copies);
    assert!(status.migrations[1].same_content_as.is_empty());
}

/// Rows of migrations squashed into a baseline that is not applied yet, where the database applied only
/// some of them: squashed (with the baseline named and `up`'s reason), not missing files; other rows
/// without a file stay missing.
#[test]
fn rows_a_pending_baseline_stands_for_are_squashed_not_missing() {
    static FILES: Migrations = Migrations::new(&[file(
        "20260101000003_baseline",
        "pub const SQUASHED: &[&str] = &[\n    \"20260101000001_a\",\n    \"20260101000002_b\",\n    \"20260101000003_c\",\n];\n",
    )]);
    let sum = |s: &str| Some(crate::migration::checksum(s));
    let applied = [
        row(1, "20260101000000_gone", sum("g")),
        row(2, "20260101000001_a", sum("a")),
        row(3, "20260101000002_b", sum("b")),
    ];
    let report = StatusReport::new(
        "t".to_owned(),
        true,
        &FILES,
        History::from(&applied[..]),
        Vec::new(),
    );
    let refusals = report.squash_refusals();
    assert!(
        matches!(&refusals[..], [crate::Error::PartlySquashed { missing, .. }] if missing == &["20260101000003_c"]),
        "{refusals:?}"
    );
    lines_agree(&report);
    let status = report.into_status();
    assert_eq!(
        states(&status),
        [
            ("20260101000000_gone", State::Missing, None),
            ("20260101000001_a", State::Squashed, None),
            ("20260101000002_b", State::Squashed, None),
            ("20260101000003_baseline", State::Pending, None),
        ]
    );
    assert_eq!(
        status.migrations[1].squashed_into.as_deref(),
        Some("20260101000003_baseline")
    );
    assert_eq!((status.summary.squashed, status.summary.missing), (2, 1));
    assert_eq!(status.summary.problems, 3);
}

/// The report streams what the collected status holds, field for field, in name order: rows without a
/// file between files, failure marks (the last one per name), contracts, a hand-built list out of order.
#[test]
fn the_report_streams_exactly_the_collected_status() {
    fn contract(pgm: &mut migrate_dsl::MigrationBuilder) {
        pgm.contract("the old app reads t");
        pgm.sql("DROP TABLE t");
    }
    static FILES: Migrations = Migrations::new(&[
        file("20260101000005_e", "e"),
        file("20260101000001_a", "a"),
        Definition {
            up: contract,
            ..file("20260101000004_d", "d")
        },
        file("20260101000006_f", "f"),
    ]);
    let sum = |s: &str| Some(crate::migration::checksum(s));
    let applied = [
        row(1, "20260101000001_a", sum("a")),
        row(2, "20260101000002_gone", sum("x")),
        row(3, "20260101000003_gone_too", None),
    ];
    let failure = |error: &str| Failure {
        name: "20260101000006_f".to_owned(),
        direction: "up".to_owned(),
        committed: 1,
        statements: vec!["#1 (sql): CREATE INDEX CONCURRENTLY i ON t (id)".to_owned()],
        error: error.to_owned(),
        failed_at: chrono::DateTime::UNIX_EPOCH,
    };
    let report = StatusReport::new(
        "public.pgmigrations".to_owned(),
        true,
        &FILES,
        History::from(&applied[..]),
        vec![failure("first"), failure("second")],
    )
    .with_contracts();
    let streamed = serde_json::to_value(&report).unwrap();
    let failures: Vec<String> = report.failures().map(|f| f.error.clone()).collect();
    let (expands, first_contract) = report.first_pending_contract().unwrap();
    lines_agree(&report);
    let status = report.into_status();
    assert_eq!(streamed, serde_json::to_value(&status).unwrap());
    assert_eq!(
        status
            .migrations
            .iter()
            .map(|e| (e.name.as_str(), e.state))
            .collect::<Vec<_>>(),
        [
            ("20260101000001_a", State::Applied),
            ("20260101000002_gone", State::Missing),
            ("20260101000003_gone_too", State::Missing),
            ("20260101000004_d", State::Pending),
            ("20260101000005_e", State::Pending),
            ("20260101000006_f", State::Failed),
        ]
    );
    assert_eq!(failures, ["second"]);
    assert_eq!(
        (expands, first_contract.name.as_str()),
        (0, "20260101000004_d")
    );
    assert_eq!(
        status.migrations[3].contract.as_deref(),
        Some("the old app reads t")
    );
    assert_eq!(status.summary.contracts_pending, 1);
    // Two missing files and one failed part-way.
    assert_eq!(status.summary.problems, 3);
    assert_eq!(status.migrations[0].path.as_deref(), Some("/nowhere/m.rs"));
}

#[test]
fn a_compiled_migrations_path_is_shown_as_its_full_path_would_be() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("app").join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    let up = "pub fn up(pgm: &mut MigrationBuilder) { pgm.sql(\"SELECT 1\"); }\n";
    for name in ["20260101000001_a.rs", "20260101000002_b.rs"] {
        std::fs::write(dir.join(name), up).unwrap();
    }
    let registry = crate::folder::read_registry(&dir).unwrap();
    let migrations = registry.migrations.as_slice();
    let root = root.path().canonicalize().unwrap();
    // Under the current directory (relative), at it, and outside it (absolute).
    for cwd in [root.clone(), root.join("app").join("migrations"), root.join("elsewhere")] {
        let mut report = StatusReport::new(
            "t".to_owned(),
            false,
            migrations,
            History::default(),
            Vec::new(),
        );
        report.cwd = Some(cwd.clone());
        report.shown_dirs = shown_dirs(migrations, Some(&cwd));
        for m in migrations {
            let full = crate::migration::display_path_in(&m.path(), Some(&cwd));
            assert_eq!(report.shown_path(m), full, "{}", cwd.display());
        }
    }
    let first = &migrations[0];
    assert_eq!(
        crate::migration::display_path_in(&first.path(), Some(&root)),
        format!("app{0}migrations{0}20260101000001_a.rs", std::path::MAIN_SEPARATOR)
    );
}
