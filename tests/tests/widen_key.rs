//! `widen_key_online`: an `integer` primary key widened to `bigint` with the foreign keys that reference it,
//! through the engine, phase by phase: each phase's `down` gives back exactly the catalog before it, the rows
//! keep their values, writers never fail, and a run stopped at any statement is finished by the next `up`.

use std::time::Duration;

use migrate_core::{Definition, DownTarget, Migration, Migrator, UpTarget};
use migrate_dsl::prelude::*;
use tests::TestDb;

fn expand(pgm: &mut MigrationBuilder) {
    pgm.widen_key_online("orders", "id", "bigint")
        .batch_size(500);
}

fn switch(pgm: &mut MigrationBuilder) {
    pgm.contract("orders.id becomes bigint: every app version running reads it as bigint");
    pgm.widen_key_online("orders", "id", "bigint").switch();
}

fn contract(pgm: &mut MigrationBuilder) {
    pgm.widen_key_online("orders", "id", "bigint").contract();
}

static MIGRATIONS: [Migration; 3] = [
    Migration::defined(&Definition {
        name: "20261201000001_widen_orders_id",
        path: "tests/widen_key.rs",
        source: "expand",
        up: expand,
        down: None,
    }),
    Migration::defined(&Definition {
        name: "20261201000002_switch_orders_id",
        path: "tests/widen_key.rs",
        source: "switch",
        up: switch,
        down: None,
    }),
    Migration::defined(&Definition {
        name: "20261201000003_contract_orders_id",
        path: "tests/widen_key.rs",
        source: "contract",
        up: contract,
        down: None,
    }),
];

/// The shop of `tests::shop` with `orders` orders and twice as many lines.
fn shop(orders: u64) -> String {
    tests::shop::shop_sql(orders, orders * 2)
}

fn one(db: &TestDb, sql: &str) -> String {
    db.query_strings(sql)[0][0].clone().unwrap_or_default()
}

/// The catalog as sorted lines (a column added back comes last, which is all a round trip may change).
fn catalog(db: &TestDb) -> Vec<String> {
    let mut lines: Vec<String> = tests::roundtrip::catalog(db)
        .lines()
        .filter(|l| !l.contains("pgmigrations"))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

/// Every row's values, as one checksum per table.
fn rows(db: &TestDb) -> String {
    one(db, tests::shop::ROWS_CHECKSUM)
}

fn type_of(db: &TestDb, table: &str, column: &str) -> String {
    one(
        db,
        &format!(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '{table}'::regclass AND attname = '{column}'"
        ),
    )
}

fn run(what: &str, result: Result<Vec<migrate_core::Ran>, migrate_core::Error>) {
    if let Err(e) = result {
        panic!("{what} failed: {e}");
    }
}

/// Each phase up, its `down`, and up again: the `down` gives back the catalog and the rows exactly; after the
/// switch every key and foreign key column is `bigint` under its old name, with its old constraints' names,
/// and the sequence goes on.
#[test]
fn each_phase_is_undone_exactly() {
    let db = TestDb::new();
    db.exec(&shop(3000));
    let migrator = Migrator::new(&MIGRATIONS);
    let rows_before = rows(&db);
    for (i, phase) in ["expand", "switch"].into_iter().enumerate() {
        // The bookkeeping tables exist from the first run on: compare from then.
        if i == 0 {
            run(
                "prime",
                migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {}),
            );
            run(
                "prime down",
                migrator.run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {}),
            );
        }
        let before = catalog(&db);
        run(
            phase,
            migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {}),
        );
        assert_ne!(before, catalog(&db), "{phase} changed nothing");
        assert_eq!(rows(&db), rows_before, "{phase}: rows");
        run(
            &format!("{phase}'s down"),
            migrator.run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {}),
        );
        let after = catalog(&db);
        let diff: Vec<String> = before
            .iter()
            .filter(|l| !after.contains(l))
            .map(|l| format!("- {l}"))
            .chain(
                after
                    .iter()
                    .filter(|l| !before.contains(l))
                    .map(|l| format!("+ {l}")),
            )
            .collect();
        assert!(diff.is_empty(), "{phase}'s down:\n{}", diff.join("\n"));
        assert_eq!(rows(&db), rows_before, "{phase}'s down: rows");
        run(
            &format!("{phase} again"),
            migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {}),
        );
    }
    for (table, column) in [
        ("orders", "id"),
        ("orders", "parent_id"),
        ("order_lines", "order_id"),
        ("refunds", "order_id"),
    ] {
        assert_eq!(type_of(&db, table, column), "bigint", "{table}.{column}");
    }
    assert_eq!(
        one(
            &db,
            "SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), '; ' ORDER BY conname) FROM pg_constraint
             WHERE contype IN ('p', 'f') AND conrelid IN ('orders'::regclass, 'order_lines'::regclass, 'refunds'::regclass)"
        ),
        "order_lines_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE; \
         order_lines_pkey PRIMARY KEY (id); \
         orders_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES orders(id); \
         orders_pkey PRIMARY KEY (id); \
         refunds_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders(id); \
         refunds_pkey PRIMARY KEY (id)"
    );
    assert_eq!(
        one(
            &db,
            "SELECT string_agg(indexname || ': ' || indexdef, '; ' ORDER BY indexname) FROM pg_indexes
             WHERE indexname IN ('orders_id_placed_idx', 'order_lines_order_id_idx', 'orders_parent_id_id_idx')"
        ),
        "order_lines_order_id_idx: CREATE INDEX order_lines_order_id_idx ON public.order_lines USING btree (order_id); \
         orders_id_placed_idx: CREATE INDEX orders_id_placed_idx ON public.orders USING btree (id, placed DESC); \
         orders_parent_id_id_idx: CREATE INDEX orders_parent_id_id_idx ON public.orders USING btree (parent_id, id)"
    );
    // The columns' comments and defaults are the new columns'.
    assert_eq!(
        one(
            &db,
            "SELECT col_description('orders'::regclass,
                (SELECT attnum FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'id')) || ' / '
             || col_description('order_lines'::regclass,
                (SELECT attnum FROM pg_attribute WHERE attrelid = 'order_lines'::regclass AND attname = 'order_id')) || ' / '
             || pg_get_expr(adbin, adrelid) FROM pg_attrdef
             WHERE adrelid = 'orders'::regclass AND adnum = (SELECT attnum FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'parent_id')"
        ),
        "the order number / the order of the line / 1"
    );
    // The sequence goes on, as bigint.
    assert_eq!(
        one(
            &db,
            "INSERT INTO orders (total) VALUES (0) RETURNING id::text"
        ),
        "3001"
    );
    assert_eq!(
        one(
            &db,
            "SELECT format_type(seqtypid, NULL) FROM pg_sequence WHERE seqrelid = pg_get_serial_sequence('orders', 'id')::regclass"
        ),
        "bigint"
    );
    run(
        "contract",
        migrator.run_up(&mut db.client(), &UpTarget::All, &mut |_| {}),
    );
    assert_eq!(db.columns("orders"), ["placed", "total", "id", "parent_id"]);
    assert_eq!(db.columns("order_lines"), ["id", "qty", "order_id"]);
    assert_eq!(db.columns("refunds"), ["id", "order_id", "amount"]);
    // Beyond the old type's limit now.
    db.exec("SELECT setval(pg_get_serial_sequence('orders', 'id'), 3000000000)");
    let id = one(
        &db,
        "INSERT INTO orders (total) VALUES (1) RETURNING id::text",
    );
    assert_eq!(id, "3000000001");
    db.exec(&format!(
        "INSERT INTO order_lines (order_id, qty) VALUES ({id}, 1)"
    ));
    let error = migrator
        .run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {})
        .expect_err("the contract has no down");
    assert!(error.to_string().contains("contract"), "{error}");
}

