//! Two copies of a project built into the shared `target/copies` must each run their own code.
//! Cargo names a workspace member's outputs after its path inside the workspace, the same in
//! every copy, and judges them by modification times: without the claim, a copy whose files are
//! older than another copy's build runs that other copy's test binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use tools::runner::{self, CopiesClaim};

/// A workspace of one crate whose only test prints which copy it was compiled from.
fn write_copy(root: &Path, name: &str) -> PathBuf {
    let copy = root.join(name);
    let write = |rel: &str, text: String| {
        let path = copy.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"answer\"]\nresolver = \"3\"\n".into(),
    );
    write(
        "answer/Cargo.toml",
        "[package]\nname = \"answer\"\nedition = \"2024\"\nversion = \"0.1.0\"\npublish = false\n"
            .into(),
    );
    write(
        "answer/src/lib.rs",
        format!("#[test]\nfn which() {{\n    println!(\"compiled from copy {name}\");\n}}\n"),
    );
    copy
}

/// Builds the copy's test into `target` and says which copy the binary was compiled from.
fn built_from(copy: &Path, target: &Path) -> String {
    let cases = runner::build_and_list(copy, Some(target), "answer", false).unwrap();
    assert_eq!(cases.len(), 1, "{cases:?}");
    let out = Command::new(&cases[0].binary)
        .args(["--exact", "which", "--nocapture"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("compiled from copy "))
        .unwrap_or_else(|| panic!("no answer in {stdout}"))
        .to_string()
}

#[test]
fn each_copy_runs_its_own_code_in_the_shared_target() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("copies-claim");
    let _ = std::fs::remove_dir_all(&root);
    let a = write_copy(&root, "a");
    let b = write_copy(&root, "b");

    let claim = CopiesClaim::new(&root, &a).unwrap();
    assert_eq!(built_from(&a, claim.dir()), "a");
    drop(claim);
    let claim = CopiesClaim::new(&root, &b).unwrap();
    assert_eq!(built_from(&b, claim.dir()), "b");
    drop(claim);
    // Copy a's files are older than b's build now: only the claim makes Cargo rebuild them.
    let claim = CopiesClaim::new(&root, &a).unwrap();
    assert_eq!(built_from(&a, claim.dir()), "a");
    let target = claim.dir().to_path_buf();
    drop(claim);

    // The hazard itself, without a claim: copy b, untouched since before a's rebuild, is judged
    // fresh and runs a's binary. (If a Cargo release tells copies apart, this fails, and the
    // claim's touching of files can go.)
    assert_eq!(built_from(&b, &target), "a", "Cargo now tells copies apart");
    let claim = CopiesClaim::new(&root, &b).unwrap();
    assert_eq!(built_from(&b, claim.dir()), "b");
}
