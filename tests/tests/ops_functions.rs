//! Functions, triggers, views, materialized views and policies: every operation's SQL (forward and reverse)
//! pinned with insta, and run on a real database; reversible ones must restore the catalog exactly.

use migrate_dsl::prelude::*;
use tests::roundtrip::Case;

const POSTS: &str = "CREATE TABLE posts (id bigint PRIMARY KEY, title text, author text, \
                     published boolean NOT NULL DEFAULT false, updated_at timestamptz)";

// ---------------------------------------------------------------------------------------------- functions

#[test]
fn create_function_round_trip_with_every_option() {
    let case = Case::new("CREATE SCHEMA app");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        // IN, OUT and INOUT parameters; the result is described by the OUT ones, so no RETURNS.
        pgm.create_function(
            ("app", "Split Name"),
            [
                param("whole", "text").r#in(),
                param("first", "text").out(),
                param("rest", "text").inout(),
            ],
            "SELECT split_part(whole, ' ', 1), rest",
        )
        .language("sql")
        .immutable()
        .strict()
        .parallel_safe()
        .comment("splits a name");
        // VARIADIC, a body holding the default dollar-quote tag, SECURITY DEFINER with a pinned search_path.
        pgm.create_function(
            ("app", "total"),
            [param("xs", "int[]").variadic()],
            "SELECT sum(x) FROM unnest(xs) x -- not the end: $body$",
        )
        .language("sql")
        .returns("bigint")
        .stable()
        .security_definer()
        .called_on_null_input()
        .parallel_restricted()
        .set("search_path", expr("app, pg_temp"))
        .set("statement_timeout", "5s")
        .set_from_current("work_mem");
        // Defaults: a literal and an expression.
        pgm.create_function(
            "greet",
            [
                param("who", "text").default("world"),
                param("punct", "text").default(expr("'!' || ''")),
            ],
            "BEGIN RETURN 'hello ' || who || punct; END",
        )
        .returns("text")
        .volatile()
        .security_invoker()
        .parallel_unsafe();
        // WINDOW: only C and internal functions can be window functions.
        pgm.create_function("my_rank", Vec::<FunctionParam>::new(), "window_rank")
            .language("internal")
            .returns("bigint")
            .window();
    }));
}

#[test]
fn rename_function_round_trip() {
    let case = Case::new(
        "CREATE SCHEMA app; \
         CREATE FUNCTION app.add(a int, b int, OUT s int) LANGUAGE sql AS 'SELECT a + b'",
    );
    insta::assert_snapshot!(case.round_trip(|pgm| {
        // The creation-time parameter list works: OUT parameters are left out of the identity.
        pgm.rename_function(
            ("app", "add"),
            [
                param("a", "int"),
                param("b", "int"),
                param("s", "int").out(),
            ],
            "Plus",
        );
    }));
}

#[test]
fn drop_function_is_forward_only() {
    let case = Case::new("CREATE FUNCTION twice(int) RETURNS int LANGUAGE sql AS 'SELECT $1 * 2'");
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.drop_function("twice", ["int"]).if_exists().cascade();
    }));
}

// ---------------------------------------------------------------------------------------------- triggers

const TRIGGER_SETUP: &str = "CREATE SCHEMA app; \
     CREATE TABLE app.posts (id bigint PRIMARY KEY, title text, \"Slug\" text, updated_at timestamptz); \
     CREATE VIEW app.posts_view AS SELECT id, title FROM app.posts; \
     CREATE FUNCTION app.noop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'";

#[test]
fn create_trigger_round_trip_with_every_option() {
    let case = Case::new(TRIGGER_SETUP);
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_trigger(("app", "posts"), "Posts Touch", ("app", "noop"))
            .before()
            .on_update_of(["title", "Slug"])
            .on_insert()
            .for_each_row()
            .when("NEW.title IS NOT NULL")
            .comment("keeps updated_at fresh");
        pgm.create_trigger(("app", "posts"), "posts_audit", ("app", "noop"))
            .after()
            .on_insert()
            .on_update()
            .on_delete()
            .for_each_statement()
            .arguments([Value::from("it's"), Value::from(1), Value::from(true)]);
        pgm.create_trigger(("app", "posts"), "posts_truncate", ("app", "noop"))
            .after()
            .on_truncate();
        pgm.create_trigger(("app", "posts"), "posts_check", ("app", "noop"))
            .after()
            .on_insert()
            .for_each_row()
            .constraint()
            .initially_deferred();
        pgm.create_trigger(("app", "posts"), "posts_check_immediate", ("app", "noop"))
            .after()
            .on_update()
            .for_each_row()
            .constraint()
            .deferrable();
        pgm.create_trigger(("app", "posts_view"), "posts_view_insert", ("app", "noop"))
            .instead_of()
            .on_insert()
            .for_each_row();
    }));
}

