//! Reading a run's output as it arrives: the last lines of it (bounded, whatever the run prints),
//! the harness's evidence lines carrying this run's secret (see `labrpc::grading`), libtest's own
//! result line, and the simulator's warnings.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use labrpc::grading::MARK;

/// Lines kept per run: enough for the failure message and the replay command.
const KEPT_LINES: usize = 400;
/// Bytes kept of one line in the tail; the rest of a longer line is dropped.
const KEPT_LINE_BYTES: usize = 1000;
/// Bytes of one line held while it is read: enough for an evidence line (at most
/// `labrpc::grading::MAX_LINE`) and for a kept log's longest lines (a panic quoting two long
/// values); the rest of a longer line is dropped.
const HELD_LINE_BYTES: usize = 1 << 20;
/// Simulator warnings kept per run.
const KEPT_WARNINGS: usize = 5;
/// How the simulator starts a warning for the student (a thread blocked in real time).
const WARNING: &str = "labrpc: warning: ";

/// What the harness said about the test, in a line carrying this run's secret.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Passed {
        virtual_ms: Option<u64>,
        /// The events the test exists to create that this run did not make happen.
        missing: Vec<String>,
    },
    Failed {
        virtual_ms: Option<u64>,
        reason: String,
    },
}

/// Everything seen in a run's output so far.
#[derive(Debug, Default)]
pub struct Seen {
    /// The last lines, oldest first.
    pub tail: VecDeque<String>,
    /// Lines that fell out of the tail.
    pub omitted: usize,
    pub verdict: Option<Verdict>,
    /// The seed the harness says the run used (simulated tests).
    pub seed_used: Option<u64>,
    /// libtest printed `test result: ok. 1 passed`.
    pub libtest_passed: bool,
    /// Rust's allocation-failure message (before it aborts the process).
    pub allocation_failed: bool,
    pub warnings: Vec<String>,
    /// The whole output, as far as it was written to the run's log file (see [`Watcher::log_to`]).
    pub log: Option<Log>,
}

/// A run's whole output, written to a file up to a cap.
#[derive(Debug)]
pub struct Log {
    file: File,
    cap: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Whether the cap cut it.
    pub cut: bool,
}

impl Log {
    /// Appends `line` unless the cap has been reached; a write error ends the log as cut.
    fn write(&mut self, line: &str) {
        if self.cut {
            return;
        }
        let len = line.len() as u64 + 1;
        if self.bytes + len > self.cap || writeln!(self.file, "{line}").is_err() {
            self.cut = true;
            return;
        }
        self.bytes += len;
    }
}

impl Seen {
    /// The tail as text, saying how many earlier lines it leaves out.
    pub fn tail_text(&self) -> String {
        let mut text = if self.omitted > 0 {
            format!("[... {} earlier lines omitted ...]\n", self.omitted)
        } else {
            String::new()
        };
        text += &Vec::from(self.tail.clone()).join("\n");
        text
    }
}

/// Watches the output streams of one run.
pub struct Watcher {
    secret: String,
    /// The names the harness may give the test (libtest's full name, the function's name).
    names: Vec<String>,
    seen: Mutex<Seen>,
}

impl Watcher {
    pub fn new(secret: String, names: Vec<String>) -> Arc<Watcher> {
        Arc::new(Watcher {
            secret,
            names,
            seen: Mutex::new(Seen::default()),
        })
    }

    /// Also writes every line (but the evidence) to `file`, until `cap` bytes.
    pub fn log_to(&self, file: File, cap: u64) {
        self.seen().log = Some(Log {
            file,
            cap,
            bytes: 0,
            cut: false,
        });
    }

    /// Reads `pipe` to its end on a thread of its own.
    pub fn read(self: &Arc<Self>, pipe: impl Read + Send + 'static) -> JoinHandle<()> {
        let watcher = self.clone();
        std::thread::spawn(move || for_each_line(pipe, |line| watcher.line(line)))
    }

    /// What has been seen so far (the readers may still be running).
    pub fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn line(&self, line: &str) {
        let mut seen = self.seen();
        if let Some((verdict, seed)) = self.evidence(line) {
            // A failure is final; a pass only counts if nothing failed.
            if !matches!(seen.verdict, Some(Verdict::Failed { .. })) {
                seen.verdict = Some(verdict);
                seen.seed_used = seed;
            }
        }
        if line.contains(&self.secret) {
            return; // the secret stays out of the kept output
        }
        if let Some(log) = &mut seen.log {
            log.write(line);
        }
        if line.starts_with("test result: ok. 1 passed;") {
            seen.libtest_passed = true;
        }
        if line.starts_with("memory allocation of ") && line.ends_with(" failed") {
            seen.allocation_failed = true;
        }
        if let Some(warning) = line.strip_prefix(WARNING)
            && seen.warnings.len() < KEPT_WARNINGS
            && !seen.warnings.iter().any(|w| w == warning)
        {
            seen.warnings.push(warning.to_string());
        }
        seen.tail.push_back(cut(line, KEPT_LINE_BYTES).to_string());
        if seen.tail.len() > KEPT_LINES {
            seen.tail.pop_front();
            seen.omitted += 1;
        }
    }

