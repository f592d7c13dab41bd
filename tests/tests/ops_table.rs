//! Tables, columns, indexes and constraints: every operation's SQL (forward and reverse) pinned with insta,
//! and run on a real database; reversible ones must restore the catalog exactly.

use migrate_dsl::prelude::*;
use tests::roundtrip::Case;

const POSTS: &str = "CREATE TABLE posts (id bigint PRIMARY KEY, title text, views int)";

#[test]
fn create_table_round_trip() {
    let case = Case::new("CREATE SCHEMA app");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_table(
            ("app", "Posts"),
            [
                column("id", "bigserial").primary_key(),
                column("title", "text").not_null().default("untitled"),
                column("created_at", "timestamptz")
                    .not_null()
                    .default(expr("now()")),
                column("cascade", "boolean").comment("a column named like a keyword"),
            ],
        )
        .comment("posts of the blog");
    }));
}

#[test]
fn rename_table_round_trip() {
    let case = Case::new(POSTS);
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.rename_table("posts", "articles");
    }));
}

#[test]
fn drop_table_is_forward_only() {
    let case = Case::new(POSTS);
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.drop_table("posts").if_exists().cascade();
    }));
}

#[test]
fn add_columns_round_trip() {
    let case = Case::new(POSTS);
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.add_columns(
            "posts",
            [
                column("lat", "double precision"),
                column("author_id", "bigint")
                    .references("posts")
                    .on_delete(FkAction::SetNull),
            ],
        );
    }));
}

#[test]
fn rename_column_round_trip() {
    let case = Case::new(POSTS);
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.rename_column("posts", "title", "headline");
    }));
}

#[test]
fn drop_columns_and_alter_column_are_forward_only() {
    let case = Case::new(POSTS);
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.alter_column("posts", "views")
            .set_type("bigint")
            .using("views::bigint")
            .set_default(0)
            .set_not_null();
        pgm.drop_columns("posts", ["title"]).if_exists();
    }));
}

#[test]
fn create_index_round_trip_with_every_option() {
    let case = Case::new(POSTS);
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_index(
            "posts",
            [
                IndexColumn::from("title"),
                IndexColumn::expression("lower(title)"),
                IndexColumn::desc("id"),
            ],
        )
        .unique()
        .if_not_exists()
        .method("btree")
        .include(["views"])
        .where_clause("views > 0");
    }));
}

#[test]
fn create_index_concurrently_runs_outside_a_transaction_both_ways() {
    let case = Case::new(POSTS);
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_index("posts", ["views"]).concurrently();
    }));
}

#[test]
fn constraints_round_trip() {
    let case = Case::new(POSTS);
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.add_constraint("posts", "views_positive", Constraint::check("views >= 0"))
            .not_valid();
        pgm.validate_constraint("posts", "views_positive");
        pgm.add_constraint("posts", "title_unique", Constraint::unique(["title"]))
            .deferrable(true);
    }));
}

#[test]
fn drop_constraint_is_forward_only() {
    let case = Case::new("CREATE TABLE posts (id int CONSTRAINT id_positive CHECK (id > 0))");
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.drop_constraint("posts", "id_positive")
            .if_exists()
            .cascade();
    }));
}
