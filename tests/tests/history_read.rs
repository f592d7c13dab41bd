//! The history read in one query on a session of its own (`Migrator::own_session`, what the installed
//! `migrate` answers `status` and a no-op `up` with): the same status as the probe and the rows give, one
//! statement less when the table is as `up` creates it, and the probe's answer (its error included) for any
//! other table, or none.
//!
//! The statements are counted by the tests' proxy in front of the test server ([`Proxy::counting_statements`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use migrate_core::{Migrator, UpTarget};
use tests::proxy::Proxy;
use tests::TestDb;

/// A proxy in front of `db`'s server that counts the statements its clients send: the URL to connect
/// through it, without TLS so that its messages can be read, the proxy and the count.
fn counting_proxy(db: &TestDb) -> (String, Proxy, Arc<AtomicUsize>) {
    let target = url::Url::parse(db.url()).expect("the test database's URL");
    let upstream = format!(
        "{}:{}",
        target.host_str().unwrap_or("127.0.0.1"),
        target.port().unwrap_or(5432)
    );
    let (proxy, statements) = Proxy::counting_statements(&upstream);
    let mut url = url::Url::parse(&proxy.url_for(db.url())).expect("the proxy's URL");
    let kept: Vec<(String, String)> = target
        .query_pairs()
        .filter(|(k, _)| k != "sslmode")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("sslmode", "disable");
    (url.to_string(), proxy, statements)
}

/// The status of fixture `fixture` on `db` through `url`, read with or without `own_session`, and how many
/// statements that sent.
fn status(fixture: &str, url: &str, count: &AtomicUsize, own: bool) -> (String, usize) {
    let registry = tests::fixtures::registry(fixture).expect("fixture");
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    let migrator = Migrator::new(&registry.migrations).repeatables(&registry.repeatables);
    let migrator = if own {
        migrator.own_session()
    } else {
        migrator
    };
    let before = count.load(Ordering::SeqCst);
    let status = migrator.status(&mut client);
    let sent = count.load(Ordering::SeqCst) - before;
    (format!("{status:?}"), sent)
}

#[test]
fn one_statement_less_for_the_table_up_creates_and_the_probes_answer_for_any_other() {
    // Every case starts from its fixture applied by `up`. (case, fixture, setup SQL, whether it is read at once, whether the status is an error)
    let cases: [(&str, &str, &str, bool, bool); 8] = [
        ("applied by up", "basic", "", true, false),
        ("with a repeatable applied", "repeatable_v1", "", true, false),
        (
            "with a failure mark",
            "basic",
            "CREATE TABLE IF NOT EXISTS public.pgmigrations_failed (name text PRIMARY KEY, \
             direction text NOT NULL, committed bigint NOT NULL, error text NOT NULL, \
             failed_at timestamptz NOT NULL DEFAULT now(), statements text[] NOT NULL DEFAULT '{}'); \
             INSERT INTO public.pgmigrations_failed (name, direction, committed, error) \
             VALUES ('20260101000003_create_posts', 'up', 1, 'boom')",
            true,
            false,
        ),
        ("no table", "basic", "DROP TABLE public.pgmigrations", false, false),
        ("an empty table", "basic", "DELETE FROM public.pgmigrations", false, false),
        (
            "integer ids and run_on without time zone, as node-pg-migrate's",
            "basic",
            "ALTER TABLE public.pgmigrations ALTER COLUMN id TYPE integer, \
             ALTER COLUMN run_on TYPE timestamp",
            false,
            false,
        ),
        (
            "another tool's checksum column",
            "basic",
            "ALTER TABLE public.pgmigrations ALTER COLUMN checksum TYPE integer USING 0",
            false,
            true,
        ),
        (
            "a column missing",
            "basic",
            "ALTER TABLE public.pgmigrations DROP COLUMN execution_ms",
            false,
            true,
        ),
    ];
    for (case, fixture, setup, at_once, error) in cases {
        let db = TestDb::new();
        let registry = tests::fixtures::registry(fixture).expect("fixture");
        Migrator::new(&registry.migrations)
            .repeatables(&registry.repeatables)
            .run_up(&mut db.client(), &UpTarget::All, &mut |_| {})
            .expect("up");
        if !setup.is_empty() {
            db.exec(setup);
        }
        let (url, _proxy, count) = counting_proxy(&db);
        let (probed, probed_sent) = status(fixture, &url, &count, false);
        let (own, own_sent) = status(fixture, &url, &count, true);
        assert_eq!(own, probed, "{case}: the same status either way");
        assert_eq!(probed.starts_with("Err"), error, "{case}: {probed}");
        let expected = if at_once {
            probed_sent - 1
        } else {
            // The query that found the table otherwise, then the probe's.
            probed_sent + 1
        };
        assert_eq!(
            own_sent, expected,
            "{case}: statements sent with own_session (without: {probed_sent})"
        );
    }
}
