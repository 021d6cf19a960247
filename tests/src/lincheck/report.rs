//! How a lab test uses the checker: check, draw the timeline when asked or when it fails, and
//! fail the test on anything but a proven `Ok`.

use std::time::Duration;

use super::check::{CheckResult, Verdict, check};
use super::history::History;
use super::model::Model;
use super::{timeline, timeline_files};

/// The wall-clock budget of a lab test's check. 6.5840 gives porcupine 1 s and passes the test
/// when it runs out; here running out fails the test, so the budget is generous: a correct lab's
/// history is checked in well under a second. `LAB_LINCHECK_TIMEOUT=<seconds>` overrides it.
pub const LAB_TIMEOUT: Duration = Duration::from_secs(10);

/// When to write the timeline, from `LAB_VIS`: `always`, `never`, or (default) on failure.
#[derive(PartialEq)]
enum Vis {
    Always,
    Never,
    OnFailure,
}

fn vis() -> Vis {
    match std::env::var("LAB_VIS").as_deref() {
        Ok("always") | Ok("1") => Vis::Always,
        Ok("never") | Ok("0") => Vis::Never,
        _ => Vis::OnFailure,
    }
}

fn timeout() -> Duration {
    std::env::var("LAB_LINCHECK_TIMEOUT")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .map_or(LAB_TIMEOUT, Duration::from_secs_f64)
}

/// Checks the history of the test `test` and panics (failing the test) unless it is proven
/// linearizable within [`LAB_TIMEOUT`] (or `LAB_LINCHECK_TIMEOUT`). On failure, and on every run
/// with `LAB_VIS=always`, writes the HTML timeline and prints its path (`LAB_VIS=never` turns the
/// file off; `LAB_VIS_FILE=<path>` or `LAB_VIS_DIR=<dir>` chooses where: see `timeline_files`).
pub fn assert_linearizable<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    test: &str,
) -> CheckResult {
    assert_linearizable_within(model, history, test, timeout())
}

/// [`assert_linearizable`] with an explicit time budget.
pub fn assert_linearizable_within<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    test: &str,
    budget: Duration,
) -> CheckResult {
    let result = check(model, history, Some(budget));
    let mode = vis();
    let wanted = mode == Vis::Always || (mode == Vis::OnFailure && result.verdict != Verdict::Ok);
    let written = if wanted {
        let path = timeline_files::path(test);
        let title = format!("{test}: {}", result.verdict);
        let run_view = labrpc::view::file();
        match timeline::write(model, history, &result, &title, run_view.as_deref(), &path) {
            Ok(()) => {
                println!("info: wrote history visualization to {}", path.display());
                timeline_files::prune(&path);
                labrpc::view::attach_timeline(&path);
                Some(path)
            }
            Err(e) => {
                println!(
                    "info: could not write the timeline to {}: {e}",
                    path.display()
                );
                None
            }
        }
    } else {
        None
    };
    let see = written.map_or(String::new(), |p| format!("\nTimeline: {}", p.display()));
    match result.verdict {
        Verdict::Ok => result,
        Verdict::Illegal => {
            let part = result
                .partitions
                .iter()
                .find(|p| p.verdict == Verdict::Illegal)
                .expect("an illegal result has an illegal partition");
            panic!(
                "history is not linearizable: in {}, at most {} of its {} operations can be put \
                 in an order that respects real time and gives every operation the answer it got \
                 ({} operations recorded in all).{see}",
                part.label,
                part.linearization.len(),
                part.ops.len(),
                history.ops.len()
            )
        }
        Verdict::Unknown => panic!(
            "the linearizability check ran out of time after {:.1} s, so this history of {} \
             operations could not be verified and the test fails (6.5840 would pass it). A correct \
             lab's history takes well under a second; a very long or very concurrent one (e.g. \
             clients retrying without end) makes the search slow. LAB_LINCHECK_TIMEOUT=<seconds> \
             gives the checker more time.{see}",
            budget.as_secs_f64(),
            history.ops.len()
        ),
    }
}
