//! Simulator throughput: simulated RPCs per wall-clock second, and the codec's cost per call.
//!
//! `cargo bench -p labrpc` (figures recorded in docs/PERFORMANCE.md).

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use labrpc::{Network, Node, Server, Service, codec, sim};
use serde::{Deserialize, Serialize};

/// Shaped like a Raft heartbeat: a few integers.
#[derive(Serialize, Deserialize, Clone)]
struct Ping {
    term: u64,
    leader: u64,
    prev_index: u64,
    prev_term: u64,
    commit: u64,
}

#[derive(Serialize, Deserialize)]
struct Pong {
    term: u64,
    success: bool,
}

/// How the nodes of a benchmark call each other.
#[derive(Clone, Copy)]
enum Pattern {
    /// Each node calls its peers one after another, waiting for each reply.
    InTurn,
    /// Each node calls all its peers at once and waits for every reply, then again: the traffic of
    /// a Raft leader replicating to its followers, from every node.
    AllAtOnce,
}

/// `n` nodes, each with a server and an end to every other; every node's task calls its peers
/// in the given pattern until `calls` RPCs have completed in total. Returns the wall time the
/// calls took.
fn cluster_calls(n: usize, pattern: Pattern, calls: u64) -> Duration {
    let wall = Rc::new(Cell::new(Duration::ZERO));
    sim::Builder::new("bench")
        .seed(1)
        .iterations(1)
        // Every message takes a few milliseconds of virtual time: a long run needs a long limit.
        .time_limit(Duration::from_secs(1 << 30))
        .check_determinism(false)
        .try_run(|| {
            let wall = wall.clone();
            async move {
                let net = Network::new();
                let nodes: Vec<Node> = (0..n).map(|i| Node::new(&format!("S{i}"))).collect();
                for (i, node) in nodes.iter().enumerate() {
                    let server = node.enter(|| {
                        let s = Server::new();
                        s.add_service(Service::new("Raft", ()).handle(
                            "AppendEntries",
                            |_, p: Ping| async move {
                                Pong {
                                    term: p.term,
                                    success: true,
                                }
                            },
                        ));
                        s
                    });
                    net.add_server(&i.to_string(), server);
                }
                // The benchmark measures the simulator's wall-clock speed.
                #[allow(clippy::disallowed_methods)]
                let start = Instant::now();
                let per_node = calls / n as u64;
                let tasks: Vec<_> = nodes
                    .iter()
                    .enumerate()
                    .map(|(i, node)| {
                        let ends: Vec<_> = (0..n)
                            .filter(|&j| j != i)
                            .map(|j| {
                                let name = format!("{i}-{j}");
                                let end = net.make_end(&name);
                                net.connect(&name, &j.to_string());
                                net.enable(&name, true);
                                end
                            })
                            .collect();
                        node.spawn(async move {
                            let ping = Ping {
                                term: 3,
                                leader: i as u64,
                                prev_index: 100,
                                prev_term: 2,
                                commit: 99,
                            };
                            let call = |end: &labrpc::ClientEnd| {
                                let (end, ping) = (end.clone(), ping.clone());
                                async move {
                                    let pong: Pong =
                                        end.call("Raft.AppendEntries", &ping).await.unwrap();
                                    black_box(pong.success);
                                }
                            };
                            let rounds = per_node / ends.len() as u64;
                            for _ in 0..rounds {
                                match pattern {
                                    Pattern::InTurn => {
                                        for end in &ends {
                                            call(end).await;
                                        }
                                    }
                                    Pattern::AllAtOnce => {
                                        futures::future::join_all(ends.iter().map(call)).await;
                                    }
                                }
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
                wall.set(start.elapsed());
            }
        })
        .unwrap();
    wall.get()
}

fn rpc_throughput(c: &mut Criterion) {
    let mut g = c.benchmark_group("simulated_rpc");
    g.throughput(Throughput::Elements(1));
    // Only whole rounds run: measure a multiple of one round's calls and scale the time back.
    let per_call = |n: usize, pattern: Pattern, iters: u64| {
        let round = (n * (n - 1)) as u64;
        let calls = iters.max(round).next_multiple_of(round);
        cluster_calls(n, pattern, calls).mul_f64(iters as f64 / calls as f64)
    };
    g.bench_function("reliable_3_nodes_small_args", |b| {
        b.iter_custom(|iters| per_call(3, Pattern::InTurn, iters))
    });
    g.bench_function("reliable_5_nodes_all_at_once", |b| {
        b.iter_custom(|iters| per_call(5, Pattern::AllAtOnce, iters))
    });
    g.finish();
}

fn codec_cost(c: &mut Criterion) {
    let ping = Ping {
        term: 3,
        leader: 1,
        prev_index: 100,
        prev_term: 2,
        commit: 99,
    };
    let mut g = c.benchmark_group("codec");
    g.throughput(Throughput::Elements(1));
    g.bench_function("encode_decode_args_and_reply", |b| {
        b.iter(|| {
            let args = codec::encode(black_box(&ping)).unwrap();
            let p: Ping = codec::decode(&args).unwrap();
            let reply = codec::encode(&Pong {
                term: p.term,
                success: true,
            })
            .unwrap();
            black_box(codec::decode::<Pong>(&reply).unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, rpc_throughput, codec_cost);
criterion_main!(benches);
