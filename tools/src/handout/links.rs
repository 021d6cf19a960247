//! Links between the handout's Markdown files must lead somewhere: a page that links an
//! instructor-only file (the performance figures, the instructor guide) is a dead end for a
//! student, and so is a link to a file that was renamed.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// The relative link targets of a Markdown text (`[text](target)`), without `#anchors`; web
/// addresses and links within the page are left out.
fn relative_targets(markdown: &str) -> impl Iterator<Item = &str> {
    markdown.split("](").skip(1).filter_map(|rest| {
        let target = rest.split(')').next()?.split('#').next()?.trim();
        let external = target.contains("://") || target.starts_with("mailto:");
        (!target.is_empty() && !external).then_some(target)
    })
}

/// `dir/../a/./b` as `a/b`; `None` if it climbs out of the root.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// Every link of the Markdown file `page` (relative path, text) to a file that is not in
/// `files` (the relative paths of the handout), as `page: target`.
pub fn dead_links(page: &str, text: &str, files: &BTreeSet<PathBuf>) -> Vec<String> {
    let dir = Path::new(page).parent().unwrap_or(Path::new(""));
    relative_targets(text)
        .filter(|target| {
            normalize(&dir.join(target)).is_none_or(|path| {
                // A directory link is fine when the handout has files under it.
                !files.contains(&path) && !files.iter().any(|f| f.starts_with(&path))
            })
        })
        .map(|target| format!("{page}: {target}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_links_to_missing_files_only() {
        let files: BTreeSet<PathBuf> = ["docs/labrpc.md", "raft/src/raft.rs", "README.md"]
            .into_iter()
            .map(PathBuf::from)
            .collect();
        let text = "See [the network](labrpc.md#replay), [raft](../raft/src/raft.rs), \
                    [the crate](../raft), [figures](PERFORMANCE.md), [web](https://x.org/a), \
                    [here](#top), [up](../../etc/passwd) and [guide](./instructors.md).";
        assert_eq!(
            dead_links("docs/lincheck.md", text, &files),
            [
                "docs/lincheck.md: PERFORMANCE.md",
                "docs/lincheck.md: ../../etc/passwd",
                "docs/lincheck.md: ./instructors.md",
            ]
        );
    }
}