    /// The verdict in `line` and the seed it names, if it is an evidence line with this run's
    /// secret about this test.
    fn evidence(&self, line: &str) -> Option<(Verdict, Option<u64>)> {
        let mut fields = line.splitn(5, ' ');
        let (mark, secret, test, verdict) = (
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
        );
        if mark != MARK || secret != self.secret || !self.names.iter().any(|n| n == test) {
            return None;
        }
        let rest = fields.next().unwrap_or("");
        let (seed, rest) = match rest.strip_prefix("seed=") {
            Some(seeded) => {
                let (seed, rest) = seeded.split_once(' ').unwrap_or((seeded, ""));
                (seed.parse().ok(), rest)
            }
            None => (None, rest),
        };
        let (virtual_ms, reason) = match rest.strip_prefix("virtual_ms=") {
            Some(timed) => {
                let (ms, reason) = timed.split_once(' ').unwrap_or((timed, ""));
                (ms.parse().ok(), reason)
            }
            None => (None, rest),
        };
        let verdict = match verdict {
            "passed" => Verdict::Passed {
                virtual_ms,
                missing: (reason.trim().strip_prefix("missing="))
                    .map(|events| events.split(',').map(str::to_string).collect())
                    .unwrap_or_default(),
            },
            "failed" => Verdict::Failed {
                virtual_ms,
                reason: labrpc::grading::unescape(reason.trim()),
            },
            _ => return None,
        };
        Some((verdict, seed))
    }
}

/// `line`'s first `max` bytes (whole characters).
fn cut(line: &str, max: usize) -> &str {
    let mut end = line.len().min(max);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    &line[..end]
}

/// Calls `f` on each line of `pipe` (lossily decoded), holding at most [`HELD_LINE_BYTES`] of
/// any line in memory, until the pipe ends or fails.
fn for_each_line(pipe: impl Read, mut f: impl FnMut(&str)) {
    let mut reader = BufReader::with_capacity(64 * 1024, pipe);
    let mut line = Vec::new();
    loop {
        let buf = match reader.fill_buf() {
            Ok([]) => break,
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let newline = buf.iter().position(|&b| b == b'\n');
        let chunk = &buf[..newline.unwrap_or(buf.len())];
        let room = HELD_LINE_BYTES.saturating_sub(line.len());
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = newline.map_or(buf.len(), |i| i + 1);
        reader.consume(used);
        if newline.is_some() {
            f(String::from_utf8_lossy(&line).trim_end_matches('\r'));
            line.clear();
        }
    }
    if !line.is_empty() {
        f(&String::from_utf8_lossy(&line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watcher() -> Arc<Watcher> {
        Watcher::new("s3cret".into(), vec!["part::t_1".into(), "t_1".into()])
    }

    #[test]
    fn only_lines_with_the_secret_and_the_test_count() {
        let w = watcher();
        w.line("labrpc-grader guess part::t_1 passed virtual_ms=5");
        w.line("labrpc-grader s3cret other_test passed");
        assert_eq!(w.seen().verdict, None);
        w.line("labrpc-grader s3cret part::t_1 passed seed=12 virtual_ms=5");
        assert_eq!(
            w.seen().verdict,
            Some(Verdict::Passed {
                virtual_ms: Some(5),
                missing: Vec::new(),
            })
        );
        assert_eq!(w.seen().seed_used, Some(12));
        w.line("labrpc-grader s3cret t_1 failed virtual_ms=7 expected one leader");
        w.line("labrpc-grader s3cret t_1 passed");
        assert_eq!(
            w.seen().verdict,
            Some(Verdict::Failed {
                virtual_ms: Some(7),
                reason: "expected one leader".into()
            })
        );
        // The secret never reaches the kept output; the forged lines do.
        assert!(!w.seen().tail_text().contains("s3cret"));
        assert!(w.seen().tail_text().contains("guess"));
    }

    #[test]
    fn a_pass_names_the_events_its_run_did_not_make_happen() {
        let w = watcher();
        w.line(
            "labrpc-grader s3cret t_1 passed seed=3 virtual_ms=5 missing=snapshot-installed,a-b",
        );
        assert_eq!(
            w.seen().verdict,
            Some(Verdict::Passed {
                virtual_ms: Some(5),
                missing: vec!["snapshot-installed".into(), "a-b".into()],
            })
        );
    }

    #[test]
    fn a_huge_line_without_newline_is_cut_and_the_tail_is_bounded() {
        let w = watcher();
        let mut flood = vec![b'x'; 10 * 1024 * 1024];
        flood.push(b'\n');
        flood.extend(b"last\n".repeat(KEPT_LINES + 10));
        for_each_line(&flood[..], |l| w.line(l));
        let seen = w.seen();
        assert_eq!(seen.tail.len(), KEPT_LINES);
        assert_eq!(seen.omitted, 11);
        assert!(seen.tail.iter().all(|l| l.len() <= KEPT_LINE_BYTES));
    }

    #[test]
    fn the_log_holds_every_line_but_the_evidence_until_its_cap() {
        let w = watcher();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.log");
        w.log_to(File::create(&path).unwrap(), 20);
        for line in [
            "000001 VOTE S0 a",
            "labrpc-grader s3cret t_1 passed",
            "b",
            "cdefghij",
            "d",
        ] {
            w.line(line);
        }
        // Whole lines, in order, until one does not fit: none after it.
        let log = w.seen().log.as_ref().map(|l| (l.bytes, l.cut));
        assert_eq!(log, Some((19, true)));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "000001 VOTE S0 a\nb\n"
        );
    }

    #[test]
    fn a_long_reason_of_several_lines_reaches_the_verdict_whole() {
        let w = watcher();
        let reason = format!(
            "Get(\"0\"): client 0's append 3 is missing\n{}",
            "é".repeat(1500)
        );
        let line = format!(
            "labrpc-grader s3cret t_1 failed virtual_ms=7 {}\n",
            labrpc::grading::escape(&reason)
        );
        for_each_line(line.as_bytes(), |l| w.line(l));
        assert_eq!(
            w.seen().verdict,
            Some(Verdict::Failed {
                virtual_ms: Some(7),
                reason
            })
        );
    }
}
