//! The Rust blocks of the README and the guide that no other test covers, compiled as migrations from the
//! Markdown by the build script (see the `guide` module of `tests/build.rs`): a block edited on its page is the
//! block tested.

use migrate_core::{Definition, Migration};

/// One ```rust block of a page.
#[derive(Debug)]
pub struct GuideBlock {
    /// The page, relative to the checkout (`README.md`, `docs/lint.md`).
    pub page: &'static str,
    /// The line of the block's opening fence.
    pub line: usize,
    /// The block as a migration: a whole file, or the body of its `up`.
    pub migration: Migration,
}

include!(concat!(env!("OUT_DIR"), "/guide.rs"));
