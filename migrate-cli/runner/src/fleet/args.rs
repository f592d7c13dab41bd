//! `migrate fleet ...`: the arguments.

use clap::{Args, Subcommand, ValueEnum};

/// Targets, the parallel limit and the output, shared by every fleet command.
#[derive(Debug, Clone, Default, Args)]
pub struct TargetArgs {
    /// Schemas of the configured database, one target each: `--schemas tenant_1,tenant_2` (repeatable). A
    /// schema target has its migrations table in the schema and runs with search_path set to it.
    #[arg(long, value_name = "SCHEMA,...", value_delimiter = ',')]
    pub schemas: Vec<String>,
    /// Databases, one target each: `--urls URL,URL` (repeatable; a comma starts a new URL only before
    /// `postgres://` or `postgresql://`, so a URL listing several hosts stays whole).
    #[arg(long, value_name = "URL,...")]
    pub urls: Vec<String>,
    /// A query that returns the targets, one row each: columns `url` and/or `schema`, optionally `name`
    /// and `direct_url` (text). Run read-only on --control-url.
    #[arg(long, value_name = "SQL")]
    pub query: Option<String>,
    /// Where --query runs [default: control_url of [fleet] in migrate.toml, else the configured database].
    #[arg(long, value_name = "URL", hide_env_values = true)]
    pub control_url: Option<String>,
    /// Targets run at once [default: 16, or parallel of [fleet]].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(crate::parse::ranges::FLEET_PARALLEL))]
    pub parallel: Option<u64>,
    /// Targets of one server (its databases and schemas) run at once [default: 8, or per_server of [fleet]].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(crate::parse::ranges::FLEET_PARALLEL))]
    pub per_server: Option<u64>,
    /// One JSON object on stdout (every target in `targets`); progress goes to stderr.
    #[arg(long)]
    pub json: bool,
}

/// The canary and the failure policy of `up` and `down`.
#[derive(Debug, Clone, Default, Args)]
pub struct RolloutArgs {
    /// Targets that go first and must all succeed before the others start: the first K targets, or
    /// targets by name (`--canary tenant_1,tenant_9`).
    #[arg(long, value_name = "K|NAME,...")]
    pub canary: Option<String>,
    /// After a failed target: `stop` starts no other target (running ones finish), `continue` goes on
    /// [default: stop, or on_error of [fleet]].
    #[arg(long, value_enum)]
    pub on_error: Option<OnErrorArg>,
    /// With --on-error continue: start no other target once N failed.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(crate::parse::ranges::MAX_FAILURES))]
    pub max_failures: Option<u64>,
}

/// The guards of a single `up`/`down` that a fleet applies per target: backfills' replica lag, and the time
/// budget, which is the whole fleet run's.
#[derive(Debug, Clone, Default, Args)]
pub struct GuardArgs {
    /// Backfills wait before a batch while a standby or replication slot of their target's server is further
    /// behind than this: a size (8MB), a time (10s), both (8MB,10s), or off [default: max_replica_lag in
    /// migrate.toml's [backfill], else 16MB,10s].
    #[arg(long, value_name = "LIMIT", value_parser = crate::parse::parse_lag)]
    pub max_replica_lag: Option<migrate_core::LagLimit>,
    /// A time budget for the whole fleet run, e.g. 30m: once spent, no other target starts, and on every
    /// running target a transactional migration's statement is cancelled and rolled back and a backfill
    /// stops after its current batch (the next run resumes them) [default: max_duration in migrate.toml,
    /// else none].
    #[arg(long, value_name = "DURATION", value_parser = crate::parse::parse_positive_duration)]
    pub max_duration: Option<std::time::Duration>,
}

/// The run's id, recorded on every target with what the run did there.
#[derive(Debug, Clone, Default, Args)]
pub struct RunIdArgs {
    /// This run's id, recorded on every target it visits with what it did there (e.g. the CI job's id; up to
    /// 100 bytes, no spaces) [default: a new one, the UTC time and four hex digits, printed first]. Running
    /// again with the same id goes on with the same record.
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,
}

