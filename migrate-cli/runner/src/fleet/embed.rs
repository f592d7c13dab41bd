//! A fleet from the application: migrate a tenant's new schema or database through one call when the tenant
//! is created, or every tenant at start-up with a parallel limit. Same engine, sessions, locks and events as
//! `migrate fleet`, on a thread of its own behind a [`Blocking`] future, as [`crate::up`].
//!
//! ```no_run
//! # extern crate migrate_runner as migrate_cli; // applications name this crate `migrate-cli`
//! # mod migrations { pub static REGISTRY: migrate_core::Registry =
//! #     migrate_core::Registry { dir: "migrations", migrations: migrate_core::Migrations::new(&[]),
//! #     repeatables: migrate_core::Migrations::new(&[]), config: None }; }
//! # async fn start(new_tenant: &str) -> anyhow::Result<()> {
//! // A new tenant's schema, created and migrated:
//! migrate_cli::up_schema(&migrations::REGISTRY, new_tenant).await?;
//!
//! // Every tenant at start-up, four at a time:
//! let report = migrate_cli::fleet(&migrations::REGISTRY)?
//!     .schemas(["tenant_1", "tenant_2", "tenant_3"])
//!     .parallel(4)
//!     .up(migrate_core::UpTarget::All, |_event| {})
//!     .await?;
//! anyhow::ensure!(report.all_done(), "{} tenant(s) not migrated", report.targets.len() - report.count(migrate_core::fleet::TargetState::Done));
//! # Ok(()) }
//! ```

use anyhow::Result;
use migrate_core::fleet::{
    Canary, Connector, Fleet, FleetEvent, FleetOptions, FleetReport, OnError, Stop, Target,
    TargetStatus,
};
use migrate_core::{Event, Notices, Ran, Registry, UpTarget};

use super::connector::CliConnector;
use crate::embed::{Blocking, Embedded};
use crate::settings::Settings;

/// Applies every pending migration of `registry` to schema `schema` of the configured database (created
/// when missing), with its migrations table in that schema and `search_path` set to it: what an application
/// calls when it creates a tenant. Settings as [`crate::up`].
pub fn up_schema(registry: &'static Registry, schema: &str) -> Blocking<Vec<Ran>> {
    let target = Target::schema(schema);
    match Embedded::new(registry) {
        Ok(embedded) => embedded.up_target(target, UpTarget::All, |_| {}),
        Err(e) => Blocking::failed(e),
    }
}

/// Applies every pending migration of `registry` to the database of `url` (with the configured table).
pub fn up_database(registry: &'static Registry, url: &str) -> Blocking<Vec<Ran>> {
    let target = Target::database(url);
    match Embedded::new(registry) {
        Ok(embedded) => embedded.up_target(target, UpTarget::All, |_| {}),
        Err(e) => Blocking::failed(e),
    }
}

/// The fleet of `registry`'s application, with the CLI's settings ([`Settings::for_registry`]) and the
/// targets of `[fleet]` in `migrate.toml` unless others are given.
pub fn fleet(registry: &'static Registry) -> Result<EmbeddedFleet> {
    Ok(EmbeddedFleet::with_settings(
        registry,
        Settings::for_registry(registry)?,
    ))
}

impl Embedded {
    /// Applies the pending migrations up to `target` to one fleet target (a schema of the configured
    /// database, or a database), under that target's lock (waiting for it, or failing, as the settings'
    /// lock mode says). Events as [`Embedded::up`].
    pub fn up_target(
        &self,
        fleet_target: Target,
        target: UpTarget,
        mut events: impl FnMut(Event<'_>) + Send + 'static,
    ) -> Blocking<Vec<Ran>> {
        self.blocking(move |embedded| {
            let settings = embedded.settings();
            let connector =
                CliConnector::new(settings.url().map(str::to_owned), settings.connect_timeout);
            let notices = Notices::new();
            let session = connector
                .connect(&fleet_target, &notices)
                .map_err(|e| anyhow::anyhow!(e.message))?;
            let migrate_core::fleet::Session { mut client, cancel } = session;
            let extra = settings
                .config
                .file
                .fleet
                .as_ref()
                .and_then(|f| f.search_path.clone())
                .unwrap_or_default();
            fleet_target.enter(&mut client, &extra)?;
            let table = fleet_target.migrations_table(&settings.table)?;
            // The guards of `up`: the lock watch on the target's database, and the time budget, which
            // cancels the running statement once spent.
            let interrupt = migrate_core::Interrupt::new();
            let mut migrator = embedded
                .migrator()
                .table(table)
                .notices(notices)
                .interrupt(interrupt.clone());
            if let Some(connect) = connector.lock_watch(&fleet_target) {
                migrator = migrator.watch_locks(connect);
            }
            let _watch = settings
                .max_duration
                .map(|_| crate::deadline::watch_with(&interrupt, cancel));
            Ok(migrator.run_up(&mut client, &target, &mut events)?)
        })
    }
}

/// A fleet run from the application. Build it with [`fleet`], choose the targets and limits, then
/// [`up`](EmbeddedFleet::up) or [`status`](EmbeddedFleet::status).
#[derive(Debug, Clone)]
pub struct EmbeddedFleet {
    registry: &'static Registry,
    settings: Settings,
    targets: Option<Vec<Target>>,
    options: FleetOptions,
    /// Why `[fleet]`'s options cannot be used, if they cannot.
    invalid: Option<String>,
    stop: Stop,
}

impl EmbeddedFleet {
    /// The fleet of `registry` with settings of your own.
    /// `[fleet]`'s options (parallel limits, canary, failure policy, search path) apply unless changed here;
    /// an invalid one makes [`up`](Self::up) and [`status`](Self::status) fail with its message.
    pub fn with_settings(registry: &'static Registry, settings: Settings) -> EmbeddedFleet {
        let configured = super::config::options(
            &settings,
            &super::args::TargetArgs::default(),
            Some(&super::args::RolloutArgs::default()),
        );
        let (options, invalid) = match configured {
            Ok(options) => (options, None),
            Err(e) => (FleetOptions::default(), Some(format!("{e:#}"))),
        };
        let options = FleetOptions {
            max_duration: settings.max_duration,
            ..options
        };
        EmbeddedFleet {
            registry,
            settings,
            targets: None,
            options,
            invalid,
            stop: Stop::new(),
        }
    }

