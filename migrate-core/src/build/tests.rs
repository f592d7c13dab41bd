use super::*;

#[test]
fn detects_up_and_down() {
    let items = inspect("use x::*;\npub fn up(p: &mut B) {}\npub fn down(p: &mut B) {}").unwrap();
    assert!(items.up && items.down);
    assert!(inspect("pub fn up( {").is_none());
}

#[test]
fn anything_else_named_down_is_refused() {
    for (source, what) in [
        (
            "pub fn up(p: &mut B) {}\nfn down(p: &mut B) {}",
            "not `pub`",
        ),
        (
            "pub fn up(p: &mut B) {}\npub use crate::other::up as down;",
            "other::up as down",
        ),
        ("pub fn up(p: &mut B) {}\nuse other::{x, down};", "`use`"),
        ("pub fn up(p: &mut B) {}\npub fn down() {}", "0 parameters"),
        (
            "pub fn up(p: &mut B) {}\npub const down: u8 = 0;",
            "`const down`",
        ),
        ("pub fn up(p: &mut B) {}\nmod down {}", "`mod down`"),
    ] {
        let found = inspect(source).unwrap().bad_down;
        assert!(
            found.as_deref().is_some_and(|f| f.contains(what)),
            "{source:?}: {found:?}"
        );
    }
    assert!(
        inspect("pub fn up(p: &mut B) {}\npub fn down(p: &mut B) {}")
            .unwrap()
            .bad_down
            .is_none()
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("20260101000000_alias.rs"),
        "pub fn up(p: &mut B) {}\npub use self::up as down;",
    )
    .unwrap();
    let err = generate_registry(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("20260101000000_alias.rs") && err.contains("self::up as down"),
        "{err}"
    );
}

/// Repeatable migrations sit in the same folder: listed by name after their own modules,
/// never among the versioned ones; one with a `down`, a bad name or no `up` is refused, naming the file.
#[test]
fn repeatables_are_listed_by_name_apart_from_the_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("20260101000000_first.rs"), "pub fn up(p: &mut B) {}").unwrap();
    std::fs::write(d.join("repeatable_views.rs"), "pub fn up(p: &mut B) {}").unwrap();
    std::fs::write(d.join("repeatable_grants.rs"), "pub fn up(p: &mut B) {}").unwrap();
    let code = generate_registry(d).unwrap();
    assert!(
        code.contains("names: \"20260101000000_first\",\n"),
        "{code}"
    );
    assert!(code.contains("mod repeatable_grants;"), "{code}");
    let grants = code
        .find("name: \"repeatable_grants\"")
        .expect("grants listed");
    let views = code
        .find("name: \"repeatable_views\"")
        .expect("views listed");
    assert!(grants < views, "by name: {code}");
    assert!(code.contains("static REPEATABLE_LIST: [::migrate_core::Definition; 2]"));
    assert!(code.contains("repeatables: ::migrate_core::Migrations::new(&REPEATABLE_LIST)"));
    let files: Vec<String> = crate::scan(d)
        .unwrap()
        .into_iter()
        .map(|f| f.name.stem)
        .collect();
    assert_eq!(files, ["20260101000000_first"], "scan lists no repeatable");

    std::fs::write(
        d.join("repeatable_views.rs"),
        "pub fn up(p: &mut B) {}\npub fn down(p: &mut B) {}",
    )
    .unwrap();
    let err = generate_registry(d).unwrap_err().to_string();
    assert!(
        err.contains("repeatable_views.rs defines `down`") && err.contains("never reverted"),
        "{err}"
    );
    std::fs::write(d.join("repeatable_views.rs"), "fn up(p: &mut B) {}").unwrap();
    let err = generate_registry(d).unwrap_err().to_string();
    assert!(
        err.contains("repeatable_views.rs has no `pub fn up"),
        "{err}"
    );
    std::fs::remove_file(d.join("repeatable_views.rs")).unwrap();
    std::fs::write(d.join("repeatable_Views.rs"), "pub fn up(p: &mut B) {}").unwrap();
    let err = generate_registry(d).unwrap_err().to_string();
    assert!(
        err.contains("repeatable_Views.rs") && err.contains("not snake_case"),
        "{err}"
    );
}

