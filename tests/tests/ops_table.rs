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

// ---------------------------------------------------------------------------------------------------------------
// create_table options and the drop options of its reverse

/// The reverse drop carries what was recorded at create time: `.cascade()` becomes `CASCADE`. (With
/// `IF NOT EXISTS` there is no derived reverse at all: see `reversal.rs`.)
#[test]
fn create_table_reverse_carries_create_time_drop_options() {
    let case = Case::new("");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_table("tags", [column("label", "text")])
            .cascade();
    }));
}

/// Regression test for node-pg-migrate's defect: its `createTable.reverse` passed the column map as the drop
/// options, so a column named `cascade` (or `ifExists`) turned the reverse into `DROP TABLE ... CASCADE`,
/// silently dropping dependent objects. Here columns never reach the drop.
#[test]
fn create_table_columns_never_become_drop_options() {
    let case = Case::new("");
    let up = |pgm: &mut MigrationBuilder| {
        pgm.create_table(
            "flags",
            [
                column("cascade", "boolean").not_null().default(true),
                column("ifExists", "boolean"),
                column("if_exists", "boolean"),
            ],
        );
    };
    let mut pgm = MigrationBuilder::new();
    up(&mut pgm);
    assert_eq!(
        pgm.reversed().unwrap().to_sql().unwrap(),
        [r#"DROP TABLE "flags""#]
    );
    insta::assert_snapshot!(case.round_trip(up));
}

#[test]
fn create_table_with_like_inherits_and_table_constraints_round_trip() {
    let case = Case::new(
        "CREATE TABLE rooms (number int PRIMARY KEY);
         CREATE TABLE template (id bigint NOT NULL, note text DEFAULT 'n/a' CHECK (note <> ''), created_at timestamptz);
         COMMENT ON COLUMN template.note IS 'from the template';
         CREATE TABLE base (kind text NOT NULL DEFAULT 'booking');",
    );
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_table(
            "bookings",
            [
                column("room", "int").not_null(),
                column("during", "tstzrange").not_null(),
                column("seats", "int"),
            ],
        )
        .unlogged()
        .inherits(["base"])
        .like(
            Like::table("template")
                .including(LikeOption::Defaults)
                .including(LikeOption::Constraints)
                .excluding(LikeOption::Comments),
        )
        .constraint("bookings_pkey", Constraint::primary_key(["id"]))
        .constraint(
            "bookings_seats_check",
            Constraint::check("seats > 0").comment("at least one seat"),
        )
        .constraint(
            "bookings_room_fk",
            Constraint::foreign_key(["room"], "rooms", ["number"])
                .match_type(FkMatch::Full)
                .on_delete(FkAction::Cascade)
                .deferrable(false),
        )
        .constraint(
            "bookings_no_overlap",
            Constraint::exclude(
                "gist",
                [
                    (IndexColumn::expression("int4range(room, room, '[]')"), "&&"),
                    (IndexColumn::column("during"), "&&"),
                ],
            )
            .where_clause("seats IS NOT NULL")
            .deferrable(true),
        )
        .comment("room bookings");
    }));
}

#[test]
fn partitioned_tables_round_trip() {
    let case = Case::new("CREATE SCHEMA app");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_table(
            ("app", "measurements"),
            [
                column("taken_at", "timestamptz").not_null(),
                column("value", "double precision"),
            ],
        )
        .constraint("measurements_pkey", Constraint::primary_key(["taken_at"]))
        .partition_by(PartitionStrategy::Range, ["taken_at"]);
        pgm.create_table("customers", [column("region", "text")])
            .partition_by(
                PartitionStrategy::List,
                [IndexColumn::expression("lower(region)").collate("C")],
            );
        pgm.create_table("events", [column("id", "bigint")])
            .partition_by(
                PartitionStrategy::Hash,
                [IndexColumn::column("id").opclass("int8_ops")],
            );
    }));
}

