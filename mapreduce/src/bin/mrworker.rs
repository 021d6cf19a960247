//! mrworker: runs tasks of a MapReduce job for the coordinator until the job is done.

use anyhow::Context;
use clap::Parser;
use clap::builder::PossibleValuesParser;
use mapreduce::cli::{SocketArg, init_logging};
use mapreduce::worker::{CoordinatorEnd, worker};
use mapreduce::{APP_NAMES, App};
use std::process::ExitCode;

/// Asks the coordinator (mrcoordinator) for map and reduce tasks of APP and runs them, in the
/// current directory, until the job is done or the coordinator is gone; then exits with status 0.
#[derive(Parser)]
#[command(name = "mrworker")]
struct Args {
    /// The application whose Map and Reduce functions to run.
    #[arg(value_parser = PossibleValuesParser::new(APP_NAMES))]
    app: String,
    #[command(flatten)]
    socket: SocketArg,
}

fn main() -> ExitCode {
    mapreduce::cli::exit("mrworker", run())
}

fn run() -> anyhow::Result<()> {
    init_logging();
    let args = Args::parse();
    let app = App::by_name(&args.app)?;
    let socket = args.socket.path();
    let coordinator = CoordinatorEnd::new(&socket);
    worker(&app, &coordinator)
        .with_context(|| format!("worker for the coordinator at {}", socket.display()))
}
