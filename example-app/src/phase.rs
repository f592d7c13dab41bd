//! App phases: the versions of the app that a team deploys one after another while the schema changes
//! under them. Each phase knows which columns it reads and writes, and so which migrations it needs and
//! which ones retire it. Run two phases side by side between migrations to see both keep working.

use std::collections::BTreeSet;
use std::fmt;

/// One deployed version of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Phase {
    /// Reads and writes `comments.contents` and `posts.lat`/`lng`: the first version.
    V1,
    /// Reads and writes `comments.body` (the trigger keeps `contents` in step for v1).
    V2,
    /// Also writes `posts.location` next to `lat`/`lng`, and reads `location` where it is set.
    V3,
    /// Reads and writes `posts.location` only: the newest version.
    V4,
}

impl Phase {
    pub const ALL: [Phase; 4] = [Phase::V1, Phase::V2, Phase::V3, Phase::V4];

    /// The newest version; what runs unless told otherwise.
    pub const NEWEST: Phase = Phase::V4;

    /// `v1` .. `v4`, as given to `--phase`.
    pub fn name(self) -> &'static str {
        match self {
            Phase::V1 => "v1",
            Phase::V2 => "v2",
            Phase::V3 => "v3",
            Phase::V4 => "v4",
        }
    }

    /// What this version reads and writes, for the page footer and start-up message.
    pub fn describe(self) -> &'static str {
        match self {
            Phase::V1 => "comments.contents; posts.lat/lng",
            Phase::V2 => "comments.body; posts.lat/lng",
            Phase::V3 => "comments.body; posts.lat/lng and posts.location (writes both)",
            Phase::V4 => "comments.body; posts.location",
        }
    }

    /// The last migration this version needs applied: the columns it reads must exist and be filled.
    pub fn requires(self) -> &'static str {
        match self {
            Phase::V1 => "20261122090000_create_posts_and_comments",
            // Reads `body`, so old comments must have been backfilled.
            Phase::V2 => "20261122100000_expand_comments_body",
            // Writes `location`.
            Phase::V3 => "20261122110000_add_posts_location",
            // Reads only `location`, so old posts must have been backfilled.
            Phase::V4 => "20261122110100_backfill_posts_location",
        }
    }

    /// The first migration this version cannot run after, with the reason; `None` for the newest.
    pub fn retired_by(self) -> Option<(&'static str, &'static str)> {
        match self {
            Phase::V1 => Some((
                "20261122100400_contract_comments_contents",
                "it drops comments.contents, which v1 reads and writes",
            )),
            Phase::V2 => Some((
                "20261122110100_backfill_posts_location",
                "after the location backfill every post must get a location, which v2 does not write",
            )),
            Phase::V3 => Some((
                "20261122110200_drop_posts_lat_lng",
                "it drops posts.lat/lng, which v3 writes",
            )),
            Phase::V4 => None,
        }
    }

    /// Whether this version works on a database where exactly `applied` migrations ran; the error says
    /// why not and what to do.
    pub fn check(self, applied: &BTreeSet<String>) -> Result<(), String> {
        if let Some((name, why)) = self.retired_by() {
            if applied.contains(name) {
                return Err(format!(
                    "app phase {self} cannot run on this database: {name} is applied and {why}; \
                     run a newer phase (--phase), or revert with `cargo run -p migrate-cli -- down --to <earlier migration>`"
                ));
            }
        }
        let needed = self.requires();
        if !applied.contains(needed) {
            return Err(format!(
                "app phase {self} needs {needed}, which is pending; run with --migrate, \
                 or `cargo run -p migrate-cli -- up --to {needed}`"
            ));
        }
        Ok(())
    }

    /// The phases that can run on a database where exactly `applied` migrations ran.
    pub fn supported(applied: &BTreeSet<String>) -> Vec<Phase> {
        Phase::ALL
            .into_iter()
            .filter(|p| p.check(applied).is_ok())
            .collect()
    }

    /// The phase the contract migration `name` retires, if it retires one.
    pub fn retired_by_migration(name: &str) -> Option<Phase> {
        Phase::ALL
            .into_iter()
            .find(|p| p.retired_by().is_some_and(|(m, _)| m == name))
    }

    /// The newest migration of `migrations` (names in order) that this version can run after: what
    /// `--migrate` applies up to on a database no phase can run on yet. `None` means all of them.
    pub fn migrate_up_to<'a>(self, migrations: &[&'a str]) -> Option<&'a str> {
        let (retired_by, _) = self.retired_by()?;
        let at = migrations.iter().position(|m| *m == retired_by)?;
        // The migration just before the one that retires this phase. `requires` always comes earlier.
        at.checked_sub(1).map(|i| migrations[i])
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<&'static str> {
        crate::migrations::MIGRATIONS
            .iter()
            .map(|m| m.name())
            .collect()
    }

    #[test]
    fn every_named_migration_exists_and_phases_overlap() {
        let names = names();
        let pos = |n: &str| names.iter().position(|m| *m == n).expect(n);
        for phase in Phase::ALL {
            let needs = pos(phase.requires());
            if let Some((retired, _)) = phase.retired_by() {
                assert!(pos(retired) > needs, "{phase}");
            }
        }
        // Between two consecutive phases there is a window where both run: the newer one's requirement
        // comes before the older one's retirement.
        for pair in Phase::ALL.windows(2) {
            let (retired, _) = pair[0].retired_by().unwrap();
            assert!(
                pos(pair[1].requires()) < pos(retired),
                "{} and {}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn migrate_stops_before_the_migration_that_retires_the_phase() {
        let names = names();
        assert_eq!(
            Phase::V1.migrate_up_to(&names),
            Some("20261122100000_expand_comments_body")
        );
        assert_eq!(Phase::V4.migrate_up_to(&names), None);
    }

    /// The deploy phases and the app phases tell the same story: every migration that retires an app phase
    /// is marked contract (so a replica's `--migrate` never applies it), and every contract retires one.
    #[test]
    fn the_contracts_are_exactly_the_migrations_that_retire_a_phase() {
        let contracts: Vec<&str> = crate::migrations::MIGRATIONS
            .iter()
            .filter(|m| m.contract().is_some())
            .map(|m| m.name())
            .collect();
        let retiring: Vec<&str> = Phase::ALL
            .iter()
            .filter_map(|p| p.retired_by())
            .map(|(m, _)| m)
            .collect();
        assert_eq!(contracts, retiring);
    }

    #[test]
    fn check_explains_both_ways_to_fail() {
        let applied: BTreeSet<String> = names().iter().map(|s| s.to_string()).collect();
        assert!(Phase::V1
            .check(&applied)
            .unwrap_err()
            .contains("drops comments.contents"));
        assert!(Phase::V4.check(&applied).is_ok());
        assert!(Phase::V4
            .check(&BTreeSet::new())
            .unwrap_err()
            .contains("pending; run with --migrate"));
    }
}
