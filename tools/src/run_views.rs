//! Run views in a real browser: what the browser tests check on a page, how long a page takes to
//! open and to redraw after a zoom, and the views of curated bugs that the docs show.
//!
//! A view is checked as a person would look at it: it opens without a script error, it has one
//! lane per server, each lost RPC of the run is drawn with a lost mark where the page says it is,
//! "Jump to failure" brings the failure marker into view, and its screenshot is not blank.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use serde_json::Value;

use crate::browser::Browser;
use crate::{bugs, runner};

/// The page size the checks and the docs' screenshots use.
pub const WIDTH: u32 = 1400;
pub const HEIGHT: u32 = 900;

/// How long a page may take to become ready before the check gives up (not a speed target:
/// those are measured by [`measure`] and recorded in docs/PERFORMANCE.md).
const READY: Duration = Duration::from_secs(60);

/// What a check of a view found.
#[derive(Debug)]
pub struct Checked {
    pub servers: Vec<String>,
    pub lost_checked: usize,
    pub failed: bool,
}

/// Opens a view and waits until it has drawn.
pub fn open(browser: &mut Browser, view: &Path, fragment: &str) -> anyhow::Result<()> {
    browser.open_file(view, fragment)?;
    browser.wait_until("window.runView && window.runView.ready", READY)
}

/// The servers of the run a view shows, from its data, in the page's lane order.
pub fn servers_of(browser: &mut Browser, view: &Path) -> anyhow::Result<Vec<String>> {
    open(browser, view, "")?;
    let recorded = strings(&browser.eval(
        "JSON.parse(document.getElementById('data').textContent).lanes\
         .filter(l => l[1] === 'server').map(l => l[0])",
    )?);
    let mut shown = strings(&browser.eval("runView.servers()")?);
    let mut sorted = recorded.clone();
    sorted.sort();
    let order = shown.clone();
    shown.sort();
    ensure!(
        sorted == shown,
        "{}: the run has the servers {recorded:?} but the page draws {order:?}",
        view.display()
    );
    Ok(order)
}

/// Whether the run a view shows failed.
pub fn failed(browser: &mut Browser, view: &Path) -> anyhow::Result<bool> {
    open(browser, view, "")?;
    Ok(browser.eval("runView.failed")? == Value::Bool(true))
}

fn strings(value: &Value) -> Vec<String> {
    (value.as_array().into_iter().flatten())
        .filter_map(|v| v.as_str().map(String::from))
        .collect()
}

/// Checks the view at `view`, expecting the servers `servers` (in order) and, if `failed`, a
/// failure marker.
pub fn check_view(
    browser: &mut Browser,
    view: &Path,
    servers: &[&str],
    failed: bool,
) -> anyhow::Result<Checked> {
    open(browser, view, "")?;
    let shown = strings(&browser.eval("runView.servers()")?);
    ensure!(
        shown == servers,
        "{}: the lanes of servers are {shown:?}, expected {servers:?}",
        view.display()
    );
    let labels = strings(
        &browser
            .eval("[...document.querySelectorAll('.label.server')].map(e => e.dataset.lane)")?,
    );
    ensure!(
        labels == servers,
        "{}: the page labels server lanes {labels:?}, expected {servers:?}",
        view.display()
    );
    let lost_checked = check_lost_rpcs(browser, view)?;
    if failed {
        check_failure_marker(browser, view)?;
    }
    check_not_blank(browser, view)?;
    let errors = browser.errors();
    ensure!(
        errors.is_empty(),
        "{}: the page reported errors: {errors:?}",
        view.display()
    );
    Ok(Checked {
        servers: shown,
        lost_checked,
        failed,
    })
}

/// Zooms onto each of (up to 20 of) the run's lost RPCs and checks that the page draws its mark
/// there in red and that clicking it selects that RPC as lost.
fn check_lost_rpcs(browser: &mut Browser, view: &Path) -> anyhow::Result<usize> {
    let lost = browser.eval("runView.rpcs(r => r.fate >= 2).slice(0, 20)")?;
    let lost: Vec<u64> = (lost.as_array().into_iter().flatten())
        .filter_map(Value::as_u64)
        .collect();
    for &i in &lost {
        let at = browser.eval(&format!(
            "(() => {{ const r = runView.rpc({i}); runView.setWindow(r.sent - 5000, r.ended + 5000); \
             return new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => \
             done(runView.locate({i}))))); }})()"
        ))?;
        let (Some(x), Some(y)) = (at["x"].as_f64(), at["y"].as_f64()) else {
            bail!(
                "{}: lost RPC {i} is not on screen after zooming onto it",
                view.display()
            );
        };
        let red = browser.eval(&format!(
            "(() => {{ const c = document.getElementById('canvas'), b = c.getBoundingClientRect(), \
             k = c.width / b.width; const d = c.getContext('2d').getImageData(Math.round(({x} - \
             b.left) * k) - 4, Math.round(({y} - b.top) * k) - 4, 9, 9).data; let n = 0; \
             for (let p = 0; p < d.length; p += 4) if (d[p] > 150 && d[p + 1] < 90 && d[p + 2] < 90) n++; \
             return n; }})()"
        ))?;
        ensure!(
            red.as_u64().unwrap_or(0) >= 3,
            "{}: lost RPC {i} ({}) has no red mark where it ends",
            view.display(),
            browser.eval(&format!("JSON.stringify(runView.rpc({i}))"))?
        );
        browser.click(x, y)?;
        let picked = browser.eval("document.getElementById('details').textContent")?;
        let picked = picked.as_str().unwrap_or("");
        let method = browser.eval(&format!("runView.rpc({i}).method"))?;
        let method = method.as_str().unwrap_or("?");
        ensure!(
            picked.contains(method)
                && ["lost", "unreachable", "no reply"]
                    .iter()
                    .any(|w| picked.contains(w)),
            "{}: clicking lost RPC {i}'s mark shows `{picked}`",
            view.display()
        );
    }
    Ok(lost.len())
}

