//! Run views and the linearizability timeline, opened in headless Chromium and checked as a
//! person would look at them (see `tools::run_views`). Every test here needs the browser, says so
//! in its name, and is skipped with a message only when no Chromium is installed (`.ci/run`
//! installs Debian's `chromium`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use labrpc::view::Mode;
use labrpc::{ClientEnd, Network, Persister, Server, Service, sim};
use serde_json::Value;
use tests::group::{Group, Replica};
use tests::kvtest::KvLog;
use tokio::time::{Duration, sleep};
use tools::browser::{self, Browser};
use tools::run_views::{self, HEIGHT, WIDTH};

/// The browser, or `None` (having said why the test is skipped) when Chromium is not installed.
fn browser() -> Option<Browser> {
    let Some(chromium) = browser::executable() else {
        eprintln!(
            "skipped: this test needs Chromium, and none is installed (Debian: apt-get install \
             chromium; .ci/run installs it; CHROMIUM=<path> names another)"
        );
        return None;
    };
    Some(Browser::launch(&chromium, WIDTH, HEIGHT).expect("headless Chromium starts"))
}

/// A server of the scenario: it answers pings, shows how many it answered, and keeps its ends
/// to the others.
struct Pinged {
    ends: Vec<ClientEnd>,
}

impl Replica for Pinged {
    fn register(&self, server: &Server) {
        let count = Arc::new(AtomicU64::new(0));
        server.add_service(Service::new("Ping", count).handle(
            "Ping",
            |count, n: u64| async move {
                let answered = count.fetch_add(1, Ordering::SeqCst) + 1;
                labrpc::state!(PING, "answered {answered}");
                n
            },
        ));
    }

    fn kill(&self) {}
}

/// Server `from` pings server `to` over its own end, as its own task.
async fn ping(group: &Group<Pinged>, from: usize, to: usize, n: u64) -> Option<u64> {
    let call = group.on_server(from, |p| {
        let end = p.ends[to].clone();
        labrpc::spawn(async move { end.call::<_, u64>("Ping.Ping", &n).await })
    });
    call.expect("the server runs").await.unwrap().ok()
}

/// The known scenario: S0 pings S1 (answered), S1 is cut off and S0's next ping cannot reach it,
/// S2 crashes and restarts, and then a check fails.
async fn scenario() {
    let net = Network::new();
    let group = Group::new(&net, "", 3, |ends, _, _: Persister| Pinged { ends });
    assert_eq!(ping(&group, 0, 1, 1).await, Some(1));
    sleep(Duration::from_millis(200)).await;
    group.disconnect(1, &group.all());
    assert_eq!(ping(&group, 0, 1, 2).await, None, "S1 is cut off");
    group.shutdown_server(2);
    sleep(Duration::from_millis(300)).await;
    group.start_server(2);
    group.connect_all();
    assert_eq!(ping(&group, 2, 0, 3).await, Some(3));
    sleep(Duration::from_millis(500)).await;
    panic!("the scenario's check fails here on purpose");
}

/// A directory of this test binary's own under `target/`, emptied.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn browser_run_view_of_a_known_scenario() {
    let Some(mut browser) = browser() else {
        return;
    };
    let failure = sim::Builder::new("browser_scenario")
        .seed(11)
        .iterations(1)
        .check_determinism(false)
        .view(Mode::OnFailure)
        .view_dir(scratch("scenario"))
        .try_run(scenario)
        .expect_err("the scenario fails");
    let view = failure
        .view
        .expect("the failing run was replayed to draw its view")
        .file;
    let checked = run_views::check_view(&mut browser, &view, &["S0", "S1", "S2"], true).unwrap();
    assert!(checked.lost_checked >= 1, "the lost ping was checked");
    // The ping S0 sent to S1 once S1 was cut off is the one the page must draw as lost.
    let lost = browser
        .eval(
            "(() => { const lanes = JSON.parse(document.getElementById('data').textContent).lanes; \
             return runView.rpcs().map(runView.rpc).filter(r => r.method === 'Ping.Ping' && r.lost) \
             .map(r => [lanes[r.from][0], lanes[r.to][0], r.fate]); })()",
        )
        .unwrap();
    let lost: Vec<(String, String, String)> = serde_json::from_value(lost).unwrap();
    assert_eq!(lost.len(), 1, "exactly one ping is lost: {lost:?}");
    let (from, to, fate) = &lost[0];
    assert_eq!((from.as_str(), to.as_str()), ("S0", "S1"));
    assert!(fate.starts_with("unreachable"), "{fate}");
    let crashes = browser
        .eval("JSON.parse(document.getElementById('data').textContent).machines.filter((v, i) => i % 4 === 2 && v === 1).length")
        .unwrap();
    assert_eq!(crashes, Value::from(1), "one crash drawn");
}

