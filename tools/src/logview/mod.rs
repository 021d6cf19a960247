//! The log viewer behind the `logs` binary (the course's dslogs): reads the simulator's debug
//! lines (`<ms> <TOPIC> S<n> <text>`, see `labrpc::dlog!`) and shows them coloured by topic,
//! optionally one column per server, keeping any other output (test results, panics) verbatim.
//!
//! - [`parse`]: recognising a log line.
//! - [`layout`]: one line per event, or one column per server.
//! - [`color`]: a colour per topic.

pub mod color;
pub mod layout;
pub mod parse;

use std::io::{self, BufRead, BufReader, Read, Write};

use layout::Layout;

/// The longest input line the viewer holds. Simulator lines are short and even a panic with a
/// large debug dump stays far below this; input with longer lines (a binary file, `/dev/zero`
/// on standard input) is refused instead of filling memory, since the viewer reads by lines.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// How many columns a log needs: one more than the highest server index that logged a line (0 if
/// none did), so that `S4`'s lines get a column even if `S3` never logged.
pub fn columns_needed(log: &str) -> usize {
    log.lines()
        .filter_map(|line| parse::parse(line)?.server)
        .map(|server| server.index + 1)
        .max()
        .unwrap_or(0)
}

/// Which topics to show: `--just` keeps only its topics, `--ignore` then removes its own.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    just: Option<Vec<String>>,
    ignore: Vec<String>,
}

impl Filter {
    /// Topics are compared in capitals, so `-j vote` works; empty names (`-j VOTE,`) are dropped.
    pub fn new(just: &[String], ignore: &[String]) -> Filter {
        let topics = |list: &[String]| -> Vec<String> {
            list.iter()
                .map(|t| t.trim().to_uppercase())
                .filter(|t| !t.is_empty())
                .collect()
        };
        let just = topics(just);
        Filter {
            just: (!just.is_empty()).then_some(just),
            ignore: topics(ignore),
        }
    }

    pub fn shows(&self, topic: &str) -> bool {
        self.just
            .as_ref()
            .is_none_or(|just| just.iter().any(|t| t == topic))
            && !self.ignore.iter().any(|t| t == topic)
    }
}

/// What the viewer wrote last, which decides whether a separator or a header comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    Nothing,
    Event,
    Other,
}

/// Turns input lines into output rows, one line at a time, so it can follow a running test.
#[derive(Debug)]
pub struct Viewer {
    layout: Layout,
    filter: Filter,
    last: Last,
}

impl Viewer {
    pub fn new(layout: Layout, filter: Filter) -> Viewer {
        Viewer {
            layout,
            filter,
            last: Last::Nothing,
        }
    }

    /// Shows one input line (without its line ending).
    pub fn line(&mut self, line: &str, out: &mut impl Write) -> io::Result<()> {
        match parse::parse(line) {
            Some(event) => {
                if !self.filter.shows(event.topic) {
                    return Ok(());
                }
                // The column names return after every stretch of other output: each test's
                // events then start under a header.
                if self.last != Last::Event
                    && let Some(header) = self.layout.header()
                {
                    writeln!(out, "{header}")?;
                }
                for row in self.layout.event(&event) {
                    writeln!(out, "{row}")?;
                }
                self.last = Last::Event;
            }
            // Blank lines separate nothing worth a rule; they pass through as they are.
            None if line.trim().is_empty() => writeln!(out)?,
            None => {
                if self.last != Last::Other {
                    writeln!(out, "{}", self.layout.separator())?;
                }
                writeln!(out, "{line}")?;
                self.last = Last::Other;
            }
        }
        Ok(())
    }

