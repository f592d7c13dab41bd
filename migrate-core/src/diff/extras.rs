//! What a table carries besides columns, constraints and indexes: triggers, row-level security and its
//! policies, grants and the table's comment.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Policy, QName, Table, Trigger};
use super::plan::{Change, Planner, Step};
use super::rust::{self, lit, name, shown};
use super::sql::{sql_literal, sql_name};

/// Objects of one table held by name and replaced as a whole (dropped and made again) when their definition
/// changes: its triggers, its policies.
struct Named<'q, T> {
    kind: &'static str,
    table: &'q QName,
    same: fn(&T, &T) -> bool,
    create: fn(&QName, &str, &T) -> String,
    /// The operation dropping one: `drop_trigger`, `drop_policy`.
    drop: &'static str,
}

impl<T> Named<'_, T> {
    /// Added, replaced when the definition changed, or dropped (in the contract, before the columns and
    /// tables) when gone.
    fn by_name(&self, p: &mut Planner<'_>, from: &BTreeMap<String, T>, to: &BTreeMap<String, T>) {
        let (kind, q) = (self.kind, self.table);
        let create = |object_name: &str, object: &T| (self.create)(q, object_name, object);
        let drop = |object_name: &str| format!("pgm.{}({}, {})", self.drop, name(q), lit(object_name));
        let add = |object_name: &str, object: &T| {
            Change::new(Step::Expand, format!("add {kind} {object_name} on {}", shown(q)))
                .up(create(object_name, object))
                .down(drop(object_name))
        };
        for (object_name, object) in to {
            match from.get(object_name) {
                Some(before) if (self.same)(before, object) => {}
                Some(before) => {
                    p.push(
                        Change::new(Step::Expand, format!("replace {kind} {object_name} on {}", shown(q)))
                            .up(drop(object_name))
                            .down(create(object_name, before)),
                    );
                    p.push(add(object_name, object));
                }
                None => p.push(add(object_name, object)),
            }
        }
        for (object_name, object) in from {
            if !to.contains_key(object_name) {
                p.push(
                    Change::new(Step::Drops, format!("drop {kind} {object_name} on {}", shown(q)))
                        .order(1)
                        .up(drop(object_name))
                        .down(create(object_name, object)),
                );
            }
        }
    }
}

/// Triggers, policies, row-level security, grants and the comment of table `q` (`from` is `None` for a
/// new table).
pub(super) fn table_extras(p: &mut Planner<'_>, q: &QName, from: Option<&Table>, to: &Table) {
    let empty = Table::default();
    let is_new = from.is_none();
    let from = from.unwrap_or(&empty);
    let triggers = Named {
        kind: "trigger",
        table: q,
        same: |a: &Trigger, b| a.definition == b.definition,
        create: create_trigger,
        drop: "drop_trigger",
    };
    triggers.by_name(p, &from.triggers, &to.triggers);
    let security = |setting: &str| format!("pgm.alter_table({}).row_level_security(RowLevelSecurity::{setting})", name(q));
    if from.row_security != to.row_security {
        let (up, down) = if to.row_security { ("Enable", "Disable") } else { ("Disable", "Enable") };
        p.push(
            Change::new(Step::Expand, format!("row-level security {} on {}", if to.row_security { "enabled" } else { "disabled" }, shown(q)))
                .up(security(up))
                .down(security(down)),
        );
    }
    if from.force_row_security != to.force_row_security {
        let (up, down) = if to.force_row_security { ("Force", "NoForce") } else { ("NoForce", "Force") };
        p.push(
            Change::new(Step::Expand, format!("row-level security {} for the owner of {}", if to.force_row_security { "forced" } else { "not forced" }, shown(q)))
                .up(security(up))
                .down(security(down)),
        );
    }
    let policies = Named {
        kind: "policy",
        table: q,
        // What it does, not where it is in the catalog (its oid) nor how the server quotes it.
        same: |a: &Policy, b| {
            (a.command, a.permissive, &a.roles, &a.using, &a.with_check, &a.comment)
                == (b.command, b.permissive, &b.roles, &b.using, &b.with_check, &b.comment)
        },
        create: create_policy,
        drop: "drop_policy",
    };
    policies.by_name(p, &from.policies, &to.policies);
    grants(p, q, &from.grants, &to.grants);
    if !is_new && from.comment != to.comment {
        let set = |c: Option<&str>| {
            format!("pgm.sql({})", lit(&format!("COMMENT ON TABLE {} IS {}", sql_name(q), sql_literal(c))))
        };
        p.push(
            Change::new(Step::Expand, format!("comment on table {}", shown(q)))
                .comment("No operation sets the comment of an existing table: written as SQL.")
                .up(set(to.comment.as_deref()))
                .down(set(from.comment.as_deref())),
        );
    }
}

