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

/// Connects as `role` and returns what the guard says it could write (empty: it passes).
fn could_write(db: &TestDb, role: &Role) -> Vec<String> {
    let mut client = postgres::Client::connect(&role.url(db), postgres::NoTls).expect("connects");
    match production::connect(&mut client, false) {
        Ok(session) => {
            assert!(session.could_write.is_empty(), "{session:?}");
            Vec::new()
        }
        Err(ProductionError::Writable { could, .. }) => could,
        Err(e) => panic!("{e}"),
    }
}

/// Every way to write a role can reach is refused, each named with the path to it: membership it does not
/// inherit (a `SET ROLE` away), a security definer function of another role, role attributes, predefined
/// roles, sequences, columns, ownership, parameter privileges. Only roles that read pass. On the default
/// server and on the oldest and newest supported majors (the catalog and its privilege functions differ).
#[test]
fn every_way_a_role_can_reach_to_write_is_refused_naming_the_path() {
    every_way_is_refused(&production_db());
    for major in [13, 18] {
        let Some(server) = tests::pg_versions::server_for_test(major) else {
            continue;
        };
        let db = TestDb::new_on(&server.admin_url());
        db.exec(
            "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
             INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 100) i;",
        );
        every_way_is_refused(&db);
    }
}

fn every_way_is_refused(db: &TestDb) {
    let major: u32 = db.query_strings("SHOW server_version_num")[0][0]
        .as_deref()
        .and_then(|v| v.parse().ok())
        .map(|n: u32| n / 10_000)
        .expect("server_version_num");
    // A role of its own per case, set up by the SQL (`{r}`: the role), and what the guard must say.
    let writer = Role::new(db, "writer");
    db.exec(&format!("GRANT UPDATE ON items TO \"{}\"", writer.name));
    let group = Role::new(db, "group");
    // `pg_write_all_data` exists from PostgreSQL 14.
    let (predefined, power) = if major >= 14 {
        ("pg_write_all_data", "may write every table")
    } else {
        ("pg_write_server_files", "may write files on the server")
    };
    db.exec(&format!("GRANT {predefined} TO \"{}\"", group.name));
    db.exec(
        "CREATE SEQUENCE ids;
         CREATE FUNCTION rename_all() RETURNS void LANGUAGE sql SECURITY DEFINER
           AS $$ UPDATE items SET name = 'renamed' $$;
         REVOKE EXECUTE ON FUNCTION rename_all() FROM PUBLIC;
         CREATE TABLE owned (id int);",
    );
    let mut cases: Vec<(&str, String, String)> = vec![
        (
            "noinherit",
            format!("ALTER ROLE {{r}} NOINHERIT; GRANT \"{}\" TO {{r}}", writer.name),
            format!(
                "through membership of {0} ({{r}} > {0}): it may change table(s) public.items",
                writer.name
            ),
        ),
        (
            "definer",
            "GRANT EXECUTE ON FUNCTION rename_all() TO {r}".to_owned(),
            "it may run with another role's rights: security definer function(s) rename_all()".to_owned(),
        ),
        (
            "createrole",
            "ALTER ROLE {r} CREATEROLE".to_owned(),
            "it may create roles and grant them (CREATEROLE)".to_owned(),
        ),
        (
            "createdb",
            "ALTER ROLE {r} CREATEDB".to_owned(),
            "it may create and copy databases (CREATEDB)".to_owned(),
        ),
        (
            "program",
            "GRANT pg_execute_server_program TO {r}".to_owned(),
            "through membership of pg_execute_server_program ({r} > pg_execute_server_program): a predefined \
             role that may run programs on the server"
                .to_owned(),
        ),
        (
            "nested",
            format!("GRANT \"{}\" TO {{r}}", group.name),
            format!(
                "through membership of {predefined} ({{r}} > {} > {predefined}): a predefined role that {power}",
                group.name
            ),
        ),
        (
            "sequence",
            "GRANT UPDATE ON SEQUENCE ids TO {r}".to_owned(),
            "it may advance or set sequence(s) public.ids".to_owned(),
        ),
        (
            "column",
            "GRANT SELECT, UPDATE (name) ON items TO {r}".to_owned(),
            "it may change table(s) public.items".to_owned(),
        ),
        (
            "owner",
            "ALTER TABLE owned OWNER TO {r}".to_owned(),
            "it owns (and so may change or drop) table owned".to_owned(),
        ),
        (
            "admin",
            "GRANT pg_read_all_stats TO {r} WITH ADMIN OPTION".to_owned(),
            "it may grant to other roles (WITH ADMIN OPTION) role(s) pg_read_all_stats".to_owned(),
        ),
    ];
    if major >= 15 {
        cases.push((
            "system",
            "GRANT ALTER SYSTEM ON PARAMETER work_mem TO {r}".to_owned(),
            "it may change server setting(s) with ALTER SYSTEM work_mem".to_owned(),
        ));
    }
    for (suffix, setup, expected) in &cases {
        let role = Role::new(db, suffix);
        let quoted = format!("\"{}\"", role.name);
        db.exec(&setup.replace("{r}", &quoted));
        let could = could_write(db, &role);
        let expected = expected.replace("{r}", &role.name);
        assert!(
            could.iter().any(|c| c.starts_with(&expected)),
            "PostgreSQL {major}, {suffix}: {expected:?} not in {could:#?}"
        );
    }
    // What only reads passes: the statistics and monitoring roles, and SELECT on every table.
    let reader = Role::new(db, "reader");
    let read_all = if major >= 14 {
        ", pg_read_all_data"
    } else {
        ""
    };
    db.exec(&format!(
        "GRANT pg_monitor{read_all} TO \"{0}\"; GRANT SELECT ON items TO \"{0}\"",
        reader.name
    ));
    assert_eq!(
        could_write(db, &reader),
        Vec::<String>::new(),
        "PostgreSQL {major}"
    );
}

/// A size read waits for a lock a migration (or anyone) holds in production: it gives up after a second,
/// says which table it could not read, and still has its row estimate.
#[test]
fn a_table_locked_in_production_is_reported_unread_instead_of_waiting() {
    let db = production_db();
    let role = Role::new(&db, "stats");
    db.exec(&format!("GRANT pg_read_all_stats TO \"{}\"", role.name));
    let mut locker = db.client();
    locker
        .batch_execute("BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE")
        .expect("lock");
    let url = role.url(&db);
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
        let read = production::connect(&mut client, false)
            .and_then(|_| production::read(&mut client, &["items".to_owned()]));
        let _ = done.send(read);
    });
    // The lock is held until the read ends (a read that waits for it never does), or for a minute.
    let outcome = result.recv_timeout(std::time::Duration::from_secs(60));
    locker.batch_execute("COMMIT").expect("unlock");
    let read = outcome
        .expect("the read waited behind the lock for a minute")
        .expect("reads");
    let items = &read.tables[0];
    assert!(
        items
            .unread
            .as_deref()
            .is_some_and(|why| why.contains("a lock held on it in production")),
        "{items:?}"
    );
    assert_eq!(items.rows, Some(50000.0), "{items:?}");
}
