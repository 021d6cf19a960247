//! The prologue every simulated graded test shares: its name, its seeds, its simulator.

use std::future::Future;

use labrpc::sim;

use crate::events;

/// What the prologue needs to know of a lab.
pub struct Lab {
    /// The Cargo package, for the replay command.
    pub package: &'static str,
    /// What usually keeps the lab's tests from finishing, in a student's words: a test that runs
    /// out of virtual time names these before the causes any lab can have.
    pub hang_suspects: &'static [&'static str],
    /// The events each test exists to create, by the test's function name (see [`crate::events`]);
    /// a test it does not list names none.
    pub events: &'static [(&'static str, &'static [&'static str])],
}

impl Lab {
    /// The events the test `name` exists to create.
    pub fn events_of(&self, name: &str) -> &'static [&'static str] {
        (self.events.iter())
            .find(|(test, _)| *test == name)
            .map_or(&[], |(_, events)| events)
    }
}

/// Runs one simulated graded test of `lab` on every seed the environment asks for (`LAB_SEED`,
/// `LAB_ITERS`, `LAB_CHECK_DETERMINISM`: see `labrpc::sim::Builder`). Its name, for messages and
/// the replay command, is libtest's thread name (`part_3a::initial_election_3a`); `test` gets the
/// function name alone (`initial_election_3a`), for files it writes.
pub fn run<F, Fut>(lab: &Lab, test: F)
where
    F: Fn(&str) -> Fut,
    Fut: Future<Output = ()>,
{
    let thread = std::thread::current();
    let path = thread.name().unwrap_or(lab.package);
    let name = path.rsplit("::").next().unwrap_or(path);
    let named = lab.events_of(name);
    sim::Builder::new(path)
        .package(lab.package)
        .hang_suspects(lab.hang_suspects)
        .run(|| {
            events::begin(named);
            let body = test(name);
            async move {
                body.await;
                events::finish(name);
            }
        });
}
