//! Backfills that keep the values they overwrite (`keep_previous_values`): the derived `down` puts every
//! overwritten value back exactly, after an interrupted and resumed run too; the kept values go with a
//! contract's `drop_kept_values` or `migrate kept --drop`, after which the `down` refuses and changes nothing.

use migrate_core::{DownTarget, KeptSelection, Migrator, UpTarget};
use tests::cli::FixtureCli;
use tests::TestDb;

/// Every row of `table` as one text, to compare a table before and after.
fn contents(db: &TestDb, table: &str, order: &str) -> String {
    db.query_strings(&format!(
        "SELECT md5(string_agg(t::text, '|' ORDER BY {order})) || ' ' || count(*) FROM {table} t"
    ))[0][0]
        .clone()
        .unwrap_or_default()
}

fn one(db: &TestDb, sql: &str) -> String {
    db.query_strings(sql)[0][0].clone().unwrap_or_default()
}

const BACKFILL: &str = "20260801000002_lowercase_emails";

#[test]
fn down_puts_back_exactly_what_the_backfill_overwrote_and_drops_the_side_table() {
    let db = TestDb::new();
    let cli = FixtureCli::new("kept", &db);
    cli.run(&["up", "1"]).expect_code(0);
    let before = contents(&db, "users", "id");
    cli.run(&["up", "1"]).expect_code(0);
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FROM users WHERE email <> lower(email)"
        ),
        "0"
    );
    let list = cli.run(&["kept"]).expect_code(0);
    assert!(
        list.stdout
            .contains(&format!("{BACKFILL} #1  \"users\" (email)  2572 row(s)")),
        "{}",
        list.stdout
    );
    // The side table is bookkeeping, not schema: no drift.
    let drift = cli.run(&["drift"]).expect_code(0);
    assert!(drift.stdout.contains("no drift"), "{}", drift.stdout);
    // A row the app writes after the backfill has nothing kept: the down leaves it.
    db.exec("INSERT INTO users VALUES (5000, 'Late@Example.COM', 'late')");
    let down = cli.run(&["down"]).expect_code(0);
    assert!(
        down.stdout.contains(&format!(
            "{BACKFILL}: restored the kept values of \"users\": 2572 rows"
        )),
        "{}",
        down.stdout
    );
    db.exec("DELETE FROM users WHERE id = 5000");
    assert_eq!(
        contents(&db, "users", "id"),
        before,
        "every email as typed again"
    );
    assert_eq!(
        one(&db, "SELECT count(*) FROM public.pgmigrations_kept"),
        "0"
    );
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FROM pg_class WHERE relname ~ '^pgmigrations_kept_[0-9a-f]'"
        ),
        "0",
        "the side table is dropped with the restore"
    );
    let list = cli.run(&["kept"]).expect_code(0);
    assert!(list.stdout.contains("no kept values"), "{}", list.stdout);
}

#[test]
fn once_the_kept_values_are_dropped_the_down_refuses_and_changes_nothing() {
    // By the contract migration, then by the command.
    for by_command in [false, true] {
        let db = TestDb::new();
        let cli = FixtureCli::new("kept", &db);
        cli.run(&["up", "2"]).expect_code(0);
        let filled = contents(&db, "users", "id");
        if by_command {
            let json = cli.run(&["kept", "--json"]).expect_code(0);
            assert!(json.stdout.contains("\"rows\": 2572"), "{}", json.stdout);
            let dropped = cli.run(&["kept", "--drop", BACKFILL]).expect_code(0);
            assert!(
                dropped
                    .stdout
                    .contains("its down can no longer restore them"),
                "{}",
                dropped.stdout
            );
            let again = cli.run(&["kept", "--drop", BACKFILL]).expect_code(1);
            assert!(
                again.stderr.contains("has no kept values"),
                "{}",
                again.stderr
            );
        } else {
            cli.run(&["up"]).expect_code(0);
            // The contract's own down is empty: reverting it leaves the values dropped.
            cli.run(&["down"]).expect_code(0);
        }
        assert!(cli
            .run(&["kept"])
            .expect_code(0)
            .stdout
            .contains("no kept values"));
        let refused = cli.run(&["down"]).expect_code(1);
        for fragment in [BACKFILL, "are gone", "write a `down` of its own"] {
            assert!(
                refused.stderr.contains(fragment),
                "{fragment}: {}",
                refused.stderr
            );
        }
        assert_eq!(contents(&db, "users", "id"), filled, "nothing reverted");
        assert_eq!(
            one(
                &db,
                &format!("SELECT count(*) FROM pgmigrations WHERE name = '{BACKFILL}'")
            ),
            "1",
            "the migration stays applied"
        );
    }
}

