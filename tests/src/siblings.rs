//! Checks of a store whose keys keep siblings (Lab 6C), from the history alone.
//!
//! - **Domination**: a write made with the context of a read supersedes every version that read
//!   returned (and, through them, what they superseded). No later read may return a version
//!   together with one that supersedes it: the store must have dropped the older one wherever
//!   the two met.
//! - **The cart**: every add acknowledged to a client is in the final merged read, and nothing
//!   is there that no client added.
//!
//! ```text
//! let (values, ctx, read) = log.get_versions(&key, clerk.get_versions(&key)).await?;
//! log.put_with(&key, &value, Some(read), clerk.put_with(&key, &value, &ctx)).await?;
//! assert_no_dominated_siblings("siblings_6c", &log);
//! ```
//!
//! Values must be unique per write: the checks tell versions apart by their values. A failing
//! check writes an HTML page of the operations involved and names it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::failure_page::escape;

/// Which read a write's context came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReadId(usize);

#[derive(Debug, Clone)]
struct Read {
    key: String,
    values: Vec<String>,
    at: Duration,
}

#[derive(Debug, Clone)]
struct Write {
    key: String,
    value: String,
    read: Option<ReadId>,
    acknowledged: bool,
}

/// The reads and writes of a test; clones record into the same log.
#[derive(Clone, Default)]
pub struct VersionLog {
    inner: Arc<Mutex<Log>>,
}

#[derive(Default)]
struct Log {
    reads: Vec<Read>,
    writes: Vec<Write>,
}

impl VersionLog {
    pub fn new() -> VersionLog {
        VersionLog::default()
    }

    /// Runs `op`, a read of every version of `key`; a successful one is recorded, and its id
    /// names it as the source of a later write's context.
    pub async fn get_versions<C, E>(
        &self,
        key: &str,
        op: impl Future<Output = Result<(Vec<String>, C), E>>,
    ) -> Result<(Vec<String>, C, ReadId), E> {
        let (values, context) = op.await?;
        let mut log = self.inner.lock().unwrap();
        log.reads.push(Read {
            key: key.to_string(),
            values: values.clone(),
            at: labrpc::sim::elapsed(),
        });
        Ok((values, context, ReadId(log.reads.len() - 1)))
    }

    /// Runs `op`, a write of `value` with the context of `read` (`None`: an empty context).
    pub async fn put_with<E>(
        &self,
        key: &str,
        value: &str,
        read: Option<ReadId>,
        op: impl Future<Output = Result<(), E>>,
    ) -> Result<(), E> {
        // Recorded whatever the outcome: a failed write may still have taken effect.
        let result = op.await;
        self.inner.lock().unwrap().writes.push(Write {
            key: key.to_string(),
            value: value.to_string(),
            read,
            acknowledged: result.is_ok(),
        });
        result
    }

    /// How many writes made with a read's context were acknowledged: the evidence that a check
    /// of this log judged something.
    pub fn acknowledged_with_context(&self) -> usize {
        let log = self.inner.lock().unwrap();
        (log.writes.iter())
            .filter(|w| w.acknowledged && w.read.is_some())
            .count()
    }
}

/// A read that returned a version with one that supersedes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Dominated {
    pub key: String,
    pub older: String,
    pub newer: String,
    pub read_at: Duration,
}

/// Every read that returned two versions of which one supersedes the other.
pub fn dominated_siblings(log: &VersionLog) -> Vec<Dominated> {
    let log = log.inner.lock().unwrap();
    // What each written value supersedes: its read's values, and what those superseded.
    let mut covers: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for write in &log.writes {
        let mut covered = BTreeSet::new();
        if let Some(ReadId(r)) = write.read {
            for value in &log.reads[r].values {
                if *value != write.value {
                    covered.insert(value.as_str());
                    if let Some(further) = covers.get(&(write.key.as_str(), value.as_str())) {
                        covered.extend(further.iter().copied());
                    }
                }
            }
        }
        covers.insert((&write.key, &write.value), covered);
    }
    let mut found = Vec::new();
    for read in &log.reads {
        for newer in &read.values {
            let Some(covered) = covers.get(&(read.key.as_str(), newer.as_str())) else {
                continue;
            };
            for older in read.values.iter().filter(|v| covered.contains(v.as_str())) {
                found.push(Dominated {
                    key: read.key.clone(),
                    older: older.clone(),
                    newer: newer.clone(),
                    read_at: read.at,
                });
            }
        }
    }
    found
}

