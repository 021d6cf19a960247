//! The staleness curve of your store, measured: the chance that a read issued t ms after a
//! write was acknowledged returns that write, for (N, R, W) = (3, 1, 1), (3, 1, 2) and (3, 2, 2),
//! t from 0 to 100 ms, on five nodes whose messages take 1-50 ms each. Bailis et al.'s
//! Probabilistically Bounded Staleness modelled this curve; here every point is counted from
//! runs of your own code. Drawn as an SVG plot.
//!
//! `make staleness` (or `cargo run -p dynamo --release --example staleness -- [--out PATH]
//! [--trials N]`); the plot goes to `target/staleness.svg` unless `--out` says otherwise.

use std::fmt::Write as _;

use dynamo::{Clerk, DynamoNode, Mode, NodeOptions, Options, PARTITIONS, Quorum, Ring};
use labrpc::{Network, sim};
use tests::group::{Group, Replica};
use tokio::time::{Duration, sleep};

struct Node(DynamoNode);

impl Replica for Node {
    fn register(&self, server: &labrpc::Server) {
        server.add_service(dynamo::service(&self.0));
    }

    fn kill(&self) {
        self.0.kill();
    }
}

/// The quorums measured, each one curve.
pub const QUORUMS: [(usize, usize, usize); 3] = [(3, 1, 1), (3, 1, 2), (3, 2, 2)];
/// The delays after the acknowledgement at which reads are issued, in ms.
pub const DELAYS_MS: [u64; 11] = [0, 1, 2, 3, 5, 8, 12, 20, 35, 60, 100];
/// Each message's latency, in ms: a wide-area spread (the tests' 1-10 ms makes the window of
/// staleness a few milliseconds, hidden behind the acknowledgement's own trip to the client).
pub const LATENCY_MS: (u64, u64) = (1, 50);
/// The nodes, and the write-read pairs run at once.
const NODES: usize = 5;
const AT_ONCE: usize = 50;

/// One curve: the quorum, and for each delay of [`DELAYS_MS`] the fraction of reads that saw
/// the write.
pub struct Curve {
    pub quorum: (usize, usize, usize),
    pub fresh: Vec<f64>,
}

/// Measures every curve with `trials` write-read pairs per point, on the simulator from `seed`.
pub fn measure(trials: usize, seed: u64) -> Vec<Curve> {
    let mut curves = Vec::new();
    for quorum in QUORUMS {
        let fresh = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let result = fresh.clone();
        sim::Builder::new("staleness")
            .seed(seed)
            .iterations(1)
            .check_determinism(false)
            .time_limit(Duration::from_secs(24 * 3600))
            .run(move || {
                let fresh = result.clone();
                async move {
                    let points = curve(quorum, trials).await;
                    *fresh.lock().unwrap() = points;
                }
            });
        let fresh = fresh.lock().unwrap().clone();
        curves.push(Curve { quorum, fresh });
    }
    curves
}

/// One curve, in one simulated run.
async fn curve((n, r, w): (usize, usize, usize), trials: usize) -> Vec<f64> {
    let net = Network::new();
    net.set_latency(LATENCY_MS.0, LATENCY_MS.1);
    let ring = Ring::new(&(0..NODES).collect::<Vec<_>>(), PARTITIONS);
    let group = Group::new(&net, "", NODES, move |ends, me, p| {
        Node(DynamoNode::new(
            ends,
            me,
            p,
            ring.clone(),
            NodeOptions::default(),
        ))
    });
    let options = Options::new(Quorum::new(n, r, w).expect("a valid quorum"), Mode::Quorum)
        .expect("valid options");
    let mut fresh = Vec::new();
    for &delay in &DELAYS_MS {
        let mut seen = 0;
        for batch in 0..trials.div_ceil(AT_ONCE) {
            let pairs: Vec<_> = (0..AT_ONCE.min(trials - batch * AT_ONCE))
                .map(|i| {
                    // Writer and reader through two different nodes, chosen by the seed.
                    let a = labrpc::rand::random_range(0..NODES);
                    let b = (a + labrpc::rand::random_range(1..NODES)) % NODES;
                    let mut writer = Clerk::new(vec![group.make_end(a)], options);
                    let mut reader = Clerk::new(vec![group.make_end(b)], options);
                    let key = format!("d{delay}-b{batch}-{i}");
                    labrpc::spawn(async move {
                        writer.put(&key, "new").await.ok()?;
                        sleep(Duration::from_millis(delay)).await;
                        Some(reader.get(&key).await.ok()? == "new")
                    })
                })
                .collect();
            for pair in pairs {
                if pair.await.ok().flatten() == Some(true) {
                    seen += 1;
                }
            }
        }
        fresh.push(f64::from(seen) / trials as f64);
    }
    fresh
}

