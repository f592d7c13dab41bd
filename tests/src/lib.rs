//! Shared harness for the integration tests in `tests/tests/*.rs`.
//!
//! # One database per test
//!
//! Every test creates its own [`TestDb`]: a brand-new, empty PostgreSQL
//! database with a unique name, created from `template0` when the `TestDb` is
//! built and dropped (`DROP DATABASE … WITH (FORCE)`) when it goes out of
//! scope. The reasons:
//!
//! * **Parallelism.** `cargo test` runs the tests of one binary on several
//!   threads, and several test binaries may run at the same time. Migrations
//!   create and drop tables, take locks and write the bookkeeping table
//!   (`public.pgmigrations`); tests sharing a database would see each other's
//!   tables, fight over the same names and bookkeeping rows, and fail (or,
//!   worse, pass) depending on scheduling. Separate databases share nothing
//!   but the server.
//! * **Exact assertions.** Because the database starts empty, a test can
//!   assert the *whole* schema ([`TestDb::tables`], [`TestDb::schema_dump`])
//!   rather than "contains". That is what lets a test prove that `down`
//!   really undoes `up`: the dump taken before `up` must equal the dump taken
//!   after `down`, byte for byte.
//! * **No cleanup code in tests.** Dropping the database removes everything a
//!   test made, even when it failed half-way (the drop runs during unwinding),
//!   so one failing test cannot poison the next run. `WITH (FORCE)` ends any
//!   connection the test (or the tool under test) left open.
//!
//! Database names are `mt_<pid>_<counter>_<suffix>`: the process id keeps
//! concurrently running test binaries apart, the counter keeps tests of one
//! binary apart, and the time/random suffix keeps a new run apart from
//! databases a killed earlier run (whose `Drop` never ran) left behind under a
//! reused pid, and from other machines or containers sharing one server.
//!
//! # Configuration
//!
//! `DATABASE_URL` names an *admin* database URL on the server (a database the
//! user can connect to, with the right to `CREATE DATABASE`); it defaults to
//! [`DEFAULT_DATABASE_URL`]. The test databases live on the same server, with
//! the same user, password and query parameters. Connections use `NoTls` and a
//! 10 s connect timeout. The server must be PostgreSQL 13 or newer.
//!
//! ```no_run
//! let db = tests::TestDb::new();
//! db.exec("CREATE TABLE users (id bigint PRIMARY KEY)");
//! assert_eq!(db.tables(), ["public.users"]);
//! assert_eq!(db.columns("users"), ["id"]);
//! ```

use std::collections::hash_map::RandomState;
use std::collections::BTreeSet;
use std::fmt::{self, Write as _};
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use postgres::{Client, NoTls, SimpleQueryMessage};

/// Admin database URL used when `DATABASE_URL` is unset or empty.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The migrations bookkeeping table left out of [`TestDb::schema_dump`].
pub const MIGRATIONS_TABLE: &str = "public.pgmigrations";

/// Connect timeout for every connection the harness opens.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// PostgreSQL's identifier length limit (NAMEDATALEN - 1).
const MAX_IDENTIFIER_BYTES: usize = 63;

/// Drops the template database `name` (a `TestDatabase` template, `migrate_tpl_...`): no longer a template
/// first, as PostgreSQL drops none.
///
/// # Errors
///
/// The server's, when either statement fails.
pub fn drop_template(client: &mut postgres::Client, name: &str) -> Result<(), postgres::Error> {
    client.batch_execute(&format!("ALTER DATABASE {name} IS_TEMPLATE false"))?;
    client.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
}

/// The admin database URL: `DATABASE_URL`, or [`DEFAULT_DATABASE_URL`] when it
/// is unset or empty.
pub fn admin_url_from_env() -> String {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => url.trim().to_owned(),
        _ => DEFAULT_DATABASE_URL.to_owned(),
    }
}