/// A history that is not linearizable: client 1 reads nothing after client 0's put returned.
async fn stale_read() {
    let log = KvLog::new();
    log.put(0, "k", "a", sleep(Duration::from_millis(10))).await;
    sleep(Duration::from_millis(5)).await;
    let read = async {
        sleep(Duration::from_millis(10)).await;
        String::new()
    };
    log.get(1, "k", read).await;
    log.check("browser_timeline");
}

#[test]
fn browser_linearizability_timeline_and_run_view_link_to_each_other() {
    let Some(mut browser) = browser() else {
        return;
    };
    let failure = sim::Builder::new("browser_timeline")
        .seed(3)
        .iterations(1)
        .check_determinism(false)
        .view(Mode::Always)
        .view_dir(scratch("timeline"))
        .try_run(stale_read)
        .expect_err("the history is not linearizable");
    let view = failure.view.expect("a view").file;
    let timeline = failure
        .message
        .split("Timeline: ")
        .nth(1)
        .map(|p| PathBuf::from(p.trim()))
        .expect("the failure names its timeline");

    browser.open_file(&timeline, "").unwrap();
    let link = browser
        .eval("document.getElementById('run-view-link').href")
        .unwrap();
    assert_eq!(
        link.as_str(),
        Some(format!("file://{}", view.display()).as_str()),
        "the timeline links to the run's view"
    );
    // Client 1's read, clicked, opens the view at the moment it was called.
    browser.follow("rect.bar[data-client='1']").unwrap();
    browser
        .wait_until(
            "window.runView && window.runView.ready",
            Duration::from_secs(60),
        )
        .unwrap();
    let (hash, window) = (
        browser.eval("location.hash").unwrap(),
        browser.eval("runView.window()").unwrap(),
    );
    let at: f64 = hash
        .as_str()
        .unwrap()
        .trim_start_matches("#t=")
        .parse()
        .unwrap();
    let (t0, t1) = (window[0].as_f64().unwrap(), window[1].as_f64().unwrap());
    assert!(
        t0 < at && at < t1,
        "the view shows {t0}..{t1}, not the read at {at}"
    );
    // The view's operation links back to the same operation on the timeline.
    browser
        .eval("runView.select({kind: 'op', index: 1, at: 0})")
        .unwrap();
    browser.follow("a.to-timeline").unwrap();
    let linked = browser
        .eval("(() => { const r = document.querySelector('rect.bar.linked'); return r && [r.dataset.client, Number(r.dataset.t)]; })()")
        .unwrap();
    assert_eq!(
        linked[0],
        Value::from("1"),
        "the timeline shows client 1's read: {linked}"
    );
    assert_eq!(linked[1].as_f64(), Some(at));
    assert!(browser.errors().is_empty(), "{:?}", browser.errors());
    let png = browser.screenshot().unwrap();
    assert!(
        run_views::count_colours(&mut browser, &png).unwrap() >= 8,
        "a blank timeline"
    );
}

/// The views the docs' screenshots are taken of (`run-views shots`): each curated bug's failing
/// run, recorded in a copy of the project with the bug applied.
#[test]
fn browser_views_of_curated_bugs() {
    let Some(mut browser) = browser() else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let shots = run_views::curated(root, &scratch("curated")).unwrap();
    for shot in &shots {
        let expected: Vec<String> = match shot.bug.split('/').next() {
            Some("raft") => (0..3).map(|i| format!("S{i}")).collect(),
            Some("kvraft") => (0..5).map(|i| format!("S{i}")).collect(),
            Some("dynamo") => (0..6).map(|i| format!("S{i}")).collect(),
            _ => [
                "ctlr-",
                "server-100-",
                "server-101-",
                "server-102-",
                "ctlr1-",
            ]
            .iter()
            .flat_map(|g| (0..3).map(move |i| format!("{g}S{i}")))
            .collect(),
        };
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        run_views::check_view(&mut browser, &shot.view, &expected, true)
            .unwrap_or_else(|e| panic!("{}: {e:#}", shot.bug));
        if shot.bug.starts_with("dynamo/") {
            check_lab6_view(&mut browser, &shot.view);
        }
    }
}

/// Lab 6's failing view (hints never handed off) also shows, at the failure, the nodes still
/// owing the copies they kept, and links the convergence check's page.
fn check_lab6_view(browser: &mut Browser, view: &Path) {
    run_views::open(browser, view, "").unwrap();
    browser.click_element("#jump-to-failure").unwrap();
    let details = browser
        .eval("document.getElementById('details').textContent")
        .unwrap();
    let details = details.as_str().unwrap_or("");
    assert!(
        details.contains("State of every server then") && details.contains("DYNAMO owes"),
        "after Jump to failure, no node's state shows the copies it still owes: {details}"
    );
    let links = browser
        .eval("[...document.querySelectorAll('a.attachment')].map(a => a.textContent)")
        .unwrap();
    assert!(
        (links.as_array().into_iter().flatten())
            .any(|l| l.as_str().is_some_and(|l| l.contains("did not converge"))),
        "the view does not link the convergence page: {links}"
    );
}
