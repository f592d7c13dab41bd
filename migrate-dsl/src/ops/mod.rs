//! Operations are inert data: each struct records what a migration asked for, with `&mut self` option
//! setters, and its typed reverse ([`crate::reverse::Reverse`]). Rendering lives in [`crate::render`].

mod backfill;
mod column;
mod constraint;
mod data;
mod index;
mod recipe;
mod sql;
mod table;

pub use backfill::*;
pub use column::*;
pub use constraint::*;
pub use data::*;
pub use index::*;
pub use recipe::*;
pub use sql::*;
pub use table::*;
