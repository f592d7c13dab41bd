use super::*;

fn files(list: &[(&str, &str)]) -> Vec<File> {
    list.iter()
        .map(|(rel, text)| File {
            rel: (*rel).to_owned(),
            text: (*text).to_owned(),
        })
        .collect()
}

/// Rules for the scanner alone: any digits, a marker line, a checksum of the text's length.
const TEST_RULES: UpDown = UpDown {
    plain_is_up: false,
    version: |stem| {
        let (version, description) = stem.split_once('_').unwrap_or((stem, ""));
        number_order(version)
            .map(|order| Versioned {
                recorded: format!("v{version}"),
                order,
                description: description.to_owned(),
            })
            .ok_or_else(|| format!("bad version `{version}`"))
    },
    no_transaction: |text| text.starts_with("-- out").then(|| "`-- out`".to_owned()),
    checksum: |_| None,
};

fn scan(rules: &UpDown, list: &[(&str, &str)]) -> (Vec<SourceMigration>, Vec<Refusal>) {
    let mut refusals = Vec::new();
    let mut found = up_down(files(list), rules, &mut refusals);
    found.sort_by(|a, b| a.0.cmp(&b.0));
    (found.into_iter().map(|(_, m)| m).collect(), refusals)
}

#[test]
fn the_shared_scanner_pairs_ups_and_downs_by_version() {
    let (found, refusals) = scan(
        &TEST_RULES,
        &[
            ("10_second_one.up.sql", "SELECT 10;"),
            ("2_first.up.sql", "-- out\nSELECT 2;"),
            ("2_first.down.sql", "-- out\nSELECT -2;"),
            ("10_second_one.down.sql", "SELECT -10;"),
            ("3_plain.sql", "SELECT 3;"),
            ("README.md", "not a migration"),
        ],
    );
    assert!(refusals.is_empty(), "{refusals:?}");
    // By number, not by name: 2 before 10; the plain `.sql` is no migration under these rules.
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].version, "v2");
    assert_eq!(found[0].description, "first");
    assert_eq!(found[0].up_file, "2_first.up.sql");
    assert_eq!(
        found[0].down,
        Some(("2_first.down.sql".to_owned(), "-- out\nSELECT -2;".to_owned()))
    );
    assert_eq!(found[0].no_transaction.as_deref(), Some("`-- out`"));
    assert_eq!(found[0].down_no_transaction.as_deref(), Some("`-- out`"));
    assert_eq!(found[1].version, "v10");
    assert_eq!(found[1].description, "second one");
    assert_eq!(found[1].no_transaction, None);
    assert_eq!(found[1].checksum, None);
}

#[test]
fn the_shared_scanner_refuses_what_it_cannot_pair() {
    let (found, refusals) = scan(
        &TEST_RULES,
        &[
            ("1_a.up.sql", "SELECT 1;"),
            ("01_b.up.sql", "SELECT 1;"),
            ("2_lonely.down.sql", "SELECT 2;"),
            ("x_bad.up.sql", "SELECT 3;"),
        ],
    );
    assert_eq!(found.len(), 1);
    let refusals: Vec<(&str, &str)> = refusals
        .iter()
        .map(|r| (r.file.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(
        refusals,
        [
            ("x_bad.up.sql", "bad version `x`"),
            (
                "01_b.up.sql",
                "duplicate version v01: 1_a.up.sql is a migration of the same version"
            ),
            (
                "2_lonely.down.sql",
                "a down of version v2 without its migration: there is nowhere to put it"
            ),
        ]
    );
}

#[test]
fn sqlx_and_golang_migrate_differ_only_in_their_rules() {
    let list = [
        ("0001_create.sql", "-- no-transaction\nSELECT 1;"),
        ("0002_index.up.sql", "SELECT 2;"),
        ("0002_index.down.sql", "-- no-transaction\nSELECT -2;"),
    ];
    let (sqlx, refusals) = scan(&SQLX, &list);
    assert!(refusals.is_empty(), "{refusals:?}");
    assert_eq!(sqlx.len(), 2);
    assert_eq!((sqlx[0].version.as_str(), sqlx[0].description.as_str()), ("1", "create"));
    assert_eq!(sqlx[0].no_transaction.as_deref(), Some("`-- no-transaction`"));
    assert!(sqlx[0].checksum.is_some());
    assert_eq!(sqlx[1].no_transaction, None);
    assert_eq!(
        sqlx[1].down_no_transaction.as_deref(),
        Some("`-- no-transaction`")
    );
    // golang-migrate: no plain `.sql`, no marker, no checksum.
    let (golang, refusals) = scan(&GOLANG_MIGRATE, &list);
    assert!(refusals.is_empty(), "{refusals:?}");
    assert_eq!(golang.len(), 1);
    assert_eq!(golang[0].version, "2");
    assert_eq!(golang[0].down_no_transaction, None);
    assert_eq!(golang[0].checksum, None);

    // Their refusals, as before.
    let (_, refusals) = scan(&SQLX, &[("nounderscore.sql", ""), ("x_a.sql", ""), ("-1_a.sql", "")]);
    let reasons: Vec<&str> = refusals.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "not a sqlx migration name (`<VERSION>_<DESCRIPTION>.sql`)",
            "the version `x` is not a number (sqlx versions are i64)",
            "the version `-1` is negative",
        ]
    );
    let (golang, refusals) = scan(&GOLANG_MIGRATE, &[("7.up.sql", ""), ("-1_a.up.sql", "")]);
    assert_eq!(golang[0].description, "");
    assert_eq!(refusals.len(), 1);
    assert_eq!(
        refusals[0].reason,
        "not a golang-migrate migration name (`<version>_<title>.up.sql`)"
    );
}