/// Runs one step of `migrator` (`up` of the next migration, or `down` of the last), its connection
/// terminated by another session at the `kill_at`-th event of the run (after a statement, a batch, a
/// retry...): whether the run was cut short.
fn run_killed(db: &TestDb, migrator: &Migrator<'_>, up: bool, kill_at: usize) -> bool {
    let mut client = db.client();
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .expect("pid")
        .get(0);
    let mut seen = 0;
    let mut events = |_: migrate_core::Event<'_>| {
        seen += 1;
        if seen == kill_at {
            db.exec(&format!("SELECT pg_terminate_backend({pid})"));
        }
    };
    let result = if up {
        migrator.run_up(&mut client, &UpTarget::Count(1), &mut events)
    } else {
        migrator.run_down(&mut client, &DownTarget::Count(1), &mut events)
    };
    result.is_err()
}

/// The migration of `phase` of `MIGRATIONS`.
fn phase_name(phase: &str) -> &'static str {
    match phase {
        "expand" => MIGRATIONS[0].name(),
        "switch" => MIGRATIONS[1].name(),
        _ => MIGRATIONS[2].name(),
    }
}

/// Whether `name` is recorded as applied, or a run of it (either way) stopped part-way.
fn unfinished(db: &TestDb, name: &str) -> bool {
    one(
        db,
        &format!(
            "SELECT (EXISTS (SELECT FROM pgmigrations WHERE name = '{name}')
                OR EXISTS (SELECT FROM pgmigrations_journal WHERE name = '{name}'))::text"
        ),
    ) == "true"
}

fn assert_same(what: &str, expected: &[String], found: &[String]) {
    let diff: Vec<String> = expected
        .iter()
        .filter(|l| !found.contains(l))
        .map(|l| format!("- {l}"))
        .chain(
            found
                .iter()
                .filter(|l| !expected.contains(l))
                .map(|l| format!("+ {l}")),
        )
        .collect();
    assert!(diff.is_empty(), "{what}:\n{}", diff.join("\n"));
}

