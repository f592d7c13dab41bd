//! Roles and grants: SQL pinned with insta, run on a real database, reversible ones restoring the catalog
//! (role attributes and memberships, schema and table privileges). Roles are cluster-wide, so every role is
//! named after the test's own database and dropped by a guard even when the test fails.

use migrate_dsl::prelude::*;
use tests::roundtrip::Case;

/// Drops the roles at the end of the test: first what they own or were granted in the test database, then
/// the roles themselves.
struct Roles<'a> {
    case: &'a Case,
    names: Vec<String>,
}

impl<'a> Roles<'a> {
    fn new(case: &'a Case, suffixes: &[&str]) -> Self {
        let names = suffixes
            .iter()
            .map(|s| format!("{}_{s}", case.db.name()))
            .collect();
        Roles { case, names }
    }

    fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    /// Creates the roles up front, for operations that need them to exist.
    fn create(&self) {
        for name in &self.names {
            self.case
                .db
                .exec(&format!("CREATE ROLE {}", migrate_dsl::ident(name)));
        }
    }
}

impl Drop for Roles<'_> {
    fn drop(&mut self) {
        let mut client = self.case.db.client();
        for name in &self.names {
            // Best effort: a failing cleanup must not hide the test's own failure.
            let _ = client.batch_execute(&format!(
                "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {lit}) THEN \
                 EXECUTE 'DROP OWNED BY ' || quote_ident({lit}); EXECUTE 'DROP ROLE ' || quote_ident({lit}); END IF; END $$",
                lit = migrate_dsl::literal(name)
            ));
        }
    }
}

fn stable(case: &Case, text: String) -> String {
    text.replace(case.db.name(), "[DB]")
}

#[test]
fn create_role_with_every_attribute_round_trip() {
    let case = Case::new("");
    let roles = Roles::new(&case, &["Reporting \"team\"", "readers", "alice", "bob"]);
    // The memberships need the other roles first.
    case.db.exec(&format!(
        "CREATE ROLE {}; CREATE ROLE {}; CREATE ROLE {}",
        migrate_dsl::ident(roles.name(1)),
        migrate_dsl::ident(roles.name(2)),
        migrate_dsl::ident(roles.name(3))
    ));
    let name = roles.name(0).to_owned();
    let (readers, alice, bob) = (
        roles.name(1).to_owned(),
        roles.name(2).to_owned(),
        roles.name(3).to_owned(),
    );
    let transcript = case.round_trip(|pgm| {
        pgm.create_role(name.as_str())
            .login(true)
            .superuser(false)
            .createdb(true)
            .createrole(false)
            .inherit(false)
            .replication(false)
            .bypassrls(false)
            .connection_limit(0)
            .valid_until("2030-01-01 00:00:00+00")
            .password("not-a-real-secret")
            .in_role([readers.as_str()])
            .members([alice.as_str()])
            .admins([bob.as_str()]);
    });
    insta::assert_snapshot!(stable(&case, transcript));
}

#[test]
fn rename_role_round_trip() {
    let case = Case::new("");
    let roles = Roles::new(&case, &["old", "new"]);
    case.db.exec(&format!(
        "CREATE ROLE {}",
        migrate_dsl::ident(roles.name(0))
    ));
    let (old, new) = (roles.name(0).to_owned(), roles.name(1).to_owned());
    let transcript = case.round_trip(|pgm| {
        pgm.rename_role(old.as_str(), new.as_str());
    });
    insta::assert_snapshot!(stable(&case, transcript));
}

#[test]
fn alter_and_drop_role_are_forward_only() {
    let case = Case::new("");
    let roles = Roles::new(&case, &["app"]);
    roles.create();
    let name = roles.name(0).to_owned();
    let transcript = case.forward_only(|pgm| {
        pgm.alter_role(name.as_str())
            .login(true)
            .connection_limit(5)
            .no_password();
        pgm.drop_role(name.as_str()).if_exists();
    });
    insta::assert_snapshot!(stable(&case, transcript));
}

#[test]
fn grant_roles_round_trip() {
    let case = Case::new("");
    let roles = Roles::new(&case, &["Readers", "alice"]);
    roles.create();
    let (readers, alice) = (roles.name(0).to_owned(), roles.name(1).to_owned());
    let transcript = case.round_trip(|pgm| {
        pgm.grant_roles([readers.as_str()], [alice.as_str()])
            .with_admin_option();
    });
    insta::assert_snapshot!(stable(&case, transcript));
}

