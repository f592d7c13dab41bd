//! The closed set of operations a migration can record.
//!
//! Adding an operation: its builder method (with a doctest), struct, constructor, setters and `impl Reverse` in
//! `ops/<kind>/mod.rs`, its `impl Render` in `ops/<kind>/render.rs`, its `impl ToRust` (the builder call that
//! records it, written back as Rust) in `ops/<kind>/rust.rs`, and one line in the list below;
//! docs/operations.md ("Adding an operation") walks through it, and docs/contributing.md ("Adding an operation or
//! an object kind") lists what else a new object kind reaches (the schema description, the test harness's
//! catalog readers, `tests/tests/schema_coverage.rs`).

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::*;
use crate::render::Render;
use crate::reverse::PART;
use crate::to_rust::ToRust;

/// How an operation is undone.
pub(crate) trait Reverse {
    /// The operations that undo this one, in execution order, or an [`DslError::Irreversible`] from
    /// [`Ctx::irreversible`] saying why there are none.
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError>;

    /// The operations that undo this one when only its first `done` rendered statements took effect (a
    /// migration outside a transaction, or in several, stopped between two of them), `0 < done < total`.
    /// The engine runs the statements of one operation that can share a transaction in one, so only an
    /// operation with its own commit points (a transaction break, a concurrent build, a backfill) can stop
    /// part-way; each of those says what undoes each of its parts. None by default.
    fn reverse_partial(&self, ctx: Ctx, done: usize) -> Result<Vec<Operation>, DslError> {
        let _ = done;
        Err(ctx.irreversible(PART))
    }
}

/// An operation struct that [`MigrationBuilder::record`](crate::MigrationBuilder) can push and hand back.
pub(crate) trait Recordable: Into<Operation> {
    /// The operation itself when `op` is of this kind.
    fn recorded_mut(op: &mut Operation) -> Option<&mut Self>;
}