/// A fresh, uniquely named database that is dropped when this value is
/// dropped. See the [crate docs](crate) for why every test gets its own.
pub struct TestDb {
    name: String,
    url: String,
    admin_url: String,
}

impl TestDb {
    /// Waits (at most 30 s) until no session of the runner (`application_name = 'migrate'`) is left on this
    /// database: after a kill, the server ends the backend (rolling back its open transaction) only once it
    /// notices.
    pub fn wait_for_runner_sessions_to_end(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut client = self.client();
        loop {
            let left: i64 = client
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'migrate'",
                    &[],
                )
                .expect("pg_stat_activity")
                .get(0);
            if left == 0 {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the runner's session is still there 30 s after it died"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Ends the runner's sessions (`application_name = 'migrate'`) on this database, as the server would once
    /// it notices that their client is gone.
    pub fn terminate_runner_sessions(&self) {
        self.client()
            .batch_execute(
                "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity \
                 WHERE datname = current_database() AND application_name = 'migrate'",
            )
            .expect("terminate the runner's sessions");
    }

    /// The migrations recorded in the default bookkeeping table (`public.pgmigrations`), in the order they
    /// were applied.
    pub fn recorded(&self) -> Vec<String> {
        self.query_strings("SELECT name FROM public.pgmigrations ORDER BY id")
            .into_iter()
            .map(|row| row[0].clone().unwrap_or_default())
            .collect()
    }

    /// Creates a new empty database on the server named by `DATABASE_URL`.
    ///
    /// # Panics
    ///
    /// When the server cannot be reached or the database cannot be created;
    /// the message names the URL (password redacted) and how to point the
    /// tests at another server.
    pub fn new() -> TestDb {
        TestDb::new_on(&admin_url_from_env())
    }

    /// Creates a new empty database on the server of `admin_url` (for instance a
    /// [`pg_versions::Server`] of another major).
    ///
    /// # Panics
    ///
    /// As [`new`](Self::new) does.
    pub fn new_on(admin_url: &str) -> TestDb {
        let admin_url = admin_url.to_owned();
        let name = unique_db_name();
        let url = database_url(&admin_url, &name);
        let mut admin = connect(&admin_url, "admin database");
        let sql = format!("CREATE DATABASE {} TEMPLATE template0", quote_ident(&name));
        if let Err(e) = admin.batch_execute(&sql) {
            panic!(
                "TestDb: `{sql}` failed on {}: {}\n{}",
                redact_url(&admin_url),
                describe_error(&e),
                HINT
            );
        }
        TestDb {
            name,
            url,
            admin_url,
        }
    }

    /// A new database copied from `template` (`CREATE DATABASE .. TEMPLATE`), on the same server and
    /// dropped like any other: a large table is loaded once and copied for each run that changes it. No
    /// session may stay connected to `template` (the server waits a few seconds for closing ones).
    ///
    /// # Panics
    ///
    /// When the copy cannot be created.
    pub fn copy_of(template: &TestDb) -> TestDb {
        let name = unique_db_name();
        let url = database_url(&template.admin_url, &name);
        let sql = format!(
            "CREATE DATABASE {} TEMPLATE {}",
            quote_ident(&name),
            quote_ident(&template.name)
        );
        let mut admin = connect(&template.admin_url, "admin database");
        if let Err(e) = admin.batch_execute(&sql) {
            panic!("TestDb: `{sql}` failed: {}", describe_error(&e));
        }
        TestDb {
            name,
            url,
            admin_url: template.admin_url.clone(),
        }
    }

    /// Name of the database (`mt_<pid>_<counter>_<suffix>`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// URL of the test database: the admin URL with its path replaced by
    /// [`name`](Self::name), query parameters kept. Contains the password, if
    /// the admin URL has one: hand it to the tool under test, don't print it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's `host:port`, as a proxy in front of it needs: the version matrix runs each
    /// major on its own port, so nothing may assume 5432.
    pub fn server_address(&self) -> String {
        let url = url::Url::parse(&self.url).expect("the test database's URL parses");
        format!(
            "{}:{}",
            url.host_str().unwrap_or("127.0.0.1"),
            url.port().unwrap_or(5432)
        )
    }

    /// The admin URL this database was created through (`DATABASE_URL`).
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// A new connection to the test database.
    pub fn client(&self) -> Client {
        connect(&self.url, "test database")
    }

    /// Runs `sql` (one or more statements, no parameters) on a new connection.
    ///
    /// # Panics
    ///
    /// With the SQL and the server's message when any statement fails.
    pub fn exec(&self, sql: &str) {
        if let Err(e) = self.client().batch_execute(sql) {
            panic!(
                "TestDb::exec failed in database {}: {}\n--- SQL ---\n{sql}\n-----------",
                self.name,
                describe_error(&e)
            );
        }
    }

    /// Runs `sql` on a new connection and returns every row as text, `None`
    /// for SQL `NULL`.
    ///
    /// Uses the simple query protocol, so every value arrives in PostgreSQL's
    /// text form (the same as a `::text` cast: `t`/`f` for booleans, and so
    /// on); casting columns to text in the query is harmless and makes the
    /// intent explicit. With several statements, the rows of all of them are
    /// returned in order.
    ///
    /// # Panics
    ///
    /// With the SQL and the server's message when the query fails.
    pub fn query_strings(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        query_text(&mut self.client(), sql)
    }

    /// The server's PostgreSQL major version (`server_version_num` / 10000): the
    /// engine resolves `since_pg` and checks options against it, and tests of
    /// features that older supported majors lack assert the refusal there.
    pub fn server_major(&self) -> u32 {
        let num = query_text(&mut self.client(), "SHOW server_version_num")
            .into_iter()
            .next()
            .and_then(|mut row| row.remove(0))
            .unwrap_or_default();
        num.parse::<u32>()
            .unwrap_or_else(|e| panic!("server_version_num {num:?}: {e}"))
            / 10_000
    }

    /// User tables (ordinary, partitioned and foreign) as `schema.table`,
    /// sorted, leaving out system schemas (`pg_catalog`,
    /// `information_schema`, `pg_toast*`, `pg_temp*`).
    pub fn tables(&self) -> Vec<String> {
        let sql = format!(
            "SELECT n.nspname || '.' || c.relname
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p', 'f') AND {}",
            user_schema_filter("n")
        );
        let mut tables: Vec<String> = query_text(&mut self.client(), &sql)
            .into_iter()
            .map(|mut row| row.remove(0).unwrap_or_default())
            .collect();
        tables.sort();
        tables
    }

    /// Column names of `table` in ordinal order, leaving out dropped and
    /// system columns. `table` is `schema.table`, or a bare name in `public`;
    /// names are taken literally (no quoting, no case folding). Empty when
    /// the table (or view) does not exist.
    pub fn columns(&self, table: &str) -> Vec<String> {
        let (schema, name) = split_qualified(table);
        let sql = format!(
            "SELECT a.attname
             FROM pg_attribute a
             JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = {} AND c.relname = {} AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum",
            quote_literal(schema),
            quote_literal(name)
        );
        query_text(&mut self.client(), &sql)
            .into_iter()
            .map(|mut row| row.remove(0).unwrap_or_default())
            .collect()
    }

    /// [`schema_dump_excluding`](Self::schema_dump_excluding) leaving out the
    /// migrations bookkeeping table [`MIGRATIONS_TABLE`].
    pub fn schema_dump(&self) -> String {
        self.schema_dump_excluding(&[MIGRATIONS_TABLE])
    }

    /// A normalized, deterministic text dump of the user schema, built from
    /// catalog queries (not `pg_dump`), for comparing schemas before and
    /// after migrations.
    ///
    /// Covers, in this order and each sorted by name: user schemas (with
    /// comments); installed extensions; enum types (labels in order), domains
    /// and composite types; relations — tables, partitioned and foreign
    /// tables, views (`pg_get_viewdef`) and materialized views — each with
    /// its columns in ordinal order (`format_type`, non-default collation,
    /// `not null`, default via `pg_get_expr`, identity, generated
    /// expression), partitioning/inheritance, storage flags, constraints
    /// (name + `pg_get_constraintdef`, by name), indexes (`pg_get_indexdef`,
    /// sorted), user triggers (`pg_get_triggerdef`), row-level-security
    /// policies, and table/column/index comments; sequences (type and
    /// parameters, owning column — but not their current value); functions
    /// and procedures (`pg_get_functiondef`, by name and arguments) and
    /// aggregates (signature only).
    ///
    /// Objects that belong to an extension are left out (only the extension
    /// is listed). Not covered: owners, privileges, rules other than views'
    /// own, statistics objects, operators, casts, event triggers,
    /// publications. Dropped columns leave no trace (attribute numbers are
    /// not shown), so `ADD COLUMN` followed by `DROP COLUMN` dumps the same
    /// as never adding it.
    ///
    /// `tables` are left out entirely, together with everything listed under
    /// them and the sequences they own (e.g. a `serial` id's sequence). Each
    /// is `schema.table` or a bare name in `public`.
    pub fn schema_dump_excluding(&self, tables: &[&str]) -> String {
        let excluded: BTreeSet<(String, String)> = tables
            .iter()
            .map(|t| {
                let (s, n) = split_qualified(t);
                (s.to_owned(), n.to_owned())
            })
            .collect();
        schema_dump::dump_schema(&mut self.client(), &excluded)
    }
}

impl Default for TestDb {
    fn default() -> Self {
        TestDb::new()
    }
}

impl fmt::Debug for TestDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDb")
            .field("name", &self.name)
            .field("url", &redact_url(&self.url))
            .field("admin_url", &redact_url(&self.admin_url))
            .finish()
    }
}

