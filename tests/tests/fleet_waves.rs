//! `fleet up --stages`: a rollout in waves with a health check between them, stopped by a failing check or a
//! failing target, shown as mixed by `fleet status`, resumed under the same run id and reverted by it.

use tests::fixtures::fleet;
use tests::fleet::{json, recorded};
use tests::TestDb;

fn cli(url: &str) -> tests::cli::FixtureCli {
    tests::cli::FixtureCli::with_url("fleet", url)
}

fn newest() -> String {
    let names = fleet::REGISTRY.migrations.as_slice();
    names[names.len() - 1].name().to_owned()
}

const TENANTS: usize = 40;

fn schemas() -> String {
    (1..=TENANTS)
        .map(|i| format!("w{i:02}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Tenants with every migration, and with none.
fn rolled_out(db: &TestDb) -> (usize, usize) {
    let mut client = db.client();
    let counts: Vec<usize> = (1..=TENANTS)
        .map(|i| recorded(&mut client, &format!("w{i:02}")).len())
        .collect();
    let all = fleet::REGISTRY.migrations.as_slice().len();
    (
        counts.iter().filter(|&&n| n == all).count(),
        counts.iter().filter(|&&n| n == 0).count(),
    )
}

// Waves of 1, 10%, 50% and 100% of 40 tenants: the check (on the control database) passes after the first two
// and fails after the third, so the fourth never starts; `fleet status` shows the fleet mixed; the same
// command with a passing check and the same run id finishes it; `fleet down --run` reverts every wave.
#[test]
fn a_failing_health_check_stops_the_rollout_before_the_next_wave() {
    let db = TestDb::new();
    let cli = cli(db.url());
    let all = schemas();
    // True while fewer than ten tenants have the fixture's log table.
    let check =
        "SELECT (SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = 'applied_log') < 10";
    let args = [
        "fleet",
        "up",
        "--schemas",
        &all,
        "--stages",
        "1,10%,50%,100%",
        "--health-check",
        check,
        "--run-id",
        "waves-1",
        "--json",
    ];
    let run = cli.run(&args).expect_code(1);
    let report = json(&run);
    assert_eq!(report["run_id"], "waves-1");
    let waves = report["waves"].as_array().expect("waves");
    let sizes: Vec<u64> = waves
        .iter()
        .map(|w| w["report"]["summary"]["done"].as_u64().unwrap())
        .collect();
    assert_eq!(sizes, [1, 3, 16], "{report:#}");
    let stopped = report["stopped"].as_str().unwrap();
    assert!(
        stopped.contains("health check after wave 3 of 4 failed: on ")
            && stopped.contains("it returned \"f\", not true")
            && stopped.contains("the rollout stops before wave 4 (20 of 40 target(s) rolled out)"),
        "{stopped}"
    );
    assert!(
        run.stderr.contains("health check after wave 1 passed"),
        "{}",
        run.stderr
    );
    assert_eq!(rolled_out(&db), (20, 20));
    let status = cli
        .run(&["fleet", "status", "--schemas", &all])
        .expect_code(0);
    assert!(
        status.stdout.contains(&format!(
            "mixed: 20 at {}, 20 at (nothing applied)",
            newest()
        )),
        "{}",
        status.stdout
    );
    // The same rollout goes on under the same id once the check passes: the first waves have nothing left.
    let mut again = args;
    again[7] = "SELECT true";
    let run = cli.run(&again[..again.len() - 1]).expect_code(0);
    assert!(
        run.stdout
            .contains("fleet up: every wave done, 40 target(s)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("wave 4 of 4: 20 target(s)"),
        "{}",
        run.stdout
    );
    assert_eq!(rolled_out(&db), (40, 0));
    // One run over every wave: its revert takes all of it back.
    cli.run(&["fleet", "down", "--schemas", &all, "--run", "waves-1"])
        .expect_code(0);
    assert_eq!(rolled_out(&db), (0, 40));
}

// A check on each target, in its own schema: it fails on the one tenant where it should, naming it, and the
// targets of the next wave are never touched. A target that fails stops the rollout too, and a stage list
// that does not reach every target is refused before anything runs.
#[test]
fn a_check_on_the_targets_and_a_failing_target_stop_the_rollout() {
    let db = TestDb::new();
    let cli = cli(db.url());
    db.exec("CREATE SCHEMA w02; CREATE TABLE w02.flags (bad boolean)");
    let check = "SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = 'flags')";
    let run = cli
        .run(&[
            "fleet",
            "up",
            "--schemas",
            "w01,w02,w03,w04",
            "--stages",
            "2,100%",
            "--health-check",
            check,
            "--health-check-on",
            "targets",
        ])
        .expect_code(1);
    assert!(
        run.stdout.contains(
            "stopped: health check after wave 1 of 2 failed: on 1 of 2 target(s): w02: it returned \"f\", not true"
        ),
        "{}",
        run.stdout
    );
    let mut client = db.client();
    assert!(recorded(&mut client, "w03").is_empty() && recorded(&mut client, "w04").is_empty());
    assert_eq!(
        recorded(&mut client, "w01").len(),
        fleet::REGISTRY.migrations.as_slice().len()
    );
    // A target of the first wave fails: the second never starts.
    db.exec("CREATE SCHEMA w05; CREATE TABLE w05.items (id int)");
    let run = cli
        .run(&[
            "fleet",
            "up",
            "--schemas",
            "w05,w06,w07",
            "--stages",
            "1,100%",
        ])
        .expect_code(1);
    assert!(
        run.stdout
            .contains("stopped: wave 1 of 2 did not succeed on every target: the rollout stops before the next wave"),
        "{}",
        run.stdout
    );
    assert!(recorded(&mut client, "w06").is_empty());
    // Refused before anything runs.
    let run = cli
        .run(&["fleet", "up", "--schemas", "w08,w09", "--stages", "1,50%"])
        .expect_code(1);
    assert!(
        run.stderr
            .contains("the last stage must reach every target"),
        "{}",
        run.stderr
    );
    assert!(recorded(&mut client, "w08").is_empty());
}