/// Each phase with its connection lost at one event after another: the next `up` finishes it to exactly the
/// catalog an uninterrupted run leaves, or `down` (of the expand and of the switch) gives back exactly the
/// catalog before it; the rows keep their values throughout.
#[test]
fn killed_anywhere_up_finishes_it_and_down_undoes_it() {
    let db = TestDb::new();
    db.exec(&shop(1500));
    let migrator = Migrator::new(&MIGRATIONS);
    let rows_before = rows(&db);
    // The bookkeeping tables exist from the first run on.
    run(
        "prime",
        migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {}),
    );
    run(
        "prime",
        migrator.run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {}),
    );
    for phase in ["expand", "switch", "contract"] {
        let before = catalog(&db);
        let mut events = 0;
        run(
            phase,
            migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| events += 1),
        );
        let after = catalog(&db);
        if phase == "contract" {
            // No down: one run killed half-way, finished by the next, is checked below from a fresh start.
            break;
        }
        run(
            phase,
            migrator.run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {}),
        );
        assert_same(&format!("{phase}'s down"), &before, &catalog(&db));
        // Every event: each statement, batch and transaction of the phase.
        for kill_at in 1..events {
            assert!(
                run_killed(&db, &migrator, true, kill_at),
                "{phase} killed at event {kill_at} of {events}"
            );
            if kill_at % 2 == 0 {
                run(
                    &format!("down after {phase} killed at {kill_at}"),
                    migrator.run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {}),
                );
                assert_same(
                    &format!("down after {phase} killed at {kill_at}"),
                    &before,
                    &catalog(&db),
                );
            } else {
                run(
                    &format!("up after {phase} killed at {kill_at}"),
                    migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {}),
                );
                assert_same(
                    &format!("up after {phase} killed at {kill_at}"),
                    &after,
                    &catalog(&db),
                );
                // Its down, killed too, then finished.
                // A kill after the `down` committed its bookkeeping still fails the run: only a `down` still
                // recorded as applied or in progress is run again.
                if run_killed(&db, &migrator, false, kill_at) && unfinished(&db, phase_name(phase))
                {
                    run(
                        &format!("down after {phase}'s down killed at {kill_at}"),
                        migrator.run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {}),
                    );
                }
                assert_same(
                    &format!("{phase}'s down killed at {kill_at}, finished"),
                    &before,
                    &catalog(&db),
                );
            }
            assert_eq!(rows(&db), rows_before, "{phase} killed at {kill_at}: rows");
        }
        run(
            phase,
            migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {}),
        );
        assert_same(phase, &after, &catalog(&db));
    }
    // The contract, killed half-way, finished by the next `up`.
    let mut events = 0;
    let db2 = TestDb::new();
    db2.exec(&shop(1500));
    run(
        "to the switch",
        migrator.run_up(&mut db2.client(), &UpTarget::Count(2), &mut |_| {}),
    );
    let before = catalog(&db2);
    run(
        "contract",
        migrator.run_up(&mut db2.client(), &UpTarget::Count(1), &mut |_| events += 1),
    );
    let after = catalog(&db2);
    for kill_at in 1..events {
        let db3 = TestDb::new();
        db3.exec(&shop(50));
        run(
            "to the switch",
            migrator.run_up(&mut db3.client(), &UpTarget::Count(2), &mut |_| {}),
        );
        if run_killed(&db3, &migrator, true, kill_at) {
            run(
                "contract again",
                migrator.run_up(&mut db3.client(), &UpTarget::Count(1), &mut |_| {}),
            );
        }
        assert_eq!(
            db3.columns("orders"),
            ["placed", "total", "id", "parent_id"],
            "killed at {kill_at}"
        );
        assert_eq!(
            db3.columns("order_lines"),
            ["id", "qty", "order_id"],
            "killed at {kill_at}"
        );
    }
    assert_ne!(before, after);
}

/// Writers keep writing through every phase, up and down, and through each `down`: no write fails, every
/// line's order exists, and after the switch the old columns still hold every new value.
#[test]
fn writers_never_fail_through_every_phase() {
    let db = TestDb::new();
    db.exec(&shop(3000));
    let migrator = Migrator::new(&MIGRATIONS);
    let writers = tests::shop::Writers::start(&db, 1000);
    let pause = || std::thread::sleep(Duration::from_millis(200));
    for (what, up) in [
        ("expand", true),
        ("expand's down", false),
        ("expand", true),
        ("switch", true),
        ("switch's down", false),
        ("switch", true),
    ] {
        pause();
        let result = if up {
            migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {})
        } else {
            migrator.run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {})
        };
        run(what, result);
        if what == "switch" {
            assert_eq!(
                one(
                    &db,
                    "SELECT count(*) FROM orders WHERE id_old IS DISTINCT FROM id"
                ),
                "0",
                "the old key is kept current"
            );
            assert_eq!(
                one(
                    &db,
                    "SELECT count(*) FROM order_lines WHERE order_id_old IS DISTINCT FROM order_id"
                ),
                "0"
            );
        }
    }
    pause();
    run(
        "contract",
        migrator.run_up(&mut db.client(), &UpTarget::All, &mut |_| {}),
    );
    pause();
    let report = writers
        .stop()
        .unwrap_or_else(|e| panic!("a write failed: {e}"));
    assert!(report.writes > 40, "{report:?}");
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FROM order_lines l WHERE NOT EXISTS (SELECT FROM orders o WHERE o.id = l.order_id)"
        ),
        "0"
    );
    assert_eq!(
        one(
            &db,
            "SELECT string_agg(convalidated::text, ',') FROM pg_constraint WHERE contype = 'f'"
        ),
        "true,true,true"
    );
}

fn expand_items(pgm: &mut MigrationBuilder) {
    pgm.widen_key_online("items", "id", "bigint");
}

