//! Operation cases: render a builder's SQL, run it on a real database, run its derived `down`, and prove the
//! catalog is back where it started.
//!
//! ```no_run
//! use migrate_dsl::prelude::*;
//! use tests::roundtrip::Case;
//!
//! let case = Case::new("CREATE TABLE posts (id int)");
//! let transcript = case.round_trip(|pgm| {
//!     pgm.add_columns("posts", [column("title", "text")]);
//! });
//! insta::assert_snapshot!(transcript);
//! ```

use std::fmt::Write as _;

use migrate_core::{
    Definition, Direction, DownTarget, Event, Migration, Migrator, Notices, UpTarget,
};
use migrate_dsl::MigrationBuilder;
use postgres::Client;

use crate::{query_text, TestDb};

/// Catalog queries that [`TestDb::schema_dump`] does not cover, each returning text rows. Every row is a
/// line of the fingerprint, so a round trip that leaves any of these behind fails.
const EXTRA_SECTIONS: &[(&str, &str)] = &[
    (
        "relation privileges",
        // An ACL of NULL means the owner's default privileges; after a GRANT and its REVOKE the same
        // privileges are spelled out. Both are shown as the sorted effective list, so they compare equal.
        "SELECT n.nspname || '.' || c.relname || ' ' || coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text) \
         FROM unnest(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's'::\"char\" ELSE 'r'::\"char\" END, c.relowner))) a), '') \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
         AND n.nspname NOT LIKE 'pg\\_toast%'",
    ),
    (
        "column privileges",
        "SELECT a.attrelid::regclass::text || '.' || a.attname || ' ' || a.attacl::text FROM pg_attribute a \
         JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE a.attacl IS NOT NULL AND cardinality(a.attacl) > 0 AND n.nspname NOT IN ('pg_catalog', 'information_schema')",
    ),
    (
        "schema privileges and owners",
        "SELECT n.nspname || ' owner ' || pg_get_userbyid(n.nspowner) || ' ' || coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text) \
         FROM unnest(coalesce(n.nspacl, acldefault('n'::\"char\", n.nspowner))) a), '') \
         FROM pg_namespace n WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
         AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'",
    ),
    (
        "function privileges",
        "SELECT p.oid::regprocedure::text || ' ' || coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text) \
         FROM unnest(coalesce(p.proacl, acldefault('f'::\"char\", p.proowner))) a), '') FROM pg_proc p WHERE p.oid >= 16384",
    ),
    (
        "operators",
        "SELECT concat_ws(' ', o.oid::regoperator, o.oprcode, 'com', o.oprcom::regoperator, \
         'neg', o.oprnegate::regoperator, o.oprcanhash, o.oprcanmerge) FROM pg_operator o WHERE o.oid >= 16384",
    ),
    (
        "operator families",
        "SELECT f.opfname || ' ' || am.amname || ' ' || n.nspname FROM pg_opfamily f \
         JOIN pg_am am ON am.oid = f.opfmethod JOIN pg_namespace n ON n.oid = f.opfnamespace \
         WHERE f.oid >= 16384",
    ),
    (
        "operator classes",
        "SELECT concat_ws(' ', c.opcname, am.amname, c.opcintype::regtype, 'default', c.opcdefault) \
         FROM pg_opclass c JOIN pg_am am ON am.oid = c.opcmethod WHERE c.oid >= 16384",
    ),
    (
        "operator family members",
        "SELECT concat_ws(' ', f.opfname, 'op', ao.amopstrategy, ao.amopopr::regoperator) FROM pg_amop ao \
         JOIN pg_opfamily f ON f.oid = ao.amopfamily WHERE ao.oid >= 16384 \
         UNION ALL SELECT concat_ws(' ', f.opfname, 'proc', ap.amprocnum, ap.amproc::regprocedure) \
         FROM pg_amproc ap JOIN pg_opfamily f ON f.oid = ap.amprocfamily WHERE ap.oid >= 16384",
    ),
    (
        "casts",
        "SELECT concat_ws(' ', c.castsource::regtype, '->', c.casttarget::regtype, c.castcontext, c.castmethod, \
         c.castfunc::regprocedure) FROM pg_cast c WHERE c.oid >= 16384",
    ),
    (
        "roles of this test (named after its database)",
        "SELECT concat_ws(' ', r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, \
         r.rolcanlogin, r.rolreplication, r.rolbypassrls, 'limit', r.rolconnlimit, \
         'until', coalesce(r.rolvaliduntil::text, '-'), 'member of', coalesce((SELECT string_agg(g.rolname || CASE WHEN m.admin_option THEN '+admin' ELSE '' END, ',' ORDER BY g.rolname) \
            FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid), '')) \
         FROM pg_roles r WHERE starts_with(r.rolname, current_database())",
    ),
    (
        "policies",
        "SELECT concat_ws(' ', p.schemaname || '.' || p.tablename || '.' || p.policyname, p.permissive, p.cmd, \
         p.roles, coalesce(p.qual, '-'), coalesce(p.with_check, '-')) FROM pg_policies p",
    ),
    (
        "row-level security",
        "SELECT concat_ws(' ', c.oid::regclass, 'rls', c.relrowsecurity, 'force', c.relforcerowsecurity, \
         'persistence', c.relpersistence) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
         AND n.nspname NOT LIKE 'pg\\_toast%'",
    ),
    (
        "comments on any object",
        "SELECT concat_ws(' ', pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description) \
         FROM pg_description d WHERE d.objoid >= 16384",
    ),
    // Materialized views: what `schema_dump` does not show (WITH [NO] DATA, REFRESH, CLUSTER ON,
    // DEPENDS ON EXTENSION).
    (
        "materialized views populated",
        "SELECT c.oid::regclass::text || ' populated ' || c.relispopulated FROM pg_class c \
         WHERE c.relkind = 'm' AND c.oid >= 16384",
    ),
    (
        "clustered indexes",
        "SELECT i.indrelid::regclass::text || ' clustered on ' || i.indexrelid::regclass::text \
         FROM pg_index i WHERE i.indisclustered AND i.indrelid >= 16384",
    ),
    (
        "extension dependencies",
        "SELECT pg_describe_object(d.classid, d.objid, d.objsubid) || ' depends on ' || \
         pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid) FROM pg_depend d WHERE d.deptype = 'x'",
    ),
    // Domains: the schema dump shows a domain's type, default, NOT NULL and checks, but not its collation.
    (
        "domain collations",
        "SELECT t.oid::regtype::text || ' collate ' || co.collname FROM pg_type t \
         JOIN pg_type b ON b.oid = t.typbasetype JOIN pg_collation co ON co.oid = t.typcollation \
         WHERE t.typtype = 'd' AND t.typcollation <> b.typcollation AND t.oid >= 16384",
    ),
    // Roles, grants, operators and casts: what the sections above miss. "roles of this test" lists a role's
    // own memberships only, so a role granted to a role outside the test (`CURRENT_USER`) would survive a
    // broken `down`; role comments live in pg_shdescription; operator classes are listed without schema
    // or family.
    (
        "members, comments and passwords of the roles of this test",
        "SELECT concat_ws(' ', r.rolname, 'members', coalesce((SELECT string_agg(m.rolname || CASE WHEN am.admin_option \
         THEN '+admin' ELSE '' END, ',' ORDER BY m.rolname) FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.member \
         WHERE am.roleid = r.oid), ''), 'comment', coalesce(shobj_description(r.oid, 'pg_authid'), '-'), \
         'password', (SELECT a.rolpassword IS NOT NULL FROM pg_authid a WHERE a.oid = r.oid)) \
         FROM pg_roles r WHERE starts_with(r.rolname, current_database())",
    ),
    (
        "operator classes with schema and family, operator estimators",
        "SELECT concat_ws(' ', n.nspname || '.' || c.opcname, am.amname, 'family', fn.nspname || '.' || f.opfname) \
         FROM pg_opclass c JOIN pg_am am ON am.oid = c.opcmethod JOIN pg_namespace n ON n.oid = c.opcnamespace \
         JOIN pg_opfamily f ON f.oid = c.opcfamily JOIN pg_namespace fn ON fn.oid = f.opfnamespace \
         WHERE c.oid >= 16384 \
         UNION ALL SELECT concat_ws(' ', o.oid::regoperator, 'restrict', o.oprrest, 'join', o.oprjoin) \
         FROM pg_operator o WHERE o.oid >= 16384",
    ),
];

