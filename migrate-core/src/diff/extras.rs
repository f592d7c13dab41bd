//! What a table carries besides columns, constraints and indexes: triggers, row-level security and its
//! policies, grants and the table's comment.

use std::collections::{BTreeMap, BTreeSet};

use migrate_dsl::prelude::*;

use super::model::{Policy, QName, Table, Trigger};
use super::ops::{name, shown};
use super::plan::{Change, Planner, Step};
use super::sql::{comment_change, sql_ident, sql_literal, sql_name};

/// Objects of one table held by name and replaced as a whole (dropped and made again) when their definition
/// changes: its triggers, its policies.
pub(super) struct Named<'q, T> {
    pub(super) kind: &'static str,
    pub(super) table: &'q QName,
    same: fn(&T, &T) -> bool,
    create: fn(&mut MigrationBuilder, &QName, &str, &T),
    /// Records the drop of one.
    drop: fn(&mut MigrationBuilder, &QName, &str),
}

impl<'q> Named<'q, Trigger> {
    /// The triggers of relation `q`.
    pub(super) fn triggers(q: &'q QName) -> Self {
        Named {
            kind: "trigger",
            table: q,
            same: |a: &Trigger, b| a.definition == b.definition,
            create: create_trigger,
            drop: |pgm, q, trigger_name| {
                pgm.drop_trigger(name(q), trigger_name);
            },
        }
    }
}

impl<'q> Named<'q, Policy> {
    /// The policies of table `q`.
    pub(super) fn policies(q: &'q QName) -> Self {
        Named {
            kind: "policy",
            table: q,
            // What it does, not where it is in the catalog (its oid) nor how the server quotes it.
            same: same_policy,
            create: create_policy,
            drop: |pgm, q, policy_name| {
                pgm.drop_policy(name(q), policy_name);
            },
        }
    }
}