fn switch_items(pgm: &mut MigrationBuilder) {
    pgm.contract("items.id becomes bigint: every app version running reads it as bigint");
    pgm.widen_key_online("items", "id", "bigint").switch();
}

static ITEMS: [Migration; 2] = [
    Migration::defined(&Definition {
        name: "20261201000001_widen_items_id",
        path: "tests/widen_key.rs",
        source: "expand",
        up: expand_items,
        down: None,
    }),
    Migration::defined(&Definition {
        name: "20261201000002_switch_items_id",
        path: "tests/widen_key.rs",
        source: "switch",
        up: switch_items,
        down: None,
    }),
];

/// An identity key (`GENERATED ALWAYS`, a `smallint` one too) goes on from its next value after the switch,
/// as an identity of the new column; the switch's `down` gives it back to the old column.
#[test]
fn an_identity_key_moves_with_its_next_value() {
    for key_type in ["integer", "smallint"] {
        let db = TestDb::new();
        db.exec(&format!(
            "CREATE TABLE items (id {key_type} GENERATED ALWAYS AS IDENTITY (INCREMENT BY 2) PRIMARY KEY, name text);
             INSERT INTO items (name) SELECT 'item ' || i FROM generate_series(1, 100) i;"
        ));
        let migrator = Migrator::new(&ITEMS);
        run(
            "expand",
            migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {}),
        );
        let before = catalog(&db);
        run(
            "switch",
            migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {}),
        );
        assert_eq!(type_of(&db, "items", "id"), "bigint");
        assert_eq!(
            one(
                &db,
                "INSERT INTO items (name) VALUES ('next') RETURNING id::text"
            ),
            "201",
            "{key_type}"
        );
        assert_eq!(
            one(&db, "SELECT attidentity::text FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'id'"),
            "a"
        );
        db.exec("DELETE FROM items WHERE name = 'next'");
        run(
            "switch's down",
            migrator.run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {}),
        );
        assert_eq!(type_of(&db, "items", "id"), key_type);
        let after: Vec<String> = catalog(&db)
            .into_iter()
            .filter(|l| !l.contains("START WITH"))
            .collect();
        let before: Vec<String> = before
            .into_iter()
            .filter(|l| !l.contains("START WITH"))
            .collect();
        assert_same(&format!("{key_type}: the switch's down"), &before, &after);
        assert_eq!(
            one(
                &db,
                "INSERT INTO items (name) VALUES ('after') RETURNING id::text"
            ),
            "203",
            "{key_type}: the identity goes on after the one the switch handed out"
        );
    }
}

/// Once the key holds a value beyond the old type, the switch's `down` refuses with the reason, leaving
/// the key's table switched (the referencing tables' steps before it are undone, and the next `up` redoes
/// them).
#[test]
fn the_switch_cannot_be_undone_once_a_key_is_beyond_the_old_type() {
    let db = TestDb::new();
    db.exec(&shop(100));
    let migrator = Migrator::new(&MIGRATIONS);
    run(
        "switch",
        migrator.run_up(&mut db.client(), &UpTarget::Count(2), &mut |_| {}),
    );
    db.exec("SELECT setval(pg_get_serial_sequence('orders', 'id'), 2147483647); INSERT INTO orders (total) VALUES (1)");
    let error = migrator
        .run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {})
        .expect_err("refused");
    assert!(
        error.to_string().contains("orders.id holds values beyond integer, written since the switch: the switch cannot be undone"),
        "{error}"
    );
    assert_eq!(type_of(&db, "orders", "id"), "bigint");
    // Nor once the sequence went beyond it, though the row is gone.
    db.exec("DELETE FROM orders WHERE id > 2147483647");
    let error = migrator
        .run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {})
        .expect_err("refused");
    assert!(
        error.to_string().contains("the sequence of orders.id has handed out values beyond integer: the key cannot go back to it"),
        "{error}"
    );
    db.exec("SELECT setval(pg_get_serial_sequence('orders', 'id'), 100)");
    run(
        "down after the row went",
        migrator.run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {}),
    );
    assert_eq!(type_of(&db, "orders", "id"), "integer");
}

