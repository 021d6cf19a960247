//! A partial solution must not earn the points of the parts it does not implement. The Raft of a
//! student who has done 3A and 3B only (it persists nothing and ignores the service's snapshots)
//! passed most of 3C and 3D in 6.5840's tests, because their bounds on persisted sizes hold
//! trivially when nothing is saved. This builds exactly that Raft from the reference, in a copy
//! of the project, and grades it.

mod common;

use common::{copy_of_project, edit, one_run_each, root};
use tools::grade;
use tools::manifest::{Lab, Manifest};
use tools::runner;

/// Lab 3 with only the parts named.
fn parts_of(lab: &Lab, parts: &[&str]) -> Lab {
    let mut lab = lab.clone();
    lab.parts.retain(|p| parts.contains(&p.id.as_str()));
    lab
}

#[test]
fn a_raft_with_only_3a_and_3b_scores_zero_on_3c_and_3d() {
    let root = root();
    let manifest = Manifest::load(&root).unwrap();
    let raft = manifest.select(&["raft".to_string()]).unwrap()[0];
    let copy = copy_of_project(&root, "target/no-free-points/raft-3ab");
    // Persist nothing, and ignore the service's snapshots (so no snapshot is ever installed).
    edit(
        &copy,
        "raft/src/raft.rs",
        "let state = codec::encode(&(st.term, st.voted_for, &st.log)).expect(\"encodable state\");\n        \
         self.peer.persister.save(&state, &st.snapshot);",
        "let _ = st;",
    );
    edit(
        &copy,
        "raft/src/raft.rs",
        "if index <= st.log.base() || index > st.last_applied {",
        "if true {",
    );

    let claim = runner::CopiesClaim::new(&root, &copy).unwrap();
    let options = one_run_each(&claim, 13);
    let done = parts_of(raft, &["3A", "3B"]);
    let not_done = parts_of(raft, &["3C", "3D"]);
    let results = grade::grade(&copy, &[&done, &not_done], &options).unwrap();
    assert!(
        results.iter().all(|r| r.build_error.is_none()),
        "the partial Raft does not build"
    );
    let (earned, free): (Vec<_>, Vec<_>) = results
        .iter()
        .partition(|r| matches!(r.part.as_str(), "3A" | "3B"));
    // It is a genuine 3A+3B solution: those parts pass.
    for r in earned {
        assert!(r.passed(), "{} should pass on a 3A+3B Raft", r.name);
    }
    let passing: Vec<&str> = free
        .iter()
        .filter(|r| r.passed())
        .map(|r| r.name.as_str())
        .collect();
    assert!(
        passing.is_empty(),
        "a Raft that persists nothing and ignores snapshots passes {passing:?}"
    );
}