/// A normalized text fingerprint of everything an operation can change: [`TestDb::schema_dump`] plus the
/// `EXTRA_SECTIONS`. Objects are named by their catalog description, never by OID.
pub fn catalog(db: &TestDb) -> String {
    let mut out = db.schema_dump();
    let mut client = db.client();
    for (title, sql) in EXTRA_SECTIONS {
        let mut rows: Vec<String> = query_text(&mut client, sql)
            .into_iter()
            .map(|mut row| row.remove(0).unwrap_or_default())
            .collect();
        rows.sort();
        let _ = writeln!(out, "-- {title}");
        for row in rows {
            let _ = writeln!(out, "{row}");
        }
    }
    out
}

/// One operation case on its own fresh database.
#[derive(Debug)]
pub struct Case {
    /// The case's database; exposed for extra assertions.
    pub db: TestDb,
}

impl Case {
    /// A fresh database with `setup` (plain SQL, may be empty) applied.
    pub fn new(setup: &str) -> Case {
        let db = TestDb::new();
        if !setup.trim().is_empty() {
            db.exec(setup);
        }
        Case { db }
    }

    /// Records `up`, runs it, then runs its derived `down`. Panics unless `up` changed the catalog and `down`
    /// restored it exactly. Returns the forward and reverse SQL for a snapshot.
    pub fn round_trip(&self, up: impl FnOnce(&mut MigrationBuilder)) -> String {
        let mut pgm = MigrationBuilder::new();
        up(&mut pgm);
        let before = catalog(&self.db);
        let forward = self.run(&pgm, "up");
        let after_up = catalog(&self.db);
        assert_ne!(
            before, after_up,
            "`up` changed nothing in the catalog:\n{forward}"
        );
        let down = pgm
            .reversed()
            .unwrap_or_else(|e| panic!("no automatic down: {e}"));
        let backward = self.run(&down, "down");
        let after_down = catalog(&self.db);
        if before != after_down {
            panic!(
                "`down` did not restore the catalog.\n--- up ---\n{forward}\n--- down ---\n{backward}\n{}",
                diff(&before, &after_down)
            );
        }
        format!("-- up\n{forward}\n-- down\n{backward}")
    }

