//! Every operation, one folder per object kind: `ops/<kind>/mod.rs` holds the builder methods that record
//! the kind's operations, the operation structs (inert data) with their constructors, option setters and
//! doctests, and their typed reverse ([`crate::operation::Reverse`]); `ops/<kind>/render.rs` turns them into SQL
//! ([`crate::render::Render`]). [`crate::operation`] lists them all. docs/operations.md says how to add one.

mod backfill;
mod cast;
mod column;
pub(crate) mod constraint;
mod data;
mod domain;
mod extension;
mod function;
mod grant;
mod index;
mod jobs;
mod materialized_view;
mod online;
mod operator;
mod policy;
mod precondition;
mod recipe;
mod restore;
mod role;
mod schema;
mod sequence;
mod sql;
mod table;
mod trigger;
mod types;
mod version;
mod view;
mod widen_key;

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
pub use jobs::*;
pub use materialized_view::*;
pub use online::*;
pub use operator::*;
pub use policy::*;
pub use precondition::*;
pub use recipe::*;
pub use restore::*;
pub use role::*;
pub use schema::*;
pub use sequence::*;
pub use sql::*;
pub use table::*;
pub use trigger::*;
pub use types::*;
pub use version::*;
pub use view::*;
pub use widen_key::*;
