//! A fresh database per test, with the migrations applied, for an application's own tests (what
//! `#[sqlx::test]` gives sqlx users).
//!
//! ```no_run
//! # extern crate migrate_runner as migrate_cli; // applications name this crate `migrate-cli`
//! # mod migrations { pub static REGISTRY: migrate_core::Registry =
//! #     migrate_core::Registry { dir: "migrations", migrations: migrate_core::Migrations::new(&[]),
//! #     repeatables: migrate_core::Migrations::new(&[]), config: None }; }
//! use migrate_cli::testing::TestDatabase;
//!
//! #[test]
//! fn signing_up_stores_the_user() -> Result<(), Box<dyn std::error::Error>> {
//!     // DATABASE_URL names the server (its database is only used to create this one).
//!     let db = TestDatabase::new(&migrations::REGISTRY)?;
//!     let mut client = db.client()?;
//!     client.execute("INSERT INTO users (email) VALUES ($1)", &[&"a@example.com"])?;
//!     // Or hand `db.url()` to the code under test (its own pool, an async client, ...).
//!     Ok(())
//! } // dropped here: the database is dropped with it
//! ```
//!
//! - The server is `DATABASE_URL` (from the environment or a `.env` file), as for the CLI; its role needs the
//!   CREATEDB right.
//! - The migrations run exactly as at the application's start-up ([`crate::Embedded`]): the same bookkeeping
//!   table, timeouts and settings (`migrate.toml`, `MIGRATIONS_TABLE`, ...). They run once per set of
//!   migrations, into a template database (`migrate_tpl_<hash>`, from the server's default template, so
//!   extensions installed in `template1` are there too), and each test's database is a copy of it (`CREATE
//!   DATABASE ... TEMPLATE`): with hundreds of migrations that is most of a test's set-up time saved. The
//!   template is named after every migration's name and checksum, so a changed migration gets a new one;
//!   concurrent tests and processes build it once. A template no longer used stays on the server until dropped
//!   (`DROP DATABASE` after `ALTER DATABASE ... IS_TEMPLATE false`). What a copy does not carry is
//!   per-database state outside it (`ALTER DATABASE ... SET`): with `MIGRATE_TEST_TEMPLATE=off` every test
//!   database is migrated on its own instead.
//! - Each database has a unique name (`migrate_test_<process>_<counter>_<random>`), so tests run in parallel,
//!   and it is dropped (`WITH (FORCE)`, ending connections left open) when the value is dropped, a failing
//!   test included. A killed test process leaves its database behind; they are easy to spot by that prefix.
//! - Every method works in async tests too (`#[tokio::test]`): the blocking work runs on a thread of its own.
//!   [`TestDatabase::client`] is a synchronous client, though: in async code connect your own with `url()`.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Context, Result};
use migrate_core::postgres::Client;
use migrate_core::{DownTarget, Migration, Registry, UpTarget};

mod template;

pub use crate::verification::{Checked, Problem, Verdict, Verification};
pub use migrate_core::rows::Generation;

use crate::connect::{self, Target};
use crate::embed::Embedded;
use crate::settings::Settings;

/// A database created for one test, with the migrations applied; dropped when this value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    template: Option<String>,
    url: String,
    admin: Target,
    settings: Settings,
    /// The migrations it was made with, which [`TestDatabase::migrate_to`] moves along (none for
    /// [`TestDatabase::empty`]).
    registry: Option<&'static Registry>,
}

/// How far the migrations of a test database (and of its template) go.
#[derive(Debug, Clone, Copy)]
enum Version<'r> {
    /// Every migration, the repeatable ones included.
    Latest,
    /// Up to and including this one (repeatable migrations run only once every versioned one is applied).
    At(&'r Migration),
}

impl TestDatabase {
    /// Creates a fresh database on the server of `DATABASE_URL` and applies every migration of `registry`,
    /// with the settings the application uses ([`Settings::for_registry`]).
    pub fn new(registry: &'static Registry) -> Result<TestDatabase> {
        let settings = Settings::for_registry(registry)?;
        TestDatabase::with_settings(registry, settings)
    }

    /// Like [`TestDatabase::new`] with settings of your own; `settings.database_url` names the server.
    pub fn with_settings(registry: &'static Registry, settings: Settings) -> Result<TestDatabase> {
        TestDatabase::migrated(registry, settings, Version::Latest)
    }