mod interrupted {
    use migrate_core::{Definition, Migrations};
    use migrate_dsl::prelude::*;

    fn up(pgm: &mut MigrationBuilder) {
        pgm.backfill(
            ("app", "accounts"),
            "plan = upper(plan), seats = seats * 10",
        )
        .batch_size(300)
        .keep_previous_values();
    }

    pub static MIGRATIONS: Migrations = Migrations::new(&[Definition {
        name: "20260801000010_upper_plans",
        path: "tests/kept_values.rs",
        source: "upper plans",
        up,
        down: None,
    }]);
}

/// A composite key in another schema, a run stopped half-way by a failing batch (its kept rows roll back
/// with it), resumed, then reverted: every value as it was, NULLs included.
#[test]
fn an_interrupted_run_resumed_is_still_undone_exactly() {
    let db = TestDb::new();
    db.exec(
        "CREATE SCHEMA app;
         CREATE TABLE app.accounts (tenant int, id int, plan text, seats int, PRIMARY KEY (tenant, id));
         INSERT INTO app.accounts SELECT t, i, CASE WHEN i % 5 = 0 THEN NULL ELSE 'pro' || i END, i
           FROM generate_series(1, 3) t, generate_series(1, 700) i;
         CREATE TABLE app.gate (open boolean);
         CREATE FUNCTION app.stop() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF NEW.tenant = 2 AND NOT EXISTS (SELECT FROM app.gate) THEN RAISE EXCEPTION 'stopped at %', NEW.id; END IF;
           RETURN NEW;
         END $$;
         CREATE TRIGGER stop BEFORE UPDATE ON app.accounts FOR EACH ROW EXECUTE FUNCTION app.stop();",
    );
    let before = contents(&db, "app.accounts", "tenant, id");
    let migrator = Migrator::new(&interrupted::MIGRATIONS);
    let mut client = db.client();
    let failed = migrator
        .run_up(&mut client, &UpTarget::All, &mut |_| {})
        .expect_err("the gate stops it");
    assert!(failed.to_string().contains("stopped at"), "{failed}");
    let kept = migrator.kept_values(&mut client).expect("listed");
    assert_eq!(kept.len(), 1);
    // Whole batches of tenant 1 only: the failed batch's kept rows rolled back with it.
    assert_eq!(kept[0].rows % 300, 0, "{kept:?}");
    assert!(kept[0].rows > 0 && kept[0].rows <= 700, "{kept:?}");
    assert_eq!(kept[0].columns, ["plan", "seats"]);

    db.exec("INSERT INTO app.gate VALUES (true)");
    migrator
        .run_up(&mut client, &UpTarget::All, &mut |_| {})
        .expect("resumes");
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FROM app.accounts WHERE seats % 10 <> 0 OR plan <> upper(plan)"
        ),
        "0"
    );
    let kept = migrator.kept_values(&mut client).expect("listed");
    assert_eq!(kept[0].rows, 2100, "every row kept once: {kept:?}");

    migrator
        .run_down(&mut client, &DownTarget::Count(1), &mut |_| {})
        .expect("the derived down restores");
    assert_eq!(contents(&db, "app.accounts", "tenant, id"), before);
    assert!(migrator
        .kept_values(&mut client)
        .expect("listed")
        .is_empty());
    assert!(migrator
        .drop_kept_values(&mut client, KeptSelection::All)
        .expect("nothing to drop")
        .is_empty());
}

