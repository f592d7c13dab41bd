//! Version gates: what a migration records depends on the PostgreSQL major of the server it runs
//! on, decided when it runs, never when it is written.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::operation::Operation;
use crate::operation::Reverse;

mod render;
mod rust;

/// The oldest PostgreSQL major this project supports and tests. A [`since_pg`](MigrationBuilder::since_pg)
/// gate at this major or below is taken by every supported server, so its `otherwise` never runs: `sql` shows
/// that branch as comment lines and says why, and `lint` notes the gate.
pub const OLDEST_SUPPORTED_MAJOR: u32 = 13;

impl MigrationBuilder {
    /// Records operations for servers of PostgreSQL `major` or newer; chain
    /// [`otherwise`](SincePg::otherwise) for older servers (without it, nothing runs there). The engine takes
    /// the branch of the connected server's major when the migration runs; `sql NAME` (no database) shows
    /// both branches, each under a comment header, and a plan for a server shows both and says which runs. A
    /// derived `down` reverses each branch and takes the branch of the server it runs on.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.since_pg(15, |pgm| {
    ///     pgm.create_view("my_posts", "SELECT * FROM posts").option("security_invoker", true);
    /// })
    /// .otherwise(|pgm| {
    ///     pgm.create_view("my_posts", "SELECT * FROM posts WHERE author = current_user");
    /// });
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     "-- since_pg(15): on PostgreSQL 15 or newer:",
    ///     r#"CREATE VIEW "my_posts" WITH (security_invoker = true) AS SELECT * FROM posts"#,
    ///     "-- since_pg(15) otherwise: on PostgreSQL older than 15:",
    ///     r#"CREATE VIEW "my_posts" AS SELECT * FROM posts WHERE author = current_user"#,
    ///     "-- since_pg(15): end",
    /// ]);
    /// // Run against a PostgreSQL 16 server: the first branch.
    /// assert_eq!(pgm.for_server(16).unwrap().to_sql().unwrap()[1],
    ///     r#"CREATE VIEW "my_posts" WITH (security_invoker = true) AS SELECT * FROM posts"#);
    /// // The derived down of each branch.
    /// assert_eq!(pgm.reversed().unwrap().for_server(13).unwrap().to_sql().unwrap()[2],
    ///     r#"DROP VIEW "my_posts""#);
    /// ```
    #[track_caller]
    pub fn since_pg(
        &mut self,
        major: u32,
        record: impl FnOnce(&mut MigrationBuilder),
    ) -> &mut SincePg {
        let mut then = MigrationBuilder::new();
        record(&mut then);
        self.record(SincePg::new(major, then))
    }
}

/// Recorded by [`MigrationBuilder::since_pg`]: operations for servers of major `major` or newer, and
/// (with [`otherwise`](Self::otherwise)) operations for older ones. The engine picks the branch when the
/// migration runs, from the connected server; `sql` without a database shows both.
#[derive(Debug, Clone, PartialEq)]
pub struct SincePg {
    major: u32,
    then: MigrationBuilder,
    otherwise: MigrationBuilder,
}

impl SincePg {
    pub(crate) fn new(major: u32, then: MigrationBuilder) -> Self {
        SincePg {
            major,
            then,
            otherwise: MigrationBuilder::new(),
        }
    }

    /// The operations run on servers older than the `since_pg` major. Without it, nothing runs there.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.since_pg(15, |pgm| {
    ///     pgm.create_index("users", ["email"]).unique().nulls_not_distinct();
    /// })
    /// .otherwise(|pgm| {
    ///     pgm.create_index("users", [IndexColumn::expression("coalesce(email, '')")])
    ///         .name("users_email_unique_index")
    ///         .unique();
    /// });
    /// // On a PostgreSQL 13 server the second branch runs; the first is shown as a comment.
    /// assert_eq!(pgm.for_server(13).unwrap().to_sql().unwrap(), [
    ///     "-- since_pg(15): on PostgreSQL 15 or newer; not run, the server is PostgreSQL 13:\n\
    ///      --   CREATE UNIQUE INDEX \"users_email_unique_index\" ON \"users\" (\"email\") NULLS NOT DISTINCT",
    ///     "-- since_pg(15) otherwise: on PostgreSQL older than 15; runs, the server is PostgreSQL 13:",
    ///     r#"CREATE UNIQUE INDEX "users_email_unique_index" ON "users" ((coalesce(email, '')))"#,
    ///     "-- since_pg(15): end",
    /// ]);
    /// ```
    pub fn otherwise(&mut self, record: impl FnOnce(&mut MigrationBuilder)) -> &mut Self {
        let mut otherwise = MigrationBuilder::new();
        record(&mut otherwise);
        self.otherwise = otherwise;
        self
    }

    /// The branch that runs on a server of major `server`.
    pub(crate) fn major(&self) -> u32 {
        self.major
    }

    /// The operations for servers of [`major`](Self::major) or newer.
    pub(crate) fn then_branch(&self) -> &MigrationBuilder {
        &self.then
    }

    /// The operations for older servers.
    pub(crate) fn otherwise_branch(&self) -> &MigrationBuilder {
        &self.otherwise
    }

    pub(crate) fn branch(&self, server: u32) -> &MigrationBuilder {
        if server >= self.major {
            &self.then
        } else {
            &self.otherwise
        }
    }
}

impl Reverse for SincePg {
    /// Each branch reversed on its own, under the same gate: the `down` takes the branch of the server it
    /// runs on, which is the branch the `up` took unless the server was upgraded in between.
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        let wrap = |branch: &'static str| {
            move |source: DslError| DslError::InSincePg {
                position: ctx.position,
                major: self.major,
                branch,
                source: Box::new(source),
            }
        };
        let then = self.then.reversed().map_err(wrap("first"))?;
        let otherwise = self.otherwise.reversed().map_err(wrap("`otherwise`"))?;
        // What a `CREATE OR REPLACE` replaced is recorded under its position in the migration as it ran
        // (branches flattened), which a branch's own reverse does not know: refuse rather than restore the
        // wrong record or none.
        let restores = |pgm: &MigrationBuilder| {
            pgm.operations()
                .iter()
                .any(|op| matches!(op, Operation::RestorePrevious(_)))
        };
        if restores(&then) || restores(&otherwise) {
            return Err(ctx.irreversible(
                "a `CREATE OR REPLACE` inside since_pg has no derived reverse (what it replaced is recorded \
                 by its position in the migration as it ran)",
            ));
        }
        Ok(vec![Operation::SincePg(SincePg {
            major: self.major,
            then,
            otherwise,
        })])
    }
}

/// A comment line of a resolved [`SincePg`]: which branch is which and which one runs. Only in the
/// operations of a migration resolved for a server (or for display); the engine runs nothing for it.
#[derive(Debug, Clone, PartialEq)]
pub struct SincePgNote {
    text: String,
}

impl SincePgNote {
    pub(crate) fn new(text: String) -> Self {
        SincePgNote { text }
    }
}

impl Reverse for SincePgNote {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("a since_pg note is only a comment of a resolved migration"))
    }
}