/// Where a staged rollout's health check runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HealthCheckOn {
    Control,
    Targets,
}

/// The failure policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnErrorArg {
    Stop,
    Continue,
}

#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Apply pending migrations on every target (each under its own lock; resumable: run it again).
    Up(FleetUpArgs),
    /// Revert applied migrations on every target (default: the last one of each).
    Down(FleetDownArgs),
    /// Where every target stands: versions, behind, expanded, problems, unreachable; exit status 5 on a
    /// problem (CHANGED, MISSING FILE, FAILED, OUT OF ORDER, RENAMED), 1 when a target cannot be read.
    Status(FleetStatusArgs),
    /// Compare every target's live schema with the one its applied migrations give (built on a scratch
    /// database once per distinct applied set; a schema target on its schema alone); exit 9 when one drifted.
    Drift(FleetDriftArgs),
    /// Print the SQL that `fleet up` would run, once for each group of targets with the same pending
    /// migrations, changing nothing.
    Sql(FleetSqlArgs),
    /// Recent runs of `fleet up` and `fleet down`, read from the targets' own records: what each changed,
    /// left unchanged, failed on or did not reach; `fleet runs show ID` lists each target.
    Runs(FleetRunsArgs),
    /// Work every target's background jobs (`.in_background()` backfills) in that target's own schema or
    /// database, as many targets at once as --parallel and --per-server allow, until none is left or the
    /// budget is spent.
    Work(FleetWorkArgs),
    /// Every target's background jobs with their progress, and the fleet's total; exit 5 while one is
    /// unfinished with --fail-on-unfinished.
    Jobs(FleetJobsArgs),
}

#[derive(Debug, Args)]
pub struct FleetUpArgs {
    #[command(flatten)]
    pub targets: TargetArgs,
    #[command(flatten)]
    pub rollout: RolloutArgs,
    #[command(flatten)]
    pub guards: GuardArgs,
    #[command(flatten)]
    pub run: RunIdArgs,
    /// Apply pending migrations up to and including this one (targets that have it are done).
    #[arg(long, value_name = "NAME")]
    pub to: Option<String>,
    /// On each target, apply pending migrations up to, not including, its first pending contract.
    #[arg(long, conflicts_with = "to")]
    pub expand_only: bool,
    /// Roll out in waves: each stage is a number of targets or a percentage of the fleet, counted from the
    /// first target, e.g. `1,5%,25%,100%` (the first target, then up to 5% of them, ...; the last stage must
    /// reach every target). A wave starts once the one before it succeeded on every target and the health
    /// check passed.
    #[arg(
        long,
        value_name = "N|P%,...",
        value_delimiter = ',',
        conflicts_with = "canary"
    )]
    pub stages: Vec<String>,
    /// With --stages: SQL that must return true (one row, one boolean column) after each wave, or the rollout
    /// stops before the next one; run read-only on --control-url (see --health-check-on).
    #[arg(long, value_name = "SQL", requires = "stages")]
    pub health_check: Option<String>,
    /// Where --health-check runs: `control` (--control-url, else control_url of [fleet], else the
    /// configured database) or `targets` (every target rolled out so far, in its own schema or database).
    #[arg(long, value_enum, default_value_t = HealthCheckOn::Control, requires = "health_check")]
    pub health_check_on: HealthCheckOn,
    /// With --stages: wait this long after each wave before its health check (the app's errors show up),
    /// e.g. 5m.
    #[arg(long, value_name = "DURATION", requires = "stages", value_parser = crate::parse::parse_duration)]
    pub pause_between: Option<std::time::Duration>,
    /// Continue this migration on the targets where it is marked as failed part-way (a raw statement that
    /// failed): clear the mark and run it again from the statement that failed. Repeat for several.
    #[arg(long, value_name = "NAME")]
    pub retry: Vec<String>,
}

