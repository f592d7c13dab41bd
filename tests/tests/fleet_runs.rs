//! Fleet runs recorded on their targets: `fleet runs`, `fleet runs show ID` and `fleet down --run ID`, over
//! 200 schemas and 5 databases.

use tests::fixtures::fleet;
use tests::fleet::{json, logged, recorded, LOG_NAMES};
use tests::TestDb;

fn names() -> Vec<String> {
    fleet::REGISTRY
        .migrations
        .as_slice()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

fn cli(url: &str) -> tests::cli::FixtureCli {
    tests::cli::FixtureCli::with_url("fleet", url)
}

const SCHEMAS: usize = 200;

/// The fleet: `SCHEMAS` tenant schemas of `main`, and `main` plus four more databases as database targets.
struct Fleet {
    main: TestDb,
    others: Vec<TestDb>,
}

impl Fleet {
    fn new() -> Fleet {
        Fleet {
            main: TestDb::new(),
            others: (0..4).map(|_| TestDb::new()).collect(),
        }
    }

    fn schemas(&self) -> String {
        (1..=SCHEMAS)
            .map(|i| format!("s{i:03}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn urls(&self) -> String {
        std::iter::once(&self.main)
            .chain(&self.others)
            .map(|db| db.url().to_owned())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// `args` after `fleet <command>`, over the whole fleet.
    fn args<'a>(&'a self, schemas: &'a str, urls: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["--schemas", schemas, "--urls", urls];
        args.extend_from_slice(rest);
        args
    }

    /// Each target's name (as the fleet names it: the schema, or `server/database`) and its applied
    /// migrations and logged writes.
    fn states(&self, report: &serde_json::Value) -> Vec<(String, Vec<String>, Vec<String>)> {
        let mut main = self.main.client();
        report["targets"]
            .as_array()
            .expect("targets")
            .iter()
            .map(|t| {
                let name = t["name"].as_str().expect("name").to_owned();
                let (recorded, logged) = match t["schema"].as_str() {
                    Some(schema) => (recorded(&mut main, schema), logged(&mut main, schema)),
                    None => {
                        let db = std::iter::once(&self.main)
                            .chain(&self.others)
                            .find(|db| name.ends_with(&format!("/{}", db.name())))
                            .expect("a database target");
                        let mut client = db.client();
                        (
                            recorded(&mut client, "public"),
                            logged(&mut client, "public"),
                        )
                    }
                };
                (name, recorded, logged)
            })
            .collect()
    }
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v["name"].as_str().expect("a name").to_owned())
        .collect()
}

// A run that fails on one target part-way is recorded on every target it visited, with what it did there;
// `fleet runs` counts it, `fleet runs show` lists it target by target; a later run on two targets makes
// `fleet down --run` refuse (naming them and the later run, reverting nothing) until `--force-later`; then
// every target is back where the run found it, checked against the run's own record, and a target the run
// did not change keeps what another run applied there.
#[test]
fn a_run_is_recorded_on_its_targets_and_reverted_exactly() {
    let fleet = Fleet::new();
    let (schemas, urls) = (fleet.schemas(), fleet.urls());
    let cli = cli(fleet.main.url());
    let names = names();
    let fleet_cmd = |command: &[&str], rest: &[&str], code: i32| {
        let mut args: Vec<&str> = command.to_vec();
        args.extend(fleet.args(&schemas, &urls, rest));
        cli.run(&args).expect_code(code)
    };
    // The base: the first migration everywhere; then s200 alone gets the second, by run `r0`.
    fleet_cmd(
        &["fleet", "up"],
        &["--to", &names[0], "--run-id", "base", "--json"],
        0,
    );
    cli.run(&[
        "fleet",
        "up",
        "--schemas",
        "s200",
        "--to",
        &names[1],
        "--run-id",
        "r0",
    ])
    .expect_code(0);
    // s150 fails at the third migration: its index name is taken.
    fleet
        .main
        .exec("CREATE INDEX items_name_index ON s150.items (id)");
    // Run r1: up to the third migration, every target but s200 (which r0 moved), and one failure.
    let without_s200: String = schemas.replace(",s200", "");
    let mut args = vec!["fleet", "up", "--schemas", &without_s200, "--urls", &urls];
    args.extend([
        "--to",
        &names[2],
        "--on-error",
        "continue",
        "--run-id",
        "r1",
        "--json",
    ]);
    let run = cli.run(&args).expect_code(1);
    let report = json(&run);
    assert_eq!(report["run_id"], "r1");
    assert!(run.stderr.contains("fleet up: run r1"), "{}", run.stderr);
    assert_eq!(report["summary"]["failed"], 1, "{report:#}");
    // `fleet runs`: newest first, counted over the whole fleet (s200 not reached by r1).
    let runs = json(&fleet_cmd(&["fleet", "runs"], &["--json"], 0));
    let listed: Vec<&str> = runs["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["r1", "r0", "base"], "{runs:#}");
    let r1 = &runs["runs"][0]["targets"];
    assert_eq!(
        (
            r1["changed"].as_u64(),
            r1["failed"].as_u64(),
            r1["not_reached"].as_u64()
        ),
        (Some(203), Some(1), Some(1)),
        "{runs:#}"
    );
    assert_eq!(runs["runs"][1]["targets"]["changed"], 1);
    assert_eq!(runs["runs"][1]["targets"]["not_reached"], 204);
    let text = fleet_cmd(&["fleet", "runs"], &[], 0).stdout;
    assert!(text.starts_with("run "), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("r1  ") && l.contains(" 203 ")),
        "{text}"
    );
    // `fleet runs show r1`: s150 applied the second migration, then failed; s200 was not reached.
    let shown = json(&fleet_cmd(&["fleet", "runs"], &["--json", "show", "r1"], 0));
    let targets = shown["targets"].as_array().unwrap();
    assert_eq!(targets.len(), SCHEMAS + 5);
    let s150 = targets.iter().find(|t| t["name"] == "s150").unwrap();
    assert_eq!(s150["state"], "failed", "{s150:#}");
    assert_eq!(strings(&s150["applied"]), [names[1].clone()]);
    assert!(
        s150["error"].as_str().unwrap().contains("items_name_index"),
        "{s150:#}"
    );
    let s200 = targets.iter().find(|t| t["name"] == "s200").unwrap();
    assert_eq!(s200["state"], "not reached");
    let text = fleet_cmd(&["fleet", "runs"], &["show", "r1"], 0).stdout;
    assert!(text.contains("s200: not reached"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("s150: failed; applied ") && l.contains(&names[1])),
        "{text}"
    );
    // A run the fleet never saw is an error naming it.
    let missing = fleet_cmd(&["fleet", "runs"], &["show", "nope"], 1);
    assert!(
        missing
            .stderr
            .contains("run nope is recorded on none of the 205 target(s)"),
        "{}",
        missing.stderr
    );

    // A later run on s001 and s002 applies the fourth migration on top of r1's.
    cli.run(&["fleet", "up", "--schemas", "s001,s002", "--run-id", "r2"])
        .expect_code(0);
    let before = fleet.states(&json(&fleet_cmd(
        &["fleet", "runs"],
        &["--json", "show", "r1"],
        0,
    )));
    let refused = fleet_cmd(&["fleet", "down"], &["--run", "r1"], 1);
    assert!(
        refused.stderr.contains("nothing was reverted"),
        "{}",
        refused.stderr
    );
    for target in ["s001", "s002"] {
        assert!(
            refused.stderr.contains(&format!(
                "{target}: {} applied after the run's migrations by run r2",
                names[3]
            )),
            "{}",
            refused.stderr
        );
    }
    let after_refusal = fleet.states(&json(&fleet_cmd(
        &["fleet", "runs"],
        &["--json", "show", "r1"],
        0,
    )));
    assert_eq!(before, after_refusal, "a refused revert changes nothing");

    // Forced: every target is back where r1 found it.
    let reverted = fleet_cmd(
        &["fleet", "down"],
        &[
            "--run",
            "r1",
            "--force-later",
            "--run-id",
            "undo-r1",
            "--json",
        ],
        0,
    );
    assert!(
        reverted.stderr.contains("s001: ")
            && reverted.stderr.contains("reverted first (--force-later)"),
        "{}",
        reverted.stderr
    );
    let report = json(&reverted);
    for (name, recorded, logged) in fleet.states(&report) {
        let expected = if name == "s200" {
            &names[..2]
        } else {
            &names[..1]
        };
        assert_eq!(recorded, expected, "{name}");
        assert_eq!(logged, LOG_NAMES[..expected.len()], "{name}");
    }
    // The revert is a run of its own, recorded as reverting r1; reverting r1 again finds nothing left.
    let shown = json(&fleet_cmd(
        &["fleet", "runs"],
        &["--json", "show", "undo-r1"],
        0,
    ));
    assert_eq!(shown["reverts"], "r1");
    assert_eq!(shown["command"], "down");
    let s001 = shown["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "s001")
        .unwrap();
    assert_eq!(
        strings(&s001["reverted"]),
        [names[3].clone(), names[2].clone(), names[1].clone()]
    );
    let s200 = shown["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "s200")
        .unwrap();
    assert_eq!(s200["state"], "unchanged", "{s200:#}");
    let again = json(&fleet_cmd(
        &["fleet", "down"],
        &["--run", "r1", "--json"],
        0,
    ));
    assert_eq!(again["summary"]["migrations"], 0, "{again:#}");
}

// `fleet down --run` killed part-way (SIGKILL) is resumed by running it again: every target ends where the
// run found it, each migration reverted once.
#[test]
fn a_revert_by_run_killed_part_way_is_finished_by_running_it_again() {
    use std::io::BufRead;
    let fleet = Fleet::new();
    let (schemas, urls) = (fleet.schemas(), fleet.urls());
    let cli = cli(fleet.main.url());
    let names = names();
    let mut args = vec!["fleet", "up"];
    args.extend(fleet.args(&schemas, &urls, &["--to", &names[0]]));
    cli.run(&args).expect_code(0);
    let mut args = vec!["fleet", "up"];
    args.extend(fleet.args(&schemas, &urls, &["--run-id", "r1"]));
    cli.run(&args).expect_code(0);
    let mut args = vec!["fleet", "down"];
    args.extend(fleet.args(&schemas, &urls, &["--run", "r1"]));
    let mut child = tests::cli::runner("fleet")
        .env("DATABASE_URL", fleet.main.url())
        .args(&args)
        .spawn()
        .expect("start the runner");
    let stdout = child.stdout.take().expect("stdout");
    let mut done = 0;
    for line in std::io::BufReader::new(stdout).lines() {
        if line.expect("a line").ends_with(": done, 3 reverted") {
            done += 1;
            if done == SCHEMAS / 3 {
                break;
            }
        }
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    fleet.main.wait_for_runner_sessions_to_end();
    let mut client = fleet.main.client();
    let part_way = (1..=SCHEMAS)
        .filter(|i| recorded(&mut client, &format!("s{i:03}")).len() == names.len())
        .count();
    eprintln!("killed after {done} targets reverted; {part_way} schemas not reverted yet");
    assert!(part_way > 0, "the kill came after the end");
    let mut args = vec!["fleet", "down"];
    args.extend(fleet.args(&schemas, &urls, &["--run", "r1", "--json"]));
    let report = json(&cli.run(&args).expect_code(0));
    for (name, recorded, logged) in fleet.states(&report) {
        assert_eq!(recorded, names[..1], "{name}");
        assert_eq!(logged, LOG_NAMES[..1], "{name}");
    }
}

// The app is rolled back to a release without the files of the run to revert: `fleet down --run --recorded`
// reverts the run's migrations on each target with the `down` each row recorded when the newer release applied
// it; without `--recorded` it refuses, naming them, and reverts nothing.
#[test]
fn an_older_release_reverts_a_newer_runs_migrations_with_their_recorded_downs() {
    let db = TestDb::new();
    let newer = cli(db.url());
    let names = names();
    let schemas = (1..=10)
        .map(|i| format!("r{i:02}"))
        .collect::<Vec<_>>()
        .join(",");
    newer
        .run(&["fleet", "up", "--schemas", &schemas, "--to", &names[1]])
        .expect_code(0);
    newer
        .run(&[
            "fleet",
            "up",
            "--schemas",
            &schemas,
            "--run-id",
            "release-2",
        ])
        .expect_code(0);
    let older = newer.switch("fleet_r1");
    let refused = older
        .run(&["fleet", "down", "--schemas", &schemas, "--run", "release-2"])
        .expect_code(1);
    assert!(refused.stdout.contains(&names[3]), "{}", refused.stdout);
    let mut client = db.client();
    assert_eq!(recorded(&mut client, "r01"), names);
    older
        .run(&[
            "fleet",
            "down",
            "--schemas",
            &schemas,
            "--run",
            "release-2",
            "--recorded",
        ])
        .expect_code(0);
    for i in 1..=10 {
        let schema = format!("r{i:02}");
        assert_eq!(recorded(&mut client, &schema), names[..2], "{schema}");
        assert_eq!(logged(&mut client, &schema), LOG_NAMES[..2], "{schema}");
    }
}
