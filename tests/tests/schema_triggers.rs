//! Triggers and rules in the schema model: read once with their relation (a table, a partition, a view, a
//! foreign table, an extension's table), the description showing them as it always has and the SQL of
//! `squash` and scratch databases recreating what it recreates (a copy built from that SQL describes the
//! same). Names need quotes and a comment has a quote and a backslash, so the quoting of the renderers is
//! proved against the server's.

use super::{copy, ddl, describe, matching};
use tests::TestDb;

/// A trigger of each kind on a table (with `WHEN` and `UPDATE OF` columns and arguments; disabled, enabled
/// for replicas, enabled always; a constraint trigger), one on a partitioned table (which PostgreSQL copies
/// to its partitions), an `INSTEAD OF` trigger on a view, a rule on a table and one on a view.
const TRIGGERS: &str = "
    CREATE SCHEMA \"Shop's\";
    CREATE FUNCTION \"Shop's\".log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
    CREATE TABLE \"Shop's\".\"Items\" (id integer PRIMARY KEY, name text, \"Note\" text);
    CREATE TRIGGER \"Audit's\" BEFORE UPDATE OF name, \"Note\" ON \"Shop's\".\"Items\" FOR EACH ROW
      WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION \"Shop's\".log('it''s', 'two');
    COMMENT ON TRIGGER \"Audit's\" ON \"Shop's\".\"Items\" IS 'it''s a \\ trigger';
    CREATE TRIGGER quiet AFTER INSERT OR DELETE ON \"Shop's\".\"Items\" FOR EACH STATEMENT
      EXECUTE FUNCTION \"Shop's\".log();
    ALTER TABLE \"Shop's\".\"Items\" DISABLE TRIGGER quiet;
    CREATE TRIGGER replica AFTER TRUNCATE ON \"Shop's\".\"Items\" FOR EACH STATEMENT
      EXECUTE FUNCTION \"Shop's\".log();
    ALTER TABLE \"Shop's\".\"Items\" ENABLE REPLICA TRIGGER replica;
    CREATE TRIGGER always BEFORE INSERT ON \"Shop's\".\"Items\" FOR EACH ROW EXECUTE FUNCTION \"Shop's\".log();
    ALTER TABLE \"Shop's\".\"Items\" ENABLE ALWAYS TRIGGER always;
    CREATE CONSTRAINT TRIGGER \"Checked\" AFTER INSERT OR UPDATE ON \"Shop's\".\"Items\"
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION \"Shop's\".log();
    CREATE RULE \"Keep's\" AS ON DELETE TO \"Shop's\".\"Items\" DO INSTEAD NOTHING;
    CREATE TABLE \"Shop's\".events (at date NOT NULL, what text) PARTITION BY RANGE (at);
    CREATE TABLE \"Shop's\".events_2026 PARTITION OF \"Shop's\".events
      FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    CREATE TRIGGER \"Stamp\" BEFORE INSERT ON \"Shop's\".events FOR EACH ROW EXECUTE FUNCTION \"Shop's\".log();
    COMMENT ON TRIGGER \"Stamp\" ON \"Shop's\".events_2026 IS 'the partition''s copy';
    CREATE VIEW \"Shop's\".\"Named\" AS SELECT id, name FROM \"Shop's\".\"Items\";
    CREATE TRIGGER \"Instead\" INSTEAD OF INSERT ON \"Shop's\".\"Named\" FOR EACH ROW
      EXECUTE FUNCTION \"Shop's\".log();
    COMMENT ON TRIGGER \"Instead\" ON \"Shop's\".\"Named\" IS 'on the view';
    CREATE RULE \"No update\" AS ON UPDATE TO \"Shop's\".\"Named\" DO INSTEAD NOTHING;";

