//! The first schema: posts with a location stored as latitude/longitude, and their comments.
//!
//! A post has both coordinates or neither, as the app writes them; the check says so, so that no row can
//! hold a lone one, which `location` (a point, both at once) could not carry when it replaces them.
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
    )
    .constraint(
        "posts_lat_lng_together",
        Constraint::check("(lat IS NULL) = (lng IS NULL)"),
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
