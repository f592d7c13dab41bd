//! Long statements show their progress while they run: an index build waiting for a writer reports the
//! server's phase about once a second, in the events (and so in the display and the JSON run log).

use std::time::Duration;

use migrate_core::{Definition, Migration, Migrator, UpTarget};
use migrate_dsl::prelude::*;
use tests::TestDb;

fn index(pgm: &mut MigrationBuilder) {
    pgm.lock_timeout(Duration::from_secs(20));
    pgm.create_index("items", ["v"]).concurrently();
}

static INDEX: [Migration; 1] = [Migration::defined(&Definition {
    name: "20261201000030_index_items",
    path: "tests/progress.rs",
    source: "index",
    up: index,
    down: None,
})];

#[test]
fn an_index_build_that_waits_reports_its_phase_while_it_runs() {
    let db = TestDb::new();
    db.exec("CREATE TABLE items (id bigint PRIMARY KEY, v int); INSERT INTO items SELECT i, i FROM generate_series(1, 1000) i");
    // A writer's open transaction: the build waits for it before it starts.
    let mut writer = db.client();
    writer
        .batch_execute("BEGIN; INSERT INTO items VALUES (0, 0)")
        .expect("a write");
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(3500));
        writer.batch_execute("COMMIT").expect("the writer commits");
    });
    let url = db.url().to_owned();
    let migrator = Migrator::new(&INDEX).watch_locks(move || {
        postgres::Client::connect(&url, postgres::NoTls).map_err(|e| e.to_string())
    });
    let mut seen = Vec::new();
    if let Err(e) = migrator.run_up(&mut db.client(), &UpTarget::All, &mut |e| {
        if let migrate_core::Event::StatementProgress {
            phase,
            relation,
            op,
            position,
            elapsed,
            ..
        } = e
        {
            seen.push((
                phase.to_owned(),
                relation.to_owned(),
                op.to_owned(),
                position,
                elapsed,
            ));
        }
    }) {
        panic!("up failed: {e}");
    }
    release.join().expect("the writer thread");
    assert!(seen.len() >= 2, "{seen:?}");
    let (phase, relation, op, position, _) = &seen[seen.len() - 1];
    assert_eq!((op.as_str(), *position), ("create_index", 1));
    assert!(phase.starts_with("waiting for writers"), "{seen:?}");
    assert_eq!(relation, "items");
    // About once a second, from the first second on.
    assert!(seen.windows(2).all(|w| w[1].4 > w[0].4), "{seen:?}");
    assert!(seen[0].4 >= Duration::from_secs(1), "{seen:?}");
}
