//! The student handout: the project with every solution region replaced by its stub, the
//! instructor-only files left out, a student README and Makefile, and a record of every file
//! written, which makes regenerating into the same directory safe (see [`update`]) and lets the
//! student-side grader name the protected files a student changed ([`fingerprint`]).
//!
//! Generation is incremental: files whose contents did not change are not rewritten, so their
//! timestamps (and Cargo's build cache) survive regeneration into the same directory.

pub mod fingerprint;
mod links;
mod makefile;
pub mod markers;
mod readme;
pub mod record;
pub mod update;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::manifest::Manifest;
use crate::tree;
pub use record::STAMP;
pub use update::{Changed, Updated};

/// What was generated.
#[derive(Debug, Default)]
pub struct Generated {
    pub files: usize,
    /// Files whose solution regions were replaced.
    pub stubbed: Vec<String>,
    /// What writing it into the output directory did.
    pub updated: Updated,
}

/// Writes the handout of the project at `root` into `out`, a directory the tools own (under
/// `target/`, or temporary): files changed since the last generation there are overwritten.
/// A directory a person may have worked in goes through [`generate_into`] instead.
pub fn generate(root: &Path, manifest: &Manifest, out: &Path) -> anyhow::Result<Generated> {
    generate_into(root, manifest, out, Changed::Overwrite)
}

/// Writes the handout of the project at `root` into `out`, doing with files changed since the
/// last generation what `changed` says; nothing the handout did not write is ever deleted.
pub fn generate_into(
    root: &Path,
    manifest: &Manifest,
    out: &Path,
    changed: Changed,
) -> anyhow::Result<Generated> {
    let root = root
        .canonicalize()
        .with_context(|| format!("no project at {}", root.display()))?;
    if out.exists() && !out.is_dir() {
        bail!("{} exists and is not a directory", out.display());
    }
    let (files, stubbed) = files(&root, manifest)?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let out = out.canonicalize()?;
    if out.starts_with(&root) && !out.starts_with(root.join("target")) {
        bail!("the handout cannot go inside the project (except under target/)");
    }
    let updated = update::update(&out, &files, changed)?;
    Ok(Generated {
        files: files.len(),
        stubbed,
        updated,
    })
}

/// The handout's files: relative path (with `/`) to contents.
pub type Files = BTreeMap<String, Vec<u8>>;