fn privilege(name: &str) -> Option<&'static str> {
    Some(match name {
        "SELECT" => "Privilege::Select",
        "INSERT" => "Privilege::Insert",
        "UPDATE" => "Privilege::Update",
        "DELETE" => "Privilege::Delete",
        "TRUNCATE" => "Privilege::Truncate",
        "REFERENCES" => "Privilege::References",
        "TRIGGER" => "Privilege::Trigger",
        _ => return None,
    })
}

fn grants(p: &mut Planner<'_>, q: &QName, from: &[(String, String)], to: &[(String, String)]) {
    let call = |verb: &str, grantee: &str, privileges: &[&'static str]| {
        format!(
            "pgm.{verb}_on_tables([{}], [{}], [{}])",
            name(q),
            privileges.join(", "),
            lit(grantee)
        )
    };
    let mut grantees: BTreeSet<&str> = BTreeSet::new();
    grantees.extend(from.iter().chain(to).map(|(g, _)| g.as_str()));
    for grantee in grantees {
        let of = |list: &[(String, String)]| -> BTreeSet<String> {
            list.iter().filter(|(g, _)| g == grantee).map(|(_, p)| p.clone()).collect()
        };
        let (before, after) = (of(from), of(to));
        let written = |privileges: Vec<&String>, grant: bool, p: &mut Planner<'_>| {
            if privileges.is_empty() {
                return;
            }
            let mut typed = Vec::new();
            for privilege_name in privileges {
                match privilege(privilege_name) {
                    Some(t) => typed.push(t),
                    None => p.uncovered(format!("privilege {privilege_name} on {} for {grantee}", shown(q))),
                }
            }
            if typed.is_empty() {
                return;
            }
            let (up, down, what) = if grant {
                (call("grant", grantee, &typed), call("revoke", grantee, &typed), "grant")
            } else {
                (call("revoke", grantee, &typed), call("grant", grantee, &typed), "revoke")
            };
            p.push(Change::new(Step::Expand, format!("{what} on {} for {grantee}", shown(q))).up(up).down(down));
        };
        written(after.difference(&before).collect(), true, p);
        written(before.difference(&after).collect(), false, p);
    }
}

pub(crate) fn create_trigger(q: &QName, trigger_name: &str, t: &Trigger) -> String {
    // No operation creates a constraint trigger (`DEFERRABLE`, fired at the end of the transaction): its
    // definition as the server prints it, schema-qualified.
    if t.definition.starts_with("CREATE CONSTRAINT TRIGGER ") {
        return format!("pgm.sql({})", lit(&t.definition));
    }
    let mut out = format!(
        "pgm.create_trigger({}, {}, {})\n        .{}()",
        name(q),
        lit(trigger_name),
        name(&t.function),
        t.timing
    );
    for event in &t.events {
        if *event == "on_update" && !t.update_columns.is_empty() {
            out.push_str(&format!("\n        .on_update_of({})", rust::list(&t.update_columns)));
        } else {
            out.push_str(&format!("\n        .{event}()"));
        }
    }
    out.push_str(if t.for_each_row {
        "\n        .for_each_row()"
    } else {
        "\n        .for_each_statement()"
    });
    if let Some(when) = &t.when {
        out.push_str(&format!("\n        .when({})", lit(when)));
    }
    if !t.arguments.is_empty() {
        out.push_str(&format!("\n        .arguments({})", rust::list(&t.arguments)));
    }
    out
}

pub(crate) fn create_policy(q: &QName, policy_name: &str, policy: &Policy) -> String {
    let mut out = format!("pgm.create_policy({}, {})", name(q), lit(policy_name));
    let command = match policy.command {
        'r' => Some("Select"),
        'a' => Some("Insert"),
        'w' => Some("Update"),
        'd' => Some("Delete"),
        _ => None,
    };
    if let Some(command) = command {
        out.push_str(&format!("\n        .command(PolicyCommand::{command})"));
    }
    if !policy.permissive {
        out.push_str("\n        .restrictive()");
    }
    if policy.roles != ["public"] {
        out.push_str(&format!("\n        .to({})", rust::list(&policy.roles)));
    }
    if let Some(using) = &policy.using {
        out.push_str(&format!("\n        .using({})", lit(using)));
    }
    if let Some(check) = &policy.with_check {
        out.push_str(&format!("\n        .with_check({})", lit(check)));
    }
    out
}
