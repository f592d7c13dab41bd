use super::*;
use crate::schema::Kind;

fn object(kind: Kind, name: &str, lines: &[&str]) -> SchemaObject {
    let mut o = SchemaObject::new(kind, name.to_owned());
    for line in lines {
        o.line(*line);
    }
    o
}

fn schema(objects: Vec<SchemaObject>) -> SchemaDescription {
    SchemaDescription::new(objects)
}

#[test]
fn each_object_that_differs_is_named_with_what_happened_to_it() {
    let posts = object(Kind::Table, "public.posts", &["column id bigint not null", "column title text"]);
    let expected = schema(vec![
        posts.clone(),
        object(Kind::Table, "public.tags", &["column id bigint"]),
    ]);
    let mut changed = posts;
    changed.line("CREATE INDEX posts_title ON public.posts USING btree (title)");
    let live = schema(vec![
        changed,
        object(Kind::Schema, "monitoring", &[]),
        object(Kind::Table, "monitoring.samples", &["column at timestamptz"]),
    ]);
    let drifts = compare(&expected, &live, &Ignore::default());
    let named: Vec<(&str, &str, &Change)> =
        drifts.iter().map(|d| (d.kind, d.name.as_str(), &d.change)).collect();
    assert_eq!(
        named,
        [
            ("table", "public.posts", &Change::Changed),
            ("table", "public.tags", &Change::Missing),
            ("schema", "monitoring", &Change::Added),
            ("table", "monitoring.samples", &Change::Added),
        ]
    );
    assert_eq!(
        drifts[0].lines,
        ["+   CREATE INDEX posts_title ON public.posts USING btree (title)"]
    );

    // Ignored by kind and name, `*` for any run of characters.
    let ignore = Ignore::new(["schema monitoring", "table monitoring.*"]);
    assert_eq!(compare(&expected, &live, &ignore).len(), 2);
    assert!(compare(&expected, &expected, &Ignore::default()).is_empty());
}

#[test]
fn patterns_match_the_whole_header() {
    assert!(glob("extension *", "extension pg_stat_statements"));
    assert!(glob("table monitoring.*", "table monitoring.samples"));
    assert!(!glob("table monitoring.*", "table public.monitoring"));
    assert!(glob("*.audit_*", "table public.audit_log"));
    assert!(!glob("table public.posts", "table public.posts_archive"));
    assert!(glob("*", "anything"));
}