    /// A fresh database with the migrations of `registry` applied up to and including `migration` (its
    /// name, or its timestamp alone), the ones after it not: the schema a migration's test puts rows into
    /// before running the next one with [`TestDatabase::migrate_to`].
    ///
    /// Each version's template is made once, and named after the migrations up to it (names and checksums),
    /// so tests starting at the same version share it across processes, and changing a migration makes
    /// the templates of the versions from it on again, not those before it. Repeatable migrations are not
    /// applied (they run once every versioned migration is).
    ///
    /// ```no_run
    /// # extern crate migrate_runner as migrate_cli;
    /// # mod migrations { pub static REGISTRY: migrate_core::Registry =
    /// #     migrate_core::Registry { dir: "migrations", migrations: migrate_core::Migrations::new(&[]),
    /// #     repeatables: migrate_core::Migrations::new(&[]), config: None }; }
    /// use migrate_cli::testing::TestDatabase;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let db = TestDatabase::at(&migrations::REGISTRY, "20261201000000_add_orders")?;
    /// db.client()?.execute("INSERT INTO orders (note) VALUES (NULL)", &[])?;
    /// db.migrate_to("20261202000000_orders_note_not_null")?; // the migration under test
    /// # Ok(()) }
    /// ```
    pub fn at(registry: &'static Registry, migration: &str) -> Result<TestDatabase> {
        let settings = Settings::for_registry(registry)?;
        TestDatabase::at_with_settings(registry, migration, settings)
    }

    /// Like [`TestDatabase::at`] with settings of your own.
    pub fn at_with_settings(
        registry: &'static Registry,
        migration: &str,
        settings: Settings,
    ) -> Result<TestDatabase> {
        let version = Version::At(find(registry, migration)?);
        TestDatabase::migrated(registry, settings, version)
    }

    fn migrated(
        registry: &'static Registry,
        settings: Settings,
        version: Version<'static>,
    ) -> Result<TestDatabase> {
        if template_wanted() {
            return TestDatabase::create(settings, Some((registry, version)));
        }
        let mut db = TestDatabase::create(settings, None)?;
        db.registry = Some(registry);
        apply(
            registry,
            &db.settings,
            &db.url,
            &format!("test database {}", db.name),
            version,
        )?;
        Ok(db)
    }

    /// Moves the database to `migration` (its name, or its timestamp alone) with the real engine: forward
    /// by applying the migrations up to it (backfills batched, background jobs run to their end, as `up`
    /// does where no worker runs them), or back by reverting, newest first, every migration after it with
    /// its `down`.
    pub fn migrate_to(&self, migration: &str) -> Result<()> {
        let registry = self.registry()?;
        let target = find(registry, migration)?.name().to_owned();
        on_engine(
            registry,
            &self.settings,
            &self.url,
            move |migrator, client| {
                match migrator.run_down(client, &DownTarget::To(target.clone()), &mut |_| {}) {
                    Ok(_) => Ok(()),
                    // Not applied yet: forward.
                    Err(
                        migrate_core::Error::NotApplied { .. }
                        | migrate_core::Error::NothingApplied,
                    ) => migrator
                        .run_up(client, &UpTarget::To(target), &mut |_| {})
                        .map(drop),
                    Err(e) => Err(e),
                }
            },
        )
        .with_context(|| format!("moving test database {} to {migration}", self.name))
    }

    /// Applies every migration not applied yet, the repeatable ones included, as [`TestDatabase::new`]'s
    /// are.
    pub fn migrate_to_latest(&self) -> Result<()> {
        let registry = self.registry()?;
        on_engine(registry, &self.settings, &self.url, |migrator, client| {
            migrator
                .run_up(client, &UpTarget::All, &mut |_| {})
                .map(drop)
        })
        .with_context(|| format!("migrating test database {} to the latest", self.name))
    }

