use super::*;
use crate::status::Summary;

fn entry(name: &str, state: State) -> Entry {
    Entry {
        name: name.to_owned(),
        state,
        path: None,
        applied: None,
        failure: None,
        contract: None,
        renamed_from: None,
        same_content_as: Vec::new(),
        squashed_into: None,
        phase: None,
    }
}

fn status(migrations: Vec<Entry>) -> Status {
    Status {
        table: "public.pgmigrations".to_owned(),
        table_exists: true,
        migrations,
        summary: Summary::default(),
    }
}

fn contract(mut e: Entry) -> Entry {
    e.contract = Some("drops what release 1 reads".to_owned());
    e
}

#[test]
fn each_need_waits_for_its_own_migrations_only() {
    let s = status(vec![
        entry("1_a", State::Applied),
        entry("2_b", State::Pending),
        contract(entry("3_drop", State::Pending)),
        entry("4_c", State::Pending),
    ]);
    assert_eq!(Readiness::of(&s, &Need::All).missing, ["2_b", "3_drop", "4_c"]);
    assert_eq!(Readiness::of(&s, &Need::To("2_b".into())).missing, ["2_b"]);
    // The expand phase ends before the first pending contract: the expand after it is not needed yet.
    assert_eq!(Readiness::of(&s, &Need::ExpandPhase).missing, ["2_b"]);
    assert!(!Readiness::of(&s, &Need::ExpandPhase).is_ready());

    let applied = status(vec![
        entry("1_a", State::Applied),
        entry("2_b", State::Applied),
        contract(entry("3_drop", State::Pending)),
    ]);
    let ready = Readiness::of(&applied, &Need::ExpandPhase);
    assert!(ready.is_ready(), "{ready:?}");
    assert!(ready.describe().starts_with("ready"));
    assert!(!Readiness::of(&applied, &Need::All).is_ready());
}

#[test]
fn a_newer_contract_or_a_failed_migration_is_never_ready() {
    let mut ahead_expand = entry("9_newer", State::Ahead);
    ahead_expand.phase = Some("expand".into());
    let mut ahead_unknown = entry("9_older_row", State::Ahead);
    ahead_unknown.phase = Some("unknown".into());
    let fine = status(vec![entry("1_a", State::Applied), ahead_expand.clone()]);
    assert!(Readiness::of(&fine, &Need::All).is_ready());

    let blocked = status(vec![entry("1_a", State::Applied), ahead_expand, ahead_unknown]);
    let r = Readiness::of(&blocked, &Need::ExpandPhase);
    assert_eq!(r.ahead_blocking, ["9_older_row"]);
    assert!(r.describe().contains("a newer release applied 9_older_row"), "{}", r.describe());

    let failed = status(vec![entry("1_a", State::Failed)]);
    let r = Readiness::of(&failed, &Need::All);
    assert_eq!(r.failed, ["1_a"]);
    assert!(!r.is_ready());
}
