//! Operations are inert data: each struct records what a migration asked for, with `&mut self` option
//! setters, and its typed reverse ([`crate::reverse::Reverse`]). Rendering lives in [`crate::render`].

mod column;
mod constraint;
mod function;
mod index;
mod policy;
mod sql;
mod table;
mod trigger;
mod view;

pub use column::*;
pub use constraint::*;
pub use function::*;
pub use index::*;
pub use policy::*;
pub use sql::*;
pub use table::*;
pub use trigger::*;
pub use view::*;