    /// Asserts that `up` is refused on this server, before anything runs, because `option` needs PostgreSQL
    /// `major` or newer: for the tests of features an older supported major lacks, which then run the rest
    /// of their case without it (never skipped silently).
    #[track_caller]
    pub fn assert_refused_on_this_server(
        &self,
        up: impl FnOnce(&mut MigrationBuilder),
        option: &str,
        major: u32,
    ) {
        let server = self.db.server_major();
        assert!(server < major, "PostgreSQL {server} has {option}");
        let mut pgm = MigrationBuilder::new();
        up(&mut pgm);
        let before = catalog(&self.db);
        let error = pgm
            .for_server(server)
            .expect_err("refused on an older server")
            .to_string();
        let expected = format!(
            "{option} needs PostgreSQL {major} or newer, but the server is PostgreSQL {server}"
        );
        assert!(error.contains(&expected), "{expected}\nnot in: {error}");
        assert_eq!(before, catalog(&self.db), "nothing changed");
    }

    /// Records `up` and runs it; for operations without an automatic reverse. Returns the SQL and the error
    /// that reversing it gives (which must be an error).
    pub fn forward_only(&self, up: impl FnOnce(&mut MigrationBuilder)) -> String {
        let mut pgm = MigrationBuilder::new();
        up(&mut pgm);
        let forward = self.run(&pgm, "up");
        let error = match pgm.reversed().and_then(|down| down.to_sql()) {
            Ok(sql) => panic!("expected no automatic reverse, got {sql:?}"),
            Err(e) => e.to_string(),
        };
        format!("-- up\n{forward}\n-- down\n{error}\n")
    }

