//! A key's widening written back as Rust ([`ToRust`]).

use super::{WidenKeyOnline, WidenPhase};
use crate::error::DslError;
use crate::to_rust::{duration, ident, lit, name, refuse, Chain, ToRust};

impl ToRust for WidenKeyOnline {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let mut w = Chain::pgm(
            op,
            &[name(&self.table), ident(&self.column), lit(&self.new_type)],
        );
        match self.phase {
            WidenPhase::Expand => {}
            WidenPhase::Switch => {
                w.set("switch", &[]);
            }
            WidenPhase::Contract => {
                w.set("contract", &[]);
            }
            WidenPhase::UndoExpand | WidenPhase::UndoSwitch => {
                return Err(refuse(
                    op,
                    "the undo of a phase (only a derived `down` holds it)",
                ))
            }
        }
        w.some(self.batch_size, "batch_size", |rows| rows.to_string());
        if !self.pause.is_zero() {
            w.set("pause", &[duration(self.pause)]);
        }
        if self.background {
            w.set("in_background", &[]);
        }
        Ok(w.statement())
    }
}
