//! Partitioned tables changed online: an index built `ON ONLY` the parent, then `CONCURRENTLY` on each of 24
//! partitions (one of them sub-partitioned) and attached, while a writer keeps writing; a build stopped by a
//! failing partition continues with the partitions left; the derived `down` leaves no index behind.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use migrate_core::{Definition, DownTarget, Migration, Migrator, UpTarget};
use migrate_dsl::prelude::*;
use tests::TestDb;

/// `events`, partitioned by month over 2025 and 2026 (24 partitions; June 2026 itself hashed into two), with
/// `rows` rows spread over them.
fn events(rows: u32) -> String {
    let mut sql = String::from(
        "CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL, kind text NOT NULL, payload text) \
         PARTITION BY RANGE (at);\n",
    );
    for month in 0..24 {
        let (year, m) = (2025 + month / 12, month % 12 + 1);
        let (next_year, next) = if m == 12 {
            (year + 1, 1)
        } else {
            (year, m + 1)
        };
        let bound = format!("FOR VALUES FROM ('{year}-{m:02}-01') TO ('{next_year}-{next:02}-01')");
        if (year, m) == (2026, 6) {
            sql.push_str(&format!(
                "CREATE TABLE events_{year}_{m:02} PARTITION OF events {bound} PARTITION BY HASH (id);\n\
                 CREATE TABLE events_{year}_{m:02}_a PARTITION OF events_{year}_{m:02} FOR VALUES WITH (MODULUS 2, REMAINDER 0);\n\
                 CREATE TABLE events_{year}_{m:02}_b PARTITION OF events_{year}_{m:02} FOR VALUES WITH (MODULUS 2, REMAINDER 1);\n"
            ));
        } else {
            sql.push_str(&format!(
                "CREATE TABLE events_{year}_{m:02} PARTITION OF events {bound};\n"
            ));
        }
    }
    sql.push_str(&format!(
        "INSERT INTO events SELECT i, timestamptz '2025-01-01' + (i % 730) * interval '1 day', \
         'kind' || (i % 7), repeat('x', 40) FROM generate_series(1, {rows}) i;\nANALYZE events;"
    ));
    sql
}

fn one(db: &TestDb, sql: &str) -> String {
    db.query_strings(sql)[0][0].clone().unwrap_or_default()
}

/// Indexes on the table and its partitions, as `table: index valid`, sorted.
fn indexes(db: &TestDb) -> Vec<String> {
    db.query_strings(
        "SELECT c.relname || ': ' || i.relname || ' ' || x.indisvalid FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid \
         WHERE c.relname LIKE 'events%' ORDER BY 1",
    )
    .into_iter()
    .map(|r| r[0].clone().unwrap_or_default())
    .collect()
}

/// The oids of the partition indexes attached to `index`, in order.
fn attached(db: &TestDb, index: &str) -> Vec<String> {
    db.query_strings(&format!(
        "SELECT i.oid::text FROM pg_inherits h JOIN pg_class i ON i.oid = h.inhrelid \
         WHERE h.inhparent = '{index}'::regclass ORDER BY 1"
    ))
    .into_iter()
    .map(|r| r[0].clone().unwrap_or_default())
    .collect()
}

fn by_kind(pgm: &mut MigrationBuilder) {
    pgm.create_index("events", ["kind", "at"])
        .concurrently_per_partition();
}

static BY_KIND: [Migration; 1] = [Migration::defined(&Definition {
    name: "20261201000001_index_events_by_kind",
    path: "tests/partitions.rs",
    source: "by_kind",
    up: by_kind,
    down: None,
})];