    /// Shows everything `input` holds. Bytes that are not UTF-8 are replaced rather than refused:
    /// a log cut in the middle of a character, or a binary dump, must still be readable. A line
    /// longer than `max_line` bytes is an `InvalidData` error naming it.
    pub fn run(
        &mut self,
        input: impl Read,
        max_line: usize,
        out: &mut impl Write,
    ) -> io::Result<()> {
        let mut input = BufReader::new(input);
        let mut bytes = Vec::new();
        for line_no in 1.. {
            bytes.clear();
            let limit = max_line as u64 + 1;
            if (&mut input).take(limit).read_until(b'\n', &mut bytes)? == 0 {
                break;
            }
            if bytes.len() > max_line {
                out.flush()?;
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "line {line_no} is longer than {} MiB: this is not a simulator log",
                        max_line >> 20
                    ),
                ));
            }
            let line = String::from_utf8_lossy(&bytes);
            self.line(line.trim_end_matches(['\n', '\r']), out)?;
            // Flushing whenever the input has nothing more buffered shows a live test's lines as
            // they come, yet writes a file's in large blocks.
            if input.buffer().is_empty() {
                out.flush()?;
            }
        }
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::color::Painter;
    use super::*;

    fn view(viewer: &mut Viewer, input: &[u8]) -> String {
        let mut out = Vec::new();
        viewer.run(input, MAX_LINE_BYTES, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn lines_viewer(filter: Filter) -> Viewer {
        Viewer::new(Layout::lines(40, Painter::new(false)), filter)
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn filters() {
        let all = Filter::new(&[], &[]);
        assert!(all.shows("VOTE") && all.shows("ABCD"));
        let just = Filter::new(&strings(&["vote", " lead", ""]), &[]);
        assert!(just.shows("VOTE") && just.shows("LEAD") && !just.shows("TERM"));
        let ignore = Filter::new(&[], &strings(&["LOG1"]));
        assert!(ignore.shows("VOTE") && !ignore.shows("LOG1"));
        let both = Filter::new(&strings(&["VOTE", "LEAD"]), &strings(&["LEAD"]));
        assert!(both.shows("VOTE") && !both.shows("LEAD"));
        assert!(Filter::new(&strings(&[""]), &[]).shows("VOTE"));
    }

    #[test]
    fn other_output_comes_after_one_separator_per_stretch() {
        let input = b"running 1 test\n\
                      000001 VOTE S0 a\n\
                      \n\
                      000002 LEAD S0 b\n\
                      test x ... ok\n\
                      \n\
                      test result: ok\n";
        let hashes = "#".repeat(40);
        let expected = format!(
            "{hashes}\nrunning 1 test\n\
             000001 VOTE S0  a\n\
             \n\
             000002 LEAD S0  b\n\
             {hashes}\ntest x ... ok\n\
             \n\
             test result: ok\n"
        );
        assert_eq!(view(&mut lines_viewer(Filter::default()), input), expected);
    }

    #[test]
    fn filtered_events_vanish_without_breaking_a_stretch() {
        let input = b"x\n000001 VOTE S0 a\ny\n";
        let filter = Filter::new(&[], &strings(&["VOTE"]));
        let hashes = "#".repeat(40);
        assert_eq!(
            view(&mut lines_viewer(filter), input),
            format!("{hashes}\nx\ny\n")
        );
    }

    #[test]
    fn header_starts_each_stretch_of_columns() {
        let layout = Layout::columns(2, 40, Painter::new(false));
        let mut viewer = Viewer::new(layout, Filter::default());
        let out = view(
            &mut viewer,
            b"000001 VOTE S0 a\n000002 VOTE S1 b\nok\n000003 VOTE S0 c\n",
        );
        let headers = out.lines().filter(|l| l.starts_with("S0 ")).count();
        assert_eq!(headers, 2, "{out}");
    }

    #[test]
    fn a_line_beyond_the_limit_is_refused_after_the_lines_before_it() {
        let mut viewer = lines_viewer(Filter::default());
        let mut input = b"000001 VOTE S0 a\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 3 << 20));
        let mut out = Vec::new();
        let e = viewer.run(&input[..], 2 << 20, &mut out).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            e.to_string(),
            "line 2 is longer than 2 MiB: this is not a simulator log"
        );
        assert_eq!(String::from_utf8(out).unwrap(), "000001 VOTE S0  a\n");
        // Exactly at the limit is still a line.
        let exact = vec![b'y'; 2 << 20];
        viewer.run(&exact[..], 2 << 20, &mut Vec::new()).unwrap();
    }

    #[test]
    fn odd_input_is_shown_not_refused() {
        let mut viewer = lines_viewer(Filter::default());
        let out = view(
            &mut viewer,
            b"000001 VOTE S0 caf\xe9\r\n\xff\xfe\n000002 LEAD S1 no newline",
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "000001 VOTE S0  caf\u{fffd}");
        assert_eq!(lines[2], "\u{fffd}\u{fffd}");
        assert_eq!(lines[3], "000002 LEAD S1  no newline");
        assert_eq!(view(&mut viewer, b""), "");
    }
}
