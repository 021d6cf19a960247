//! mrsequential: the reference output of a MapReduce job, computed in one process.

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use clap::builder::PossibleValuesParser;
use mapreduce::{APP_NAMES, App};

/// Runs APP over the inputs in this one process and writes the result to mr-out-0: the output a
/// distributed job must reproduce (once all mr-out-* lines are sorted).
#[derive(Parser)]
#[command(name = "mrsequential")]
struct Args {
    /// The application whose Map and Reduce functions to run.
    #[arg(value_parser = PossibleValuesParser::new(APP_NAMES))]
    app: String,
    /// The input files; the Map function sees each name as given here.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
}

fn main() -> ExitCode {
    mapreduce::cli::exit("mrsequential", run())
}

fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    let app = App::by_name(&args.app)?;
    mapreduce::sequential::run(&app, &args.inputs, Path::new("mr-out-0"))?;
    Ok(())
}
