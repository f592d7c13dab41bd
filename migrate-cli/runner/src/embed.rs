//! Applying the migrations from the application itself: at start-up, in an async (tokio, axum) `main` or a
//! plain one, with the CLI's settings, connection and advisory lock.
//!
//! ```no_run
//! # extern crate migrate_runner as migrate_cli; // applications name this crate `migrate-cli`
//! # mod migrations { pub static REGISTRY: migrate_core::Registry =
//! #     migrate_core::Registry { dir: "migrations", migrations: migrate_core::Migrations::new(&[]),
//! #     repeatables: migrate_core::Migrations::new(&[]), config: None }; }
//! # async fn start() -> anyhow::Result<()> {
//! // In an async `main` (e.g. `#[tokio::main]`), before serving:
//! let ran = migrate_cli::up(&migrations::REGISTRY).await?;
//! println!("applied {} migration(s)", ran.len());
//! # Ok(()) }
//! ```
//!
//! The engine uses the synchronous `postgres` client, which cannot run on an async runtime's threads (it
//! starts a runtime of its own, and tokio refuses one inside another). So every operation here runs on a
//! thread of its own; the returned [`Blocking`] is a future for async code, runtime-agnostic, and
//! [`Blocking::wait`] gives the result to synchronous code. Awaiting it never blocks the runtime. Dropping it
//! does not cancel the run: a migration that started finishes (or rolls back) on its thread.
//!
//! What runs is exactly what `migrate up` runs: the same [`Migrator`], the same bookkeeping table and
//! advisory lock (so app replicas starting together and a `migrate up` in a deploy job apply each migration
//! once), the same timeouts and retries, and the same connection rules (`DATABASE_URL` or libpq's `PG*`
//! variables, `sslmode`/`sslrootcert`, the connect timeout). The settings come from
//! [`Settings::for_registry`]: the environment, then `migrate.toml`, then the defaults.
//!
//! A failure is an [`anyhow::Error`] holding the engine's [`migrate_core::Error`]. Print it with
//! [`error_message`](crate::error_message) (the engine's message already describes its causes); a program
//! that needs the server's own error finds the `postgres::Error` in its
//! [`chain`](anyhow::Error::chain), e.g. to read the SQLSTATE of a failed statement or of data code.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;

use anyhow::{anyhow, Result};
use migrate_core::postgres::Client;
use migrate_core::{Event, Migrator, Need, Notices, Ran, Registry, Status, UpTarget};

use crate::settings::Settings;

/// Applies every pending migration of `registry`, with the settings the CLI would use (see
/// [`Settings::for_registry`]). Await it in an async `main`; call [`Blocking::wait`] on it in a synchronous one.
///
/// This is [`Embedded::new`] then [`Embedded::up`] with [`UpTarget::All`] and no progress callback.
pub fn up(registry: &'static Registry) -> Blocking<Vec<Ran>> {
    match Embedded::new(registry) {
        Ok(embedded) => embedded.up(UpTarget::All, |_| {}),
        Err(e) => Blocking::failed(e),
    }
}

/// Applies the pending migrations of `registry` up to, not including, the first pending contract
/// (`pgm.contract(..)`): what a new replica may apply at start-up during a rolling deploy, while replicas of
/// the previous version still serve. The contracts are left for `migrate up` once the rollout is done.
///
/// This is [`Embedded::new`] then [`Embedded::up`] with [`UpTarget::ExpandOnly`] and no progress callback.
pub fn up_expand_only(registry: &'static Registry) -> Blocking<Vec<Ran>> {
    match Embedded::new(registry) {
        Ok(embedded) => embedded.up(UpTarget::ExpandOnly, |_| {}),
        Err(e) => Blocking::failed(e),
    }
}

/// The compiled migrations of an application with the settings to run them: build it once at start-up, then
/// apply, inspect or run anything else against the same database.
#[derive(Debug, Clone)]
pub struct Embedded {
    registry: &'static Registry,
    settings: Settings,
}

impl Embedded {
    /// The migrations of `registry` with the CLI's settings ([`Settings::for_registry`]).
    pub fn new(registry: &'static Registry) -> Result<Embedded> {
        Ok(Embedded::with_settings(
            registry,
            Settings::for_registry(registry)?,
        ))
    }

    /// The migrations of `registry` with settings of your own.
    pub fn with_settings(registry: &'static Registry, settings: Settings) -> Embedded {
        Embedded { registry, settings }
    }

    /// Connects to `url` instead of `DATABASE_URL` (for an application that found or started its database
    /// itself). `sslmode` and `sslrootcert` in it work as in the CLI. A direct URL (`MIGRATE_DIRECT_URL`)
    /// still wins: it is the migrator's way past a connection pooler the application's URL goes through, to the
    /// same database (one that reaches another database is refused: see
    /// [`resolve_settings`](crate::connect::resolve_settings)).
    pub fn database_url(mut self, url: impl Into<String>) -> Embedded {
        self.settings.database_url = Some(url.into());
        self
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The compiled migrations.
    pub fn registry(&self) -> &'static Registry {
        self.registry
    }

