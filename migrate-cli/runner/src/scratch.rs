//! A scratch database on the configured server, created for one command (`verify`, `schema check`,
//! `schema write`, `squash`, `diff`) and dropped on every exit path, a signal included. One that runs SQL
//! a user gives (`diff --to schema.sql`) is owned by a role made for it without the server's rights
//! ([`Scratch::for_untrusted_sql`]), dropped after the database on the same paths.
//!
//! A scratch database holds a full copy of what the migrations made, rows included, so one left behind is a
//! leak. Dropping the value drops the database; on SIGINT or SIGTERM (see [`crate::signals::handle_with`]) a
//! thread of its own drops every scratch database the command still has, over a connection of its own (the
//! command's may be busy running a migration), says so, and ends the process with 130 or 143 as the other
//! commands do. The list of live scratch databases and that thread share one lock: a database is listed
//! before it is created and unlisted after it is dropped, so none is created after the signal's cleanup and
//! none is missed by it; and the command, once stopped, never gets as far as reporting the error its
//! connection got when its database went away.

use std::sync::{Mutex, MutexGuard, Once, PoisonError};
use std::time::Duration;

use crate::stdio::errln;
use anyhow::{anyhow, Result};
use postgres::Client;

use crate::connect::Target;
use crate::settings::Settings;

/// PostgreSQL's identifier length limit in bytes (NAMEDATALEN - 1): a longer name is cut to it, on a
/// character boundary, which would make two scratch names that differ only at their end one and the same.
const MAX_NAME_BYTES: usize = 63;

/// Dropped (`WITH (FORCE)`) when this value is; a failed drop is a warning naming the database.
pub struct Scratch {
    admin: Client,
    name: String,
    target: Target,
    /// The role made to own the database and run SQL the user gave ([`Scratch::for_untrusted_sql`]),
    /// dropped after the database.
    role: Option<String>,
    /// Dropped already ([`drop_together`]).
    dropped: bool,
}

/// How SQL that a user gives (`diff --to schema.sql`) reaches its scratch database.
pub enum Builder {
    /// As a role made for the command: it can log in, owns the scratch database, and has none of the
    /// server's rights (no superuser, no `CREATEDB`, `CREATEROLE`, replication or membership of any role),
    /// so the SQL can do nothing outside that database that any role cannot. `admin` is the configured
    /// role's session on the same database, for the catalog-only statements that need its rights.
    Role { session: Client, admin: Box<Client> },
    /// As the configured role itself, because no role could be made or log in (`why`).
    Configured { session: Client, why: String },
}

/// What a signal's cleanup needs: the scratch databases that exist (or are being created), and how to reach
/// the server without the command's own connections.
struct Live {
    databases: Vec<LiveDatabase>,
    /// The command, for the message (`squash`, `verify`, ...).
    command: String,
    /// The command has finished with its scratch databases and writes its result: a signal now lets it
    /// finish (stopping half-way through writing files would leave less than either outcome).
    finishing: bool,
}

#[derive(Clone)]
struct LiveDatabase {
    name: String,
    /// The role made for it, dropped after it.
    role: Option<String>,
    /// The configured database, where `CREATE DATABASE` ran: the drop connects there.
    admin: Target,
    connect_timeout: Duration,
}

static LIVE: Mutex<Live> = Mutex::new(Live {
    databases: Vec::new(),
    command: String::new(),
    finishing: false,
});

