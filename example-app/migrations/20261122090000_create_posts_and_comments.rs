//! The first schema: posts with a location stored as latitude/longitude, and their comments.
//!
//! No `down`: every operation here has an exact reverse (the index, then the tables, are dropped).

use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {
    pgm.create_table(
        "posts",
        [
            column("id", "bigserial").primary_key(),
            column("title", "text").not_null(),
            column("lat", "double precision"),
            column("lng", "double precision"),
            column("created_at", "timestamptz").not_null().default(expr("now()")),
        ],
    );
    pgm.create_table(
        "comments",
        [
            column("id", "bigserial").primary_key(),
            column("post_id", "bigint").not_null().references("posts").on_delete(FkAction::Cascade),
            column("contents", "text").not_null(),
            column("created_at", "timestamptz").not_null().default(expr("now()")),
        ],
    );
    pgm.create_index("comments", ["post_id"]);
}