/// A folder without repeatables still gets an (empty) list.
#[test]
fn a_folder_without_repeatables_gets_an_empty_list() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("20260101000000_first.rs"),
        "pub fn up(p: &mut B) {}",
    )
    .unwrap();
    let code = generate_registry(dir.path()).unwrap();
    assert!(
        code.contains("static REPEATABLE_LIST: [::migrate_core::Definition; 0] = [\n];"),
        "{code}"
    );
}

#[test]
fn registry_orders_files_and_rejects_missing_up() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("20260102000000_second.rs"),
        "pub fn up(p: &mut B) {}",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("20260101000000_first.rs"),
        "pub fn up(p: &mut B) {}\npub fn down(p: &mut B) {}",
    )
    .unwrap();
    std::fs::write(dir.path().join("README.md"), "notes").unwrap();
    let code = generate_registry(dir.path()).unwrap();
    assert!(
        code.contains("names: \"20260101000000_first20260102000000_second\",\n"),
        "{code}"
    );
    assert!(code.contains("name_ends: &[20,41,],\n"));
    assert!(code.contains(
        "0 => ::std::hint::black_box(::migrate_core::Code { up: m20260101000000_first::up, down: Some(m20260101000000_first::down),"
    ));
    assert!(code
        .contains("1 => ::std::hint::black_box(::migrate_core::Code { up: m20260102000000_second::up, down: None,"));
    assert!(code.contains("code: code_all,"));
    assert!(!code.contains("README"));

    std::fs::write(dir.path().join("20260103000000_third.rs"), "fn up() {}").unwrap();
    let err = generate_registry(dir.path()).unwrap_err();
    assert!(
        err.to_string()
            .contains("20260103000000_third.rs has no `pub fn up"),
        "{err}"
    );
}

/// The digest the build script writes into the registry is the checksum the runner would compute from
/// the source at run time (what databases already record must keep matching), including for CRLF line
/// endings, trailing whitespace and non-ASCII text; and a baseline is flagged as one.
#[test]
fn the_generated_checksum_is_the_one_computed_from_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let plain = "pub fn up(p: &mut B) {\r\n    p.sql(\"select 'é'\");  \r\n}\r\n";
    let baseline = format!(
        "{}\n    \"20260101000000_plain\",\n];\npub fn up(p: &mut B) {{}}\n",
        crate::squash::SQUASHED_CONST
    );
    std::fs::write(dir.path().join("20260101000000_plain.rs"), plain).unwrap();
    std::fs::write(dir.path().join("20260102000000_baseline.rs"), &baseline).unwrap();
    let code = generate_registry(dir.path()).unwrap();
    // The tables' rows are in timestamp order: `plain` is row 0, `baseline` row 1.
    let table = |field: &str| -> Vec<String> {
        let line = code
            .lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{field}: &[")))
            .unwrap();
        line.trim_end_matches("],")
            .split(',')
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.trim_start_matches("*b\"")
                    .trim_end_matches('"')
                    .replace("\\x", "")
            })
            .collect()
    };
    let generated = |name: &str| -> (String, bool) {
        let row = usize::from(name.ends_with("baseline"));
        (
            table("digests")[row].clone(),
            table("baselines")[row] == "true",
        )
    };
    assert_eq!(
        generated("20260101000000_plain"),
        (crate::migration::checksum(plain), false)
    );
    // The value itself (`sha256sum` of the normalised text), pinned: a change here would make every
    // recorded checksum look edited.
    assert_eq!(
        generated("20260101000000_plain").0,
        "f5db15d56cdef4c863662f587e4a6912420b8f6fe289753680b3560e46ba98f2"
    );
    assert_eq!(
        generated("20260102000000_baseline"),
        (crate::migration::checksum(&baseline), true)
    );
}

