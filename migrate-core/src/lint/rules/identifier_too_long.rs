//! `identifier-too-long`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "identifier-too-long",
    summary: "A name longer than 63 bytes.",
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: true,
    lock: "none of its own",
    problem: "PostgreSQL cuts a name to 63 bytes without an error, so the object gets another name than the one written: later migrations and code that use the full name do not find it, and two long names that start alike become one",
    instead: "a name of at most 63 bytes",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::IdentifierTooLong;
        let long = format!("CREATE TABLE {} (id bigint)", "t".repeat(64));
        lint_errors(Rule::IdentifierTooLong, &[&long], IN_TRANSACTION);
        let fits = format!("CREATE TABLE {} (id bigint)", "t".repeat(63));
        lint_ok(rule, &[&fits], IN_TRANSACTION);
        // The builder refuses a name it would write longer than 63 bytes; raw SQL is checked here.
        lint_migration_errors(rule, |pgm| {
            pgm.sql("ALTER TABLE posts RENAME CONSTRAINT posts_title_check TO posts_title_is_never_empty_and_never_longer_than_two_hundred_characters");
        });
        lint_migration_ok(rule, |pgm| {
            pgm.sql("ALTER TABLE posts RENAME CONSTRAINT posts_title_check TO posts_title_length");
        });
    }
}
