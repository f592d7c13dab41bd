//! Fleet runs: each `up` and `down` over a fleet has an id, and every target it visits records what the run
//! did there (`<table>_runs`, see [`crate::history::RunRecord`]). From those records alone, read on the
//! targets, `fleet runs` lists what recent runs did, and `fleet down --run ID` reverts exactly what one run
//! applied, target by target.

use postgres::GenericClient;

use crate::error::Error;
use crate::history::{self, MigrationsTable, RunRecord};

use super::error::FleetError;

/// The longest run id accepted (a CI job's id fits; a run id is a key, not a description).
pub const MAX_RUN_ID_BYTES: usize = 100;

/// A new run id: the UTC time it started and four random hex digits, e.g. `20261202-153700-7f3a`, so that ids
/// sort by start and two runs started in the same second differ.
pub fn new_run_id() -> String {
    format!(
        "{}-{:04x}",
        chrono::Utc::now().format("%Y%m%d-%H%M%S"),
        fastrand::u16(..)
    )
}

/// Refuses a run id given by hand (`--run-id`) that is empty, longer than [`MAX_RUN_ID_BYTES`], or holds
/// spaces or control characters (it is printed, passed on command lines and matched exactly).
pub fn check_run_id(id: &str) -> Result<(), FleetError> {
    let problem = if id.is_empty() {
        Some("it is empty")
    } else if id.len() > MAX_RUN_ID_BYTES {
        Some("it is longer than 100 bytes")
    } else if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("it holds a space or a control character")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(FleetError::RunId {
            id: id.to_owned(),
            problem,
        }),
        None => Ok(()),
    }
}

/// The target's runs, newest first, at most `limit` (none when it has no record of a run).
pub fn read_runs(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    limit: i64,
) -> Result<Vec<RunRecord>, Error> {
    history::runs::load(client, table, limit)
}

/// Run `id`'s record on the target, if the run visited it.
pub fn read_run(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    id: &str,
) -> Result<Option<RunRecord>, Error> {
    history::runs::load_one(client, table, id)
}

/// What reverting a run does on one target, read from its records.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RevertPlan {
    /// The run's migrations still applied here, newest application first: what `fleet down --run` reverts.
    pub run: Vec<String>,
    /// Migrations applied here after the run's (by a later run, or outside any): reverting the run's under
    /// them would leave them on top of what they may need, so they are refused unless forced, and then
    /// reverted first. Newest application first.
    pub later: Vec<String>,
    /// The later runs that applied them, as far as the records tell.
    pub later_runs: Vec<String>,
    /// The run's migrations reverted since (by a later run): left as they are.
    pub gone: Vec<String>,
    /// An `up` stopped part-way here (the journal), undone first: the run's own when the run did not end
    /// and no later run visited the target, else a later change.
    pub in_progress: Option<String>,
}

impl RevertPlan {
    /// How many applied migrations (and a part-way one) `down` reverts: the run's, and with `force` the later
    /// ones above them.
    pub fn count(&self) -> usize {
        self.run.len() + self.later.len() + usize::from(self.in_progress.is_some())
    }
}

/// What reverting run `id` would do on the target whose migrations table is `table`: `None` when the run did
/// not visit it (or left no record there).
pub fn revert_plan(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    id: &str,
) -> Result<Option<RevertPlan>, Error> {
    let Some(record) = history::runs::load_one(client, table, id)? else {
        return Ok(None);
    };
    let later_records = history::runs::load_after(client, table, record.started)?;
    let applied = applied_newest_first(client, table)?;
    let in_progress = history::journal::load_all(client, table)?
        .into_iter()
        .find(|row| row.direction == crate::Direction::Up)
        .map(|row| row.name);
    Ok(Some(plan_of(&record, &later_records, &applied, in_progress)))
}

/// [`revert_plan`] from what was read: the run's record, the records of the runs after it, the applied
/// migrations newest application first, and the migration an `up` stopped part-way, if any.
pub(crate) fn plan_of(
    record: &RunRecord,
    later_records: &[RunRecord],
    applied: &[String],
    in_progress: Option<String>,
) -> RevertPlan {
    let ran = record.applied();
    // The deepest of the run's migrations still applied: everything above it goes with it.
    let depth = applied
        .iter()
        .rposition(|name| ran.contains(&name.as_str()))
        .map_or(0, |i| i + 1);
    let (run, mut later): (Vec<String>, Vec<String>) = applied[..depth]
        .iter()
        .cloned()
        .partition(|name| ran.contains(&name.as_str()));
    let gone = ran
        .iter()
        .filter(|name| !applied.iter().any(|a| a == *name))
        .map(|name| (*name).to_owned())
        .collect();
    let mut later_runs: Vec<String> = later_records
        .iter()
        .filter(|r| r.applied().iter().any(|n| later.iter().any(|l| l == n)))
        .map(|r| r.id.clone())
        .collect();
    // A part-way `up` is the newest change. It is the run's own when the run did not end cleanly and nothing
    // visited the target since; else it is a later change.
    let mut own_part = None;
    if let Some(name) = in_progress {
        if record.outcome.as_deref() != Some("done") && later_records.is_empty() {
            own_part = Some(name);
        } else if !run.is_empty() {
            later.insert(0, name);
            later_runs.extend(later_records.iter().map(|r| r.id.clone()));
        }
    }
    later_runs.sort();
    later_runs.dedup();
    RevertPlan {
        run,
        later,
        later_runs,
        gone,
        in_progress: own_part,
    }
}

