//! The data checks of a review ([`migrate_core::production::preconditions`]): on production, over a session
//! the guard has checked, each pending statement's built-in check and each migration's own preconditions,
//! added to the review as findings.

use anyhow::{Context as _, Result};
use migrate_core::production::{self, preconditions};
use migrate_core::review::Review;
use migrate_core::{Direction, Migrator};
use migrate_dsl::Action;

use crate::settings::Settings;

/// Runs the checks on production at `url` (refused when the session could write, unless `allow_writable`).
pub(super) fn check(
    settings: &Settings,
    migrator: &Migrator<'_>,
    url: &str,
    allow_writable: bool,
    review: &mut Review,
) -> Result<()> {
    let target = crate::connect::resolve(Some(url))
        .context("the URL of production (--production-url or [review] production_url)")?;
    let shown = target.display.clone();
    let mut client = target
        .connect(settings.connect_timeout)
        .context("production (--production-url or [review] production_url)")?;
    let at = |e: production::ProductionError| anyhow::anyhow!("production at {shown}: {e}");
    production::connect(&mut client, allow_writable).map_err(at)?;
    let own = own_preconditions(migrator, review)?;
    preconditions::check_review(&mut client, review, &own, preconditions::DATA_CHECK_TIMEOUT)
        .map_err(at)
}

/// Each reviewed migration's own preconditions (`pgm.precondition(..)`).
fn own_preconditions(
    migrator: &Migrator<'_>,
    review: &Review,
) -> Result<Vec<preconditions::OwnPreconditions>> {
    let mut all = Vec::new();
    for reviewed in &review.migrations {
        let Some(m) = migrator
            .migrations()
            .iter()
            .find(|m| m.name() == reviewed.name)
        else {
            continue;
        };
        let step = migrate_core::plan::Step::new(m, Direction::Up)?;
        let own: Vec<(String, String)> = step
            .statements()
            .iter()
            .filter_map(|s| match &s.action {
                Some(Action::Precondition(p)) => Some((p.name().to_owned(), p.sql().to_owned())),
                _ => None,
            })
            .collect();
        if !own.is_empty() {
            all.push(preconditions::OwnPreconditions {
                migration: reviewed.name.clone(),
                preconditions: own,
            });
        }
    }
    Ok(all)
}