/// What the operation cannot do is refused before anything changes, with the reason.
#[test]
fn what_cannot_be_widened_is_refused_before_anything_changes() {
    for (setup, reason) in [
        ("CREATE TABLE orders (id int, region int, PRIMARY KEY (id, region))",
         "orders.id is part of the composite primary key (id, region)"),
        ("CREATE TABLE orders (id bigint PRIMARY KEY)", "orders.id is bigint already"),
        ("CREATE TABLE orders (id int PRIMARY KEY) PARTITION BY RANGE (id)", "orders is partitioned"),
        ("CREATE TABLE orders (id int PRIMARY KEY); CREATE PUBLICATION shop FOR TABLE orders",
         "orders is in publication shop"),
        ("CREATE TABLE orders (id int PRIMARY KEY); CREATE VIEW recent AS SELECT id FROM orders",
         "view recent use orders.id"),
        ("CREATE TABLE orders (id int PRIMARY KEY);
          CREATE TABLE lines (id int, order_id int REFERENCES orders) PARTITION BY RANGE (id)",
         "foreign key lines_order_id_fkey of public.lines references orders.id from a partitioned table"),
        ("CREATE TABLE orders (id int PRIMARY KEY, region int); CREATE UNIQUE INDEX orders_id_region ON orders (id, region);
          CREATE TABLE lines (id int PRIMARY KEY, order_id int, region int, FOREIGN KEY (order_id, region) REFERENCES orders (id, region))",
         "foreign key lines_order_id_region_fkey of public.lines has several columns"),
        ("CREATE TABLE orders (id int PRIMARY KEY); CREATE INDEX orders_id_mod ON orders ((id % 10))",
         "index orders_id_mod uses orders.id in an expression"),
        ("CREATE TABLE orders (id int PRIMARY KEY CHECK (id > 0))",
         "constraint orders_id_check on table orders use orders.id"),
        ("CREATE TABLE orders (id int PRIMARY KEY);
          CREATE TABLE profiles (id int PRIMARY KEY, order_id int UNIQUE REFERENCES orders)",
         "constraint profiles_order_id_key on table profiles use public.profiles.order_id"),
        ("CREATE TABLE orders (id int PRIMARY KEY);
          CREATE TABLE order_tags (order_id int REFERENCES orders, tag int, PRIMARY KEY (order_id, tag))",
         "constraint order_tags_pkey on table order_tags use public.order_tags.order_id"),
        ("CREATE TABLE orders (id int PRIMARY KEY);
          CREATE TABLE order_log (order_id int REFERENCES orders, message text)",
         "public.order_log has no primary key"),
        ("CREATE TABLE orders (id int PRIMARY KEY, n int);
          CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
          CREATE TRIGGER touch_id AFTER UPDATE OF id ON orders FOR EACH ROW EXECUTE FUNCTION touch()",
         "trigger touch_id on table orders use orders.id"),
        ("CREATE TABLE orders (id int PRIMARY KEY, n int);
          CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
          CREATE TRIGGER set_n BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION touch()",
         "BEFORE row trigger set_n fires after the operation's orders_id_widen"),
        ("CREATE TABLE orders (id int PRIMARY KEY, n int); GRANT SELECT (id) ON orders TO PUBLIC",
         "orders.id has privileges of its own"),
        ("CREATE TABLE orders (id int PRIMARY KEY, code text);
          CREATE INDEX orders_id_code ON orders (id, code text_pattern_ops)",
         "index orders_id_code holds orders.id and has an operator class"),
        ("CREATE TABLE orders (id int PRIMARY KEY, n int); CREATE INDEX orders_id_n ON orders (id, n) WITH (fillfactor = 50)",
         "index orders_id_n holds orders.id and has storage parameters"),
    ] {
        let db = TestDb::new();
        db.exec(setup);
        let before = db.schema_dump();
        let error = Migrator::new(&MIGRATIONS)
            .run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {})
            .expect_err("refused");
        let message = error.to_string();
        assert!(message.contains(reason) && message.contains("20261201000001_widen_orders_id"), "{setup}:\n{message}");
        assert_eq!(db.schema_dump(), before, "{setup}: nothing changed");
        db.exec("DROP PUBLICATION IF EXISTS shop");
    }
}

/// What `sql` shows: against the database, each phase as it will run there (the referencing tables read
/// from the catalog); by name without one, the key's table and a note. `lint` passes every phase.
#[test]
fn sql_lists_the_referencing_tables_as_it_will_run() {
    let db = TestDb::new();
    let cli = tests::cli::FixtureCli::new("widen_key", &db);
    cli.run(&["up", "--to", "20261201000001"]).expect_code(0);
    let expand = cli.run(&["sql"]).expect_code(0);
    tests::assert_cli_snapshot!("widen_key_sql", expand, &["sql"]);
    let by_name = cli.run(&["sql", "20261201000002"]).expect_code(0);
    tests::assert_cli_snapshot!("widen_key_sql_by_name", by_name, &["sql", "20261201000002"]);
    cli.run(&["up", "--to", "20261201000002"]).expect_code(0);
    let switch_down = cli.run(&["sql", "--down", "20261201000003"]).expect_code(0);
    tests::assert_cli_snapshot!(
        "widen_key_sql_switch_down",
        switch_down,
        &["sql", "--down", "20261201000003"]
    );
    let lint = cli.run(&["lint"]).expect_code(0);
    tests::assert_cli_snapshot!("widen_key_lint", lint, &["lint"]);
    cli.run(&["up"]).expect_code(0);
    assert_eq!(type_of(&db, "order_lines", "order_id"), "bigint");
}

