//! mrcoordinator: serves a job's tasks to workers on a Unix socket and exits when it is done.

use std::io::ErrorKind;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use mapreduce::cli::{SocketArg, init_logging};
use mapreduce::coordinator::Coordinator;

/// Coordinates a MapReduce job: one map task per input file, then N reduce tasks, handed out to
/// mrworker processes on a Unix socket. Exits once every mr-out-* file is written.
#[derive(Parser)]
#[command(name = "mrcoordinator")]
struct Args {
    /// The input files, one map task each; the Map function sees each name as given here.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    /// Number of reduce tasks, and so of output files mr-out-0 .. mr-out-<N-1>.
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..))]
    n_reduce: u32,
    #[command(flatten)]
    socket: SocketArg,
}

/// How often to check whether the job is done (the original checks every second).
const DONE_POLL: Duration = Duration::from_millis(100);
/// How long to keep answering after the job is done, so that waiting workers hear "exit".
const LINGER: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    mapreduce::cli::exit("mrcoordinator", run())
}

fn run() -> anyhow::Result<()> {
    init_logging();
    let args = Args::parse();
    for input in &args.inputs {
        mapreduce::check_input(input)?;
    }
    let socket = args.socket.path();
    check_socket_path(&socket)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(async {
        let coordinator = Arc::new(Coordinator::new(args.inputs, args.n_reduce as usize));
        let server = labrpc::Server::new();
        server.add_service(coordinator.clone().service());
        let serving = labrpc::unix::serve(server, &socket)?;
        while !coordinator.done() {
            tokio::time::sleep(DONE_POLL).await;
        }
        tokio::time::sleep(LINGER).await;
        drop(serving);
        Ok(())
    })
}

/// Refuses a socket path that serving would destroy or steal: something that is not a socket (a
/// mistyped `--socket notes.txt` would be replaced), or the socket of a coordinator that is
/// running. A socket nobody answers on is what a crashed coordinator leaves; it is replaced.
fn check_socket_path(path: &Path) -> anyhow::Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", path.display())),
    };
    if !meta.file_type().is_socket() {
        bail!(
            "{} exists and is not a socket; refusing to replace it: choose another --socket path \
             (or remove the file if it is yours to lose)",
            path.display()
        );
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => bail!(
            "a coordinator is already serving on {}: wait for its job to finish, or give this job \
             its own socket with --socket (or $MR_SOCKET)",
            path.display()
        ),
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => Ok(()),
        Err(e) => {
            Err(e).with_context(|| format!("cannot tell whether {} is in use", path.display()))
        }
    }
}
