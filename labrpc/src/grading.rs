//! The test harness's side of the grader's completion evidence.
//!
//! A grader cannot trust a test process's exit status: lab code runs inside that process and can
//! call `std::process::exit(0)` before the test has checked anything. So the grader sets
//! `LAB_GRADER_EVIDENCE=1` and writes a secret of its own on the process's standard input. The
//! harness [`take`]s it once, before the test runs any lab code, and when the test ends writes one
//! line carrying it to standard error:
//!
//! ```text
//! labrpc-grader <secret> <test> passed seed=<n> virtual_ms=<n> [missing=<event>,<event>]
//! labrpc-grader <secret> <test> failed seed=<n> virtual_ms=<n> <reason>
//! ```
//!
//! (`seed` is the seed the run used, which a tool compares with the `LAB_SEED` it gave to learn
//! whether the test takes its seed; simulated tests only, as `virtual_ms`. `missing` names the
//! events the test exists to create that the run did not make happen (see
//! [`crate::sim::scenario`]): a grader does not count such a pass.)
//!
//! The reason is the whole failure message, up to [`MAX_REASON`] bytes, on that one line: a
//! backslash is written `\\`, a line break `\n` (see [`escape`] and [`unescape`]).
//!
//! Lab code that runs later finds standard input already read to its end and the secret held only
//! by the harness, so it can neither end the process early with a pass nor print a failure reason
//! of its own choosing. (Code that reads the process's memory could; docs/instructors.md says what
//! the grader does and does not defend.)

use std::io::{BufRead, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The environment variable that tells the harness to read the grader's secret from stdin.
pub const ENV: &str = "LAB_GRADER_EVIDENCE";
/// The first word of every evidence line.
pub const MARK: &str = "labrpc-grader";
/// The longest secret read: enough for any sane secret, bounded against a stream on stdin.
const MAX_SECRET: u64 = 256;
/// The most of a failure message an evidence line carries, escaped: the first line says what is
/// wrong and the lines after it explain (both values of a wrong Get, say); a longer message is
/// cut, with a note that the whole of it is in the test's output.
pub const MAX_REASON: usize = 4096;
/// The longest evidence line: its reason and what comes before it.
pub const MAX_LINE: usize = MAX_REASON + 512;

/// Taken once per process, by the first harness that asks.
static TAKEN: AtomicBool = AtomicBool::new(false);

/// The grader's secret for this run and the test it vouches for.
#[derive(Clone)]
pub struct Evidence {
    secret: String,
    test: String,
    seed: Option<u64>,
    /// The events the test names that did not happen, joined by `,` (empty when none).
    missing: String,
}

impl std::fmt::Debug for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Evidence {{ test: {:?}, secret: <hidden> }}", self.test)
    }
}

/// The grader's secret, when a grader asked for evidence and no one took it before. Call it in
/// the test's own thread before running lab code: the test is named after libtest's thread name
/// (the test's full path), or `fallback` outside libtest.
pub fn take(fallback: &str) -> Option<Evidence> {
    if std::env::var_os(ENV).is_none() || TAKEN.swap(true, Ordering::SeqCst) {
        return None;
    }
    let mut line = String::new();
    let read = std::io::stdin()
        .lock()
        .take(MAX_SECRET)
        .read_line(&mut line);
    let secret = line.trim();
    if read.is_err() || secret.is_empty() {
        eprintln!(
            "labrpc: {ENV} is set but standard input holds no secret; no evidence is written"
        );
        return None;
    }
    let thread = std::thread::current();
    let test = match thread.name() {
        Some(name) if name != "main" => name,
        _ => fallback,
    };
    Some(Evidence {
        secret: secret.to_string(),
        test: test.replace(char::is_whitespace, "_"),
        seed: None,
        missing: String::new(),
    })
}

impl Evidence {
    /// This evidence, saying that the run used seed `seed`.
    pub fn for_seed(&self, seed: u64) -> Evidence {
        Evidence {
            seed: Some(seed),
            ..self.clone()
        }
    }

