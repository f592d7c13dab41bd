//! One target's `up` or `down`, under its lock.

use super::*;

/// Runs `op` on one target's session, noting in `before` the version the target stood at, read under its lock.
pub(super) fn run_op(
    client: &mut Client,
    migrator: &Migrator<'_>,
    table: &MigrationsTable,
    op: &Op<'_>,
    interrupt: &Interrupt,
    before: &mut Option<String>,
    forward: &mut dyn FnMut(Event<'_>),
) -> Result<(), Error> {
    match op {
        // The target's lock is tried once (another runner holding it means "later", never a wait), and
        // what it stands at is read under it, from the status `up` reads there anyway.
        Op::Up(target) => migrator
            .run_up_chosen(
                client,
                &mut |status| {
                    *before = status
                        .migrations
                        .iter()
                        .filter(|e| e.applied.is_some())
                        .map(|e| e.name.as_str())
                        .max()
                        .map(str::to_owned);
                    match target {
                        // Already there: nothing to do (another runner may have gone past it).
                        UpTarget::To(name)
                            if status
                                .migrations
                                .iter()
                                .any(|e| &e.name == name && e.applied.is_some()) =>
                        {
                            UpTarget::Count(0)
                        }
                        target => (*target).clone(),
                    }
                },
                forward,
            )
            .map(drop),
        // The run's record is read under the target's lock, so nothing changes it between the plan and the
        // reverts.
        Op::Revert { run, force_later } => with_lock(
            client,
            table,
            LockMode::Fail,
            migrator.timeout_settings(),
            interrupt,
            &mut |_| {},
            |client, _| {
                *before = newest(client, table)?;
                let Some(plan) = crate::fleet::revert_plan(client, table, run)? else {
                    return Ok(());
                };
                if !plan.later.is_empty() && !force_later {
                    return Err(Error::RunChangedSince {
                        run: (*run).to_owned(),
                        later: plan.later,
                        later_runs: plan.later_runs,
                    });
                }
                match plan.count() {
                    0 => Ok(()),
                    n => migrator.run_down(client, &DownTarget::Count(n), forward).map(drop),
                }
            },
        ),
        // `down` has no such status: the version is read under a lock of its own, which the run takes
        // again (a session that holds it always gets it).
        Op::Down(target) => with_lock(
            client,
            table,
            LockMode::Fail,
            migrator.timeout_settings(),
            interrupt,
            &mut |_| {},
            |client, _| {
                *before = newest(client, table)?;
                // An `up` stopped part-way (a backfill's committed batches, say) is the newest change, applied
                // or not: `down` undoes it first, even where nothing is applied or the target is reached.
                let in_progress = crate::history::journal::load_all(client, table)?
                    .iter()
                    .any(|row| row.direction == crate::Direction::Up);
                match target {
                    _ if in_progress => migrator.run_down(client, target, forward).map(drop),
                    _ if before.is_none() => Ok(()),
                    DownTarget::To(name) if before.as_deref().is_some_and(|b| b <= name.as_str()) => {
                        Ok(())
                    }
                    target => migrator.run_down(client, target, forward).map(drop),
                }
            },
        ),
    }
}
