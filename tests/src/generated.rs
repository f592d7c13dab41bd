//! Generated migrations for squashing at scale (`tests/tests/squash.rs` and the `squash` benchmark): a cycle
//! of five that creates a table, then adds a column, an index, a view and a check constraint to it, with a
//! function and a trigger on every 50th table, and a dropped column on every table.

/// The SQL of generated migration `i`.
pub fn migration_sql(i: usize) -> String {
    let k = i / 5;
    match i % 5 {
        0 if k == 0 => format!(
            "CREATE TABLE t{k} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label text NOT NULL)"
        ),
        0 => format!(
            "CREATE TABLE t{k} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label text NOT NULL, \
             parent_id bigint REFERENCES t{} ON DELETE CASCADE)",
            k - 1
        ),
        1 => format!(
            "ALTER TABLE t{k} ADD COLUMN score integer NOT NULL DEFAULT 0, ADD COLUMN gone integer; \
             ALTER TABLE t{k} DROP COLUMN gone"
        ),
        2 => format!("CREATE INDEX t{k}_label_index ON t{k} (lower(label))"),
        3 if k.is_multiple_of(50) => format!(
            "CREATE VIEW v{k} AS SELECT id, label FROM t{k} WHERE score > 0; \
             CREATE FUNCTION f{k}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.score := NEW.score + 1; RETURN NEW; END $$; \
             CREATE TRIGGER t{k}_bump BEFORE UPDATE ON t{k} FOR EACH ROW EXECUTE FUNCTION f{k}()"
        ),
        3 => format!("CREATE VIEW v{k} AS SELECT id, label FROM t{k} WHERE score > 0"),
        _ => format!(
            "ALTER TABLE t{k} ADD CONSTRAINT t{k}_score_check CHECK (score >= 0); \
             COMMENT ON TABLE t{k} IS 'generated table {k}'"
        ),
    }
}

/// The file name and source of generated migration `i`, with timestamp `version`, as `pgm.sql(..)`.
pub fn migration_file(i: usize, version: &str) -> (String, String) {
    (
        format!("{version}_generated_{i}.rs"),
        format!(
            "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {{\n    pgm.sql(r#\"{}\"#);\n}}\n",
            migration_sql(i)
        ),
    )
}
