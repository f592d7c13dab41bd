//! A derived `down` undoes only what its `up` did, through the engine on a real database:
//! - an operation the author allowed to skip (`if_not_exists`, `if_table_exists`) has no automatic reverse,
//!   so an object that existed before survives `up` and the refused `down`;
//! - `CREATE OR REPLACE` (functions, views) records what it replaces, and the derived `down` restores it
//!   exactly, or drops the object when nothing existed.

use migrate_dsl::prelude::*;
use tests::assert_cli_snapshot;
use tests::cli::FixtureCli;
use tests::roundtrip::Case;
use tests::TestDb;

const POSTS: &str = "CREATE TABLE posts (id bigint PRIMARY KEY, title text, author text, \
                     published boolean NOT NULL DEFAULT false)";

/// Runs `up` through the engine (which must succeed), then the derived `down` (which must be refused before
/// touching anything), and checks that `survivor` (a query returning one row) gives the same answer before,
/// after `up` and after the refused `down`. Returns the transcript for a snapshot.
fn skipped_and_kept(case: &Case, up: fn(&mut MigrationBuilder), survivor: &str) -> String {
    let before = case.db.query_strings(survivor);
    let forward = case.engine_up(up).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(case.db.query_strings(survivor), before, "after up");
    let down = case
        .engine_down(up)
        .expect_err("a derived down of an operation that may have skipped must be refused");
    assert_eq!(case.db.query_strings(survivor), before, "after down");
    format!("{forward}{down}")
}

// ------------------------------------------------------------------------ IF NOT EXISTS: no derived reverse

#[test]
fn a_table_that_existed_survives_create_table_if_not_exists_and_its_down() {
    let case =
        Case::new("CREATE TABLE tags (id int, label text); INSERT INTO tags VALUES (1, 'kept')");
    insta::assert_snapshot!(skipped_and_kept(
        &case,
        |pgm| {
            pgm.create_table("tags", [column("id", "bigserial").primary_key()])
                .if_not_exists();
        },
        "SELECT string_agg(label, ',') FROM tags",
    ));
}

#[test]
fn columns_that_existed_survive_add_columns_if_not_exists_and_its_down() {
    let case = Case::new(&format!(
        "{POSTS}; INSERT INTO posts (id, title) VALUES (1, 'kept')"
    ));
    insta::assert_snapshot!(skipped_and_kept(
        &case,
        |pgm| {
            pgm.add_columns("posts", [column("title", "text")])
                .if_not_exists();
        },
        "SELECT title FROM posts",
    ));
}

#[test]
fn an_index_that_existed_survives_create_index_if_not_exists_and_its_down() {
    let case = Case::new(&format!(
        "{POSTS}; CREATE INDEX posts_title_index ON posts (title, author)"
    ));
    insta::assert_snapshot!(skipped_and_kept(
        &case,
        |pgm| {
            pgm.create_index("posts", ["title"]).if_not_exists();
        },
        "SELECT pg_get_indexdef('posts_title_index'::regclass)",
    ));
}

#[test]
fn a_schema_sequence_and_extension_that_existed_survive_if_not_exists_and_its_down() {
    let case = Case::new(
        "CREATE SCHEMA app; CREATE TABLE app.kept (id int); CREATE SEQUENCE order_no START 500; \
         CREATE EXTENSION IF NOT EXISTS pg_trgm",
    );
    insta::assert_snapshot!(skipped_and_kept(
        &case,
        |pgm| {
            pgm.create_schema("app").if_not_exists();
            pgm.create_sequence("order_no").if_not_exists();
            pgm.create_extension(["pg_trgm"]).if_not_exists();
        },
        "SELECT to_regclass('app.kept') IS NOT NULL AND to_regclass('order_no') IS NOT NULL \
         AND EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')",
    ));
}

#[test]
fn a_materialized_view_that_existed_survives_if_not_exists_and_its_down() {
    let case = Case::new(&format!(
        "{POSTS}; CREATE MATERIALIZED VIEW post_counts AS SELECT 7 AS n"
    ));
    insta::assert_snapshot!(skipped_and_kept(
        &case,
        |pgm| {
            pgm.create_materialized_view("post_counts", "SELECT count(*) AS n FROM posts")
                .if_not_exists();
        },
        "SELECT n FROM post_counts",
    ));
}