#[test]
fn grant_on_schemas_round_trip() {
    let case = Case::new("CREATE SCHEMA app");
    let roles = Roles::new(&case, &["Reporting"]);
    roles.create();
    let role = roles.name(0).to_owned();
    let transcript = case.round_trip(|pgm| {
        pgm.grant_on_schemas(
            ["app"],
            [Privilege::Usage, Privilege::Create],
            [role.as_str()],
        )
        .with_grant_option();
    });
    insta::assert_snapshot!(stable(&case, transcript));
}

#[test]
fn grant_on_tables_round_trip() {
    let case = Case::new(
        "CREATE SCHEMA app; CREATE TABLE app.posts (id int); CREATE TABLE app.tags (id int)",
    );
    let roles = Roles::new(&case, &["writer", "reader"]);
    roles.create();
    let (writer, reader) = (roles.name(0).to_owned(), roles.name(1).to_owned());
    let transcript = case.round_trip(|pgm| {
        pgm.grant_on_tables(
            [("app", "posts")],
            [Privilege::Select, Privilege::Insert, Privilege::Update],
            [writer.as_str()],
        );
        pgm.grant_on_tables(
            [("app", "tags")],
            [Privilege::All],
            [reader.as_str(), "public"],
        );
    });
    insta::assert_snapshot!(stable(&case, transcript));
}

/// A REVOKE ON ALL TABLES IN SCHEMA at revert time would also reach tables created, or granted the
/// privilege, apart from the migration: no derived reverse.
#[test]
fn grant_on_all_tables_in_schemas_is_forward_only() {
    let case = Case::new("CREATE SCHEMA app; CREATE TABLE app.posts (id int)");
    let roles = Roles::new(&case, &["reader"]);
    roles.create();
    let reader = roles.name(0).to_owned();
    let transcript = case.forward_only(|pgm| {
        pgm.grant_on_all_tables_in_schemas(
            ["app"],
            [Privilege::Select],
            [reader.as_str(), "public"],
        );
    });
    insta::assert_snapshot!(stable(&case, transcript));
}

#[test]
fn revokes_are_forward_only() {
    let case = Case::new("CREATE SCHEMA app; CREATE TABLE app.posts (id int)");
    let roles = Roles::new(&case, &["member", "group"]);
    roles.create();
    let (member, group) = (roles.name(0).to_owned(), roles.name(1).to_owned());
    case.db.exec(&format!(
        "GRANT {g} TO {m} WITH ADMIN OPTION; GRANT USAGE ON SCHEMA app TO {m} WITH GRANT OPTION; \
         GRANT SELECT ON app.posts TO {m} WITH GRANT OPTION",
        g = migrate_dsl::ident(&group),
        m = migrate_dsl::ident(&member)
    ));
    let transcript = case.forward_only(|pgm| {
        pgm.revoke_roles([group.as_str()], [member.as_str()])
            .admin_option_for()
            .cascade();
        pgm.revoke_on_schemas(["app"], [Privilege::Usage], [member.as_str()])
            .grant_option_for();
        pgm.revoke_on_tables([("app", "posts")], [Privilege::Select], [member.as_str()])
            .cascade();
    });
    insta::assert_snapshot!(stable(&case, transcript));
}

#[test]
fn impossible_grants_are_refused_before_anything_runs() {
    let errors: Vec<String> = (0..4)
        .map(|i| {
            let mut one = MigrationBuilder::new();
            match i {
                0 => {
                    one.grant_on_schemas(["app"], [Privilege::Select], ["reporting"]);
                }
                1 => {
                    one.grant_on_tables(["posts"], [], ["reporting"]);
                }
                2 => {
                    one.create_role("x").connection_limit(-2);
                }
                _ => {
                    one.alter_role("x");
                }
            }
            one.to_sql().expect_err("must be refused").to_string()
        })
        .collect();
    insta::assert_snapshot!(errors.join("\n"));
}

const CAST_TYPES: &str = "CREATE TYPE cents AS (amount bigint); CREATE TYPE price AS (amount bigint);
     CREATE FUNCTION cents_to_price(cents) RETURNS price LANGUAGE sql IMMUTABLE AS 'SELECT ROW($1.amount)::price'";

