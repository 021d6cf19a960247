//! A partial solution must not earn the points of the parts it does not implement. The Raft of a
//! student who has done 3A and 3B only (it persists nothing and ignores the service's snapshots)
//! passed most of 3C and 3D in 6.5840's tests, because their bounds on persisted sizes hold
//! trivially when nothing is saved. This builds exactly that Raft from the reference, in a copy
//! of the project, and grades it. Nor may a solution that passes every check while avoiding the
//! scenario a test exists to create (see `tests::events`): a Raft that never installs a snapshot,
//! a Lab 5 whose groups never talk over the network.

mod common;

use common::{copy_of_project, edit, one_run_each, root};
use tools::grade;
use tools::manifest::{Lab, Manifest};
use tools::runner;

/// A lab with only the parts named.
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

/// A Raft that never sends InstallSnapshot: it persists the trimmed log the service's snapshots
/// allow (so every size bound holds) but keeps the whole log in memory, and catches lagging
/// followers up with AppendEntries. It passes every check of the tests that exist to install
/// snapshots, on every seed; the grader must still give them nothing, and say why.
#[test]
fn a_raft_that_never_installs_snapshots_scores_zero_on_the_tests_of_it() {
    let root = root();
    let manifest = Manifest::load(&root).unwrap();
    let raft = manifest.select(&["raft".to_string()]).unwrap()[0];
    let copy = copy_of_project(&root, "target/no-free-points/raft-no-install");
    let file = "raft/src/raft.rs";
    edit(
        &copy,
        file,
        "    pub snapshot_unapplied: bool,\n",
        "    pub snapshot_unapplied: bool,\n    pub persist_from: Option<(u64, u64)>,\n",
    );
    edit(
        &copy,
        file,
        "            snapshot_unapplied: false,\n",
        "            snapshot_unapplied: false,\n            persist_from: None,\n",
    );
    edit(
        &copy,
        file,
        "        st.log.compact(index, term);\n",
        "        st.persist_from = Some((index, term));\n",
    );
    edit(
        &copy,
        file,
        "let state = codec::encode(&(st.term, st.voted_for, &st.log)).expect(\"encodable state\");",
        "let mut log = st.log.clone();\n        \
         if let Some((index, term)) = st.persist_from.filter(|&(i, _)| i > log.base()) {\n            \
         log.compact(index, term);\n        }\n        \
         let state = codec::encode(&(st.term, st.voted_for, &log)).expect(\"encodable state\");",
    );

    let claim = runner::CopiesClaim::new(&root, &copy).unwrap();
    let mut install = parts_of(raft, &["3D"]);
    for part in &mut install.parts {
        part.tests
            .retain(|t| t.starts_with("snapshot_install") && !t.contains("crash"));
    }
    let results = grade::grade(&copy, &[&install], &one_run_each(&claim, 17)).unwrap();
    assert_eq!(
        results.len(),
        2,
        "snapshot_install_3d and its unreliable twin"
    );
    assert_passes_checks_but_scores_zero(&results, "the evasive Raft", "snapshot-installed");
}

/// A Lab 5 whose groups hand shards over without the network: each server registers itself in a
/// table its process shares, and a new owner reads the old owner's shard (and asks it to delete
/// its copy) by calling that server directly. Every check of 5B holds, since the data does move;
/// but no group ever answered another over the network, which is what 5B exists to test, and a
/// student's code could fake any other evidence it makes itself. The grader must give 5B nothing.
#[test]
fn a_lab5_whose_groups_never_talk_scores_zero_on_5b() {
    let root = root();
    let manifest = Manifest::load(&root).unwrap();
    let shardkv = manifest.select(&["shardkv".to_string()]).unwrap()[0];
    let copy = copy_of_project(&root, "target/no-free-points/shardkv-no-network");
    let file = "shardkv/src/server.rs";
    edit(
        &copy,
        file,
        "impl ShardKv {\n    /// Starts server",
        "thread_local! {\n    static PEERS: std::cell::RefCell<BTreeMap<String, ShardKv>> = \
         Default::default();\n}\n\nimpl ShardKv {\n    /// Starts server",
    );
    edit(
        &copy,
        file,
        "        labrpc::spawn(kv.clone().poll_configs(ctrler::Clerk::new(ctrlers)));\n",
        "        PEERS.with_borrow_mut(|p| p.insert(format!(\"server-{gid}-S{me}\"), kv.clone()));\n        \
         labrpc::spawn(kv.clone().poll_configs(ctrler::Clerk::new(ctrlers)));\n",
    );
    edit(
        &copy,
        file,
        "            let reply = self\n                .end(name)\n                \
         .call::<_, PullShardReply>(\"ShardKV.PullShard\", &args)\n                .await;\n            \
         let Ok(reply) = reply else { continue };\n",
        "            let Some(peer) = PEERS.with_borrow(|p| p.get(name).cloned()) else {\n                \
         continue;\n            };\n            let reply: PullShardReply = peer.pull_shard(args.clone());\n",
    );
    edit(
        &copy,
        file,
        "            let reply = self\n                .end(name)\n                \
         .call::<_, DeleteShardReply>(\"ShardKV.DeleteShard\", &args)\n                .await;\n",
        "            let Some(peer) = PEERS.with_borrow(|p| p.get(name).cloned()) else {\n                \
         continue;\n            };\n            \
         let reply: Result<DeleteShardReply, ()> = Ok(peer.delete_shard(args.clone()).await);\n",
    );

    let claim = runner::CopiesClaim::new(&root, &copy).unwrap();
    let moving = parts_of(shardkv, &["5B"]);
    let results = grade::grade(&copy, &[&moving], &one_run_each(&claim, 19)).unwrap();
    assert!(!results.is_empty());
    assert_passes_checks_but_scores_zero(&results, "the networkless Lab 5", "groups-talked");
}

/// Every test of `results` built and passed every check on every run, yet earned nothing, and its
/// note names `event`: a solution (`what`) that avoids the scenario a test exists to create.
fn assert_passes_checks_but_scores_zero(results: &[grade::TestResult], what: &str, event: &str) {
    for r in results {
        assert!(
            r.build_error.is_none(),
            "{what} does not build: {:?}",
            r.build_error
        );
        assert!(
            r.runs.iter().all(|(_, run)| run.passed),
            "{}: {what} fails a check ({:?}); it is meant to pass every check",
            r.name,
            r.runs
        );
        assert!(
            !r.passed(),
            "{} gave points to {what} though {event} never happened",
            r.name
        );
        let why = r.scenario_shortfall().unwrap_or_default();
        assert!(
            why.contains(event),
            "{}: the note does not name the missing event {event}: {why:?}",
            r.name
        );
    }
}
