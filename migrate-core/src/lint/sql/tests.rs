use super::*;

fn rules(sqls: &[&str], pg: u32) -> Vec<&'static str> {
    rules_in(sqls, pg, true)
}

/// The rules broken by `sqls` (one operation each) in a migration outside a transaction.
fn rules_outside(sqls: &[&str]) -> Vec<&'static str> {
    rules_in(sqls, 15, false)
}

fn inputs<'a>(sqls: &[&'a str]) -> Vec<Input<'a>> {
    sqls.iter()
        .enumerate()
        .map(|(i, sql)| Input {
            position: i + 1,
            op: "sql",
            sql,
            new_transaction: false,
        })
        .collect()
}

fn rules_in(sqls: &[&str], pg: u32, transactional: bool) -> Vec<&'static str> {
    let (hits, failures) = check(&inputs(sqls), pg, transactional);
    assert!(failures.is_empty(), "{failures:?}");
    // What `lint` reports by default; the rules that are off are tested in their own files, and so is
    // `prefer-bigint-over-int`, whose check of every integer column (squawk's, these hits) runs only when the
    // rule is enabled by name.
    let checked = crate::lint::RuleSelection::default();
    hits.iter()
        .filter(|h| checked.checks(h.rule) && h.rule != crate::lint::Rule::PreferBigintOverInt)
        .map(|h| h.rule.name())
        .collect()
}