/// Inserts until stopped (and at least 10 rows), counting its writes in `written`. Its lock timeout only
/// keeps a blocked writer from hanging the test; that writes went on during the build is checked on
/// `written`, not with a clock (a loaded machine stretches any wait).
fn writer(
    db: &TestDb,
    stop: Arc<AtomicBool>,
    written: Arc<AtomicU64>,
) -> std::thread::JoinHandle<Result<u64, String>> {
    let mut client = db.client();
    std::thread::spawn(move || {
        client
            .batch_execute("SET lock_timeout = '60s'")
            .map_err(|e| e.to_string())?;
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) || n < 10 {
            client
                .execute(
                    "INSERT INTO events VALUES ($1::int8, timestamptz '2025-01-01' + make_interval(days => ($1::int8 % 730)::int), 'w', 'x')",
                    &[&(1_000_000 + n as i64)],
                )
                .map_err(|e| {
                    let message = e.as_db_error().map_or(e.to_string(), |d| d.message().to_owned());
                    format!("write {n} failed: {message}")
                })?;
            n += 1;
            written.store(n, Ordering::Relaxed);
        }
        Ok(n)
    })
}

#[test]
fn an_index_per_partition_is_built_while_a_writer_writes_and_its_down_drops_it_all() {
    let db = TestDb::new();
    db.exec(&events(120_000));
    let before = indexes(&db);
    assert!(before.is_empty(), "{before:?}");
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let writing = writer(&db, Arc::clone(&stop), Arc::clone(&written));
    let mut seen = Vec::new();
    let mut writes_at_builds = Vec::new();
    let migrator = Migrator::new(&BY_KIND);
    if let Err(e) = migrator.run_up(&mut db.client(), &UpTarget::All, &mut |e| {
        if let migrate_core::Event::PartitionIndexed {
            partition,
            done,
            total,
            ..
        } = e
        {
            seen.push(format!("{partition} {done}/{total}"));
            writes_at_builds.push(written.load(Ordering::Relaxed));
        }
    }) {
        panic!("up failed: {e}");
    }
    stop.store(true, Ordering::Relaxed);
    let writes = writing
        .join()
        .expect("writer thread")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(writes >= 10);
    // Writes went on while the partitions' indexes were built: a build that locked the writer out for its
    // whole length would leave the count where it was at the first partition.
    assert!(
        writes_at_builds.first() < writes_at_builds.last(),
        "no write between the first and the last partition's build: {writes_at_builds:?}"
    );
    // 24 partitions, one of them sub-partitioned into two: 26 partition indexes (the sub-partitioned one's
    // `ON ONLY` too), every one valid.
    assert_eq!(seen.len(), 26, "{seen:?}");
    assert_eq!(
        seen.last().map(String::as_str),
        Some("\"public\".\"events_2026_06_b\" 26/26")
    );
    let built = indexes(&db);
    assert_eq!(built.len(), 27, "{built:?}");
    assert!(built.iter().all(|i| i.ends_with(" true")), "{built:?}");
    assert!(
        built.contains(&"events: events_kind_at_index true".to_owned()),
        "{built:?}"
    );
    assert!(
        built.contains(&"events_2026_06_a: events_2026_06_a_events_kind_at_index true".to_owned())
    );
    // The planner uses it on a partition.
    let plan =
        db.query_strings("EXPLAIN SELECT * FROM events WHERE kind = 'kind3' AND at = '2025-03-04'");
    assert!(
        plan.iter()
            .flatten()
            .flatten()
            .any(|l| l.contains("events_2025_03_events_kind_at_index")),
        "{plan:?}"
    );

    if let Err(e) = migrator.run_down(&mut db.client(), &DownTarget::All, &mut |_| {}) {
        panic!("down failed: {e}");
    }
    assert_eq!(indexes(&db), before);
}

fn unique_by_id(pgm: &mut MigrationBuilder) {
    pgm.create_index("events", ["id", "at"])
        .unique()
        .concurrently_per_partition();
}

static UNIQUE: [Migration; 1] = [Migration::defined(&Definition {
    name: "20261201000002_unique_events_id",
    path: "tests/partitions.rs",
    source: "unique_by_id",
    up: unique_by_id,
    down: None,
})];

