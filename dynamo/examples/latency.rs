//! Operation latency of the reference in virtual time, per mode: five nodes on the simulated
//! network at Lab 6's 1-10 ms per message, one clerk at a time doing puts and gets of 100 keys.
//! Prints the median and the 99.9th percentile of each, next to Dynamo's service target (300 ms
//! at the 99.9th percentile).
//!
//! `cargo run -p dynamo --release --example latency`

use dynamo::{Clerk, DynamoNode, Mode, NodeOptions, Options, PARTITIONS, Ring};
use labrpc::{Network, sim};
use tests::group::{Group, Replica};
use tokio::time::{Duration, Instant};

struct Node(DynamoNode);

impl Replica for Node {
    fn register(&self, server: &labrpc::Server) {
        server.add_service(dynamo::service(&self.0));
    }

    fn kill(&self) {
        self.0.kill();
    }
}

const OPS: usize = 5000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    println!("{OPS} puts and {OPS} gets per mode, (N, R, W) = (3, 2, 2), 1-10 ms per message");
    println!(
        "{:<14} {:>12} {:>14} {:>12} {:>14}",
        "mode", "put median", "put 99.9%", "get median", "get 99.9%"
    );
    for mode in [Mode::Linearizable, Mode::Quorum, Mode::Sloppy] {
        sim::Builder::new("latency")
            .seed(1)
            .iterations(1)
            .check_determinism(false)
            .time_limit(Duration::from_secs(3600))
            .run(|| async move {
                let net = Network::new();
                net.set_latency(1, 10);
                let ring = Ring::new(&[0, 1, 2, 3, 4], PARTITIONS);
                let group = Group::new(&net, "", 5, move |ends, me, p| {
                    Node(DynamoNode::new(
                        ends,
                        me,
                        p,
                        ring.clone(),
                        NodeOptions::default(),
                    ))
                });
                let ends = (0..5).map(|i| group.make_end(i)).collect();
                let mut ck = Clerk::new(ends, Options::default_in(mode));
                let (mut puts, mut gets) = (Vec::new(), Vec::new());
                for i in 0..OPS {
                    let key = format!("k{}", i % 100);
                    let t = Instant::now();
                    ck.put(&key, &i.to_string()).await.expect("a put");
                    puts.push(t.elapsed());
                    let t = Instant::now();
                    ck.get(&key).await.expect("a get");
                    gets.push(t.elapsed());
                }
                puts.sort();
                gets.sort();
                let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
                println!(
                    "{:<14} {:>12} {:>14} {:>12} {:>14}",
                    format!("{mode:?}"),
                    ms(percentile(&puts, 0.5)),
                    ms(percentile(&puts, 0.999)),
                    ms(percentile(&gets, 0.5)),
                    ms(percentile(&gets, 0.999))
                );
            });
    }
    println!("Dynamo's service target: 300 ms at the 99.9th percentile");
}
