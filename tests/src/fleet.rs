//! Helpers for the fleet tests: a plain connector for the engine's fleet (no TLS, no pooler check), and
//! reading what a target holds.

use migrate_core::fleet::{ConnectError, Connector, Location, Session, Target};
use migrate_core::Notices;
use postgres::{Client, NoTls};
use std::str::FromStr;

/// Opens targets' sessions with `NoTls`; targets without a URL use `default_url`.
#[derive(Debug)]
pub struct PlainConnector {
    pub default_url: String,
}

impl PlainConnector {
    fn config(&self, target: &Target) -> Result<postgres::Config, String> {
        let url = target.migrator_url().unwrap_or(&self.default_url);
        postgres::Config::from_str(url).map_err(|e| e.to_string())
    }
}

impl Connector for PlainConnector {
    fn locate(&self, target: &Target) -> Result<Location, String> {
        let config = self.config(target)?;
        Ok(Location {
            server: format!("{:?}:{:?}", config.get_hosts(), config.get_ports()),
            database: config.get_dbname().unwrap_or_default().to_owned(),
        })
    }

    fn connect(&self, target: &Target, notices: &Notices) -> Result<Session, ConnectError> {
        let mut config = self
            .config(target)
            .map_err(|message| ConnectError::new(message, false))?;
        config.connect_timeout(std::time::Duration::from_secs(5));
        config.application_name("migrate");
        notices.install(&mut config);
        let client = config.connect(NoTls).map_err(|e| {
            ConnectError::new(e.to_string(), e.as_db_error().is_none())
                .sqlstate(e.code().map(|c| c.code().to_owned()))
        })?;
        let token = client.cancel_token();
        Ok(Session {
            client,
            cancel: Box::new(move || {
                let _ = token.cancel_query(NoTls);
            }),
        })
    }
}

/// The names recorded in `schema`'s migrations table (`pgmigrations`), in order; empty when it has none.
pub fn recorded(client: &mut Client, schema: &str) -> Vec<String> {
    column_if_table(client, schema, "pgmigrations", "name", "ORDER BY id")
}

/// The rows of `schema`'s `applied_log` (the `fleet` fixture's proof of each migration's run), in order.
pub fn logged(client: &mut Client, schema: &str) -> Vec<String> {
    column_if_table(client, schema, "applied_log", "migration", "")
}

/// The text `column` of every row of `schema.table` (`order` appended to the query); empty when the table
/// does not exist.
fn column_if_table(
    client: &mut Client,
    schema: &str,
    table: &str,
    column: &str,
    order: &str,
) -> Vec<String> {
    let table = format!("{}.{table}", crate::quote_ident(schema));
    let exists: bool = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .expect("to_regclass")
        .get(0);
    if !exists {
        return Vec::new();
    }
    client
        .query(&format!("SELECT {column} FROM {table} {order}"), &[])
        .unwrap_or_else(|e| panic!("read {table}: {e}"))
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// The `fleet` fixture's log name of each of its migrations, in order.
pub const LOG_NAMES: [&str; 4] = ["create_items", "add_note", "index_name", "drop_note"];

/// A fleet command's `--json` report, or a panic showing what it printed instead.
pub fn json(run: &crate::cli::Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\nstderr:\n{}", run.stdout, run.stderr))
}

/// `name=state` of every target of a fleet report, in its order.
pub fn states(report: &serde_json::Value) -> Vec<String> {
    report["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| {
            format!(
                "{}={}",
                t["name"].as_str().unwrap(),
                t["state"].as_str().unwrap()
            )
        })
        .collect()
}