#[test]
fn create_trigger_with_inline_function_round_trip() {
    let case = Case::new(TRIGGER_SETUP);
    insta::assert_snapshot!(case.round_trip(|pgm| {
        // The function is named after the trigger, in the table's schema.
        pgm.create_trigger_with_function(
            ("app", "posts"),
            "posts_touch",
            "BEGIN NEW.updated_at := now(); RETURN NEW; END",
        )
        .before()
        .on_update()
        .for_each_row();
        // Or named explicitly.
        pgm.create_trigger_with_function(
            ("app", "posts"),
            "posts_touch_insert",
            "BEGIN NEW.updated_at := now(); RETURN NEW; END",
        )
        .function_name("Touch Updated At")
        .before()
        .on_insert()
        .for_each_row();
    }));
}

#[test]
fn rename_trigger_round_trip() {
    let case = Case::new(&format!(
        "{TRIGGER_SETUP}; CREATE TRIGGER touch BEFORE UPDATE ON app.posts FOR EACH ROW EXECUTE FUNCTION app.noop()"
    ));
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.rename_trigger(("app", "posts"), "touch", "Touch Row");
    }));
}

#[test]
fn drop_trigger_is_forward_only() {
    let case = Case::new(&format!(
        "{TRIGGER_SETUP}; CREATE TRIGGER touch BEFORE UPDATE ON app.posts FOR EACH ROW EXECUTE FUNCTION app.noop()"
    ));
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.drop_trigger(("app", "posts"), "touch")
            .if_exists()
            .cascade();
    }));
}

// ---------------------------------------------------------------------------------------------- views

#[test]
fn create_view_round_trip_with_every_option() {
    let case = Case::new(&format!("CREATE SCHEMA app; {POSTS}"));
    // `security_invoker` exists from PostgreSQL 15 on.
    let views = |pgm: &mut MigrationBuilder, security_invoker: bool| {
        let view = pgm
            .create_view(
                ("app", "Published Posts"),
                "SELECT id, title FROM posts WHERE published",
            )
            .columns(["post_id", "Title"])
            .option("security_barrier", true);
        if security_invoker {
            view.option("security_invoker", false);
        }
        view.check_option(CheckOption::Local)
            .comment("what readers see");
        pgm.create_view(
            "one_to_ten",
            "VALUES (1) UNION ALL SELECT n + 1 FROM one_to_ten WHERE n < 10",
        )
        .recursive()
        .columns(["n"]);
    };
    if case.db.server_major() < 15 {
        case.assert_refused_on_this_server(
            |pgm| views(pgm, true),
            "the view option security_invoker",
            15,
        );
        // The rest of the case (the snapshot pins the SQL with the option).
        case.round_trip(|pgm| views(pgm, false));
        return;
    }
    insta::assert_snapshot!(case.round_trip(|pgm| views(pgm, true)));
}

// `CREATE OR REPLACE` (functions and views) is reversed exactly through the engine: see `reversal.rs`.

#[test]
fn create_temporary_view_is_forward_only() {
    let case = Case::new(POSTS);
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.create_view("scratch", "SELECT 1 AS one").temporary();
    }));
}

#[test]
fn rename_view_round_trip() {
    let case = Case::new(&format!(
        "CREATE SCHEMA app; {POSTS}; CREATE VIEW app.titles AS SELECT id, title FROM posts"
    ));
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.rename_view(("app", "titles"), "Post Titles");
    }));
}

#[test]
fn alter_view_alter_view_column_and_drop_view_are_forward_only() {
    let case = Case::new(&format!(
        "{POSTS}; CREATE VIEW published WITH (security_barrier) AS SELECT * FROM posts WHERE published; \
         CREATE VIEW titles AS SELECT id, title FROM posts"
    ));
    // `security_invoker` exists from PostgreSQL 15 on.
    let changes = |pgm: &mut MigrationBuilder, security_invoker: bool| {
        let view = pgm
            .alter_view("published")
            .check_option(CheckOption::Cascaded);
        if security_invoker {
            view.set_option("security_invoker", true);
        }
        view.reset_option("security_barrier");
        pgm.alter_view("published").no_check_option();
        pgm.alter_view_column("published", "published")
            .set_default(true);
        pgm.alter_view_column("published", "updated_at")
            .set_default(expr("now()"));
        pgm.alter_view_column("published", "updated_at")
            .drop_default();
        pgm.drop_view("titles").if_exists().cascade();
    };
    let options = || {
        case.db.query_strings(
            "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'published'",
        )
    };
    if case.db.server_major() < 15 {
        case.assert_refused_on_this_server(
            |pgm| changes(pgm, true),
            "the view option security_invoker",
            15,
        );
        // The rest of the case (the snapshot pins the SQL with the option).
        case.forward_only(|pgm| changes(pgm, false));
        assert_eq!(options(), [[None]]);
        return;
    }
    insta::assert_snapshot!(case.forward_only(|pgm| changes(pgm, true)));
    assert_eq!(options(), [[Some("security_invoker=true".to_owned())]]);
}

