//! Stable storage for one Raft peer, with the exact semantics of 6.5840's Persister.

use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Saved {
    raft_state: Arc<[u8]>,
    snapshot: Arc<[u8]>,
}

/// What a peer has saved: its Raft state and its service's snapshot.
///
/// [`Persister::save`] replaces both at once, so a crash can never leave one without the other:
/// once a peer has a snapshot, every save must pass it again (an empty slice erases it).
/// Clones share the storage; [`Persister::copy`] makes an independent one, which is what the test
/// harness hands to a restarted peer so that the crashed instance can no longer change it.
#[derive(Clone, Default)]
pub struct Persister {
    saved: Arc<Mutex<Saved>>,
}

impl Persister {
    pub fn new() -> Persister {
        Persister::default()
    }

    /// A new, independent persister holding the same state and snapshot.
    pub fn copy(&self) -> Persister {
        let saved = self.saved.lock().unwrap();
        Persister {
            saved: Arc::new(Mutex::new(Saved {
                raft_state: saved.raft_state.clone(),
                snapshot: saved.snapshot.clone(),
            })),
        }
    }

    /// Atomically replaces both the Raft state and the snapshot.
    pub fn save(&self, raft_state: &[u8], snapshot: &[u8]) {
        let raft_state: Arc<[u8]> = raft_state.into();
        let snapshot: Arc<[u8]> = snapshot.into();
        let mut saved = self.saved.lock().unwrap();
        saved.raft_state = raft_state;
        saved.snapshot = snapshot;
    }

    /// A copy of the saved Raft state (empty if nothing was saved).
    pub fn read_raft_state(&self) -> Vec<u8> {
        self.saved.lock().unwrap().raft_state.to_vec()
    }

    /// A copy of the saved snapshot (empty if none).
    pub fn read_snapshot(&self) -> Vec<u8> {
        self.saved.lock().unwrap().snapshot.to_vec()
    }

    pub fn raft_state_size(&self) -> usize {
        self.saved.lock().unwrap().raft_state.len()
    }

    pub fn snapshot_size(&self) -> usize {
        self.saved.lock().unwrap().snapshot.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_replaces_both_and_copy_is_independent() {
        let p = Persister::new();
        assert!(p.read_raft_state().is_empty() && p.read_snapshot().is_empty());
        p.save(b"state1", b"snap1");
        let c = p.copy();
        p.save(b"state2", b"");
        assert_eq!(p.read_raft_state(), b"state2");
        assert_eq!(
            p.snapshot_size(),
            0,
            "save with an empty snapshot erases it"
        );
        assert_eq!(c.read_raft_state(), b"state1");
        assert_eq!(c.read_snapshot(), b"snap1");
        assert_eq!((c.raft_state_size(), c.snapshot_size()), (6, 5));
        let shared = c.clone();
        shared.save(b"x", b"y");
        assert_eq!(c.read_raft_state(), b"x", "clones share storage");
    }
}
