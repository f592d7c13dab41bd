//! The code the build script generates, pinned: a change to what every user's runner compiles is a review
//! item. A folder of a migration with a `down`, one without, and a repeatable one; the
//! whole registry, and with a seal list the owning crate's part and the sealed crate's. The folder's path is
//! shown as `<dir>`.

use super::*;

fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).expect("write a migration");
    };
    write(
        "20260101000000_create_users.rs",
        "pub fn up(pgm: &mut MigrationBuilder) {}\npub fn down(pgm: &mut MigrationBuilder) {}\n",
    );
    write(
        "20260102000000_backfill_names.rs",
        "pub fn up(pgm: &mut MigrationBuilder) {}\n",
    );
    write(
        "repeatable_views.rs",
        "pub fn up(pgm: &mut MigrationBuilder) {}\n",
    );
    dir
}

fn shown(code: &str, dir: &Path) -> String {
    let dir = dir.canonicalize().expect("canonical");
    code.replace(&dir.display().to_string(), "<dir>")
}

#[test]
fn the_generated_registry() {
    let dir = folder();
    let code = generate_registry(dir.path()).expect("a registry");
    insta::assert_snapshot!(shown(&code, dir.path()));
}

#[test]
fn the_generated_registry_with_a_seal_list() {
    let dir = folder();
    let list = SealList {
        path: dir.path().join(crate::seal::LIST_FILE),
        names: vec!["20260101000000_create_users".to_owned()],
    };
    let owner = generate_registry_with(
        dir.path(),
        Some(&Sealed::Single(list.clone())),
        None,
        &mut ParseCache::default(),
    )
    .expect("the owner's part");
    let sealed = generate_sealed_with(dir.path(), &list, &mut ParseCache::default())
        .expect("the sealed part");
    insta::assert_snapshot!("owner", shown(&owner, dir.path()));
    insta::assert_snapshot!("sealed", shown(&sealed, dir.path()));
}

#[test]
fn the_generated_registry_with_chunks() {
    let dir = folder();
    let chunks = dir.path().join(crate::seal::CHUNKS_DIR);
    std::fs::create_dir(&chunks).expect("the chunks' folder");
    std::fs::write(chunks.join("0000.txt"), "20260101000000_create_users\n").expect("a list");
    std::fs::write(chunks.join("0001.txt"), "").expect("a list");
    let sealed = Sealed::read(dir.path()).expect("read").expect("sealing on");
    let owner = generate_registry_with(dir.path(), Some(&sealed), None, &mut ParseCache::default())
        .expect("the owner's part");
    let Sealed::Chunked(lists) = &sealed else {
        panic!("chunked")
    };
    let chunk = generate_sealed_with(dir.path(), &lists[0].list, &mut ParseCache::default())
        .expect("a chunk");
    insta::assert_snapshot!("chunked_owner", shown(&owner, dir.path()));
    insta::assert_snapshot!("chunk", shown(&chunk, dir.path()));
}
