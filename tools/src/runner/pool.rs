//! Running many test processes at once.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use super::{RunOutcome, RunSpec, run_one};

/// Runs every spec on `parallel` worker threads (each waits on one test process) and calls
/// `done` on this thread as each finishes, in completion order. Specs marked `exclusive` run
/// afterwards, one at a time. Returns the outcomes in the order of `specs`.
pub fn run_all(
    specs: &[(RunSpec, bool)],
    parallel: usize,
    mut done: impl FnMut(usize, &RunOutcome),
) -> Vec<RunOutcome> {
    let mut outcomes: Vec<Option<RunOutcome>> = vec![None; specs.len()];
    for exclusive in [false, true] {
        let batch: Vec<usize> = (0..specs.len())
            .filter(|&i| specs[i].1 == exclusive)
            .collect();
        let workers = if exclusive { 1 } else { parallel.max(1) };
        let queue = Arc::new(Mutex::new(batch.into_iter()));
        let (tx, rx) = mpsc::channel();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                let (queue, tx) = (queue.clone(), tx.clone());
                scope.spawn(move || {
                    loop {
                        let next = queue.lock().unwrap().next();
                        let Some(i) = next else { break };
                        if tx.send((i, run_one(&specs[i].0))).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            for (i, outcome) in rx {
                done(i, &outcome);
                outcomes[i] = Some(outcome);
            }
        });
    }
    outcomes
        .into_iter()
        .map(|o| o.expect("every spec ran"))
        .collect()
}
