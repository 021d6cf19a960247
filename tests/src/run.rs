//! The prologue every simulated graded test shares: its name, its seeds, its simulator.

use std::future::Future;

use labrpc::sim;

/// Runs one simulated graded test of `package` on every seed the environment asks for
/// (`LAB_SEED`, `LAB_ITERS`, `LAB_CHECK_DETERMINISM`: see `labrpc::sim::Builder`). Its name, for
/// messages and the replay command, is libtest's thread name (`part_3a::initial_election_3a`);
/// `test` gets the function name alone (`initial_election_3a`), for files it writes.
pub fn run<F, Fut>(package: &str, test: F)
where
    F: Fn(&str) -> Fut,
    Fut: Future<Output = ()>,
{
    let thread = std::thread::current();
    let path = thread.name().unwrap_or(package);
    let name = path.rsplit("::").next().unwrap_or(path);
    sim::Builder::new(path).package(package).run(|| test(name));
}