/// The curves as a self-contained SVG plot: one `polyline` of class `curve` per quorum.
pub fn svg(curves: &[Curve], trials: usize) -> String {
    let (width, height, left, top, right, bottom) = (720.0, 440.0, 70.0, 40.0, 180.0, 60.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let max_ms = *DELAYS_MS.last().expect("delays") as f64;
    let x = |ms: f64| left + plot_w * ms / max_ms;
    // The axis starts at the tenth below the lowest point, so that the curves' shapes show.
    let lowest = (curves.iter())
        .flat_map(|c| c.fresh.iter().copied())
        .fold(1.0, f64::min);
    let floor = ((lowest * 10.0).floor() / 10.0).min(0.9);
    let y = |p: f64| top + plot_h * (1.0 - (p - floor) / (1.0 - floor));
    let colours = ["#d62728", "#ff7f0e", "#1f77b4"];
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"12\"><rect width=\"100%\" height=\"100%\" \
         fill=\"white\"/><text x=\"{left}\" y=\"24\" font-size=\"15\">Chance that a read t ms \
         after a write's acknowledgement sees it ({trials} pairs per point)</text>"
    );
    for tick in (0..=4).map(|k| floor + (1.0 - floor) * f64::from(k) / 4.0) {
        let (right_end, at, label_x) = (left + plot_w, y(tick), left - 8.0);
        let _ = write!(
            out,
            "<line x1=\"{left}\" x2=\"{right_end}\" y1=\"{at}\" y2=\"{at}\" stroke=\"#ddd\"/>\
             <text x=\"{label_x}\" y=\"{}\" text-anchor=\"end\">{tick:.3}</text>",
            at + 4.0
        );
    }
    for ms in [0.0, 20.0, 40.0, 60.0, 80.0, 100.0] {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{ms}</text>",
            x(ms),
            top + plot_h + 18.0
        );
    }
    let _ = write!(
        out,
        "<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{0}\" stroke=\"black\"/><line \
         x1=\"{left}\" x2=\"{1}\" y1=\"{0}\" y2=\"{0}\" stroke=\"black\"/><text x=\"{2}\" \
         y=\"{3}\" text-anchor=\"middle\">t: ms after the write was acknowledged</text><text \
         transform=\"translate(20 {4}) rotate(-90)\" text-anchor=\"middle\">P(read returns the \
         write)</text>",
        top + plot_h,
        left + plot_w,
        left + plot_w / 2.0,
        height - 16.0,
        top + plot_h / 2.0
    );
    for (i, curve) in curves.iter().enumerate() {
        let points: Vec<String> = (DELAYS_MS.iter().zip(&curve.fresh))
            .map(|(&ms, &p)| format!("{:.1},{:.1}", x(ms as f64), y(p)))
            .collect();
        let (n, r, w) = curve.quorum;
        let colour = colours[i % colours.len()];
        // Later curves dashed: strict quorums lie on top of each other at 1.
        let dash = ["none", "8 4", "2 4"][i % 3];
        let _ = write!(
            out,
            "<polyline class=\"curve\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.5\" \
             stroke-dasharray=\"{dash}\" points=\"{}\"/><rect x=\"{}\" y=\"{}\" width=\"14\" height=\"4\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"{}\">N={n} R={r} W={w}</text>",
            points.join(" "),
            left + plot_w + 16.0,
            top + 20.0 + 22.0 * i as f64,
            left + plot_w + 36.0,
            top + 25.0 + 22.0 * i as f64
        );
    }
    out.push_str("</svg>\n");
    out
}

/// The figures as a table, for the terminal and docs/PERFORMANCE.md.
pub fn table(curves: &[Curve]) -> String {
    let mut out = String::from("t (ms)");
    for curve in curves {
        let (n, r, w) = curve.quorum;
        let _ = write!(out, "  ({n},{r},{w})");
    }
    for (k, ms) in DELAYS_MS.iter().enumerate() {
        let _ = write!(out, "\n{ms:>6}");
        for curve in curves {
            let _ = write!(out, "  {:>7.3}", curve.fresh[k]);
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value_of = |flag: &str| {
        let at = args.iter().position(|a| a == flag)?;
        let value = args.get(at + 1);
        Some(
            value
                .unwrap_or_else(|| panic!("{flag} needs a value"))
                .clone(),
        )
    };
    let out = value_of("--out").unwrap_or_else(|| "target/staleness.svg".to_string());
    let trials: usize = value_of("--trials").map_or(500, |t| {
        t.parse().ok().filter(|&t| t > 0).unwrap_or_else(|| {
            eprintln!("staleness: --trials takes a whole number above 0, not {t:?}");
            std::process::exit(2)
        })
    });
    let curves = measure(trials, 1);
    println!("{}", table(&curves));
    if let Some(dir) = std::path::Path::new(&out)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).expect("create the plot's directory");
    }
    if let Err(e) = std::fs::write(&out, svg(&curves, trials)) {
        eprintln!("staleness: cannot write {out}: {e}");
        std::process::exit(2);
    }
    println!("wrote {out}");
}