    /// These schemas of the configured database, one target each, instead of `[fleet]`'s targets.
    pub fn schemas<S: Into<String>>(mut self, schemas: impl IntoIterator<Item = S>) -> Self {
        self.targets = Some(schemas.into_iter().map(Target::schema).collect());
        self
    }

    /// These databases, one target each, instead of `[fleet]`'s targets.
    pub fn databases<S: Into<String>>(mut self, urls: impl IntoIterator<Item = S>) -> Self {
        self.targets = Some(urls.into_iter().map(Target::database).collect());
        self
    }

    /// These targets, instead of `[fleet]`'s.
    pub fn targets(mut self, targets: Vec<Target>) -> Self {
        self.targets = Some(targets);
        self
    }

    /// Targets run at once (at least 1).
    pub fn parallel(mut self, n: usize) -> Self {
        self.options.parallel = n.max(1);
        self
    }

    /// Targets of one server run at once (at least 1).
    pub fn per_server(mut self, n: usize) -> Self {
        self.options.per_server = n.max(1);
        self
    }

    /// Targets that go first and must all succeed before the others start.
    pub fn canary(mut self, canary: Canary) -> Self {
        self.options.canary = canary;
        self
    }

    /// Go on after a failed target (up to `max_failures` of them) instead of stopping.
    pub fn continue_on_error(mut self, max_failures: Option<usize>) -> Self {
        self.options.on_error = OnError::Continue;
        self.options.max_failures = max_failures;
        self
    }

    /// A time budget for each whole run ([`FleetOptions::max_duration`]): once spent, no target starts and
    /// the running ones stop as a single run stops at its budget [default: `max_duration` of the settings].
    pub fn max_duration(mut self, budget: Option<std::time::Duration>) -> Self {
        self.options.max_duration = budget;
        self
    }

    /// The options in use.
    pub fn options(&self) -> &FleetOptions {
        &self.options
    }

    /// The stop request of this fleet's runs: [`Stop::request`] it (on shutdown, say) and no target starts,
    /// the running ones stop cleanly.
    pub fn stop_handle(&self) -> Stop {
        self.stop.clone()
    }

    /// Applies the pending migrations up to `target` on every target, with the parallel limit, canary
    /// and failure policy chosen. An error means nothing ran (a bad target list); the report says what
    /// happened to each target.
    pub fn up(
        &self,
        target: UpTarget,
        events: impl Fn(FleetEvent<'_>) + Send + Sync + 'static,
    ) -> Blocking<FleetReport> {
        let fleet = self.clone();
        Blocking::spawn(move || {
            fleet.with_fleet(|run| Ok(run.up(&target, &fleet.stop, &events)?))
        })
    }

    /// Where every target stands (read-only), one status per target in order.
    pub fn status(&self) -> Blocking<Vec<TargetStatus>> {
        let fleet = self.clone();
        Blocking::spawn(move || fleet.with_fleet(|run| Ok(run.status(&fleet.stop, &|_| {}))))
    }

    /// The fleet of these settings and targets, on a connector of its own, given to `f`.
    fn with_fleet<T>(&self, f: impl FnOnce(&Fleet<'_, '_>) -> Result<T>) -> Result<T> {
        let connector = self.connector();
        let fleet = Fleet::new(
            self.migrator(),
            self.resolved_targets()?,
            &connector,
            self.options.clone(),
        )?;
        f(&fleet)
    }

    fn connector(&self) -> CliConnector {
        CliConnector::new(
            self.settings.url().map(str::to_owned),
            self.settings.connect_timeout,
        )
    }

    fn migrator(&self) -> migrate_core::Migrator<'static> {
        // The budget is the whole run's (the options'), not each target's.
        Embedded::with_settings(self.registry, self.settings.clone())
            .migrator()
            .max_duration(None)
    }

    fn resolved_targets(&self) -> Result<Vec<Target>> {
        if let Some(invalid) = &self.invalid {
            anyhow::bail!("{invalid}");
        }
        match &self.targets {
            Some(targets) => Ok(targets.clone()),
            None => super::config::targets(&self.settings, &super::args::TargetArgs::default()),
        }
    }
}
