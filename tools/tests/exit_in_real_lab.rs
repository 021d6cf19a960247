//! `std::process::exit(0)` in a real lab's constructor scores nothing: the attack tests show it on
//! a toy course; this one builds Lab 2 from the reference with the exit as the first thing its
//! server does, and grades one test of it through the real harness.

mod common;

use common::{copy_of_project, edit, one_run_each, root};
use tools::grade;
use tools::manifest::Manifest;
use tools::runner;

#[test]
fn exit_zero_in_the_kvsrv_constructor_scores_zero() {
    let root = root();
    let manifest = Manifest::load(&root).unwrap();
    let mut lab = manifest.select(&["kvsrv".to_string()]).unwrap()[0].clone();
    for part in &mut lab.parts {
        part.tests.retain(|t| t == "basic_2");
    }
    let copy = copy_of_project(&root, "target/exit-in-real-lab");
    edit(
        &copy,
        "kvsrv/src/server.rs",
        "pub fn new() -> KvServer {\n",
        "pub fn new() -> KvServer {\n        std::process::exit(0);\n",
    );

    let claim = runner::CopiesClaim::new(&root, &copy).unwrap();
    let results = grade::grade(&copy, &[&lab], &one_run_each(&claim, 5)).unwrap();
    assert_eq!(results.len(), 1, "one graded test");
    let result = &results[0];
    assert!(result.build_error.is_none(), "{:?}", result.build_error);
    assert!(!result.passed(), "exit(0) in KvServer::new passed");
    let reason = result.runs[0].1.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("exited with status 0 before the test finished"),
        "reason: {reason}"
    );
}
