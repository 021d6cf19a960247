//! The key/value model over the whole store at once, without splitting the history by key.
//!
//! Lab tests use [`KvModel`](super::kv::KvModel), which checks each key on its own
//! (P-compositionality) and is far faster. This one exists to measure the search on a large
//! state space: porcupine's own test suite checks its 10-client key/value histories this way
//! (`KvNoPartition10ClientsOk/Bad`), and `lincheck kv-whole` does the same.

use std::hash::{Hash, Hasher};
use std::rc::Rc;

use super::kv::{KvInput, KvModel, KvOutput, Next, next_value};
use super::model::Model;
use super::search::StateHasher;

/// Every key's value, sorted by key. A missing key reads as `""`, so an empty value is not
/// stored: equal stores then have equal entries.
///
/// The search clones the state at every step. Keys and values are shared (`Rc`), so a clone
/// copies one pointer pair per key, and a step allocates only the value it changes. The hash is
/// kept up to date as the XOR of one hash per entry, so hashing a store costs one word, not a pass
/// over every value.
#[derive(Debug, Clone, Default)]
pub struct KvStore {
    entries: Vec<(Rc<str>, Rc<str>)>,
    hash: u64,
}

fn entry_hash(key: &str, value: &str) -> u64 {
    let mut h = StateHasher::default();
    key.hash(&mut h);
    value.hash(&mut h);
    h.finish()
}

impl KvStore {
    fn get(&self, key: &str) -> &str {
        match self.entries.binary_search_by(|(k, _)| (**k).cmp(key)) {
            Ok(i) => &self.entries[i].1,
            Err(_) => "",
        }
    }

    /// A copy of the store with `key` set to `value`.
    fn with(&self, key: &str, value: String) -> KvStore {
        let mut next = self.clone();
        let at = next.entries.binary_search_by(|(k, _)| (**k).cmp(key));
        if let Ok(i) = at {
            next.hash ^= entry_hash(key, &next.entries[i].1);
        }
        if !value.is_empty() {
            next.hash ^= entry_hash(key, &value);
        }
        match (at, value.is_empty()) {
            (Ok(i), true) => {
                next.entries.remove(i);
            }
            (Ok(i), false) => next.entries[i].1 = value.into(),
            (Err(i), false) => next.entries.insert(i, (key.into(), value.into())),
            (Err(_), true) => {}
        }
        next
    }
}

impl PartialEq for KvStore {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.entries == other.entries
    }
}

impl Eq for KvStore {}

impl Hash for KvStore {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// The whole-store model: one partition, the state is every key's value.
#[derive(Debug, Clone, Copy, Default)]
pub struct KvWholeModel;

impl Model for KvWholeModel {
    type Input = KvInput;
    type Output = KvOutput;
    type State = KvStore;

    fn init(&self) -> KvStore {
        KvStore::default()
    }

    fn step(&self, state: &KvStore, input: &KvInput, output: &KvOutput) -> Option<KvStore> {
        Some(match next_value(state.get(&input.key), input, output)? {
            Next::Same => state.clone(),
            Next::New(value) => state.with(&input.key, value),
        })
    }

    fn read_only(&self, input: &KvInput, output: &KvOutput) -> bool {
        KvModel.read_only(input, output)
    }

    fn describe_operation(&self, input: &KvInput, output: &KvOutput) -> String {
        KvModel.describe_operation(input, output)
    }

    fn describe_state(&self, state: &KvStore) -> String {
        let entries: Vec<String> = state
            .entries
            .iter()
            .map(|(k, v)| format!("{k:?}: {v:?}"))
            .collect();
        format!("{{{}}}", entries.join(", "))
    }
}
