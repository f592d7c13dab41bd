use super::ending::cancelled_statement;
use super::*;

/// A run stopped cleanly between steps (a signal, the spent budget) ends its target as interrupted, with the
/// engine's message as it is; anything else fails it. (A statement the server cancelled for the fleet's
/// signal is exercised against a server: tests/tests/fleet_guards.rs.)
#[test]
fn a_clean_stop_is_an_interruption_and_anything_else_a_failure() {
    let interrupt = Interrupt::new();
    let stopped = Error::Interrupted {
        signal: 15,
        what: "before migration 20260101000000_a".to_owned(),
    };
    let (error, state) = failed(&stopped, false, &interrupt, Instant::now());
    assert_eq!(state, TargetState::Interrupted);
    assert_eq!(error.message, stopped.to_string());
    assert!(!error.session_ended);

    let unknown = Error::UnknownMigration {
        name: "20260101000000_a".to_owned(),
    };
    let (error, state) = failed(&unknown, true, &interrupt, Instant::now());
    assert_eq!(state, TargetState::Failed);
    assert!(error.session_ended, "the session's end is kept for the summary");
    assert_eq!(error.message, unknown.to_string());
}

#[test]
fn a_cancelled_statement_names_the_migration_when_known() {
    assert!(cancelled_statement(Some("20260101000000_a")).contains("20260101000000_a"));
    assert!(!cancelled_statement(None).is_empty());
}
