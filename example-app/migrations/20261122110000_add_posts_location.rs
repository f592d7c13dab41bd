//! Replace `posts.lat`/`lng` with one `location` (a `point`), step 1 of 3: add the column.
//!
//! Schema only: nullable and without a default, so adding it only touches the catalog. Then deploy the
//! app version that writes both `lat`/`lng` and `location` (phase `v3`) everywhere, before the backfill:
//! a post written by an older version after the backfill would never get a `location`.
//!
//! A point's x is the longitude and its y the latitude: `point(lng, lat)`, read back as `location[0]`
//! (lng) and `location[1]` (lat).
//!
//! App phases: `v2` (ignores the column) and `v3`.

use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {
    pgm.add_columns("posts", [column("location", "point")]);
}
// No `down`: the column is dropped.
