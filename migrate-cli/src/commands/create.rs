//! `create`: writes a new migration file (or, with `--repeatable`, a repeatable one), and seals older migrations
//! when enough have piled up; needs neither the compiled migrations nor a database.

use crate::stdio::outln;
use std::process::ExitCode;

use anyhow::Result;
use migrate_core::seal::{self, SealOutcome};

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
    let outcome = seal::seal_older(dir, &migrate_core::scan(dir)?)?;
    if outcome.sealed > 0 {
        report_seal(dir, &outcome)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Says what the seal did, after writing the packages of the chunks it opened (or of all of them, when it
/// moved the first layout's list into chunks).
fn report_seal(dir: &std::path::Path, outcome: &SealOutcome) -> Result<()> {
    let shown_list = |index: u32| schema_file::shown(&seal::chunk_list_path(dir, index));
    let chunks = match outcome.written.as_slice() {
        [only] => format!("chunk {only:04} ({})", shown_list(*only)),
        [first, .., last] => format!(
            "chunks {first:04} to {last:04} ({} ...)",
            shown_list(*first)
        ),
        [] => "no chunk".to_owned(),
    };
    outln!(
        "sealed {} older migrations into {chunks}: the next build compiles {} once (at most {} migrations each), \
         and later builds leave {} alone",
        outcome.sealed,
        if outcome.written.len() == 1 { "that chunk" } else { "those chunks" },
        seal::CHUNK_SIZE,
        if outcome.written.len() == 1 { "it" } else { "them" },
    );
    if outcome.moved > 0 {
        outln!(
            "moved the {} migrations listed in {} to the chunked layout ({}/): one crate per chunk of at most {} \
             under sealed-migrations/chunks/, so that a seal recompiles one chunk, never the whole history; \
             commit the new files, the removed list and Cargo.lock",
            outcome.moved,
            schema_file::shown(&dir.join(seal::LIST_FILE)),
            schema_file::shown(&dir.join(seal::CHUNKS_DIR)),
            seal::CHUNK_SIZE
        );
    }
    write_chunk_packages(dir)
}

/// Writes the packages of new chunks and says so: a new package changes Cargo.lock at the next build.
#[cfg(feature = "init")]
fn write_chunk_packages(dir: &std::path::Path) -> Result<()> {
    use anyhow::Context as _;
    // The migration and the lists are written; without the chunks' packages the next build stops, so this
    // is an error, one that says what is done and what is not.
    let changes = crate::init::sync_sealed_chunks(dir).with_context(|| {
        format!(
            "the migration is created and the seal lists in {} are written, but the sealed chunks' packages \
             are not",
            schema_file::shown(&dir.join(seal::CHUNKS_DIR))
        )
    })?;
    let mut new_chunks: Vec<String> = crate::init::created_chunk_packages(&changes)
        .into_iter()
        .map(schema_file::shown)
        .collect();
    new_chunks.sort();
    if !new_chunks.is_empty() {
        outln!(
            "wrote the package of each new chunk ({}): the next build adds {} to Cargo.lock; commit the \
             lockfile with {}",
            new_chunks.join(", "),
            if new_chunks.len() == 1 { "it" } else { "them" },
            if new_chunks.len() == 1 { "it" } else { "them" },
        );
    }
    Ok(())
}

/// A runner built without `init` cannot write packages; the installed `migrate` can.
#[cfg(not(feature = "init"))]
fn write_chunk_packages(_dir: &std::path::Path) -> Result<()> {
    outln!(
        "note: run `migrate init` (the installed migrate) to write the packages of new sealed chunks: this \
         runner was built without it"
    );
    Ok(())
}
