//! Operations are inert data: each struct records what a migration asked for, with `&mut self` option
//! setters, and its typed reverse ([`crate::reverse::Reverse`]). Rendering lives in [`crate::render`].

mod column;
mod constraint;
mod domain;
mod extension;
mod index;
mod schema;
mod sequence;
mod sql;
mod table;
mod types;

pub use column::*;
pub use constraint::*;
pub use domain::*;
pub use extension::*;
pub use index::*;
pub use schema::*;
pub use sequence::*;
pub use sql::*;
pub use table::*;
pub use types::*;
