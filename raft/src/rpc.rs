//! Raft's RPCs: the messages peers exchange, the handlers that answer them, and the service
//! that registers the handlers with the RPC server.
//!
//! Messages cross the network encoded, so a peer sees only what is in them. A handler runs as a
//! task of the receiving peer and must not block: take the lock, update the state, reply.

use labrpc::Service;
use serde::{Deserialize, Serialize};

use crate::Raft;
// BEGIN SOLUTION
use labrpc::dlog;

use crate::raft::{Entry, Role};
// END SOLUTION
// STUB:

/// The RPC service of a peer: the tester registers it on the peer's server. Add a `.handle(...)`
/// for every RPC you define.
pub fn service(rf: &Raft) -> Service<Raft> {
    Service::new("Raft", rf.clone())
        .handle("RequestVote", |rf, args: RequestVoteArgs| async move {
            rf.request_vote(args)
        })
        // BEGIN SOLUTION
        .handle("AppendEntries", |rf, args: AppendEntriesArgs| async move {
            rf.append_entries(args)
        })
        .handle(
            "InstallSnapshot",
            |rf, args: InstallSnapshotArgs| async move { rf.install_snapshot(args) },
        )
    // END SOLUTION
    // STUB: // Register your other RPCs here (3B, 3D): .handle("AppendEntries", ...)
}

/// RequestVote arguments.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RequestVoteArgs {
    // BEGIN SOLUTION
    pub term: u64,
    pub candidate: usize,
    pub last_log_index: u64,
    pub last_log_term: u64,
    // END SOLUTION
    // STUB: // Your data here (3A, 3B).
}

/// RequestVote reply.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RequestVoteReply {
    // BEGIN SOLUTION
    pub term: u64,
    pub vote_granted: bool,
    // END SOLUTION
    // STUB: // Your data here (3A).
}

// BEGIN SOLUTION
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AppendEntriesArgs {
    pub term: u64,
    pub leader: usize,
    pub prev_log_index: u64,
    pub prev_log_term: u64,
    pub entries: Vec<Entry>,
    pub leader_commit: u64,
}

/// On rejection, where the leader should back up to: `conflict_term` is the follower's term at
/// `prev_log_index` (with `conflict_index` the first index of that term), or `None` when the
/// follower's log ends before `prev_log_index` (then `conflict_index` is its length).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AppendEntriesReply {
    pub term: u64,
    pub success: bool,
    pub conflict_term: Option<u64>,
    pub conflict_index: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct InstallSnapshotArgs {
    pub term: u64,
    pub leader: usize,
    pub last_included_index: u64,
    pub last_included_term: u64,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct InstallSnapshotReply {
    pub term: u64,
}
// END SOLUTION
// STUB: // Your AppendEntries (3B) and InstallSnapshot (3D) arguments and replies here.

impl Raft {
    /// The RequestVote handler.
    pub fn request_vote(&self, args: RequestVoteArgs) -> RequestVoteReply {
        // BEGIN SOLUTION
        let mut st = self.lock();
        let mut changed = false;
        if args.term > st.term {
            self.become_follower(&mut st, args.term);
            changed = true;
        }
        let up_to_date =
            (args.last_log_term, args.last_log_index) >= (st.log.last_term(), st.log.last_index());
        let free = st.voted_for.is_none_or(|v| v == args.candidate);
        let granted = args.term == st.term && free && up_to_date;
        if granted {
            st.voted_for = Some(args.candidate);
            self.reset_election_timer(&mut st);
            changed = true;
            dlog!(VOTE, "T{} granted vote to S{}", st.term, args.candidate);
        }
        if changed {
            self.persist(&st);
        }
        RequestVoteReply {
            term: st.term,
            vote_granted: granted,
        }
        // END SOLUTION
        // STUB: let _ = args;
        // STUB: // Your code here (3A, 3B).
        // STUB: RequestVoteReply::default()
    }

    // BEGIN SOLUTION
    pub(crate) fn append_entries(&self, args: AppendEntriesArgs) -> AppendEntriesReply {
        let mut st = self.lock();
        let mut reply = AppendEntriesReply {
            term: st.term,
            success: false,
            conflict_term: None,
            conflict_index: 0,
        };
        if args.term < st.term {
            return reply;
        }
        let mut changed = false;
        if args.term > st.term {
            self.become_follower(&mut st, args.term);
            changed = true;
        }
        st.role = Role::Follower;
        self.reset_election_timer(&mut st);
        reply.term = st.term;

        // Entries up to the snapshot are committed, so they match the leader's: skip them.
        let base = st.log.base();
        let (prev, entries) = if args.prev_log_index < base {
            let covered = (base - args.prev_log_index) as usize;
            (base, args.entries.get(covered..).unwrap_or(&[]))
        } else {
            (args.prev_log_index, &args.entries[..])
        };
        match st.log.term(prev) {
            None => {
                reply.conflict_index = st.log.last_index() + 1;
            }
            Some(term) if prev == args.prev_log_index && term != args.prev_log_term => {
                reply.conflict_term = Some(term);
                reply.conflict_index = st.log.first_index_of_term_at(prev);
            }
            Some(_) => reply.success = true,
        }
        if !reply.success {
            if changed {
                self.persist(&st);
            }
            return reply;
        }

        // Append what is new; truncate only at a real conflict, since a delayed, shorter append
        // must not erase entries a later one already added.
        for (k, entry) in entries.iter().enumerate() {
            let index = prev + 1 + k as u64;
            match st.log.term(index) {
                Some(term) if term == entry.term => continue,
                Some(_) => st.log.truncate_after(index - 1),
                None => {}
            }
            for entry in &entries[k..] {
                st.log.append(entry.clone());
            }
            changed = true;
            break;
        }
        let last_new = args.prev_log_index + args.entries.len() as u64;
        let commit = args.leader_commit.min(last_new);
        if commit > st.commit_index {
            st.commit_index = commit;
            self.peer.apply_ready.notify_one();
        }
        if changed {
            self.persist(&st);
        }
        reply
    }

    pub(crate) fn install_snapshot(&self, args: InstallSnapshotArgs) -> InstallSnapshotReply {
        let mut st = self.lock();
        if args.term < st.term {
            return InstallSnapshotReply { term: st.term };
        }
        if args.term > st.term {
            self.become_follower(&mut st, args.term);
        }
        st.role = Role::Follower;
        self.reset_election_timer(&mut st);
        if args.last_included_index > st.commit_index {
            dlog!(
                SNAP,
                "T{} install snapshot through {}",
                st.term,
                args.last_included_index
            );
            st.log
                .compact(args.last_included_index, args.last_included_term);
            st.snapshot = args.data;
            st.commit_index = args.last_included_index;
            st.last_applied = args.last_included_index;
            st.snapshot_unapplied = true;
            self.peer.apply_ready.notify_one();
        }
        self.persist(&st);
        InstallSnapshotReply { term: st.term }
    }
    // END SOLUTION
    // STUB: // Your AppendEntries (3B) and InstallSnapshot (3D) handlers here.
}
