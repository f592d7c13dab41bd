//! The migration file name contract: `<YYYYMMDDHHMMSS UTC>_<snake_case_name>.rs`.
//!
//! Public for migrate-cli and the workspace's tests; not a stable API.

use chrono::{NaiveDateTime, SubsecRound};

/// Length of the timestamp prefix.
pub const VERSION_LEN: usize = 14;
const VERSION_FORMAT: &str = "%Y%m%d%H%M%S";

/// A valid migration file name, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub struct FileName {
    /// The 14-digit UTC timestamp that orders migrations.
    pub version: String,
    /// The whole stem, `<version>_<name>`: the migration's name everywhere (bookkeeping, CLI, errors).
    pub stem: String,
}

/// How the name of a repeatable migration's file starts: `repeatable_<snake_case_name>.rs`. No versioned
/// migration's name can start so (those start with a digit).
pub const REPEATABLE_PREFIX: &str = "repeatable_";

/// `Some` when `file_name` (not a path) is a repeatable migration's: its stem (`repeatable_<name>`, the
/// migration's name everywhere), or what is wrong with it. The part after the prefix may start with a digit:
/// repeatable migrations run in name order, and a number in front (`repeatable_10_views` before
/// `repeatable_20_grants`) is how that order is written; the stem still starts with a letter, so it is a
/// module name as it is.
pub fn parse_repeatable_name(file_name: &str) -> Option<Result<String, String>> {
    let stem = file_name.strip_suffix(".rs")?;
    let name = stem.strip_prefix(REPEATABLE_PREFIX)?;
    if !is_repeatable_name(name) {
        return Some(Err(format!(
            "`{name}` is not snake_case: use lower-case ASCII letters, digits and `_`, starting with a letter or a \
             digit (`repeatable_<snake_case_name>.rs`, e.g. `repeatable_active_users_view.rs` or \
             `repeatable_10_views.rs`)"
        )));
    }
    Some(Ok(stem.to_owned()))
}

/// Whether a file name (or its stem) is a Flyway- or refinery-style versioned name (`V1__init.sql`,
/// `U2__undo.rs`): a folder of another tool brought over by hand, which an import converts.
pub fn versioned_elsewhere(file_name: &str) -> bool {
    file_name
        .strip_prefix(['V', 'U'])
        .is_some_and(|rest| rest.contains("__") && rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// Parses a file name (not a path). The error says what is wrong, for messages that also name the file.
pub fn parse_file_name(file_name: &str) -> Result<FileName, String> {
    file_stem(file_name).map(FileName::of_stem)
}

impl FileName {
    /// The parts of a stem [`file_stem`] checked.
    pub(crate) fn of_stem(stem: &str) -> FileName {
        FileName {
            version: stem[..VERSION_LEN].to_owned(),
            stem: stem.to_owned(),
        }
    }
}

/// [`parse_file_name`]'s check, giving the stem (`<version>_<name>`) without copying anything: a folder's scan
/// checks every file's name.
pub(crate) fn file_stem(file_name: &str) -> Result<&str, String> {
    let stem = file_name
        .strip_suffix(".rs")
        .ok_or_else(|| "a migration file must end in `.rs`".to_owned())?;
    let expected =
        "expected `<YYYYMMDDHHMMSS>_<snake_case_name>.rs`, e.g. `20261122143005_add_location.rs`";
    // Names other tools use, met when a folder is brought over by hand: say what this tool calls them.
    if let Some(rest) = stem.strip_prefix("R__") {
        let name = rest.to_lowercase().replace(['-', ' ', '.'], "_");
        return Err(format!(
            "a Flyway-style repeatable migration name: here a repeatable migration is `repeatable_<snake_case_name>.rs` \
             (e.g. `repeatable_{name}.rs`)"
        ));
    }
    if versioned_elsewhere(stem) {
        return Err(format!(
            "a Flyway- or refinery-style versioned name; {expected}, and an import of the folder from \
             Flyway or refinery converts it"
        ));
    }
    let (version, name) = match (stem.get(..VERSION_LEN), stem.get(VERSION_LEN..)) {
        (Some(v), Some(rest)) if v.bytes().all(|b| b.is_ascii_digit()) => {
            match rest.strip_prefix('_') {
                Some(name) => (v, name),
                None => {
                    return Err(format!(
                        "the 14-digit timestamp must be followed by `_`; {expected}"
                    ))
                }
            }
        }
        _ => {
            return Err(format!(
                "the name must start with a 14-digit UTC timestamp; {expected}"
            ))
        }
    };
    if !is_date_time(version) {
        return Err(format!(
            "`{version}` is not a valid date and time (YYYYMMDDHHMMSS)"
        ));
    }
    if !is_snake_case(name) {
        return Err(format!(
            "`{name}` is not snake_case: use lower-case ASCII letters, digits and `_`, starting with a letter"
        ));
    }
    Ok(stem)
}

fn is_snake_case(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase()) && is_repeatable_name(name)
}

/// The part of a repeatable migration's name after [`REPEATABLE_PREFIX`]: snake_case that may start with a
/// digit (see [`parse_repeatable_name`]).
fn is_repeatable_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.ends_with('_')
        && !name.contains("__")
}

