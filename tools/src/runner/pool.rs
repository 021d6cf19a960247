//! Running many test processes at once.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use super::{RunOutcome, RunSpec, run_one};

/// Runs every spec on `parallel` worker threads (each waits on one test process) and calls
/// `done` on this thread as each finishes, in completion order. Specs whose policy is
/// `exclusive` run afterwards, one at a time. Returns the outcomes in the order of `specs`.
pub fn run_all(
    specs: &[RunSpec],
    parallel: usize,
    mut done: impl FnMut(usize, &RunOutcome),
) -> Vec<RunOutcome> {
    let mut outcomes: Vec<Option<RunOutcome>> = vec![None; specs.len()];
    for exclusive in [false, true] {
        let batch: Vec<usize> = (0..specs.len())
            .filter(|&i| specs[i].policy.exclusive == exclusive)
            .collect();
        let workers = if exclusive { 1 } else { parallel };
        let finished = parallel_map(
            &batch,
            workers,
            |&i| run_one(&specs[i]),
            |k, outcome| done(batch[k], outcome),
        );
        for (i, outcome) in batch.into_iter().zip(finished) {
            outcomes[i] = Some(outcome);
        }
    }
    outcomes
        .into_iter()
        .map(|o| o.expect("every spec ran"))
        .collect()
}

/// Applies `work` to every item on `workers` threads, calling `done` on this thread as each
/// result comes in (in completion order, with the item's index). Returns the results in the
/// order of `items`.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    work: impl Fn(&T) -> R + Sync,
    mut done: impl FnMut(usize, &R),
) -> Vec<R> {
    let mut results: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let queue = Arc::new(Mutex::new(0..items.len()));
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            let (queue, tx, work) = (queue.clone(), tx.clone(), &work);
            scope.spawn(move || {
                loop {
                    let next = queue.lock().unwrap().next();
                    let Some(i) = next else { break };
                    if tx.send((i, work(&items[i]))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (i, result) in rx {
            done(i, &result);
            results[i] = Some(result);
        }
    });
    results
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}
