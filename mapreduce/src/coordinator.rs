//! The coordinator: hands out map and reduce tasks and knows when the job is done.
//! (Your file, apart from the signatures of `new`, `service` and `done`, which mrcoordinator calls.)
//!
//! mrcoordinator creates the coordinator, serves [`Coordinator::service`] on the job's socket,
//! and exits once [`Coordinator::done`] says so. Handlers are called concurrently, from several
//! workers at once.

use std::sync::Arc;

use labrpc::Service;

// BEGIN SOLUTION
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::rpc::{Finished, Task};
// END SOLUTION
// STUB: // Lab 1: your imports here.

/// The state of one MapReduce job.
pub struct Coordinator {
    // BEGIN SOLUTION
    job: Mutex<Job>,
    // END SOLUTION
    // STUB: // Lab 1: the state of every map and reduce task, behind a Mutex (handlers run
    // STUB: // concurrently).
}

impl Coordinator {
    /// A job with one map task per file of `files` (names as the workers will open them) and
    /// `n_reduce` reduce tasks.
    pub fn new(files: Vec<String>, n_reduce: usize) -> Coordinator {
        // BEGIN SOLUTION
        Coordinator {
            job: Mutex::new(Job::new(files, n_reduce)),
        }
        // END SOLUTION
        // STUB: let _ = (files, n_reduce);
        // STUB: todo!("Lab 1: create the map and reduce tasks")
    }

    /// The RPC handlers workers call, as a service named `"Coordinator"`.
    pub fn service(self: Arc<Self>) -> Service<Arc<Coordinator>> {
        // BEGIN SOLUTION
        Service::new("Coordinator", self)
            .handle("RequestTask", |c, (): ()| async move {
                c.job.lock().unwrap().assign(Instant::now())
            })
            .handle("TaskDone", |c, finished: Finished| async move {
                c.job.lock().unwrap().finish(finished);
            })
        // END SOLUTION
        // STUB: todo!("Lab 1: register your handlers: Service::new(\"Coordinator\", self).handle(..)")
    }

    /// Whether the whole job has finished (every `mr-out-*` file is in place).
    pub fn done(&self) -> bool {
        // BEGIN SOLUTION
        self.job.lock().unwrap().done()
        // END SOLUTION
        // STUB: todo!("Lab 1: report whether every reduce task has finished")
    }
}

// BEGIN SOLUTION
/// A worker holding a task longer than this is presumed dead and the task goes to another worker
/// (the lab's rule: ten seconds).
const REISSUE_AFTER: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Idle,
    Running { since: Instant },
    Done,
}

/// The task bookkeeping, with time passed in so that tests need not wait ten seconds.
struct Job {
    files: Vec<String>,
    n_reduce: usize,
    maps: Vec<Status>,
    reduces: Vec<Status>,
}

impl Job {
    fn new(files: Vec<String>, n_reduce: usize) -> Job {
        Job {
            maps: vec![Status::Idle; files.len()],
            reduces: vec![Status::Idle; n_reduce],
            files,
            n_reduce,
        }
    }

    /// The task for a worker asking at `now`. Reduces start only when every map has finished,
    /// since each needs an intermediate file from every map.
    fn assign(&mut self, now: Instant) -> Task {
        if let Some(id) = claim(&mut self.maps, now) {
            return Task::Map {
                id,
                file: self.files[id].clone(),
                n_reduce: self.n_reduce,
            };
        }
        if !all_done(&self.maps) {
            return Task::Wait;
        }
        if let Some(id) = claim(&mut self.reduces, now) {
            return Task::Reduce {
                id,
                n_map: self.maps.len(),
            };
        }
        if all_done(&self.reduces) {
            Task::Exit
        } else {
            Task::Wait
        }
    }

    /// Records a finished task. Returns false if it was already recorded: a reissued task can be
    /// finished by both workers, and its (identical) output counts once.
    fn finish(&mut self, finished: Finished) -> bool {
        let status = match finished {
            Finished::Map(id) => self.maps.get_mut(id),
            Finished::Reduce(id) => self.reduces.get_mut(id),
        };
        match status {
            Some(status) if *status != Status::Done => {
                *status = Status::Done;
                true
            }
            _ => false,
        }
    }

    fn done(&self) -> bool {
        all_done(&self.maps) && all_done(&self.reduces)
    }
}

