//! The checks `Fleet::new` makes of the target list before anything runs, and what they gather: each target's
//! name filled in, its server's number, the canary's targets.

use std::collections::HashMap;

use super::super::target::Location;
use super::*;

/// A target's name for messages before names are filled in.
pub(super) fn shown_name(t: &Target) -> String {
    if !t.name.is_empty() {
        return t.name.clone();
    }
    match (&t.schema, &t.url) {
        (Some(schema), None) => schema.clone(),
        (_, Some(_)) => format!(
            "{}{}",
            "the database of a URL",
            t.schema
                .as_deref()
                .map(|s| format!(", schema {s}"))
                .unwrap_or_default()
        ),
        (None, None) => "the default database".to_owned(),
    }
}

/// Refuses a limit of zero targets at once, in all or per server: nothing would ever run.
pub(super) fn check_limits(options: &FleetOptions) -> Result<(), FleetError> {
    if options.parallel == 0 {
        return Err(FleetError::Zero { what: "parallel" });
    }
    if options.per_server == 0 {
        return Err(FleetError::Zero {
            what: "per-server parallel",
        });
    }
    Ok(())
}

/// Refuses a schema target whose schema name cannot name its migrations table.
pub(super) fn check_schema(t: &Target, table: &MigrationsTable) -> Result<(), FleetError> {
    if let Some(schema) = &t.schema {
        if let Err(e) = t.migrations_table(table) {
            return Err(FleetError::Schema {
                target: shown_name(t),
                schema: schema.clone(),
                reason: e.to_string(),
            });
        }
    }
    Ok(())
}

/// Fills in an empty name: the schema for a schema of the default database, else `server/database[/schema]`.
pub(super) fn fill_in_name(t: &mut Target, location: &Location) {
    if t.name.is_empty() {
        t.name = match (&t.schema, &t.url) {
            (Some(schema), None) => schema.clone(),
            (schema, _) => format!(
                "{}/{}{}",
                location.server,
                location.database,
                schema
                    .as_deref()
                    .map(|s| format!("/{s}"))
                    .unwrap_or_default()
            ),
        };
    }
}

/// A target's place: its server, database and schema. Two targets at one place are the same target.
type Place = (String, String, Option<String>);

/// Where the fleet's targets are, gathered as the list is checked: the first target at each place, and a
/// number for each server (in the order servers first appear), for the per-server budget.
#[derive(Default)]
pub(super) struct Places {
    seen: HashMap<Place, usize>,
    server_numbers: HashMap<String, usize>,
    /// The server number of each target added so far.
    pub(super) servers: Vec<usize>,
}

impl Places {
    /// Adds target `i` of `targets`, found at `location`; a target at the place of an earlier one is refused.
    pub(super) fn add(&mut self, targets: &[Target], i: usize, location: Location) -> Result<(), FleetError> {
        let key = (
            location.server.clone(),
            location.database.clone(),
            targets[i].schema.clone(),
        );
        if let Some(&first) = self.seen.get(&key) {
            return Err(FleetError::Duplicate {
                first: targets[first].name.clone(),
                second: targets[i].name.clone(),
                what: described(&key),
            });
        }
        self.seen.insert(key, i);
        let next = self.server_numbers.len();
        self.servers
            .push(*self.server_numbers.entry(location.server).or_insert(next));
        Ok(())
    }
}

/// A place as a message names it.
pub(super) fn described((server, database, schema): &Place) -> String {
    match schema {
        Some(schema) => format!("schema {schema:?} of database {database} on {server}"),
        None => format!("database {database} on {server}"),
    }
}

/// Each target's index by name; two targets of one name are refused.
pub(super) fn name_index(targets: &[Target]) -> Result<HashMap<&str, usize>, FleetError> {
    let mut names: HashMap<&str, usize> = HashMap::new();
    for (i, t) in targets.iter().enumerate() {
        if names.insert(&t.name, i).is_some() {
            return Err(FleetError::DuplicateName {
                name: t.name.clone(),
            });
        }
    }
    Ok(names)
}

/// The canary's targets by index, each once: the first `k` of `count`, or those named (in the order named); a
/// name that is no target's is refused.
pub(super) fn canary_of(
    canary: &Canary,
    names: &HashMap<&str, usize>,
    count: usize,
) -> Result<Vec<usize>, FleetError> {
    Ok(match canary {
        Canary::None => Vec::new(),
        Canary::First(k) => (0..(*k).min(count)).collect(),
        Canary::Named(wanted) => {
            let mut canary = Vec::new();
            for name in wanted {
                let i = *names
                    .get(name.as_str())
                    .ok_or_else(|| FleetError::UnknownCanary { name: name.clone() })?;
                if !canary.contains(&i) {
                    canary.push(i);
                }
            }
            canary
        }
    })
}