#[test]
fn create_cast_round_trips() {
    let case = Case::new(CAST_TYPES);
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_cast("price", "cents", CastMethod::Inout)
            .as_assignment();
        pgm.create_cast(
            "cents",
            "price",
            CastMethod::Function {
                name: "cents_to_price".into(),
                arguments: vec!["cents".into()],
            },
        );
    }));
}

#[test]
fn drop_cast_is_forward_only_and_casts_refuse_smuggled_sql() {
    let case = Case::new(&format!(
        "{CAST_TYPES}; CREATE CAST (cents AS price) WITH INOUT AS IMPLICIT"
    ));
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.drop_cast("cents", "price").if_exists().cascade();
    }));
    let mut pgm = MigrationBuilder::new();
    pgm.create_cast("cents; DROP TABLE x", "price", CastMethod::WithoutFunction);
    assert_eq!(
        pgm.to_sql().expect_err("refused").to_string(),
        "operation #1 (create_cast): \"cents; DROP TABLE x\" is not a type"
    );
}

#[test]
fn create_operator_round_trip() {
    let case = Case::new("CREATE SCHEMA app");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_operator(("app", "==="), "int4eq")
            .left("integer")
            .right("integer")
            .commutator(("app", "==="))
            .negator(("app", "!=="))
            .restrict("eqsel")
            .join("eqjoinsel")
            .hashes()
            .merges();
        // The negator named above exists as a shell until it is defined.
        pgm.create_operator(("app", "!=="), "int4ne")
            .left("integer")
            .right("integer")
            .commutator(("app", "!=="))
            .negator(("app", "==="));
    }));
}

#[test]
fn operator_families_and_classes_round_trip() {
    let case = Case::new("CREATE SCHEMA app");
    // Through the engine: whether the class's implicit family existed is recorded when the `up` runs.
    insta::assert_snapshot!(case.engine_round_trip(|pgm| {
        pgm.create_operator_family(("app", "int_mix_ops"), "btree");
        pgm.add_to_operator_family(
            ("app", "int_mix_ops"),
            "btree",
            [
                OperatorMember::operator(1, "<").for_types("int4", "int8"),
                OperatorMember::function(1, "btint48cmp", ["int4", "int8"])
                    .for_types("int4", "int8"),
            ],
        );
        pgm.rename_operator_family(("app", "int_mix_ops"), "btree", "int_mixed_ops");
        pgm.create_operator_class(
            ("app", "int4_hash_ops2"),
            "int4",
            "hash",
            [
                OperatorMember::operator(1, "="),
                OperatorMember::function(1, "hashint4", ["int4"]),
            ],
        );
        pgm.rename_operator_class(("app", "int4_hash_ops2"), "hash", "int4_hash_ops3");
    }));
}

#[test]
fn operator_drops_are_forward_only_and_bad_operator_names_are_refused() {
    let case = Case::new(
        "CREATE OPERATOR === (FUNCTION = int4eq, LEFTARG = integer, RIGHTARG = integer);
         CREATE OPERATOR FAMILY fam USING btree;
         ALTER OPERATOR FAMILY fam USING btree ADD OPERATOR 1 < (int4, int8), FUNCTION 1 (int4, int8) btint48cmp(int4, int8);
         CREATE OPERATOR CLASS cls FOR TYPE int4 USING hash AS OPERATOR 1 =, FUNCTION 1 hashint4(int4)",
    );
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.drop_operator("===", Some("integer"), "integer")
            .if_exists();
        pgm.remove_from_operator_family(
            "fam",
            "btree",
            [
                OperatorMember::function(1, "btint48cmp", ["int4", "int8"])
                    .for_types("int4", "int8"),
            ],
        );
        pgm.drop_operator_class("cls", "hash").cascade();
        pgm.drop_operator_family("fam", "btree").if_exists();
    }));
    let refused = |op: &str| {
        let mut pgm = MigrationBuilder::new();
        pgm.create_operator(op, "int4eq")
            .left("integer")
            .right("integer");
        pgm.to_sql().expect_err("refused").to_string()
    };
    assert!(refused("=; DROP TABLE x").contains("is not an operator name"));
    assert!(refused("--").contains("is not an operator name"));
    let mut pgm = MigrationBuilder::new();
    pgm.add_to_operator_family("fam", "btree", [OperatorMember::operator(1, "<")]);
    assert!(pgm
        .to_sql()
        .expect_err("refused")
        .to_string()
        .contains("needs its operand types"),);
}