#[derive(Debug, Args)]
pub struct FleetDownArgs {
    #[command(flatten)]
    pub targets: TargetArgs,
    #[command(flatten)]
    pub rollout: RolloutArgs,
    #[command(flatten)]
    pub guards: GuardArgs,
    #[command(flatten)]
    pub run: RunIdArgs,
    /// Revert the last N applied migrations of each target.
    #[arg(value_parser = clap::value_parser!(u64).range(1..), conflicts_with_all = ["to", "all", "revert_run"])]
    pub count: Option<u64>,
    /// Revert every migration applied after this one (targets with nothing after it are done).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["all", "revert_run"])]
    pub to: Option<String>,
    /// Revert every applied migration.
    #[arg(long, conflicts_with = "revert_run")]
    pub all: bool,
    /// Revert exactly what run ID applied, on each target as its record there says, newest first; targets the
    /// run did not change are left as they are. Checked on every target before anything is reverted: a
    /// target where migrations were applied after the run's is refused and named.
    #[arg(long = "run", value_name = "ID")]
    pub revert_run: Option<String>,
    /// With --run: on a target where migrations were applied after the run's, revert those first (they are
    /// listed before anything is reverted).
    #[arg(long, requires = "revert_run")]
    pub force_later: bool,
    /// Revert migrations this binary has no file for (a newer release applied them, and the app was rolled
    /// back) with the `down` each target's row recorded when it was applied, rendered by that release.
    #[arg(long)]
    pub recorded: bool,
}

#[derive(Debug, Args)]
pub struct FleetWorkArgs {
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Stop after this long (each running worker after its batch in progress); the next run goes on from
    /// there. Default: until no job is left on any target.
    #[arg(long, value_name = "DURATION", value_parser = crate::parse::parse_positive_duration)]
    pub budget: Option<std::time::Duration>,
    /// Only the jobs this migration queued (on the targets that have such jobs). Repeatable.
    #[arg(long = "migration", value_name = "NAME")]
    pub migrations: Vec<String>,
    /// The workers' name in the batches they commit (default: host:pid).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct FleetJobsArgs {
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Exit with status 5 while a target has a job that is not finished (a gate that the fleet's
    /// backfills are done).
    #[arg(long)]
    pub fail_on_unfinished: bool,
}

#[derive(Debug, Args)]
pub struct FleetRunsArgs {
    #[command(flatten)]
    pub targets: TargetArgs,
    /// The runs listed, newest first.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub limit: u64,
    #[command(subcommand)]
    pub show: Option<RunsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// Each target and what run ID did there: the migrations it applied or reverted and when, how it ended
    /// (or that it did not reach the target).
    Show {
        /// The run's id, as `fleet up`/`fleet down` printed it.
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct FleetStatusArgs {
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Also exit with status 5 when a target has pending migrations (a gate that every target is current).
    #[arg(long)]
    pub fail_on_pending: bool,
}

#[derive(Debug, Args)]
pub struct FleetDriftArgs {
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Leave out objects whose `kind name` matches, `*` for any run of characters; adds to drift_ignore in
    /// migrate.toml. Repeatable.
    #[arg(long, value_name = "PATTERN")]
    pub ignore: Vec<String>,
}

#[derive(Debug, Args)]
pub struct FleetSqlArgs {
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Only the migrations before each target's first pending contract.
    #[arg(long)]
    pub expand_only: bool,
}

/// `--urls` values: each split at the commas that start another URL.
pub fn split_urls(values: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for value in values {
        let mut rest = value.as_str();
        loop {
            let next = ["postgres://", "postgresql://"]
                .iter()
                .filter_map(|scheme| rest.find(&format!(",{scheme}")))
                .min();
            match next {
                Some(at) => {
                    out.push(rest[..at].trim().to_owned());
                    rest = &rest[at + 1..];
                }
                None => {
                    out.push(rest.trim().to_owned());
                    break;
                }
            }
        }
    }
    out.retain(|u| !u.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::split_urls;

    #[test]
    fn urls_split_where_a_new_url_starts() {
        assert_eq!(
            split_urls(&[
                "postgres://a/x,postgresql://b:1,c:2/y".to_owned(),
                "postgres://d/z".to_owned()
            ]),
            ["postgres://a/x", "postgresql://b:1,c:2/y", "postgres://d/z"]
        );
    }
}
