//! `logs [FILE]`: the course's dslogs. Shows the simulator's debug lines (`LAB_LOG=1`) coloured by
//! topic, optionally one column per server, from a file or standard input:
//!
//! ```text
//! LAB_LOG=1 cargo test -p raft --release initial_election_3a -- --nocapture 2>&1 \
//!     | cargo run -q -p tools --release --bin logs -- -c 3
//! ```
//!
//! Exit status: 0 once the input is shown (or the reader of the output went away), 1 if the file
//! cannot be read, is not a regular file, or has a line too long for a log.

use std::io::{self, IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use tools::logview::color::Painter;
use tools::logview::layout::{Layout, MIN_WIDTH};
use tools::logview::{Filter, MAX_LINE_BYTES, Servers, Viewer};

/// The width when neither `--width` nor `COLUMNS` gives one, as in dslogs.
const DEFAULT_WIDTH: usize = 160;

#[derive(Parser)]
#[command(
    about = "Shows the simulator's debug log (LAB_LOG=1) coloured by topic, one column per server",
    after_help = "Example:\n  LAB_LOG=1 cargo test -p raft --release initial_election_3a -- --nocapture 2>&1 \\\n    \
                  | cargo run -q -p tools --release --bin logs -- -c 3"
)]
struct Args {
    /// Log to read (standard input if absent)
    file: Option<PathBuf>,
    /// Show servers S0 to S(N-1) in N columns (of each group, with groups); other lines span the
    /// width
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    columns: Option<u16>,
    /// Groups whose servers get columns, in order, and the only ones shown (e.g. ctlr,100,101
    /// for servers named ctlr-S0 and server-100-S2); a file's groups are found without it
    #[arg(
        short,
        long,
        value_delimiter = ',',
        value_name = "GROUPS",
        requires = "columns"
    )]
    groups: Vec<String>,
    /// Show only these topics (comma-separated, e.g. VOTE,LEAD)
    #[arg(short, long, value_delimiter = ',', value_name = "TOPICS")]
    just: Vec<String>,
    /// Hide these topics (comma-separated, e.g. LOG1,LOG2)
    #[arg(short, long, value_delimiter = ',', value_name = "TOPICS")]
    ignore: Vec<String>,
    /// Width of the output in characters [default: $COLUMNS, else 160]
    #[arg(long, value_name = "CHARS", value_parser = clap::value_parser!(u16).range(MIN_WIDTH as i64..))]
    width: Option<u16>,
    /// Colour even when the output is not a terminal (e.g. into `less -R`)
    #[arg(long, conflicts_with = "no_color")]
    color: bool,
    /// Never colour
    #[arg(long)]
    no_color: bool,
}

impl Args {
    fn width(&self) -> usize {
        // Shells keep COLUMNS to themselves unless it is exported; a value too small to use is
        // ignored like a missing one.
        let from_env = || {
            std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.trim().parse().ok())
                .filter(|&c| c >= MIN_WIDTH)
        };
        self.width
            .map(usize::from)
            .or_else(from_env)
            .unwrap_or(DEFAULT_WIDTH)
    }

    /// On a terminal unless told otherwise; NO_COLOR (no-color.org) counts as telling.
    fn color(&self) -> bool {
        self.color
            || (!self.no_color
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && io::stdout().is_terminal())
    }
}

fn run(args: &Args) -> Result<()> {
    let input: Box<dyn Read> = match &args.file {
        // A regular file only: `/dev/zero` never ends, a FIFO blocks, a directory is not a log.
        // The file is streamed, so its size needs no limit; each line's is MAX_LINE_BYTES.
        Some(path) => Box::new(tools::cli::open_regular_file(path)?),
        None => Box::new(io::stdin().lock()),
    };
    let painter = Painter::new(args.color());
    let groups: Vec<String> = match (&args.file, args.groups.is_empty()) {
        (_, false) => args.groups.iter().map(|g| g.trim().to_string()).collect(),
        // A file can be read twice: its own groups, in order.
        (Some(path), true) if args.columns.is_some() => Servers::of_file(path).groups,
        _ => Vec::new(),
    };
    let layout = match args.columns {
        Some(n) => Layout::grouped(&groups, n.into(), args.width(), painter),
        None => Layout::lines(args.width(), painter),
    };
    let filter = Filter::new(&args.just, &args.ignore).groups(&args.groups);
    let mut viewer = Viewer::new(layout, filter);
    let mut out = io::BufWriter::new(io::stdout().lock());
    viewer
        .run(input, MAX_LINE_BYTES, &mut out)
        .with_context(|| match &args.file {
            Some(path) => format!("cannot show {}", path.display()),
            None => "cannot show standard input".to_string(),
        })?;
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        // `logs big.log | head` closes the pipe early; that is the reader's choice, not an error.
        Err(e)
            if e.downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("logs: {e:#}");
            ExitCode::FAILURE
        }
    }
}
