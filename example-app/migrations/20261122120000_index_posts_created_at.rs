//! The page lists the newest posts first; an index on `posts.created_at` keeps that fast as posts grow.
//!
//! Built `CONCURRENTLY`: a plain `CREATE INDEX` holds a `SHARE` lock for the whole build, blocking every
//! insert into `posts`. A concurrent build lets writes go on; it cannot run in a transaction, so the
//! runner applies this migration outside one. If it fails half-way, the invalid index it leaves is
//! dropped by the runner, so a rerun starts clean.
//!
//! App phases: `v4`.

use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {
    pgm.create_index("posts", ["created_at"]).concurrently();
}
// No `down`: the index is dropped concurrently.
