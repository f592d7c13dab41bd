//! Operations written back as Rust (`Operation::to_rust`) record exactly the operation they came from: every
//! writable operation, with its setters at several values, is recorded through the builder, written back,
//! and all the snippets are compiled in one generated crate whose program records them again and prints each
//! operation; each must print as the original does. An operation that is not written back is listed here,
//! and refused by name.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use migrate_dsl::prelude::*;
use migrate_dsl::{DslError, Name, Operation};

/// The operations `to_rust` refuses as a whole: data code, operations only a derived `down` holds, and those
/// whose Rust form is not written yet. Any other operation must be exercised by [`record_all`].
const NOT_WRITABLE: &[&str] = &[
    "db",
    "backfill",
    "restore_previous",
    "since_pg_note",
    "drop_partition_constraint",
];

const BODY: &str = "BEGIN\n  NEW.updated_at := now();\n  RETURN NEW; -- \"#quoted\"#\nEND";

/// Every writable operation, its setters exercised: names bare and schema-qualified, values of each kind,
/// multi-line and quote-holding text.
fn record_all(pgm: &mut MigrationBuilder) {
    // Raw SQL and markers
    pgm.sql("UPDATE posts SET title = 'it''s' WHERE id = 1");
    pgm.sql("CREATE FUNCTION f() RETURNS int\nLANGUAGE sql AS $$ SELECT \"#1\" $$");
    pgm.sql("a\r\nb");
    pgm.irreversible("drops data the down cannot bring back");
    pgm.precondition(
        "no orphans",
        "SELECT count(*) = 0 FROM comments WHERE post_id IS NULL",
    );
    pgm.require_background_jobs("20260101000000_fill_slug");
    pgm.drop_kept_values(("app", "users"));
    pgm.set_not_null("posts", "title");
    pgm.set_not_null(("app", "Posts"), "Title");

    // Online changes
    pgm.rename_column_online("comments", "contents", "body");
    pgm.rename_column_online(("app", "comments"), "contents", "body")
        .contract()
        .batch_size(500)
        .pause(Duration::from_millis(250));
    pgm.rename_column_online("comments", "a", "b")
        .pause(Duration::from_secs(2));
    pgm.rename_column_online("comments", "a", "b")
        .pause(Duration::from_nanos(1_500));
    pgm.change_column_type_online("users", "id", "id_new", "bigint");
    pgm.widen_key_online("orders", "id", "bigint");
    pgm.widen_key_online(("app", "orders"), "id", "bigint")
        .switch()
        .batch_size(2000)
        .pause(Duration::from_millis(50));
    pgm.widen_key_online("orders", "id", "bigint").contract();
    pgm.widen_key_online("orders", "id", "bigint")
        .batch_size(400)
        .in_background();
    pgm.change_column_type_online(("app", "users"), "status", "status_new", "status_t")
        .using("status::status_t")
        .back("status_new::text")
        .old_type("text")
        .contract()
        .batch_size(10);
    pgm.add_constraint_online("users", None, Constraint::unique(["email"]));
    pgm.add_constraint_online(
        ("app", "comments"),
        "comments_post_fk",
        Constraint::foreign_key(["post_id"], ("app", "posts"), ["id"]).on_delete(FkAction::Cascade),
    )
    .per_partition();
    pgm.add_constraint_online("users", "users_age_check", Constraint::check("age >= 0"));

    // Tables
    pgm.create_table(
        "posts",
        [
            column("id", "bigserial").primary_key(),
            column("title", "text")
                .not_null()
                .unique()
                .check("title <> ''"),
            column("score", "int").default(0),
            column("big", "bigint").default(i64::MIN),
            column("ratio", "double precision").default(0.5),
            column("nan", "double precision").default(f64::NAN),
            column("inf", "double precision").default(f64::NEG_INFINITY),
            column("flag", "boolean").default(false),
            column("label", "text").default("it's"),
            column("nothing", "text").default(Value::Null),
            column("created_at", "timestamptz").default(expr("now()")),
            column("author_id", "bigint")
                .references("users")
                .on_delete(FkAction::SetNull)
                .on_update(FkAction::Cascade)
                .match_type(FkMatch::Full)
                .deferrable(true)
                .references_constraint_name("posts_author_fk"),
            column("editor_id", "bigint").references_column(("app", "users"), "id"),
            column("name", "text")
                .collate("C")
                .comment("shown\nin lists"),
            column("name_ci", "text").collate(("public", "case_insensitive")),
            column("lower_name", "text").generated_always_as("lower(name)"),
            column("n", "int").identity(Identity::always()),
            column("m", "bigint").identity(
                Identity::by_default()
                    .start(10)
                    .increment(-2)
                    .minvalue(-100)
                    .maxvalue(100)
                    .cache(5)
                    .cycle(),
            ),
            column("k", "int").identity(Identity::always().no_cycle()),
            column("tags", "text").array(),
        ],
    );
    pgm.create_table(
        ("app", "order lines"),
        [column("order_id", "bigint"), column("qty", "int")],
    )
    .if_not_exists()
    .comment("one row per line")
    .constraint(
        "order_lines_pkey",
        Constraint::primary_key(["order_id", "qty"]),
    )
    .constraint(
        None,
        Constraint::unique(["qty"])
            .nulls_not_distinct()
            .deferrable(false),
    )
    .constraint(
        None,
        Constraint::checks(["qty < 100", "qty > 0"]).comment("sane"),
    )
    .constraint(
        "no_overlap",
        Constraint::exclude(
            "gist",
            [
                (IndexColumn::column("order_id"), "="),
                (IndexColumn::expression("int4range(qty, qty)"), "&&"),
            ],
        )
        .where_clause("qty > 0"),
    )
    .cascade();
    pgm.create_table("import_rows", [column("line", "text")])
        .temporary();
    pgm.create_table("page_views", [column("path", "text")])
        .unlogged();
    pgm.create_table("capitals", Vec::<Column>::new())
        .inherits(["cities"])
        .inherits([("app", "places")])
        .like("towns")
        .like(
            Like::table(("app", "templates"))
                .including(LikeOption::All)
                .excluding(LikeOption::Indexes)
                .excluding(LikeOption::Comments),
        );
    pgm.create_table("measurements", [column("taken_at", "timestamptz")])
        .partition_by(PartitionStrategy::Range, ["taken_at"]);
    pgm.create_table("customers", [column("region", "text")])
        .partition_by(
            PartitionStrategy::List,
            [
                IndexColumn::expression("lower(region)")
                    .collate("C")
                    .opclass("text_pattern_ops"),
                IndexColumn::column("region"),
            ],
        );
    pgm.drop_table("legacy");
    pgm.drop_table(("app", "legacy")).if_exists().cascade();
    pgm.rename_table(("app", "posts"), "articles");
    pgm.alter_table("documents")
        .row_level_security(RowLevelSecurity::Enable)
        .row_level_security(RowLevelSecurity::Force);
    pgm.alter_table(("app", "documents"))
        .row_level_security(RowLevelSecurity::Disable)
        .row_level_security(RowLevelSecurity::NoForce)
        .set_unlogged();
    pgm.alter_table("documents").set_logged();
    pgm.attach_partition(
        ("app", "measurements"),
        ("app", "measurements_2026"),
        PartitionBound::range(["2026-01-01"], ["2027-01-01"]),
    );
    pgm.attach_partition(
        "regions",
        "regions_eu",
        PartitionBound::list([Value::from("de"), Value::from(3), Value::Null]),
    );
    pgm.attach_partition("events", "events_0", PartitionBound::hash(4, 0));
    pgm.attach_partition("events", "events_other", PartitionBound::Default);
    pgm.detach_partition("events", "events_0");
    pgm.detach_partition("events", "events_1")
        .concurrently()
        .bound(PartitionBound::hash(4, 1));

    // Columns
    pgm.add_columns("posts", [column("slug", "text")]);
    pgm.add_columns(
        ("app", "posts"),
        [column("a", "int"), column("b", "int").not_null()],
    )
    .if_not_exists()
    .if_table_exists();
    pgm.drop_columns("posts", ["slug"]);
    pgm.drop_columns(("app", "posts"), ["a", "b"])
        .if_exists()
        .cascade()
        .if_table_exists();
    pgm.rename_column("posts", "title", "headline");
    pgm.rename_column(("app", "posts"), "title", "headline")
        .if_table_exists();
    pgm.alter_column("posts", "score")
        .set_type("bigint")
        .using("score::bigint")
        .set_default(expr("1 + 1"))
        .set_not_null()
        .comment(Some("the score"))
        .collate(("app", "german"));
    pgm.alter_column(("app", "posts"), "score")
        .drop_default()
        .drop_not_null()
        .comment(None::<&str>)
        .drop_identity()
        .if_table_exists();
    pgm.alter_column("posts", "n")
        .add_identity(Identity::always().start(5));
    pgm.alter_column("posts", "n")
        .set_identity(Identity::by_default().cache(3));
    pgm.alter_column("posts", "n")
        .drop_identity_if_exists()
        .drop_expression();

    // Indexes
    pgm.create_index("posts", ["title"]);
    pgm.create_index(("app", "posts"), ["title", "created_at"])
        .name("posts_title_idx")
        .unique()
        .concurrently()
        .method("btree")
        .where_clause("deleted_at IS NULL")
        .include(["id"])
        .nulls_not_distinct();
    pgm.create_index(
        "posts",
        [
            IndexColumn::column("title"),
            IndexColumn::desc("created_at").nulls_last(),
            IndexColumn::expression("lower(title)")
                .ascending()
                .nulls_first()
                .collate(("pg_catalog", "C"))
                .opclass(("public", "my_ops")),
        ],
    )
    .if_not_exists()
    .concurrently_per_partition();
    pgm.drop_index("posts", ["title"]);
    pgm.drop_index(("app", "posts"), Vec::<IndexColumn>::new())
        .name("posts_title_idx")
        .unique()
        .concurrently()
        .if_exists()
        .cascade();
    pgm.drop_index("measurements", ["taken_at"]).per_partition();
    pgm.rename_index("posts_title_idx", "posts_headline_idx");
    pgm.rename_index(("app", "posts_title_idx"), "posts_headline_idx");

    // Constraints
    pgm.add_constraint(
        "posts",
        "posts_score_check",
        Constraint::check("score >= 0"),
    );
    pgm.add_constraint(
        ("app", "posts"),
        None,
        Constraint::foreign_key(["author_id", "tenant"], "users", ["id", "tenant"])
            .on_delete(FkAction::Restrict)
            .on_update(FkAction::SetDefault)
            .match_type(FkMatch::Simple)
            .deferrable(true)
            .comment("author"),
    )
    .not_valid()
    .if_table_exists();
    pgm.add_constraint(
        "posts",
        "posts_pkey",
        Constraint::primary_key_using_index("posts_id_idx"),
    );
    pgm.add_constraint(
        "posts",
        "posts_slug_key",
        Constraint::unique_using_index("posts_slug_idx"),
    );
    pgm.add_constraint(
        "posts",
        None,
        Constraint::foreign_key(["x"], ("app", "x"), Vec::<&str>::new())
            .on_delete(FkAction::NoAction),
    );
    pgm.drop_constraint("posts", "posts_score_check");
    pgm.drop_constraint(("app", "posts"), "posts_score_check")
        .if_exists()
        .cascade()
        .if_table_exists();
    pgm.validate_constraint("posts", "posts_score_check");
    pgm.validate_constraint(("app", "posts"), "posts_author_fk");
    pgm.rename_constraint("posts", "a", "b");
    pgm.rename_constraint(("app", "posts"), "a", "b")
        .if_table_exists();

    // Functions
    pgm.create_function("touch", [] as [FunctionParam; 0], BODY)
        .returns("trigger");
    pgm.create_function(
        ("app", "split_name"),
        [
            param("whole", "text").r#in().default("x y"),
            param("first", "text").out(),
            param("rest", "text").inout(),
            FunctionParam::unnamed("int").default(expr("1 + 1")),
            param("more", "text[]").variadic(),
        ],
        "SELECT 1",
    )
    .language("sql")
    .or_replace()
    .immutable()
    .security_definer()
    .strict()
    .parallel_safe()
    .set("search_path", "")
    .set("work_mem", 64)
    .set_from_current("timezone")
    .comment("splits");
    pgm.create_function("agg", ["int"], "x")
        .window()
        .stable()
        .security_invoker()
        .called_on_null_input()
        .parallel_restricted();
    pgm.create_function("v", [FunctionParam::unnamed("int")], "x")
        .volatile()
        .parallel_unsafe();
    pgm.drop_function("touch", [] as [FunctionParam; 0]);
    pgm.drop_function(("app", "split_name"), [FunctionParam::unnamed("text")])
        .if_exists()
        .cascade();
    pgm.rename_function("touch", ["int", "text"], "touch_row");

    // Triggers
    pgm.create_trigger("posts", "posts_touch", "touch")
        .before()
        .on_insert()
        .on_update()
        .for_each_row();
    pgm.create_trigger(("app", "posts"), "posts_audit", ("audit", "log"))
        .after()
        .on_update_of(["title", "body"])
        .on_delete()
        .when("OLD.* IS DISTINCT FROM NEW.*")
        .constraint()
        .initially_deferred()
        .arguments([Value::from("posts"), Value::from(1), expr("now()")])
        .comment("audit")
        .for_each_row();
    pgm.create_trigger("posts", "posts_truncate", "on_truncate")
        .instead_of()
        .on_truncate()
        .deferrable()
        .for_each_statement();
    pgm.create_trigger_with_function("posts", "posts_touch_inline", BODY)
        .before()
        .on_update()
        .for_each_row();
    pgm.create_trigger_with_function(("app", "posts"), "posts_sql", "SELECT 1")
        .language("sql")
        .function_name("posts_sql_fn")
        .after()
        .on_insert();
    pgm.create_trigger_with_function("posts", "posts_other", "x")
        .function_name(("audit", "posts_other_fn"))
        .after()
        .on_delete();
    pgm.drop_trigger("posts", "posts_touch");
    pgm.drop_trigger(("app", "posts"), "posts_touch")
        .if_exists()
        .cascade();
    pgm.rename_trigger("posts", "a", "b");

    // Views
    pgm.create_view(
        "active_posts",
        "SELECT * FROM posts\nWHERE deleted_at IS NULL",
    );
    pgm.create_view(("app", "recent"), "SELECT 1 AS n")
        .or_replace()
        .temporary()
        .recursive()
        .columns(["n"])
        .check_option(CheckOption::Cascaded)
        .option("security_barrier", true)
        .option("security_invoker", "on")
        .comment("recent");
    pgm.create_view("local_view", "SELECT 1")
        .check_option(CheckOption::Local);
    pgm.drop_view("active_posts");
    pgm.drop_view(("app", "recent")).if_exists().cascade();
    pgm.alter_view("active_posts")
        .check_option(CheckOption::Local)
        .set_option("security_barrier", false)
        .reset_option("security_invoker")
        .no_check_option();
    pgm.alter_view_column("active_posts", "score")
        .set_default(0);
    pgm.alter_view_column(("app", "recent"), "n").drop_default();
    pgm.alter_view_column("active_posts", "score");
    pgm.rename_view(("app", "recent"), "latest");

    // Materialized views
    pgm.create_materialized_view("post_counts", "SELECT count(*) FROM posts");
    pgm.create_materialized_view(("app", "stats"), "SELECT 1 AS n\nFROM posts")
        .if_not_exists()
        .columns(["n"])
        .tablespace("fast")
        .storage_parameter("fillfactor", 70)
        .storage_parameter("autovacuum_enabled", false)
        .with_data(false)
        .comment("stats");
    pgm.create_materialized_view("m", "SELECT 1")
        .with_data(true);
    pgm.drop_materialized_view("post_counts");
    pgm.drop_materialized_view(("app", "stats"))
        .if_exists()
        .cascade();
    pgm.alter_materialized_view(("app", "stats"))
        .cluster_on("stats_n_idx")
        .set_storage_parameter("fillfactor", 50)
        .set_storage_parameter("autovacuum_enabled", true)
        .depends_on_extension("pg_trgm")
        .reset_storage_parameter("fillfactor")
        .reset_storage_parameter("toast_tuple_target")
        .set_without_cluster()
        .no_depends_on_extension("pg_trgm");
    pgm.rename_materialized_view("post_counts", "post_totals");
    pgm.rename_materialized_view_column(("app", "stats"), "n", "total");
    pgm.refresh_materialized_view("post_counts");
    pgm.refresh_materialized_view(("app", "stats"))
        .concurrently()
        .with_data(true);
    pgm.refresh_materialized_view("m").with_data(false);

    // Policies
    pgm.create_policy("documents", "owner_reads");
    pgm.create_policy(("app", "documents"), "owner_writes")
        .restrictive()
        .command(PolicyCommand::Update)
        .to(["app_user", "PUBLIC"])
        .using("owner = current_user")
        .with_check("owner = current_user")
        .comment("owners only");
    pgm.create_policy("documents", "p")
        .permissive()
        .command(PolicyCommand::All);
    pgm.create_policy("documents", "s")
        .command(PolicyCommand::Select);
    pgm.create_policy("documents", "i")
        .command(PolicyCommand::Insert);
    pgm.create_policy("documents", "d")
        .command(PolicyCommand::Delete);
    pgm.alter_policy("documents", "owner_reads");
    pgm.alter_policy(("app", "documents"), "owner_writes")
        .to(["admin"])
        .using("true")
        .with_check("false");
    pgm.drop_policy("documents", "owner_reads");
    pgm.drop_policy(("app", "documents"), "owner_writes")
        .if_exists();
    pgm.rename_policy("documents", "a", "b");

    // Types
    pgm.create_type("mood", ["sad", "ok", "happy"]);
    pgm.create_type(
        ("app", "status"),
        TypeDefinition::enumeration(Vec::<String>::new()),
    )
    .comment("status")
    .drop_cascade();
    pgm.create_type("address", [("street", "text"), ("zip", "varchar(10)")]);
    pgm.create_type(
        ("app", "empty"),
        TypeDefinition::composite(Vec::<(&str, &str)>::new()),
    );
    pgm.drop_type("mood");
    pgm.drop_type(("app", "status")).if_exists().cascade();
    pgm.rename_type(("app", "status"), "state");
    pgm.add_type_attribute(("app", "address"), "city", "text");
    pgm.drop_type_attribute("address", "city");
    pgm.drop_type_attribute("address", "zip").if_exists();
    pgm.rename_type_attribute("address", "street", "line1");
    pgm.set_type_attribute("address", "zip", "text");
    pgm.add_type_value("mood", "meh");
    pgm.add_type_value(("app", "mood"), "great")
        .if_not_exists()
        .after("happy");
    pgm.add_type_value("mood", "awful").before("sad");
    pgm.rename_type_value(("app", "mood"), "meh", "so-so");

    // Schemas
    pgm.create_schema("app");
    pgm.create_schema("Reports")
        .if_not_exists()
        .authorization("reporter")
        .comment("reports")
        .drop_cascade();
    pgm.drop_schema("app");
    pgm.drop_schema("Reports").if_exists().cascade();
    pgm.rename_schema("app", "application");

    // Sequences
    pgm.create_sequence("order_no");
    pgm.create_sequence(("app", "order_no"))
        .temporary()
        .if_not_exists()
        .data_type("integer")
        .increment(-1)
        .minvalue(-1000)
        .maxvalue(-1)
        .start(-1)
        .cache(20)
        .cycle()
        .owned_by(("app", "orders"), "no")
        .comment("numbers")
        .drop_cascade();
    pgm.create_sequence("s")
        .no_minvalue()
        .no_maxvalue()
        .no_cycle();
    pgm.alter_sequence("order_no");
    pgm.alter_sequence(("app", "order_no"))
        .increment(5)
        .maxvalue(i64::MAX)
        .owned_by_none()
        .restart();
    pgm.alter_sequence("order_no")
        .restart_with(100)
        .owned_by("orders", "no");
    pgm.drop_sequence("order_no");
    pgm.drop_sequence(("app", "order_no")).if_exists().cascade();
    pgm.rename_sequence(("app", "order_no"), "order_number");

    // Extensions
    pgm.create_extension(["pg_trgm"]);
    pgm.create_extension(["hstore", "citext"])
        .if_not_exists()
        .schema("extensions")
        .comment("text types")
        .drop_cascade();
    pgm.drop_extension(["pg_trgm"]);
    pgm.drop_extension(["hstore", "citext"])
        .if_exists()
        .cascade();

    // Domains
    pgm.create_domain("positive", "int");
    pgm.create_domain(("app", "email"), "text")
        .collation("C")
        .default("nobody@example.com")
        .not_null()
        .check("VALUE LIKE '%@%'")
        .constraint_name("email_check")
        .comment("an address")
        .drop_cascade();
    pgm.alter_domain("positive")
        .set_default(1)
        .set_not_null()
        .add_check("VALUE > 0")
        .constraint_name("positive_check")
        .not_valid();
    pgm.alter_domain(("app", "email"))
        .drop_default()
        .drop_not_null();
    pgm.drop_domain("positive");
    pgm.drop_domain(("app", "email")).if_exists().cascade();
    pgm.rename_domain(("app", "email"), "address");

    // Roles and grants
    pgm.create_role("reporter");
    pgm.create_role("Admin Team")
        .superuser(false)
        .createdb(true)
        .createrole(false)
        .inherit(true)
        .login(true)
        .replication(false)
        .bypassrls(false)
        .connection_limit(-1)
        .password("it's secret")
        .valid_until("2027-01-01")
        .in_role(["staff", "PUBLIC"])
        .members(["alice"])
        .admins(["bob", "current_user"]);
    pgm.alter_role("reporter").no_password().login(false);
    pgm.alter_role("reporter");
    pgm.drop_role("reporter");
    pgm.drop_role("Admin Team").if_exists();
    pgm.rename_role("reporter", "auditor");
    pgm.grant_roles(["staff"], ["alice", "SESSION_USER"]);
    pgm.grant_roles(["staff", "admins"], ["bob"])
        .with_admin_option();
    pgm.revoke_roles(["staff"], ["alice"]);
    pgm.revoke_roles(["staff"], ["bob"])
        .admin_option_for()
        .cascade();
    pgm.grant_on_schemas(["app"], [Privilege::Usage], ["reporter"]);
    pgm.grant_on_schemas(
        ["app", "Reports"],
        [Privilege::Usage, Privilege::Create],
        ["PUBLIC"],
    )
    .with_grant_option();
    pgm.revoke_on_schemas(["app"], [Privilege::All], ["reporter"]);
    pgm.revoke_on_schemas(["app"], [Privilege::Create], ["reporter"])
        .grant_option_for()
        .cascade();
    pgm.grant_on_tables(
        ["posts"],
        [Privilege::Select, Privilege::Insert],
        ["reporter"],
    );
    pgm.grant_on_tables(
        [Name::new("posts"), Name::qualified("app", "comments")],
        [
            Privilege::Update,
            Privilege::Delete,
            Privilege::Truncate,
            Privilege::References,
            Privilege::Trigger,
        ],
        ["reporter", "CURRENT_ROLE"],
    )
    .with_grant_option();
    pgm.grant_on_all_tables_in_schemas(["app"], [Privilege::Select], ["reporter"]);
    pgm.revoke_on_tables([("app", "posts")], [Privilege::Select], ["reporter"]);
    pgm.revoke_on_tables(["posts"], [Privilege::All], ["reporter"])
        .grant_option_for()
        .cascade();

    // Casts
    pgm.create_cast("text", "mood", CastMethod::Inout);
    pgm.create_cast("cents", "numeric", CastMethod::WithoutFunction)
        .as_assignment()
        .drop_cascade();
    pgm.create_cast(
        "cents",
        "bigint",
        CastMethod::Function {
            name: ("app", "cents_to_bigint").into(),
            arguments: vec!["cents".into(), "int".into()],
        },
    )
    .as_implicit();
    pgm.create_cast(
        "a",
        "b",
        CastMethod::Function {
            name: "f".into(),
            arguments: Vec::new(),
        },
    );
    pgm.drop_cast("text", "mood");
    pgm.drop_cast("cents", "numeric").if_exists().cascade();

    // Operators, operator families and classes
    pgm.create_operator("===", "text_eq_ci")
        .left("text")
        .right("text")
        .commutator("===")
        .negator(("app", "!=="))
        .restrict("eqsel")
        .join(("pg_catalog", "eqjoinsel"))
        .hashes()
        .merges()
        .drop_cascade();
    pgm.create_operator(("app", "-"), ("app", "negate"))
        .right("cents");
    pgm.drop_operator("===", Some("text"), "text");
    pgm.drop_operator(("app", "-"), None, "cents")
        .if_exists()
        .cascade();
    pgm.create_operator_family("text_ci_ops", "btree");
    pgm.create_operator_family(("app", "text_ci_ops"), "hash");
    pgm.drop_operator_family("text_ci_ops", "btree");
    pgm.drop_operator_family(("app", "text_ci_ops"), "hash")
        .if_exists()
        .cascade();
    pgm.rename_operator_family(("app", "text_ci_ops"), "btree", "ci_ops");
    pgm.add_to_operator_family(
        "text_ci_ops",
        "btree",
        [
            OperatorMember::operator(1, "<").for_types("text", "citext"),
            OperatorMember::operator(3, ("app", "===")),
            OperatorMember::function(1, ("app", "ci_cmp"), ["text", "text"])
                .for_types("text", "text"),
            OperatorMember::function(2, "sortsupport", Vec::<String>::new()),
        ],
    );
    pgm.remove_from_operator_family("text_ci_ops", "btree", [OperatorMember::operator(1, "<")]);
    pgm.create_operator_class(
        "text_ci_ops",
        "text",
        "btree",
        [OperatorMember::operator(3, "===")],
    )
    .default_for_type()
    .family(("app", "text_ci_ops"));
    pgm.create_operator_class(
        ("app", "empty_ops"),
        "int",
        "hash",
        Vec::<OperatorMember>::new(),
    );
    pgm.drop_operator_class("text_ci_ops", "btree");
    pgm.drop_operator_class(("app", "text_ci_ops"), "btree")
        .if_exists()
        .cascade();
    pgm.rename_operator_class("text_ci_ops", "btree", "ci_ops");

    // Version gates, their branches written as closures
    pgm.since_pg(15, |pgm| {
        pgm.create_index("posts", ["title"]).nulls_not_distinct();
        pgm.sql("SELECT\n1");
    })
    .otherwise(|pgm| {
        pgm.no_transaction();
        pgm.lock_timeout(Duration::from_millis(1500));
        pgm.contract("app v1 is gone");
        pgm.create_index("posts", ["title"]);
    });
    pgm.since_pg(14, |_| {});
}

