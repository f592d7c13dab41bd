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
use std::collections::{BTreeMap, BTreeSet};
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
        dump_schema(&mut self.client(), &excluded)
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

// ---------------------------------------------------------------------------
// schema dump

type Row = Vec<Option<String>>;
type Key = (String, String);

/// A view's query with the columns of the relations it reads written without their relation's name
/// (`people.id` as `id`): PostgreSQL 16 and newer print them so where that is unambiguous, older majors
/// always qualify them, and the dump must read the same on every supported major.
fn unqualify_columns(definition: &str, relations: &[&str]) -> String {
    let mut out = definition.to_owned();
    for relation in relations {
        for prefix in [
            format!("{relation}."),
            format!("{}.", quote_ident(relation)),
        ] {
            let mut result = String::with_capacity(out.len());
            let mut rest = out.as_str();
            while let Some(at) = rest.find(&prefix) {
                let before = rest[..at].chars().last().or_else(|| result.chars().last());
                let part_of_name =
                    before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '"');
                result.push_str(&rest[..at]);
                if part_of_name {
                    result.push_str(&prefix);
                }
                rest = &rest[at + prefix.len()..];
            }
            result.push_str(rest);
            out = result;
        }
    }
    out
}

fn col(row: &Row, i: usize) -> &str {
    row[i].as_deref().unwrap_or("")
}

fn opt(row: &Row, i: usize) -> Option<&str> {
    row[i].as_deref()
}

fn flag(row: &Row, i: usize) -> bool {
    col(row, i) == "t"
}

fn key(row: &Row) -> Key {
    (col(row, 0).to_owned(), col(row, 1).to_owned())
}

