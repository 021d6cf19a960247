//! A live progress line on standard error: redrawn in place on a terminal, printed every tenth
//! of the way otherwise (CI logs, a grader's log file), failures included in the count.

use std::io::{IsTerminal, Write};
use std::time::Instant;

pub struct Progress {
    total: usize,
    done: usize,
    failed: usize,
    start: Instant,
    terminal: bool,
    last_decile: usize,
}

impl Progress {
    pub fn new(total: usize) -> Progress {
        Progress {
            total,
            done: 0,
            failed: 0,
            start: Instant::now(),
            terminal: std::io::stderr().is_terminal(),
            last_decile: 0,
        }
    }

    /// Records one finished run; `label` names it (e.g. the test).
    pub fn tick(&mut self, passed: bool, label: &str) {
        self.done += 1;
        if !passed {
            self.failed += 1;
        }
        let line = self.line(label);
        let mut err = std::io::stderr();
        if self.terminal {
            let _ = write!(err, "\r\x1b[K{line}");
            if self.done == self.total {
                let _ = writeln!(err);
            }
        } else {
            let decile = self.done * 10 / self.total.max(1);
            if decile > self.last_decile {
                self.last_decile = decile;
                let _ = writeln!(err, "{line}");
            }
        }
        let _ = err.flush();
    }

    fn line(&self, label: &str) -> String {
        const WIDTH: usize = 30;
        let filled = self.done * WIDTH / self.total.max(1);
        let elapsed = self.start.elapsed().as_secs_f64();
        let eta = if self.done > 0 {
            elapsed / self.done as f64 * (self.total - self.done) as f64
        } else {
            0.0
        };
        format!(
            "[{}{}] {}/{} runs, {} failed, {:.0} s elapsed, ~{:.0} s left  {label}",
            "#".repeat(filled),
            ".".repeat(WIDTH - filled),
            self.done,
            self.total,
            self.failed,
            elapsed,
            eta
        )
    }
}
