//! A five-node cluster on the simulated network, in three network conditions.
//!
//! `cargo run -p labrpc --release --example cluster`
//!
//! Every node pings every other node ten times a second for 30 seconds of virtual time. The table
//! shows what the network did to those calls, and how little wall-clock time 30 virtual seconds take.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant as WallInstant;

use labrpc::{ClientEnd, Network, Node, Server, Service, sim};
use tokio::time::{Duration, sleep};

const NODES: usize = 5;
const RUN_FOR: Duration = Duration::from_secs(30);

#[derive(Clone, Copy)]
enum Mode {
    Reliable,
    Unreliable,
    Partitioned,
}

/// Counters shared by one node's tasks.
#[derive(Default)]
struct Stats {
    sent: AtomicU64,
    answered: AtomicU64,
}

async fn run_cluster(mode: Mode) {
    let net = Network::new();
    net.set_reliable(!matches!(mode, Mode::Unreliable));
    let stats: Arc<Stats> = Arc::default();
    // Each node serves "Node.Ping": it answers with its name and how many pings it has seen.
    for i in 0..NODES {
        let node = Node::new(&format!("S{i}"));
        let seen = Arc::new(AtomicU64::new(0));
        let server = node.enter(|| {
            let server = Server::new();
            server.add_service(Service::new("Node", seen).handle(
                "Ping",
                move |seen, from: usize| async move {
                    let n = seen.fetch_add(1, Ordering::Relaxed) + 1;
                    format!("S{i} has heard {n} pings (last from S{from})")
                },
            ));
            server
        });
        net.add_server(&format!("S{i}"), server);
    }
    // Each node gets an end to every other node and a task that pings them all every 100 ms.
    for i in 0..NODES {
        let ends: Vec<ClientEnd> = (0..NODES)
            .filter(|&j| j != i)
            .map(|j| {
                let name = format!("S{i}->S{j}");
                let end = net.make_end(&name);
                net.connect(&name, &format!("S{j}"));
                // Partitioned: {S0, S1, S2} and {S3, S4} cannot reach each other.
                let cut = matches!(mode, Mode::Partitioned) && (i < 3) != (j < 3);
                net.enable(&name, !cut);
                end
            })
            .collect();
        let stats = stats.clone();
        Node::new(&format!("pinger{i}")).spawn(async move {
            loop {
                for end in &ends {
                    let (end, stats) = (end.clone(), stats.clone());
                    // Calls run concurrently: one to an unreachable peer can take a while to fail.
                    labrpc::spawn(async move {
                        stats.sent.fetch_add(1, Ordering::Relaxed);
                        if end.call::<_, String>("Node.Ping", &i).await.is_ok() {
                            stats.answered.fetch_add(1, Ordering::Relaxed);
                        }
                    });
                }
                sleep(Duration::from_millis(100)).await;
            }
        });
    }
    sleep(RUN_FOR).await;
    let dispatched: Vec<String> = (0..NODES)
        .map(|i| net.count(&format!("S{i}")).to_string())
        .collect();
    println!(
        "{:<12} {:>6} {:>9} {:>9} {:>10}   {}",
        match mode {
            Mode::Reliable => "reliable",
            Mode::Unreliable => "unreliable",
            Mode::Partitioned => "partitioned",
        },
        net.total_count(),
        stats.answered.load(Ordering::Relaxed),
        net.total_count() - stats.answered.load(Ordering::Relaxed),
        net.total_bytes(),
        dispatched.join(" / ")
    );
}

fn main() {
    println!(
        "{NODES} nodes, each pinging every other node every 100 ms for {} s of virtual time.\n",
        RUN_FOR.as_secs()
    );
    println!(
        "{:<12} {:>6} {:>9} {:>9} {:>10}   handlers run on S0 / S1 / S2 / S3 / S4",
        "network", "RPCs", "answered", "failed", "bytes"
    );
    // Showing how little wall-clock time the virtual seconds take is the example's point.
    #[allow(clippy::disallowed_methods)]
    let wall = WallInstant::now();
    for mode in [Mode::Reliable, Mode::Unreliable, Mode::Partitioned] {
        sim::Builder::new("cluster example")
            .seed(2024)
            .iterations(1)
            .check_determinism(false)
            .run(move || run_cluster(mode));
    }
    println!(
        "\n{} s of virtual time simulated in {:.2} s of wall-clock time (seed 2024: rerun for the same numbers).",
        3 * RUN_FOR.as_secs(),
        wall.elapsed().as_secs_f64()
    );
    println!(
        "Unreliable: about 10% of requests and 10% of replies are lost. Partitioned: calls across the \
         cut fail after up to 100 ms, and no handler runs for them."
    );
}