/// The description lists a relation's triggers and rules among its lines (sorted, a trigger's state after
/// its definition, a constraint trigger's constraint with the constraints) and their comments with the
/// comments; the SQL creates the triggers in creation order, each followed by its state when it is not
/// the default, then the rules, and comments on them with the other comments. A partition's copy of its
/// parent's trigger is described but not created (the parent's makes it); its comment is set.
#[test]
fn triggers_and_rules_are_described_and_recreated() {
    let source = TestDb::new();
    source.exec(TRIGGERS);
    let text = describe(&source);
    for expected in [
        "\ntable \"Shop's\".\"Items\"\n  column id integer not null\n  column name text\n  column \"Note\" text\n  \
         constraint \"Checked\" TRIGGER DEFERRABLE INITIALLY DEFERRED\n  \
         constraint \"Items_pkey\" PRIMARY KEY (id)\n  \
         CREATE UNIQUE INDEX \"Items_pkey\" ON \"Shop's\".\"Items\" USING btree (id)\n  \
         CREATE CONSTRAINT TRIGGER \"Checked\" AFTER INSERT OR UPDATE ON \"Shop's\".\"Items\" DEFERRABLE \
         INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION \"Shop's\".log()\n  \
         CREATE RULE \"Keep's\" AS\n        ON DELETE TO \"Shop's\".\"Items\" DO INSTEAD NOTHING;\n  \
         CREATE TRIGGER \"Audit's\" BEFORE UPDATE OF name, \"Note\" ON \"Shop's\".\"Items\" FOR EACH ROW \
         WHEN ((old.name IS DISTINCT FROM new.name)) EXECUTE FUNCTION \"Shop's\".log('it''s', 'two')\n  \
         CREATE TRIGGER always BEFORE INSERT ON \"Shop's\".\"Items\" FOR EACH ROW \
         EXECUTE FUNCTION \"Shop's\".log() (enabled always)\n  \
         CREATE TRIGGER quiet AFTER INSERT OR DELETE ON \"Shop's\".\"Items\" FOR EACH STATEMENT \
         EXECUTE FUNCTION \"Shop's\".log() (disabled)\n  \
         CREATE TRIGGER replica AFTER TRUNCATE ON \"Shop's\".\"Items\" FOR EACH STATEMENT \
         EXECUTE FUNCTION \"Shop's\".log() (enabled replica)\n  \
         comment on trigger \"Audit's\" \"it's a \\\\ trigger\"\n\n",
        "\n  column at date not null\n  column what text\n  \
         CREATE TRIGGER \"Stamp\" BEFORE INSERT ON \"Shop's\".events FOR EACH ROW \
         EXECUTE FUNCTION \"Shop's\".log()\n\n",
        "\n  column id integer\n  column name text\n  \
         CREATE RULE \"No update\" AS\n        ON UPDATE TO \"Shop's\".\"Named\" DO INSTEAD NOTHING;\n  \
         CREATE TRIGGER \"Instead\" INSTEAD OF INSERT ON \"Shop's\".\"Named\" FOR EACH ROW \
         EXECUTE FUNCTION \"Shop's\".log()\n  \
         comment on trigger \"Instead\" \"on the view\"\n",
    ] {
        assert!(text.contains(expected), "{expected}\nnot in\n{text}");
    }
    // The partition's copy of the parent's trigger: shown with its comment where the server does not mark
    // the copy internal (PostgreSQL 15 and later), not at all where it does.
    let partition = "\n  column at date not null\n  column what text\n  \
         CREATE TRIGGER \"Stamp\" BEFORE INSERT ON \"Shop's\".events_2026 FOR EACH ROW \
         EXECUTE FUNCTION \"Shop's\".log()\n  comment on trigger \"Stamp\" \"the partition's copy\"\n";
    if source.server_major() >= 15 {
        assert!(text.contains(partition), "{partition}\nnot in\n{text}");
    }
    let statements = ddl(&source);
    assert_eq!(
        matching(&statements, |s| s.contains(" TRIGGER ") || s.starts_with("CREATE RULE ")),
        [
            "CREATE TRIGGER \"Audit's\" BEFORE UPDATE OF name, \"Note\" ON \"Shop's\".\"Items\" FOR EACH ROW \
             WHEN ((old.name IS DISTINCT FROM new.name)) EXECUTE FUNCTION \"Shop's\".log('it''s', 'two')",
            "CREATE TRIGGER quiet AFTER INSERT OR DELETE ON \"Shop's\".\"Items\" FOR EACH STATEMENT \
             EXECUTE FUNCTION \"Shop's\".log()",
            "ALTER TABLE \"Shop's\".\"Items\" DISABLE TRIGGER quiet",
            "CREATE TRIGGER replica AFTER TRUNCATE ON \"Shop's\".\"Items\" FOR EACH STATEMENT \
             EXECUTE FUNCTION \"Shop's\".log()",
            "ALTER TABLE \"Shop's\".\"Items\" ENABLE REPLICA TRIGGER replica",
            "CREATE TRIGGER always BEFORE INSERT ON \"Shop's\".\"Items\" FOR EACH ROW \
             EXECUTE FUNCTION \"Shop's\".log()",
            "ALTER TABLE \"Shop's\".\"Items\" ENABLE ALWAYS TRIGGER always",
            "CREATE CONSTRAINT TRIGGER \"Checked\" AFTER INSERT OR UPDATE ON \"Shop's\".\"Items\" DEFERRABLE \
             INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION \"Shop's\".log()",
            "CREATE TRIGGER \"Stamp\" BEFORE INSERT ON \"Shop's\".events FOR EACH ROW \
             EXECUTE FUNCTION \"Shop's\".log()",
            "CREATE TRIGGER \"Instead\" INSTEAD OF INSERT ON \"Shop's\".\"Named\" FOR EACH ROW \
             EXECUTE FUNCTION \"Shop's\".log()",
            "CREATE RULE \"Keep's\" AS\n    ON DELETE TO \"Shop's\".\"Items\" DO INSTEAD NOTHING",
            "CREATE RULE \"No update\" AS\n    ON UPDATE TO \"Shop's\".\"Named\" DO INSTEAD NOTHING",
            "COMMENT ON TRIGGER \"Audit's\" ON \"Shop's\".\"Items\" IS E'it''s a \\\\ trigger'",
            "COMMENT ON TRIGGER \"Instead\" ON \"Shop's\".\"Named\" IS 'on the view'",
            "COMMENT ON TRIGGER \"Stamp\" ON \"Shop's\".events_2026 IS 'the partition''s copy'",
        ]
    );
    assert_eq!(text, describe(&copy(&statements)));
}

