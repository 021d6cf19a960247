//! `run-views`: run views (`LAB_VIEW=1`) in headless Chromium.
//!
//! ```text
//! run-views measure <view.html>...   # size, events, load time and redraw time after a zoom
//! run-views check <view.html>...     # the browser tests' checks, on any view
//! run-views shots [--out docs]       # the docs' screenshots: views of curated bugs' failures
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use tools::browser::{self, Browser};
use tools::run_views::{self, HEIGHT, WIDTH};

#[derive(Parser)]
#[command(about = "Run views in headless Chromium: measure, check, and the docs' screenshots")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print each view's size, events, load time and slowest redraw after a zoom
    Measure { views: Vec<PathBuf> },
    /// Check each view as the browser tests do (lanes, lost RPCs, failure marker, not blank)
    Check { views: Vec<PathBuf> },
    /// Screenshot the views of the curated bugs the docs show, into DIR (run from the project
    /// root: the bugs are applied to a copy of it)
    Shots {
        #[arg(long, default_value = "docs", value_name = "DIR")]
        out: PathBuf,
    },
}

fn launch() -> anyhow::Result<Browser> {
    let Some(chromium) = browser::executable() else {
        bail!("no Chromium found (apt-get install chromium, or set CHROMIUM to its path)");
    };
    Browser::launch(&chromium, WIDTH, HEIGHT)
}

fn main() -> ExitCode {
    tools::cli::run("run-views", || {
        let args = Args::parse();
        match args.command {
            Command::Measure { views } => {
                for view in views {
                    // A fresh browser per view: nothing cached from the one before.
                    let m = run_views::measure(&mut launch()?, &view)?;
                    let phases: Vec<String> = m.phases.iter().map(|t| format!("{t:.0}")).collect();
                    println!(
                        "{}: {:.1} MB, {} events drawn of {} recorded, ready {:.0} ms after navigation (script started, \
                         data parsed, sorted, first frame at {} ms), slowest redraw after a zoom {:.1} ms",
                        view.display(),
                        m.bytes as f64 / 1e6,
                        m.events,
                        m.recorded,
                        m.load_ms,
                        phases.join(", "),
                        m.zoom_ms
                    );
                }
            }
            Command::Check { views } => {
                let mut browser = launch()?;
                for view in views {
                    let servers = run_views::servers_of(&mut browser, &view)?;
                    let names: Vec<&str> = servers.iter().map(String::as_str).collect();
                    let failed = run_views::failed(&mut browser, &view)?;
                    let checked = run_views::check_view(&mut browser, &view, &names, failed)
                        .with_context(|| format!("checking {}", view.display()))?;
                    println!(
                        "{}: ok ({} server lanes, {} lost RPCs checked{})",
                        view.display(),
                        checked.servers.len(),
                        checked.lost_checked,
                        if checked.failed {
                            ", failure marker in view"
                        } else {
                            ""
                        }
                    );
                }
            }
            Command::Shots { out } => {
                let root = std::env::current_dir()?;
                let views = root.join("target/run-views/curated");
                let mut browser = launch()?;
                for shot in run_views::curated(&root, &views)? {
                    let png = out.join(&shot.png);
                    run_views::screenshot(&mut browser, &shot.view, &png)?;
                    println!(
                        "{}: {} failing {} on seed {} ({})",
                        png.display(),
                        shot.bug,
                        shot.test,
                        shot.seed,
                        shot.view.display()
                    );
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