// ---------------------------------------------------------------------------------------------- materialized views

const COUNTS: &str = "CREATE MATERIALIZED VIEW post_counts AS \
                      SELECT author, count(*) AS posts FROM posts GROUP BY author; \
                      CREATE UNIQUE INDEX post_counts_author_index ON post_counts (author)";

#[test]
fn create_materialized_view_round_trip_with_every_option() {
    let case = Case::new(&format!("CREATE SCHEMA app; {POSTS}"));
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_materialized_view(
            ("app", "Post Counts"),
            "SELECT author, count(*) FROM posts GROUP BY author",
        )
        .columns(["author", "Posts"])
        .tablespace("pg_default")
        .storage_parameter("fillfactor", 70)
        .storage_parameter("autovacuum_enabled", false)
        .with_data(false)
        .comment("refreshed nightly");
        pgm.refresh_materialized_view(("app", "Post Counts"))
            .with_data(true);
        pgm.create_materialized_view("titles", "SELECT id, title FROM posts")
            .with_data(true);
    }));
}

#[test]
fn refresh_materialized_view_round_trip() {
    let case = Case::new(&format!("{POSTS}; {COUNTS}"));
    // CONCURRENTLY runs inside the migration's transaction. WITH NO DATA empties the view; its reverse fills it
    // again (the fingerprint records whether a materialized view is populated).
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.refresh_materialized_view("post_counts").concurrently();
        pgm.refresh_materialized_view("post_counts")
            .with_data(false);
    }));
}

#[test]
fn rename_materialized_view_and_column_round_trip() {
    let case = Case::new(&format!(
        "CREATE SCHEMA app; {POSTS}; {COUNTS}; ALTER MATERIALIZED VIEW post_counts SET SCHEMA app"
    ));
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.rename_materialized_view_column(("app", "post_counts"), "posts", "Post Count");
        pgm.rename_materialized_view(("app", "post_counts"), "Author Stats");
    }));
}

#[test]
fn alter_and_drop_materialized_view_are_forward_only() {
    let case = Case::new(&format!(
        "{POSTS}; {COUNTS}; CREATE MATERIALIZED VIEW titles AS SELECT title FROM posts"
    ));
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.alter_materialized_view("post_counts")
            .cluster_on("post_counts_author_index")
            .depends_on_extension("plpgsql")
            .set_storage_parameter("fillfactor", 80)
            .set_storage_parameter("autovacuum_enabled", false)
            .reset_storage_parameter("fillfactor");
        pgm.alter_materialized_view("titles")
            .depends_on_extension("plpgsql")
            .no_depends_on_extension("plpgsql")
            .set_without_cluster();
        pgm.drop_materialized_view("titles").if_exists().cascade();
    }));
    let state = case.db.query_strings(
        "SELECT (SELECT indisclustered::text FROM pg_index WHERE indexrelid = 'post_counts_author_index'::regclass), \
         (SELECT count(*)::text FROM pg_depend WHERE deptype = 'x'), \
         (SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'post_counts')",
    );
    assert_eq!(
        state,
        [[
            Some("true".to_owned()),
            Some("1".to_owned()),
            Some("autovacuum_enabled=false".to_owned())
        ]]
    );
}

// ---------------------------------------------------------------------------------------------- policies

/// A role for one test, named after its database so parallel tests and the fingerprint keep it apart. Roles
/// are cluster-wide: the guard drops it, after removing it from the test database's policies (`DROP OWNED`),
/// whatever order the guard and the database are dropped in.
struct TestRole {
    db_url: String,
    admin_url: String,
    name: String,
}

impl TestRole {
    fn new(case: &Case, suffix: &str) -> TestRole {
        let name = format!("{}_{suffix}", case.db.name());
        case.db.exec(&format!("CREATE ROLE {}", ident(&name)));
        TestRole {
            db_url: case.db.url().to_owned(),
            admin_url: case.db.admin_url().to_owned(),
            name,
        }
    }
}