/// The applied migrations, newest application first (none when the table does not exist).
fn applied_newest_first(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<Vec<String>, Error> {
    if !history::exists(client, table)? {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            &format!("SELECT name::text FROM {} ORDER BY id DESC", table.quoted()),
            &[],
        )
        .map_err(Error::database(format!("cannot read the migrations table {table}")))?;
    rows.iter()
        .map(|r| r.try_get(0))
        .collect::<Result<Vec<String>, _>>()
        .map_err(Error::database(format!("cannot read the migrations table {table}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::RunChange;
    use crate::Direction;
    use chrono::{Duration, Utc};

    fn record(id: &str, outcome: Option<&str>, applied: &[&str], minutes: i64) -> RunRecord {
        let started = Utc::now() + Duration::minutes(minutes);
        RunRecord {
            id: id.to_owned(),
            command: "up".to_owned(),
            reverts: None,
            started,
            ended: None,
            outcome: outcome.map(str::to_owned),
            error: None,
            changes: applied
                .iter()
                .map(|name| RunChange {
                    name: (*name).to_owned(),
                    direction: Direction::Up,
                    at: started,
                })
                .collect(),
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn the_runs_migrations_still_applied_are_reverted_and_what_lies_on_top_is_later() {
        let run = record("r1", Some("done"), &["m2", "m3"], 0);
        // Nothing since: exactly the run's, newest first.
        let plan = plan_of(&run, &[], &names(&["m3", "m2", "m1"]), None);
        assert_eq!(plan.run, ["m3", "m2"]);
        assert!(plan.later.is_empty());
        assert_eq!(plan.count(), 2);
        // A later run applied m4 on top: later, named with its run.
        let r2 = record("r2", Some("done"), &["m4"], 1);
        let plan = plan_of(&run, std::slice::from_ref(&r2), &names(&["m4", "m3", "m2", "m1"]), None);
        assert_eq!((plan.run.clone(), plan.later.clone()), (names(&["m3", "m2"]), names(&["m4"])));
        assert_eq!(plan.later_runs, ["r2"]);
        assert_eq!(plan.count(), 3);
        // m3 reverted since: only m2 is left of the run's, and nothing lies on it.
        let plan = plan_of(&run, &[], &names(&["m2", "m1"]), None);
        assert_eq!((plan.run.clone(), plan.gone.clone()), (names(&["m2"]), names(&["m3"])));
        assert_eq!(plan.count(), 1);
        // Everything the run applied is gone: nothing to do, even under a later change.
        let plan = plan_of(&run, &[r2], &names(&["m4", "m1"]), None);
        assert_eq!(plan.count(), 0);
    }

    #[test]
    fn a_part_way_migration_is_the_runs_own_only_when_the_run_did_not_end_and_nothing_came_since() {
        let killed = record("r1", None, &["m2"], 0);
        let plan = plan_of(&killed, &[], &names(&["m2", "m1"]), Some("m3".to_owned()));
        assert_eq!(plan.in_progress.as_deref(), Some("m3"));
        assert!(plan.later.is_empty());
        assert_eq!(plan.count(), 2);
        // The run ended cleanly: the part-way migration is someone else's, on top of the run's.
        let done = record("r1", Some("done"), &["m2"], 0);
        let plan = plan_of(&done, &[], &names(&["m2", "m1"]), Some("m3".to_owned()));
        assert_eq!(plan.in_progress, None);
        assert_eq!(plan.later, ["m3"]);
        // A later run visited: its part-way migration, named with it.
        let r2 = record("r2", None, &[], 1);
        let plan = plan_of(&killed, &[r2], &names(&["m2", "m1"]), Some("m3".to_owned()));
        assert_eq!(plan.later, ["m3"]);
        assert_eq!(plan.later_runs, ["r2"]);
    }

    #[test]
    fn run_ids_given_by_hand_are_checked_and_new_ones_sort_by_time() {
        assert!(check_run_id("deploy-1234").is_ok());
        for bad in ["", "two words", "tab\there", &"x".repeat(101)] {
            assert!(check_run_id(bad).is_err(), "{bad:?}");
        }
        let id = new_run_id();
        assert_eq!(id.len(), "20261202-160501-7f3a".len(), "{id}");
        assert!(check_run_id(&id).is_ok());
    }
}
