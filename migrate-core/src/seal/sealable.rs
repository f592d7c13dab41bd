//! Which migrations can be sealed: those whose code names nothing but `std`, `migrate_dsl` and `migrate_core`,
//! since a sealed chunk's crate depends on those two only.

/// Whether a migration can be compiled in the sealed crate, which depends on `migrate-core` and `migrate-dsl`
/// only: every path in its code (comments and string literals aside, so SQL casts such as `now()::date` do not
/// count) starts with one of those, `std` (`core`, `alloc`), `self`, a tool attribute (`clippy::`), a
/// primitive type or a capitalised name (a type or enum the prelude brings in). `crate::`, `super::` and any
/// other crate's name make it unsealable; when in doubt the file stays unsealed, which always compiles.
pub fn sealable(source: &str) -> bool {
    const ROOTS: &[&str] = &[
        "std",
        "core",
        "alloc",
        "self",
        "migrate_dsl",
        "migrate_core",
        "clippy",
        "rustfmt",
        "bool",
        "char",
        "str",
        "i8",
        "i16",
        "i32",
        "i64",
        "i128",
        "isize",
        "u8",
        "u16",
        "u32",
        "u64",
        "u128",
        "usize",
        "f32",
        "f64",
    ];
    let code = code_only(source);
    let bytes = code.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut at = 0;
    while let Some(found) = code[at..].find("::") {
        let colons = at + found;
        at = colons + 2;
        let mut start = colons;
        while start > 0 && ident(bytes[start - 1]) {
            start -= 1;
        }
        let root = if start == colons {
            // A leading `::` (`::serde_json::json!`): the root is the segment after it.
            let mut end = at;
            while end < bytes.len() && ident(bytes[end]) {
                end += 1;
            }
            &code[at..end]
        } else if start > 0 && bytes[start - 1] == b':' {
            // A later segment of a path whose root was checked already.
            continue;
        } else {
            &code[start..colons]
        };
        let capitalised = root.bytes().next().is_some_and(|b| b.is_ascii_uppercase());
        if !capitalised && !ROOTS.contains(&root) {
            return false;
        }
    }
    true
}

/// `source` with comments and string and character literals replaced by spaces.
fn code_only(source: &str) -> String {
    let bytes = source.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        out.extend(std::iter::repeat_n(b' ', to - from));
    };
    while i < bytes.len() {
        let rest = &bytes[i..];
        let end = if rest.starts_with(b"//") {
            rest.iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |n| i + n)
        } else if rest.starts_with(b"/*") {
            // Block comments nest.
            let (mut depth, mut j) = (0usize, i);
            while j < bytes.len() {
                if bytes[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if bytes[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            j
        } else if let Some((opening, hashes)) = raw_string_start(rest) {
            // r"..." or r#"..."#: ends at a quote followed by as many hashes.
            let body = i + opening;
            let closing: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            bytes[body..]
                .windows(closing.len())
                .position(|w| w == closing.as_slice())
                .map_or(bytes.len(), |n| body + n + closing.len())
        } else if rest[0] == b'"' || (rest[0] == b'b' && rest.get(1) == Some(&b'"')) {
            let mut j = i + if rest[0] == b'b' { 2 } else { 1 };
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            (j + 1).min(bytes.len())
        } else if rest[0] == b'\'' && is_char_literal(rest) {
            i + 1
                + rest[1..]
                    .iter()
                    .skip(1)
                    .position(|&b| b == b'\'')
                    .map_or(0, |n| n + 2)
        } else {
            out.push(bytes[i]);
            i += 1;
            continue;
        };
        blank(&mut out, i, end);
        i = end;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// For a raw string starting at `rest` (`r"`, `r#"`, `br"`, ...): the length of its opening (prefix, hashes and
/// quote) and its number of `#`; `None` when `rest` does not start one.
fn raw_string_start(rest: &[u8]) -> Option<(usize, usize)> {
    let (prefix, after) = match rest.strip_prefix(b"br") {
        Some(after) => (2, after),
        None => (1, rest.strip_prefix(b"r")?),
    };
    let hashes = after.iter().take_while(|&&b| b == b'#').count();
    (after.get(hashes) == Some(&b'"')).then_some((prefix + hashes + 1, hashes))
}

/// Whether the `'` at the start of `rest` opens a character literal (`'x'`, `'\n'`, `'"'`) rather than a
/// lifetime (`'a`).
fn is_char_literal(rest: &[u8]) -> bool {
    match rest.get(1) {
        Some(b'\\') => true,
        Some(_) => rest.get(2) == Some(&b'\'') || !rest[1].is_ascii(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_using_std_and_the_migrate_crates_are_sealable() {
        for source in [
            "use migrate_dsl::prelude::*;\npub fn up(pgm: &mut MigrationBuilder) { pgm.sql(\"UPDATE t SET d = now()::date\"); }",
            "pub fn up(pgm: &mut B) { let _ = std::mem::size_of::<u8>(); let v: Vec<i64> = Vec::new(); let _ = i64::MAX; }",
            "//! Uses `crate::helpers` only in this comment. /* and serde::x here */\npub fn up(pgm: &mut B) {}",
            "#[allow(clippy::all)]\npub fn up(pgm: &mut B) { pgm.sql(r#\"SELECT '{}'::jsonb, \"x\"::text\"#); }",
            "pub fn up(pgm: &mut B) { let _ = (br\"x::y\", br#\"\"::z\"#, r\"u::v\"); }",
            "pub fn up<'a>(pgm: &'a mut B) { let _ = ('\"', b\"x::y\", '\\''); ::migrate_dsl::noop(pgm); }",
        ] {
            assert!(sealable(source), "{source}");
        }
        for source in [
            "pub fn up(pgm: &mut B) { crate::helpers::add(pgm) }",
            "pub fn up(pgm: &mut B) { super::shared(pgm) }",
            "use serde_json::json;\npub fn up(pgm: &mut B) {}",
            "pub fn up(pgm: &mut B) { let _ = ::chrono::Utc::now(); }",
            "pub fn up(pgm: &mut B) { pgm.sql(\"x\"); my_app::seed(pgm) }",
            "pub fn up(pgm: &mut B) { let _ = br\"a::b\"; other::f(pgm) }",
        ] {
            assert!(!sealable(source), "{source}");
        }
    }
}
