//! Reading a run's output as it arrives: the last lines of it (bounded, whatever the run prints),
//! the harness's evidence lines carrying this run's secret (see `labrpc::grading`), libtest's own
//! result line, and the simulator's warnings.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use labrpc::grading::{MARK, MAX_LINE};

/// Lines kept per run: enough for the failure message and the replay command.
const KEPT_LINES: usize = 400;
/// Bytes kept of one line in the tail; the rest of a longer line is dropped.
const KEPT_LINE_BYTES: usize = 1000;
/// Simulator warnings kept per run.
const KEPT_WARNINGS: usize = 5;
/// How the simulator starts a warning for the student (a thread blocked in real time).
const WARNING: &str = "labrpc: warning: ";

/// What the harness said about the test, in a line carrying this run's secret.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Passed {
        virtual_ms: Option<u64>,
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
    /// libtest printed `test result: ok. 1 passed`.
    pub libtest_passed: bool,
    /// Rust's allocation-failure message (before it aborts the process).
    pub allocation_failed: bool,
    pub warnings: Vec<String>,
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
        if let Some(verdict) = self.evidence(line) {
            // A failure is final; a pass only counts if nothing failed.
            if !matches!(seen.verdict, Some(Verdict::Failed { .. })) {
                seen.verdict = Some(verdict);
            }
        }
        if line.contains(&self.secret) {
            return; // the secret stays out of the kept output
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

    /// The verdict in `line`, if it is an evidence line with this run's secret about this test.
    fn evidence(&self, line: &str) -> Option<Verdict> {
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
        let (virtual_ms, reason) = match rest.strip_prefix("virtual_ms=") {
            Some(timed) => {
                let (ms, reason) = timed.split_once(' ').unwrap_or((timed, ""));
                (ms.parse().ok(), reason)
            }
            None => (None, rest),
        };
        match verdict {
            "passed" => Some(Verdict::Passed { virtual_ms }),
            "failed" => Some(Verdict::Failed {
                virtual_ms,
                reason: labrpc::grading::unescape(reason.trim()),
            }),
            _ => None,
        }
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

/// Calls `f` on each line of `pipe` (lossily decoded), holding at most [`MAX_LINE`] bytes of
/// any line in memory (enough for an evidence line), until the pipe ends or fails.
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
        let room = MAX_LINE.saturating_sub(line.len());
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
        w.line("labrpc-grader s3cret part::t_1 passed virtual_ms=5");
        assert_eq!(
            w.seen().verdict,
            Some(Verdict::Passed {
                virtual_ms: Some(5)
            })
        );
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
