//! `make lab5` must pass for every correct solution. The protocol between shard groups is the
//! student's to design (the page fixes only the clerk's and the controller's API), so a test
//! run by `make lab5` may talk to a student's code only through that API. This takes the
//! handout, puts the reference solution in it as a student would submit it, changes only choices
//! left to the student (the names of the RPCs and types between groups, and the order of the
//! error variants, which bincode carries as an index), and runs `make lab5` there.

mod common;

use common::root;
use tools::manifest::Manifest;
use tools::runner;

/// Renames in the reference's shard-group files: none of these names is given by the lab.
const RENAMES: [(&str, &str); 3] = [
    ("PullShard", "FetchShard"),
    ("DeleteShard", "ForgetShard"),
    ("ErrNotReady", "ErrTryLater"),
];

#[test]
fn a_solution_with_its_own_protocol_between_groups_passes_make_lab5() {
    let root = root();
    let manifest = Manifest::load(&root).unwrap();
    let lab5 = manifest.select(&["lab5".to_string()]).unwrap()[0];
    let copy = root.join("target/own-protocol");
    tools::handout::generate(&root, &manifest, &copy).unwrap();
    for file in manifest.submission_files(lab5) {
        std::fs::copy(root.join(file), copy.join(file)).unwrap();
    }
    for file in ["shardkv/src/common.rs", "shardkv/src/server.rs"] {
        let path = copy.join(file);
        let mut text = std::fs::read_to_string(&path).unwrap();
        for (from, to) in RENAMES {
            text = text.replace(from, to);
        }
        if file.ends_with("common.rs") {
            // The new variant first after Ok: every later variant's index on the wire changes.
            let moved = "    // BEGIN SOLUTION\n    /// A request between groups";
            let at = text
                .find(moved)
                .expect("the reference's extra error variant");
            let end = at + text[at..].find("    // END SOLUTION\n").unwrap();
            let variant = text[at..end].to_string();
            text.replace_range(at..end, "");
            let ok = text.find("    Ok,\n").unwrap() + "    Ok,\n".len();
            text.insert_str(ok, &variant);
        }
        assert!(text.contains("ShardKV.FetchShard") || file.ends_with("common.rs"));
        std::fs::write(&path, text).unwrap();
    }

    let claim = runner::CopiesClaim::new(&root, &copy).unwrap();
    let make = std::process::Command::new("make")
        .arg("lab5")
        .current_dir(&copy)
        .env("CARGO_TARGET_DIR", claim.dir())
        .output()
        .expect("make runs");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&make.stdout),
        String::from_utf8_lossy(&make.stderr)
    );
    let tail: String = output.lines().rev().take(60).collect::<Vec<_>>().join("\n");
    assert!(
        make.status.success(),
        "make lab5 fails on a correct solution with its own protocol (last lines, newest first):\n{tail}"
    );
    assert!(output.contains("unreachable_controller"), "{tail}");
    assert!(
        !output.contains("request_from_a_future_configuration"),
        "{tail}"
    );
}
