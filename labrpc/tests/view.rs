//! Run views: recording changes nothing a run does, a failing run is replayed to draw its view,
//! and `LAB_VIEW`'s modes write what they say.

use std::cell::Cell;
use std::rc::Rc;

use labrpc::view::Mode;
use labrpc::{Network, Node, Server, Service, dlog, sim};
use tokio::time::{Duration, sleep};

/// Three machines calling each other on an unreliable network; one crashes, one is cut off, and
/// every machine annotates its state.
async fn workload() {
    let net = Network::new();
    net.set_reliable(false);
    let nodes: Vec<Node> = (0..3).map(|i| Node::new(&format!("S{i}"))).collect();
    for (i, node) in nodes.iter().enumerate() {
        let server = node.enter(|| {
            let s = Server::new();
            s.add_service(
                Service::new("Echo", ()).handle("Echo", |_, n: u64| async move {
                    labrpc::state!(ECHO, "echoed {n}");
                    n + 1
                }),
            );
            s
        });
        net.add_server(&format!("S{i}"), server);
    }
    for (i, node) in nodes.iter().enumerate() {
        let ends: Vec<_> = (0..3)
            .map(|j| {
                let name = format!("S{i}->S{j}");
                let end = net.make_end(&name);
                net.connect(&name, &format!("S{j}"));
                net.enable(&name, true);
                end
            })
            .collect();
        node.spawn(async move {
            for k in 0..40u64 {
                let to = (i + 1 + k as usize % 2) % 3;
                let reply = ends[to].call::<_, u64>("Echo.Echo", &k).await;
                dlog!(TEST, "S{i} -> S{to}: {reply:?}");
                sleep(Duration::from_millis(labrpc::rand::random_range(5..30))).await;
            }
        });
    }
    sleep(Duration::from_millis(300)).await;
    labrpc::view::note("crash", || "crash S2".into());
    nodes[2].crash();
    net.delete_server("S2");
    net.enable("S0->S1", false);
    net.enable("S1->S0", false);
    sleep(Duration::from_secs(2)).await;
}

fn run(mode: Mode, dir: &std::path::Path, seed: u64) -> sim::Report {
    sim::Builder::new("view_workload")
        .seed(seed)
        .iterations(1)
        .check_determinism(false)
        .view(mode)
        .view_dir(dir)
        .try_run(workload)
        .expect("the workload passes")
        .remove(0)
}

#[test]
fn recording_a_view_changes_nothing_the_run_does() {
    let dir = tempfile::tempdir().unwrap();
    for seed in [1, 2, 3] {
        let off = run(Mode::Never, dir.path(), seed);
        let on = run(Mode::Always, dir.path(), seed);
        assert_eq!(
            (off.digest, off.events, off.virtual_time),
            (on.digest, on.events, on.virtual_time),
            "seed {seed}: recording changed the run"
        );
        assert!(off.view.is_none());
        let view = on.view.expect("LAB_VIEW=1 writes a view");
        let html = std::fs::read_to_string(&view).unwrap();
        for expected in ["\"S2\"", "Echo.Echo", "echoed", "crash S2", "S0 ->"] {
            assert!(html.contains(expected), "the view lacks {expected}");
        }
    }
}

#[test]
fn a_failing_run_is_replayed_once_to_draw_its_view() {
    let dir = tempfile::tempdir().unwrap();
    let runs = Rc::new(Cell::new(0));
    let failure = sim::Builder::new("view_failing")
        .seed(5)
        .iterations(1)
        .check_determinism(false)
        .view(Mode::OnFailure)
        .view_dir(dir.path())
        .try_run(|| {
            let runs = runs.clone();
            async move {
                runs.set(runs.get() + 1);
                workload().await;
                panic!("the check failed on purpose");
            }
        })
        .expect_err("the body panics");
    assert_eq!(runs.get(), 2, "the failing seed runs once more, recording");
    let view = failure.view.as_ref().expect("a failing run has a view");
    assert!(view.note.is_none(), "the replay failed the same way");
    assert!(view.file.starts_with(dir.path()));
    let html = std::fs::read_to_string(&view.file).unwrap();
    assert!(html.contains("the check failed on purpose"));
    let printed = failure.to_string();
    assert!(
        printed.contains(&format!("view: {}", view.file.display())),
        "the failure names its view next to the replay command: {printed}"
    );
}

#[test]
fn no_view_is_written_when_none_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let failure = sim::Builder::new("view_never")
        .seed(5)
        .iterations(1)
        .check_determinism(false)
        .view(Mode::Never)
        .view_dir(dir.path())
        .try_run(|| async { panic!("fails") })
        .expect_err("the body panics");
    assert!(failure.view.is_none());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn attached_pages_are_linked_and_only_the_timeline_takes_operations() {
    let dir = tempfile::tempdir().unwrap();
    let (page, timeline) = (dir.path().join("check.html"), dir.path().join("t.html"));
    let report = sim::Builder::new("view_attached")
        .seed(1)
        .iterations(1)
        .check_determinism(false)
        .view(Mode::Always)
        .view_dir(dir.path())
        .try_run(|| async {
            labrpc::view::attach("the check's page", &page);
            labrpc::view::attach_timeline(&timeline);
        })
        .expect("the run passes")
        .remove(0);
    let html = std::fs::read_to_string(report.view.expect("a view")).unwrap();
    for (label, path, is_timeline) in [
        ("the check's page", &page, false),
        ("linearizability timeline", &timeline, true),
    ] {
        let entry = format!("[\"{label}\",\"file://{}\",{is_timeline}]", path.display());
        assert!(html.contains(&entry), "the view's data lacks {entry}");
    }
}
