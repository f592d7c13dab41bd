//! The checksums other tools store for their migrations, computed the way each tool computes them, so that
//! adopting a history can tell a file edited since it was applied.

use std::hash::{Hash, Hasher};

use sha2::{Digest, Sha384};

/// A checksum as the source tool stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SourceChecksum {
    /// sqlx: SHA-384 of the up file's bytes (`_sqlx_migrations.checksum`, bytea).
    Sqlx(Vec<u8>),
    /// refinery: SipHash-1-3 (keys 0) of the name, the version (an `i32`) and the SQL, as Rust's `Hash`
    /// feeds them (`refinery_schema_history.checksum`, the `u64` as decimal text).
    Refinery(u64),
    /// Flyway: CRC-32 of the file's lines, each without its line break, the first without a byte order
    /// mark, as a signed 32-bit integer (`flyway_schema_history.checksum`).
    Flyway(i32),
}

impl std::fmt::Display for SourceChecksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceChecksum::Sqlx(bytes) => {
                for b in bytes {
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
            SourceChecksum::Refinery(n) => write!(f, "{n}"),
            SourceChecksum::Flyway(n) => write!(f, "{n}"),
        }
    }
}

pub(crate) fn sqlx(sql: &str) -> SourceChecksum {
    SourceChecksum::Sqlx(Sha384::digest(sql.as_bytes()).to_vec())
}

pub(crate) fn refinery(name: &str, version: i32, sql: &str) -> SourceChecksum {
    let mut hasher = siphasher::sip::SipHasher13::new();
    name.hash(&mut hasher);
    version.hash(&mut hasher);
    sql.hash(&mut hasher);
    SourceChecksum::Refinery(hasher.finish())
}

pub(crate) fn flyway(text: &str) -> SourceChecksum {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut crc = Crc32::default();
    // Java's BufferedReader.readLine: a line ends at \n, \r or \r\n.
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        crc.update(&rest.as_bytes()[..end]);
        rest = &rest[end..];
        if let Some(r) = rest.strip_prefix("\r\n") {
            rest = r;
        } else if !rest.is_empty() {
            rest = &rest[1..];
        }
    }
    SourceChecksum::Flyway(crc.value() as i32)
}

/// CRC-32 (IEEE, as `java.util.zip.CRC32`).
struct Crc32(u32);

impl Default for Crc32 {
    fn default() -> Self {
        Crc32(0xffff_ffff)
    }
}

impl Crc32 {
    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let mut c = (self.0 ^ u32::from(b)) & 0xff;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            self.0 = (self.0 >> 8) ^ c;
        }
    }

    fn value(&self) -> u32 {
        !self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        let mut crc = Crc32::default();
        crc.update(b"123456789");
        assert_eq!(crc.value(), 0xcbf4_3926);
    }

    #[test]
    fn flyway_ignores_line_breaks_and_the_byte_order_mark() {
        let a = flyway("select 1;\nselect 2;\n");
        assert_eq!(a, flyway("\u{feff}select 1;\r\nselect 2;"));
        assert_ne!(a, flyway("select 1;\nselect 3;\n"));
    }
}
