//! What every course tool does with an error: one readable message with its causes, and exit
//! status 2, rather than a debug dump (anyhow prints a backtrace when RUST_BACKTRACE is set).

use std::process::ExitCode;

/// Runs a tool's body; `tool` names it in the error message.
pub fn run(tool: &str, body: impl FnOnce() -> anyhow::Result<ExitCode>) -> ExitCode {
    match body() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{tool}: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Test processes to run at once when the user does not say: one per CPU.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Exit status 0 when `ok`, 1 otherwise (tests failed, bugs not caught).
pub fn status(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
