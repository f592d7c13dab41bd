//! Background jobs over a fleet: each target's queued jobs worked on a session of the target's own (a schema
//! target's `search_path`, its own jobs table), and each target's jobs listed.

use super::*;
use crate::jobs::{Job, WorkOptions, WorkReport};

impl<'a> Fleet<'a, '_> {
    /// Works every target's background jobs ([`Migrator::work`]) with `options`, as many targets at once as the
    /// parallel limits allow, one worker each; `each` gets each target's report (or why it could not be
    /// worked), from the workers' threads, as each ends. Workers share a job's batches through the target's
    /// own tables, so several `work` runs (or a fleet's and a single `work`) can go at once. A stop request
    /// (or the time budget) lets each running worker commit its batch and stop; a target not started is
    /// reported as not worked. `options.budget` is the whole run's: a target started later gets what is left
    /// of it, and none starts once it is spent.
    pub fn work(
        &self,
        options: &WorkOptions,
        stop: &Stop,
        events: &(dyn Fn(FleetEvent<'_>) + Sync),
        each: &(dyn Fn(usize, Result<WorkReport, TargetError>) + Sync),
    ) {
        let pool = Pool::new(self.options.parallel);
        let deadline = options.budget.map(|budget| Instant::now() + budget);
        let work = |i: usize| {
            let mut options = options.clone();
            if let Some(deadline) = deadline {
                options.budget = Some(deadline.saturating_duration_since(Instant::now()));
            }
            let result = match options.budget {
                Some(left) if left.is_zero() => Ok(WorkReport {
                    stopped: Some("the time budget was spent before this target started".to_owned()),
                    ..WorkReport::default()
                }),
                _ => self.work_one(&pool, i, &options, stop, events),
            };
            let failed = result.is_err();
            each(i, result);
            Attempt::Finished { result: (), failed }
        };
        let outcome = schedule::run(&self.read_plan(), stop, &|_| {}, &work);
        for (i, slot) in outcome.slots.into_iter().enumerate() {
            match slot {
                Slot::Ran(()) => {}
                Slot::Panicked(message) => each(i, Err(TargetError::message(format!("panicked: {message}")))),
                _ => each(
                    i,
                    Err(TargetError::message("not worked: the run was stopped first".to_owned())),
                ),
            }
        }
    }

    /// Every target's background jobs, read without a lock; `each` gets them (or why they could not be read)
    /// from the workers' threads.
    pub fn jobs(&self, stop: &Stop, each: &(dyn Fn(usize, Result<Vec<Job>, TargetError>) + Sync)) {
        self.read_each(stop, &|i, session| {
            each(
                i,
                session.and_then(|s| {
                    self.migrator
                        .clone()
                        .table(s.table.clone())
                        .jobs(s.client)
                        .map_err(|e| TargetError::of(&e))
                }),
            );
        });
    }

    fn work_one(
        &self,
        pool: &Pool,
        i: usize,
        options: &WorkOptions,
        stop: &Stop,
        events: &(dyn Fn(FleetEvent<'_>) + Sync),
    ) -> Result<WorkReport, TargetError> {
        let t = &self.targets[i];
        events(FleetEvent::Started { index: i, target: t });
        let (table, session) = self.open_target(pool, t).map_err(|(e, _)| e)?;
        let Pooled {
            mut client,
            cancel,
            notices,
            prepared,
            ..
        } = session;
        let interrupt = Interrupt::new();
        let running = stop.register(i, &interrupt, Arc::clone(&cancel));
        let migrator = self
            .migrator
            .clone()
            .table(table.clone())
            .interrupt(interrupt.clone())
            .notices(notices.clone());
        let mut forward = Forward {
            index: i,
            target: t,
            events,
            ran: Vec::new(),
        };
        let result = schema_search_path(&mut client, t, &self.options.search_path, prepared)
            .and_then(|()| {
                // Migrations named are looked for on each target: one that queued nothing here leaves
                // nothing to do here, not an error.
                let mut options = options.clone();
                if !options.migrations.is_empty() {
                    let jobs = migrator.jobs(&mut client)?;
                    options.migrations.retain(|m| {
                        jobs.iter().any(|j| {
                            j.migration == *m || j.migration.strip_prefix(m.as_str()).is_some_and(|r| r.starts_with('_'))
                        })
                    });
                    if options.migrations.is_empty() {
                        return Ok(WorkReport::default());
                    }
                }
                migrator.work(&mut client, &options, &mut |e| forward.event(e))
            });
        drop(running);
        match result {
            Ok(report) => {
                pool.checkin(
                    t,
                    Pooled {
                        client,
                        cancel,
                        notices,
                        prepared: false,
                        pid: None,
                    },
                );
                Ok(report)
            }
            Err(e) => Err(failed(&e, client.is_closed(), &interrupt, Instant::now()).0),
        }
    }
}