/// Every file of the handout of the project at `root` (canonical), and the files whose solution
/// regions were stubbed.
pub fn files(root: &Path, manifest: &Manifest) -> anyhow::Result<(Files, Vec<String>)> {
    let excluded: Vec<PathBuf> = manifest
        .handout
        .instructor_only
        .iter()
        .map(|p| root.join(p))
        .collect();
    let mut files = BTreeMap::new();
    let mut stubbed = Vec::new();
    for path in tree::project_files(root, &excluded)? {
        let rel = path.strip_prefix(root).expect("under the root");
        let rel_str = rel.to_string_lossy().replace('\\', "/");
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read {rel_str}"))?;
        let contents = if rel_str == "README.md" {
            readme::student_readme(manifest).into_bytes()
        } else if rel_str == "Makefile" {
            // Written once every other file is known: it names the lab's test files.
            Vec::new()
        } else if rel_str.ends_with(".rs") {
            let text =
                String::from_utf8(bytes).with_context(|| format!("{rel_str} is not UTF-8"))?;
            match markers::strip(&rel_str, &text)? {
                Some(stub) => {
                    if !manifest.is_student_file(&rel_str) {
                        bail!(
                            "{rel_str} has solution markers but is not a student file of any lab: \
                             list it under student_files in labs.toml, or remove the markers"
                        );
                    }
                    stubbed.push(rel_str.clone());
                    stub.into_bytes()
                }
                None => text.into_bytes(),
            }
        } else {
            bytes
        };
        files.insert(rel_str, contents);
    }
    if files.contains_key("Makefile") {
        let makefile = makefile::student_makefile(manifest, &files);
        files.insert("Makefile".to_string(), makefile.into_bytes());
    }
    let paths: BTreeSet<PathBuf> = files.keys().map(PathBuf::from).collect();
    let dead: Vec<String> = files
        .iter()
        .filter(|(page, _)| page.ends_with(".md"))
        .flat_map(|(page, text)| links::dead_links(page, &String::from_utf8_lossy(text), &paths))
        .collect();
    if !dead.is_empty() {
        bail!(
            "these links of the handout's pages lead to files the handout does not have \
             (instructor-only, or renamed): {}",
            dead.join(", ")
        );
    }
    Ok((files, stubbed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handout_of_the_project_stubs_student_files_only() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let manifest = Manifest::load(&root).unwrap();
        let out = tempfile::tempdir().unwrap();
        let generated = generate(&root, &manifest, out.path()).unwrap();
        assert!(generated.stubbed.contains(&"raft/src/raft.rs".to_string()));
        for stubbed in &generated.stubbed {
            assert!(manifest.is_student_file(stubbed), "{stubbed}");
        }
        let raft = std::fs::read_to_string(out.path().join("raft/src/raft.rs")).unwrap();
        assert!(!raft.contains("SOLUTION") && !raft.contains("fn advance_commit"));
        assert!(
            !out.path().join(".ci").exists(),
            "instructor-only files are left out"
        );
        assert!(out.path().join(".cargo/config.toml").exists());
        for tool in ["handout.rs", "gradescope.rs", "check-suite"] {
            let path = out.path().join("tools/src/bin").join(tool);
            assert!(!path.exists(), "the handout has the instructor's {tool}");
        }
        assert!(out.path().join("tools/src/bin/grade.rs").exists());
        let readme = std::fs::read_to_string(out.path().join("README.md")).unwrap();
        assert!(readme.contains("raft/src/raft.rs"));
        let makefile = std::fs::read_to_string(out.path().join("Makefile")).unwrap();
        assert!(makefile.starts_with("# Your commands"), "{makefile}");
        assert!(makefile.contains(
            "\nlab2:\n\t@echo '== lab2: graded: kvsrv/tests/kvsrv.rs, kvsrv/tests/memory.rs'\n\t@$(CARGO) \
             test -p kvsrv --release --no-fail-fast || { echo '== lab2: a test failed. Graded (make \
             grade scores them): kvsrv/tests/kvsrv.rs, kvsrv/tests/memory.rs'; exit 1; }\n"
        ));
        assert!(
            makefile.contains(
                "\n\t@echo '== lab5: graded: shardkv/tests/graded; also run, not graded (a correct \
                 solution passes them): shardkv/tests/bad_input.rs'\n"
            ),
            "{makefile}"
        );
        assert!(
            makefile.contains("\nraft-3a:\n\t$(CARGO) test -p raft --release --no-fail-fast 3a\n")
        );
        for instructor_only in [
            "check-suite",
            "handout",
            "gradescope",
            "bench",
            "PERFORMANCE",
        ] {
            assert!(
                !makefile.contains(instructor_only),
                "{instructor_only} in\n{makefile}"
            );
        }
        assert_eq!(
            fingerprint::changes(out.path(), &manifest).unwrap(),
            [""; 0]
        );

        // Regenerating into the same directory is allowed; it leaves files it did not write.
        std::fs::write(out.path().join("stale.txt"), "x").unwrap();
        let again = generate_into(&root, &manifest, out.path(), Changed::Refuse).unwrap();
        assert!(out.path().join("stale.txt").exists());
        assert_eq!(again.updated.written, 0, "{:?}", again.updated);
        assert_eq!(
            again.updated.unchanged,
            again.files + 1,
            "the files and the record"
        );
    }

    #[test]
    fn refuses_to_write_into_an_unrelated_directory() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let manifest = Manifest::load(&root).unwrap();
        let out = tempfile::tempdir().unwrap();
        std::fs::write(out.path().join("precious.txt"), "x").unwrap();
        let e = generate_into(&root, &manifest, out.path(), Changed::Refuse).unwrap_err();
        assert!(e.to_string().contains("not a handout"), "{e}");
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1);
    }

    /// What the student-side grader reports: a protected file edited (a `cargo add`), one
    /// deleted, a module file the course grader would not take; student files may change.
    #[test]
    fn protected_changes_are_reported() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let manifest = Manifest::load(&root).unwrap();
        let out = tempfile::tempdir().unwrap();
        generate(&root, &manifest, out.path()).unwrap();
        let edit = |path: &str, text: &str| {
            let path = out.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        edit("kvsrv/src/client.rs", "// my solution\n");
        edit("kvsrv/Cargo.toml", "[dependencies]\nextra = \"1\"\n");
        edit("raft/src/helpers.rs", "pub fn f() {}\n");
        edit("stress-logs/x.rs", "not project source\n");
        std::fs::remove_file(out.path().join("raft/tests/graded/part_3a.rs")).unwrap();
        let changes = fingerprint::changes(out.path(), &manifest).unwrap();
        assert_eq!(changes.len(), 3, "{changes:#?}");
        assert!(changes[0].starts_with("kvsrv/Cargo.toml differs from the handout's"));
        assert!(changes[1].starts_with("raft/tests/graded/part_3a.rs is missing"));
        assert!(changes[2].starts_with("raft/src/helpers.rs is not part of the handout"));
    }
}
