use super::ending::cancelled_statement;
use super::*;

/// A run stopped cleanly between steps (a signal, the spent budget) ends its target as interrupted, with the
/// engine's message as it is; anything else fails it. (A statement the server cancelled for the fleet's
/// signal is exercised against a server: tests/tests/fleet_guards.rs.)
#[test]
fn a_clean_stop_is_an_interruption_and_anything_else_a_failure() {
    let interrupt = Interrupt::new();
    let stopped = Error::Interrupted {
        signal: 15,
        what: "before migration 20260101000000_a".to_owned(),
    };
    let (error, state) = failed(&stopped, false, &interrupt, Instant::now());
    assert_eq!(state, TargetState::Interrupted);
    assert_eq!(error.message, stopped.to_string());
    assert!(!error.session_ended);

    let unknown = Error::UnknownMigration {
        name: "20260101000000_a".to_owned(),
    };
    let (error, state) = failed(&unknown, true, &interrupt, Instant::now());
    assert_eq!(state, TargetState::Failed);
    assert!(error.session_ended, "the session's end is kept for the summary");
    assert_eq!(error.message, unknown.to_string());
}

#[test]
fn a_cancelled_statement_names_the_migration_when_known() {
    assert!(cancelled_statement(Some("20260101000000_a")).contains("20260101000000_a"));
    assert!(!cancelled_statement(None).is_empty());
}

/// Places a target from its URL `server/database` (or `default/postgres` without one), as the CLI's
/// connector reads a real connection string; `new` never connects.
struct ByUrl;

impl Connector for ByUrl {
    fn locate(&self, target: &Target) -> Result<super::super::Location, String> {
        let url = target.url.as_deref().unwrap_or("default/postgres");
        let (server, database) = url
            .split_once('/')
            .ok_or_else(|| format!("{url:?} is not server/database"))?;
        Ok(super::super::Location {
            server: server.to_owned(),
            database: database.to_owned(),
        })
    }

    fn connect(
        &self,
        _target: &Target,
        _notices: &crate::notices::Notices,
    ) -> Result<super::super::Session, super::super::ConnectError> {
        Err(super::super::ConnectError::new(
            "the list checks never connect",
            true,
        ))
    }
}

fn fleet(targets: Vec<Target>, options: FleetOptions) -> Result<Vec<String>, FleetError> {
    Fleet::new(Migrator::new(&[]), targets, &ByUrl, options).map(|f| f.names.clone())
}

/// The list is checked before anything runs: each fault refuses the whole fleet, naming what is wrong.
#[test]
fn a_fleets_target_list_is_checked_before_anything_runs() {
    let default = FleetOptions::default;
    assert!(matches!(fleet(Vec::new(), default()), Err(FleetError::NoTargets)));
    let zero = FleetOptions {
        parallel: 0,
        ..default()
    };
    assert!(matches!(
        fleet(vec![Target::schema("a")], zero),
        Err(FleetError::Zero { what: "parallel" })
    ));
    // A URL the connector cannot read names its target.
    let Err(FleetError::Location { target, message }) =
        fleet(vec![Target::database("nowhere").named("eu")], default())
    else {
        panic!("an unreadable URL is refused");
    };
    assert_eq!(target, "eu");
    assert!(message.contains("nowhere"), "{message}");

    // The same schema of the same database twice, under other names: the same target.
    let Err(FleetError::Duplicate { first, second, what }) = fleet(
        vec![
            Target::database("db1:5432/app").in_schema("t1").named("x"),
            Target::database("db1:5432/app").in_schema("t1").named("y"),
        ],
        default(),
    ) else {
        panic!("a target twice is refused");
    };
    assert_eq!((first.as_str(), second.as_str()), ("x", "y"));
    assert_eq!(what, "schema \"t1\" of database app on db1:5432");
    // ...but the same schema name in two databases is two targets.
    assert!(fleet(
        vec![
            Target::database("db1:5432/app").in_schema("t1"),
            Target::database("db1:5432/other").in_schema("t1"),
        ],
        default(),
    )
    .is_ok());

    // Two targets may not share a name.
    assert!(matches!(
        fleet(
            vec![
                Target::database("db1/a").named("eu"),
                Target::database("db2/a").named("eu"),
            ],
            default(),
        ),
        Err(FleetError::DuplicateName { name }) if name == "eu"
    ));
}

