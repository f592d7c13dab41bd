//! What the commands that run migrations share: the migrator configured from the settings, the connection
//! target, the watchers a run starts once it is connected, and the note on the schema file afterwards.

use crate::stdio::outln;

use anyhow::Result;
use migrate_core::{Interrupt, Migrator, Notices, Registry};

use crate::args::RunArgs;
use crate::compiled::Origin;
use crate::connect::{self, Target};
use crate::schema_file;
use crate::settings::Settings;

/// The settings and the run-wide state every command that needs the compiled migrations starts from.
pub(super) struct Context<'a> {
    pub(super) settings: &'a Settings,
    pub(super) registry: &'a Registry,
    /// Whether the migrations were checked against their folder, or run as compiled (deployed alone).
    pub(super) origin: Origin,
    /// SIGINT/SIGTERM during `up`, `down` and `redo` (see the signals module).
    interrupt: Interrupt,
    /// Server notices of `up`, `down` and `redo`, each reported with its migration and operation.
    pub(super) notices: Notices,
}

impl<'a> Context<'a> {
    pub(super) fn new(settings: &'a Settings, registry: &'a Registry, origin: Origin) -> Self {
        Self {
            settings,
            registry,
            origin,
            interrupt: Interrupt::new(),
            notices: Notices::new(),
        }
    }

    /// The migrator every command starts from, configured from the settings.
    pub(super) fn migrator(&self) -> Migrator<'a> {
        let settings = self.settings;
        Migrator::new(self.registry.migrations.as_slice())
            .repeatables(self.registry.repeatables.as_slice())
            .table(settings.table.clone())
            .lock_mode(settings.lock_mode)
            .timeouts(settings.timeouts.clone())
            .backfill_settings(settings.backfill.clone())
            .max_duration(settings.max_duration)
            .interrupt(self.interrupt.clone())
    }

    /// The database the settings name.
    pub(super) fn target(&self) -> Result<Target> {
        connect::resolve_settings(self.settings)
    }

    /// Starts what watches a run once its client is connected: signals, closed output, the time budget, the
    /// server's liveness.
    pub(super) fn on_signals(&self, client: &postgres::Client, db: &Target) -> Result<()> {
        let settings = self.settings;
        crate::signals::watch(&self.interrupt, client.cancel_token(), db.tls.connector()?);
        // A closed stdout or stderr stops the run where a signal would (see the stdio module).
        crate::stdio::stop_on_close(&self.interrupt);
        // Leaked on purpose: it watches until the process ends (a deadline is set only with a budget).
        std::mem::forget(crate::deadline::watch(
            &self.interrupt,
            client.cancel_token(),
            db.tls.connector()?,
        ));
        crate::watchdog::start(
            db,
            settings.server_check_timeout,
            settings.timeouts.idle_in_transaction_session_timeout,
        );
        Ok(())
    }

    /// A run's error, with a hint when the server ended the session; a session that changed between
    /// transactions (which the connection check can miss when many clients share a pooler) is the pooler's
    /// refusal.
    pub(super) fn ended(&self, e: migrate_core::Error, client: &postgres::Client) -> anyhow::Error {
        if matches!(e, migrate_core::Error::SessionNotKept { .. }) {
            if let Ok(db) = self.target() {
                return db.pooled(
                    "a prepared statement made in one of the connection's transactions was gone in the next: they ran in different server sessions",
                );
            }
        }
        crate::session_end::explain(
            e,
            client,
            self.settings.timeouts.idle_in_transaction_session_timeout,
        )
    }
}

/// The migrator with the options `up` and `down` share (`--fake`, `--single-transaction`,
/// `--max-replica-lag`, `--max-duration`).
pub(super) fn with_run_args<'a>(migrator: Migrator<'a>, run: &RunArgs) -> Migrator<'a> {
    let mut backfill = migrator.backfill_setting().clone();
    if let Some(limit) = run.max_replica_lag {
        backfill.max_replica_lag = limit;
    }
    let max_duration = run.max_duration.or(migrator.max_duration_setting());
    migrator
        .fake(run.fake)
        .single_transaction(run.single_transaction)
        .backfill_settings(backfill)
        .max_duration(max_duration)
}

pub(super) fn count(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// After a run that changed the database, with `schema_file` configured: a note when the file may be behind
/// the migrations (see [`schema_file::behind`]). The file holds what the migrations give on an empty
/// database, which only `schema write` builds (on a scratch database: seconds to minutes with thousands of
/// migrations, see docs/schema-file.md), so a run never writes it, and never from the database it ran on.
pub(crate) fn note_schema_file(settings: &Settings, registry: &Registry) {
    let Some(file) = &settings.schema_file else {
        return;
    };
    // A binary deployed without its sources has no schema file to keep up: the note is for the project's
    // machine.
    if !std::path::Path::new(registry.dir).exists() {
        return;
    }
    if let Some(why) = schema_file::behind(file, registry) {
        outln!(
            "note: {why}: the schema file holds what the migrations give, never what a run did to a database; \
             `migrate schema write` writes it (from a scratch database), then commit it"
        );
    }
}
