//! The course's glue between Lab 5's servers and Lab 4's harness for Raft-backed services (not a
//! student file): the controller and each shard group run as a [`kvraft::tester::Group`].

use kvraft::tester::Replica;

use crate::ShardKv;
use crate::ctrler::{self, CtrlerServer};

impl Replica for CtrlerServer {
    fn raft(&self) -> &raft::Raft {
        CtrlerServer::raft(self)
    }

    fn register(&self, server: &labrpc::Server) {
        server.add_service(ctrler::service(self));
    }

    fn kill(&self) {
        CtrlerServer::kill(self)
    }
}

impl Replica for ShardKv {
    fn raft(&self) -> &raft::Raft {
        ShardKv::raft(self)
    }

    fn register(&self, server: &labrpc::Server) {
        server.add_service(crate::service(self));
    }

    fn kill(&self) {
        ShardKv::kill(self)
    }
}