#[test]
fn operations_with_if_table_exists_have_no_derived_reverse() {
    // The table is missing: each statement does nothing (the server says so), and a derived reverse could
    // only undo what did not happen.
    let case = Case::new(POSTS);
    insta::assert_snapshot!(skipped_and_kept(
        &case,
        |pgm| {
            pgm.add_columns("drafts", [column("body", "text")])
                .if_table_exists();
            pgm.rename_column("drafts", "body", "content")
                .if_table_exists();
            pgm.add_constraint("drafts", None, Constraint::check("id > 0"))
                .if_table_exists();
            pgm.rename_constraint("drafts", "drafts_id_check", "drafts_positive")
                .if_table_exists();
        },
        "SELECT to_regclass('drafts') IS NULL",
    ));
}

// ------------------------------------------------------------------------- CREATE OR REPLACE: exact reversal

#[test]
fn create_function_or_replace_restores_the_function_it_replaced() {
    // An earlier migration's function, with options and a comment that the replacement changes.
    let case = Case::new(
        "CREATE SCHEMA app; \
         CREATE FUNCTION app.answer(n int DEFAULT 1) RETURNS int LANGUAGE sql IMMUTABLE STRICT \
         SET search_path = app AS 'SELECT 41 + n - 1'; \
         COMMENT ON FUNCTION app.answer(int) IS 'the old answer'; \
         REVOKE EXECUTE ON FUNCTION app.answer(int) FROM PUBLIC",
    );
    insta::assert_snapshot!(case.engine_round_trip(|pgm| {
        pgm.create_function(
            ("app", "answer"),
            [param("n", "int").default(1)],
            "BEGIN RETURN 42; END",
        )
        .returns("int")
        .volatile()
        .comment("the new answer")
        .or_replace();
    }));
}

#[test]
fn create_function_or_replace_drops_a_function_that_did_not_exist() {
    let case = Case::new("CREATE SCHEMA app");
    insta::assert_snapshot!(case.engine_round_trip(|pgm| {
        pgm.create_function(("app", "answer"), Vec::<FunctionParam>::new(), "SELECT 42")
            .language("sql")
            .returns("int")
            .or_replace();
    }));
}

#[test]
fn create_view_or_replace_restores_the_view_it_replaced() {
    // Options, a check option, a comment, a column default, a dependent view and a grant: CREATE OR REPLACE
    // keeps what it does not redefine, and the restore puts back what it does.
    let case = Case::new(&format!(
        "{POSTS}; CREATE VIEW published WITH (security_barrier = true) AS \
         SELECT id, title FROM posts WHERE published WITH LOCAL CHECK OPTION; \
         COMMENT ON VIEW published IS 'what readers see'; \
         ALTER VIEW published ALTER COLUMN title SET DEFAULT 'untitled'; \
         CREATE VIEW published_titles AS SELECT title FROM published"
    ));
    insta::assert_snapshot!(case.engine_round_trip(|pgm| {
        pgm.create_view(
            "published",
            "SELECT id, upper(title) AS title FROM posts WHERE published AND id > 0",
        )
        .option("security_barrier", false)
        .comment("shouting")
        .or_replace();
    }));
}

#[test]
fn create_view_or_replace_drops_a_view_that_did_not_exist() {
    let case = Case::new(POSTS);
    insta::assert_snapshot!(case.engine_round_trip(|pgm| {
        pgm.create_view("titles", "SELECT id, title FROM posts")
            .or_replace();
    }));
}

#[test]
fn a_view_replaced_with_more_columns_is_not_dropped_to_restore_it() {
    // CREATE OR REPLACE VIEW cannot remove the added column; the derived down says so instead of dropping the
    // view (and whatever depends on it).
    let case = Case::new(&format!(
        "{POSTS}; CREATE VIEW titles AS SELECT id, title FROM posts"
    ));
    let up = |pgm: &mut MigrationBuilder| {
        pgm.create_view("titles", "SELECT id, title, author FROM posts")
            .or_replace();
    };
    case.engine_up(up).unwrap_or_else(|e| panic!("{e}"));
    let down = case
        .engine_down(up)
        .expect_err("the down cannot restore it");
    assert!(
        down.contains("view \"titles\" has 3 columns now and had 2 before this migration"),
        "{down}"
    );
    assert_eq!(
        case.db.query_strings(
            "SELECT count(*)::text FROM information_schema.columns WHERE table_name = 'titles'"
        ),
        [[Some("3".to_owned())]],
        "the view is left as the up made it"
    );
}