#[test]
fn the_parse_cache_gives_what_parsing_gives_and_forgets_removed_files() {
    let dir = tempfile::tempdir().unwrap();
    let cache_file = dir.path().join("cache.json");
    let migrations = dir.path().join("m");
    std::fs::create_dir(&migrations).unwrap();
    let first = migrations.join("20260101000000_first.rs");
    std::fs::write(&first, "pub fn up(p: &mut B) {}\npub fn down(p: &mut B) {}").unwrap();
    std::fs::write(
        migrations.join("20260102000000_second.rs"),
        "pub fn up(p: &mut B) {}",
    )
    .unwrap();
    let uncached = generate_registry(&migrations).unwrap();
    let mut cache = ParseCache::load(&cache_file);
    assert_eq!(
        generate_registry_with(&migrations, None, None, &mut cache).unwrap(),
        uncached
    );
    cache.save(&cache_file);
    let mut cache = ParseCache::load(&cache_file);
    assert_eq!(cache.known.len(), 2);
    assert_eq!(
        generate_registry_with(&migrations, None, None, &mut cache).unwrap(),
        uncached
    );

    // Edited: parsed again, so the new `down` (and an error) are seen.
    std::fs::write(&first, "pub fn up(p: &mut B) {}").unwrap();
    let code = generate_registry_with(&migrations, None, None, &mut cache).unwrap();
    assert!(
        code.contains("up: m20260101000000_first::up, down: None,")
            && !code.contains("Some(m20260101000000_first::down)"),
        "{code}"
    );
    std::fs::write(&first, "fn up(p: &mut B) {}").unwrap();
    let err = generate_registry_with(&migrations, None, None, &mut ParseCache::load(&cache_file))
        .unwrap_err();
    assert!(err.to_string().contains("has no `pub fn up"), "{err}");

    // Removed: its entry is not kept.
    std::fs::remove_file(&first).unwrap();
    let mut cache = ParseCache::load(&cache_file);
    generate_registry_with(&migrations, None, None, &mut cache).unwrap();
    cache.save(&cache_file);
    assert_eq!(ParseCache::load(&cache_file).known.len(), 1);
}

#[test]
fn a_seal_list_splits_the_folder_between_the_two_crates() {
    let dir = tempfile::tempdir().unwrap();
    for stem in ["20260101000000_a", "20260101000001_b", "20260101000002_c"] {
        std::fs::write(
            dir.path().join(format!("{stem}.rs")),
            "pub fn up(p: &mut B) {}",
        )
        .unwrap();
    }
    // `b` was merged from a branch after `a` and `c` were sealed.
    std::fs::write(
        dir.path().join(crate::seal::LIST_FILE),
        "# header\n20260101000000_a\n20260101000002_c\n",
    )
    .unwrap();
    let list = SealList::read(dir.path()).unwrap().unwrap();
    let digest = escaped(&list.digest());

    let owner = generate_registry_with(
        dir.path(),
        Some(&Sealed::Single(list.clone())),
        None,
        &mut ParseCache::default(),
    )
    .unwrap();
    assert!(owner.contains("mod m20260101000001_b;"), "{owner}");
    assert!(!owner.contains("mod m20260101000000_a;") && !owner.contains("mod m20260101000002_c;"));
    assert!(owner.contains(&format!(
        "::sealed_migrations::SEALED_DIGEST, b\"{digest}\""
    )));
    assert!(owner.contains(
        "::migrate_core::Migrations::compiled(&[&::sealed_migrations::TABLE, &UNSEALED], &HANDLES)"
    ));

    let sealed = generate_sealed_with(dir.path(), &list, &mut ParseCache::default()).unwrap();
    assert!(sealed.contains("mod m20260101000000_a;") && sealed.contains("mod m20260101000002_c;"));
    assert!(!sealed.contains("mod m20260101000001_b;"), "{sealed}");
    assert!(sealed.contains("pub static TABLE: ::migrate_core::Compiled"));
    assert!(
        sealed.contains("names: \"20260101000000_a20260101000002_c\""),
        "{sealed}"
    );
    assert!(sealed.contains(&format!(
        "pub const SEALED_DIGEST: ::migrate_core::seal::SealedDigest = *b\"{digest}\";"
    )));

    // Without the list argument (a fixture crate), every migration is compiled here.
    let whole = generate_registry(dir.path()).unwrap();
    assert!(whole.contains("mod m20260101000000_a;") && !whole.contains("sealed_migrations"));

    // A listed file that is gone is named.
    std::fs::remove_file(dir.path().join("20260101000002_c.rs")).unwrap();
    let err = generate_sealed_with(dir.path(), &list, &mut ParseCache::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("lists the migration 20260101000002_c"),
        "{err}"
    );
}

