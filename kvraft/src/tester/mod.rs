//! The course's harness for services replicated with Raft (not a student file).
//!
//! [`Group`] runs the servers of one Raft group on a simulated network and does to them what
//! 6.5840's `config.go` does: start and shut down servers with persister copies, partition and
//! reconnect them, find the leader, measure persisted state, and hand out ends with fresh random
//! names for clerks. It works for any [`Replica`]: Lab 4's graded tests run one group of
//! [`KvServer`]s; Lab 5 runs a controller group and several shard groups on one network with the
//! same type.
//!
//! Several groups share one [`labrpc::Network`]; `prefix` keeps their server names apart:
//!
//! ```text
//! let net = Network::new();
//! let ctrler = Group::new(&net, "ctrler-", 3, |ends, me, p| CtrlerServer::new(ends, me, p));
//! let g100 = Group::new(&net, "g100-", 3, move |ends, me, p| ShardKv::new(ends, me, p, ...));
//! let ends = g100.make_clerk_ends(&g100.all());   // a clerk's ends, fresh random names
//! g100.shutdown_server(1); g100.start_server(1);  // crash and restart from a persister copy
//! let (name, end) = fresh_end(&net, &g100.server_name(0)); // 6.5840's make_end(server)
//! net.enable(&name, true);
//! ```
//!
//! The service implements [`Replica`] (its Raft peer, its RPC services, `kill`). The graded tests
//! themselves, and Lab 4's own configuration (clerks that record a history, timeline
//! annotations, the summary line), are in `kvraft/tests/graded/`.

mod group;

pub use group::{ClerkEnds, Group, Replica, StartFn, fresh_end};

use crate::KvServer;

impl Replica for KvServer {
    fn raft(&self) -> &raft::Raft {
        KvServer::raft(self)
    }

    fn register(&self, server: &labrpc::Server) {
        server.add_service(crate::service(self));
    }

    fn kill(&self) {
        KvServer::kill(self)
    }
}
