//! The constants a baseline's source carries, read without compiling it (the build script reads them too).

/// The constant a baseline lists the migrations it replaces in.
pub const SQUASHED_CONST: &str = "pub const SQUASHED: &[&str] = &[";

/// The names a baseline's source lists in its `SQUASHED` constant, or `None` when it is not a baseline.
///
/// ```
/// let source = "pub const SQUASHED: &[&str] = &[\n    \"20260101000000_a\",\n    \"20260102000000_b\",\n];\n";
/// assert_eq!(
///     migrate_core::squash::squashed_names(source).unwrap(),
///     ["20260101000000_a", "20260102000000_b"]
/// );
/// assert!(migrate_core::squash::squashed_names("pub fn up() {}").is_none());
/// ```
pub fn squashed_names(source: &str) -> Option<Vec<String>> {
    string_list(source, SQUASHED_CONST)
}

/// The constant a baseline lists the squashed files' checksums in, in the order of [`SQUASHED_CONST`].
pub const SQUASHED_CHECKSUMS_CONST: &str = "pub const SQUASHED_CHECKSUMS: &[&str] = &[";

/// The checksums a baseline's source lists in its `SQUASHED_CHECKSUMS` constant, in the order of its
/// `SQUASHED` names; `None` when it has none (a baseline written before the constant existed).
///
/// ```
/// let source = "pub const SQUASHED: &[&str] = &[\n    \"20260101000000_a\",\n];\n\
///               pub const SQUASHED_CHECKSUMS: &[&str] = &[\n    \"00ff\",\n];\n";
/// assert_eq!(migrate_core::squash::squashed_checksums(source).unwrap(), ["00ff"]);
/// let older = "pub const SQUASHED: &[&str] = &[\n    \"20260101000000_a\",\n];\n";
/// assert!(migrate_core::squash::squashed_checksums(older).is_none());
/// ```
pub fn squashed_checksums(source: &str) -> Option<Vec<String>> {
    string_list(source, SQUASHED_CHECKSUMS_CONST)
}

/// The string literals of the constant `source` opens with `opening` (up to its `];`), or `None` without it.
fn string_list(source: &str, opening: &str) -> Option<Vec<String>> {
    let start = source.find(opening)? + opening.len();
    let end = start + source[start..].find("];")?;
    Some(
        source[start..end]
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect(),
    )
}
