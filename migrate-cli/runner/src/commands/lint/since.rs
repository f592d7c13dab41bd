//! `lint --since REV`: the migrations whose files were added or changed since a git revision, asked of git.

use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, Result};

/// The names of the migrations (and repeatable migrations) in `dir` whose files differ from `rev` in the work
/// tree (added, changed or renamed; not deleted), with the new files git does not track yet. Files of other
/// names (and sub-folders) are no migrations and are left out.
/// `command` names what asks (`lint`, `review`) in messages.
pub(crate) fn changed_since(command: &str, rev: &str, dir: &Path) -> Result<Vec<String>> {
    if rev.starts_with('-') {
        anyhow::bail!(
            "{command} --since takes a git revision (a commit, branch or tag), not {rev:?}"
        );
    }
    // First, so that a wrong revision, or no repository, is said as such (`git diff` outside a repository
    // compares files instead, and says something else).
    let commit = format!("{rev}^{{commit}}");
    git(dir, &["rev-parse", "--verify", &commit]).with_context(|| {
        format!(
            "{command} --since {rev}: no commit {rev} in the git repository of {} (a commit, branch or tag; in CI, \
             fetch the history it needs, e.g. `fetch-depth: 0`)",
            dir.display()
        )
    })?;
    let asked = || format!("{command} --since {rev} cannot ask git what changed");
    let mut files = git(
        dir,
        &[
            "diff",
            "--name-only",
            "--relative",
            "-z",
            "--diff-filter=d",
            rev,
            "--",
            ".",
        ],
    )
    .with_context(asked)?;
    files.extend(
        git(
            dir,
            &[
                "ls-files",
                "-z",
                "--others",
                "--exclude-standard",
                "--",
                ".",
            ],
        )
        .with_context(asked)?,
    );
    let mut names: Vec<String> = files
        .iter()
        .filter(|file| !file.contains('/'))
        .filter_map(
            |file| match migrate_core::naming::parse_repeatable_name(file) {
                Some(parsed) => parsed.ok(),
                None => migrate_core::naming::parse_file_name(file)
                    .ok()
                    .map(|name| name.stem),
            },
        )
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// The NUL-separated paths `git <args>` prints, run in `dir`.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<String>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .context("lint --since asks git what changed, and git could not be started")?;
    if !out.status.success() {
        anyhow::bail!(
            "`git {}` failed in {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out
        .stdout
        .split(|b| *b == 0)
        .filter(|path| !path.is_empty())
        .map(|path| String::from_utf8_lossy(path).into_owned())
        .collect())
}