/// Clicks "Jump to failure" and checks that the failure marker is then in view, drawn in red.
fn check_failure_marker(browser: &mut Browser, view: &Path) -> anyhow::Result<()> {
    browser.eval("runView.setWindow(0, 1)")?;
    browser.click_element("#jump-to-failure")?;
    let at = browser.eval(
        "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => \
         done(runView.failureOnScreen()))))",
    )?;
    let (Some(x), Some(y)) = (at["x"].as_f64(), at["y"].as_f64()) else {
        bail!(
            "{}: the failure marker is not in view after clicking Jump to failure",
            view.display()
        );
    };
    let inside = browser.eval(&format!(
        "(() => {{ const e = document.elementFromPoint({x}, {y}); return !!e && e.id === 'canvas'; }})()"
    ))?;
    ensure!(
        inside == Value::Bool(true),
        "{}: the failure marker at ({x:.0}, {y:.0}) is hidden by something else",
        view.display()
    );
    let details = browser.eval("document.getElementById('details').textContent")?;
    ensure!(
        details.as_str().is_some_and(|d| d.starts_with("Failed at")),
        "{}: after Jump to failure the details show {details}",
        view.display()
    );
    Ok(())
}

/// Takes a screenshot and counts its colours in the browser itself (which decodes the PNG): a
/// blank or single-colour page fails.
fn check_not_blank(browser: &mut Browser, view: &Path) -> anyhow::Result<()> {
    let png = browser.screenshot()?;
    let colours = count_colours(browser, &png)?;
    ensure!(
        colours >= 8,
        "{}: the screenshot has {colours} colours: the page looks blank",
        view.display()
    );
    Ok(())
}

/// The number of distinct colours of a PNG, counted by the page's own image decoder.
pub fn count_colours(browser: &mut Browser, png: &[u8]) -> anyhow::Result<u64> {
    let data = crate::browser::base64_encode(png);
    let n = browser.eval(&format!(
        "new Promise((done, fail) => {{ const img = new Image(); img.onerror = () => fail('not an image'); \
         img.onload = () => {{ const c = document.createElement('canvas'); c.width = img.width; \
         c.height = img.height; const g = c.getContext('2d'); g.drawImage(img, 0, 0); \
         const d = g.getImageData(0, 0, c.width, c.height).data; const seen = new Set(); \
         for (let p = 0; p < d.length && seen.size < 10000; p += 4 * 7) seen.add((d[p] << 16) | (d[p + 1] << 8) | d[p + 2]); \
         done(seen.size); }}; img.src = 'data:image/png;base64,{data}'; }})"
    ))?;
    n.as_u64().context("no colour count")
}

/// How a view fares in the browser.
#[derive(Debug)]
pub struct Measurement {
    pub bytes: u64,
    /// RPCs, log lines, state changes, machine events, notes, operations and partition changes
    /// the page draws.
    pub events: u64,
    /// Everything the run recorded, drawn or summarized.
    pub recorded: u64,
    /// From the start of navigation until the first frame is drawn.
    pub load_ms: f64,
    /// The slowest of several zooms in and out, from the change until the new frame is shown.
    pub zoom_ms: f64,
    /// When the page's script started, parsed its data, had it sorted by lane, and drew its
    /// first frame (ms after navigation).
    pub phases: Vec<f64>,
}

/// Opens `view` in `browser` and times it.
pub fn measure(browser: &mut Browser, view: &Path) -> anyhow::Result<Measurement> {
    let bytes = std::fs::metadata(view)?.len();
    open(browser, view, "")?;
    let load_ms = browser.eval("runView.loadMs")?.as_f64().unwrap_or(f64::NAN);
    let events = browser.eval("runView.events")?.as_u64().unwrap_or(0);
    let recorded = browser
        .eval("runView.recordedEvents")?
        .as_u64()
        .unwrap_or(0);
    // A frame is on screen two animation frames after the change: the first runs the page's
    // drawing, the browser rasterizes and presents it before the second.
    let zoom = browser.eval(
        "(async () => { const [a, b] = runView.window(); let worst = 0; \
         const frame = () => new Promise(done => requestAnimationFrame(() => done())); \
         for (const [x, y] of [[a, b], [a + (b - a) * 0.4, a + (b - a) * 0.6], [a, b], \
           [a + (b - a) * 0.45, a + (b - a) * 0.5], [a, b]]) { const t = performance.now(); \
           runView.setWindow(x, y); await frame(); await frame(); \
           worst = Math.max(worst, performance.now() - t); } return worst; })()",
    )?;
    let phases = browser.eval("runView.phases")?;
    Ok(Measurement {
        bytes,
        events,
        recorded,
        load_ms,
        zoom_ms: zoom.as_f64().unwrap_or(f64::NAN),
        phases: (phases.as_array().into_iter().flatten())
            .filter_map(Value::as_f64)
            .collect(),
    })
}