/// `{:?}` of an operation without the places its version branches were recorded at (`Location {..}`), which
/// differ between this file and the generated one.
fn without_locations(debug: &str) -> String {
    let mut out = String::new();
    let mut rest = debug;
    while let Some(start) = rest.find("Location { file: ") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after.find('}').map_or(after.len(), |end| end + 1);
        out.push_str("Location");
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Compiles `snippets` (one builder call each) in one generated crate whose program records them on one
/// builder and prints each recorded operation with `{:?}`, one a line; returns what it printed.
fn run_snippets(snippets: &[String]) -> Result<Vec<String>, String> {
    let root = tests::cli::workspace_root();
    let dir = root.join("target").join("dsl-source");
    let src = dir.join("src");
    let _ = std::fs::remove_dir_all(&src);
    std::fs::create_dir_all(&src).map_err(|e| e.to_string())?;
    let mut main =
        String::from("use migrate_dsl::prelude::*;\n\nfn record(pgm: &mut MigrationBuilder) {\n");
    for snippet in snippets {
        main.push_str("    ");
        main.push_str(snippet);
        main.push('\n');
    }
    main.push_str(
        "}\n\nfn main() {\n    let mut pgm = MigrationBuilder::new();\n    record(&mut pgm);\n    \
         for op in pgm.operations() {\n        println!(\"{op:?}\");\n    }\n}\n",
    );
    std::fs::write(src.join("main.rs"), main).map_err(|e| e.to_string())?;
    let manifest = format!(
        "[package]\nname = \"dsl-source\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [workspace]\n\n[dependencies]\nmigrate-dsl = {{ path = {:?}, package = \"pgm-migrate-dsl\" }}\n\n{}",
        root.join("migrate-dsl"),
        tests::cli::E2E_PROFILE,
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).map_err(|e| e.to_string())?;
    let target = tests::cli::e2e_target();
    let build = Command::new(env!("CARGO"))
        .args(["build", "--offline", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .map_err(|e| e.to_string())?;
    if !build.status.success() {
        return Err(format!(
            "the written-back calls do not compile:\n{}",
            String::from_utf8_lossy(&build.stderr)
        ));
    }
    let binary: PathBuf = target.join("debug").join("dsl-source");
    let run = Command::new(&binary).output().map_err(|e| e.to_string())?;
    if !run.status.success() {
        return Err(format!(
            "the written-back calls fail when recorded:\n{}",
            String::from_utf8_lossy(&run.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(str::to_owned)
        .collect())
}

#[test]
fn every_writable_operation_is_written_back_as_the_call_that_records_it() {
    let mut pgm = MigrationBuilder::new();
    record_all(&mut pgm);
    let originals = pgm.operations();
    let snippets: Vec<String> = originals
        .iter()
        .map(|op| {
            op.to_rust()
                .unwrap_or_else(|e| panic!("{} is not written back: {e}", op.name()))
        })
        .collect();
    let recorded = run_snippets(&snippets).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        recorded.len(),
        originals.len(),
        "the written-back calls record another number of operations"
    );
    let mut different = Vec::new();
    for ((original, snippet), again) in originals.iter().zip(&snippets).zip(&recorded) {
        let expected = without_locations(&format!("{original:?}"));
        let again = without_locations(again);
        if expected != again {
            different.push(format!(
                "{snippet}\n  records: {again}\n  instead of: {expected}"
            ));
        }
    }
    assert!(
        different.is_empty(),
        "written back as other operations:\n{}",
        different.join("\n")
    );
}

#[test]
fn every_operation_is_written_back_or_listed_as_not_writable() {
    let mut pgm = MigrationBuilder::new();
    record_all(&mut pgm);
    let covered: BTreeSet<&str> = pgm.operations().iter().map(Operation::name).collect();
    let listed: BTreeSet<&str> = NOT_WRITABLE.iter().copied().collect();
    let both: Vec<&&str> = covered.intersection(&listed).collect();
    assert!(
        both.is_empty(),
        "exercised and listed as not writable: {both:?}"
    );
    let forgotten: Vec<&&str> = Operation::NAMES
        .iter()
        .filter(|name| !covered.contains(*name) && !listed.contains(*name))
        .collect();
    assert!(
        forgotten.is_empty(),
        "neither exercised by record_all nor listed in NOT_WRITABLE: {forgotten:?}"
    );
    let unknown: Vec<&&str> = listed
        .iter()
        .filter(|name| !Operation::NAMES.contains(*name))
        .collect();
    assert!(
        unknown.is_empty(),
        "listed but no such operation: {unknown:?}"
    );
}

/// Every operation in [`NOT_WRITABLE`] that a migration can record, and the derived ones through the
/// `down` that holds them, is refused with an error naming it, never written as other Rust.
#[test]
fn operations_not_written_back_are_refused_by_name() {
    let mut pgm = MigrationBuilder::new();
    pgm.db("fill", |_| Ok(()));
    pgm.backfill("users", "email_lower = lower(email)");
    let mut up = MigrationBuilder::new();
    up.create_function("touch", [] as [FunctionParam; 0], "x")
        .or_replace();
    up.add_constraint_online("events", None, Constraint::unique(["id"]))
        .per_partition();
    let down = up.reversed().expect("both have a derived reverse");
    let mut ops: Vec<Operation> = pgm.operations().to_vec();
    ops.extend(down.operations().iter().cloned());
    let mut seen = BTreeSet::new();
    for op in &ops {
        let name = op.name();
        seen.insert(name);
        assert!(NOT_WRITABLE.contains(&name), "{name} is not listed");
        match op.to_rust() {
            Err(e @ DslError::NotWritable { .. }) => {
                assert!(
                    e.to_string().starts_with(&format!("pgm.{name}(..): ")),
                    "{e}"
                );
            }
            other => panic!("{name} gave {other:?}"),
        }
    }
    for name in [
        "db",
        "backfill",
        "restore_previous",
        "drop_partition_constraint",
    ] {
        assert!(seen.contains(name), "{name} not exercised: {seen:?}");
    }
}

/// A setting no builder call gives is refused, naming the operation and the setting.
#[test]
fn settings_without_a_builder_form_are_refused() {
    let mut pgm = MigrationBuilder::new();
    pgm.add_columns(
        "posts",
        [column("author_id", "bigint").on_delete(FkAction::Cascade)],
    );
    pgm.add_constraint(
        "posts",
        None,
        Constraint::check("a > 0").on_delete(FkAction::Cascade),
    );
    pgm.since_pg(15, |pgm| {
        pgm.sql("SELECT 1");
        pgm.db("fill", |_| Ok(()));
    });
    let mut down = MigrationBuilder::new();
    down.rename_column_online("comments", "contents", "body");
    let undo = down
        .reversed()
        .expect("an online rename has a derived reverse");
    let mut ops: Vec<Operation> = pgm.operations().to_vec();
    ops.extend(undo.operations().iter().cloned());
    let refused: Vec<String> = ops
        .iter()
        .map(|op| match op.to_rust() {
            Err(e) => e.to_string(),
            Ok(rust) => panic!("{} written as {rust}", op.name()),
        })
        .collect();
    assert_eq!(
        refused,
        [
            "pgm.add_columns(..): column \"author_id\": `on_delete` without `references` (no foreign key to write it on) has no builder form to write back as Rust",
            "pgm.add_constraint(..): a constraint's `on_delete`, which applies only to foreign keys has no builder form to write back as Rust",
            "pgm.db(..): data code (the operation holds a compiled Rust function, not its source) has no builder form to write back as Rust",
            "pgm.rename_column_online(..): the undo of a phase (only a derived `down` holds it) has no builder form to write back as Rust",
        ]
    );
}