/// `review` against production: the key's use of its range, and an estimate for each phase's statements
/// (the backfills from the rows production has, the index builds from its sizes).
#[test]
fn review_estimates_each_phase_on_production_sizes() {
    let prod = TestDb::new();
    tests::cli::FixtureCli::new("widen_key", &prod)
        .run(&["up", "1"])
        .expect_code(0);
    prod.exec(
        "INSERT INTO orders (placed) SELECT now() FROM generate_series(1, 200000);
         INSERT INTO order_lines (order_id, qty) SELECT 1 + i % 200000, i FROM generate_series(1, 400000) i;
         ANALYZE orders; ANALYZE order_lines; ANALYZE refunds;",
    );
    let target = TestDb::new();
    let cli = tests::cli::FixtureCli::new("widen_key", &target);
    cli.run(&["up", "1"]).expect_code(0);
    let reader = tests::role::Role::new(&prod, "widen_reader");
    prod.exec(&format!(
        "GRANT pg_read_all_stats TO \"{0}\"; GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{0}\";",
        reader.name
    ));
    let review = cli
        .run(&[
            "review",
            "--production-url",
            &reader.url(&prod),
            "--calibration-rows",
            "20000",
        ])
        .expect_code(0);
    let text = &review.stdout;
    for expected in [
        "key orders.id (integer) at 200,100 of 2,147,483,647, 0%, referenced by order_lines.order_id (integer), refunds.order_id (bigint)",
        // Each phase, as it will run on this database: the referencing tables read from its catalog.
        "updates up to 200k rows in batches (orders: 200k rows",
        "updates up to 400k rows in batches (order_lines: 400k rows",
        "CREATE INDEX CONCURRENTLY \"order_lines_order_id_idx_new\"",
        "20261201000003_switch_orders_id",
        "ALTER TABLE \"orders\" ADD CONSTRAINT \"orders_pkey\" PRIMARY KEY USING INDEX \"orders_id_new_key\"",
        "20261201000004_contract_orders_id",
    ] {
        assert!(text.contains(expected), "{expected} missing:\n{text}");
    }
    // Every statement of every phase has an estimate.
    let statements = text.matches("\n  #").count();
    assert!(statements > 30, "{statements} statements:\n{text}");
    assert_eq!(text.matches("estimate: ").count(), statements, "{text}");
}

/// A foreign key from a table the migration's role does not own (another team's schema) is refused before
/// anything changes, naming the table; the key's owner cannot alter it.
#[test]
fn a_reference_from_a_table_the_role_does_not_own_is_refused() {
    let db = TestDb::new();
    let owner = tests::role::Role::new(&db, "shop_owner");
    db.exec(&format!(
        "CREATE TABLE orders (id int PRIMARY KEY);
         ALTER TABLE orders OWNER TO \"{0}\";
         GRANT CREATE ON SCHEMA public TO \"{0}\";
         CREATE SCHEMA billing;
         CREATE TABLE billing.invoices (id int PRIMARY KEY, order_id int REFERENCES public.orders);
         GRANT USAGE ON SCHEMA billing TO \"{0}\";",
        owner.name
    ));
    let before = db.schema_dump();
    let mut client =
        postgres::Client::connect(&owner.url(&db), postgres::NoTls).expect("connect as the owner");
    let error = Migrator::new(&MIGRATIONS)
        .run_up(&mut client, &UpTarget::Count(1), &mut |_| {})
        .expect_err("refused");
    // Its session ends before the role is dropped (with what it owns).
    drop(client);
    assert!(
        error.to_string().contains(
            "foreign key invoices_order_id_fkey of billing.invoices references orders.id, and the role does not own billing.invoices"
        ),
        "{error}"
    );
    assert_eq!(
        db.schema_dump().replace("pgmigrations", ""),
        before.replace("pgmigrations", ""),
        "nothing changed"
    );
    // What references the role's table goes first, so that the role's own objects can be dropped with it.
    db.exec("DROP SCHEMA billing CASCADE");
}

/// `verify`, with and without generated rows: the expand's and the switch's downs give back the schema and
/// every row; the contract is listed as applied forward only.
#[test]
fn verify_proves_the_expand_and_the_switch_are_undone() {
    let db = TestDb::new();
    let cli = tests::cli::FixtureCli::new("widen_key", &db);
    for args in [
        &["verify"][..],
        &["verify", "--with-data", "--rows", "500"][..],
    ] {
        let out = cli.run(args).expect_code(0);
        for line in [
            "ok    20261201000002_widen_orders_id",
            "ok    20261201000003_switch_orders_id",
            "skip  20261201000004_contract_orders_id: its derived `down` cannot run",
            "3 migration(s) checked, 1 skipped",
        ] {
            assert!(
                out.stdout.contains(line),
                "{args:?}: {line} missing:\n{}",
                out.stdout
            );
        }
    }
}

/// Rows a logical replication subscriber applies (`session_replication_role = replica`, which skips ordinary
/// triggers) get their twin too; and a schema's publication (PostgreSQL 15+) is refused like a table's.
#[test]
fn replicated_writes_are_kept_in_step_and_a_schemas_publication_is_refused() {
    let db = TestDb::new();
    db.exec(&shop(100));
    let migrator = Migrator::new(&MIGRATIONS);
    run(
        "expand",
        migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {}),
    );
    let id = one(
        &db,
        "SET session_replication_role = replica;
         INSERT INTO orders (total) VALUES (7) RETURNING id::text",
    );
    run(
        "switch",
        migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {}),
    );
    assert_eq!(
        one(
            &db,
            &format!("SELECT total::text FROM orders WHERE id = {id}")
        ),
        "7"
    );

    let db = TestDb::new();
    if db.server_major() < 15 {
        return;
    }
    db.exec("CREATE TABLE orders (id int PRIMARY KEY); CREATE PUBLICATION shop_schema FOR TABLES IN SCHEMA public");
    let error = migrator
        .run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {})
        .expect_err("refused");
    db.exec("DROP PUBLICATION shop_schema");
    assert!(
        error
            .to_string()
            .contains("orders is in publication shop_schema"),
        "{error}"
    );
}

