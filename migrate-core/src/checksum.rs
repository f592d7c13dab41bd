//! Checksums of migration sources, as the build script records them and the history compares them. Kept
//! apart from the engine so that a build script compiles only this, the file scan and the seal (without the
//! `runtime` feature: no driver, no builder).

// Without the engine only the digest is used (by the build script); the hex forms are the history's.
#![cfg_attr(not(feature = "runtime"), allow(dead_code))]

use sha2::{Digest, Sha256};

/// What the build script computed from a migration's source, so that the runner does not read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Precomputed {
    /// The SHA-256 behind [`Migration::checksum`](crate::Migration::checksum), of the source with line endings and trailing whitespace
    /// normalised.
    pub digest: [u8; 32],
    /// Whether the source is a squashed baseline (it lists the migrations it replaces).
    pub baseline: bool,
}

impl Precomputed {
    /// What the build script records for `source`.
    pub fn of(source: &str) -> Precomputed {
        Precomputed {
            digest: digest(source),
            baseline: crate::squash::squashed_names(source).is_some(),
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

pub(crate) fn digest(source: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for line in source.lines() {
        hasher.update(line.trim_end().as_bytes());
        hasher.update(b"\n");
    }
    hasher.finalize().into()
}

pub(crate) fn checksum(source: &str) -> String {
    hex(&digest(source))
}

pub(crate) fn hex(digest: &[u8; 32]) -> String {
    // Hex digits are ASCII, so the conversion cannot fail; pushed char by char, the 64 digits cost more
    // than the rest of a status line.
    String::from_utf8(hex_digits(digest).to_vec()).unwrap_or_default()
}

/// `digest` in lowercase hex, as ASCII digits on the stack.
fn hex_digits(digest: &[u8; 32]) -> [u8; 64] {
    let mut digits = [0; 64];
    for (pair, byte) in digits.chunks_exact_mut(2).zip(digest) {
        pair[0] = HEX[usize::from(byte >> 4)];
        pair[1] = HEX[usize::from(byte & 0xf)];
    }
    digits
}