/// A temporary table vanishes with its session, so its reverse is `DROP TABLE IF EXISTS pg_temp.name`: in
/// the session that created it, it drops it; in a later session it is a no-op and never touches a permanent
/// table of the same name.
#[test]
fn temporary_table_reverse_only_touches_the_temporary_table() {
    let case = Case::new("CREATE TABLE import_rows (kept int)");
    let mut up = MigrationBuilder::new();
    up.create_table("import_rows", [column("line", "text")])
        .temporary();
    let down = up.reversed().unwrap();
    let up_sql = up.to_sql().unwrap();
    let down_sql = down.to_sql().unwrap();
    insta::assert_snapshot!(format!(
        "-- up\n{};\n-- down\n{};\n",
        up_sql.join(";\n"),
        down_sql.join(";\n")
    ));

    let temp_tables = "SELECT count(*)::text FROM pg_class WHERE relname = 'import_rows' AND relpersistence = 't'";
    // Same session: the down drops the temporary table, the permanent one stays.
    let mut session = case.db.client();
    up_sql
        .iter()
        .for_each(|s| session.batch_execute(s).unwrap());
    let count = |client: &mut postgres::Client| -> i64 {
        client
            .query_one(temp_tables, &[])
            .unwrap()
            .get::<_, String>(0)
            .parse()
            .unwrap()
    };
    assert_eq!(count(&mut session), 1);
    down_sql
        .iter()
        .for_each(|s| session.batch_execute(s).unwrap());
    assert_eq!(count(&mut session), 0);

    // A later session: the temporary table is long gone; the down must not drop the permanent table.
    up_sql
        .iter()
        .for_each(|s| session.batch_execute(s).unwrap());
    drop(session);
    let mut later = case.db.client();
    down_sql
        .iter()
        .for_each(|s| later.batch_execute(s).unwrap());
    assert_eq!(case.db.tables(), ["public.import_rows"]);
    assert_eq!(case.db.columns("import_rows").len(), 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Columns

#[test]
fn column_options_round_trip() {
    let case = Case::new(POSTS);
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.add_columns(
            "posts",
            [
                column("tags", "text")
                    .array()
                    .not_null()
                    .default(expr("'{}'")),
                column("handle", "text").collate("C"),
                column("double_views", "bigint").generated_always_as("views * 2"),
                column("seq", "bigint").identity(
                    Identity::by_default()
                        .start(100)
                        .increment(-1)
                        .minvalue(-1000)
                        .maxvalue(100)
                        .cache(5)
                        .cycle(),
                ),
                column("parent_id", "bigint")
                    .references_column("posts", "id")
                    .references_constraint_name("posts_parent_fk")
                    .match_type(FkMatch::Full)
                    .on_delete(FkAction::SetNull)
                    .deferrable(true),
            ],
        );
        pgm.create_table(
            "audit",
            [
                column("id", "bigint")
                    .identity(Identity::always().start(0).minvalue(0))
                    .primary_key(),
                column("matrix", "int").array().array(),
            ],
        );
    }));
}

#[test]
fn alter_column_collation_identity_and_expression_are_forward_only() {
    let case = Case::new(
        "CREATE TABLE items (id int, code text, price int, qty int, \
         total int GENERATED ALWAYS AS (price * qty) STORED, \
         ref bigint GENERATED BY DEFAULT AS IDENTITY, legacy bigint GENERATED ALWAYS AS IDENTITY)",
    );
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.alter_column("items", "id")
            .set_not_null()
            .add_identity(Identity::always().start(100).increment(5));
        pgm.alter_column("items", "code")
            .set_type("text")
            .collate("C")
            .using("code::text");
        pgm.alter_column("items", "ref")
            .set_identity(Identity::always().cache(10).cycle());
        pgm.alter_column("items", "legacy").drop_identity();
        pgm.alter_column("items", "total")
            .drop_expression()
            .comment(Some("no longer computed"));
    }));
    let columns = case.db.query_strings(
        "SELECT attname || ' identity=' || attidentity::text || ' generated=' || attgenerated::text \
         || ' collation=' || coalesce((SELECT collname FROM pg_collation WHERE oid = attcollation), '-') \
         FROM pg_attribute WHERE attrelid = 'items'::regclass AND attnum > 0 ORDER BY attnum",
    );
    let columns: Vec<String> = columns.into_iter().map(|r| r[0].clone().unwrap()).collect();
    assert_eq!(
        columns,
        [
            "id identity=a generated= collation=-",
            "code identity= generated= collation=C",
            "price identity= generated= collation=-",
            "qty identity= generated= collation=-",
            "total identity= generated= collation=-",
            "ref identity=a generated= collation=-",
            "legacy identity= generated= collation=-",
        ]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// alter_table

#[test]
fn alter_table_is_forward_only() {
    let case = Case::new(POSTS);
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.alter_table("posts")
            .row_level_security(RowLevelSecurity::Enable)
            .row_level_security(RowLevelSecurity::Force)
            .set_unlogged();
    }));
    assert_eq!(
        case.db.query_strings(
            "SELECT relrowsecurity::text, relforcerowsecurity::text, relpersistence::text \
             FROM pg_class WHERE oid = 'posts'::regclass"
        ),
        [[Some("true".into()), Some("true".into()), Some("u".into())]]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Constraints

#[test]
fn constraints_with_every_option_round_trip() {
    let case = Case::new(
        "CREATE TABLE rooms (number int PRIMARY KEY, code text, building text, UNIQUE (code, building));
         CREATE TABLE bookings (room int, code text, building text, during tstzrange, cancelled boolean NOT NULL DEFAULT false)",
    );
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.add_constraint(
            "bookings",
            "bookings_no_overlap",
            Constraint::exclude(
                "gist",
                [
                    (IndexColumn::expression("int4range(room, room, '[]')"), "&&"),
                    (IndexColumn::column("during"), "&&"),
                ],
            )
            .where_clause("NOT cancelled"),
        )
        .deferrable(true)
        .comment("one booking per room at a time");
        pgm.add_constraint(
            "bookings",
            "bookings_room_fk",
            Constraint::foreign_key(["code", "building"], "rooms", ["code", "building"])
                .match_type(FkMatch::Full)
                .on_update(FkAction::Cascade)
                .deferrable(false)
                .comment("both or neither"),
        )
        .not_valid();
    }));
}