    fn registry(&self) -> Result<&'static Registry> {
        self.registry.ok_or_else(|| {
            anyhow!(
                "test database {} was made without migrations (TestDatabase::empty): it has none to move along",
                self.name
            )
        })
    }

    /// A fresh, empty database on the server of `DATABASE_URL`, without migrations.
    pub fn empty() -> Result<TestDatabase> {
        let global = crate::settings::global_args_from_environment()?;
        TestDatabase::create(
            Settings {
                database_url: global.database_url,
                ..Settings::default()
            },
            None,
        )
    }

    /// A new database: a copy of the template of `template` at its version (built first when there is none
    /// yet), else empty.
    fn create(
        settings: Settings,
        template: Option<(&'static Registry, Version<'static>)>,
    ) -> Result<TestDatabase> {
        let admin_url = admin_url(&settings)?;
        let name = unique_name();
        let url = database_url(&admin_url, &name)?;
        let admin = connect::resolve(Some(&admin_url))?;
        let copied_from = off_thread(|| -> Result<Option<String>> {
            let mut client = admin.connect(settings.connect_timeout)?;
            let copied_from = match template {
                Some((registry, version)) => Some(template::ensure(
                    &mut client,
                    &admin,
                    &admin_url,
                    registry,
                    &settings,
                    version,
                )?),
                None => None,
            };
            crate::database::create_database_from(
                &mut client,
                &admin,
                &name,
                copied_from.as_deref(),
            )?;
            Ok(copied_from)
        })?;
        Ok(TestDatabase {
            name,
            template: copied_from,
            url,
            admin,
            settings,
            registry: template.map(|(registry, _)| registry),
        })
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The template this database is a copy of (`migrate_tpl_<hash>`), or `None` when its migrations ran in
    /// it (`MIGRATE_TEST_TEMPLATE=off`, or [`TestDatabase::empty`]).
    pub fn template(&self) -> Option<&str> {
        self.template.as_deref()
    }

    /// The database's URL (the server's, with this database): give it to the code under test. It holds the
    /// password, if the server's URL has one.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new synchronous connection (TLS as the URL says). Not for async code: connect with [`url`](Self::url)
    /// there.
    pub fn client(&self) -> Result<Client> {
        self.admin
            .with_dbname(&self.name)
            .connect(self.settings.connect_timeout)
    }
}

impl Drop for TestDatabase {
    /// Drops the database, ending connections still open to it. Never panics (it may run while a failed test
    /// unwinds); a failure is reported on stderr.
    fn drop(&mut self) {
        let sql = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            migrate_dsl::ident(&self.name)
        );
        let result = off_thread(|| -> Result<()> {
            let mut client = self.admin.connect(self.settings.connect_timeout)?;
            client.batch_execute(&sql).map_err(|e| self.admin.error(&e))
        });
        if let Err(e) = result {
            eprintln!("warning: could not drop test database {}: {e:#}", self.name);
        }
    }
}

/// Applies the migrations of `registry` up to `version` to the database of `url` (`what` names it in errors),
/// with `settings` but their direct URL, which names another database.
fn apply(
    registry: &'static Registry,
    settings: &Settings,
    url: &str,
    what: &str,
    version: Version<'_>,
) -> Result<()> {
    let target = match version {
        Version::Latest => UpTarget::All,
        Version::At(migration) => UpTarget::To(migration.name().to_owned()),
    };
    on_engine(registry, settings, url, move |migrator, client| {
        migrator.run_up(client, &target, &mut |_| {}).map(drop)
    })
    .with_context(|| format!("applying the migrations to {what}"))
}