impl Drop for TestDb {
    /// Drops the database with `WITH (FORCE)`, ending any connection still
    /// open to it. Never panics (it may run while a failed test unwinds);
    /// problems are reported on stderr and leave the database behind.
    fn drop(&mut self) {
        let sql = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&self.name)
        );
        let result = connect_config(&self.admin_url)
            .map_err(|e| format!("invalid admin URL: {e}"))
            .and_then(|config| config.connect(NoTls).map_err(|e| describe_error(&e)))
            .and_then(|mut admin| admin.batch_execute(&sql).map_err(|e| describe_error(&e)));
        if let Err(e) = result {
            eprintln!(
                "warning: TestDb: could not drop test database {} on {}: {e}",
                self.name,
                redact_url(&self.admin_url)
            );
        }
    }
}

const HINT: &str =
    "hint: the integration tests need a PostgreSQL 13+ server; set DATABASE_URL to an \
admin database URL on it (a user allowed to CREATE DATABASE), \
e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres (the default when unset)";

/// `mt_<pid>_<counter>_<suffix>`, lower case, at most 63 bytes.
fn unique_db_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    // RandomState is seeded randomly per process (and varies per instance);
    // mixing it with the clock gives a suffix that differs across runs.
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(nanos);
    hasher.write_u64(counter);
    hasher.write_u32(std::process::id());
    let suffix = hasher.finish() ^ (nanos as u64);
    let name = format!("mt_{}_{}_{:016x}", std::process::id(), counter, suffix);
    debug_assert!(name.len() <= MAX_IDENTIFIER_BYTES);
    debug_assert_eq!(name, name.to_lowercase());
    name
}