    /// Like [`round_trip`](Self::round_trip), but through the engine (`Migrator`), so what it does around
    /// the statements is part of the trip: the checks before a safeguarded statement, the record of what a
    /// `CREATE OR REPLACE` replaces, and its restoration by the derived `down`. Panics unless `up` changed
    /// the catalog and `down` restored it exactly. Returns the forward and reverse SQL and the server's
    /// notices, for a snapshot.
    pub fn engine_round_trip(&self, up: fn(&mut MigrationBuilder)) -> String {
        let case = self.engine_case(up);
        let before = catalog(&self.db);
        let mut transcript = String::new();
        let forward = self.engine_run(case, Direction::Up, &mut transcript);
        if let Err(e) = forward {
            panic!("`up` failed through the engine: {e}\n{transcript}");
        }
        let after_up = catalog(&self.db);
        assert_ne!(
            before, after_up,
            "`up` changed nothing in the catalog:\n{transcript}"
        );
        if let Err(e) = self.engine_run(case, Direction::Down, &mut transcript) {
            panic!("`down` failed through the engine: {e}\n{transcript}");
        }
        let after_down = catalog(&self.db);
        if before != after_down {
            panic!(
                "`down` did not restore the catalog.\n{transcript}\n{}",
                diff(&before, &after_down)
            );
        }
        transcript
    }

    /// Runs `up` through the engine; returns its transcript, or the engine's error (a refusal, for
    /// instance) as text after the transcript. Nothing is asserted about the catalog.
    pub fn engine_up(&self, up: fn(&mut MigrationBuilder)) -> Result<String, String> {
        let case = self.engine_case(up);
        let mut transcript = String::new();
        match self.engine_run(case, Direction::Up, &mut transcript) {
            Ok(()) => Ok(transcript),
            Err(e) => Err(format!("{transcript}-- error\n{e}\n")),
        }
    }

    /// Runs the derived `down` of `up` (applied by [`engine_up`](Self::engine_up)) through the engine;
    /// returns its transcript, or the engine's error as text after the transcript.
    pub fn engine_down(&self, up: fn(&mut MigrationBuilder)) -> Result<String, String> {
        let case = registry("20000101000001_case", up);
        let mut transcript = String::new();
        match self.engine_run(case, Direction::Down, &mut transcript) {
            Ok(()) => Ok(transcript),
            Err(e) => Err(format!("{transcript}-- error\n{e}\n")),
        }
    }

    /// Creates the engine's bookkeeping tables (the migrations table and what `CREATE OR REPLACE` records go
    /// in) by applying and reverting a migration, so that they are in the catalog before a trip through the
    /// engine as well as after it.
    pub fn engine_prime(&self) {
        fn prime(pgm: &mut MigrationBuilder) {
            pgm.create_view("migrate_case_prime", "SELECT 1 AS one")
                .or_replace();
        }
        let prime = registry("20000101000000_prime", prime);
        let mut ignored = String::new();
        for direction in [Direction::Up, Direction::Down] {
            if let Err(e) = self.engine_run(prime, direction, &mut ignored) {
                panic!("priming the bookkeeping failed: {e}");
            }
        }
    }