/// Multi-line text (a function body, a view) indented under its header.
fn block(text: &str, indent: &str) -> String {
    let mut out = String::new();
    for line in text.trim_end().lines() {
        out.push_str(indent);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[derive(Default)]
struct Relation {
    kind: String,
    header: Vec<String>,
    columns: Vec<String>,
    constraints: Vec<(String, String)>,
    indexes: Vec<String>,
    triggers: Vec<String>,
    policies: Vec<String>,
    comments: Vec<String>,
    definition: Option<String>,
}

fn dump_schema(client: &mut Client, excluded: &BTreeSet<Key>) -> String {
    let user = |alias: &str| user_schema_filter(alias);
    let mut out = String::new();

    // Schemas.
    let mut schemas = query_text(
        client,
        &format!(
            "SELECT n.nspname, obj_description(n.oid, 'pg_namespace') FROM pg_namespace n WHERE {}",
            user("n")
        ),
    );
    schemas.sort();
    for row in &schemas {
        let _ = write!(out, "schema {}", col(row, 0));
        if let Some(comment) = opt(row, 1) {
            let _ = write!(out, " comment {comment:?}");
        }
        out.push('\n');
    }

    // Extensions.
    let mut extensions = query_text(
        client,
        "SELECT e.extname, e.extversion, n.nspname FROM pg_extension e \
         JOIN pg_namespace n ON n.oid = e.extnamespace",
    );
    extensions.sort();
    for row in &extensions {
        let _ = writeln!(
            out,
            "extension {} version {} schema {}",
            col(row, 0),
            col(row, 1),
            col(row, 2)
        );
    }

    // Enum types.
    let mut enums = query_text(
        client,
        &format!(
            "SELECT n.nspname, t.typname, \
             (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) \
              FROM pg_enum e WHERE e.enumtypid = t.oid), \
             obj_description(t.oid, 'pg_type') \
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
             WHERE t.typtype = 'e' AND {} AND {}",
            user("n"),
            not_extension_member("pg_type", "t.oid")
        ),
    );
    enums.sort();
    for row in &enums {
        let _ = writeln!(
            out,
            "enum {}.{} ({})",
            col(row, 0),
            col(row, 1),
            col(row, 2)
        );
        if let Some(comment) = opt(row, 3) {
            let _ = writeln!(out, "  comment {comment:?}");
        }
    }

    // Domains.
    let mut domains = query_text(
        client,
        &format!(
            "SELECT n.nspname, t.typname, format_type(t.typbasetype, t.typtypmod), t.typnotnull, \
             t.typdefault, \
             (SELECT string_agg(c.conname || ' ' || pg_get_constraintdef(c.oid), chr(10) ORDER BY c.conname) \
              FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype <> 'n'), \
             obj_description(t.oid, 'pg_type') \
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
             WHERE t.typtype = 'd' AND {} AND {}",
            user("n"),
            not_extension_member("pg_type", "t.oid")
        ),
    );
    domains.sort();
    for row in &domains {
        let _ = write!(
            out,
            "domain {}.{} {}",
            col(row, 0),
            col(row, 1),
            col(row, 2)
        );
        if flag(row, 3) {
            out.push_str(" not null");
        }
        if let Some(default) = opt(row, 4) {
            let _ = write!(out, " default {default}");
        }
        out.push('\n');
        if let Some(constraints) = opt(row, 5) {
            for constraint in constraints.lines() {
                let _ = writeln!(out, "  constraint {constraint}");
            }
        }
        if let Some(comment) = opt(row, 6) {
            let _ = writeln!(out, "  comment {comment:?}");
        }
    }

    // Relations (and standalone composite types, which share the column code).
    let relations_sql = format!(
        "SELECT n.nspname, c.relname, c.relkind, c.relpersistence, c.relrowsecurity, \
         c.relforcerowsecurity, array_to_string(c.reloptions, ', '), \
         CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, \
         CASE WHEN c.relispartition THEN \
           (SELECT pn.nspname || '.' || pc.relname FROM pg_inherits i \
            JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
            WHERE i.inhrelid = c.oid) || ' ' || pg_get_expr(c.relpartbound, c.oid) END, \
         CASE WHEN NOT c.relispartition THEN \
           (SELECT string_agg(pn.nspname || '.' || pc.relname, ', ' ORDER BY i.inhseqno) \
            FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent \
            JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid) END, \
         CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END, \
         obj_description(c.oid, 'pg_class'), \
         (SELECT string_agg(DISTINCT dc.relname, chr(10)) FROM pg_rewrite r \
            JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid \
            JOIN pg_class dc ON dc.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass \
          WHERE r.ev_class = c.oid AND d.refobjid <> c.oid) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'c') AND {} AND {} \
         AND (c.relkind <> 'c' OR EXISTS (SELECT 1 FROM pg_type t WHERE t.typrelid = c.oid AND t.typtype = 'c'))",
        user("n"),
        not_extension_member("pg_class", "c.oid")
    );
    let mut relations: BTreeMap<Key, Relation> = BTreeMap::new();
    for row in query_text(client, &relations_sql) {
        let k = key(&row);
        if excluded.contains(&k) {
            continue;
        }
        let kind = match col(&row, 2) {
            "r" => "table",
            "p" => "partitioned table",
            "f" => "foreign table",
            "v" => "view",
            "m" => "materialized view",
            "c" => "type",
            other => other,
        };
        let mut rel = Relation {
            kind: kind.to_owned(),
            ..Relation::default()
        };
        if col(&row, 3) == "u" {
            rel.header.push("unlogged".to_owned());
        }
        if flag(&row, 4) {
            rel.header.push("row level security enabled".to_owned());
        }
        if flag(&row, 5) {
            rel.header.push("row level security forced".to_owned());
        }
        if let Some(options) = opt(&row, 6).filter(|o| !o.is_empty()) {
            rel.header.push(format!("with ({options})"));
        }
        if let Some(key) = opt(&row, 7) {
            rel.header.push(format!("partition by {key}"));
        }
        if let Some(parent) = opt(&row, 8) {
            rel.header.push(format!("partition of {parent}"));
        }
        if let Some(parents) = opt(&row, 9) {
            rel.header.push(format!("inherits {parents}"));
        }
        rel.definition = opt(&row, 10).map(|definition| {
            let read: Vec<&str> = opt(&row, 12).map_or_else(Vec::new, |r| r.lines().collect());
            unqualify_columns(definition, &read)
        });
        if let Some(comment) = opt(&row, 11) {
            rel.comments.push(format!("comment {comment:?}"));
        }
        relations.insert(k, rel);
    }

    // Columns, in ordinal order (the query's ORDER BY; rows are appended).
    let columns_sql = format!(
        "SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), \
         a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated, \
         CASE WHEN a.attcollation <> t.typcollation THEN co.collname END, \
         col_description(c.oid, a.attnum) \
         FROM pg_attribute a \
         JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
         LEFT JOIN pg_collation co ON co.oid = a.attcollation \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'c') \
         AND {} ORDER BY n.nspname, c.relname, a.attnum",
        user("n")
    );
    for row in query_text(client, &columns_sql) {
        let Some(rel) = relations.get_mut(&key(&row)) else {
            continue;
        };
        let name = col(&row, 2);
        let mut line = format!("column {name} {}", col(&row, 3));
        if let Some(collation) = opt(&row, 8) {
            let _ = write!(line, " collate {collation}");
        }
        if flag(&row, 4) {
            line.push_str(" not null");
        }
        let generated = col(&row, 7);
        match (opt(&row, 5), generated) {
            (Some(expr), "s") => {
                let _ = write!(line, " generated always as ({expr}) stored");
            }
            (Some(expr), _) => {
                let _ = write!(line, " default {expr}");
            }
            (None, _) => {}
        }
        match col(&row, 6) {
            "a" => line.push_str(" generated always as identity"),
            "d" => line.push_str(" generated by default as identity"),
            _ => {}
        }
        rel.columns.push(line);
        if let Some(comment) = opt(&row, 9) {
            rel.comments
                .push(format!("comment on column {name} {comment:?}"));
        }
    }

    // Constraints (NOT NULL constraints, catalogued from PostgreSQL 18 on,
    // are already shown on their columns).
    let constraints_sql = format!(
        "SELECT n.nspname, c.relname, con.conname, pg_get_constraintdef(con.oid), \
         obj_description(con.oid, 'pg_constraint') \
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE con.contype <> 'n' AND {}",
        user("n")
    );
    for row in query_text(client, &constraints_sql) {
        let Some(rel) = relations.get_mut(&key(&row)) else {
            continue;
        };
        rel.constraints
            .push((col(&row, 2).to_owned(), col(&row, 3).to_owned()));
        if let Some(comment) = opt(&row, 4) {
            rel.comments.push(format!(
                "comment on constraint {} {comment:?}",
                col(&row, 2)
            ));
        }
    }

    // Indexes.
    let indexes_sql = format!(
        "SELECT n.nspname, c.relname, pg_get_indexdef(i.indexrelid), \
         obj_description(i.indexrelid, 'pg_class') \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {}",
        user("n")
    );
    for row in query_text(client, &indexes_sql) {
        let Some(rel) = relations.get_mut(&key(&row)) else {
            continue;
        };
        let mut line = format!("index {}", col(&row, 2));
        if let Some(comment) = opt(&row, 3) {
            let _ = write!(line, " comment {comment:?}");
        }
        rel.indexes.push(line);
    }

    // User triggers (foreign-key enforcement triggers are internal).
    let triggers_sql = format!(
        "SELECT n.nspname, c.relname, pg_get_triggerdef(tg.oid), \
         obj_description(tg.oid, 'pg_trigger'), tg.tgenabled \
         FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT tg.tgisinternal AND {}",
        user("n")
    );
    for row in query_text(client, &triggers_sql) {
        let Some(rel) = relations.get_mut(&key(&row)) else {
            continue;
        };
        let mut line = format!("trigger {}", col(&row, 2));
        match col(&row, 4) {
            "O" => {}
            "D" => line.push_str(" (disabled)"),
            "R" => line.push_str(" (enabled replica)"),
            "A" => line.push_str(" (enabled always)"),
            other => {
                let _ = write!(line, " (tgenabled {other})");
            }
        }
        if let Some(comment) = opt(&row, 3) {
            let _ = write!(line, " comment {comment:?}");
        }
        rel.triggers.push(line);
    }

    // Row-level-security policies.
    let policies_sql = format!(
        "SELECT n.nspname, c.relname, p.polname, p.polcmd, p.polpermissive, \
         CASE WHEN p.polroles = '{{0}}' THEN 'public' ELSE \
           (SELECT string_agg(r.rolname, ', ' ORDER BY r.rolname) FROM pg_roles r \
            WHERE r.oid = ANY (p.polroles)) END, \
         pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid) \
         FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {}",
        user("n")
    );
    for row in query_text(client, &policies_sql) {
        let Some(rel) = relations.get_mut(&key(&row)) else {
            continue;
        };
        let cmd = match col(&row, 3) {
            "r" => "select",
            "a" => "insert",
            "w" => "update",
            "d" => "delete",
            _ => "all",
        };
        let mut line = format!(
            "policy {} {} for {cmd} to {}",
            col(&row, 2),
            if flag(&row, 4) {
                "permissive"
            } else {
                "restrictive"
            },
            col(&row, 5)
        );
        if let Some(qual) = opt(&row, 6) {
            let _ = write!(line, " using ({qual})");
        }
        if let Some(check) = opt(&row, 7) {
            let _ = write!(line, " with check ({check})");
        }
        rel.policies.push(line);
    }

    // Composite types first, then tables, views, materialized views; each
    // group by schema and name.
    let rank = |kind: &str| match kind {
        "type" => 0,
        "view" => 2,
        "materialized view" => 3,
        _ => 1,
    };
    let mut ordered: Vec<(&Key, &mut Relation)> = relations.iter_mut().collect();
    ordered.sort_by(|(ka, ra), (kb, rb)| (rank(&ra.kind), *ka).cmp(&(rank(&rb.kind), *kb)));
    for ((schema, name), rel) in ordered {
        let _ = write!(out, "{} {schema}.{name}", rel.kind);
        for item in &rel.header {
            let _ = write!(out, " {item}");
        }
        out.push('\n');
        if let Some(definition) = &rel.definition {
            out.push_str("  as\n");
            out.push_str(&block(definition, "    "));
        }
        for line in &rel.columns {
            let _ = writeln!(out, "  {line}");
        }
        rel.constraints.sort();
        for (name, def) in &rel.constraints {
            let _ = writeln!(out, "  constraint {name} {def}");
        }
        rel.indexes.sort();
        rel.triggers.sort();
        rel.policies.sort();
        rel.comments.sort();
        for line in rel
            .indexes
            .iter()
            .chain(&rel.triggers)
            .chain(&rel.policies)
            .chain(&rel.comments)
        {
            let _ = writeln!(out, "  {line}");
        }
    }

    // Sequences (with the column that owns them, if any).
    let sequences_sql = format!(
        "SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, \
         s.seqmin, s.seqmax, s.seqcache, s.seqcycle, tn.nspname, tc.relname, ta.attname, d.deptype, \
         obj_description(c.oid, 'pg_class') \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_sequence s ON s.seqrelid = c.oid \
         LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid \
           AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') \
         LEFT JOIN pg_class tc ON tc.oid = d.refobjid \
         LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace \
         LEFT JOIN pg_attribute ta ON ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid \
         WHERE c.relkind = 'S' AND {} AND {}",
        user("n"),
        not_extension_member("pg_class", "c.oid")
    );
    let mut sequences = query_text(client, &sequences_sql);
    sequences.sort();
    for row in &sequences {
        if let (Some(owner_schema), Some(owner_table)) = (opt(row, 9), opt(row, 10)) {
            if excluded.contains(&(owner_schema.to_owned(), owner_table.to_owned())) {
                continue;
            }
        }
        let _ = write!(
            out,
            "sequence {}.{} as {} start {} increment {} min {} max {} cache {}",
            col(row, 0),
            col(row, 1),
            col(row, 2),
            col(row, 3),
            col(row, 4),
            col(row, 5),
            col(row, 6),
            col(row, 7)
        );
        if flag(row, 8) {
            out.push_str(" cycle");
        }
        if let (Some(schema), Some(table)) = (opt(row, 9), opt(row, 10)) {
            let _ = write!(out, " owned by {schema}.{table}");
            if let Some(column) = opt(row, 11) {
                let _ = write!(out, ".{column}");
            }
            if col(row, 12) == "i" {
                out.push_str(" (identity)");
            }
        }
        out.push('\n');
        if let Some(comment) = opt(row, 13) {
            let _ = writeln!(out, "  comment {comment:?}");
        }
    }

    // Functions, procedures, aggregates.
    let functions_sql = format!(
        "SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), p.prokind, \
         CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END, \
         obj_description(p.oid, 'pg_proc') \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {} AND {}",
        user("n"),
        not_extension_member("pg_proc", "p.oid")
    );
    let mut functions = query_text(client, &functions_sql);
    functions.sort();
    for row in &functions {
        let kind = match col(row, 3) {
            "p" => "procedure",
            "a" => "aggregate",
            "w" => "window function",
            _ => "function",
        };
        let _ = writeln!(
            out,
            "{kind} {}.{}({})",
            col(row, 0),
            col(row, 1),
            col(row, 2)
        );
        if let Some(definition) = opt(row, 4) {
            out.push_str(&block(definition, "    "));
        }
        if let Some(comment) = opt(row, 5) {
            let _ = writeln!(out, "  comment {comment:?}");
        }
    }

    out
}

pub mod cli;
pub mod cluster;
pub mod consumer;
pub mod cookbook;
pub mod fixtures;
pub mod fleet;
pub mod generated;
pub mod guide;
pub mod interrupt;
pub mod pg_versions;
pub mod pooler;
pub mod proxy;
pub mod resume;
pub mod role;
pub mod roundtrip;
pub mod scaffold;
pub mod skip;
pub mod timing;

#[cfg(test)]
mod self_tests;
