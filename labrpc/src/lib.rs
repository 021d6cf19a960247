//! labrpc: the RPC layer and deterministic simulator under every lab of the course.
//!
//! - [`sim`] runs a test on virtual time from one seed; [`sim::Node`] is a simulated machine.
//! - [`Network`], [`ClientEnd`], [`Server`] and [`Service`] are the simulated network, with the
//!   semantics and numbers of 6.5840's labrpc.
//! - [`Persister`] is a peer's stable storage.
//! - [`codec`] is the wire encoding; [`mod@rand`] is the only randomness lab code may use;
//!   [`dlog!`] writes debug lines for the log viewer.
//! - [`grading`] is the harness's side of the grader's completion evidence.
//! - [`unix`] serves the same [`Server`]s to other processes over a Unix socket (Lab 1's transport).
//! - [`view`] draws a simulated run as an HTML file; lab code annotates its state with [`state!`].
//!
//! See `docs/labrpc.md` for how the network behaves and the rules lab code must follow.

pub mod clock;
pub mod codec;
mod error;
pub mod grading;
mod log;
mod network;
mod persister;
pub mod rand;
mod server;
pub mod sim;
pub mod unix;
pub mod view;

pub use error::RpcError;
pub use log::is_log_topic;
pub use network::{ClientEnd, Held, Network, Replies, Sent};
pub use persister::Persister;
pub use server::{Server, Service};
pub use sim::Node;

/// Spawns `fut` as a task of the current node (or of the harness when called outside a node).
///
/// Lab code must spawn with this, not `tokio::spawn`: a task spawned here dies with its node when
/// the harness crashes it, exactly like a thread of a killed process.
pub fn spawn<F>(fut: F) -> tokio::task::JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    sim::spawn_on(sim::current_node().as_ref(), fut)
}

#[doc(hidden)]
pub mod __private {
    pub use tracing;
}