    /// A one-migration registry for `up`, after [priming](Self::engine_prime) the bookkeeping tables.
    fn engine_case(&self, up: fn(&mut MigrationBuilder)) -> &'static [Migration] {
        self.engine_prime();
        registry("20000101000001_case", up)
    }

    /// One `up` or `down` of the only migration of `migrations`, with its SQL and notices in `transcript`.
    fn engine_run(
        &self,
        migrations: &'static [Migration],
        direction: Direction,
        transcript: &mut String,
    ) -> Result<(), migrate_core::Error> {
        let m = &migrations[0];
        let sql = m
            .build(direction)
            .and_then(|pgm| {
                pgm.to_sql().map_err(|error| migrate_core::Error::Invalid {
                    name: m.name().to_owned(),
                    path: m.path().to_owned(),
                    direction,
                    error,
                })
            })
            .map(|sql| format!("{};", sql.join(";\n")))
            .unwrap_or_else(|e| format!("-- does not render: {e}"));
        let _ = writeln!(transcript, "-- {direction}\n{sql}");
        let notices = Notices::new();
        let mut config: postgres::Config = self.db.url().parse().expect("test database URL");
        notices.install(&mut config);
        let mut client = config.connect(postgres::NoTls).expect("connect");
        let migrator = Migrator::new(migrations).notices(notices);
        let mut lines = Vec::new();
        let mut events = |event: Event<'_>| {
            if let Event::Notice {
                position,
                op,
                notice,
                ..
            } = event
            {
                lines.push(format!("-- notice from #{position} ({op}): {notice}"));
            }
        };
        let result = match direction {
            Direction::Up => migrator.run_up(&mut client, &UpTarget::All, &mut events),
            Direction::Down => migrator.run_down(&mut client, &DownTarget::Count(1), &mut events),
        };
        for line in lines {
            let _ = writeln!(transcript, "{line}");
        }
        result.map(|_| ())
    }

    /// Runs a builder's statements the way the engine does: in one transaction, or one by one outside it.
    /// Returns the SQL text, one statement per line.
    /// As the engine does, it first resolves `since_pg` for the server and checks every option against it.
    pub fn run(&self, pgm: &MigrationBuilder, what: &str) -> String {
        let pgm = &pgm
            .for_server(self.db.server_major())
            .unwrap_or_else(|e| panic!("`{what}` cannot run on this server: {e}"));
        let statements = pgm
            .to_sql()
            .unwrap_or_else(|e| panic!("`{what}` does not render: {e}"));
        let mut client = self.db.client();
        run_statements(&mut client, &statements, pgm.is_transactional())
            .unwrap_or_else(|e| panic!("`{what}` failed: {e}\n{}", statements.join(";\n")));
        let mut text = String::new();
        if !pgm.is_transactional() {
            text.push_str("-- outside a transaction\n");
        }
        for s in &statements {
            let _ = writeln!(text, "{s};");
        }
        text
    }
}

fn run_statements(
    client: &mut Client,
    statements: &[String],
    transactional: bool,
) -> Result<(), String> {
    let describe = |e: postgres::Error| match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => e.to_string(),
    };
    if transactional {
        let mut tx = client.transaction().map_err(describe)?;
        for s in statements {
            tx.batch_execute(s).map_err(describe)?;
        }
        tx.commit().map_err(describe)
    } else {
        statements
            .iter()
            .try_for_each(|s| client.batch_execute(s).map_err(describe))
    }
}

/// A registry of one migration named `name` whose `up` is `up` (and whose `down` is derived), leaked: a
/// test's registry lives as long as the test.
fn registry(name: &'static str, up: fn(&mut MigrationBuilder)) -> &'static [Migration] {
    Box::leak(Box::new([Migration::defined(Box::leak(Box::new(
        Definition {
            name,
            path: "(test case)",
            source: name,
            up,
            down: None,
        },
    )))]))
}

/// The lines only in `a` (`-`) and only in `b` (`+`).
fn diff(a: &str, b: &str) -> String {
    let mut out = String::new();
    for line in a.lines().filter(|l| !b.lines().any(|m| m == *l)) {
        let _ = writeln!(out, "- {line}");
    }
    for line in b.lines().filter(|l| !a.lines().any(|m| m == *l)) {
        let _ = writeln!(out, "+ {line}");
    }
    out
}