/// A run stopped half-way is not applied, yet its committed batches overwrote values: the `down` of the part
/// applied restores exactly what they kept, says so, and leaves nothing kept for a migration that is not
/// applied.
#[test]
fn down_after_a_stopped_run_restores_what_its_committed_batches_overwrote() {
    let db = TestDb::new();
    db.exec(
        "CREATE SCHEMA app;
         CREATE TABLE app.accounts (tenant int, id int, plan text, seats int, PRIMARY KEY (tenant, id));
         INSERT INTO app.accounts SELECT t, i, CASE WHEN i % 5 = 0 THEN NULL ELSE 'pro' || i END, i
           FROM generate_series(1, 3) t, generate_series(1, 700) i;
         CREATE FUNCTION app.stop() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF NEW.tenant = 2 THEN RAISE EXCEPTION 'stopped at %', NEW.id; END IF;
           RETURN NEW;
         END $$;
         CREATE TRIGGER stop BEFORE UPDATE ON app.accounts FOR EACH ROW EXECUTE FUNCTION app.stop();",
    );
    let before = contents(&db, "app.accounts", "tenant, id");
    let migrator = Migrator::new(&interrupted::MIGRATIONS);
    let mut client = db.client();
    migrator
        .run_up(&mut client, &UpTarget::All, &mut |_| {})
        .expect_err("the trigger stops it");
    db.exec("DROP TRIGGER stop ON app.accounts");
    let overwritten = one(
        &db,
        "SELECT count(*) FROM app.accounts WHERE seats % 10 = 0 AND seats <> id",
    );
    assert_ne!(overwritten, "0", "batches committed");
    let mut events = Vec::new();
    migrator
        .run_down(&mut client, &DownTarget::Count(1), &mut |e| {
            events.push(format!("{e:?}"))
        })
        .expect("the down restores the part applied");
    assert!(
        events.iter().any(|e| e.starts_with("UndoingPart")
            && e.contains("backfill: Some(StoppedBackfill { position: 1, rows: Some(")),
        "{events:#?}"
    );
    assert_eq!(
        contents(&db, "app.accounts", "tenant, id"),
        before,
        "every overwritten value back"
    );
    assert!(
        migrator
            .kept_values(&mut client)
            .expect("listed")
            .is_empty(),
        "nothing kept for a migration that is not applied"
    );
    for table in [
        "pgmigrations",
        "pgmigrations_journal",
        "pgmigrations_backfill",
    ] {
        assert_eq!(
            one(&db, &format!("SELECT count(*) FROM {table}")),
            "0",
            "{table}"
        );
    }
}

/// The same through the command, as a user sees it: `up` stopped in the backfill, `down` says how many rows
/// its batches committed, restores them, and `kept` lists nothing for a migration no longer applied.
#[test]
fn the_down_command_after_a_stopped_backfill_says_what_it_restores() {
    let db = TestDb::new();
    let cli = FixtureCli::new("kept", &db);
    cli.run(&["up", "1"]).expect_code(0);
    let before = contents(&db, "users", "id");
    db.exec(
        "CREATE FUNCTION stop() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.id > 1500 THEN RAISE EXCEPTION 'stopped at %', NEW.id; END IF; RETURN NEW; END $$;
         CREATE TRIGGER stop BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION stop();",
    );
    cli.run(&["up", "1"]).expect_code(1);
    db.exec("DROP TRIGGER stop ON users; DROP FUNCTION stop()");
    let kept = cli.run(&["kept"]).expect_code(0);
    assert!(kept.stdout.contains(BACKFILL), "{}", kept.stdout);
    let down = cli.run(&["down"]).expect_code(0);
    assert!(
        down.stdout.contains(&format!(
            "undoing the part of {BACKFILL} that an interrupted `up` applied (0 of its 1 statement(s), and "
        )) && down.stdout.contains("row(s) the backfill #1 committed before it stopped"),
        "{}",
        down.stdout
    );
    assert_eq!(
        contents(&db, "users", "id"),
        before,
        "every email as typed again"
    );
    let kept = cli.run(&["kept"]).expect_code(0);
    assert!(kept.stdout.contains("no kept values"), "{}", kept.stdout);
}