#[test]
fn constraint_using_index_is_forward_only() {
    let case = Case::new(
        "CREATE TABLE users (id int NOT NULL, email text);
         CREATE UNIQUE INDEX users_email_idx ON users (email);
         CREATE UNIQUE INDEX users_id_idx ON users (id);",
    );
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.add_constraint(
            "users",
            "users_pkey",
            Constraint::primary_key_using_index("users_id_idx"),
        );
        pgm.add_constraint(
            "users",
            "users_email_key",
            Constraint::unique_using_index("users_email_idx").deferrable(true),
        );
    }));
}

#[test]
fn rename_constraint_and_rename_index_round_trip() {
    let case = Case::new(
        "CREATE SCHEMA app;
         CREATE TABLE app.posts (id int CONSTRAINT id_positive CHECK (id > 0));
         CREATE INDEX posts_id_idx ON app.posts (id);",
    );
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.rename_constraint(("app", "posts"), "id_positive", "posts_id_positive");
        pgm.rename_index(("app", "posts_id_idx"), "posts_id_index");
    }));
}

// ---------------------------------------------------------------------------------------------------------------
// Indexes

#[test]
fn create_index_element_options_round_trip() {
    let case = Case::new(POSTS);
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_index(
            "posts",
            [
                IndexColumn::column("title").opclass("text_pattern_ops"),
                IndexColumn::expression("lower(title)")
                    .collate("C")
                    .descending()
                    .nulls_last(),
                IndexColumn::column("views").ascending().nulls_first(),
                IndexColumn::desc("id"),
            ],
        )
        .name("posts_listing_index");
    }));
}

/// `NULLS NOT DISTINCT` needs PostgreSQL 15; on older servers this test only checks the SQL.
#[test]
fn nulls_not_distinct_round_trip() {
    let up = |pgm: &mut MigrationBuilder| {
        pgm.create_index("posts", ["title"])
            .unique()
            .nulls_not_distinct();
        pgm.add_constraint(
            "posts",
            "posts_views_key",
            Constraint::unique(["views"]).nulls_not_distinct(),
        );
    };
    let mut pgm = MigrationBuilder::new();
    up(&mut pgm);
    assert_eq!(
        pgm.to_sql().unwrap(),
        [
            r#"CREATE UNIQUE INDEX "posts_title_unique_index" ON "posts" ("title") NULLS NOT DISTINCT"#,
            r#"ALTER TABLE "posts" ADD CONSTRAINT "posts_views_key" UNIQUE NULLS NOT DISTINCT ("views")"#,
        ]
    );
    let case = Case::new(POSTS);
    let version: i32 = case.db.query_strings("SHOW server_version_num")[0][0]
        .as_deref()
        .unwrap()
        .parse()
        .unwrap();
    if version < 150000 {
        eprintln!("skipped running NULLS NOT DISTINCT: server version {version} < 15");
        return;
    }
    insta::assert_snapshot!(case.round_trip(up));
}

// ---------------------------------------------------------------------------------------------------------------
// Refused before anything runs

/// Records one invalid migration.
type Record = Box<dyn Fn(&mut MigrationBuilder)>;

