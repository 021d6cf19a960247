//! The Lab 2 test harness (6.5840's kvsrv `config.go`): one server on a simulated network, and
//! clerks connected to it through ends with fresh random names.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use kvsrv::common::{GetArgs, PutAppendArgs};
use kvsrv::{Clerk, KvServer};
use labrpc::{Network, Node, Server, Service};

const SERVER: &str = "kvserver";

pub struct Config {
    net: Network,
    /// Clerks made so far, for their ends' names.
    clerks: AtomicU64,
    /// The server's machine; kept so the server's tasks live as long as the test.
    _node: Node,
}

impl Config {
    /// Starts the server on a network that is reliable or not.
    pub fn new(unreliable: bool) -> Config {
        let net = Network::new();
        net.set_reliable(!unreliable);
        let node = Node::new("S0");
        let server = node.enter(|| {
            let kv = Arc::new(KvServer::new());
            let service = Service::new("KVServer", kv)
                .handle("Get", |kv, args: GetArgs| async move { kv.get(args) })
                .handle("Put", |kv, args: PutAppendArgs| async move { kv.put(args) })
                .handle("Append", |kv, args: PutAppendArgs| async move {
                    kv.append(args)
                });
            let server = Server::new();
            server.add_service(service);
            server
        });
        net.add_server(SERVER, server);
        Config {
            net,
            clerks: AtomicU64::new(0),
            _node: node,
        }
    }

    /// A new clerk with its own end to the server; returns the end's name for
    /// [`Config::delete_clerk`].
    pub fn make_clerk(&self) -> (Clerk, String) {
        // Unique like 6.5840's random names, and readable in the network trace that
        // LAB_CHECK_DETERMINISM reports.
        let name = format!("clerk{}", self.clerks.fetch_add(1, Ordering::Relaxed));
        let end = self.net.make_end(&name);
        self.net.connect(&name, SERVER);
        self.net.enable(&name, true);
        (Clerk::new(end), name)
    }

    /// Removes a clerk's end from the network, so 100,000 clerks do not keep 100,000 ends.
    pub fn delete_clerk(&self, end: &str) {
        self.net.delete_end(end);
    }

    /// Every RPC sent so far.
    pub fn rpcs(&self) -> u64 {
        self.net.total_count()
    }
}