impl<T> Named<'_, T> {
    /// `object` added in `step`, `summary` naming the change.
    pub(super) fn added(&self, step: Step, summary: String, object_name: &str, object: &T) -> Change {
        let (create, drop, q) = (self.create, self.drop, self.table);
        Change::new(step, summary)
            .up(|pgm| create(pgm, q, object_name, object))
            .down_if_not_derived(|pgm| drop(pgm, q, object_name))
    }

    /// `before` dropped in `step`, made again in the `down`.
    pub(super) fn dropped(&self, step: Step, summary: String, object_name: &str, before: &T) -> Change {
        let (create, drop, q) = (self.create, self.drop, self.table);
        Change::new(step, summary)
            .up(|pgm| drop(pgm, q, object_name))
            .down(|pgm| create(pgm, q, object_name, before))
    }

    /// Added, replaced when the definition changed, or dropped (in the contract, before the columns and
    /// tables) when gone.
    fn by_name(&self, p: &mut Planner<'_>, from: &BTreeMap<String, T>, to: &BTreeMap<String, T>) {
        let (kind, q) = (self.kind, self.table);
        let add = |object_name: &str, object: &T| {
            self.added(Step::Expand, format!("add {kind} {object_name} on {}", shown(q)), object_name, object)
        };
        for (object_name, object) in to {
            match from.get(object_name) {
                Some(before) if (self.same)(before, object) => {}
                Some(before) => {
                    let summary = format!("replace {kind} {object_name} on {}", shown(q));
                    p.push(self.dropped(Step::Expand, summary, object_name, before));
                    p.push(add(object_name, object));
                }
                None => p.push(add(object_name, object)),
            }
        }
        for (object_name, object) in from {
            if !to.contains_key(object_name) {
                let summary = format!("drop {kind} {object_name} on {}", shown(q));
                p.push(self.dropped(Step::Drops, summary, object_name, object).order(1));
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
    triggers(p, q, &from.triggers, &to.triggers);
    row_level_security(p, q, from, to);
    policies(p, q, &from.policies, &to.policies);
    grants(p, q, &from.grants, &to.grants);
    if !is_new && from.comment != to.comment {
        let set = |c: Option<&str>| {
            let statement = format!("COMMENT ON TABLE {} IS {}", sql_name(q), sql_literal(c));
            move |pgm: &mut MigrationBuilder| {
                pgm.sql(statement);
            }
        };
        p.push(
            Change::new(Step::Expand, format!("comment on table {}", shown(q)))
                .comment("No operation sets the comment of an existing table: written as SQL.")
                .up(set(to.comment.as_deref()))
                .down(set(from.comment.as_deref())),
        );
    }
}

/// The triggers of relation `q` (a table, or a view's `INSTEAD OF` ones): added, replaced when their
/// definition changes, dropped; their comments and whether they fire.
pub(super) fn triggers(p: &mut Planner<'_>, q: &QName, from: &BTreeMap<String, Trigger>, to: &BTreeMap<String, Trigger>) {
    let own = |m: &BTreeMap<String, Trigger>| -> BTreeMap<String, Trigger> {
        m.iter().filter(|(_, t)| t.created_by_sql()).map(|(n, t)| (n.clone(), t.clone())).collect()
    };
    let (from, to) = (own(from), own(to));
    Named::triggers(q).by_name(p, &from, &to);
    for (trigger_name, trigger) in &to {
        let Some(before) = from.get(trigger_name).filter(|b| b.definition == trigger.definition) else {
            continue;
        };
        let subject = format!("TRIGGER {} ON {}", sql_ident(trigger_name), sql_name(q));
        if before.comment != trigger.comment {
            p.push(comment_change(
                &format!("trigger {trigger_name} on {}", shown(q)),
                subject,
                before.comment.as_deref(),
                trigger.comment.as_deref(),
            ));
        }
        if before.enabled != trigger.enabled {
            p.push(
                Change::new(Step::Expand, format!("trigger {trigger_name} on {}: {}", shown(q), firing(trigger.enabled)))
                    .comment("No operation enables or disables a trigger: written as SQL.")
                    .up(|pgm| enable_trigger(pgm, q, trigger_name, trigger.enabled))
                    .down(|pgm| enable_trigger(pgm, q, trigger_name, before.enabled)),
            );
        }
    }
}

fn firing(enabled: char) -> &'static str {
    match enabled {
        'D' => "disabled",
        'R' => "fires on replicas only",
        'A' => "fires always",
        _ => "enabled",
    }
}

/// `ALTER TABLE .. ENABLE / DISABLE .. TRIGGER` for the state `enabled` (`tgenabled`).
fn enable_trigger(pgm: &mut MigrationBuilder, q: &QName, trigger_name: &str, enabled: char) {
    let action = match enabled {
        'D' => "DISABLE TRIGGER",
        'R' => "ENABLE REPLICA TRIGGER",
        'A' => "ENABLE ALWAYS TRIGGER",
        _ => "ENABLE TRIGGER",
    };
    pgm.sql(format!("ALTER TABLE {} {action} {}", sql_name(q), sql_ident(trigger_name)));
}

/// Row-level security of table `q`: enabled or disabled, forced or not for its owner.
fn row_level_security(p: &mut Planner<'_>, q: &QName, from: &Table, to: &Table) {
    let security = |setting: RowLevelSecurity| {
        move |pgm: &mut MigrationBuilder| {
            pgm.alter_table(name(q)).row_level_security(setting);
        }
    };
    use RowLevelSecurity::{Disable, Enable, Force, NoForce};
    if from.row_security != to.row_security {
        let (up, down) = if to.row_security { (Enable, Disable) } else { (Disable, Enable) };
        p.push(
            Change::new(Step::Expand, format!("row-level security {} on {}", if to.row_security { "enabled" } else { "disabled" }, shown(q)))
                .up(security(up))
                .down(security(down)),
        );
    }
    if from.force_row_security != to.force_row_security {
        let (up, down) = if to.force_row_security { (Force, NoForce) } else { (NoForce, Force) };
        p.push(
            Change::new(Step::Expand, format!("row-level security {} for the owner of {}", if to.force_row_security { "forced" } else { "not forced" }, shown(q)))
                .up(security(up))
                .down(security(down)),
        );
    }
}

/// The policies of table `q`: added, replaced when what they do changes (command, permissive or not,
/// roles, `USING`, `WITH CHECK`), dropped; their comments.
fn policies(p: &mut Planner<'_>, q: &QName, from: &BTreeMap<String, Policy>, to: &BTreeMap<String, Policy>) {
    Named::policies(q).by_name(p, from, to);
    for (policy_name, policy) in to {
        if let Some(before) = from.get(policy_name).filter(|b| same_policy(b, policy)) {
            if before.comment != policy.comment {
                p.push(comment_change(
                    &format!("policy {policy_name} on {}", shown(q)),
                    format!("POLICY {} ON {}", sql_ident(policy_name), sql_name(q)),
                    before.comment.as_deref(),
                    policy.comment.as_deref(),
                ));
            }
        }
    }
}

fn same_policy(a: &Policy, b: &Policy) -> bool {
    (a.command, a.permissive, &a.roles, &a.using, &a.with_check)
        == (b.command, b.permissive, &b.roles, &b.using, &b.with_check)
}

fn privilege(name: &str) -> Option<Privilege> {
    Some(match name {
        "SELECT" => Privilege::Select,
        "INSERT" => Privilege::Insert,
        "UPDATE" => Privilege::Update,
        "DELETE" => Privilege::Delete,
        "TRUNCATE" => Privilege::Truncate,
        "REFERENCES" => Privilege::References,
        "TRIGGER" => Privilege::Trigger,
        _ => return None,
    })
}

fn grants(p: &mut Planner<'_>, q: &QName, from: &[(String, String)], to: &[(String, String)]) {
    let call = |grant: bool, grantee: &str, privileges: &[Privilege]| {
        let (grantee, privileges) = (grantee.to_owned(), privileges.to_vec());
        move |pgm: &mut MigrationBuilder| {
            if grant {
                pgm.grant_on_tables([name(q)], privileges, [grantee]);
            } else {
                pgm.revoke_on_tables([name(q)], privileges, [grantee]);
            }
        }
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
            let what = if grant { "grant" } else { "revoke" };
            p.push(
                Change::new(Step::Expand, format!("{what} on {} for {grantee}", shown(q)))
                    .up(call(grant, grantee, &typed))
                    .down_if_not_derived(call(!grant, grantee, &typed)),
            );
        };
        written(after.difference(&before).collect(), true, p);
        written(before.difference(&after).collect(), false, p);
    }
}