    /// This evidence, saying that the run did not make the events `missing` happen (`a,b`).
    pub fn missing(&self, missing: &str) -> Evidence {
        Evidence {
            missing: missing.to_string(),
            ..self.clone()
        }
    }

    /// Says the test passed (`virtual_time`: the simulated time it took, if simulated).
    pub fn passed(&self, virtual_time: Option<Duration>) {
        write_uncaptured(&self.line("passed", virtual_time, ""));
    }

    /// Says the test failed, and why (`reason`, whole up to [`MAX_REASON`] bytes).
    pub fn failed(&self, virtual_time: Option<Duration>, reason: &str) {
        write_uncaptured(&self.failed_line(virtual_time, reason));
    }

    /// The line [`Evidence::failed`] writes, for a harness that must print it itself (the
    /// watchdog, which ends the process from another thread).
    pub fn failed_line(&self, virtual_time: Option<Duration>, reason: &str) -> String {
        self.line("failed", virtual_time, &escape(reason.trim()))
    }

    fn line(&self, verdict: &str, virtual_time: Option<Duration>, reason: &str) -> String {
        let mut line = format!("{MARK} {} {} {verdict}", self.secret, self.test);
        if let Some(seed) = self.seed {
            line += &format!(" seed={seed}");
        }
        if let Some(time) = virtual_time {
            line += &format!(" virtual_ms={}", time.as_millis());
        }
        if verdict == "passed" && !self.missing.is_empty() {
            line += &format!(" missing={}", self.missing);
        }
        if !reason.is_empty() {
            line += &format!(" {reason}");
        }
        line
    }
}

/// `reason` on one line: `\` as `\\`, a line break as `\n`, other control characters as spaces;
/// cut after [`MAX_REASON`] bytes with a note saying so.
pub fn escape(reason: &str) -> String {
    let mut escaped = String::with_capacity(reason.len().min(MAX_REASON));
    for (at, c) in reason.char_indices() {
        let mut piece = [0; 4];
        let piece: &str = match c {
            '\\' => "\\\\",
            '\n' => "\\n",
            c if c.is_control() => " ",
            c => c.encode_utf8(&mut piece),
        };
        if escaped.len() + piece.len() > MAX_REASON {
            escaped += &format!(
                "\\n[... {} more bytes: the whole message is in the test's output]",
                reason.len() - at
            );
            break;
        }
        escaped += piece;
    }
    escaped
}

/// The reason [`escape`] wrote.
pub fn unescape(escaped: &str) -> String {
    let mut reason = String::with_capacity(escaped.len());
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        reason.push(if c == '\\' {
            match chars.next() {
                Some('n') => '\n',
                Some(other) => other,
                None => '\\',
            }
        } else {
            c
        });
    }
    reason
}

/// Straight to the process's standard error (libtest captures only `print!`/`eprint!` output,
/// and drops it for a passing test), in one write: a short write to a pipe is not interleaved
/// with another thread's output. The leading newline ends any partial line before it.
fn write_uncaptured(line: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(format!("\n{line}\n").as_bytes());
    let _ = stderr.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_of_several_lines_travels_on_one_line_and_comes_back_whole() {
        let reason = "Get(\"0\"): client 0's append 3 is missing\n  expected: \"a\\\\nb\"\r\tend";
        let escaped = escape(reason);
        assert!(
            !escaped.contains('\n') && !escaped.contains('\r'),
            "{escaped}"
        );
        assert_eq!(
            unescape(&escaped),
            "Get(\"0\"): client 0's append 3 is missing\n  expected: \"a\\\\nb\"  end"
        );
    }

    #[test]
    fn a_long_reason_is_cut_with_a_note_and_the_line_stays_within_its_bound() {
        let reason = format!("first line\n{}", "é\\".repeat(10_000));
        let escaped = escape(&reason);
        assert!(escaped.len() <= MAX_REASON + 100, "{}", escaped.len());
        let back = unescape(&escaped);
        assert!(back.starts_with("first line\né\\"));
        assert!(
            back.ends_with("more bytes: the whole message is in the test's output]"),
            "{}",
            &back[back.len() - 80..]
        );
    }
}
