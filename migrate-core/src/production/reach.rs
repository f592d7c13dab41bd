//! What a production session could write: the ways to write that its role, and every role it reaches, has
//! (the list is in the module docs of [`super`], "What passes").
//!
//! Decided by what the role can reach, not by the privileges it uses by default: a member of a role may
//! `SET ROLE` to it even without inheriting its rights (`NOINHERIT`, or PostgreSQL 16's `INHERIT FALSE`), and
//! `RESET ROLE` goes back to the session user; so each of those roles is checked on its own, and a way found
//! through one names the path to it.

use postgres::Client;

use super::{database, ProductionError};

/// Predefined roles that only read: reaching one of them passes. Any other predefined role is refused
/// (`pg_write_all_data`, `pg_execute_server_program`, `pg_write_server_files`, `pg_signal_backend`,
/// `pg_checkpoint`, `pg_maintain`, `pg_create_subscription`, `pg_read_server_files`, ...).
pub const READ_ONLY_PREDEFINED: &[&str] = &[
    "pg_monitor",
    "pg_read_all_settings",
    "pg_read_all_stats",
    "pg_stat_scan_tables",
    "pg_read_all_data",
];

/// The first object OID that is not PostgreSQL's own: the predefined roles are below it.
const FIRST_NORMAL_OID: u32 = 16384;

/// How many objects of a kind a message names.
const SHOWN: i64 = 3;

/// A role the session can act as.
struct Reached {
    oid: u32,
    name: String,
    /// From the session's role to this one, each a member of the next.
    path: Vec<String>,
    superuser: bool,
    createrole: bool,
    createdb: bool,
    replication: bool,
}

impl Reached {
    /// How a way to write found on this role is introduced: nothing for the session's own role.
    fn through(&self) -> String {
        if self.path.len() <= 1 {
            String::new()
        } else {
            format!(
                "through membership of {} ({}): ",
                self.name,
                self.path.join(" > ")
            )
        }
    }

    fn predefined(&self) -> bool {
        self.oid < FIRST_NORMAL_OID && self.name.starts_with("pg_")
    }
}

/// Every way to write the session can reach, in words; empty when it can reach none.
pub(super) fn could_write(client: &mut Client, major: u32) -> Result<Vec<String>, ProductionError> {
    let reached = reached(client)?;
    let oids: Vec<u32> = reached.iter().map(|r| r.oid).collect();
    let mut could = Vec::new();
    for role in &reached {
        let through = role.through();
        if role.superuser {
            could.push(format!("{through}it is a superuser"));
            continue;
        }
        if role.predefined() && !READ_ONLY_PREDEFINED.contains(&role.name.as_str()) {
            let what = if through.is_empty() {
                format!("it is {}, ", role.name)
            } else {
                through
            };
            could.push(format!(
                "{what}a predefined role that {}",
                predefined_power(&role.name)
            ));
            continue;
        }
        for (has, what) in [
            (
                role.createrole,
                "it may create roles and grant them (CREATEROLE), and so give itself any right",
            ),
            (
                role.createdb,
                "it may create and copy databases (CREATEDB)",
            ),
            (
                role.replication,
                "it may create replication slots that hold the server's WAL (REPLICATION)",
            ),
        ] {
            if has {
                could.push(format!("{through}{what}"));
            }
        }
        for check in checks(major) {
            if let Some(found) = listed(client, &check, role.oid, &oids)? {
                could.push(format!("{through}{found}"));
            }
        }
    }
    for check in [admin(), lo_compat()] {
        if let Some(found) = listed(client, &check, 0, &oids)? {
            could.push(found);
        }
    }
    Ok(could)
}

/// What a refused predefined role may do, in words.
fn predefined_power(name: &str) -> String {
    let what = match name {
        "pg_write_all_data" => "may write every table",
        "pg_execute_server_program" => "may run programs on the server (COPY ... PROGRAM)",
        "pg_write_server_files" => "may write files on the server",
        "pg_read_server_files" => "may read files on the server and load them (COPY ... FROM)",
        "pg_signal_backend" => "may cancel and end other sessions",
        "pg_checkpoint" => "may force checkpoints",
        "pg_maintain" => "may vacuum, analyse, reindex, cluster, lock and refresh every relation",
        "pg_create_subscription" => "may create subscriptions, which write what they receive",
        "pg_use_reserved_connections" => "may take the connections reserved for others",
        _ => "",
    };
    if what.is_empty() {
        format!(
            "is not one of those that only read ({})",
            READ_ONLY_PREDEFINED.join(", ")
        )
    } else {
        what.to_owned()
    }
}