/// Marks as running, and returns, the first task that is idle or whose worker is presumed dead.
fn claim(tasks: &mut [Status], now: Instant) -> Option<usize> {
    let id = tasks.iter().position(|status| match *status {
        Status::Idle => true,
        Status::Running { since } => now.saturating_duration_since(since) >= REISSUE_AFTER,
        Status::Done => false,
    })?;
    tasks[id] = Status::Running { since: now };
    Some(id)
}

fn all_done(tasks: &[Status]) -> bool {
    tasks.iter().all(|status| *status == Status::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(maps: usize, reduces: usize) -> Job {
        Job::new((0..maps).map(|i| format!("in-{i}")).collect(), reduces)
    }

    fn map(id: usize) -> Task {
        Task::Map {
            id,
            file: format!("in-{id}"),
            n_reduce: 2,
        }
    }

    #[test]
    fn maps_then_reduces_then_exit() {
        let t = Instant::now();
        let mut job = job(2, 2);
        assert_eq!(job.assign(t), map(0));
        assert_eq!(job.assign(t), map(1));
        assert_eq!(
            job.assign(t),
            Task::Wait,
            "no reduce before every map is done"
        );
        assert!(job.finish(Finished::Map(1)));
        assert_eq!(job.assign(t), Task::Wait);
        assert!(job.finish(Finished::Map(0)));
        assert_eq!(job.assign(t), Task::Reduce { id: 0, n_map: 2 });
        assert_eq!(job.assign(t), Task::Reduce { id: 1, n_map: 2 });
        assert_eq!(job.assign(t), Task::Wait);
        assert!(job.finish(Finished::Reduce(0)));
        assert!(job.finish(Finished::Reduce(1)));
        assert_eq!(job.assign(t), Task::Exit);
    }

    #[test]
    fn a_task_is_reissued_after_ten_seconds_and_not_before() {
        let t = Instant::now();
        let mut job = job(1, 2);
        assert_eq!(job.assign(t), map(0));
        assert_eq!(job.assign(t + Duration::from_millis(9_999)), Task::Wait);
        assert_eq!(
            job.assign(t + REISSUE_AFTER),
            map(0),
            "presumed dead: reissue"
        );
        // The second holder gets its own ten seconds.
        assert_eq!(
            job.assign(t + REISSUE_AFTER + Duration::from_secs(9)),
            Task::Wait
        );
        assert!(job.finish(Finished::Map(0)));
        assert_eq!(
            job.assign(t + Duration::from_secs(100)),
            Task::Reduce { id: 0, n_map: 1 }
        );
    }

    #[test]
    fn a_task_finished_twice_counts_once_and_is_never_reissued() {
        let t = Instant::now();
        let mut job = job(1, 1);
        job.assign(t);
        job.assign(t + REISSUE_AFTER);
        assert!(job.finish(Finished::Map(0)), "the first report counts");
        assert!(
            !job.finish(Finished::Map(0)),
            "the slow worker's report is ignored"
        );
        assert!(!job.finish(Finished::Map(7)), "no such task");
        assert!(!job.finish(Finished::Reduce(3)), "no such task");
        assert_eq!(
            job.assign(t + Duration::from_secs(60)),
            Task::Reduce { id: 0, n_map: 1 }
        );
        assert!(job.finish(Finished::Reduce(0)));
        assert!(!job.finish(Finished::Reduce(0)));
        // Finished tasks are never handed out again, however long ago they started.
        assert_eq!(job.assign(t + Duration::from_secs(600)), Task::Exit);
    }

    #[test]
    fn done_only_when_every_reduce_has_finished() {
        let t = Instant::now();
        let mut job = job(2, 3);
        let mut finished = Vec::new();
        while let task @ (Task::Map { .. } | Task::Reduce { .. }) = job.assign(t) {
            assert!(!job.done());
            let report = match task {
                Task::Map { id, .. } => Finished::Map(id),
                Task::Reduce { id, .. } => Finished::Reduce(id),
                _ => unreachable!(),
            };
            // Finish maps at once; hold reduces back to check done() in between.
            if let Finished::Map(_) = report {
                job.finish(report);
            } else {
                finished.push(report);
            }
        }
        assert_eq!(finished.len(), 3);
        for report in finished {
            assert!(!job.done());
            job.finish(report);
        }
        assert!(job.done());
        assert_eq!(job.assign(t), Task::Exit);
    }
}
// END SOLUTION
// STUB: // Lab 1: your helper types and functions here.