/// Options PostgreSQL would reject, or that would be dropped silently, are refused when the migration is
/// rendered, naming the operation: nothing reaches the server.
#[test]
fn invalid_options_are_refused_when_rendered() {
    let cases: Vec<(&str, Record)> = vec![
        (
            "temporary and unlogged",
            Box::new(|pgm| {
                pgm.create_table("t", [column("a", "int")])
                    .temporary()
                    .unlogged();
            }),
        ),
        (
            "temporary in a schema",
            Box::new(|pgm| {
                pgm.create_table(("app", "t"), [column("a", "int")])
                    .temporary();
            }),
        ),
        (
            "no columns, no LIKE or INHERITS",
            Box::new(|pgm| {
                pgm.create_table("t", Vec::<Column>::new());
            }),
        ),
        (
            "partitioned with INHERITS",
            Box::new(|pgm| {
                pgm.create_table("t", [column("a", "int")])
                    .inherits(["p"])
                    .partition_by(PartitionStrategy::Range, ["a"]);
            }),
        ),
        (
            "sorted partition key",
            Box::new(|pgm| {
                pgm.create_table("t", [column("a", "int")])
                    .partition_by(PartitionStrategy::Range, [IndexColumn::desc("a")]);
            }),
        ),
        (
            "USING INDEX in create_table",
            Box::new(|pgm| {
                pgm.create_table("t", [column("a", "int")])
                    .constraint("t_a_key", Constraint::unique_using_index("t_a_idx"));
            }),
        ),
        (
            "deferrable CHECK",
            Box::new(|pgm| {
                pgm.add_constraint(
                    "t",
                    "t_a_check",
                    Constraint::check("a > 0").deferrable(true),
                );
            }),
        ),
        (
            "NOT VALID unique",
            Box::new(|pgm| {
                pgm.add_constraint("t", "t_a_key", Constraint::unique(["a"]))
                    .not_valid();
            }),
        ),
        (
            "foreign-key option on a unique constraint",
            Box::new(|pgm| {
                pgm.add_constraint(
                    "t",
                    "t_a_key",
                    Constraint::unique(["a"]).on_delete(FkAction::Cascade),
                );
            }),
        ),
        (
            "WHERE on a check",
            Box::new(|pgm| {
                pgm.add_constraint(
                    "t",
                    "t_a_check",
                    Constraint::check("a > 0").where_clause("a < 9"),
                );
            }),
        ),
        (
            "exclusion without elements",
            Box::new(|pgm| {
                pgm.add_constraint(
                    "t",
                    "t_excl",
                    Constraint::exclude("gist", Vec::<(&str, &str)>::new()),
                );
            }),
        ),
        (
            "NULLS NOT DISTINCT on a non-unique index",
            Box::new(|pgm| {
                pgm.create_index("t", ["a"]).nulls_not_distinct();
            }),
        ),
        (
            "foreign-key option before references",
            Box::new(|pgm| {
                pgm.add_columns(
                    "t",
                    [column("a", "int")
                        .on_delete(FkAction::Cascade)
                        .references("u")],
                );
            }),
        ),
        (
            "generated identity",
            Box::new(|pgm| {
                pgm.add_columns(
                    "t",
                    [column("a", "int")
                        .generated_always_as("1")
                        .identity(Identity::always())],
                );
            }),
        ),
        (
            "identity with a default",
            Box::new(|pgm| {
                pgm.add_columns(
                    "t",
                    [column("a", "int")
                        .identity(Identity::by_default())
                        .default(1)],
                );
            }),
        ),
        (
            "collation without a type",
            Box::new(|pgm| {
                pgm.alter_column("t", "a").collate("C");
            }),
        ),
        (
            "alter_table without changes",
            Box::new(|pgm| {
                pgm.alter_table("t");
            }),
        ),
    ];
    let mut out = String::new();
    for (what, record) in cases {
        let mut pgm = MigrationBuilder::new();
        record(&mut pgm);
        let error = pgm
            .to_sql()
            .expect_err(&format!("{what}: expected an error"));
        out.push_str(&format!("{what}:\n  {error}\n"));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn attach_partition_round_trip() {
    let case = Case::new(
        "CREATE SCHEMA app;
         CREATE TABLE app.measurements (taken_at date NOT NULL, reading int) PARTITION BY RANGE (taken_at);
         CREATE TABLE app.measurements_2026_11 (taken_at date NOT NULL, reading int);
         CREATE TABLE regions (code text NOT NULL) PARTITION BY LIST (code);
         CREATE TABLE regions_eu (code text NOT NULL);
         CREATE TABLE regions_other (code text NOT NULL);
         CREATE TABLE events (id bigint NOT NULL) PARTITION BY HASH (id);
         CREATE TABLE events_0 (id bigint NOT NULL)",
    );
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.attach_partition(
            ("app", "measurements"),
            ("app", "measurements_2026_11"),
            PartitionBound::range(["2026-11-01"], ["2026-12-01"]),
        );
        pgm.attach_partition("regions", "regions_eu", PartitionBound::list(["de", "fr"]));
        pgm.attach_partition("regions", "regions_other", PartitionBound::Default);
        pgm.attach_partition("events", "events_0", PartitionBound::hash(2, 0));
    }));
}

#[test]
fn detach_partition_is_forward_only() {
    let case = Case::new(
        "CREATE TABLE measurements (taken_at date NOT NULL) PARTITION BY RANGE (taken_at);
         CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
    );
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.detach_partition("measurements", "measurements_2025");
    }));
}