impl Drop for TestRole {
    fn drop(&mut self) {
        let role = ident(&self.name);
        // The database may already be gone; then nothing in it refers to the role.
        if let Ok(mut db) = postgres::Client::connect(&self.db_url, postgres::NoTls) {
            let _ = db.batch_execute(&format!("DROP OWNED BY {role}"));
        }
        let result = postgres::Client::connect(&self.admin_url, postgres::NoTls)
            .and_then(|mut admin| admin.batch_execute(&format!("DROP ROLE IF EXISTS {role}")));
        if let Err(e) = result {
            eprintln!("warning: could not drop test role {}: {e}", self.name);
        }
    }
}

#[test]
fn create_policy_round_trip_quotes_mixed_case_roles() {
    let case = Case::new(POSTS);
    let role = TestRole::new(&case, "Readers");
    // `CURRENT_ROLE` as a role exists from PostgreSQL 14 on.
    let current_role = case.db.server_major() >= 14;
    if !current_role {
        case.assert_refused_on_this_server(
            |pgm| {
                pgm.create_policy("posts", "insert_own")
                    .to(["SESSION_USER", "Current_Role"]);
            },
            "CURRENT_ROLE as a role name",
            14,
        );
    }
    let transcript = case.round_trip(|pgm| {
        // Regression (node-pg-migrate §6): roles were written unquoted, so `Readers` became `readers` and the
        // policy failed or applied to another role.
        pgm.create_policy("posts", "Readers See Published")
            .permissive()
            .command(PolicyCommand::Select)
            .to([role.name.as_str(), "current_user"])
            .using("published")
            .comment("published posts are public");
        pgm.create_policy("posts", "authors_write_own")
            .restrictive()
            .command(PolicyCommand::Update)
            .to(["public"])
            .using("author = current_user")
            .with_check("author = current_user");
        pgm.create_policy("posts", "insert_own")
            .command(PolicyCommand::Insert)
            .to(if current_role {
                vec!["SESSION_USER", "Current_Role"]
            } else {
                vec!["SESSION_USER"]
            })
            .with_check("author = current_user");
        pgm.create_policy("posts", "everything")
            .command(PolicyCommand::All);
        pgm.create_policy("posts", "delete_drafts")
            .command(PolicyCommand::Delete)
            .using("NOT published");
    });
    // The database name varies per run. The snapshot pins the SQL with CURRENT_ROLE.
    if current_role {
        insta::assert_snapshot!(transcript.replace(case.db.name(), "<db>"));
    }
}

#[test]
fn rename_policy_round_trip() {
    let case = Case::new(&format!(
        "{POSTS}; CREATE POLICY own ON posts USING (author = current_user)"
    ));
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.rename_policy("posts", "own", "Own Posts");
    }));
}

#[test]
fn alter_and_drop_policy_are_forward_only() {
    let case = Case::new(&format!(
        "{POSTS}; CREATE POLICY own ON posts USING (author = current_user); \
         CREATE POLICY old ON posts USING (true)"
    ));
    let role = TestRole::new(&case, "Editors");
    let transcript = case.forward_only(|pgm| {
        pgm.alter_policy("posts", "own")
            .to([role.name.as_str()])
            .using("author = session_user")
            .with_check("author = session_user");
        pgm.drop_policy("posts", "old").if_exists();
    });
    insta::assert_snapshot!(transcript.replace(case.db.name(), "<db>"));
    let roles = case.db.query_strings(
        "SELECT array_to_string(roles, ',') FROM pg_policies WHERE policyname = 'own'",
    );
    assert_eq!(roles, [[Some(role.name.clone())]]);
}

// ---------------------------------------------------------------------------------------------- validation

