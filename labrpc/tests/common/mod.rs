//! The junk server of labrpc's own tests, shared by the test files.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use labrpc::{Network, Server, Service};
use serde::{Deserialize, Serialize};
use tokio::time::{Duration, sleep};

#[derive(Default)]
pub struct Junk {
    pub log1: Mutex<Vec<String>>,
    pub log2: Mutex<Vec<i64>>,
}

#[derive(Serialize, Deserialize, Default)]
pub struct JunkArgs {
    pub x: i64,
}

#[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
pub struct JunkReply {
    pub x: String,
}

/// The handlers of Go's JunkServer, one per method.
pub fn junk_service(junk: Arc<Junk>) -> Service<Arc<Junk>> {
    Service::new("JunkServer", junk)
        .handle("Handler1", |js, args: String| async move {
            js.log1.lock().unwrap().push(args.clone());
            args.parse::<i64>().unwrap_or(0)
        })
        .handle("Handler2", |js, args: i64| async move {
            js.log2.lock().unwrap().push(args);
            format!("handler2-{args}")
        })
        .handle("Handler3", |_, args: i64| async move {
            sleep(Duration::from_secs(20)).await;
            -args
        })
        .handle("Handler4", |_, _args: JunkArgs| async move {
            JunkReply {
                x: "pointer".into(),
            }
        })
        .handle("Handler5", |_, _args: JunkArgs| async move {
            JunkReply {
                x: "no pointer".into(),
            }
        })
        .handle(
            "Handler6",
            |_, args: String| async move { args.len() as i64 },
        )
        .handle(
            "Handler7",
            |_, n: i64| async move { "y".repeat(n as usize) },
        )
}

/// A network with one junk server installed under `server`.
pub fn junk_network(server: &str) -> (Network, Arc<Junk>) {
    let net = Network::new();
    let junk = Arc::new(Junk::default());
    let srv = Server::new();
    srv.add_service(junk_service(junk.clone()));
    net.add_server(server, srv);
    (net, junk)
}

/// A network with the junk server `server99` and the enabled end `end1-99` connected to it.
pub fn one_end() -> (Network, labrpc::ClientEnd, Arc<Junk>) {
    let (net, junk) = junk_network("server99");
    let end = net.make_end("end1-99");
    net.connect("end1-99", "server99");
    net.enable("end1-99", true);
    (net, end, junk)
}
