//! Sequences. Written by hand: sea-query has no sequence statements.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{quote_ident, quote_name};
use crate::name::{Ident, Name};
use crate::ops::*;
use crate::quote::literal;
use crate::render::*;
use crate::value::Change;

/// The integer types PostgreSQL accepts in `AS`, in the spellings it accepts.
const SEQUENCE_TYPES: &[&str] = &[
    "smallint", "integer", "bigint", "int", "int2", "int4", "int8",
];

/// The clauses shared by `CREATE SEQUENCE` and `ALTER SEQUENCE`, each with its leading space, in the order of
/// PostgreSQL's synopsis. `restart` is only given by `ALTER SEQUENCE`.
fn sequence_clauses(
    ctx: Ctx,
    sequence: &Name,
    o: &SequenceOptions,
    restart: Option<Restart>,
) -> Result<String, DslError> {
    let mut sql = String::new();
    if let Some(data_type) = &o.data_type {
        sql.push_str(&type_clause(ctx, data_type)?);
    }
    if let Some(step) = o.increment {
        if step == 0 {
            return Err(ctx.invalid("a sequence cannot increment by 0"));
        }
        sql.push_str(&format!(" INCREMENT BY {step}"));
    }
    check_bounds(ctx, o, restart)?;
    sql.push_str(&bound_clauses(o));
    if let Some(start) = o.start {
        sql.push_str(&format!(" START WITH {start}"));
    }
    match restart {
        Some(Restart::With(value)) => sql.push_str(&format!(" RESTART WITH {value}")),
        Some(Restart::AtStart) => sql.push_str(" RESTART"),
        None => {}
    }
    if let Some(cache) = o.cache {
        if cache < 1 {
            return Err(ctx.invalid(format!("CACHE ({cache}) must be at least 1")));
        }
        sql.push_str(&format!(" CACHE {cache}"));
    }
    match o.cycle {
        Some(true) => sql.push_str(" CYCLE"),
        Some(false) => sql.push_str(" NO CYCLE"),
        None => {}
    }
    sql.push_str(&owned_by_clause(ctx, sequence, &o.owned_by)?);
    Ok(sql)
}

/// ` AS type`, the type in lower case; only the integer types a sequence can have are accepted.
fn type_clause(ctx: Ctx, data_type: &str) -> Result<String, DslError> {
    let normalized = data_type.trim().to_ascii_lowercase();
    if !SEQUENCE_TYPES.contains(&normalized.as_str()) {
        return Err(ctx.invalid(format!(
            "a sequence's type is smallint, integer or bigint, not {data_type:?}"
        )));
    }
    Ok(format!(" AS {normalized}"))
}

/// The bounds given must hold together: MINVALUE below MAXVALUE, and the START and RESTART values within
/// those of them that are given.
fn check_bounds(ctx: Ctx, o: &SequenceOptions, restart: Option<Restart>) -> Result<(), DslError> {
    let min = o.minvalue.value().copied();
    let max = o.maxvalue.value().copied();
    if let (Some(min), Some(max)) = (min, max)
        && min >= max
    {
        return Err(ctx.invalid(format!(
            "MINVALUE ({min}) must be less than MAXVALUE ({max})"
        )));
    }
    for (value, what) in [
        (o.start, "START"),
        (
            restart.and_then(|r| match r {
                Restart::With(value) => Some(value),
                Restart::AtStart => None,
            }),
            "RESTART",
        ),
    ] {
        let Some(value) = value else { continue };
        if let Some(min) = min.filter(|min| value < *min) {
            return Err(ctx.invalid(format!("{what} value ({value}) is below MINVALUE ({min})")));
        }
        if let Some(max) = max.filter(|max| value > *max) {
            return Err(ctx.invalid(format!("{what} value ({value}) is above MAXVALUE ({max})")));
        }
    }
    Ok(())
}

/// ` MINVALUE n` or ` NO MINVALUE`, then the same for MAXVALUE, those given.
fn bound_clauses(o: &SequenceOptions) -> String {
    let mut sql = String::new();
    match o.minvalue {
        Change::Set(min) => sql.push_str(&format!(" MINVALUE {min}")),
        Change::Remove => sql.push_str(" NO MINVALUE"),
        Change::Keep => {}
    }
    match o.maxvalue {
        Change::Set(max) => sql.push_str(&format!(" MAXVALUE {max}")),
        Change::Remove => sql.push_str(" NO MAXVALUE"),
        Change::Keep => {}
    }
    sql
}

/// ` OWNED BY table.column` or ` OWNED BY NONE`, or nothing when not given. PostgreSQL requires the
/// owning table to be in the sequence's schema; where both names say their schema, that is checked here.
fn owned_by_clause(
    ctx: Ctx,
    sequence: &Name,
    owned_by: &Change<(Name, Ident)>,
) -> Result<String, DslError> {
    let sql = match owned_by {
        Change::Set((table, column)) => {
            ctx.name(table, "table")?;
            ctx.ident(column, "column")?;
            if let (Some(a), Some(b)) = (&sequence.schema, &table.schema)
                && a != b
            {
                return Err(ctx.invalid(format!(
                    "a sequence must be in the schema of the table that owns it ({:?}, not {:?})",
                    b.as_str(),
                    a.as_str()
                )));
            }
            format!(" OWNED BY {}.{}", quote_name(table), quote_ident(column))
        }
        Change::Remove => " OWNED BY NONE".to_owned(),
        Change::Keep => String::new(),
    };
    Ok(sql)
}

impl Render for CreateSequence {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "sequence")?;
        if self.temporary && self.name.schema.is_some() {
            return Err(ctx.invalid(
                "a temporary sequence lives in the session's temporary schema; do not schema-qualify it",
            ));
        }
        let clauses = sequence_clauses(ctx, &self.name, &self.options, None)?;
        let mut out = vec![format!(
            "CREATE {}SEQUENCE {}{}{clauses}",
            if self.temporary { "TEMPORARY " } else { "" },
            if self.if_not_exists {
                "IF NOT EXISTS "
            } else {
                ""
            },
            quote_name(&self.name)
        )];
        if let Some(text) = &self.comment {
            out.push(format!(
                "COMMENT ON SEQUENCE {} IS {}",
                quote_name(&self.name),
                literal(text)
            ));
        }
        Ok(out)
    }
}

impl Render for AlterSequence {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "sequence")?;
        let clauses = sequence_clauses(ctx, &self.name, &self.options, self.restart)?;
        if clauses.is_empty() {
            return Err(
                ctx.invalid("nothing to alter; chain `increment`, `minvalue`, `restart`, ...")
            );
        }
        Ok(vec![format!(
            "ALTER SEQUENCE {}{clauses}",
            quote_name(&self.name)
        )])
    }
}

impl Render for DropSequence {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "sequence")?;
        Ok(vec![format!(
            "DROP SEQUENCE {}{}{}",
            if self.if_exists { "IF EXISTS " } else { "" },
            quote_name(&self.name),
            if self.cascade { " CASCADE" } else { "" }
        )])
    }
}

impl Render for RenameSequence {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.from, "sequence")?;
        ctx.ident(&self.to, "sequence")?;
        // RENAME TO takes a bare name: the sequence stays in its schema.
        Ok(vec![format!(
            "ALTER SEQUENCE {} RENAME TO {}",
            quote_name(&self.from),
            quote_ident(&self.to)
        )])
    }
}