/// The session's role and the session user, and every role they are members of, however (with the
/// shortest path to each).
fn reached(client: &mut Client) -> Result<Vec<Reached>, ProductionError> {
    let rows = client
        .query(
            "WITH RECURSIVE reach(oid, path) AS ( \
               SELECT r.oid, ARRAY[r.rolname::text] FROM pg_catalog.pg_roles r \
                 WHERE r.rolname IN (current_user, session_user) \
               UNION ALL \
               SELECT m.roleid, reach.path || g.rolname::text FROM reach \
                 JOIN pg_catalog.pg_auth_members m ON m.member = reach.oid \
                 JOIN pg_catalog.pg_roles g ON g.oid = m.roleid \
                 WHERE NOT g.rolname::text = ANY (reach.path)) \
             SELECT x.oid, g.rolname::text, x.path, g.rolsuper, g.rolcreaterole, g.rolcreatedb, \
               g.rolreplication \
             FROM (SELECT DISTINCT ON (oid) oid, path FROM reach ORDER BY oid, array_length(path, 1)) x \
             JOIN pg_catalog.pg_roles g ON g.oid = x.oid \
             ORDER BY array_length(x.path, 1), g.rolname",
            &[],
        )
        .map_err(database("read the roles the session's role reaches"))?;
    Ok(rows
        .iter()
        .map(|r| Reached {
            oid: r.get(0),
            name: r.get(1),
            path: r.get(2),
            superuser: r.get(3),
            createrole: r.get(4),
            createdb: r.get(5),
            replication: r.get(6),
        })
        .collect())
}

/// One kind of way to write: a query of the objects (column `name`) through which role `$1` could (`$2`:
/// every role the session reaches), and the words that introduce them.
struct Check {
    what: &'static str,
    sql: String,
}

/// The objects a role could write through, in this database and the cluster.
fn checks(major: u32) -> Vec<Check> {
    // `MAINTAIN` (VACUUM, REINDEX, LOCK, REFRESH of a table) exists from PostgreSQL 17.
    let maintain = if major >= 17 { ", MAINTAIN" } else { "" };
    // Every role may UPDATE `pg_settings`: that is `set_config` for its own session, as SET is.
    let this_database = "(SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database())";
    let mut checks = vec![
        Check {
            what: "it may create schemas in database(s)",
            sql: "SELECT quote_ident(d.datname) AS name FROM pg_catalog.pg_database d \
                  WHERE pg_catalog.has_database_privilege($1::oid, d.oid, 'CREATE')"
                .to_owned(),
        },
        Check {
            what: "it may create in schema(s)",
            sql: "SELECT quote_ident(n.nspname) AS name FROM pg_catalog.pg_namespace n \
                  WHERE pg_catalog.has_schema_privilege($1::oid, n.oid, 'CREATE')"
                .to_owned(),
        },
        Check {
            what: "it may change table(s)",
            sql: format!(
                "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name \
                 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') \
                 AND c.oid <> 'pg_catalog.pg_settings'::pg_catalog.regclass \
                 AND (pg_catalog.has_table_privilege($1::oid, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER{maintain}') \
                      OR pg_catalog.has_any_column_privilege($1::oid, c.oid, 'INSERT, UPDATE'))"
            ),
        },
        Check {
            what: "it may advance or set sequence(s)",
            sql: "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name \
                  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                  WHERE CASE WHEN c.relkind = 'S' \
                        THEN pg_catalog.has_sequence_privilege($1::oid, c.oid, 'USAGE, UPDATE') END"
                .to_owned(),
        },
        Check {
            what: "it may run with another role's rights: security definer function(s)",
            sql: "SELECT p.oid::pg_catalog.regprocedure::text AS name FROM pg_catalog.pg_proc p \
                  WHERE p.prosecdef AND NOT p.proowner = ANY ($2::oid[]) \
                  AND pg_catalog.has_function_privilege($1::oid, p.oid, 'EXECUTE')"
                .to_owned(),
        },
        Check {
            what: "it may use",
            sql: "SELECT 'foreign-data wrapper ' || quote_ident(w.fdwname) AS name \
                  FROM pg_catalog.pg_foreign_data_wrapper w \
                  WHERE pg_catalog.has_foreign_data_wrapper_privilege($1::oid, w.oid, 'USAGE') \
                  UNION ALL SELECT 'foreign server ' || quote_ident(s.srvname) FROM pg_catalog.pg_foreign_server s \
                  WHERE pg_catalog.has_server_privilege($1::oid, s.oid, 'USAGE')"
                .to_owned(),
        },
        Check {
            what: "it may change large object(s)",
            sql: "SELECT l.oid::text AS name FROM pg_catalog.pg_largeobject_metadata l \
                  WHERE EXISTS (SELECT FROM pg_catalog.aclexplode(l.lomacl) a \
                                WHERE a.privilege_type = 'UPDATE' AND a.grantee IN ($1::oid, 0))"
                .to_owned(),
        },
        Check {
            what: "it owns (and so may change or drop)",
            sql: format!(
                "SELECT DISTINCT CASE WHEN d.dbid IN (0, {this_database}) \
                   THEN pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) \
                   ELSE 'objects in database ' || quote_ident(db.datname) END AS name \
                 FROM pg_catalog.pg_shdepend d LEFT JOIN pg_catalog.pg_database db ON db.oid = d.dbid \
                 WHERE d.deptype = 'o' AND d.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass \
                 AND d.refobjid = $1::oid"
            ),
        },
        Check {
            what: "it holds privileges that a session here cannot inspect, in database(s)",
            sql: format!(
                "SELECT DISTINCT quote_ident(db.datname) AS name \
                 FROM pg_catalog.pg_shdepend d JOIN pg_catalog.pg_database db ON db.oid = d.dbid \
                 WHERE d.deptype = 'a' AND d.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass \
                 AND d.refobjid = $1::oid AND d.dbid <> {this_database}"
            ),
        },
    ];
    // Parameter privileges exist from PostgreSQL 15.
    if major >= 15 {
        checks.push(Check {
            what: "it may change server setting(s) with ALTER SYSTEM",
            sql: "SELECT a.parname::text AS name FROM pg_catalog.pg_parameter_acl a \
                  WHERE pg_catalog.has_parameter_privilege($1::oid, a.parname, 'ALTER SYSTEM')"
                .to_owned(),
        });
        checks.push(Check {
            what: "it may set setting(s) reserved to superusers",
            sql: "SELECT a.parname::text AS name FROM pg_catalog.pg_parameter_acl a \
                  WHERE pg_catalog.has_parameter_privilege($1::oid, a.parname, 'SET') \
                  AND NOT EXISTS (SELECT FROM pg_catalog.pg_settings s \
                                  WHERE s.name = a.parname AND s.context = 'user')"
                .to_owned(),
        });
    }
    checks
}

