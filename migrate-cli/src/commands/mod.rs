//! The commands only the front end runs: `init`, `import`, `completions` and `man`.

pub(crate) mod completions;
mod import;
mod init;

pub use import::import;
pub use init::init;