pub(crate) fn create_trigger(pgm: &mut MigrationBuilder, q: &QName, trigger_name: &str, t: &Trigger) {
    let call = pgm.create_trigger(name(q), trigger_name, name(&t.function));
    match t.timing {
        "before" => call.before(),
        "instead_of" => call.instead_of(),
        _ => call.after(),
    };
    for event in &t.events {
        match *event {
            "on_update" if !t.update_columns.is_empty() => call.on_update_of(&t.update_columns),
            "on_update" => call.on_update(),
            "on_delete" => call.on_delete(),
            "on_truncate" => call.on_truncate(),
            _ => call.on_insert(),
        };
    }
    if t.for_each_row {
        call.for_each_row();
    } else {
        call.for_each_statement();
    }
    if let Some(when) = &t.when {
        call.when(when.as_str());
    }
    if !t.arguments.is_empty() {
        call.arguments(t.arguments.iter().map(String::as_str));
    }
    // A constraint trigger's kind and deferral are read from its definition (`CREATE CONSTRAINT TRIGGER
    // .. DEFERRABLE INITIALLY DEFERRED ..`).
    if t.definition.starts_with("CREATE CONSTRAINT TRIGGER ") {
        call.constraint();
        if t.definition.contains(" INITIALLY DEFERRED ") {
            call.initially_deferred();
        } else if t.definition.contains(" DEFERRABLE ") && !t.definition.contains(" NOT DEFERRABLE ") {
            call.deferrable();
        }
    }
    if let Some(comment) = &t.comment {
        call.comment(comment.as_str());
    }
    if t.enabled != 'O' {
        enable_trigger(pgm, q, trigger_name, t.enabled);
    }
}

pub(crate) fn create_policy(pgm: &mut MigrationBuilder, q: &QName, policy_name: &str, policy: &Policy) {
    let call = pgm.create_policy(name(q), policy_name);
    let command = match policy.command {
        'r' => Some(PolicyCommand::Select),
        'a' => Some(PolicyCommand::Insert),
        'w' => Some(PolicyCommand::Update),
        'd' => Some(PolicyCommand::Delete),
        _ => None,
    };
    if let Some(command) = command {
        call.command(command);
    }
    if !policy.permissive {
        call.restrictive();
    }
    if policy.roles != ["public"] {
        call.to(&policy.roles);
    }
    if let Some(using) = &policy.using {
        call.using(using.as_str());
    }
    if let Some(check) = &policy.with_check {
        call.with_check(check.as_str());
    }
    if let Some(comment) = &policy.comment {
        call.comment(comment.as_str());
    }
}