/// The roles the session may grant to others, through any role it reaches.
fn admin() -> Check {
    Check {
        what: "it may grant to other roles (WITH ADMIN OPTION) role(s)",
        sql: "SELECT DISTINCT g.rolname::text AS name FROM pg_catalog.pg_auth_members m \
              JOIN pg_catalog.pg_roles g ON g.oid = m.roleid \
              WHERE m.admin_option AND m.member = ANY ($2::oid[])"
            .to_owned(),
    }
}

/// Large objects any role may change (`lo_compat_privileges` on), when there are any.
fn lo_compat() -> Check {
    Check {
        what: "it may change every large object, as lo_compat_privileges is on",
        sql: "SELECT '' AS name WHERE pg_catalog.current_setting('lo_compat_privileges') = 'on' \
              AND EXISTS (SELECT FROM pg_catalog.pg_largeobject_metadata)"
            .to_owned(),
    }
}

/// The objects `check` finds for `role` (a few named, the project's before PostgreSQL's own, with how many
/// more), in words; `None` for none.
fn listed(
    client: &mut Client,
    check: &Check,
    role: u32,
    reached: &[u32],
) -> Result<Option<String>, ProductionError> {
    let sql = format!(
        "WITH found AS ({}) \
         SELECT (SELECT count(*) FROM found), \
                (SELECT array_agg(name ORDER BY at) FROM \
                   (SELECT name, row_number() OVER (ORDER BY name ~ '^(pg_|information_schema\\.)', name) AS at \
                    FROM found ORDER BY at LIMIT $3) shown), \
                $1::oid, $2::oid[]",
        check.sql
    );
    let row = client
        .query_one(sql.as_str(), &[&role, &reached, &SHOWN])
        .map_err(database("read what the session's role may write"))?;
    let count: i64 = row.get(0);
    if count == 0 {
        return Ok(None);
    }
    let names: Vec<String> = row.get::<_, Option<Vec<String>>>(1).unwrap_or_default();
    let more = if count > SHOWN {
        format!(" and {} more", count - SHOWN)
    } else {
        String::new()
    };
    if names.iter().all(String::is_empty) {
        return Ok(Some(check.what.to_owned()));
    }
    Ok(Some(format!("{} {}{more}", check.what, names.join(", "))))
}