/// An empty name is filled in: the schema alone for a schema of the default database, else where it is.
#[test]
fn unnamed_targets_are_named_by_where_they_are() {
    let mut unnamed = Target::schema("tenant_1");
    unnamed.name.clear();
    let names = fleet(
        vec![
            unnamed,
            Target::database("db2:5432/app"),
            Target::database("db2:5432/app").in_schema("t9"),
        ],
        FleetOptions::default(),
    )
    .expect("a valid list");
    assert_eq!(names, ["tenant_1", "db2:5432/app", "db2:5432/app/t9"]);
}

/// A canary is the first N targets or targets by name, each once; a name that is not a target refuses the
/// fleet.
#[test]
fn a_canary_is_made_of_the_fleets_own_targets() {
    let targets = || {
        vec![
            Target::schema("a"),
            Target::schema("b"),
            Target::schema("c"),
        ]
    };
    let canary = |canary: Canary| {
        Fleet::new(
            Migrator::new(&[]),
            targets(),
            &ByUrl,
            FleetOptions {
                canary,
                ..FleetOptions::default()
            },
        )
        .map(|f| f.canary.clone())
    };
    assert_eq!(canary(Canary::None).expect("none"), Vec::<usize>::new());
    assert_eq!(canary(Canary::First(2)).expect("first 2"), [0, 1]);
    assert_eq!(canary(Canary::First(9)).expect("more than there are"), [0, 1, 2]);
    assert_eq!(
        canary(Canary::Named(vec!["c".into(), "a".into(), "c".into()])).expect("by name"),
        [2, 0]
    );
    assert!(matches!(
        canary(Canary::Named(vec!["zz".into()])),
        Err(FleetError::UnknownCanary { name }) if name == "zz"
    ));
}

fn at(server: &str, database: &str) -> super::super::Location {
    super::super::Location {
        server: server.to_owned(),
        database: database.to_owned(),
    }
}

/// Servers are numbered in the order they first appear, so targets of any database on one server share its
/// budget; a second target at a place already seen names both.
#[test]
fn places_number_servers_and_refuse_a_place_twice() {
    let targets = vec![
        Target::database("a/x").named("ax"),
        Target::database("b/x").named("bx"),
        Target::database("a/y").named("ay"),
        Target::database("a/y").in_schema("s").named("ays"),
        Target::database("a/y").named("again"),
    ];
    let mut places = Places::default();
    for (i, (server, database)) in [("a", "x"), ("b", "x"), ("a", "y"), ("a", "y")]
        .into_iter()
        .enumerate()
    {
        places
            .add(&targets, i, at(server, database))
            .expect("a new place");
    }
    assert_eq!(places.servers, [0, 1, 0, 0]);
    let Err(FleetError::Duplicate { first, second, what }) = places.add(&targets, 4, at("a", "y"))
    else {
        panic!("a place twice is refused");
    };
    assert_eq!((first.as_str(), second.as_str()), ("ay", "again"));
    assert_eq!(what, "database y on a");
}

/// Zero targets at once, in all or per server, would run nothing: either is refused by name.
#[test]
fn a_parallel_limit_of_zero_is_refused() {
    assert!(check_limits(&FleetOptions::default()).is_ok());
    let per_server = FleetOptions {
        per_server: 0,
        ..FleetOptions::default()
    };
    assert!(matches!(
        check_limits(&per_server),
        Err(FleetError::Zero {
            what: "per-server parallel"
        })
    ));
}