/// `admin_url` with its path replaced by `/<name>`, keeping user, password,
/// host, port and query parameters.
fn database_url(admin_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin_url).unwrap_or_else(|e| {
        panic!(
            "TestDb: DATABASE_URL is not a valid URL ({e}): {}\n{HINT}",
            redact_url(admin_url)
        )
    });
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// `url` with its password (if any) replaced by `***`, for messages.
fn redact_url(url: &str) -> String {
    if let Ok(mut parsed) = url::Url::parse(url) {
        if parsed.password().is_some() && parsed.set_password(Some("***")).is_ok() {
            return parsed.to_string();
        }
        if parsed.password().is_none() {
            return parsed.to_string();
        }
    }
    // Not a URL we can parse: blank out anything between "user:" and "@".
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        if let Some(at) = rest.rfind('@') {
            let userinfo = &rest[..at];
            if let Some(colon) = userinfo.find(':') {
                return format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &rest[at..]
                );
            }
        }
        return url.to_owned();
    }
    "<connection string not shown>".to_owned()
}

fn connect_config(url: &str) -> Result<postgres::Config, postgres::Error> {
    let mut config = postgres::Config::from_str(url)?;
    config.connect_timeout(CONNECT_TIMEOUT);
    Ok(config)
}

fn connect(url: &str, what: &str) -> Client {
    let config = connect_config(url).unwrap_or_else(|e| {
        panic!(
            "TestDb: cannot parse the {what} URL {}: {e}\n{HINT}",
            redact_url(url)
        )
    });
    config.connect(NoTls).unwrap_or_else(|e| {
        panic!(
            "TestDb: cannot connect to the {what} at {}: {}\n{HINT}",
            redact_url(url),
            describe_error(&e)
        )
    })
}

