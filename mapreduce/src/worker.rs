//! The worker: asks the coordinator for tasks and runs them until the job is done.
//! (Your file, apart from [`CoordinatorEnd`] and the signature of [`worker`].)

use std::path::Path;

use labrpc::RpcError;
use labrpc::unix::SocketEnd;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{App, Error};

// BEGIN SOLUTION
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::time::Duration;

use labrpc::codec;

use crate::rpc::{Finished, REQUEST_TASK, TASK_DONE, Task};
use crate::{KeyValue, ihash, read_input};
// END SOLUTION
// STUB: // Lab 1: your imports here.

/// The worker's connection to the coordinator's socket.
pub struct CoordinatorEnd {
    end: SocketEnd,
    runtime: tokio::runtime::Runtime,
}

impl CoordinatorEnd {
    /// An end for the coordinator listening on `socket`. Nothing is connected yet.
    pub fn new(socket: &Path) -> CoordinatorEnd {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("cannot start the tokio runtime for RPCs");
        CoordinatorEnd {
            end: SocketEnd::new(socket),
            runtime,
        }
    }

    /// Calls `method` (e.g. `"Coordinator.RequestTask"`) and waits for the reply.
    ///
    /// `Err(RpcError::Unavailable)` means the coordinator is gone (it exits once the job is done)
    /// or did not answer within 10 s. The other errors are bugs: a method name the coordinator
    /// does not know, or argument and reply types that differ between the two sides.
    pub fn call<A, R>(&self, method: &str, args: &A) -> Result<R, RpcError>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.runtime.block_on(self.end.call(method, args))
    }
}

/// Runs tasks of `app` for the coordinator until the job is done or the coordinator is gone.
/// Returns an error only for what a retry cannot fix, such as an input file that cannot be read.
pub fn worker(app: &App, coordinator: &CoordinatorEnd) -> Result<(), Error> {
    // BEGIN SOLUTION
    loop {
        let task = match coordinator.call(REQUEST_TASK, &()) {
            Ok(task) => task,
            // The coordinator exits when the job is done: nothing is left to do.
            Err(RpcError::Unavailable) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let finished = match task {
            Task::Map { id, file, n_reduce } => {
                run_map(app, id, &file, n_reduce)?;
                Finished::Map(id)
            }
            Task::Reduce { id, n_map } => {
                run_reduce(app, id, n_map)?;
                Finished::Reduce(id)
            }
            Task::Wait => {
                std::thread::sleep(POLL_INTERVAL);
                continue;
            }
            Task::Exit => return Ok(()),
        };
        match coordinator.call::<_, ()>(TASK_DONE, &finished) {
            Ok(()) => {}
            Err(RpcError::Unavailable) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    // END SOLUTION
    // STUB: let _ = (app, coordinator);
    // STUB: todo!("Lab 1: ask the coordinator for tasks and run them until the job is done")
}

// BEGIN SOLUTION
/// How long to wait before asking again when every task is taken.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

fn intermediate_file(map: usize, reduce: usize) -> String {
    format!("mr-{map}-{reduce}")
}

/// Maps `file` and writes its pairs to `mr-<id>-<r>`, one file per reduce task `r` (possibly
/// empty, so that every reduce finds all its inputs).
fn run_map(app: &App, id: usize, file: &str, n_reduce: usize) -> Result<(), Error> {
    let contents = read_input(file)?;
    let pairs = (app.map)(file, &contents);
    let mut buckets: Vec<Vec<&KeyValue>> = vec![Vec::new(); n_reduce];
    for kv in &pairs {
        buckets[ihash(&kv.key) as usize % n_reduce].push(kv);
    }
    for (reduce, bucket) in buckets.iter().enumerate() {
        let bytes = codec::encode(bucket).expect("strings always encode");
        write_atomically(&intermediate_file(id, reduce), &bytes)?;
    }
    Ok(())
}

/// Groups the pairs of `mr-<m>-<id>` for every map `m` by key, calls Reduce once per key (in key
/// order) and writes `mr-out-<id>`.
///
/// Two choices make a worker faster than mrsequential: grouping with a hash map rather than
/// sorting every pair (only the distinct keys are sorted), and borrowing keys and values from
/// the files' bytes rather than copying each into a string of its own.
fn run_reduce(app: &App, id: usize, n_map: usize) -> Result<(), Error> {
    let mut files = Vec::with_capacity(n_map);
    for map in 0..n_map {
        let path = intermediate_file(map, id);
        let bytes = fs::read(&path).map_err(Error::file("read the intermediate file", &path))?;
        files.push((path, bytes));
    }
    let mut groups: HashMap<&str, Vec<&str>> = HashMap::new();
    for (path, bytes) in &files {
        let pairs: Vec<(&str, &str)> =
            codec::decode_borrowed(bytes).map_err(|e| Error::Corrupt {
                path: path.into(),
                detail: e.to_string(),
            })?;
        for (key, value) in pairs {
            groups.entry(key).or_default().push(value);
        }
    }
    let mut groups: Vec<(&str, Vec<&str>)> = groups.into_iter().collect();
    groups.sort_unstable_by_key(|&(key, _)| key);
    let mut out = String::new();
    for (key, values) in &groups {
        let output = (app.reduce)(key, values);
        writeln!(out, "{key} {output}").expect("writing to a String cannot fail");
    }
    write_atomically(&format!("mr-out-{id}"), out.as_bytes())
}

/// Writes `bytes` to `path` so that no reader ever sees a partial file, even if this worker
/// crashes half-way: write a private temporary file, then rename it into place. The temporary
/// name does not start with `mr-`, so a leftover one is never taken for output.
fn write_atomically(path: &str, bytes: &[u8]) -> Result<(), Error> {
    let temporary = format!(".tmp-worker-{}", std::process::id());
    fs::write(&temporary, bytes).map_err(Error::file("write", &temporary))?;
    fs::rename(&temporary, path).map_err(Error::file("rename a temporary file to", path))
}
// END SOLUTION
// STUB: // Lab 1: your helper functions here.
