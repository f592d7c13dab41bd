//! Operations are inert data: each struct records what a migration asked for, with `&mut self` option
//! setters, and its typed reverse ([`crate::reverse::Reverse`]). Rendering lives in [`crate::render`].

mod backfill;
mod cast;
mod column;
mod constraint;
mod data;
mod domain;
mod extension;
mod function;
mod grant;
mod index;
mod operator;
mod policy;
mod recipe;
mod restore;
mod role;
mod schema;
mod sequence;
mod sql;
mod table;
mod trigger;
mod types;
mod view;

pub use backfill::*;
pub use cast::*;
pub use column::*;
pub use constraint::*;
pub use data::*;
pub use domain::*;
pub use extension::*;
pub use function::*;
pub use grant::*;
pub use index::*;
pub use operator::*;
pub use policy::*;
pub use recipe::*;
pub use restore::*;
pub use role::*;
pub use schema::*;
pub use sequence::*;
pub use sql::*;
pub use table::*;
pub use trigger::*;
pub use types::*;
pub use view::*;