/// CREATE OR REPLACE FUNCTION cannot remove a parameter default (42P13), so a function to
/// which the `up` added one cannot be put back that way; the derived down says so before sending anything,
/// as for a view with added columns, and leaves the function as the up made it.
#[test]
fn a_function_replaced_with_a_new_parameter_default_is_not_dropped_to_restore_it() {
    let case = Case::new(
        "CREATE FUNCTION answer(n int) RETURNS int LANGUAGE sql AS 'SELECT 41 + n'; \
         CREATE VIEW answers AS SELECT answer(1) AS a",
    );
    let up = |pgm: &mut MigrationBuilder| {
        pgm.create_function("answer", [param("n", "int").default(1)], "SELECT 42 + n")
            .language("sql")
            .returns("int")
            .or_replace();
    };
    case.engine_up(up).unwrap_or_else(|e| panic!("{e}"));
    let down = case
        .engine_down(up)
        .expect_err("the down cannot restore it");
    assert!(
        down.contains(
            "function \"answer\"(int) has 1 parameter default(s) now and had 0 before this migration: \
             CREATE OR REPLACE FUNCTION cannot remove parameter defaults"
        ),
        "{down}"
    );
    assert!(
        !down.contains("42P13"),
        "refused before the server was asked: {down}"
    );
    assert_eq!(
        case.db
            .query_strings("SELECT answer()::text, (SELECT a::text FROM answers)"),
        [[Some("43".to_owned()), Some("43".to_owned())]],
        "the function is left as the up made it, and its dependent view stays"
    );
}

#[test]
fn a_replacing_migration_applied_without_a_record_is_not_reverted_blindly() {
    // As after `up --fake`: the derived down has nothing to restore from, and says so rather than dropping
    // the earlier migration's function.
    let case = Case::new("CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 41'");
    let up = |pgm: &mut MigrationBuilder| {
        pgm.create_function("answer", Vec::<FunctionParam>::new(), "SELECT 42")
            .language("sql")
            .returns("int")
            .or_replace();
    };
    case.engine_up(up).unwrap_or_else(|e| panic!("{e}"));
    case.db
        .exec("DELETE FROM pgmigrations_previous; CREATE OR REPLACE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 43'");
    let down = case
        .engine_down(up)
        .expect_err("nothing recorded to restore");
    assert!(
        down.contains("no previous definition of function \"answer\"() was recorded"),
        "{down}"
    );
    assert_eq!(
        case.db.query_strings("SELECT answer()::text"),
        [[Some("43".to_owned())]]
    );
}

// ----------------------------------------------------------------- GRANT: nothing already held is granted

#[test]
fn a_privilege_held_before_is_neither_granted_again_nor_revoked_by_the_down() {
    let case = Case::new(&format!("{POSTS}; GRANT SELECT ON posts TO PUBLIC"));
    let held = "SELECT string_agg(privilege_type, ',' ORDER BY privilege_type) FROM \
                information_schema.role_table_grants WHERE table_name = 'posts' AND grantee = 'PUBLIC'";
    let error = case
        .engine_up(|pgm| {
            pgm.grant_on_tables(
                ["posts"],
                [Privilege::Select, Privilege::Insert],
                ["public"],
            );
        })
        .expect_err("refused: its derived REVOKE would take SELECT away");
    assert!(
        error.contains("operation #1 (grant_on_tables): grants what is already held: SELECT on posts for PUBLIC"),
        "{error}"
    );
    assert_eq!(case.db.query_strings(held), [[Some("SELECT".to_owned())]]);

    // What is not held yet is granted, and its derived down takes exactly that away again.
    insta::assert_snapshot!(case.engine_round_trip(|pgm| {
        pgm.grant_on_tables(
            ["posts"],
            [Privilege::Insert, Privilege::Update],
            ["public"],
        );
    }));
    assert_eq!(case.db.query_strings(held), [[Some("SELECT".to_owned())]]);
}

#[test]
fn schema_privileges_and_memberships_held_before_are_refused() {
    // PostgreSQL 15 gives PUBLIC USAGE on schema public; pg_monitor is a member of pg_read_all_settings.
    let case = Case::new("");
    let error = case
        .engine_up(|pgm| {
            pgm.grant_on_schemas(["public"], [Privilege::Usage], ["public"]);
        })
        .expect_err("refused");
    assert!(
        error.contains("grants what is already held: USAGE on schema public for PUBLIC"),
        "{error}"
    );
    let error = case
        .engine_up(|pgm| {
            pgm.grant_roles(["pg_read_all_settings"], ["pg_monitor"]);
        })
        .expect_err("refused");
    assert!(
        error.contains(
            "grants what is already held: membership of pg_monitor in pg_read_all_settings"
        ),
        "{error}"
    );
}