macro_rules! operations {
    ($($variant:ident => $name:literal,)*) => {
        /// One recorded operation. The variant names mirror node-pg-migrate's `pgm.*` methods; [`name`](Self::name)
        /// gives the builder method in snake_case.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Operation {
            $(
                #[doc = concat!("Recorded by `pgm.", $name, "(..)`.")]
                $variant($variant),
            )*
        }

        impl Operation {
            /// Every operation's builder method, in the order of the list below.
            pub const NAMES: &'static [&'static str] = &[$($name,)*];

            /// The builder method that records this operation, as shown in errors and plans.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Operation::$variant(_) => $name,)*
                }
            }

            /// The Rust source of the builder call that records exactly this operation: what a generated
            /// migration file writes for it. Names are written as recorded (a bare string, or a
            /// `(schema, name)` tuple), string literals exactly (raw literals for multi-line bodies), and only
            /// the settings that differ from what the builder method records by itself. An operation or a
            /// setting that no builder call records is refused ([`DslError::NotWritable`]), never written as
            /// Rust that would record something else.
            ///
            /// ```
            /// use migrate_dsl::prelude::*;
            /// let mut pgm = MigrationBuilder::new();
            /// pgm.create_index(("app", "posts"), ["title"]).name("posts_title_idx").concurrently();
            /// pgm.create_function("touch", [] as [FunctionParam; 0], "BEGIN\n  NEW.at := now();\n  RETURN NEW;\nEND")
            ///     .returns("trigger");
            /// let written: Vec<String> = pgm.operations().iter().map(|op| op.to_rust().unwrap()).collect();
            /// assert_eq!(written, [
            ///     r#"pgm.create_index(("app", "posts"), ["title"]).name("posts_title_idx").concurrently();"#,
            ///     "pgm.create_function(\"touch\", [] as [FunctionParam; 0], r#\"BEGIN\n  NEW.at := now();\n  RETURN NEW;\nEND\"#).returns(\"trigger\");",
            /// ]);
            ///
            /// // Data code is a Rust function, whose source the operation does not hold.
            /// pgm.db("fill", |_| Ok(()));
            /// let refused = pgm.operations()[2].to_rust().unwrap_err();
            /// assert!(refused.to_string().contains("pgm.db(..)"));
            /// ```
            pub fn to_rust(&self) -> Result<String, DslError> {
                match self {
                    $(Operation::$variant(op) => ToRust::to_rust(op, $name),)*
                }
            }

            /// Whether PostgreSQL refuses to run this operation inside a transaction block.
            pub fn requires_no_transaction(&self) -> bool {
                match self {
                    $(Operation::$variant(op) => Render::outside_transaction(op),)*
                }
            }

            /// Whether rendered statement `index` of this operation starts a new transaction.
            pub(crate) fn starts_transaction(&self, index: usize) -> bool {
                match self {
                    $(Operation::$variant(op) => Render::starts_transaction(op, index),)*
                }
            }

            /// What the engine checks or records around rendered statement `index` of this operation.
            pub(crate) fn safeguard(&self, index: usize) -> Option<crate::safeguard::Safeguard> {
                match self {
                    $(Operation::$variant(op) => Render::safeguard(op, index),)*
                }
            }

            /// The SQL statements of the operation recorded at 1-based `position`.
            pub(crate) fn render(&self, position: usize) -> Result<Vec<String>, DslError> {
                let ctx = Ctx { op: self.name(), position };
                match self {
                    $(Operation::$variant(op) => Render::render(op, ctx),)*
                }
            }

            /// The PostgreSQL features this operation uses that not every supported major has: each with
            /// the first major that has it.
            pub(crate) fn needs_server(&self) -> Vec<crate::render::Needs> {
                match self {
                    $(Operation::$variant(op) => Render::needs_server(op),)*
                }
            }

            /// The operations that undo the one recorded at 1-based `position`, after the migration's
            /// operations `earlier` (a backfill's reverse depends on them).
            pub(crate) fn reverse(
                &self,
                position: usize,
                earlier: &[Operation],
            ) -> Result<Vec<Operation>, DslError> {
                let ctx = Ctx { op: self.name(), position };
                if let Operation::Backfill(op) = self {
                    return op.reverse_after(ctx, earlier);
                }
                match self {
                    $(Operation::$variant(op) => Reverse::reverse(op, ctx),)*
                }
            }

            /// The operations that undo the one recorded at 1-based `position` when only the first `done`
            /// of its `total` rendered statements took effect: nothing for none, its reverse for all.
            pub(crate) fn reverse_part(
                &self,
                position: usize,
                earlier: &[Operation],
                done: usize,
                total: usize,
            ) -> Result<Vec<Operation>, DslError> {
                if done == 0 {
                    return Ok(Vec::new());
                }
                if done >= total {
                    return self.reverse(position, earlier);
                }
                let ctx = Ctx { op: self.name(), position };
                match self {
                    $(Operation::$variant(op) => Reverse::reverse_partial(op, ctx, done),)*
                }
            }
        }

        $(
            impl From<$variant> for Operation {
                fn from(op: $variant) -> Self {
                    Operation::$variant(op)
                }
            }

            impl Recordable for $variant {
                fn recorded_mut(op: &mut Operation) -> Option<&mut Self> {
                    match op {
                        Operation::$variant(op) => Some(op),
                        _ => None,
                    }
                }
            }
        )*
    };
}