/// Turns what a user typed after `create` (`add location`, `AddLocation`, `add-location`) into the snake_case
/// part of a file name.
pub fn to_snake_case(input: &str) -> Result<String, String> {
    let name = words(input)?;
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(format!("migration name {input:?} must start with a letter"));
    }
    Ok(name)
}

/// Turns what a user typed after `create --repeatable` (`active users view`, `10 views`,
/// `repeatable_10_views`) into the part of the name after [`REPEATABLE_PREFIX`]: as [`to_snake_case`], but it
/// may start with a digit, and a typed prefix is not doubled.
pub fn to_repeatable_name(input: &str) -> Result<String, String> {
    let name = words(input)?;
    let name = match name.strip_prefix(REPEATABLE_PREFIX) {
        Some(rest) if !rest.is_empty() => rest.to_owned(),
        _ => name,
    };
    debug_assert!(is_repeatable_name(&name), "{name:?}");
    Ok(name)
}

/// [`to_snake_case`] without the check of the first character.
fn words(input: &str) -> Result<String, String> {
    if input.contains('/') || input.contains('\\') || input.contains("..") {
        return Err(format!(
            "migration name {input:?} would escape the migrations folder; give a plain name"
        ));
    }
    if let Some(bad) = input
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_')))
    {
        return Err(format!(
            "migration name {input:?} contains {bad:?}; use ASCII letters, digits, spaces, `-` or `_`"
        ));
    }
    let mut words: Vec<String> = Vec::new();
    for chunk in input.split([' ', '-', '_']).filter(|c| !c.is_empty()) {
        // Split camelCase / PascalCase at each lower-to-upper boundary.
        let mut word = String::new();
        let mut prev_lower_or_digit = false;
        for c in chunk.chars() {
            if c.is_ascii_uppercase() && prev_lower_or_digit && !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            prev_lower_or_digit = c.is_ascii_lowercase() || c.is_ascii_digit();
            word.push(c.to_ascii_lowercase());
        }
        words.push(word);
    }
    let name = words.join("_");
    if name.is_empty() {
        return Err(
            "migration name is empty; say what the migration does, e.g. `create add_location`"
                .to_owned(),
        );
    }
    if name.len() > 100 {
        return Err(format!(
            "migration name is {} characters long; keep it under 100",
            name.len()
        ));
    }
    Ok(name)
}

/// Whether 14 ASCII digits spell a valid date and time, as `NaiveDateTime::parse_from_str(_, "%Y%m%d%H%M%S")`
/// decides (a leap second, `60`, included), without its format parser: every command reads every file name,
/// and at ten thousand migrations the parser was a tenth of reading the folder.
fn is_date_time(digits: &str) -> bool {
    let number = |at: usize, len: usize| {
        digits
            .get(at..at + len)
            .and_then(|part| part.parse::<u32>().ok())
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        number(0, 4),
        number(4, 2),
        number(6, 2),
        number(8, 2),
        number(10, 2),
        number(12, 2),
    ) else {
        return false;
    };
    let date = i32::try_from(year)
        .ok()
        .and_then(|year| chrono::NaiveDate::from_ymd_opt(year, month, day));
    second <= 60
        && date
            .and_then(|d| d.and_hms_opt(hour, minute, second.min(59)))
            .is_some()
}

