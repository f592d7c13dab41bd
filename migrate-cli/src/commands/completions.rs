//! `completions SHELL` and `man`: the shell completion scripts and the man page, generated from the CLI's own
//! definition (`migrate_runner::args::Cli`), so that every command and option completes and is documented as soon as it
//! exists. Neither needs settings, a build or a database.

use std::process::ExitCode;

use anyhow::Result;

use migrate_runner::args::CompletionShell;

/// Prints the completion script of `shell` for the command `migrate`.
pub(crate) fn completions(shell: CompletionShell) -> Result<ExitCode> {
    use clap::CommandFactory as _;
    use clap_complete::Shell;

    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(
        shell,
        &mut migrate_runner::args::Cli::command(),
        "migrate",
        &mut script,
    );
    migrate_runner::stdio::out!("{}", String::from_utf8_lossy(&script));
    Ok(ExitCode::SUCCESS)
}

/// Prints the man page `migrate(1)`.
pub(crate) fn man() -> Result<ExitCode> {
    use clap::CommandFactory as _;

    let mut page = Vec::new();
    clap_mangen::Man::new(migrate_runner::args::Cli::command()).render(&mut page)?;
    migrate_runner::stdio::out!("{}", String::from_utf8_lossy(&page));
    Ok(ExitCode::SUCCESS)
}
