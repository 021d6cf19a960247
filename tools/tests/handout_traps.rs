//! Traps of the handout that cost a student points without warning.

mod common;

use common::{one_run_each, root};
use tools::grade::{self, TestResult};
use tools::handout::{self, fingerprint};
use tools::manifest::Manifest;
use tools::runner;

fn outcomes(results: &[TestResult]) -> Vec<(String, bool)> {
    results
        .iter()
        .map(|r| {
            assert!(r.build_error.is_none(), "does not build: {r:?}");
            (r.name.clone(), r.passed())
        })
        .collect()
}

/// The natural retry loop of Lab 2 sleeps with `tokio::time::sleep`. It must build in the handout
/// as handed out (no `cargo add`, which the course grader would undo) and grade the same in the
/// student's handout and on the course grader's copy.
#[test]
fn a_kvsrv_clerk_using_tokio_grades_the_same_locally_and_when_submitted() {
    let root = root();
    let manifest = Manifest::load(&root).unwrap();
    let lab = manifest.select(&["kvsrv".to_string()]).unwrap()[0];
    let work = root.join("target/handout-traps");
    let student = work.join("student");
    handout::generate(&root, &manifest, &student).unwrap();
    // The student's work: the reference files, the clerk pausing between retries.
    for file in &lab.student_files {
        std::fs::copy(root.join(file), student.join(file)).unwrap();
    }
    let client = student.join("kvsrv/src/client.rs");
    let text = std::fs::read_to_string(&client).unwrap();
    let retry = "Err(RpcError::Unavailable) => continue,";
    assert!(
        text.contains(retry),
        "update the test: the clerk has no `{retry}`"
    );
    let pause = "Err(RpcError::Unavailable) => {\n\
                 tokio::time::sleep(std::time::Duration::from_millis(100)).await\n}";
    std::fs::write(&client, text.replace(retry, pause)).unwrap();
    assert_eq!(
        fingerprint::changes(&student, &manifest).unwrap(),
        [""; 0],
        "only student files changed"
    );

    let claim = runner::CopiesClaim::new(&root, &student).unwrap();
    let local = outcomes(&grade::grade(&student, &[lab], &one_run_each(&claim, 7)).unwrap());
    drop(claim);
    assert!(local.iter().all(|(_, passed)| *passed), "{local:?}");

    let graded = work.join("graded");
    handout::generate(&root, &manifest, &graded).unwrap();
    let notes = grade::overlay_submission(&manifest, &[lab], &graded, &student).unwrap();
    // The student files are taken; nothing is rejected or changed beyond them.
    for file in &lab.student_files {
        assert!(
            notes.contains(&format!("taken: {file} (from {file})")),
            "{notes:?}"
        );
    }
    assert!(
        notes.iter().all(|n| n.starts_with("taken: ")
            || n.ends_with("a student file of a lab not graded now")
            || n.ends_with("the same as the handout's")),
        "{notes:?}"
    );
    let claim = runner::CopiesClaim::new(&root, &graded).unwrap();
    let submitted = outcomes(&grade::grade(&graded, &[lab], &one_run_each(&claim, 7)).unwrap());
    assert_eq!(local, submitted);
}

/// Clippy knows the simulator's rules (docs/labrpc.md) for every lab crate on the simulator.
#[test]
fn every_simulated_lab_has_the_simulator_clippy_rules() {
    let root = root();
    let manifest = Manifest::load(&root).unwrap();
    let rules = std::fs::read_to_string(root.join("raft/clippy.toml")).unwrap();
    for lab in manifest.labs.iter().filter(|l| l.seeded) {
        let path = root.join(&lab.krate).join("clippy.toml");
        let theirs =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            theirs,
            rules,
            "{} differs from raft/clippy.toml",
            path.display()
        );
    }
}

/// Lab 5 needs nothing of Lab 4: a student whose `kvraft/src/server.rs` does not compile still
/// builds and lists Lab 5's tests (the shard groups run on the course's group harness, not on
/// anything in the kvraft crate).
#[test]
fn lab5_builds_while_the_lab4_server_does_not_compile() {
    let root = root();
    let manifest = Manifest::load(&root).unwrap();
    let student = root.join("target/handout-traps/lab4-broken");
    handout::generate(&root, &manifest, &student).unwrap();
    let server = student.join("kvraft/src/server.rs");
    let text = std::fs::read_to_string(&server).unwrap();
    std::fs::write(&server, format!("{text}\nfn half_written( {{\n")).unwrap();

    let claim = runner::CopiesClaim::new(&root, &student).unwrap();
    let kvraft = runner::build_and_list(&student, Some(claim.dir()), "kvraft", false);
    let failure = kvraft.expect_err("the broken Lab 4 server built");
    assert!(
        failure.downcast_ref::<runner::BuildFailure>().is_some(),
        "{failure:#}"
    );
    let shardkv = runner::build_and_list(&student, Some(claim.dir()), "shardkv", false).unwrap();
    let lab5 = manifest.select(&["shardkv".to_string()]).unwrap()[0];
    for (_, name, _) in lab5.graded_tests() {
        runner::find(&shardkv, "shardkv", name).unwrap();
    }
}
