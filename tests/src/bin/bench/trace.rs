//! Trace: the example app's migrations traced on a scratch database

use super::*;

pub(super) fn bench_trace() {
    const RUNS: usize = 5;
    // With `--dev`, the runner the test command built (the example app's tests build it); otherwise built
    // here, not timed.
    let bin = built_beside("example-app-migrate").unwrap_or_else(|| {
        let mut build = cargo();
        build
            .args([
                "build",
                "--locked",
                "-q",
                "-p",
                "example-app",
                "--bin",
                "example-app-migrate",
            ])
            .current_dir(workspace_root());
        if !dev_profile() {
            build.arg("--release");
        }
        assert!(
            build.status().expect("cargo").success(),
            "building example-app-migrate failed"
        );
        workspace_root()
            .join("target")
            .join(if dev_profile() { "debug" } else { "release" })
            .join("example-app-migrate")
    });
    let migrations = workspace_root().join("example-app").join("migrations");
    // Run outside the repository: below it, the runner would find migrate.toml and rewrite the committed
    // schema file after `up`.
    let cwd = tempfile::tempdir().expect("temp dir");
    let command = |db: &TestDb, args: &[&str]| {
        let mut cmd = Command::new(&bin);
        cmd.args(args)
            .current_dir(cwd.path())
            .env("DATABASE_URL", db.url())
            .env("MIGRATIONS_DIR", &migrations);
        cmd
    };
    let run = |args: &[&str], before: &[&str]| -> Duration {
        let db = TestDb::new();
        if !before.is_empty() {
            timed(&mut command(&db, before));
        }
        timed(&mut command(&db, args)).0
    };
    let last_five = [
        "20261122100400",
        "20261122110000",
        "20261122110100",
        "20261122110200",
        "20261122120000",
    ];
    let mut rows_args = vec!["trace", "--rows", "100000"];
    rows_args.extend(last_five);
    let cases: [(&str, Vec<&str>, Vec<&str>); 3] = [
        ("up: apply the 7 migrations (baseline)", vec!["up"], vec![]),
        ("trace: the 7 migrations", vec!["trace"], vec![]),
        (
            "trace --rows 100000: the last 5, after the first 2",
            rows_args,
            vec!["up", "--to", "20261122100000"],
        ),
    ];
    println!("\n## trace: the example app's 7 migrations (runner called directly, {RUNS} runs each, fresh database each)\n");
    println!("| command | median | min | max |");
    println!("|---|---|---|---|");
    for (label, args, before) in cases {
        // One run not timed: the server's caches, the binary's pages.
        run(&args, &before);
        let mut samples: Vec<Duration> = (0..RUNS).map(|_| run(&args, &before)).collect();
        samples.sort();
        println!(
            "| {label} | {} | {} | {} |",
            ms(median(samples.clone())),
            ms(samples[0]),
            ms(samples[samples.len() - 1])
        );
    }
    println!("\ntarget: the 7 migrations traced in under 3 s");
}
