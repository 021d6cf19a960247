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

/// The servers a log's lines come from, as columns: its groups in order (the unnamed one first,
/// then by name: `ctlr`, `server-100`, `server-101`), and one more column per group than the
/// highest server index that logged a line (so that `S4` gets a column even if `S3` never
/// logged). No groups if no server logged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Servers {
    pub groups: Vec<String>,
    pub per_group: usize,
}

impl Servers {
    pub fn of<S: AsRef<str>>(lines: impl IntoIterator<Item = S>) -> Servers {
        let mut groups = std::collections::BTreeSet::new();
        let mut per_group = 0;
        for line in lines {
            if let Some(server) = parse::parse(line.as_ref()).and_then(|e| e.server) {
                groups.insert(server.group.to_string());
                per_group = per_group.max(server.index + 1);
            }
        }
        Servers {
            groups: groups.into_iter().collect(),
            per_group,
        }
    }

    /// Those of the log file at `path` (none if it cannot be read).
    pub fn of_file(path: &std::path::Path) -> Servers {
        match std::fs::File::open(path) {
            Ok(file) => Servers::of(BufReader::new(file).lines().map_while(Result::ok)),
            Err(_) => Servers::default(),
        }
    }
}

/// The viewer's options that give every server of the log file at `path` a column (` -c 5`), or
/// nothing if no server logged. A file's groups are found by the viewer itself.
pub fn view_options(path: &std::path::Path) -> String {
    match Servers::of_file(path).per_group {
        0 => String::new(),
        n => format!(" -c {n}"),
    }
}

/// Which lines to show: `--just` keeps only its topics, `--ignore` then removes its own, and
/// `--groups` keeps the servers of its groups only (and lines from no server).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    just: Option<Vec<String>>,
    ignore: Vec<String>,
    groups: Option<Vec<String>>,
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
            groups: None,
        }
    }

    /// Shows only the servers of `groups` (as a user names them: `100`, `ctlr`).
    pub fn groups(self, groups: &[String]) -> Filter {
        Filter {
            groups: (!groups.is_empty()).then(|| groups.to_vec()),
            ..self
        }
    }

    fn shows_event(&self, event: &parse::Event) -> bool {
        let group_shown = |server: &parse::Server| {
            (self.groups.as_ref())
                .is_none_or(|picks| picks.iter().any(|p| layout::group_is(p, server.group)))
        };
        self.shows(event.topic) && event.server.as_ref().is_none_or(group_shown)
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
    /// Whether the hint about servers of groups without columns was given.
    hinted: bool,
}

impl Viewer {
    pub fn new(layout: Layout, filter: Filter) -> Viewer {
        Viewer {
            layout,
            filter,
            last: Last::Nothing,
            hinted: false,
        }
    }

    /// Shows one input line (without its line ending).
    pub fn line(&mut self, line: &str, out: &mut impl Write) -> io::Result<()> {
        match parse::parse(line) {
            Some(event) => {
                if !self.filter.shows_event(&event) {
                    return Ok(());
                }
                if let Some(server) = &event.server
                    && !server.group.is_empty()
                    && self.layout.header().is_some()
                    && !self.layout.has_group(server.group)
                    && !std::mem::replace(&mut self.hinted, true)
                {
                    // On standard input the viewer cannot look ahead for the groups.
                    eprintln!(
                        "logs: {} is a server of group {}, which has no columns: -g names the \
                         groups to show in columns, in order (e.g. -g ctlr,100,101,102)",
                        server.name, server.group
                    );
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
    fn picked_groups_alone_are_shown_and_a_log_names_its_groups_in_order() {
        let log = "000001 CONF server-101-S2 a\n000002 CONF ctlr-S0 b\n000003 CONF server-100-S1 c\n\
                   000004 TEST join [100]\n";
        let servers = Servers::of(log.lines());
        assert_eq!(servers.groups, ["ctlr", "server-100", "server-101"]);
        assert_eq!(servers.per_group, 3);
        let picks = strings(&["100"]);
        let layout = Layout::grouped(&picks, 3, 60, Painter::new(false));
        let filter = Filter::new(&[], &[]).groups(&picks);
        let out = view(&mut Viewer::new(layout, filter), log.as_bytes());
        assert!(
            out.contains("CONF c") && out.contains("TEST     join [100]"),
            "{out}"
        );
        assert!(!out.contains(" a") && !out.contains(" b"), "{out}");
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
