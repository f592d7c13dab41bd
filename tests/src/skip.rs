//! Tests that need something this machine may lack (Chromium, PostgreSQL server binaries, another major):
//! skipped with a loud note on a developer's machine, failed under CI, where every test must run.

/// Whether this is a CI run: `CI` set to anything but empty, `0` or `false` (CI services set `CI=true`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// What a test needs, `found` or not. When it is missing: outside CI, a loud note and `None` (the test
/// returns without asserting anything); under CI, a failure.
///
/// # Panics
///
/// Under CI when `what` is missing: a test that cannot run there must not pass.
pub fn require<T>(what: &str, found: Option<T>) -> Option<T> {
    if found.is_some() {
        return found;
    }
    assert!(
        !in_ci(),
        "this test needs {what}, which is missing; under CI (CI is set) a test never skips: install it"
    );
    eprintln!(
        "\n==================== SKIPPED ====================\n\
         this test needs {what}, which is missing on this machine.\n\
         This test did NOT run (under CI it fails instead).\n\
         =================================================\n"
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A missing requirement skips (`None`) outside CI and fails under CI; something found is handed back.
    /// `both_sides_of_ci` runs this test again with `CI` the other way.
    #[test]
    fn a_missing_requirement_skips_outside_ci_and_fails_under_ci() {
        let missing = std::panic::catch_unwind(|| require("a tool no machine has", None::<()>));
        if in_ci() {
            assert!(missing.is_err(), "under CI a missing requirement fails");
        } else {
            assert_eq!(missing.ok(), Some(None), "outside CI it skips");
        }
        assert_eq!(require("a tool this machine has", Some(7)), Some(7));
    }

    #[test]
    fn both_sides_of_ci() {
        let other = if in_ci() { "false" } else { "true" };
        let out = std::process::Command::new(std::env::current_exe().expect("this test binary"))
            .args([
                "--exact",
                "skip::tests::a_missing_requirement_skips_outside_ci_and_fails_under_ci",
            ])
            .env("CI", other)
            .output()
            .expect("the test binary runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "with CI={other}: {stdout}");
        assert!(stdout.contains("1 passed"), "with CI={other}: {stdout}");
    }
}
