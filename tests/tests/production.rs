//! Reading production for a review: only through a session that cannot write (a role with nothing but the
//! right to read statistics, or a standby), only catalog and statistics views.

use migrate_core::production::{self, ProductionError};
use tests::role::Role;
use tests::TestDb;

fn production_db() -> TestDb {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
         INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 50000) i;
         CREATE INDEX items_name ON items (name);
         ANALYZE items;
         SELECT count(*) FROM items;",
    );
    db
}

#[test]
fn a_statistics_role_reads_sizes_rows_activity_and_settings() {
    let db = production_db();
    let role = Role::new(&db, "stats");
    db.exec(&format!("GRANT pg_read_all_stats TO \"{}\"", role.name));
    let mut client = postgres::Client::connect(&role.url(&db), postgres::NoTls).expect("connects");
    let session = production::connect(&mut client, false).expect("a read-only session");
    assert_eq!(session.role, role.name);
    assert!(
        !session.standby && session.could_write.is_empty(),
        "{session:?}"
    );
    let wanted = ["items".to_owned(), "public.missing".to_owned()];
    // Before PostgreSQL 15 the statistics collector counts what other sessions did a moment later.
    let mut read = production::read(&mut client, &wanted).expect("reads");
    for _ in 0..100 {
        if read
            .tables
            .first()
            .and_then(|t| t.activity.as_ref())
            .is_some_and(|a| a.inserted >= 50000)
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        read = production::read(&mut client, &wanted).expect("reads");
    }
    let production::Snapshot { tables, settings } = read;
    assert_eq!(
        tables.len(),
        1,
        "a table production lacks is left out: {tables:?}"
    );
    let items = &tables[0];
    assert_eq!(items.table, "public.items");
    assert_eq!(items.rows, Some(50000.0));
    assert!(
        items.table_bytes > 1_000_000 && items.total_bytes > items.table_bytes,
        "{items:?}"
    );
    let indexes: Vec<&str> = items.indexes.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(indexes, ["items_name", "items_pkey"]);
    assert!(
        items.indexes.iter().all(|(_, bytes)| *bytes > 0),
        "{items:?}"
    );
    let activity = items
        .activity
        .as_ref()
        .expect("the collector counted the table");
    assert!(
        activity.inserted >= 50000 && activity.seq_scans >= 1,
        "{activity:?}"
    );
    let names: Vec<&str> = settings.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"maintenance_work_mem"), "{settings:?}");
}

#[test]
fn a_session_that_could_write_is_refused_naming_what_it_could_write() {
    let db = production_db();
    // The test's own superuser.
    let refused =
        production::connect(&mut db.client(), false).expect_err("a superuser could write");
    assert!(
        refused.to_string().contains("it is a superuser"),
        "{refused}"
    );

    let role = Role::new(&db, "writer");
    db.exec(&format!(
        "GRANT UPDATE ON items TO \"{0}\"; GRANT CREATE ON SCHEMA public TO \"{0}\"",
        role.name
    ));
    let mut client = postgres::Client::connect(&role.url(&db), postgres::NoTls).expect("connects");
    match production::connect(&mut client, false) {
        Err(ProductionError::Writable { role: named, could }) => {
            assert_eq!(named, role.name);
            assert_eq!(
                could,
                [
                    "it may create in schema(s) public",
                    "it may change table(s) public.items"
                ]
            );
        }
        other => panic!("not refused: {other:?}"),
    }
    // Told that a writable session is meant: it goes on, and says what it could write.
    let session = production::connect(&mut client, true).expect("allowed");
    assert_eq!(session.could_write.len(), 2);
    // The reads themselves run read-only whatever the role could do.
    let read = production::read(&mut client, &["items".to_owned()]).expect("reads");
    assert_eq!(read.tables.len(), 1);
}
