//! The staleness plot (`make staleness`) opened in headless Chromium: a plot with three curves,
//! one per quorum, each through every measured delay. Needs Debian's `chromium` (.ci/run
//! installs it); without it the test says it is skipped.

use std::path::Path;
use std::process::Command;

// The example's measurement and drawing, as the course command runs them.
#[allow(dead_code)]
#[path = "../examples/staleness.rs"]
mod staleness;

/// Headless Chromium with the flags this machine's closed network needs, on a fresh profile.
fn chromium(profile: &Path, args: &[String]) -> Option<std::process::Output> {
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .ok()
}

#[test]
fn staleness_plot_in_chromium() {
    if Command::new("chromium").arg("--version").output().is_err() {
        eprintln!("skipped: chromium is not installed (.ci/run installs Debian's chromium)");
        return;
    }
    let trials = 40;
    let curves = staleness::measure(trials, 1);
    assert_eq!(curves.len(), 3);
    for curve in &curves {
        assert!(curve.fresh.iter().all(|p| (0.0..=1.0).contains(p)));
        // Strict quorums (R + W > N) never read a stale value once the write is acknowledged.
        if curve.quorum.1 + curve.quorum.2 > curve.quorum.0 {
            assert!(curve.fresh.iter().all(|&p| p == 1.0), "{:?}", curve.fresh);
        }
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("staleness-plot");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("staleness.svg");
    std::fs::write(&svg, staleness::svg(&curves, trials)).unwrap();
    let url = format!("file://{}", svg.display());
    let dom = chromium(
        &dir.join("profile-dom"),
        &["--dump-dom".into(), url.clone()],
    )
    .expect("chromium runs");
    let dom = String::from_utf8_lossy(&dom.stdout);
    let curves_drawn = dom.matches("class=\"curve\"").count();
    assert_eq!(curves_drawn, 3, "Chromium's DOM of the plot: {dom}");
    for line in dom.split("<polyline").skip(1) {
        let points = line
            .split("points=\"")
            .nth(1)
            .and_then(|p| p.split('"').next());
        let count = points.map_or(0, |p| p.split_whitespace().count());
        assert_eq!(
            count,
            staleness::DELAYS_MS.len(),
            "a curve's points: {points:?}"
        );
    }
    let png = dir.join("staleness.png");
    let shot = format!("--screenshot={}", png.display());
    chromium(
        &dir.join("profile-shot"),
        &[shot, "--window-size=720,440".into(), url],
    )
    .expect("chromium runs");
    let bytes = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(
        bytes > 5_000,
        "the screenshot of the plot is {bytes} bytes: blank?"
    );
}
