//! The benchmarks' timing (`tests::timing::timed`), through the `bench` binary's `--time`: a command's peak
//! memory is its own, whatever the benchmark process holds, and a failing command fails the measurement.

use std::process::Command;

fn time(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bench"))
        .arg("--time")
        .args(args)
        .output()
        .expect("bench --time")
}

/// Wall time (ns) and peak memory (KiB) that `bench --time` printed.
fn figures(output: &std::process::Output) -> (u64, u64) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let numbers: Vec<u64> = text
        .split_whitespace()
        .map(|n| n.parse().expect("a number"))
        .collect();
    let [wall, rss] = numbers[..] else {
        panic!("two numbers, not {text:?}");
    };
    (wall, rss)
}

#[test]
fn a_commands_peak_is_its_own_not_the_benchmarks() {
    // The benchmark holds 64 MiB; `true` itself needs one or two.
    let (wall, rss) = figures(&time(&["--hold-mib", "64", "true"]));
    assert!(wall > 0);
    assert!(rss > 0 && rss < 16 * 1024, "`true` peaked at {rss} KiB");

    // A command that does use memory is measured as using it: `bench` itself, holding 96 MiB.
    let (_, rss) = figures(&time(&[
        env!("CARGO_BIN_EXE_bench"),
        "--time",
        "--hold-mib",
        "96",
        "true",
    ]));
    assert!(rss > 96 * 1024, "a 96 MiB buffer peaked at {rss} KiB");
}

#[test]
fn a_failing_command_fails_the_measurement() {
    let output = time(&["sh", "-c", "echo broken >&2; exit 3"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The command's exit (3) as the spawner reported it, with its output.
    assert!(stderr.contains("failed (wait status 768)"), "{stderr}");
    assert!(stderr.contains("broken"), "{stderr}");
    assert!(!stderr.contains("no timing report"), "{stderr}");
}