/// The server's message (severity, SQLSTATE, detail, hint, position) for
/// database errors, the error chain otherwise.
fn describe_error(e: &postgres::Error) -> String {
    let Some(db) = e.as_db_error() else {
        let mut out = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(cause) = source {
            let _ = write!(out, ": {cause}");
            source = cause.source();
        }
        return out;
    };
    let mut out = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
    if let Some(detail) = db.detail() {
        let _ = write!(out, "\nDETAIL: {detail}");
    }
    if let Some(hint) = db.hint() {
        let _ = write!(out, "\nHINT: {hint}");
    }
    if let Some(position) = db.position() {
        let _ = write!(out, "\nPOSITION: {position:?}");
    }
    if let Some(r#where) = db.where_() {
        let _ = write!(out, "\nWHERE: {where}");
    }
    out
}

fn query_text(client: &mut Client, sql: &str) -> Vec<Vec<Option<String>>> {
    let messages = client.simple_query(sql).unwrap_or_else(|e| {
        panic!(
            "TestDb: query failed: {}\n--- SQL ---\n{sql}\n-----------",
            describe_error(&e)
        )
    });
    messages
        .into_iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// `schema.table` → (`schema`, `table`); a bare name is in `public`.
fn split_qualified(table: &str) -> (&str, &str) {
    table.split_once('.').unwrap_or(("public", table))
}

/// SQL condition on a `pg_namespace` alias: not a system schema.
fn user_schema_filter(alias: &str) -> String {
    format!(
        "{alias}.nspname NOT IN ('pg_catalog', 'information_schema') \
         AND {alias}.nspname NOT LIKE 'pg\\_toast%' AND {alias}.nspname NOT LIKE 'pg\\_temp\\_%'"
    )
}

/// SQL condition: the object `oid_expr` of catalog `catalog` is not a member
/// of an extension.
fn not_extension_member(catalog: &str, oid_expr: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '{catalog}'::regclass \
         AND dep.objid = {oid_expr} AND dep.deptype = 'e')"
    )
}

pub mod cli;
pub mod cluster;
pub mod consumer;
pub mod cookbook;
pub mod diff_roundtrip;
pub mod fixtures;
pub mod fleet;
pub mod generated;
pub mod guide;
pub mod image;
pub mod interrupt;
pub mod pg_versions;
pub mod pooler;
pub mod proxy;
pub mod recipes;
pub mod resume;
pub mod role;
pub mod roundtrip;
pub mod scaffold;
mod schema_dump;
pub mod schema_pairs;
pub mod shop;
pub mod skip;
pub mod timing;

#[cfg(test)]
mod self_tests;