    /// The engine configured like the CLI's: table, lock mode, timeouts, backfill pacing.
    pub fn migrator(&self) -> Migrator<'static> {
        Migrator::new(self.registry.migrations.as_slice())
            .repeatables(self.registry.repeatables.as_slice())
            .table(self.settings.table.clone())
            .lock_mode(self.settings.lock_mode)
            .timeouts(self.settings.timeouts.clone())
            .backfill_settings(self.settings.backfill.clone())
            .max_duration(self.settings.max_duration)
    }

    /// Connects for a run and, with a time budget, watches it: once spent, the running statement is
    /// cancelled (a backfill finishes its batch). The watch ends when the returned guard is dropped.
    fn connect_for_run(
        &self,
        notices: &Notices,
    ) -> Result<(Migrator<'static>, Client, Option<crate::deadline::Watch>)> {
        let interrupt = migrate_core::Interrupt::new();
        let target = crate::connect::resolve_settings(&self.settings)?;
        let migrator = self
            .migrator()
            .notices(notices.clone())
            .interrupt(interrupt.clone())
            .watch_locks(target.lock_watch(self.settings.connect_timeout));
        let client = target.connect_collecting(self.settings.connect_timeout, notices)?;
        let watch = match self.settings.max_duration {
            Some(_) => Some(crate::deadline::watch(
                &interrupt,
                client.cancel_token(),
                target.tls.connector()?,
            )),
            None => None,
        };
        Ok((migrator, client, watch))
    }

    /// A new connection to the database, as the CLI opens it. Blocking, and it must not be called on an
    /// async runtime's thread: use it inside [`Embedded::blocking`].
    pub fn connect(&self) -> Result<Client> {
        crate::connect::resolve_settings(&self.settings)?.connect(self.settings.connect_timeout)
    }

    /// Applies the pending migrations up to `target` under the advisory lock, calling `events` with the
    /// progress (on the migration thread), the server's notices included ([`Event::Notice`], with the
    /// migration and operation they came from). As at start-up several replicas may race for the same target, an
    /// [`UpTarget::To`] migration that is already applied (by another replica while this one waited for the
    /// lock) means nothing to do rather than an error.
    pub fn up(
        &self,
        target: UpTarget,
        mut events: impl FnMut(Event<'_>) + Send + 'static,
    ) -> Blocking<Vec<Ran>> {
        self.blocking(move |embedded| {
            let notices = Notices::new();
            let (migrator, mut client, _watch) = embedded.connect_for_run(&notices)?;
            // Another replica applied it first: up to date, as asked (the engine selects nothing).
            Ok(migrator.run_up(&mut client, &target, &mut events)?)
        })
    }

    /// Applies pending migrations up to the target `choose` picks from the status read under the advisory
    /// lock (which migrations are applied, pending, and contracts): for a start-up rule such as "expands only,
    /// unless no version of the app can be serving yet". Another replica cannot change the database between
    /// the choice and the run. Events as in [`Embedded::up`].
    pub fn up_chosen(
        &self,
        mut choose: impl FnMut(&Status) -> UpTarget + Send + 'static,
        mut events: impl FnMut(Event<'_>) + Send + 'static,
    ) -> Blocking<Vec<Ran>> {
        self.blocking(move |embedded| {
            let notices = Notices::new();
            let (migrator, mut client, _watch) = embedded.connect_for_run(&notices)?;
            Ok(migrator.run_up_chosen(&mut client, &mut choose, &mut events)?)
        })
    }

    /// Waits until the database has the migrations this binary needs (`need`; [`Need::ExpandPhase`] for a
    /// release that may serve before its contracts), reading the status every quarter of a second on a new
    /// connection each time (read-only: no lock, no table created), so a database that is not up yet is
    /// waited for too. Fails when `timeout` passes first, saying what was still missing: for a start-up that
    /// must not serve on a schema it does not know, while a migration job applies it.
    pub fn wait_for_schema(&self, need: Need, timeout: std::time::Duration) -> Blocking<()> {
        self.blocking(move |embedded| {
            let migrator = embedded.migrator();
            match crate::wait::wait_for(
                &migrator,
                &need,
                timeout,
                embedded.settings.connect_timeout,
                |limit| crate::connect::resolve_settings(&embedded.settings)?.connect(limit),
                |_| {},
            ) {
                crate::wait::Waited::Ready => Ok(()),
                crate::wait::Waited::TimedOut { why } => Err(anyhow!(
                    "the database does not have what this binary needs after {}: {why}",
                    humantime::format_duration(timeout),
                )),
            }
        })
    }

    /// The state of every migration (read-only: no lock, no table created).
    pub fn status(&self) -> Blocking<Status> {
        self.blocking(|embedded| {
            let mut client = embedded.connect()?;
            Ok(embedded.migrator().status(&mut client)?)
        })
    }

    /// Works on the background jobs that migrations queued (backfills with `.in_background()`), as
    /// `migrate work` does, on a thread of its own: batch after batch until no job is left (or the budget in
    /// `options` is spent), sharing the batches with every other worker through the database. `stop` ends it
    /// after the batch in progress: keep a clone and call `stop.request(15)` when the application shuts
    /// down (the result is then [`migrate_core::Error::Interrupted`]; nothing is lost, the next worker goes
    /// on). Events as in [`Embedded::up`] (`Event::Backfill` after each batch).
    ///
    /// ```no_run
    /// # async fn demo(registry: &'static migrate_core::Registry) -> anyhow::Result<()> {
    /// use migrate_core::{Interrupt, WorkOptions};
    /// let migrations = migrate_runner::Embedded::new(registry)?;
    /// let stop = Interrupt::new();
    /// let report = migrations.work(WorkOptions::default(), stop.clone(), |_event| {}).await?;
    /// println!("{} row(s) in {} batch(es)", report.rows, report.batches);
    /// # Ok(()) }
    /// ```
    pub fn work(
        &self,
        options: migrate_core::WorkOptions,
        stop: migrate_core::Interrupt,
        mut events: impl FnMut(Event<'_>) + Send + 'static,
    ) -> Blocking<migrate_core::WorkReport> {
        self.blocking(move |embedded| {
            let mut client = embedded.connect()?;
            let migrator = embedded.migrator().interrupt(stop);
            Ok(migrator.work(&mut client, &options, &mut events)?)
        })
    }

    /// Runs `f` on a thread of its own, where the synchronous engine and [`Embedded::connect`] may be used;
    /// for anything the other methods do not cover.
    pub fn blocking<T, F>(&self, f: F) -> Blocking<T>
    where
        T: Send + 'static,
        F: FnOnce(&Embedded) -> Result<T> + Send + 'static,
    {
        let embedded = self.clone();
        Blocking::spawn(move || f(&embedded))
    }
}

/// The result of work running on a thread of its own: `.await` it in async code, or [`wait`](Self::wait)
/// for it in synchronous code. Works with any async runtime (it needs none).
#[must_use = "the work runs on its own thread; await or wait for it to get its result"]
#[derive(Debug)]
pub struct Blocking<T> {
    slot: Arc<Mutex<Slot<T>>>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Slot<T> {
    result: Option<Result<T>>,
    waker: Option<Waker>,
}

impl<T: Send + 'static> Blocking<T> {
    pub(crate) fn spawn(f: impl FnOnce() -> Result<T> + Send + 'static) -> Blocking<T> {
        let slot = Arc::new(Mutex::new(Slot {
            result: None,
            waker: None,
        }));
        let shared = Arc::clone(&slot);
        let spawned = std::thread::Builder::new()
            .name("migrate".to_owned())
            .spawn(move || {
                // A panic in user code (an event callback, a `blocking` closure) becomes an error, so an
                // awaiting task is woken rather than left pending for ever.
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
                    .unwrap_or_else(|panic| Err(anyhow!("panicked: {}", panic_text(&panic))));
                let waker = {
                    let mut slot = shared.lock().unwrap_or_else(|e| e.into_inner());
                    slot.result = Some(result);
                    slot.waker.take()
                };
                if let Some(waker) = waker {
                    waker.wake();
                }
            });
        match spawned {
            Ok(thread) => Blocking {
                slot,
                thread: Some(thread),
            },
            Err(e) => Blocking::failed(anyhow!("cannot start the migration thread: {e}")),
        }
    }

    /// Blocks the calling thread until the work is done, and returns its result. Safe on any thread,
    /// an async runtime's included (it then blocks that thread meanwhile).
    pub fn wait(mut self) -> Result<T> {
        if let Some(thread) = self.thread.take() {
            // The thread catches panics itself, so joining cannot fail short of an abort.
            let _ = thread.join();
        }
        self.take()
            .unwrap_or_else(|| Err(anyhow!("the migration thread ended without a result")))
    }
}

impl<T> Blocking<T> {
    pub(crate) fn failed(error: anyhow::Error) -> Blocking<T> {
        Blocking {
            slot: Arc::new(Mutex::new(Slot {
                result: Some(Err(error)),
                waker: None,
            })),
            thread: None,
        }
    }

    fn take(&self) -> Option<Result<T>> {
        self.slot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .result
            .take()
    }
}

impl<T> Future for Blocking<T> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        match slot.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

fn panic_text(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}
