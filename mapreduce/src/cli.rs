//! What the three binaries share: where the coordinator's socket is, and logging to stderr.

use std::path::PathBuf;
use std::process::ExitCode;

/// The environment variable that overrides the default socket path.
pub const SOCKET_ENV: &str = "MR_SOCKET";

/// The `--socket` option of mrcoordinator and mrworker.
#[derive(clap::Args, Debug, Clone)]
pub struct SocketArg {
    /// The coordinator's Unix socket. Default: $MR_SOCKET if set, else /var/tmp/5840-mr-<uid>.
    /// Give each job its own to run several jobs at once.
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
}

impl SocketArg {
    /// The socket to use: the flag, else `$MR_SOCKET`, else the per-user default.
    pub fn path(&self) -> PathBuf {
        self.socket
            .clone()
            .or_else(|| std::env::var_os(SOCKET_ENV).map(PathBuf::from))
            .unwrap_or_else(default_socket)
    }
}

/// The original's socket: one per user under /var/tmp, so two users' jobs do not collide.
pub fn default_socket() -> PathBuf {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    PathBuf::from(format!("/var/tmp/5840-mr-{uid}"))
}

/// Sends warnings and errors (from labrpc's transport, for example a malformed frame) to stderr.
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .without_time()
        .try_init();
}

/// Ends a binary: status 0, or the error on one line (with its causes) and status 1. Unlike
/// returning the error from `main`, this prints no backtrace when RUST_BACKTRACE is set.
pub fn exit(program: &str, result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{program}: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