/// With chunks, the owning crate checks and merges every chunk's table; each chunk compiles its own list.
#[test]
fn chunk_lists_split_the_folder_between_the_chunks_and_the_owner() {
    let dir = tempfile::tempdir().unwrap();
    for stem in ["20260101000000_a", "20260101000001_b", "20260101000002_c"] {
        std::fs::write(
            dir.path().join(format!("{stem}.rs")),
            "pub fn up(p: &mut B) {}",
        )
        .unwrap();
    }
    std::fs::create_dir(dir.path().join(crate::seal::CHUNKS_DIR)).unwrap();
    let chunk_list = |index: u32, text: &str| {
        let path = crate::seal::chunk_list_path(dir.path(), index);
        std::fs::write(&path, text).unwrap();
        SealList::read_file(&path).unwrap().unwrap()
    };
    let first = chunk_list(0, "20260101000000_a\n");
    let second = chunk_list(1, "# header\n20260101000002_c\n");
    let sealed = Sealed::read(dir.path()).unwrap().unwrap();
    let owner = generate_registry_with(dir.path(), Some(&sealed), None, &mut ParseCache::default())
        .unwrap();
    assert!(owner.contains("mod m20260101000001_b;"), "{owner}");
    assert!(!owner.contains("mod m20260101000000_a;") && !owner.contains("mod m20260101000002_c;"));
    for (krate, list) in [("chunk_0000", &first), ("chunk_0001", &second)] {
        assert!(
            owner.contains(&format!(
                "::sealed_migrations::{krate}::SEALED_DIGEST, b\"{}\"",
                escaped(&list.digest())
            )),
            "{owner}"
        );
    }
    assert!(owner.contains(
        "::migrate_core::Migrations::compiled(&[&::sealed_migrations::chunk_0000::TABLE, &::sealed_migrations::chunk_0001::TABLE, &UNSEALED], &HANDLES)"
    ), "{owner}");
    let chunk = generate_sealed_with(dir.path(), &second, &mut ParseCache::default()).unwrap();
    assert!(chunk.contains("mod m20260101000002_c;") && !chunk.contains("mod m20260101000000_a;"));
    assert!(chunk.contains(&format!(
        "pub const SEALED_DIGEST: ::migrate_core::seal::SealedDigest = *b\"{}\";",
        escaped(&second.digest())
    )));

    // A listed file that is gone is named, with the chunk's list.
    std::fs::remove_file(dir.path().join("20260101000002_c.rs")).unwrap();
    let err = generate_sealed_with(dir.path(), &second, &mut ParseCache::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("sealed/0001.txt lists the migration 20260101000002_c"),
        "{err}"
    );
}

#[test]
fn duplicate_timestamps_fail() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("20260101000000_a.rs"), "pub fn up() {}").unwrap();
    std::fs::write(dir.path().join("20260101000000_b.rs"), "pub fn up() {}").unwrap();
    let err = generate_registry(dir.path()).unwrap_err().to_string();
    assert!(err.contains("share the timestamp 20260101000000"), "{err}");
}
