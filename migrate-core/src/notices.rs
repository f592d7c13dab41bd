//! Server notices and warnings (`... already exists, skipping`, `... does not exist, skipping`, identifier
//! truncation, `RAISE NOTICE` in a migration's own code), collected from the connection so the runner can
//! report each with the migration and operation it came from.
//!
//! The `postgres` driver hands notices to a callback fixed when the connection is opened, so collection is
//! set up there: [`Notices::install`] on the [`postgres::Config`], then [`Migrator::notices`] with the same
//! value.
//!
//! [`Migrator::notices`]: crate::Migrator::notices

use std::sync::{Arc, Mutex, PoisonError};

/// A notice or warning the server sent while a statement ran.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Notice {
    /// `NOTICE`, `WARNING`, `INFO`, ...
    pub severity: String,
    /// The SQLSTATE (`00000` for a plain notice, `42622` for a truncated name, ...).
    pub code: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.severity, self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, "\n  detail: {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl From<&postgres::error::DbError> for Notice {
    fn from(e: &postgres::error::DbError) -> Self {
        Notice {
            severity: e.severity().to_owned(),
            code: e.code().code().to_owned(),
            message: e.message().to_owned(),
            detail: e.detail().map(str::to_owned),
            hint: e.hint().map(str::to_owned),
        }
    }
}

/// Where a connection's notices are collected. Cloning shares the collection.
///
/// ```no_run
/// # fn demo(migrations: &'static [migrate_core::Migration]) -> Result<(), Box<dyn std::error::Error>> {
/// use migrate_core::{Event, Migrator, Notices, UpTarget};
/// let notices = Notices::new();
/// let mut config: postgres::Config = "postgres://postgres@127.0.0.1/app".parse()?;
/// notices.install(&mut config);
/// let mut client = config.connect(postgres::NoTls)?;
/// Migrator::new(migrations).notices(notices).run_up(&mut client, &UpTarget::All, &mut |event| {
///     if let Event::Notice { name, position, op, notice, .. } = event {
///         eprintln!("{name} #{position} ({op}): {notice}");
///     }
/// })?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Notices {
    collected: Arc<Mutex<Vec<Notice>>>,
}

impl Notices {
    /// An empty collection, not installed on any connection yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes connections opened from `config` deliver their notices here instead of the driver's default
    /// (a `log` line, usually lost).
    pub fn install(&self, config: &mut postgres::Config) {
        let collected = Arc::clone(&self.collected);
        config.notice_callback(move |notice| {
            collected
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(Notice::from(&notice));
        });
    }

    /// Adds `notice` as a connection would, for tests that have no server.
    #[cfg(test)]
    pub(crate) fn push(&self, notice: Notice) {
        self.collected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(notice);
    }

    /// Takes what was collected so far.
    pub fn take(&self) -> Vec<Notice> {
        std::mem::take(
            &mut *self
                .collected
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }
}