/// Writes a screenshot of `view`, after `Jump to failure` when the run failed, to `png`.
pub fn screenshot(browser: &mut Browser, view: &Path, png: &Path) -> anyhow::Result<()> {
    open(browser, view, "")?;
    if browser.eval("runView.failed")? == Value::Bool(true) {
        browser.click_element("#jump-to-failure")?;
        browser.eval(
            "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))",
        )?;
        browser.eval("window.scrollTo(0, 0)")?;
    }
    let shot = browser.screenshot()?;
    std::fs::write(png, shot).with_context(|| format!("cannot write {}", png.display()))
}

/// The curated bugs whose failing runs the docs show: the lab's crate, the bug (a file under
/// `suite-check/<crate>/`), the graded test that catches it, and the screenshot's file name.
/// Each is chosen to show its failure at a glance.
pub const CURATED: &[(&str, &str, &str, &str)] = &[
    (
        "raft",
        "fixed_election_timeout",
        "initial_election_3a",
        "run-view-raft.png",
    ),
    (
        "kvraft",
        "get_from_local_state",
        "one_partition_4a",
        "run-view-kvraft.png",
    ),
    (
        "shardkv",
        "serve_unowned_shard",
        "rejection_5a",
        "run-view-shardkv.png",
    ),
    (
        "dynamo",
        "hints_never_handed_off",
        "hinted_handoff_6b",
        "run-view-dynamo.png",
    ),
];

/// The seeds tried, in order, for a curated bug's first failing run.
const SEEDS: std::ops::RangeInclusive<u64> = 1..=20;

/// A curated bug's failing run, drawn.
pub struct Shot {
    pub bug: String,
    pub test: String,
    pub seed: u64,
    pub view: PathBuf,
    /// The screenshot's file name.
    pub png: String,
}

/// Records the views of the [`CURATED`] bugs' failing runs into `views`: each bug is applied to a
/// copy of the project at `root` (`target/run-view-bugs`, built in `target/copies` like the suite
/// check's), and its test runs on the first seed of [`SEEDS`] that fails, with `LAB_VIEW=1`.
pub fn curated(root: &Path, views: &Path) -> anyhow::Result<Vec<Shot>> {
    let copy = root.join("target/run-view-bugs");
    std::fs::create_dir_all(&copy)?;
    // Two of these at once would write one copy; the second waits.
    let lock = std::fs::File::create(root.join("target/run-view-bugs.lock"))?;
    lock.lock()
        .context("cannot lock target/run-view-bugs.lock")?;
    let claim = runner::CopiesClaim::new(root, &copy)?;
    std::fs::create_dir_all(views)?;
    let mut shots = Vec::new();
    for &(krate, bug, test, png) in CURATED {
        let file = root.join(bugs::DIR).join(krate).join(format!("{bug}.toml"));
        bugs::copy_with_bug(root, &copy, &file, &bugs::read_bug(&file)?)?;
        let cases = runner::build_and_list(&copy, Some(claim.dir()), krate, true)
            .with_context(|| format!("building {krate} with the bug {bug}"))?;
        let case = runner::find(&cases, krate, test)?;
        let env = vec![
            (labrpc::view::ENV.to_string(), "1".to_string()),
            (
                labrpc::view::DIR_ENV.to_string(),
                views.display().to_string(),
            ),
        ];
        let policy = runner::Policy {
            timeout: Duration::from_secs(300),
            seeded: true,
            env,
            ..Default::default()
        };
        let failing = SEEDS.clone().find(|&seed| {
            let outcome = runner::run_one(&runner::RunSpec {
                case: case.clone(),
                seed: Some(seed),
                policy: policy.clone(),
            });
            outcome.started && !outcome.passed && !outcome.timed_out
        });
        let Some(seed) = failing else {
            bail!(
                "the curated bug {krate}/{bug} no longer fails {test} on seeds {SEEDS:?}: choose \
                 another test for it in run_views::CURATED (make check-suite ONLY={bug} says \
                 which tests catch it)"
            );
        };
        let name = labrpc::view::file_name(Some(krate), &case.full_name, seed);
        shots.push(Shot {
            bug: format!("{krate}/{bug}"),
            test: test.to_string(),
            seed,
            view: views.join(name),
            png: png.to_string(),
        });
    }
    Ok(shots)
}
