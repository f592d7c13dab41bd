//! The guide's and README's examples, run as written.
//!
//! Each module is one file of `tests/tests` (kept there, so its snapshots stay in `tests/tests/snapshots`).

#[path = "../tests/cookbook.rs"]
mod cookbook;
#[path = "../tests/deploy_recipes.rs"]
mod deploy_recipes;
#[path = "../tests/docs.rs"]
mod docs;
#[path = "../tests/guide_blocks.rs"]
mod guide_blocks;