fn expand_in_background(pgm: &mut MigrationBuilder) {
    pgm.widen_key_online("orders", "id", "bigint")
        .batch_size(200)
        .in_background();
}

fn switch_after_the_jobs(pgm: &mut MigrationBuilder) {
    pgm.contract("orders.id becomes bigint: every app version running reads it as bigint");
    pgm.require_background_jobs("20261201000011_widen_orders_id_in_background");
    pgm.widen_key_online("orders", "id", "bigint").switch();
}

static BACKGROUND: [Migration; 3] = [
    Migration::defined(&Definition {
        name: "20261201000011_widen_orders_id_in_background",
        path: "tests/widen_key.rs",
        source: "expand in background",
        up: expand_in_background,
        down: None,
    }),
    Migration::defined(&Definition {
        name: "20261201000012_switch_orders_id",
        path: "tests/widen_key.rs",
        source: "switch after the jobs",
        up: switch_after_the_jobs,
        down: None,
    }),
    Migration::defined(&Definition {
        name: "20261201000013_contract_orders_id",
        path: "tests/widen_key.rs",
        source: "contract",
        up: contract,
        down: None,
    }),
];

fn has_column(db: &TestDb, table: &str, column: &str) -> bool {
    one(
        db,
        &format!(
            "SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = '{table}'::regclass AND attname = '{column}' AND NOT attisdropped)::text"
        ),
    ) == "true"
}

/// Rows whose twins the backfills have not filled yet, over the two widened tables.
fn unfilled(db: &TestDb) -> i64 {
    one(
        db,
        "SELECT ((SELECT count(*) FROM orders WHERE id_new IS NULL OR (parent_id IS NOT NULL AND parent_id_new IS NULL))
               + (SELECT count(*) FROM order_lines WHERE order_id_new IS NULL))::text",
    )
    .parse()
    .expect("a count")
}

/// `.in_background()`: the expand queues one job per widened table instead of walking them (a tree's two
/// columns in one walk); the switch is held by its gate until the jobs finish; workers whose connection is
/// lost mid-batch leave the jobs for the next worker; then the switch, its `down`, the expand's `down` and
/// every phase again keep the rows' values.
#[test]
fn background_backfills_are_worked_by_workers_and_gate_the_switch() {
    let db = TestDb::new();
    db.exec(&shop(3000));
    let migrator = Migrator::new(&BACKGROUND);
    let rows_before = rows(&db);
    run(
        "expand",
        migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {}),
    );
    assert_eq!(type_of(&db, "orders", "id_new"), "bigint");
    assert_eq!(unfilled(&db), 3000 + 6000, "the expand walked no table");
    let jobs = migrator.jobs(&mut db.client()).expect("jobs");
    let tables: Vec<&str> = jobs.iter().map(|j| j.table.as_str()).collect();
    assert_eq!(tables, [r#""orders""#, r#""public"."order_lines""#]);
    // The new key's unique index and the copies are there already, kept up to date by the walks.
    assert_eq!(
        one(&db, "SELECT count(*)::text FROM pg_index WHERE indrelid IN ('orders'::regclass, 'order_lines'::regclass) AND indisvalid AND indexrelid::regclass::text LIKE '%new%'"),
        "4"
    );
    // The switch waits for the jobs, changing nothing.
    let before = catalog(&db);
    let refused = migrator
        .run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {})
        .expect_err("the gate holds the switch");
    assert!(
        refused
            .to_string()
            .contains("20261201000011_widen_orders_id_in_background"),
        "{refused}"
    );
    assert_same("a refused switch", &before, &catalog(&db));
    // Writes meanwhile are kept in step by the triggers, walked or not.
    db.exec(
        "INSERT INTO orders (total) VALUES (7); UPDATE order_lines SET order_id = 5 WHERE id = 10;",
    );
    // One table's job finished is not enough: the gate names the other's.
    let lines = jobs
        .iter()
        .find(|j| j.table.contains("order_lines"))
        .map(|j| j.id)
        .expect("the job of order_lines");
    migrator
        .work(
            &mut db.client(),
            &migrate_core::WorkOptions::default().job(lines),
            &mut |_| {},
        )
        .expect("the worker finishes the job of order_lines");
    let refused = migrator
        .run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {})
        .expect_err("the gate holds the switch while the job of orders is unfinished");
    assert!(
        refused.to_string().contains(r#""orders"): active"#),
        "{refused}"
    );
    assert_same("a refused switch", &before, &catalog(&db));
    // Workers cut off after a few batches each, then one that finishes.
    for kill_at in [3, 5] {
        let mut client = db.client();
        let pid: i32 = client
            .query_one("SELECT pg_backend_pid()", &[])
            .expect("pid")
            .get(0);
        let mut seen = 0;
        let result = migrator.work(
            &mut client,
            &migrate_core::WorkOptions::default(),
            &mut |_| {
                seen += 1;
                if seen == kill_at {
                    db.exec(&format!("SELECT pg_terminate_backend({pid})"));
                }
            },
        );
        assert!(
            result.is_err(),
            "the worker's connection was lost at event {kill_at}"
        );
    }
    assert!(unfilled(&db) > 0, "the cut-off workers left rows to walk");
    migrator
        .work(
            &mut db.client(),
            &migrate_core::WorkOptions::default(),
            &mut |_| {},
        )
        .expect("the worker finishes the jobs");
    let states: Vec<String> = migrator
        .jobs(&mut db.client())
        .expect("jobs")
        .iter()
        .map(|j| j.state.to_string())
        .collect();
    assert_eq!(states, ["finished", "finished"]);
    assert_eq!(unfilled(&db), 0);
    let rows_before = {
        let now = rows(&db);
        assert_ne!(now, rows_before, "the writes above changed rows");
        now
    };
    run(
        "switch",
        migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {}),
    );
    assert_eq!(type_of(&db, "orders", "id"), "bigint");
    assert_eq!(type_of(&db, "order_lines", "order_id"), "bigint");
    assert_eq!(rows(&db), rows_before, "switch: rows");
    run(
        "switch's down",
        migrator.run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {}),
    );
    run(
        "expand's down",
        migrator.run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {}),
    );
    assert_eq!(type_of(&db, "orders", "id"), "integer");
    assert!(!has_column(&db, "orders", "id_new"));
    assert_eq!(rows(&db), rows_before, "after both downs: rows");
    // Undone while its jobs are still queued: they are cancelled, and nothing of the expand stays.
    run(
        "expand again",
        migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {}),
    );
    run(
        "expand's down, jobs queued",
        migrator.run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {}),
    );
    let states: Vec<String> = migrator
        .jobs(&mut db.client())
        .expect("jobs")
        .iter()
        .skip(2)
        .map(|j| j.state.to_string())
        .collect();
    assert_eq!(states, ["cancelled", "cancelled"]);
    assert!(!has_column(&db, "order_lines", "order_id_new"));
    assert_eq!(
        rows(&db),
        rows_before,
        "after the expand's down with its jobs queued: rows"
    );
    // Every phase again.
    run(
        "expand again",
        migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {}),
    );
    migrator
        .work(
            &mut db.client(),
            &migrate_core::WorkOptions::default(),
            &mut |_| {},
        )
        .expect("the worker finishes the jobs");
    run(
        "switch and contract",
        migrator.run_up(&mut db.client(), &UpTarget::All, &mut |_| {}),
    );
    assert_eq!(type_of(&db, "orders", "id"), "bigint");
    assert!(!has_column(&db, "orders", "id_old"));
    assert_eq!(rows(&db), rows_before, "after the contract: rows");
}