operations! {
    // Raw SQL and markers
    Sql => "sql",
    Irreversible => "irreversible",
    Db => "db",
    Backfill => "backfill",
    DropKeptValues => "drop_kept_values",
    RequireBackgroundJobs => "require_background_jobs",
    Precondition => "precondition",
    // Only in derived downs: puts back what a `CREATE OR REPLACE` replaced
    RestorePrevious => "restore_previous",
    // Version-gated operations, and the comments of their resolved form
    SincePg => "since_pg",
    SincePgNote => "since_pg_note",
    // Safe recipes
    SetNotNull => "set_not_null",
    // Online changes: an expand and a contract, each undone by its own phase
    RenameColumnOnline => "rename_column_online",
    ChangeColumnTypeOnline => "change_column_type_online",
    AddConstraintOnline => "add_constraint_online",
    WidenKeyOnline => "widen_key_online",
    // Only in derived downs: the reverse of `add_constraint_online(..).per_partition()`
    DropPartitionConstraint => "drop_partition_constraint",
    // Tables
    CreateTable => "create_table",
    DropTable => "drop_table",
    RenameTable => "rename_table",
    AlterTable => "alter_table",
    AttachPartition => "attach_partition",
    DetachPartition => "detach_partition",
    // Columns
    AddColumns => "add_columns",
    DropColumns => "drop_columns",
    RenameColumn => "rename_column",
    AlterColumn => "alter_column",
    // Indexes
    CreateIndex => "create_index",
    DropIndex => "drop_index",
    RenameIndex => "rename_index",
    // Constraints
    AddConstraint => "add_constraint",
    DropConstraint => "drop_constraint",
    ValidateConstraint => "validate_constraint",
    RenameConstraint => "rename_constraint",
    // Functions
    CreateFunction => "create_function",
    DropFunction => "drop_function",
    RenameFunction => "rename_function",
    // Triggers
    CreateTrigger => "create_trigger",
    DropTrigger => "drop_trigger",
    RenameTrigger => "rename_trigger",
    // Views
    CreateView => "create_view",
    DropView => "drop_view",
    AlterView => "alter_view",
    AlterViewColumn => "alter_view_column",
    RenameView => "rename_view",
    // Materialized views
    CreateMaterializedView => "create_materialized_view",
    DropMaterializedView => "drop_materialized_view",
    AlterMaterializedView => "alter_materialized_view",
    RenameMaterializedView => "rename_materialized_view",
    RenameMaterializedViewColumn => "rename_materialized_view_column",
    RefreshMaterializedView => "refresh_materialized_view",
    // Policies
    CreatePolicy => "create_policy",
    AlterPolicy => "alter_policy",
    DropPolicy => "drop_policy",
    RenamePolicy => "rename_policy",
    // Types (enum and composite)
    CreateType => "create_type",
    DropType => "drop_type",
    RenameType => "rename_type",
    AddTypeAttribute => "add_type_attribute",
    DropTypeAttribute => "drop_type_attribute",
    RenameTypeAttribute => "rename_type_attribute",
    SetTypeAttribute => "set_type_attribute",
    AddTypeValue => "add_type_value",
    RenameTypeValue => "rename_type_value",
    // Schemas
    CreateSchema => "create_schema",
    DropSchema => "drop_schema",
    RenameSchema => "rename_schema",
    // Sequences
    CreateSequence => "create_sequence",
    AlterSequence => "alter_sequence",
    DropSequence => "drop_sequence",
    RenameSequence => "rename_sequence",
    // Extensions
    CreateExtension => "create_extension",
    DropExtension => "drop_extension",
    // Domains
    CreateDomain => "create_domain",
    AlterDomain => "alter_domain",
    DropDomain => "drop_domain",
    RenameDomain => "rename_domain",
    // Roles
    CreateRole => "create_role",
    AlterRole => "alter_role",
    DropRole => "drop_role",
    RenameRole => "rename_role",
    // Grants
    GrantRoles => "grant_roles",
    RevokeRoles => "revoke_roles",
    GrantOnSchemas => "grant_on_schemas",
    RevokeOnSchemas => "revoke_on_schemas",
    GrantOnTables => "grant_on_tables",
    RevokeOnTables => "revoke_on_tables",
    // Casts
    CreateCast => "create_cast",
    DropCast => "drop_cast",
    // Operators, operator families and classes
    CreateOperator => "create_operator",
    DropOperator => "drop_operator",
    CreateOperatorFamily => "create_operator_family",
    DropOperatorFamily => "drop_operator_family",
    RenameOperatorFamily => "rename_operator_family",
    AddToOperatorFamily => "add_to_operator_family",
    RemoveFromOperatorFamily => "remove_from_operator_family",
    CreateOperatorClass => "create_operator_class",
    DropOperatorClass => "drop_operator_class",
    RenameOperatorClass => "rename_operator_class",
}

impl Operation {
    /// The indexes and constraints this operation creates, by name: for naming the migration that owns an
    /// object the engine finds in the way. Raw SQL and operations creating other kinds of objects give none.
    pub fn creates(&self) -> Vec<crate::safeguard::Object> {
        let ctx = Ctx {
            op: self.name(),
            position: 0,
        };
        match self {
            Operation::CreateIndex(o) => o.creates(),
            Operation::AddConstraint(o) => o.creates(ctx),
            Operation::AddConstraintOnline(o) => o.creates(ctx),
            Operation::CreateTable(o) => o.creates(ctx),
            _ => Vec::new(),
        }
    }
}
