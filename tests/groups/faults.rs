//! Faults, servers and fleets: crashes, kills, signals, server versions, poolers, standbys, TLS, many tenants,
//! and extensions of the local server (pg_partman).
//!
//! Each module is one file of `tests/tests` (kept there, so its snapshots stay in `tests/tests/snapshots`).

#[path = "../tests/connection.rs"]
mod connection;
#[path = "../tests/crash.rs"]
mod crash;
#[path = "../tests/faults.rs"]
mod faults;
#[path = "../tests/fleet.rs"]
mod fleet;
#[path = "../tests/fleet_guards.rs"]
mod fleet_guards;
#[path = "../tests/fleet_jobs.rs"]
mod fleet_jobs;
#[path = "../tests/fleet_runs.rs"]
mod fleet_runs;
#[path = "../tests/fleet_status.rs"]
mod fleet_status;
#[path = "../tests/fleet_waves.rs"]
mod fleet_waves;
#[path = "../tests/newer_server.rs"]
mod newer_server;
#[path = "../tests/partman.rs"]
mod partman;
#[path = "../tests/pooler.rs"]
mod pooler;
#[path = "../tests/replicas.rs"]
mod replicas;
#[path = "../tests/resume.rs"]
mod resume;
#[path = "../tests/server_version.rs"]
mod server_version;
#[path = "../tests/signals.rs"]
mod signals;
#[path = "../tests/tls.rs"]
mod tls;
#[path = "../tests/tls_matrix.rs"]
mod tls_matrix;