/// A phase stopped part-way goes on with the catalog it started with: a foreign key and an index added while
/// the expand is stopped do not change what it runs; the switch then refuses the foreign key the expand did
/// not widen, changing nothing, and the expand undone and applied again covers it.
#[test]
fn a_stopped_phase_goes_on_as_it_started_whatever_the_catalog_became() {
    let db = TestDb::new();
    db.exec(&shop(1500));
    let migrator = Migrator::new(&MIGRATIONS);
    // Stopped in the middle of its backfills.
    let mut client = db.client();
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .expect("pid")
        .get(0);
    let mut batches = 0;
    let result = migrator.run_up(&mut client, &UpTarget::Count(1), &mut |event| {
        if matches!(event, migrate_core::Event::Backfill { .. }) {
            batches += 1;
            if batches == 4 {
                db.exec(&format!("SELECT pg_terminate_backend({pid})"));
            }
        }
    });
    assert!(result.is_err(), "the expand was cut short");
    assert!(unfinished(&db, MIGRATIONS[0].name()));
    db.exec(
        "CREATE TABLE notes (id bigserial PRIMARY KEY, order_id integer REFERENCES orders, body text);
         INSERT INTO notes (order_id, body) SELECT id, 'n' FROM orders WHERE id % 50 = 0;
         CREATE INDEX order_lines_qty_order_id_idx ON order_lines (qty, order_id);",
    );
    run(
        "the expand, on",
        migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {}),
    );
    assert!(
        !has_column(&db, "notes", "order_id_new"),
        "started without notes"
    );
    assert_eq!(
        one(
            &db,
            "SELECT count(*)::text FROM pg_indexes WHERE indexname LIKE 'order_lines_qty%'"
        ),
        "1",
        "started without the new index"
    );
    let before = catalog(&db);
    let refused = migrator
        .run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {})
        .expect_err("the switch refuses what the expand did not widen");
    let message = refused.to_string();
    assert!(
        message.contains("notes")
            && message.contains("order_id_new")
            && message.contains("undo the expand"),
        "{message}"
    );
    assert_same("a refused switch", &before, &catalog(&db));
    run(
        "expand's down",
        migrator.run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {}),
    );
    run(
        "expand and switch",
        migrator.run_up(&mut db.client(), &UpTarget::Count(2), &mut |_| {}),
    );
    assert_eq!(type_of(&db, "notes", "order_id"), "bigint");
    assert_eq!(type_of(&db, "order_lines", "order_id"), "bigint");
    assert_eq!(
        one(&db, "SELECT pg_get_indexdef('order_lines_qty_order_id_idx'::regclass)"),
        "CREATE INDEX order_lines_qty_order_id_idx ON public.order_lines USING btree (qty, order_id)"
    );
}
