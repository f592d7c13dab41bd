//! Operations are inert data: each struct records what a migration asked for. Rendering lives in
//! [`crate::render`] and reversal in [`crate::reverse`], so adding an option is one field, one setter with a
//! doctest, and one arm in each of those two files.

mod column;
mod constraint;
mod index;
mod sql;
mod table;

pub use column::*;
pub use constraint::*;
pub use index::*;
pub use sql::*;
pub use table::*;
