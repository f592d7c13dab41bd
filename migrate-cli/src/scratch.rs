//! A scratch database on the configured server, created for one command (`verify`, `schema check`,
//! `schema write`) and dropped on every exit path.

use anyhow::{anyhow, Result};
use postgres::Client;

use crate::connect::Target;
use crate::settings::Settings;

/// Dropped (`WITH (FORCE)`) when this value is; a failed drop is a warning naming the database.
pub struct Scratch {
    admin: Client,
    name: String,
    target: Target,
}

impl Scratch {
    /// Creates `<database>_<purpose>_<pid>` through a connection to the configured database: named after
    /// the target database and this process, so parallel runs on one server do not collide. `command` names
    /// what needs it in the error when the role may not create databases.
    pub fn create(
        db: &Target,
        settings: &Settings,
        purpose: &str,
        command: &str,
    ) -> Result<Scratch> {
        let mut admin = db.connect(settings.connect_timeout)?;
        let base: String = db.dbname().chars().take(40).collect();
        let name = format!("{base}_{purpose}_{}", std::process::id());
        admin
            .batch_execute(&format!("CREATE DATABASE {}", migrate_dsl::ident(&name)))
            .map_err(|e| {
                anyhow!(
                    "cannot create the scratch database {name} ({command} needs the CREATEDB privilege): {}",
                    crate::connect::describe(&e)
                )
            })?;
        let target = db.with_dbname(&name);
        Ok(Scratch {
            admin,
            name,
            target,
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

impl Drop for Scratch {
    fn drop(&mut self) {
        let sql = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            migrate_dsl::ident(&self.name)
        );
        if let Err(e) = self.admin.batch_execute(&sql) {
            eprintln!(
                "warning: could not drop the scratch database {}: {}",
                self.name,
                crate::connect::describe(&e)
            );
        }
    }
}
