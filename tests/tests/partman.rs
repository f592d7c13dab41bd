//! pg_partman (Debian's package, on the local server) as a real user's partitioning: a table it manages gets
//! an index built per partition while a writer writes, the partitions its maintenance creates afterwards get
//! the index from PostgreSQL, and the derived `down` drops it from all of them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use migrate_core::{Definition, DownTarget, Migration, Migrator, UpTarget};
use migrate_dsl::prelude::*;
use tests::TestDb;

fn one(db: &TestDb, sql: &str) -> String {
    db.query_strings(sql)[0][0].clone().unwrap_or_default()
}

fn by_kind(pgm: &mut MigrationBuilder) {
    pgm.create_index("events", ["kind"])
        .concurrently_per_partition();
}

static BY_KIND: [Migration; 1] = [Migration::defined(&Definition {
    name: "20261201000040_index_events_by_kind",
    path: "tests/partman.rs",
    source: "by_kind",
    up: by_kind,
    down: None,
})];

/// Partitions of `events` (its default one included) and how many of them have an index of ours.
fn partitions_and_indexed(db: &TestDb) -> (String, String) {
    let partitions = one(
        db,
        "SELECT count(*)::text FROM pg_inherits WHERE inhparent = 'events'::regclass",
    );
    let indexed = one(
        db,
        "SELECT count(*)::text FROM pg_inherits h JOIN pg_index x ON x.indexrelid = h.inhrelid \
         WHERE h.inhparent = 'events_kind_index'::regclass AND x.indisvalid",
    );
    (partitions, indexed)
}

#[test]
fn a_pg_partman_table_gets_its_index_per_partition_and_keeps_it_for_new_partitions() {
    let db = TestDb::new();
    let installed = db
        .client()
        .batch_execute("CREATE SCHEMA partman; CREATE EXTENSION pg_partman SCHEMA partman");
    if let Err(e) = installed {
        panic!(
            "pg_partman is not installed on the local server ({e}); .ci/run installs Debian's \
             postgresql-<major>-partman"
        );
    }
    db.exec(
        "CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY, at timestamptz NOT NULL, kind text NOT NULL) \
           PARTITION BY RANGE (at);
         SELECT partman.create_parent(p_parent_table := 'public.events', p_control := 'at', p_type := 'native', \
           p_interval := 'daily', p_premake := 10);
         INSERT INTO events (at, kind) SELECT now() - interval '9 days' + (i % 19) * interval '1 day', 'k' || (i % 5) \
           FROM generate_series(1, 50000) i;",
    );
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let mut client = db.client();
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || -> Result<u64, String> {
            client
                .batch_execute("SET lock_timeout = '500ms'")
                .map_err(|e| e.to_string())?;
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) || n < 10 {
                client
                    .execute("INSERT INTO events (at, kind) VALUES (now(), 'w')", &[])
                    .map_err(|e| format!("write {n}: {e}"))?;
                n += 1;
            }
            Ok(n)
        })
    };
    let migrator = Migrator::new(&BY_KIND);
    let result = migrator.run_up(&mut db.client(), &UpTarget::All, &mut |_| {});
    stop.store(true, Ordering::Relaxed);
    writer
        .join()
        .expect("writer thread")
        .unwrap_or_else(|e| panic!("{e}"));
    if let Err(e) = result {
        panic!("up failed: {e}");
    }
    let (partitions, indexed) = partitions_and_indexed(&db);
    assert_eq!(
        indexed, partitions,
        "every partition, the default one included"
    );
    assert_eq!(
        one(&db, "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'events_kind_index'::regclass"),
        "true"
    );

    // pg_partman's maintenance creates the partitions ahead: PostgreSQL gives each the index.
    db.exec("UPDATE partman.part_config SET premake = 14 WHERE parent_table = 'public.events'");
    db.exec("CALL partman.run_maintenance_proc()");
    let (more, indexed) = partitions_and_indexed(&db);
    assert!(
        more.parse::<u32>().unwrap_or(0) > partitions.parse::<u32>().unwrap_or(0),
        "{more} after {partitions}"
    );
    assert_eq!(indexed, more);

    if let Err(e) = migrator.run_down(&mut db.client(), &DownTarget::All, &mut |_| {}) {
        panic!("down failed: {e}");
    }
    assert_eq!(
        one(
            &db,
            "SELECT count(*)::text FROM pg_indexes WHERE indexname LIKE '%events_kind_index'"
        ),
        "0"
    );
}
