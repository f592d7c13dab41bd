//! Comments get an edit time, which can never be earlier than the comment itself.
use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {
    pgm.add_columns("comments", [column("edited_at", "timestamptz")]);
    let after_writing = Constraint::check("edited_at >= created_at");
    pgm.add_constraint("comments", None, after_writing)
        .not_valid();
}
// No `down`: it is derived (drop the constraint, then the column).