/// The same over a fleet: a tenant whose backfill stopped half-way is reverted by `fleet down --to` the
/// migration before it (which that tenant stands at) like any other: the part applied is the newest change,
/// and its committed batches are restored, not skipped as "already there".
#[test]
fn fleet_down_restores_a_tenants_stopped_backfill() {
    let db = TestDb::new();
    db.exec("CREATE SCHEMA t1; CREATE SCHEMA t2");
    let cli = FixtureCli::new("kept", &db);
    const CREATE: &str = "20260801000001_create_users";
    cli.run(&["fleet", "up", "--schemas", "t1,t2", "--to", CREATE])
        .expect_code(0);
    let before = contents(&db, "t1.users", "id");
    db.exec(
        "CREATE FUNCTION t1.stop() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.id > 1500 THEN RAISE EXCEPTION 'stopped at %', NEW.id; END IF; RETURN NEW; END $$;
         CREATE TRIGGER stop BEFORE UPDATE ON t1.users FOR EACH ROW EXECUTE FUNCTION t1.stop();",
    );
    let up = cli.run(&["fleet", "up", "--schemas", "t1,t2", "--to", BACKFILL]);
    assert_ne!(up.code, 0, "t1 stops: {}\n{}", up.stdout, up.stderr);
    db.exec("DROP TRIGGER stop ON t1.users; DROP FUNCTION t1.stop()");
    assert_ne!(
        contents(&db, "t1.users", "id"),
        before,
        "t1's batches committed"
    );
    cli.run(&["fleet", "down", "--schemas", "t1,t2", "--to", CREATE])
        .expect_code(0);
    assert_eq!(
        contents(&db, "t1.users", "id"),
        before,
        "t1's emails as typed again"
    );
    assert_eq!(
        contents(&db, "t2.users", "id"),
        before,
        "t2's, reverted as applied"
    );
    for schema in ["t1", "t2"] {
        assert_eq!(
            one(
                &db,
                &format!("SELECT count(*) FROM {schema}.pgmigrations_journal")
            ),
            "0",
            "{schema}"
        );
    }
}

mod walked_again {
    use migrate_core::{Definition, Migrations};
    use migrate_dsl::prelude::*;

    fn up(pgm: &mut MigrationBuilder) {
        pgm.backfill("users", "email = lower(email)")
            .where_clause("email <> lower(email)")
            .batch_size(100)
            .keep_previous_values();
    }

    pub static MIGRATIONS: Migrations = Migrations::new(&[Definition {
        name: "20260801000020_lower_emails",
        path: "tests/kept_values.rs",
        source: "lower emails",
        up,
        down: None,
    }]);
}

/// A row the walk already did that matches the condition again (another writer) is walked again and kept a
/// second time; the `down` puts back its first kept value, the one from before the backfill.
#[test]
fn a_row_kept_twice_is_restored_to_its_value_before_the_backfill() {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE users (id int PRIMARY KEY, email text);
         INSERT INTO users SELECT i, 'User' || i || '@X' FROM generate_series(1, 500) i;
         CREATE FUNCTION rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF NEW.id = 400 THEN UPDATE users SET email = 'Again@X' WHERE id = 10; END IF;
           RETURN NEW;
         END $$;
         CREATE TRIGGER rewrite AFTER UPDATE ON users FOR EACH ROW WHEN (pg_trigger_depth() = 0)
           EXECUTE FUNCTION rewrite();",
    );
    let before = contents(&db, "users", "id");
    let migrator = Migrator::new(&walked_again::MIGRATIONS);
    let mut client = db.client();
    migrator
        .run_up(&mut client, &UpTarget::All, &mut |_| {})
        .expect("the backfill walks row 10 again");
    assert_eq!(one(&db, "SELECT email FROM users WHERE id = 10"), "again@x");
    let kept = migrator.kept_values(&mut client).expect("listed");
    assert_eq!(kept[0].rows, 501, "row 10 kept twice: {kept:?}");
    db.exec("DROP TRIGGER rewrite ON users");
    migrator
        .run_down(&mut client, &DownTarget::Count(1), &mut |_| {})
        .expect("restores");
    assert_eq!(contents(&db, "users", "id"), before);
}

