//! A fleet: the same migrations applied to many databases, or many schemas of one database (a database or a
//! schema per tenant, shards on several servers), with one report of where every target stands.
//!
//! - `target`: a [`Target`] (a database, or one schema of it) and where it is ([`Location`]);
//! - `connector`: how the engine opens a target's session ([`Connector`]): the CLI resolves URLs, TLS and
//!   the pooler check there; the engine only needs a `postgres::Client`;
//! - `options`: the parallel limit, the per-server budget, the canary and the failure policy ([`FleetOptions`]);
//! - `schedule`: which target runs next: the canary first, each server's budget, targets held by another
//!   runner revisited later, nothing new after a failure (policy) or a stop request;
//! - `pool`: sessions kept between the targets of one database, reset in between;
//! - `run`: one target's `up`, `down`, status or plan, on a session of its own, under that target's lock;
//! - `report`: what happened to each target ([`TargetReport`], [`FleetReport`]) and where it stands
//!   ([`TargetStatus`]);
//! - `stop`: stopping a whole fleet on a signal ([`Stop`]): every running target stops as a single run does;
//! - `runs`: the run ids, each target's record of what a run did there, and what reverting a run does;
//! - `events`: progress ([`FleetEvent`]), the engine's [`Event`](crate::Event)s with the target they are about.
//!
//! Each target is its own unit: its migrations table (`<schema>.<table>` for a schema target, so its lock is
//! its own too), its transactions, its failure marks. Nothing spans targets: a failure on one target rolls
//! back that target's migration only, and no migration is ever undone on the others because of it.

mod connector;
mod error;
mod events;
mod options;
mod pool;
mod report;
mod run;
mod runs;
mod schedule;
mod stop;
mod target;

pub use connector::{ConnectError, Connector, Session, WatchConnect};
pub use error::FleetError;
pub use events::FleetEvent;
pub use options::{Canary, FleetOptions, OnBusy, OnError, DEFAULT_PARALLEL, DEFAULT_PER_SERVER};
pub use report::{
    FleetReport, Phase, StopReason, TargetError, TargetReport, TargetState, TargetStatus,
};
pub use run::{Fleet, TargetSession};
pub use runs::{
    check_run_id, new_run_id, read_run, read_runs, revert_plan, RevertPlan, MAX_RUN_ID_BYTES,
};
pub use crate::history::{RunChange, RunRecord};
pub use stop::Stop;
pub use target::{set_search_path, Location, Target};
