//! The key/value server. The tester calls these methods when the RPCs `KVServer.Get`,
//! `KVServer.Put` and `KVServer.Append` arrive; several may run at once.

// BEGIN SOLUTION
use std::collections::HashMap;
use std::sync::Mutex;
// END SOLUTION
// STUB: // Lab 2: import what you need.

use crate::common::{GetArgs, GetReply, PutAppendArgs, PutAppendReply};

/// The server's state: the key/value map and whatever at-most-once execution needs.
pub struct KvServer {
    // BEGIN SOLUTION
    state: Mutex<State>,
    // END SOLUTION
    // STUB: // Lab 2: add the store and what at-most-once execution needs.
}

// BEGIN SOLUTION
#[derive(Default)]
struct State {
    data: HashMap<String, String>,
    /// Per clerk, its latest Put or Append and the reply it got. The clerk sends a new request
    /// only after it has the reply to the previous one, so older replies can never be asked for
    /// again and are dropped as soon as a newer request arrives.
    latest: HashMap<u64, Executed>,
}

struct Executed {
    seq: u64,
    reply: String,
}
// END SOLUTION
// STUB: // Lab 2: define the types your server's state needs.

impl Default for KvServer {
    fn default() -> Self {
        KvServer::new()
    }
}

impl KvServer {
    /// A server with an empty store.
    pub fn new() -> KvServer {
        // BEGIN SOLUTION
        KvServer {
            state: Mutex::new(State::default()),
        }
        // END SOLUTION
        // STUB: KvServer {}
    }

    /// Returns the value of `args.key`, or `""` if the key does not exist.
    pub fn get(&self, args: GetArgs) -> GetReply {
        // BEGIN SOLUTION
        let state = self.state.lock().unwrap();
        GetReply {
            value: state.data.get(&args.key).cloned().unwrap_or_default(),
        }
        // END SOLUTION
        // STUB: // Lab 2: look the key up.
        // STUB: let _ = args;
        // STUB: todo!("KvServer::get")
    }

    /// Sets `args.key` to `args.value`, at most once per clerk request.
    pub fn put(&self, args: PutAppendArgs) -> PutAppendReply {
        // BEGIN SOLUTION
        self.at_most_once(args, |stored, value| {
            *stored = value;
            String::new()
        })
        // END SOLUTION
        // STUB: // Lab 2: store the value, unless this request was already executed.
        // STUB: let _ = args;
        // STUB: todo!("KvServer::put")
    }

    /// Appends `args.value` to the value of `args.key` and replies with the value before, at most
    /// once per clerk request (a retransmission gets the first execution's reply).
    pub fn append(&self, args: PutAppendArgs) -> PutAppendReply {
        // BEGIN SOLUTION
        self.at_most_once(args, |stored, value| {
            let old = stored.clone();
            stored.push_str(&value);
            old
        })
        // END SOLUTION
        // STUB: // Lab 2: append and reply with the old value, unless this request was already
        // STUB: // executed; then reply what the first execution replied.
        // STUB: let _ = args;
        // STUB: todo!("KvServer::append")
    }

    // BEGIN SOLUTION
    /// Runs `apply(stored value, argument) -> reply` unless the request was already executed, in
    /// which case it returns the reply of that execution.
    fn at_most_once(
        &self,
        args: PutAppendArgs,
        apply: impl FnOnce(&mut String, String) -> String,
    ) -> PutAppendReply {
        let mut state = self.state.lock().unwrap();
        if let Some(done) = state.latest.get(&args.client_id) {
            if done.seq == args.seq {
                return PutAppendReply {
                    value: done.reply.clone(),
                };
            }
            if done.seq > args.seq {
                // A delayed copy of a request the clerk has already had answered: it no longer
                // waits for this reply, and executing it again would break at-most-once.
                return PutAppendReply::default();
            }
        }
        let reply = apply(state.data.entry(args.key).or_default(), args.value);
        state.latest.insert(
            args.client_id,
            Executed {
                seq: args.seq,
                reply: reply.clone(),
            },
        );
        PutAppendReply { value: reply }
    }
    // END SOLUTION
    // STUB: // Lab 2: add helper methods if you like.
}
