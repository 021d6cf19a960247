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

/// Three nodes, each with a server and an end to both others; every node's task calls its peers
/// in turn until `calls` RPCs have completed in total. Returns the wall time the calls took.
fn three_node_calls(calls: u64) -> Duration {
    let wall = Rc::new(Cell::new(Duration::ZERO));
    sim::Builder::new("bench")
        .seed(1)
        .iterations(1)
        .check_determinism(false)
        .try_run(|| {
            let wall = wall.clone();
            async move {
                let net = Network::new();
                let nodes: Vec<Node> = (0..3).map(|i| Node::new(&format!("S{i}"))).collect();
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
                let start = Instant::now();
                let tasks: Vec<_> = nodes
                    .iter()
                    .enumerate()
                    .map(|(i, node)| {
                        let ends: Vec<_> = (0..3)
                            .filter(|&j| j != i)
                            .map(|j| {
                                let name = format!("{i}-{j}");
                                let end = net.make_end(&name);
                                net.connect(&name, &j.to_string());
                                net.enable(&name, true);
                                end
                            })
                            .collect();
                        let share = calls / 3 + u64::from((i as u64) < calls % 3);
                        node.spawn(async move {
                            let ping = Ping {
                                term: 3,
                                leader: i as u64,
                                prev_index: 100,
                                prev_term: 2,
                                commit: 99,
                            };
                            for k in 0..share {
                                let end = &ends[k as usize % 2];
                                let pong: Pong =
                                    end.call("Raft.AppendEntries", &ping).await.unwrap();
                                black_box(pong.success);
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
    g.bench_function("reliable_3_nodes_small_args", |b| {
        b.iter_custom(three_node_calls)
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