/// Fails the test `test` if a read returned a version together with one that supersedes it.
pub fn assert_no_dominated_siblings(test: &str, log: &VersionLog) {
    let found = dominated_siblings(log);
    if found.is_empty() {
        return;
    }
    let mut body = String::from(
        "<table><tr><th>key</th><th>read at</th><th>older</th><th>newer, which supersedes it</th></tr>",
    );
    for d in &found {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{:.3} s</td><td class=bad>{}</td><td>{}</td></tr>",
            escape(&d.key),
            d.read_at.as_secs_f64(),
            escape(&d.older),
            escape(&d.newer)
        );
    }
    body.push_str("</table>");
    let page = crate::failure_page::write(
        test,
        "siblings",
        &format!("{test}: dominated siblings"),
        &body,
    );
    let d = &found[0];
    panic!(
        "{} reads returned a version beside one that supersedes it; the first, at {:.3} s: key \
         {:?} had {:?} and {:?}, but {:?} was written with a context that had seen {:?}, so the \
         store must have dropped the older one{page}",
        found.len(),
        d.read_at.as_secs_f64(),
        d.key,
        d.older,
        d.newer,
        d.newer,
        d.older
    );
}

/// Fails the test `test` unless `items` (a cart's final merged read) holds every add
/// acknowledged to a client (`acknowledged`) and nothing that no client tried to add
/// (`attempted`, the acknowledged ones included).
pub fn assert_cart_complete(
    test: &str,
    acknowledged: &BTreeSet<String>,
    attempted: &BTreeSet<String>,
    items: &BTreeSet<String>,
) {
    let lost: Vec<&String> = acknowledged.difference(items).collect();
    let invented: Vec<&String> = items.difference(attempted).collect();
    if lost.is_empty() && invented.is_empty() {
        return;
    }
    let list = |items: &[&String]| {
        let shown: Vec<String> = items.iter().take(10).map(|i| format!("{i:?}")).collect();
        shown.join(", ")
    };
    let body = format!(
        "<p class=bad>Lost ({}): {}</p><p class=bad>Never added ({}): {}</p><p>In the cart ({}): {}</p>",
        lost.len(),
        escape(&list(&lost)),
        invented.len(),
        escape(&list(&invented)),
        items.len(),
        escape(&list(&items.iter().collect::<Vec<_>>()))
    );
    let page =
        crate::failure_page::write(test, "cart", &format!("{test}: the cart lost adds"), &body);
    panic!(
        "the cart's final read misses {} of the {} adds acknowledged to clients ({}) and holds {} \
         items nobody added ({}){page}",
        lost.len(),
        acknowledged.len(),
        list(&lost),
        invented.len(),
        list(&invented)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_with_a_superseded_version_is_found_transitively() {
        let log = VersionLog::new();
        let mut log_inner = log.inner.lock().unwrap();
        let read = |values: &[&str]| Read {
            key: "k".into(),
            values: values.iter().map(|v| v.to_string()).collect(),
            at: Duration::ZERO,
        };
        let write = |value: &str, read: Option<usize>| Write {
            key: "k".into(),
            value: value.into(),
            read: read.map(ReadId),
            acknowledged: true,
        };
        log_inner.reads = vec![
            read(&["a"]),
            read(&["b"]),
            read(&["a", "c"]),
            read(&["x", "y"]),
        ];
        // b supersedes a; c supersedes b, so a too; x and y are concurrent.
        log_inner.writes = vec![write("a", None), write("b", Some(0)), write("c", Some(1))];
        drop(log_inner);
        let found = dominated_siblings(&log);
        assert_eq!(log.acknowledged_with_context(), 2);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].older.as_str(), found[0].newer.as_str()),
            ("a", "c")
        );
    }
}