#[test]
fn normalise_folds_unquoted_and_keeps_quoted() {
    assert_eq!(normalise("Posts"), "posts");
    assert_eq!(normalise(r#""public"."Posts""#), "Posts");
    assert_eq!(normalise(r#""a.b""c""#), "a.b\"c");
    assert_eq!(normalise("app . posts"), "posts");
}

#[test]
fn each_own_rule_fires_and_stays_quiet() {
    assert_eq!(
        rules(&["ALTER TABLE t ADD COLUMN a json"], 15),
        ["prefer-jsonb"]
    );
    assert!(rules(&["ALTER TABLE t ADD COLUMN a jsonb DEFAULT '{}'::json"], 15).is_empty());
    assert_eq!(
        rules(&["ALTER TABLE t ADD COLUMN id bigserial"], 15),
        ["adding-serial-field"]
    );
    assert_eq!(
        rules(
            &["ALTER TABLE t ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY"],
            15
        ),
        ["adding-serial-field"]
    );
    assert_eq!(
        rules(&["UPDATE t SET a = 1", "DELETE FROM t"], 15),
        ["require-where-clause", "require-where-clause"]
    );
    assert_eq!(
        rules(&["UPDATE t SET a = 1 WHERE a IS NULL"], 15),
        ["whole-table-update"]
    );
    for bounded in [
        "UPDATE t SET a = 1 WHERE id = 7",
        "UPDATE t SET a = b WHERE id IN (SELECT id FROM t WHERE a IS NULL LIMIT 1000)",
        "UPDATE t SET a = b WHERE id = ANY($1)",
        "DELETE FROM t WHERE created < now() - interval '1 year'",
        "DELETE FROM t WHERE status = 'gone'",
    ] {
        assert!(rules(&[bounded], 15).is_empty(), "{bounded}");
    }
    assert_eq!(
        rules(&["BEGIN; SELECT 1; COMMIT", "ROLLBACK"], 15),
        [
            "ban-transaction-control",
            "ban-transaction-control",
            "ban-transaction-control"
        ]
    );
    assert_eq!(
        rules(
            &[
                "SET LOCAL lock_timeout = '10s'",
                "SET statement_timeout TO 0",
                "SELECT set_config('lock_timeout', '1min', true)"
            ],
            15
        ),
        [
            "ban-timeout-in-sql",
            "ban-timeout-in-sql",
            "ban-timeout-in-sql"
        ]
    );
    assert!(rules(&["SET search_path = app"], 15).is_empty());
    let nnd = "CREATE UNIQUE INDEX CONCURRENTLY i ON t (a) NULLS NOT DISTINCT";
    assert_eq!(rules(&[nnd], 14), ["nulls-not-distinct-needs-pg15"]);
    assert!(rules(&[nnd], 15).is_empty());
}

#[test]
fn tables_created_earlier_in_the_migration_are_exempt() {
    assert!(rules(
        &[
            r#"CREATE TABLE "Posts" (id bigint)"#,
            r#"CREATE INDEX i ON "Posts" (id)"#,
            r#"ALTER TABLE "Posts" ADD COLUMN n bigserial"#
        ],
        15
    )
    .is_empty());
    assert_eq!(
        rules(
            &[
                "CREATE TABLE posts (id bigint)",
                "CREATE INDEX i ON other (id)"
            ],
            15
        ),
        ["require-concurrent-index-creation"]
    );
}

#[test]
fn trailing_comments_and_semicolons_do_not_merge_statements() {
    assert_eq!(
        rules(
            &[
                "SELECT 1 -- no terminator",
                "DROP TABLE t;",
                "SELECT 2; -- c"
            ],
            15
        ),
        ["ban-drop-table"]
    );
}

#[test]
fn inline_constraints_on_add_column_have_their_own_rules() {
    assert_eq!(
        rules(&["ALTER TABLE t ADD COLUMN a integer CHECK (a > 0)"], 15),
        ["adding-field-with-check"]
    );
    // Only the inline rule, not squawk's foreign key and unique rules as well; a foreign key on a column
    // that is NULL in every row is not checked by PostgreSQL at all.
    assert_eq!(
        rules(
            &["ALTER TABLE t ADD COLUMN a bigint DEFAULT 1 REFERENCES u"],
            15
        ),
        ["adding-field-with-foreign-key"]
    );
    assert_eq!(
        rules(
            &[
                r#"ALTER TABLE "t" ADD COLUMN "a" bigint CONSTRAINT "f" REFERENCES "u" ("id") ON DELETE CASCADE DEFAULT 7"#
            ],
            15
        ),
        ["adding-field-with-foreign-key"]
    );
    assert!(rules(&["ALTER TABLE t ADD COLUMN a bigint REFERENCES u"], 15).is_empty());
    assert!(rules(
        &["ALTER TABLE t ADD COLUMN a bigint DEFAULT NULL::bigint REFERENCES u"],
        15
    )
    .is_empty());
    assert_eq!(
        rules(&["ALTER TABLE t ADD COLUMN a text UNIQUE"], 15),
        ["adding-field-with-unique"]
    );
    assert_eq!(
        rules(
            &["ALTER TABLE t ADD COLUMN a text NOT NULL DEFAULT '' UNIQUE CHECK (a <> 'x')"],
            15
        ),
        ["adding-field-with-check", "adding-field-with-unique"]
    );
    // The safe alternatives.
    assert!(rules(
        &[
            "ALTER TABLE t ADD COLUMN a integer",
            "ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0) NOT VALID",
            "ALTER TABLE t ADD CONSTRAINT t_a_fkey FOREIGN KEY (a) REFERENCES u NOT VALID",
            "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE USING INDEX t_a_index",
            "ALTER TABLE t ADD COLUMN b integer NOT NULL DEFAULT 0",
        ],
        15
    )
    .is_empty());
    // A table created earlier in the migration has no rows to check; the foreign key still locks the
    // referenced table.
    assert_eq!(
        rules(
            &[
                "CREATE TABLE t (id bigint)",
                "ALTER TABLE t ADD COLUMN a integer CHECK (a > 0) UNIQUE",
                "ALTER TABLE t ADD COLUMN b bigint DEFAULT 1 REFERENCES u",
            ],
            15
        ),
        ["adding-field-with-foreign-key"]
    );
    // Squawk's rules still see constraints added on their own.
    assert_eq!(
        rules(
            &["ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u"],
            15
        ),
        ["adding-foreign-key-constraint"]
    );
}

#[test]
fn a_concurrent_index_with_other_ddl_is_flagged_once() {
    let mixed = rules_outside(&[
        "ALTER TABLE posts ADD COLUMN location point",
        "CREATE INDEX CONCURRENTLY ON comments (post_id)",
        "CREATE INDEX CONCURRENTLY ON comments (author_id)",
    ]);
    assert_eq!(mixed, ["concurrent-index-with-other-ddl"]);
    let (hits, _) = check(
        &inputs(&[
            "ALTER TABLE posts ADD COLUMN location point",
            "DROP INDEX CONCURRENTLY k",
            "UPDATE posts SET x = 1 WHERE id = 1",
        ]),
        15,
        false,
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].input, 1, "on the first concurrent statement");
    assert_eq!(
        hits[0].detail.as_deref(),
        Some("the migration also runs #1 (sql), #3 (sql)")
    );
    // What the next run recognises wherever a run stopped: a named build, a guarded drop, a rebuild.
    assert!(rules_outside(&[
        "ALTER TABLE posts ADD COLUMN location point",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON comments (post_id)",
        "CREATE INDEX CONCURRENTLY j ON comments (author_id)",
        "DROP INDEX CONCURRENTLY IF EXISTS k",
        "REINDEX INDEX CONCURRENTLY i",
    ])
    .is_empty());
    // Concurrent index work alone, with its own comment, settings or maintenance: fine.
    assert!(rules_outside(&[
        "CREATE INDEX CONCURRENTLY i ON t (a);\nCOMMENT ON INDEX i IS 'for the feed'",
        "DROP INDEX CONCURRENTLY IF EXISTS old_i",
        "SET maintenance_work_mem = '1GB'",
        "ANALYZE t",
    ])
    .is_empty());
    // Other DDL alone outside a transaction (no_transaction) is not this rule's business.
    assert!(rules_outside(&["ALTER TABLE t ADD COLUMN a integer", "VACUUM t"]).is_empty());
}

#[test]
fn unparsable_sql_is_reported_per_operation() {
    let (_, failures) = check(
        &inputs(&[
            "SELEC 1",
            "SELECT 1",
            "CREATE TABLE t (a int",
            "SELECT 2;\nALTER TABLE t ADD COLUMN b int CHEK (b > 0)",
        ]),
        15,
        true,
    );
    let at: Vec<usize> = failures.iter().map(|f| f.input).collect();
    assert_eq!(at, [0, 2, 3], "{failures:?}");
    assert!(failures[0].message.contains("near `SELEC`"), "{failures:?}");
    assert!(
        failures[2].message.contains("(line 2 of its SQL)"),
        "{failures:?}"
    );
    let (_, clean) = check(&inputs(&["SELECT 1 -- fine", "SELECT $$ ; $$"]), 15, true);
    assert!(clean.is_empty(), "{clean:?}");
}
