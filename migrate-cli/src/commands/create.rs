//! `create`: writes a new migration file (or, with `--repeatable`, a repeatable one); needs neither the compiled migrations nor a database.

use crate::stdio::outln;
use std::process::ExitCode;

use anyhow::Result;

use crate::schema_file;
use crate::settings::Settings;

pub fn create(settings: &Settings, words: &[String], repeatable: bool) -> Result<ExitCode> {
    let now = chrono::Utc::now().naive_utc();
    let dir = &settings.migrations_dir;
    if repeatable {
        let path = migrate_core::create_repeatable(dir, &words.join(" "))?;
        outln!("created {}", schema_file::shown(&path));
        return Ok(ExitCode::SUCCESS);
    }
    let path = migrate_core::create_migration(dir, &words.join(" "), now)?;
    outln!("created {}", schema_file::shown(&path));
    let sealed = migrate_core::seal::seal_older(dir, &migrate_core::scan(dir)?)?;
    if sealed > 0 {
        outln!(
            "sealed {sealed} older migrations (listed in {}): the next build compiles them once, in the \
             sealed-migrations crate, and later builds leave them alone",
            schema_file::shown(&dir.join(migrate_core::seal::LIST_FILE))
        );
    }
    Ok(ExitCode::SUCCESS)
}