/// Combinations PostgreSQL would reject are refused while rendering, with the operation named.
#[test]
fn impossible_options_are_rejected_before_anything_is_sent() {
    fn check(out: &mut String, what: &str, record: impl FnOnce(&mut MigrationBuilder)) {
        let mut pgm = MigrationBuilder::new();
        record(&mut pgm);
        match pgm.to_sql() {
            Ok(sql) => panic!("{what}: expected an error, got {sql:?}"),
            Err(e) => out.push_str(&format!("{what}: {e}\n")),
        }
    }
    let mut out = String::new();
    check(&mut out, "no return type", |pgm| {
        pgm.create_function("f", ["int"], "SELECT 1")
            .language("sql");
    });
    check(&mut out, "variadic not last", |pgm| {
        pgm.create_function(
            "f",
            [param("xs", "int[]").variadic(), param("y", "int")],
            "SELECT 1",
        )
        .language("sql")
        .returns("int");
    });
    check(&mut out, "default gap", |pgm| {
        pgm.create_function(
            "f",
            [param("a", "int").default(1), param("b", "int")],
            "SELECT 1",
        )
        .language("sql")
        .returns("int");
    });
    check(&mut out, "bad language", |pgm| {
        pgm.create_function("f", ["int"], "SELECT 1")
            .language("sql; DROP TABLE x")
            .returns("int");
    });
    check(&mut out, "bad configuration parameter", |pgm| {
        pgm.create_function("f", ["int"], "SELECT 1")
            .language("sql")
            .returns("int")
            .set("search_path = x; --", "y");
    });
    check(&mut out, "empty body", |pgm| {
        pgm.create_function("f", ["int"], "  ")
            .language("sql")
            .returns("int");
    });
    check(&mut out, "trigger without timing", |pgm| {
        pgm.create_trigger("t", "tr", "f").on_insert();
    });
    check(&mut out, "trigger without event", |pgm| {
        pgm.create_trigger("t", "tr", "f").after();
    });
    check(&mut out, "row-level truncate", |pgm| {
        pgm.create_trigger("t", "tr", "f")
            .after()
            .on_truncate()
            .for_each_row();
    });
    check(&mut out, "statement-level instead of", |pgm| {
        pgm.create_trigger("v", "tr", "f").instead_of().on_insert();
    });
    check(&mut out, "instead of with update columns", |pgm| {
        pgm.create_trigger("v", "tr", "f")
            .instead_of()
            .on_update_of(["a"])
            .for_each_row();
    });
    check(&mut out, "constraint trigger before", |pgm| {
        pgm.create_trigger("t", "tr", "f")
            .before()
            .on_insert()
            .for_each_row()
            .constraint();
    });
    check(&mut out, "deferrable plain trigger", |pgm| {
        pgm.create_trigger("t", "tr", "f")
            .after()
            .on_insert()
            .for_each_row()
            .deferrable();
    });
    check(&mut out, "recursive view without columns", |pgm| {
        pgm.create_view("v", "SELECT 1").recursive();
    });
    check(&mut out, "qualified temporary view", |pgm| {
        pgm.create_view(("app", "v"), "SELECT 1").temporary();
    });
    check(&mut out, "check option twice", |pgm| {
        pgm.create_view("v", "SELECT 1")
            .check_option(CheckOption::Local)
            .option("check_option", "local");
    });
    check(&mut out, "bad view option", |pgm| {
        pgm.create_view("v", "SELECT 1")
            .option("security_barrier) AS SELECT 2; --", true);
    });
    check(&mut out, "empty alter view", |pgm| {
        pgm.alter_view("v");
    });
    check(&mut out, "set and reset", |pgm| {
        pgm.alter_view("v")
            .set_option("security_barrier", true)
            .reset_option("security_barrier");
    });
    check(&mut out, "empty alter view column", |pgm| {
        pgm.alter_view_column("v", "c");
    });
    check(&mut out, "empty alter materialized view", |pgm| {
        pgm.alter_materialized_view("m");
    });
    check(&mut out, "concurrent refresh with no data", |pgm| {
        pgm.refresh_materialized_view("m")
            .concurrently()
            .with_data(false);
    });
    check(&mut out, "select policy with check", |pgm| {
        pgm.create_policy("t", "p")
            .command(PolicyCommand::Select)
            .with_check("true");
    });
    check(&mut out, "insert policy using", |pgm| {
        pgm.create_policy("t", "p")
            .command(PolicyCommand::Insert)
            .using("true");
    });
    check(&mut out, "empty alter policy", |pgm| {
        pgm.alter_policy("t", "p");
    });
    check(&mut out, "empty role", |pgm| {
        pgm.create_policy("t", "p").to([""]);
    });
    insta::assert_snapshot!(out);
}

/// A body holding `$body$` gets another tag, so it cannot end the string early.
#[test]
fn dollar_quote_tag_never_occurs_in_the_body() {
    let mut pgm = MigrationBuilder::new();
    pgm.create_function(
        "f",
        Vec::<FunctionParam>::new(),
        "SELECT '$body$' || '$body1$'",
    )
    .language("sql")
    .returns("text");
    insta::assert_snapshot!(pgm.to_sql().unwrap().join("\n"), @"CREATE FUNCTION \"f\"() RETURNS text LANGUAGE sql AS $body2$SELECT '$body$' || '$body1$'$body2$");
}