/// A foreign table's trigger is described; an extension's table's trigger and rule are not (the extension
/// stands for its members) but the SQL has always written them, with their state and comment; the
/// engine's bookkeeping tables' are left out of both.
#[test]
fn triggers_and_rules_of_foreign_extension_and_bookkeeping_tables() {
    let db = TestDb::new();
    db.exec(
        "CREATE SCHEMA \"Shop's\";
         CREATE FUNCTION \"Shop's\".log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
         CREATE FOREIGN DATA WRAPPER nowhere;
         CREATE SERVER far FOREIGN DATA WRAPPER nowhere;
         CREATE FOREIGN TABLE \"Shop's\".remote (id integer) SERVER far;
         CREATE TRIGGER \"Remote's\" AFTER INSERT ON \"Shop's\".remote FOR EACH ROW
           EXECUTE FUNCTION \"Shop's\".log();
         ALTER TABLE \"Shop's\".remote DISABLE TRIGGER \"Remote's\";
         COMMENT ON TRIGGER \"Remote's\" ON \"Shop's\".remote IS 'far away';
         CREATE EXTENSION citext;
         CREATE TABLE \"Shop's\".owned (id integer);
         ALTER EXTENSION citext ADD TABLE \"Shop's\".owned;
         CREATE TRIGGER owned_log AFTER DELETE ON \"Shop's\".owned FOR EACH ROW EXECUTE FUNCTION \"Shop's\".log();
         ALTER TABLE \"Shop's\".owned ENABLE ALWAYS TRIGGER owned_log;
         COMMENT ON TRIGGER owned_log ON \"Shop's\".owned IS 'the extension''s';
         CREATE RULE owned_keep AS ON DELETE TO \"Shop's\".owned DO INSTEAD NOTHING;
         CREATE TABLE public.pgmigrations (id serial PRIMARY KEY, name text);
         CREATE TRIGGER bookkeeping AFTER INSERT ON public.pgmigrations FOR EACH ROW
           EXECUTE FUNCTION \"Shop's\".log();
         COMMENT ON TRIGGER bookkeeping ON public.pgmigrations IS 'left out';
         CREATE RULE bookkeeping_keep AS ON DELETE TO public.pgmigrations DO INSTEAD NOTHING;",
    );
    let text = describe(&db);
    let remote = "\n  column id integer\n  \
        CREATE TRIGGER \"Remote's\" AFTER INSERT ON \"Shop's\".remote FOR EACH ROW \
        EXECUTE FUNCTION \"Shop's\".log() (disabled)\n  comment on trigger \"Remote's\" \"far away\"\n";
    assert!(text.contains(remote), "{remote}\nnot in\n{text}");
    for left_out in ["\"Shop's\".owned", "bookkeeping", "pgmigrations"] {
        assert!(!text.contains(left_out), "{left_out} in\n{text}");
    }
    let statements = ddl(&db);
    assert_eq!(
        matching(&statements, |s| s.contains(" TRIGGER ")
            || s.starts_with("CREATE RULE ")),
        [
            "CREATE TRIGGER \"Remote's\" AFTER INSERT ON \"Shop's\".remote FOR EACH ROW \
             EXECUTE FUNCTION \"Shop's\".log()",
            "ALTER TABLE \"Shop's\".remote DISABLE TRIGGER \"Remote's\"",
            "CREATE TRIGGER owned_log AFTER DELETE ON \"Shop's\".owned FOR EACH ROW \
             EXECUTE FUNCTION \"Shop's\".log()",
            "ALTER TABLE \"Shop's\".owned ENABLE ALWAYS TRIGGER owned_log",
            "CREATE RULE owned_keep AS\n    ON DELETE TO \"Shop's\".owned DO INSTEAD NOTHING",
            "COMMENT ON TRIGGER \"Remote's\" ON \"Shop's\".remote IS 'far away'",
            "COMMENT ON TRIGGER owned_log ON \"Shop's\".owned IS 'the extension''s'",
        ]
    );
}
