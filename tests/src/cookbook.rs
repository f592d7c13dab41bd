//! The recipes of `docs/cookbook.md`, compiled as migrations from the Markdown by the build script (see the
//! `cookbook` module of `tests/build.rs`): a recipe edited in the cookbook is the recipe tested.

use migrate_core::{Definition, Migration};

/// One recipe block of the cookbook.
#[derive(Debug)]
pub struct Recipe {
    /// The name in its `<!-- recipe: NAME (N migrations) -->` marker.
    pub name: &'static str,
    /// The marker's line in `docs/cookbook.md`.
    pub line: usize,
    /// How many migrations the marker says the block holds.
    pub declared: usize,
    /// The block's migrations, in order.
    pub migrations: &'static [Migration],
}

include!(concat!(env!("OUT_DIR"), "/cookbook.rs"));
