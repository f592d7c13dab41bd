//! `migrate completions <shell>` and `migrate man`: generated from the CLI's own definition, so a new command
//! or option completes as soon as it exists. bash's script is loaded into bash and asked what it completes.

use std::process::Command;

fn migrate(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("migrate runs");
    assert!(
        out.status.success(),
        "migrate {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// What bash offers for `words` (the last one being completed), with the script loaded as a user's shell loads it.
fn bash_completes(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let line = words.join(" ");
    let program = format!(
        "source {script:?}\nCOMP_WORDS=({line})\nCOMP_CWORD={}\nCOMP_LINE={line:?}\nCOMP_POINT={}\n\
         _migrate migrate {:?} {:?}\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        words.len() - 1,
        line.len(),
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_commands_and_their_options() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("migrate.bash");
    std::fs::write(&script, migrate(&["completions", "bash"])).unwrap();
    let commands = bash_completes(&script, &["migrate", "im"]);
    assert_eq!(commands, ["import"]);
    let options = bash_completes(&script, &["migrate", "import", "--fr"]);
    assert_eq!(options, ["--from"]);
    let tools = bash_completes(&script, &["migrate", "import", "--from", "n"]);
    assert_eq!(tools, ["node-pg-migrate"]);
}

#[test]
fn zsh_and_fish_scripts_know_every_command() {
    let zsh = migrate(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef migrate"), "{zsh}");
    let fish = migrate(&["completions", "fish"]);
    assert!(fish.contains("complete -c migrate"), "{fish}");
    for command in ["import", "lint", "repair", "completions", "man"] {
        assert!(zsh.contains(&format!("'{command}:")), "zsh lacks {command}");
        assert!(
            fish.contains(&format!("-a \"{command}\"")),
            "fish lacks {command}"
        );
    }
}

#[test]
fn the_man_page_lists_the_commands() {
    let page = migrate(&["man"]);
    assert!(page.contains(".TH migrate 1"), "{page}");
    for command in ["import", "lint", "completions"] {
        assert!(page.contains(command), "the man page lacks {command}");
    }
}
