use super::*;

fn never_asked() -> Result<bool, Error> {
    Err(Error::Internal("`ours` was asked where it does not decide"))
}

fn index(what_kind: &str, same_table: bool, invalid: bool) -> Relation {
    Relation::described(what_kind, Some("public.comments".into()), same_table, invalid)
}

#[test]
fn if_not_exists_skips_only_nothing_a_leftover_build_or_this_migrations_own_object() {
    assert_eq!(create_verdict(None, never_asked).unwrap(), None);
    // A failed concurrent build's invalid index on the same table is rebuilt when this migration's earlier
    // attempt built it, and refused, named, when nothing says so.
    assert_eq!(create_verdict(Some(index("i", true, true)), || Ok(true)).unwrap(), None);
    let theirs = create_verdict(Some(index("i", true, true)), || Ok(false))
        .unwrap()
        .expect("refused");
    assert!(
        theirs.problem.starts_with("already exists, invalid (an index on public.comments)")
            && theirs.problem.contains("not this migration's"),
        "{}",
        theirs.problem
    );
    assert_eq!(create_verdict(Some(index("i", true, false)), || Ok(true)).unwrap(), None);
    let refused = create_verdict(Some(index("i", true, false)), || Ok(false)).unwrap();
    assert_eq!(
        refused,
        Some(Refusal {
            problem: "already exists (an index on public.comments)".into(),
            present: true,
        })
    );
    // An invalid index on another table is someone else's.
    let other = create_verdict(Some(index("i", false, true)), || Ok(false)).unwrap();
    assert_eq!(
        other.map(|r| r.problem),
        Some("already exists (an index on another table, public.comments)".into())
    );
    // A failing lookup is the error, not a verdict.
    assert!(create_verdict(Some(index("r", false, false)), never_asked).is_err());
}

#[test]
fn a_relation_in_the_way_is_named_by_its_kind() {
    let what = |kind| Relation::described(kind, None, false, false).what;
    assert_eq!(what("r"), "a table of that name");
    assert_eq!(what("p"), "a table of that name");
    assert_eq!(what("v"), "a view of that name");
    assert_eq!(what("m"), "a materialized view of that name");
    assert_eq!(what("S"), "a sequence of that name");
    assert_eq!(what("f"), "a relation of that name");
    // A partitioned index is an index too; one on no table (a catalog row without pg_index) is not named.
    assert_eq!(index("I", true, false).what, "an index on public.comments");
    assert_eq!(what("i"), "a relation of that name");
}

#[test]
fn if_exists_skips_only_what_this_migration_dropped_itself() {
    assert_eq!(drop_verdict(true, never_asked).unwrap(), None);
    assert_eq!(drop_verdict(false, || Ok(true)).unwrap(), None);
    let refused = drop_verdict(false, || Ok(false)).unwrap().unwrap();
    assert!(!refused.present);
    assert!(refused.problem.starts_with("does not exist"), "{}", refused.problem);
}

#[test]
fn a_leftover_constraint_is_cleared_only_when_ours_and_never_a_not_null() {
    assert_eq!(clear_verdict(None, never_asked).unwrap(), None);
    assert_eq!(clear_verdict(Some("c"), || Ok(true)).unwrap(), None);
    let foreign = clear_verdict(Some("c"), || Ok(false)).unwrap().unwrap();
    assert!(foreign.present && foreign.problem.contains("failed earlier attempt"));
    // PostgreSQL 18's NOT NULL constraint is refused even when this migration's record says it ran:
    // dropping it would drop the column's NOT NULL.
    let not_null = clear_verdict(Some("n"), never_asked).unwrap().unwrap();
    assert!(not_null.problem.contains("NOT NULL constraint of the column"));
}

#[test]
fn a_grant_or_not_null_already_in_place_is_refused_so_the_down_cannot_take_it_away() {
    assert_eq!(grant_verdict(&[]), None);
    let held = grant_verdict(&["SELECT ON public.t TO app".into(), "INSERT ON public.t TO app".into()]);
    assert_eq!(
        held.map(|r| r.problem),
        Some("grants what is already held: SELECT ON public.t TO app, INSERT ON public.t TO app".into())
    );
    assert_eq!(not_null_verdict(false), None);
    assert_eq!(not_null_verdict(true).map(|r| r.problem), Some("is NOT NULL already".into()));
}