fn live() -> MutexGuard<'static, Live> {
    // A panic while the lock was held left nothing half-done that the list does not say.
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Scratch {
    /// Creates `<database>_<purpose>_<pid>` through a connection to the configured database: named after
    /// the target database and this process, so parallel runs on one server do not collide, and cut (on a
    /// character boundary) to fit PostgreSQL's 63 bytes with the `_<purpose>_<pid>` end kept whole, so two
    /// scratch databases of one command never share a name. `command` names what needs it in messages.
    pub fn create(
        db: &Target,
        settings: &Settings,
        purpose: &str,
        command: &str,
    ) -> Result<Scratch> {
        Scratch::make(db, db, settings, purpose, command, None)
    }

    /// A scratch database for SQL a user gives, reached with the least rights that can build it (see
    /// [`Builder`]): when the configured role can create roles, a role made for it (`LOGIN` with a random
    /// password, none of the server's rights) owns the database and runs the SQL; it is dropped with the
    /// database, on a signal too. Otherwise, or when that role cannot log in (a `pg_hba.conf` that does not
    /// let it), the configured role runs it, and [`Builder::Configured`] says why.
    pub fn for_untrusted_sql(
        db: &Target,
        settings: &Settings,
        purpose: &str,
        command: &str,
    ) -> Result<(Scratch, Builder)> {
        static SIGNALS: Once = Once::new();
        SIGNALS.call_once(|| crate::signals::handle_with(stop));
        let timeout = settings.connect_timeout;
        let configured = |scratch: Scratch, why: String| -> Result<(Scratch, Builder)> {
            let session = scratch.target().connect(timeout)?;
            Ok((scratch, Builder::Configured { session, why }))
        };
        let mut admin = db.connect(timeout)?;
        let rights = admin
            .query_one(
                "SELECT r.rolsuper, r.rolcreaterole FROM pg_catalog.pg_roles r WHERE r.rolname = current_user",
                &[],
            )
            .map(|row| (row.get::<_, bool>(0), row.get::<_, bool>(1)));
        let superuser = match rights {
            Ok((superuser, createrole)) if superuser || createrole => superuser,
            Ok(_) => {
                drop(admin);
                let scratch = Scratch::create(db, settings, purpose, command)?;
                return configured(
                    scratch,
                    "the configured role cannot create roles".to_owned(),
                );
            }
            Err(e) => {
                drop(admin);
                let scratch = Scratch::create(db, settings, purpose, command)?;
                return configured(
                    scratch,
                    format!(
                        "its rights could not be read: {}",
                        crate::connect::describe(&e)
                    ),
                );
            }
        };
        let Some(password) = random_password() else {
            drop(admin);
            let scratch = Scratch::create(db, settings, purpose, command)?;
            return configured(
                scratch,
                "no random password could be made (/dev/urandom)".to_owned(),
            );
        };
        sweep(&mut admin, &db.dbname());
        let name = scratch_name(&db.dbname(), purpose, std::process::id());
        let mut live = live();
        live.command = command.to_owned();
        live.databases.push(LiveDatabase {
            name: name.clone(),
            role: Some(name.clone()),
            admin: db.clone(),
            connect_timeout: timeout,
        });
        let role = migrate_dsl::ident(&name);
        let created = admin.batch_execute(&format!(
            // INHERIT: as the database's owner it has the rights of `pg_database_owner`, which owns schema
            // `public` (PostgreSQL 15 and later); it is a member of no other role.
            "CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT \
             PASSWORD {}",
            migrate_dsl::literal(&password)
        ));
        if let Err(e) = created {
            live.databases.retain(|d| d.name != name);
            drop(live);
            drop(admin);
            let scratch = Scratch::create(db, settings, purpose, command)?;
            return configured(
                scratch,
                format!(
                    "no role could be made for it: {}",
                    crate::connect::describe(&e)
                ),
            );
        }
        if !superuser {
            // A role with CREATEROLE (PostgreSQL 16 and later) may only make a database owned by a role it
            // can become.
            let _ = admin.batch_execute(&format!("GRANT {role} TO CURRENT_USER"));
        }
        if let Err(e) = admin.batch_execute(&format!("CREATE DATABASE {role} OWNER {role}")) {
            let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {role}"));
            live.databases.retain(|d| d.name != name);
            return Err(not_created(&name, None, command, &e));
        }
        drop(live);
        quick_commits(&mut admin, &name);
        if let Some(host) = host() {
            // Best effort, as for the databases: a SIGKILL's leftover role is then swept later.
            let comment =
                migrate_dsl::literal(&owner_comment(&host, std::process::id(), &db.dbname()));
            let _ = admin.batch_execute(&format!(
                "COMMENT ON DATABASE {role} IS {comment}; COMMENT ON ROLE {role} IS {comment}"
            ));
        }
        let scratch = Scratch {
            admin,
            target: db.with_dbname(&name),
            name: name.clone(),
            role: Some(name.clone()),
            dropped: false,
        };
        match db.as_role(&name, &name, &password).connect(timeout) {
            Ok(session) => {
                let admin = scratch.target().connect(timeout)?;
                Ok((
                    scratch,
                    Builder::Role {
                        session,
                        admin: Box::new(admin),
                    },
                ))
            }
            Err(e) => {
                let why = format!(
                    "the role made for it ({name}) cannot log in: {}",
                    crate::report::error_message(&e)
                );
                configured(scratch, why)
            }
        }
    }

    /// A throwaway copy of `db`'s database (`CREATE DATABASE ... TEMPLATE`), made through a connection to
    /// the server's `postgres` database: the server refuses to copy a database anyone is connected to, this
    /// command included.
    pub fn copy_of(
        db: &Target,
        settings: &Settings,
        purpose: &str,
        command: &str,
    ) -> Result<Scratch> {
        let admin = db.with_dbname("postgres");
        Scratch::make(db, &admin, settings, purpose, command, Some(&db.dbname()))
    }

    fn make(
        db: &Target,
        admin_db: &Target,
        settings: &Settings,
        purpose: &str,
        command: &str,
        template: Option<&str>,
    ) -> Result<Scratch> {
        static SIGNALS: Once = Once::new();
        SIGNALS.call_once(|| crate::signals::handle_with(stop));
        let mut admin = admin_db.connect(settings.connect_timeout)?;
        sweep(&mut admin, &db.dbname());
        let name = scratch_name(&db.dbname(), purpose, std::process::id());
        let mut live = live();
        live.command = command.to_owned();
        live.databases.push(LiveDatabase {
            name: name.clone(),
            role: None,
            admin: admin_db.clone(),
            connect_timeout: settings.connect_timeout,
        });
        let created = admin.batch_execute(&format!(
            "CREATE DATABASE {}{}",
            migrate_dsl::ident(&name),
            template
                .map(|t| format!(" TEMPLATE {}", migrate_dsl::ident(t)))
                .unwrap_or_default()
        ));
        if let Err(e) = created {
            live.databases.retain(|d| d.name != name);
            return Err(not_created(&name, template, command, &e));
        }
        drop(live);
        quick_commits(&mut admin, &name);
        if let Some(host) = host() {
            // Best effort: without it a SIGKILL's leftover is only not swept later.
            let _ = admin.batch_execute(&format!(
                "COMMENT ON DATABASE {} IS {}",
                migrate_dsl::ident(&name),
                migrate_dsl::literal(&owner_comment(&host, std::process::id(), &db.dbname()))
            ));
        }
        let target = db.with_dbname(&name);
        Ok(Scratch {
            admin,
            name,
            target,
            role: None,
            dropped: false,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The connection settings of the scratch database.
    pub fn target(&self) -> &Target {
        &self.target
    }
}

impl Scratch {
    /// Drops the database, then the role made for it; a failed drop is a warning naming it. The caller
    /// holds the lock of the live list.
    fn drop_database(&mut self) {
        if self.dropped {
            return;
        }
        self.dropped = true;
        let sql = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            migrate_dsl::ident(&self.name)
        );
        if let Err(e) = self.admin.batch_execute(&sql) {
            errln!(
                "warning: could not drop the scratch database {}: {}",
                self.name,
                crate::connect::describe(&e)
            );
        } else if let Some(role) = &self.role {
            let sql = format!("DROP ROLE IF EXISTS {}", migrate_dsl::ident(role));
            if let Err(e) = self.admin.batch_execute(&sql) {
                errln!(
                    "warning: could not drop the role {role} made for the scratch database: {}",
                    crate::connect::describe(&e)
                );
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Under the lock: while a signal's cleanup runs, this waits (and the process ends there).
        let mut live = live();
        self.drop_database();
        live.databases.retain(|d| d.name != self.name);
    }
}

/// Drops `scratches` at once, each over its own connection. PostgreSQL (15 and before) ends a `DROP
/// DATABASE` with a checkpoint, which writes out every other database's changed pages: one after the
/// other, the first drop writes the second scratch database's pages (thousands of new relations for a
/// large schema) just before they are thrown away too; side by side, both are discarded before either
/// checkpoint, which takes about a third of the time (docs/diff.md).
pub fn drop_together(mut scratches: Vec<Scratch>) {
    let mut live = live();
    std::thread::scope(|threads| {
        for scratch in &mut scratches {
            threads.spawn(move || scratch.drop_database());
        }
    });
    live.databases
        .retain(|d| scratches.iter().all(|s| s.name != d.name));
}

/// Commits on the scratch database `name` stop waiting for their WAL to reach the disk: what it holds is
/// thrown away with it, and a schema built statement by statement (`diff --to schema.sql`) or migration by
/// migration commits thousands of times. Best effort: without it, only slower.
fn quick_commits(admin: &mut Client, name: &str) {
    let _ = admin.batch_execute(&format!(
        "ALTER DATABASE {} SET synchronous_commit = off",
        migrate_dsl::ident(name)
    ));
}

/// Runs `write`, the command's last step once its scratch databases are dropped (writing its files): a
/// signal during it no longer stops the command, which finishes and reports as usual.
pub fn finishing<T>(write: impl FnOnce() -> T) -> T {
    live().finishing = true;
    write()
}

/// What a scratch database's comment says: the machine and the process that made it, and for which database.
/// A process killed by SIGKILL cannot drop its scratch database; a later command for the same database on the
/// same machine finds the comment, sees the process gone, and drops it ([`sweep`]). One made on another
/// machine is never touched: its process cannot be checked from here.
fn owner_comment(host: &str, pid: u32, database: &str) -> String {
    format!("{OWNER_PREFIX}{pid} on {host} for {database}")
}

const OWNER_PREFIX: &str = "migrate scratch database of process ";

/// The process, machine and database of [`owner_comment`]'s text.
fn owner(comment: &str) -> Option<(u32, &str, &str)> {
    let (pid, rest) = comment.strip_prefix(OWNER_PREFIX)?.split_once(" on ")?;
    let (host, database) = rest.split_once(" for ")?;
    Some((pid.parse().ok()?, host, database))
}

/// This machine's name, as the kernel has it; `None` where it cannot be read (no sweeping then).
fn host() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}

/// Whether process `pid` of this machine still runs (a process of another user counts: it exists).
fn alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Drops the scratch databases for `database` that processes of this machine made and that are gone (killed
/// by SIGKILL, or by a machine's crash), saying so. Best effort: a database that cannot be listed or dropped
/// is left.
fn sweep(admin: &mut Client, database: &str) {
    let Some(host) = host() else {
        return;
    };
    let Ok(rows) = admin.query(
        "SELECT d.datname, pg_catalog.shobj_description(d.oid, 'pg_database') FROM pg_catalog.pg_database d \
         WHERE pg_catalog.shobj_description(d.oid, 'pg_database') LIKE $1",
        &[&format!("{OWNER_PREFIX}%")],
    ) else {
        return;
    };
    let roles = admin
        .query(
            "SELECT r.rolname, pg_catalog.shobj_description(r.oid, 'pg_authid') FROM pg_catalog.pg_roles r \
             WHERE pg_catalog.shobj_description(r.oid, 'pg_authid') LIKE $1",
            &[&format!("{OWNER_PREFIX}%")],
        )
        .unwrap_or_default();
    // Databases first: a role made for one is dropped after it.
    for (row, is_role) in rows
        .into_iter()
        .map(|r| (r, false))
        .chain(roles.into_iter().map(|r| (r, true)))
    {
        let (name, comment): (String, String) = (row.get(0), row.get(1));
        let Some((pid, made_on, made_for)) = owner(&comment) else {
            continue;
        };
        if made_on != host || made_for != database || pid == std::process::id() || alive(pid) {
            continue;
        }
        let (what, drop) = if is_role {
            (
                "the role made for a scratch database",
                format!("DROP ROLE IF EXISTS {}", migrate_dsl::ident(&name)),
            )
        } else {
            (
                "the scratch database",
                format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    migrate_dsl::ident(&name)
                ),
            )
        };
        match admin.batch_execute(&drop) {
            Ok(()) => errln!(
                "dropped {what} {name}, which process {pid} (gone: killed, or its machine \
                 restarted) left behind"
            ),
            Err(e) => errln!(
                "warning: could not drop {what} {name}, which process {pid} left behind: {}",
                crate::connect::describe(&e)
            ),
        }
    }
}

/// 32 random hexadecimal digits from the kernel, for the password of a role made for one command.
fn random_password() -> Option<String> {
    use std::io::Read as _;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `<database>_<purpose>_<pid>` within [`MAX_NAME_BYTES`] bytes: the database's name is cut on a character
/// boundary, the end is kept whole.
fn scratch_name(database: &str, purpose: &str, pid: u32) -> String {
    let end = format!("_{purpose}_{pid}");
    let room = MAX_NAME_BYTES.saturating_sub(end.len());
    let mut cut = room.min(database.len());
    while !database.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{end}", &database[..cut])
}

/// The signal's cleanup (on the signals thread): drops every live scratch database, says so, and ends the
/// process with 128 + the signal's number. Keeps the lock to the end, so the command cannot create another
/// one or report the errors its connections get meanwhile.
fn stop(signal: i32) {
    let live = live();
    let name = migrate_core::signal_name(signal);
    if live.finishing {
        errln!(
            "{name} received while {} writes its result: finishing it first",
            live.command
        );
        return;
    }
    let command = if live.command.is_empty() {
        "the command"
    } else {
        live.command.as_str()
    };
    let mut done = drop_live(&live);
    done.push("nothing else was changed".to_owned());
    errln!("{name} received: {command} stopped; {}", done.join("; "));
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: _exit ends the process at once; the process-exit hooks are skipped on purpose (the one for
    // migrations' Rust code would call a migration interrupted on the scratch database an error of its own).
    unsafe { libc::_exit(128 + signal) }
}

/// When a migration's Rust code ends the process (the exit hook in `lib.rs`), the scratch databases the
/// command still has would be left behind: dropped here, each over a connection of its own, saying so. Does
/// nothing when the list is locked (a drop or a signal's cleanup is under way on another thread). The drops
/// run on a thread of their own: in the process-exit hook this thread's thread-locals, which the client's
/// runtime uses, may be gone already.
pub fn drop_all_at_exit() {
    let Ok(live) = LIVE.try_lock() else {
        return;
    };
    if live.databases.is_empty() {
        return;
    }
    let databases = live.databases.clone();
    let done = std::thread::spawn(move || drop_databases(&databases)).join();
    if let Ok(done) = done {
        errln!("{}", done.join("; "));
    }
}

/// Drops every scratch database in `live`; what became of each, for the message.
fn drop_live(live: &Live) -> Vec<String> {
    drop_databases(&live.databases)
}

fn drop_databases(databases: &[LiveDatabase]) -> Vec<String> {
    let mut done = Vec::new();
    for database in databases {
        let sql = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            migrate_dsl::ident(&database.name)
        );
        let role = database.role.as_ref().map_or(String::new(), |role| {
            format!("; DROP ROLE IF EXISTS {}", migrate_dsl::ident(role))
        });
        let dropped = database
            .admin
            .connect_unchecked(database.connect_timeout)
            .and_then(|mut client| {
                client.batch_execute(&sql)?;
                Ok(client.batch_execute(role.trim_start_matches("; "))?)
            });
        match dropped {
            Ok(()) => done.push(format!(
                "dropped the scratch database {}{}",
                database.name,
                if database.role.is_some() { " and its role" } else { "" }
            )),
            Err(e) => done.push(format!(
                "could not drop the scratch database {} ({}); drop it by hand with DROP DATABASE {} WITH (FORCE)",
                database.name,
                crate::report::error_message(&e),
                migrate_dsl::ident(&database.name)
            )),
        }
    }
    done
}

/// A scratch database `CREATE DATABASE` refused (as a copy of `template`), naming the privilege `command`
/// lacks when that is why.
fn not_created(
    name: &str,
    template: Option<&str>,
    command: &str,
    e: &postgres::Error,
) -> anyhow::Error {
    let privilege = e.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE);
    anyhow!(
        "cannot create the scratch database {name}{}{}: {}",
        template
            .map(|t| format!(" as a copy of {t}"))
            .unwrap_or_default(),
        if privilege {
            format!(" ({command} needs the CREATEDB privilege)")
        } else {
            String::new()
        },
        crate::connect::describe(e)
    )
}

#[cfg(test)]
mod tests {
    use super::{alive, owner, owner_comment, scratch_name};

    #[test]
    fn the_owner_comment_reads_back_and_this_process_is_alive() {
        assert_eq!(
            owner(&owner_comment("build-7", 4242, "app on main")),
            Some((4242, "build-7", "app on main"))
        );
        assert_eq!(owner("a comment of someone else's"), None);
        assert!(alive(std::process::id()));
        // Above the kernel's largest process id.
        assert!(!alive(4_194_305));
    }

    #[test]
    fn scratch_names_fit_63_bytes_and_keep_their_end() {
        assert_eq!(scratch_name("app", "squash", 42), "app_squash_42");
        // 40 characters of two bytes each; both names are cut to one prefix, not the same.
        let long = "é".repeat(40);
        let source = scratch_name(&long, "squash", 4_194_304);
        let check = scratch_name(&long, "squash_check", 4_194_304);
        assert!(source.len() <= 63 && check.len() <= 63, "{source} {check}");
        assert!(source.ends_with("_squash_4194304"), "{source}");
        assert!(check.ends_with("_squash_check_4194304"), "{check}");
        assert_ne!(source, check);
        // Cut on a character boundary (a three-byte character at the limit).
        let name = scratch_name(&"€".repeat(30), "verify", 1);
        assert!(name.len() <= 63 && name.ends_with("_verify_1"), "{name}");
    }
}
