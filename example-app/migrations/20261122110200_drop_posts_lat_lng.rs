//! Replace `posts.lat`/`lng` with `location`, step 3 of 3: contract. Deploy only when every running app
//! reads and writes `location` alone (phase `v4`); `v3` stops working here.
//!
//! Dropping columns only changes the catalog (instant, with a brief `ACCESS EXCLUSIVE` lock that the
//! lock timeout bounds); the check that keeps the two together goes with them. `down` restores the columns
//! from `location`, and the check, in one transaction: fine for an emergency revert of a small table.

use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {
    pgm.contract("drops posts.lat/lng, which app phase v3 writes: run it once no v3 is serving");
    pgm.drop_columns("posts", ["lat", "lng"]);
}

pub fn down(pgm: &mut MigrationBuilder) {
    pgm.add_columns(
        "posts",
        [
            column("lat", "double precision"),
            column("lng", "double precision"),
        ],
    );
    pgm.sql("UPDATE posts SET lat = location[1], lng = location[0] WHERE location IS NOT NULL");
    pgm.sql("ALTER TABLE posts ADD CONSTRAINT posts_lat_lng_together CHECK ((lat IS NULL) = (lng IS NULL))");
}