/// A partition whose build fails (duplicates in March 2025) stops the run there, naming the statement;
/// fixed, the next `up` drops the invalid index the failed build left, builds it again and goes on with the
/// partitions left, leaving the ones already attached as they were. A `down` of the part applied leaves
/// nothing behind either.
#[test]
fn a_stopped_build_continues_with_the_partitions_left() {
    let db = TestDb::new();
    db.exec(&events(20_000));
    db.exec("INSERT INTO events VALUES (99, '2025-03-10', 'dup', NULL), (99, '2025-03-10', 'dup', NULL)");
    let migrator = Migrator::new(&UNIQUE);
    let error = migrator
        .run_up(&mut db.client(), &UpTarget::All, &mut |_| {})
        .expect_err("the duplicates fail the build")
        .to_string();
    assert!(
        error.contains("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"events_2025_03_events_id_at_unique_index\" ON \"public\".\"events_2025_03\""),
        "{error}"
    );
    let attached_before = attached(&db, "events_id_at_unique_index");
    assert_eq!(
        attached_before.len(),
        2,
        "January and February: {attached_before:?}"
    );

    // Undoing the part applied: the parent's index, the attached ones, nothing left.
    if let Err(e) = migrator.run_down(&mut db.client(), &DownTarget::All, &mut |_| {}) {
        panic!("down of the part failed: {e}");
    }
    assert_eq!(indexes(&db), Vec::<String>::new());

    // Again (the failed build's invalid index dropped at once), then fixed: the next run goes on from the
    // partition that failed.
    let mut dropped = Vec::new();
    migrator
        .run_up(&mut db.client(), &UpTarget::All, &mut |e| {
            if let migrate_core::Event::DroppedInvalidIndex { index, .. } = e {
                dropped.push(index.to_owned());
            }
        })
        .expect_err("the duplicates fail the build again");
    assert_eq!(dropped, ["public.events_2025_03_events_id_at_unique_index"]);
    let attached = attached(&db, "events_id_at_unique_index");
    db.exec("DELETE FROM events WHERE kind = 'dup'");
    let mut indexed = 0;
    if let Err(e) = migrator.run_up(&mut db.client(), &UpTarget::All, &mut |e| {
        if let migrate_core::Event::PartitionIndexed { .. } = e {
            indexed += 1;
        }
    }) {
        panic!("up after the fix failed: {e}");
    }
    assert_eq!(indexed, 24, "26 partition indexes, 2 attached before");
    let still: Vec<String> = db
        .query_strings(&format!(
            "SELECT oid::text FROM pg_class WHERE oid::text IN ({}) ORDER BY 1",
            attached
                .iter()
                .map(|o| format!("'{o}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into_iter()
        .map(|r| r[0].clone().unwrap_or_default())
        .collect();
    assert_eq!(
        still, attached,
        "the partitions indexed before were not built again"
    );
    assert_eq!(
        one(&db, "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'events_id_at_unique_index'::regclass"),
        "true"
    );
    let refused = db.client().execute(
        "INSERT INTO events VALUES (5, timestamptz '2025-01-01' + 5 * interval '1 day', 'again', NULL)",
        &[],
    );
    assert!(refused.is_err(), "the unique index holds");
}

/// A partition created while a per-partition build is stopped gets its index from PostgreSQL itself, named by
/// PostgreSQL and attached to the parent's `ON ONLY` index; the next `up` skips it (a second index could not be
/// attached) and finishes the build, for an index and for a unique constraint alike. A partition with an
/// attached index is done, whatever that index is called.
#[test]
fn a_partition_created_while_the_build_is_stopped_is_skipped_by_the_next_up() {
    for (migrations, parent) in [
        (&UNIQUE, "events_id_at_unique_index"),
        (&UNIQUE_CONSTRAINT, "events_id_at_key"),
    ] {
        let db = TestDb::new();
        db.exec(&events(20_000));
        db.exec("INSERT INTO events VALUES (99, '2025-03-10', 'dup', NULL), (99, '2025-03-10', 'dup', NULL)");
        let migrator = Migrator::new(migrations);
        migrator
            .run_up(&mut db.client(), &UpTarget::All, &mut |_| {})
            .expect_err("the duplicates stop the build in March");
        db.exec(
            "CREATE TABLE events_2027_01 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2027-02-01'); \
             DELETE FROM events WHERE kind = 'dup'",
        );
        // PostgreSQL's own index on the new partition, attached already.
        let own = one(
            &db,
            &format!(
                "SELECT i.relname FROM pg_inherits h JOIN pg_class i ON i.oid = h.inhrelid \
                 JOIN pg_index x ON x.indexrelid = i.oid \
                 WHERE h.inhparent = '{parent}'::regclass AND x.indrelid = 'events_2027_01'::regclass"
            ),
        );
        assert!(
            !own.is_empty(),
            "{parent}: PostgreSQL attached an index of its own"
        );
        if let Err(e) = migrator.run_up(&mut db.client(), &UpTarget::All, &mut |_| {}) {
            panic!("{parent}: the next up failed: {e}");
        }
        assert_eq!(
            one(
                &db,
                &format!(
                    "SELECT indisvalid::text FROM pg_index WHERE indexrelid = '{parent}'::regclass"
                )
            ),
            "true",
            "{parent}"
        );
        assert_eq!(
            db.query_strings(
                "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
                 WHERE x.indrelid = 'events_2027_01'::regclass"
            ),
            [[Some(own)]],
            "{parent}: the new partition keeps its one index, no second one"
        );
        if let Err(e) = migrator.run_down(&mut db.client(), &DownTarget::All, &mut |_| {}) {
            panic!("{parent}: down failed: {e}");
        }
        assert_eq!(indexes(&db), Vec::<String>::new(), "{parent}");
    }
}

mod linted {
    use migrate_core::{Definition, Migration};
    use migrate_dsl::prelude::*;

    fn create(pgm: &mut MigrationBuilder) {
        pgm.create_table(
            "events",
            [
                column("id", "bigint").not_null(),
                column("at", "timestamptz").not_null(),
            ],
        )
        .partition_by(PartitionStrategy::Range, ["at"]);
        pgm.create_table("plain", [column("id", "bigint")]);
    }

    fn plain_index(pgm: &mut MigrationBuilder) {
        pgm.create_index("events", ["at"]);
        pgm.create_index("plain", ["id"]);
    }

    fn concurrent_raw(pgm: &mut MigrationBuilder) {
        pgm.no_transaction();
        pgm.sql("CREATE INDEX CONCURRENTLY IF NOT EXISTS events_id_index ON events (id)");
    }

    fn per_partition(pgm: &mut MigrationBuilder) {
        pgm.create_index("events", ["id", "at"])
            .concurrently_per_partition();
    }

    pub static MIGRATIONS: [Migration; 4] = [
        Migration::defined(&Definition {
            name: "20261201000010_create_events",
            path: "tests/partitions.rs",
            source: "create",
            up: create,
            down: None,
        }),
        Migration::defined(&Definition {
            name: "20261201000011_plain_index",
            path: "tests/partitions.rs",
            source: "plain_index",
            up: plain_index,
            down: None,
        }),
        Migration::defined(&Definition {
            name: "20261201000012_concurrent_raw",
            path: "tests/partitions.rs",
            source: "concurrent_raw",
            up: concurrent_raw,
            down: None,
        }),
        Migration::defined(&Definition {
            name: "20261201000013_per_partition",
            path: "tests/partitions.rs",
            source: "per_partition",
            up: per_partition,
            down: None,
        }),
    ];
}

/// Lint knows which tables the migrations created partitioned: a plain or `CONCURRENTLY` index build on one
/// is `require-index-per-partition` (never the advice to build it concurrently, which PostgreSQL refuses
/// there), a plain one on another table is still `require-concurrent-index-creation`, and a build per
/// partition is no finding. Linting one migration alone still knows about the earlier ones.
#[test]
fn lint_flags_index_builds_on_partitioned_tables() {
    let report =
        migrate_core::lint::lint(&linted::MIGRATIONS, &[], &Default::default()).expect("lints");
    let found: Vec<(String, String)> = report
        .migrations
        .iter()
        .flat_map(|m| {
            m.findings
                .iter()
                .map(move |f| (m.name.clone(), f.rule.name().to_owned()))
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "20261201000011_plain_index".to_owned(),
                "require-index-per-partition".to_owned()
            ),
            (
                "20261201000011_plain_index".to_owned(),
                "require-concurrent-index-creation".to_owned()
            ),
            (
                "20261201000012_concurrent_raw".to_owned(),
                "require-index-per-partition".to_owned()
            ),
        ]
    );
    let alone = migrate_core::lint::lint(
        &linted::MIGRATIONS,
        &["20261201000012_concurrent_raw".to_owned()],
        &Default::default(),
    )
    .expect("lints");
    assert_eq!(alone.migrations[0].findings.len(), 1);
    assert_eq!(
        alone.migrations[0].findings[0].rule.name(),
        "require-index-per-partition"
    );
    assert!(
        alone.migrations[0].findings[0]
            .rule
            .instead()
            .contains("concurrently_per_partition()"),
        "{}",
        alone.migrations[0].findings[0].rule.instead()
    );
}

fn detach(pgm: &mut MigrationBuilder) {
    pgm.detach_partition("events", "events_2025_01")
        .concurrently()
        .bound(PartitionBound::range(["2025-01-01"], ["2025-02-01"]));
}

static DETACH: [Migration; 1] = [Migration::defined(&Definition {
    name: "20261201000020_detach_january",
    path: "tests/partitions.rs",
    source: "detach",
    up: detach,
    down: None,
})];

/// A concurrent detach stopped between its two transactions (its second waited for a reader past the lock
/// timeout) is finished with `FINALIZE` by the next run; its `down` attaches the partition again.
#[test]
fn a_concurrent_detach_left_pending_is_finished_by_the_next_run() {
    let db = TestDb::new();
    db.exec(&events(2_000));
    let migrator = Migrator::new(&DETACH);
    if db.server_major() < 14 {
        // PostgreSQL 13 has no concurrent detach: refused before anything runs, naming the option.
        let error = migrator
            .run_up(&mut db.client(), &UpTarget::All, &mut |_| {})
            .expect_err("refused on PostgreSQL 13")
            .to_string();
        assert!(
            error.contains("DETACH PARTITION .. CONCURRENTLY"),
            "{error}"
        );
        assert_eq!(
            one(&db, "SELECT count(*)::text FROM pg_inherits WHERE inhrelid = 'events_2025_01'::regclass"),
            "1"
        );
        return;
    }
    let mut reader = db.client();
    let mut open = reader.transaction().expect("begin");
    open.query("SELECT count(*) FROM events", &[])
        .expect("a reader's snapshot");
    // Its retries finish the pending detach (`FINALIZE`), which waits for the reader as the second
    // transaction did: a short budget, so that they are spent soon.
    let error = migrator
        .clone()
        .timeouts(migrate_core::Timeouts {
            retry_budget: std::time::Duration::from_secs(2),
            ..Default::default()
        })
        .run_up(&mut db.client(), &UpTarget::All, &mut |_| {})
        .expect_err("the detach waits for the reader");
    let error = error.to_string();
    assert!(error.contains("DETACH PARTITION"), "{error}");
    // Its first transaction took effect: the error says what it left, not that nothing did.
    assert!(
        error.contains("\"events_2025_01\" is left pending detach") && error.contains("FINALIZE"),
        "{error}"
    );
    assert_eq!(
        one(&db, "SELECT inhdetachpending::text FROM pg_inherits WHERE inhrelid = 'events_2025_01'::regclass"),
        "true"
    );
    open.rollback().expect("the reader ends");
    let mut continued = false;
    if let Err(e) = migrator.run_up(&mut db.client(), &UpTarget::All, &mut |e| {
        continued |= matches!(e, migrate_core::Event::Continued { .. });
    }) {
        panic!("the next run failed: {e}");
    }
    assert!(continued);
    assert_eq!(
        one(
            &db,
            "SELECT count(*)::text FROM pg_inherits WHERE inhrelid = 'events_2025_01'::regclass"
        ),
        "0"
    );
    if let Err(e) = migrator.run_down(&mut db.client(), &DownTarget::All, &mut |_| {}) {
        panic!("down failed: {e}");
    }
    assert_eq!(
        one(
            &db,
            "SELECT count(*)::text FROM pg_inherits WHERE inhrelid = 'events_2025_01'::regclass"
        ),
        "1"
    );
}

fn unique_constraint(pgm: &mut MigrationBuilder) {
    // A new UNIQUE refuses what a running release may still write: a contract, so lint accepts it.
    pgm.contract("no release writes duplicate (id, at) any more");
    pgm.add_constraint_online(
        "events",
        "events_id_at_key",
        Constraint::unique(["id", "at"]),
    )
    .per_partition();
}

static UNIQUE_CONSTRAINT: [Migration; 1] = [Migration::defined(&Definition {
    name: "20261201000050_unique_events",
    path: "tests/partitions.rs",
    source: "unique_constraint",
    up: unique_constraint,
    down: None,
})];

/// A unique constraint per partition: each partition's index built concurrently, made its constraint and
/// attached; the parent's constraint holds; lint finds nothing; the derived `down` drops it all.
#[test]
fn a_unique_constraint_is_added_per_partition() {
    let db = TestDb::new();
    db.exec(&events(20_000));
    let report =
        migrate_core::lint::lint(&UNIQUE_CONSTRAINT, &[], &Default::default()).expect("lints");
    assert!(
        report.migrations[0].findings.is_empty(),
        "{:?}",
        report.migrations[0].findings
    );
    let migrator = Migrator::new(&UNIQUE_CONSTRAINT);
    if let Err(e) = migrator.run_up(&mut db.client(), &UpTarget::All, &mut |_| {}) {
        panic!("up failed: {e}");
    }
    assert_eq!(
        one(
            &db,
            "SELECT indisvalid::text || ' ' || (SELECT count(*) FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid \
             WHERE c.contype = 'u' AND r.relname LIKE 'events%')::text \
             FROM pg_index WHERE indexrelid = 'events_id_at_key'::regclass"
        ),
        "true 27",
        "the parent, the sub-partitioned one and 25 leaves"
    );
    let refused = db.client().execute(
        "INSERT INTO events VALUES (5, timestamptz '2025-01-01' + 5 * interval '1 day', 'again', NULL)",
        &[],
    );
    let error = refused.expect_err("the constraint holds");
    assert!(
        format!("{error:?}").contains("events_2025_01_events_id_at_key"),
        "{error:?}"
    );
    if let Err(e) = migrator.run_down(&mut db.client(), &DownTarget::All, &mut |_| {}) {
        panic!("down failed: {e}");
    }
    assert_eq!(indexes(&db), Vec::<String>::new());
    assert_eq!(
        one(
            &db,
            "SELECT count(*)::text FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid \
             WHERE c.contype = 'u' AND r.relname LIKE 'events%'"
        ),
        "0"
    );
}

fn check_kind(pgm: &mut MigrationBuilder) {
    pgm.add_constraint_online(
        "events",
        "events_kind_check",
        Constraint::check("kind <> ''"),
    );
}

static CHECK: [Migration; 1] = [Migration::defined(&Definition {
    name: "20261201000060_check_events_kind",
    path: "tests/partitions.rs",
    source: "check_kind",
    up: check_kind,
    down: None,
})];

/// A check on a partitioned table goes through the usual online recipe: added `NOT VALID` (catalog only, on
/// the parent and every partition), then validated in a transaction of its own, partition by partition
/// under `SHARE UPDATE EXCLUSIVE`, which writes do not wait for.
#[test]
fn a_check_is_added_not_valid_then_validated_on_a_partitioned_table() {
    let db = TestDb::new();
    db.exec(&events(20_000));
    let migrator = Migrator::new(&CHECK);
    if let Err(e) = migrator.run_up(&mut db.client(), &UpTarget::All, &mut |_| {}) {
        panic!("up failed: {e}");
    }
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FILTER (WHERE convalidated)::text || ' of ' || count(*)::text FROM pg_constraint \
             WHERE conname = 'events_kind_check'"
        ),
        "27 of 27"
    );
    if let Err(e) = migrator.run_down(&mut db.client(), &DownTarget::All, &mut |_| {}) {
        panic!("down failed: {e}");
    }
    assert_eq!(
        one(
            &db,
            "SELECT count(*)::text FROM pg_constraint WHERE conname = 'events_kind_check'"
        ),
        "0"
    );
}

fn kind_fk(pgm: &mut MigrationBuilder) {
    // A new foreign key refuses what a running release may still write: a contract, so lint accepts it.
    pgm.contract("no release writes an unknown kind any more");
    pgm.add_constraint_online(
        "events",
        "events_kind_fkey",
        Constraint::foreign_key(["kind"], "kinds", ["name"]),
    )
    .per_partition();
}

static FOREIGN_KEY: [Migration; 1] = [Migration::defined(&Definition {
    name: "20261201000070_events_kind_fkey",
    path: "tests/partitions.rs",
    source: "kind_fk",
    up: kind_fk,
    down: None,
})];

/// A foreign key from a partitioned table, per partition (PostgreSQL before 18 refuses it `NOT VALID` on the
/// table): added `NOT VALID` and validated on each of the 25 leaves, then the table's own attaches them all;
/// lint finds nothing; the derived `down` drops it everywhere. A run stopped after some partitions
/// (simulated: two already carry it, one of them not validated) goes on from there.
#[test]
fn a_foreign_key_is_added_per_partition() {
    let db = TestDb::new();
    db.exec(&events(20_000));
    db.exec(
        "CREATE TABLE kinds (name text PRIMARY KEY); INSERT INTO kinds SELECT 'kind' || i FROM generate_series(0, 6) i;
         ALTER TABLE events_2025_01 ADD CONSTRAINT events_kind_fkey FOREIGN KEY (kind) REFERENCES kinds (name) NOT VALID;
         ALTER TABLE events_2025_01 VALIDATE CONSTRAINT events_kind_fkey;
         ALTER TABLE events_2025_02 ADD CONSTRAINT events_kind_fkey FOREIGN KEY (kind) REFERENCES kinds (name) NOT VALID",
    );
    let report = migrate_core::lint::lint(&FOREIGN_KEY, &[], &Default::default()).expect("lints");
    assert!(
        report.migrations[0].findings.is_empty(),
        "{:?}",
        report.migrations[0].findings
    );
    let migrator = Migrator::new(&FOREIGN_KEY);
    let mut done = 0;
    if let Err(e) = migrator.run_up(&mut db.client(), &UpTarget::All, &mut |e| {
        if let migrate_core::Event::PartitionIndexed { .. } = e {
            done += 1;
        }
    }) {
        panic!("up failed: {e}");
    }
    assert_eq!(done, 24, "25 leaves, one done before");
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FILTER (WHERE convalidated AND (conparentid <> 0 OR conrelid = 'events'::regclass))::text \
             || ' of ' || count(*)::text FROM pg_constraint WHERE conname = 'events_kind_fkey'"
        ),
        "27 of 27",
        "the table, the sub-partitioned one and 25 leaves, validated and attached"
    );
    let refused = db.client().execute(
        "INSERT INTO events VALUES (1, '2025-01-02', 'no such kind', NULL)",
        &[],
    );
    assert!(refused.is_err(), "the foreign key holds");
    if let Err(e) = migrator.run_down(&mut db.client(), &DownTarget::All, &mut |_| {}) {
        panic!("down failed: {e}");
    }
    assert_eq!(
        one(
            &db,
            "SELECT count(*)::text FROM pg_constraint WHERE conname = 'events_kind_fkey'"
        ),
        "0"
    );
}