/// An application write that commits between the batch's read of the values it keeps and its UPDATE: the
/// batch fails on it and runs again, so what is kept is what the backfill overwrote, and the `down` gives
/// back the application's value.
#[test]
fn a_write_between_keeping_and_updating_is_what_the_down_restores() {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE users (id int PRIMARY KEY, email text);
         INSERT INTO users SELECT i, 'User' || i || '@X' FROM generate_series(1, 500) i;
         -- Each batch, once it has kept its rows, waits for the advisory lock the application holds.
         CREATE FUNCTION wait_for_app() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN PERFORM pg_advisory_xact_lock(4242); RETURN NULL; END $$;
         CREATE FUNCTION add_wait() RETURNS event_trigger LANGUAGE plpgsql AS $$
         DECLARE r record;
         BEGIN
           FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE' LOOP
             IF r.object_identity LIKE '%pgmigrations\\_kept\\_%' THEN
               EXECUTE format('CREATE TRIGGER wait AFTER INSERT ON %s FOR EACH STATEMENT EXECUTE FUNCTION wait_for_app()',
                              r.object_identity);
             END IF;
           END LOOP;
         END $$;
         CREATE EVENT TRIGGER add_wait ON ddl_command_end EXECUTE FUNCTION add_wait();",
    );
    let mut app = postgres::Client::connect(db.url(), postgres::NoTls).expect("app connects");
    app.batch_execute("SELECT pg_advisory_lock(4242)")
        .expect("app locks");
    let app = std::thread::spawn(move || -> Result<(), postgres::Error> {
        // No timing: write once the first batch has kept its rows and waits. pg_locks is the whole
        // server's: only this database's wait for this lock counts, not another test's.
        loop {
            let waiting: bool = app
                .query_one(
                    "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND NOT granted \
                     AND objid = 4242 AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
                    &[],
                )?
                .get(0);
            if waiting {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        app.batch_execute("UPDATE users SET email = 'Written@ByApp' WHERE id = 1; SELECT pg_advisory_unlock(4242)")
    });
    let migrator = Migrator::new(&walked_again::MIGRATIONS);
    let mut client = db.client();
    let mut retried = Vec::new();
    let result = migrator.run_up(&mut client, &UpTarget::All, &mut |event| {
        if let migrate_core::Event::Retrying { reason, .. } = event {
            retried.push(reason);
        }
    });
    app.join()
        .expect("app thread")
        .expect("the application's write");
    result.expect("the batch runs again after the application's write");
    assert_eq!(
        retried.len(),
        1,
        "the first batch ran again once: {retried:?}"
    );
    assert!(retried[0].contains("could not serialize"), "{retried:?}");
    assert_eq!(
        one(&db, "SELECT email FROM users WHERE id = 1"),
        "written@byapp"
    );
    db.exec("DROP EVENT TRIGGER add_wait");
    migrator
        .run_down(&mut client, &DownTarget::Count(1), &mut |_| {})
        .expect("restores");
    assert_eq!(
        one(&db, "SELECT email FROM users WHERE id = 1"),
        "Written@ByApp"
    );
    assert_eq!(one(&db, "SELECT email FROM users WHERE id = 2"), "User2@X");
}

mod keeps_a_key {
    use migrate_core::{Definition, Migrations};
    use migrate_dsl::prelude::*;

    fn up(pgm: &mut MigrationBuilder) {
        pgm.backfill("codes", "code = code + 1000, label = upper(label)")
            .keep_previous_values();
    }

    pub static MIGRATIONS: Migrations = Migrations::new(&[Definition {
        name: "20260801000030_renumber",
        path: "tests/kept_values.rs",
        source: "renumber",
        up,
        down: None,
    }]);
}

/// A backfill that writes its table's primary key cannot keep what it overwrites (the kept rows are found by
/// that key): refused before its first batch, naming the column, with nothing changed or kept.
#[test]
fn keeping_a_primary_key_column_is_refused_before_anything_changes() {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE codes (code int PRIMARY KEY, label text);
         INSERT INTO codes SELECT i, 'c' || i FROM generate_series(1, 10) i",
    );
    let before = contents(&db, "codes", "code");
    let migrator = Migrator::new(&keeps_a_key::MIGRATIONS);
    let mut client = db.client();
    let refused = migrator
        .run_up(&mut client, &UpTarget::All, &mut |_| {})
        .expect_err("refused")
        .to_string();
    assert!(
        refused.contains(r#"keep_previous_values cannot keep "code": it is a primary key column"#)
            && refused.contains("20260801000030_renumber")
            && !refused.contains("batch(es) of this backfill were committed"),
        "{refused}"
    );
    assert_eq!(contents(&db, "codes", "code"), before);
    assert!(migrator
        .kept_values(&mut client)
        .expect("listed")
        .is_empty());
    assert_eq!(
        one(&db, "SELECT count(*) FROM pgmigrations"),
        "0",
        "not recorded as applied"
    );
}