/// Runs `f` on the database of `url` with the engine configured as the application's (`settings` but
/// their direct URL, which names another database), on a thread of its own.
fn on_engine(
    registry: &'static Registry,
    settings: &Settings,
    url: &str,
    f: impl FnOnce(&migrate_core::Migrator<'static>, &mut Client) -> Result<(), migrate_core::Error>
        + Send
        + 'static,
) -> Result<()> {
    let mut settings = settings.clone();
    settings.direct_url = None;
    Embedded::with_settings(registry, settings)
        .database_url(url)
        .blocking(move |embedded| {
            let mut client = embedded.connect()?;
            // A test database: no worker runs the background jobs, so they run here.
            let migrator = embedded.migrator().finish_jobs(true);
            Ok(f(&migrator, &mut client)?)
        })
        .wait()
}

/// The migration of `registry` named `name`, or whose timestamp it is.
fn find(registry: &'static Registry, name: &str) -> Result<&'static Migration> {
    registry
        .migrations
        .as_slice()
        .iter()
        .find(|m| m.name() == name || m.version() == name)
        .ok_or_else(|| {
            anyhow!(
                "no migration named {name:?} in {} (a name such as {:?}, or its timestamp alone)",
                registry.dir,
                registry
                    .migrations
                    .as_slice()
                    .last()
                    .map_or("20260101000000_create_users", |m| m.name())
            )
        })
}

/// `migrate verify --with-data` in a test: on a scratch database of the server of `DATABASE_URL`, each
/// migration of `registry` runs on generated rows (`generation`: rows per table and the seed), its `down`
/// must give back every row and value its `up` did not change on purpose, and it is applied again. The
/// result names each migration's problems; [`Verification::assert_passed`] fails the test with them.
///
/// ```no_run
/// # extern crate migrate_runner as migrate_cli;
/// # mod migrations { pub static REGISTRY: migrate_core::Registry =
/// #     migrate_core::Registry { dir: "migrations", migrations: migrate_core::Migrations::new(&[]),
/// #     repeatables: migrate_core::Migrations::new(&[]), config: None }; }
/// use migrate_cli::testing::{verify_with_data, Generation};
///
/// #[test]
/// fn every_down_gives_the_rows_back() -> Result<(), Box<dyn std::error::Error>> {
///     let generation = Generation { rows: 500, ..Generation::default() };
///     verify_with_data(&migrations::REGISTRY, &generation)?.assert_passed();
///     Ok(())
/// }
/// ```
///
/// # Errors
///
/// No `DATABASE_URL`, a server that cannot be reached or will not create the scratch database, or a
/// migration that fails on empty tables too (or whose `down` fails).
pub fn verify_with_data(
    registry: &'static Registry,
    generation: &Generation,
) -> Result<Verification> {
    verify_with_data_with_settings(registry, generation, Settings::for_registry(registry)?)
}

/// Like [`verify_with_data`] with settings of your own; `settings.database_url` names the server.
pub fn verify_with_data_with_settings(
    registry: &'static Registry,
    generation: &Generation,
    settings: Settings,
) -> Result<Verification> {
    let admin = connect::resolve(Some(&admin_url(&settings)?))?;
    off_thread(|| {
        crate::verification::verify(&settings, registry, &admin, Some(generation), &mut |_| {})
    })
}

/// The server's URL: `DATABASE_URL`.
fn admin_url(settings: &Settings) -> Result<String> {
    settings.database_url.clone().ok_or_else(|| {
        anyhow!("TestDatabase needs DATABASE_URL (in the environment or a .env file): the URL of a server where this role may CREATE DATABASE")
    })
}

/// Whether test databases are copied from a template (the default), or migrated one by one
/// (`MIGRATE_TEST_TEMPLATE=off`).
fn template_wanted() -> bool {
    !matches!(
        std::env::var("MIGRATE_TEST_TEMPLATE").as_deref(),
        Ok("off" | "0" | "false" | "no")
    )
}

/// Runs `f` on a thread of its own (and waits): the synchronous client must not run on an async runtime's
/// thread.
fn off_thread<T: Send>(f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    std::thread::scope(|s| {
        s.spawn(f)
            .join()
            .unwrap_or_else(|_| Err(anyhow!("the database thread panicked")))
    })
}

/// `migrate_test_<pid>_<counter>_<random>`: unique across the tests of a process, concurrent processes and
/// earlier runs.
fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(nanos);
    hasher.write_u64(counter);
    format!(
        "migrate_test_{}_{counter}_{:012x}",
        std::process::id(),
        hasher.finish() & 0xffff_ffff_ffff
    )
}

/// The server's URL with `name` as its database; a `key=value` string gets `dbname=name` appended.
fn database_url(admin: &str, name: &str) -> Result<String> {
    if admin.starts_with("postgres://") || admin.starts_with("postgresql://") {
        crate::conninfo::with_database(admin, name)
            .ok_or_else(|| anyhow!("invalid DATABASE_URL {}", connect::redact(admin)))
    } else {
        Ok(format!("{admin} dbname={name}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_valid_identifiers() {
        let a = unique_name();
        let b = unique_name();
        assert_ne!(a, b);
        assert!(a.len() <= 63 && a.starts_with("migrate_test_"), "{a}");
        assert_eq!(
            database_url("postgres://u:p@h:5/admin?sslmode=require", "t").unwrap(),
            "postgres://u:p@h:5/t?sslmode=require"
        );
        assert_eq!(
            database_url("host=h user=u", "t").unwrap(),
            "host=h user=u dbname=t"
        );
    }
}