// ------------------------------------------------- CREATE OPERATOR CLASS: its implicit family, if it made it

#[test]
fn an_operator_family_that_existed_survives_a_class_created_in_it_and_its_down() {
    // Without FAMILY, CREATE OPERATOR CLASS uses the family named like the class, and creates it only when
    // missing: the derived down drops it only when the up created it.
    let case = Case::new(
        "CREATE OPERATOR FAMILY int4_hash_ops2 USING hash; \
         ALTER OPERATOR FAMILY int4_hash_ops2 USING hash ADD FUNCTION 1 (int8) hashint8(int8)",
    );
    insta::assert_snapshot!(case.engine_round_trip(|pgm| {
        pgm.create_operator_class(
            "int4_hash_ops2",
            "int4",
            "hash",
            [
                OperatorMember::operator(1, "="),
                OperatorMember::function(1, "hashint4", ["int4"]),
            ],
        );
    }));
    assert_eq!(
        case.db.query_strings(
            "SELECT count(*)::text FROM pg_opfamily WHERE opfname = 'int4_hash_ops2'"
        ),
        [[Some("1".to_owned())]]
    );
}

// ---------------------------------------------- set_not_null: its derived DROP NOT NULL only if it added it

#[test]
fn set_not_null_of_a_column_already_not_null_is_refused() {
    let case = Case::new("CREATE TABLE comments (id int, body text NOT NULL)");
    let error = case
        .engine_up(|pgm| {
            pgm.set_not_null("comments", "body");
        })
        .expect_err("refused: its derived down would drop the NOT NULL");
    // PostgreSQL 18 records the column's NOT NULL as a constraint with the name of the recipe's temporary
    // check, so the refusal comes one check earlier there, and says so.
    let expected = if case.db.server_major() >= 18 {
        "operation #1 (set_not_null): constraint \"comments_body_not_null\" on \"comments\" is the NOT NULL constraint of the column"
    } else {
        "operation #1 (set_not_null): column \"body\" of \"comments\" is NOT NULL already"
    };
    assert!(
        error.contains(expected) && error.contains("nothing of this `up` was applied"),
        "{expected}\nnot in: {error}"
    );
    assert_eq!(
        case.db.query_strings(
            "SELECT count(*)::text FROM pg_constraint WHERE conname = 'comments_body_not_null' AND contype <> 'n'"
        ),
        [[Some("0".to_owned())]],
        "not even the temporary check was added"
    );
}

// ----------------------------------------------------------------------------- the same through the CLI

/// Through the CLI: `sql --down` says what the derived down restores, `verify` proves it (the record of
/// what was replaced is bookkeeping, not schema), and `down` puts the earlier migration's function back.
#[test]
fn the_cli_restores_what_a_replacing_migration_replaced() {
    let db = TestDb::new();
    let cli = FixtureCli::new("replace", &db);
    let name = "20270501000002_better_answer";
    let sql = cli.run(&["sql", "--down", name]).expect_code(0);
    assert_cli_snapshot!("replace_sql_down", sql, &["sql", "--down", name]);
    let verify = cli.run(&["verify"]);
    assert_eq!(verify.code, 0, "{}\n{}", verify.stdout, verify.stderr);

    cli.run(&["up"]).expect_code(0);
    // With the database, the dry run shows the very definitions the down will put back.
    let dry = cli.run(&["down", "--dry-run"]).expect_code(0);
    assert_cli_snapshot!("replace_down_dry_run", dry, &["down", "--dry-run"]);
    let answer =
        || db.query_strings("SELECT answer()::text, obj_description('answer'::regproc, 'pg_proc')");
    assert_eq!(
        answer(),
        [[Some("42".to_owned()), Some("the answer".to_owned())]]
    );
    cli.run(&["down"]).expect_code(0);
    assert_eq!(
        answer(),
        [[Some("41".to_owned()), Some("first try".to_owned())]]
    );
    assert_eq!(
        db.query_strings("SELECT pg_get_viewdef('answers'::regclass)"),
        [[Some(" SELECT answer() AS value;".to_owned())]]
    );
    cli.run(&["down"]).expect_code(0);
    assert_eq!(
        db.query_strings("SELECT count(*)::text FROM pg_proc WHERE proname = 'answer'"),
        [[Some("0".to_owned())]]
    );
}
