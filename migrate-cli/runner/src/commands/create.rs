//! `create`: writes a new migration file (or, with `--repeatable`, a repeatable one), and seals older migrations
//! when enough have piled up; needs neither the compiled migrations nor a database.

use crate::stdio::outln;

use anyhow::Result;
use migrate_core::seal::{self, SealOutcome};

use crate::schema_file;
use crate::settings::Settings;

/// What `create` leaves to its caller.
#[must_use = "the packages of new sealed chunks are the caller's to write"]
pub struct Created {
    /// The seal opened chunks whose packages are not written: the installed `migrate` writes them (it edits
    /// manifests, `migrate_cli`'s `init` module); a runner says how ([`Created::note_unwritten_chunks`]).
    pub chunk_packages: bool,
}

impl Created {
    /// What a runner, which does not write packages, says instead of writing them.
    pub fn note_unwritten_chunks(&self) {
        if self.chunk_packages {
            outln!(
                "note: run `migrate init` (the installed migrate) to write the packages of new sealed chunks: \
                 this runner was built without it"
            );
        }
    }
}

/// Writes the new migration and seals older ones; the caller writes the packages of chunks the seal opened.
pub fn create(settings: &Settings, words: &[String], repeatable: bool) -> Result<Created> {
    let now = chrono::Utc::now().naive_utc();
    let dir = &settings.migrations_dir;
    if repeatable {
        let path = migrate_core::create_repeatable(dir, &words.join(" "))?;
        outln!("created {}", schema_file::shown(&path));
        return Ok(Created {
            chunk_packages: false,
        });
    }
    let path = migrate_core::create_migration(dir, &words.join(" "), now)?;
    outln!("created {}", schema_file::shown(&path));
    let outcome = seal::seal_older(dir, &migrate_core::scan(dir)?)?;
    if outcome.sealed > 0 {
        report_seal(dir, &outcome);
    } else if let Some(ahead) = outcome.ahead {
        outln!(
            "opened sealed chunk {ahead:04} ({}) ahead, empty: the next seal would not fit in the last chunk, \
             and this build compiles no chunk, so the new package's build script is compiled now",
            schema_file::shown(&seal::chunk_list_path(dir, ahead))
        );
    }
    Ok(Created {
        chunk_packages: outcome.sealed > 0 || outcome.ahead.is_some(),
    })
}

/// Says what the seal did; the packages of the chunks it opened (or of all of them, when it moved the first
/// layout's list into chunks) are written after.
fn report_seal(dir: &std::path::Path, outcome: &SealOutcome) {
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
}
