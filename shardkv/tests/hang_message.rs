//! A Lab 5 test that runs out of virtual time names Lab 5's usual causes, from the lab's own
//! harness, before the causes any lab can have: a student stuck on a hang reads "a configuration
//! skipped or never applied" rather than only "the test did not finish". A check of the course's
//! harness, not of the lab: instructor-only (labs.toml).

// Only part of the graded harness is used here.
#[allow(dead_code)]
#[path = "graded/harness.rs"]
mod harness;

#[test]
fn a_hang_names_the_lab_5_suspects() {
    let hang = std::panic::catch_unwind(|| {
        harness::run(false, None, |cfg| async move {
            cfg.join(0).await;
            std::future::pending::<()>().await;
        })
    });
    let message = *hang.unwrap_err().downcast::<String>().unwrap();
    let lines: Vec<&str> = message.lines().collect();
    assert!(
        lines[0].starts_with("the test did not finish within its limit of 120 s"),
        "{message}"
    );
    assert_eq!(
        lines[1],
        format!("- {}", harness::LAB.hang_suspects[0]),
        "{message}"
    );
    assert!(lines[1].starts_with("- a configuration skipped or never applied"));
}