/// The version for a new migration created at `now`: `now`, or one second after the newest existing version,
/// whichever is later. Two creates in the same second therefore never collide, and a new file always sorts
/// after every existing one.
pub fn next_version(now: NaiveDateTime, newest_existing: Option<&str>) -> String {
    // Versions have whole seconds; comparing with a sub-second `now` would make `newest >= now` false within
    // the same second and hand out the newest version again.
    let now = now.trunc_subsecs(0);
    let newest =
        newest_existing.and_then(|v| NaiveDateTime::parse_from_str(v, VERSION_FORMAT).ok());
    let at = match newest {
        Some(newest) if newest >= now => newest + chrono::Duration::seconds(1),
        _ => now,
    };
    at.format(VERSION_FORMAT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_tools_names_get_a_hint() {
        let repeatable = parse_file_name("R__Active_Users.rs").unwrap_err();
        assert!(
            repeatable.contains("`repeatable_active_users.rs`"),
            "{repeatable}"
        );
        let versioned = parse_file_name("V2__add_email.rs").unwrap_err();
        assert!(
            versioned.contains("an import of the folder from Flyway or refinery"),
            "{versioned}"
        );
        assert!(versioned_elsewhere("V2__add_email.rs") && versioned_elsewhere("U10__x"));
        assert!(!versioned_elsewhere("Vacation.rs") && !versioned_elsewhere("V__x.rs"));
        // Not another tool's name: the usual reason.
        let plain = parse_file_name("Vacation.rs").unwrap_err();
        assert!(
            plain.starts_with("the name must start with a 14-digit UTC timestamp"),
            "{plain}"
        );
    }

    #[test]
    fn repeatable_names_may_start_with_a_digit() {
        assert_eq!(
            parse_repeatable_name("repeatable_10_views.rs"),
            Some(Ok("repeatable_10_views".to_owned()))
        );
        for bad in [
            "repeatable_.rs",
            "repeatable_10__views.rs",
            "repeatable_Views.rs",
            "repeatable_10_.rs",
        ] {
            let err = parse_repeatable_name(bad).unwrap().unwrap_err();
            assert!(err.contains("not snake_case"), "{bad}: {err}");
        }
        assert_eq!(to_repeatable_name("10 views").unwrap(), "10_views");
        assert_eq!(
            to_repeatable_name("repeatable_20_grants").unwrap(),
            "20_grants"
        );
        assert_eq!(to_repeatable_name("Active users").unwrap(), "active_users");
        assert!(to_repeatable_name("../x").is_err());
        // A versioned migration's name still starts with a letter.
        assert!(parse_file_name("20261122143005_10_views.rs").is_err());
    }

    #[test]
    fn parses_valid_names() {
        let f = parse_file_name("20261122143005_add_location.rs").unwrap();
        assert_eq!(f.version, "20261122143005");
        assert_eq!(f.stem, "20261122143005_add_location");
    }

    #[test]
    fn rejects_malformed_names() {
        for (name, needle) in [
            ("20261122143005_add_location.sql", "end in `.rs`"),
            ("2026112214300_add.rs", "14-digit"),
            ("20261122143005add.rs", "followed by `_`"),
            ("20261322143005_add.rs", "not a valid date"),
            ("20261122143005_Add.rs", "not snake_case"),
            ("20261122143005_.rs", "not snake_case"),
            ("20261122143005_a__b.rs", "not snake_case"),
            ("mod.rs", "14-digit"),
            ("20261122143005_é.rs", "not snake_case"),
        ] {
            let err = parse_file_name(name).unwrap_err();
            assert!(err.contains(needle), "{name}: {err}");
        }
    }

    #[test]
    fn the_date_check_agrees_with_chronos_parser() {
        for digits in [
            "20261122143005",
            "20240229000000",
            "20230229000000",
            "21000229120000",
            "20000229120000",
            "20261131000000",
            "20261301000000",
            "20261200000000",
            "20261122240000",
            "20261122236000",
            "20261122235960",
            "20261122235961",
            "00000101000000",
            "99991231235959",
            "20261122143099",
        ] {
            let parsed = NaiveDateTime::parse_from_str(digits, VERSION_FORMAT).is_ok();
            assert_eq!(is_date_time(digits), parsed, "{digits}");
        }
    }

    #[test]
    fn snake_cases_user_input() {
        assert_eq!(to_snake_case("add location").unwrap(), "add_location");
        assert_eq!(to_snake_case("AddLocation").unwrap(), "add_location");
        assert_eq!(to_snake_case("add-location_v2").unwrap(), "add_location_v2");
        assert_eq!(
            to_snake_case("  rename  comments ").unwrap(),
            "rename_comments"
        );
        assert!(to_snake_case("").unwrap_err().contains("empty"));
        assert!(to_snake_case("---").unwrap_err().contains("empty"));
        assert!(to_snake_case("../evil").unwrap_err().contains("escape"));
        assert!(to_snake_case("a/b").unwrap_err().contains("escape"));
        assert!(to_snake_case("drop;table").unwrap_err().contains("';'"));
        assert!(to_snake_case("2fast")
            .unwrap_err()
            .contains("start with a letter"));
    }

    #[test]
    fn next_version_never_collides() {
        let now = NaiveDateTime::parse_from_str("20261122143005", VERSION_FORMAT).unwrap();
        assert_eq!(next_version(now, None), "20261122143005");
        assert_eq!(next_version(now, Some("20261122143005")), "20261122143006");
        assert_eq!(next_version(now, Some("20261122143059")), "20261122143100");
        assert_eq!(next_version(now, Some("20250101000000")), "20261122143005");
        let later_in_same_second = now + chrono::Duration::milliseconds(700);
        assert_eq!(
            next_version(later_in_same_second, Some("20261122143005")),
            "20261122143006"
        );
    }
}
