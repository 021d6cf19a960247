//! Placing events on the screen: one line per event (wrapped, with a hanging indent), or one
//! column per server with the time in a narrow left gutter, the servers of several groups side
//! by side, group after group.

use super::color::Painter;
use super::parse::{Event, Server};

/// The narrowest output the viewer accepts; below it nothing useful fits.
pub const MIN_WIDTH: usize = 40;

/// Space for the time: the simulator writes at least six digits. A longer time (over 16 minutes
/// of virtual time) pushes its row right by a character rather than widening every row.
const TIME_WIDTH: usize = 6;

/// Server names are padded to this in one-line mode so the text of `S0`..`S99` lines aligns.
const NODE_WIDTH: usize = 3;

/// Between columns (and between the time gutter and the first column), drawn as a space, this
/// and a space.
const RULE: &str = "│";
const RULE_WIDTH: usize = 3;

/// Columns narrower than this wrap nearly every word; the time gutter is dropped first to
/// avoid it, as dslogs does.
const MIN_CELL_WITH_TIME: usize = 20;

/// Never wrap to less than this, even when many columns ask for it: the output then runs wider
/// than asked, which beats one letter per line.
const MIN_TEXT: usize = 8;

/// Where and how events are drawn.
#[derive(Debug, Clone)]
pub struct Layout {
    width: usize,
    columns: Option<Columns>,
    painter: Painter,
}

#[derive(Debug, Clone)]
struct Columns {
    /// The groups, in column order (`[""]`: the servers of one unnamed group, `S0`, `S1`, ...).
    groups: Vec<String>,
    /// Columns per group: servers `S0` to `S<per_group - 1>` of each.
    per_group: usize,
    /// Characters in each column.
    cell: usize,
    /// Whether the time gutter fits.
    time: bool,
}

impl Columns {
    fn count(&self) -> usize {
        self.groups.len() * self.per_group
    }

    /// The column of `server`, if it has one.
    fn of(&self, server: &Server) -> Option<usize> {
        let group = self.groups.iter().position(|g| group_is(g, server.group))?;
        (server.index < self.per_group).then_some(group * self.per_group + server.index)
    }

    /// The name of column `i`: `S2`, or with several groups `100 S2`.
    fn name(&self, i: usize) -> String {
        let (group, index) = (&self.groups[i / self.per_group], i % self.per_group);
        match label(group) {
            "" => format!("S{index}"),
            label => format!("{label} S{index}"),
        }
    }
}

/// Whether `pick`, a group as a user names it (`100`, `ctlr`, `server-100`), is `group`.
pub fn group_is(pick: &str, group: &str) -> bool {
    pick == group
        || group
            .strip_suffix(pick)
            .is_some_and(|rest| rest.ends_with('-'))
}

/// The short name of a group in a column's header: its last part (`server-100`: `100`).
fn label(group: &str) -> &str {
    group.rsplit('-').next().unwrap_or(group)
}

impl Layout {
    /// One line per event.
    pub fn lines(width: usize, painter: Painter) -> Layout {
        Layout {
            width: width.max(MIN_WIDTH),
            columns: None,
            painter,
        }
    }

    /// One column for each of servers `S0`..`S<count-1>`.
    pub fn columns(count: usize, width: usize, painter: Painter) -> Layout {
        Layout::grouped(&[String::new()], count, width, painter)
    }

    /// One column for each of servers `S0`..`S<per_group-1>` of each of `groups`, in order.
    pub fn grouped(groups: &[String], per_group: usize, width: usize, painter: Painter) -> Layout {
        let width = width.max(MIN_WIDTH);
        let per_group = per_group.max(1);
        let groups = if groups.is_empty() {
            vec![String::new()]
        } else {
            groups.to_vec()
        };
        let count = groups.len() * per_group;
        let rules = RULE_WIDTH * (count - 1);
        let cell = |gutter: usize| width.saturating_sub(gutter + rules) / count;
        let with_time = cell(TIME_WIDTH + RULE_WIDTH);
        let time = with_time >= MIN_CELL_WITH_TIME;
        let cell = if time { with_time } else { cell(0) }.max(MIN_TEXT);
        Layout {
            width,
            columns: Some(Columns {
                groups,
                per_group,
                cell,
                time,
            }),
            painter,
        }
    }

    /// Whether the servers of `group` have columns.
    pub fn has_group(&self, group: &str) -> bool {
        (self.columns.as_ref()).is_some_and(|c| c.groups.iter().any(|g| group_is(g, group)))
    }

    /// The row naming each column, in column mode.
    pub fn header(&self) -> Option<String> {
        let columns = self.columns.as_ref()?;
        let names: Vec<String> = (0..columns.count()).map(|i| columns.name(i)).collect();
        let cells: Vec<&str> = names.iter().map(String::as_str).collect();
        Some(self.compose(columns, "", &cells, |_, name| self.painter.dim(name)))
    }

    /// A full-width rule, put before output that is not a log line so it stands out.
    pub fn separator(&self) -> String {
        self.painter.dim(&"#".repeat(self.width))
    }

    /// The rows that show one event.
    pub fn event(&self, event: &Event) -> Vec<String> {
        let columns = self.columns.as_ref();
        let column = columns
            .zip(event.server.as_ref())
            .and_then(|(c, s)| c.of(s));
        match (columns, column) {
            (Some(columns), Some(column)) => self.in_column(columns, column, event),
            // Harness lines, and servers beyond the last column, span the whole width.
            _ => self.across(event),
        }
    }

    /// `000318 VOTE S1  T1 granted vote to S0`, continuation lines indented under the text.
    fn across(&self, event: &Event) -> Vec<String> {
        let node = event.server.map_or("", |s| s.name);
        let head = format!("{} {node:<NODE_WIDTH$} ", event.topic);
        let indent = event.time.chars().count() + 1 + head.chars().count();
        let text = wrap(
            &printable(event.text),
            self.width.saturating_sub(indent).max(MIN_TEXT),
        );
        let paint = |s: &str| self.painter.topic(event.topic, s);
        let mut rows = Vec::with_capacity(text.len());
        for (i, piece) in text.iter().enumerate() {
            rows.push(if i == 0 {
                let first = format!("{head}{piece}");
                format!(
                    "{} {}",
                    self.painter.dim(event.time),
                    paint(first.trim_end())
                )
            } else {
                format!("{:indent$}{}", "", paint(piece))
            });
        }
        rows
    }

    /// The event's topic and text in its server's column; the other columns stay empty.
    fn in_column(&self, columns: &Columns, index: usize, event: &Event) -> Vec<String> {
        let text = format!("{} {}", event.topic, printable(event.text));
        let mut rows = Vec::new();
        for (i, piece) in wrap(&text, columns.cell).iter().enumerate() {
            let mut cells = vec![""; columns.count()];
            cells[index] = piece;
            let time = if i == 0 { event.time } else { "" };
            rows.push(self.compose(columns, time, &cells, |i, cell| {
                if i == index {
                    self.painter.topic(event.topic, cell)
                } else {
                    cell.to_string()
                }
            }));
        }
        rows
    }

    /// Pads each cell but the last to the column width before painting it, so escapes never count
    /// as width and a row ends with its text.
    fn compose(
        &self,
        columns: &Columns,
        time: &str,
        cells: &[&str],
        paint: impl Fn(usize, &str) -> String,
    ) -> String {
        let rule = format!(" {} ", self.painter.dim(RULE));
        let mut row = String::new();
        if columns.time {
            row += &self.painter.dim(&format!("{time:<TIME_WIDTH$}"));
            row += &rule;
        }
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                row += &rule;
            }
            if i + 1 < cells.len() {
                row += &paint(i, &format!("{cell:<width$}", width = columns.cell));
            } else {
                row += &paint(i, cell);
            }
        }
        // An empty last column leaves the rule's space at the end.
        row.truncate(row.trim_end().len());
        row
    }
}

/// Tabs and other control characters would move the cursor and break the columns.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Splits `text` into lines of at most `width` characters, between words where it can and inside
/// a word longer than a line. Always at least one (maybe empty) line; spaces inside a line are
/// kept as they are.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    // Nothing placed on `line` yet, not even an empty word.
    let mut fresh = true;
    for word in text.split(' ') {
        let mut word = word;
        let mut word_len = word.chars().count();
        if !fresh {
            if len + 1 + word_len <= width {
                line.push(' ');
                line.push_str(word);
                len += 1 + word_len;
                continue;
            }
            lines.push(std::mem::take(&mut line));
            fresh = true;
        }
        // Spaces where a line breaks are the break itself; only the text's leading ones stay.
        if word.is_empty() && !lines.is_empty() {
            continue;
        }
        while word_len > width {
            let split = word
                .char_indices()
                .nth(width)
                .map_or(word.len(), |(at, _)| at);
            lines.push(word[..split].to_string());
            word = &word[split..];
            word_len -= width;
        }
        line.push_str(word);
        len = word_len;
        fresh = false;
    }
    if !fresh || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    const PLAIN: Painter = Painter::new(false);

    fn event(line: &str) -> Event<'_> {
        parse(line).unwrap()
    }

    #[test]
    fn wrap_between_words() {
        assert_eq!(wrap("one two three four", 9), ["one two", "three", "four"]);
        assert_eq!(wrap("one two", 7), ["one two"]);
        assert_eq!(wrap("", 5), [""]);
    }

    #[test]
    fn wrap_inside_long_words_and_wide_characters() {
        assert_eq!(wrap("abcdefghij xy", 4), ["abcd", "efgh", "ij", "xy"]);
        assert_eq!(wrap("ab abcdefgh", 4), ["ab", "abcd", "efgh"]);
        assert_eq!(wrap("ééééé", 2), ["éé", "éé", "é"]);
        assert_eq!(wrap("abc", 0), ["a", "b", "c"]);
    }

    #[test]
    fn wrap_keeps_spacing() {
        assert_eq!(wrap("a  b", 10), ["a  b"]);
        assert_eq!(wrap(" lead", 10), [" lead"]);
    }

    #[test]
    fn one_line_per_event_with_node_field() {
        let layout = Layout::lines(80, PLAIN);
        assert_eq!(
            layout.event(&event("000318 VOTE S1 T1 granted vote to S0")),
            ["000318 VOTE S1  T1 granted vote to S0"]
        );
        assert_eq!(
            layout.event(&event("000700 LOG1 T2 start")),
            ["000700 LOG1     T2 start"]
        );
        assert_eq!(layout.event(&event("000001 TIMR S2")), ["000001 TIMR S2"]);
    }

    #[test]
    fn long_line_wraps_under_its_text() {
        let layout = Layout::lines(40, PLAIN);
        let text = "word ".repeat(10);
        let rows = layout.event(&event(&format!("000001 INFO S0 {text}")));
        assert_eq!(
            rows,
            [
                "000001 INFO S0  word word word word word",
                "                word word word word word",
            ]
        );
        assert!(rows.iter().all(|r| r.chars().count() <= 40));
    }

    #[test]
    fn columns_put_each_server_in_its_own() {
        // 3 columns in 60: (60 - 9 gutter - 6 rules) / 3 = 15 < 20, so the time is dropped.
        let layout = Layout::columns(3, 60, PLAIN);
        assert_eq!(
            layout.header().unwrap(),
            "S0                 │ S1                 │ S2"
        );
        assert_eq!(
            layout.event(&event("000318 VOTE S1 T1 granted vote to S0")),
            [
                "                   │ VOTE T1 granted    │",
                "                   │ vote to S0         │",
            ]
        );
    }

    #[test]
    fn columns_keep_the_time_when_wide_enough() {
        // (100 - 9 - 6) / 3 = 28 characters a column.
        let layout = Layout::columns(3, 100, PLAIN);
        let rows = layout.event(&event("000318 LEAD S2 T1 elected leader with 2 votes"));
        assert_eq!(
            rows,
            [
                format!(
                    "000318 │ {:28} │ {:28} │ LEAD T1 elected leader with",
                    "", ""
                ),
                format!("       │ {:28} │ {:28} │ 2 votes", "", "")
            ]
        );
        assert!(rows.iter().all(|r| r.chars().count() <= 100));
        assert!(layout.header().unwrap().starts_with("       │ S0 "));
    }

    #[test]
    fn the_servers_of_several_groups_sit_group_after_group() {
        let groups = ["ctlr".to_string(), "100".to_string()];
        let layout = Layout::grouped(&groups, 2, 120, PLAIN);
        let header = layout.header().unwrap();
        let names: Vec<&str> = header
            .split('│')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(names, ["ctlr S0", "ctlr S1", "100 S0", "100 S1"]);
        let rows = layout.event(&event("000001 CONF server-100-S1 config 3"));
        assert!(rows[0].ends_with("│ CONF config 3"), "{rows:?}");
        let rows = layout.event(&event("000001 CONF ctlr-S1 join"));
        assert_eq!(
            rows[0].split('│').nth(2).unwrap().trim(),
            "CONF join",
            "{rows:?}"
        );
        // A group without columns, and a server past its group's columns, span the width.
        assert_eq!(
            layout.event(&event("000001 CONF server-101-S0 x")),
            ["000001 CONF server-101-S0 x"]
        );
        assert_eq!(
            layout.event(&event("000001 CONF server-100-S2 x")),
            ["000001 CONF server-100-S2 x"]
        );
        assert!(layout.has_group("server-100") && !layout.has_group("server-101"));
        assert!(group_is("100", "server-100") && group_is("server-100", "server-100"));
        assert!(!group_is("00", "server-100") && !group_is("100", "server-1100"));
    }

    #[test]
    fn harness_lines_and_unknown_servers_span_the_width() {
        let layout = Layout::columns(2, 80, PLAIN);
        assert_eq!(
            layout.event(&event("001000 TEST partition [0] [1 2]")),
            ["001000 TEST     partition [0] [1 2]"]
        );
        assert_eq!(
            layout.event(&event("001000 VOTE S7 asking")),
            ["001000 VOTE S7  asking"]
        );
    }

    #[test]
    fn control_characters_do_not_reach_the_screen() {
        let layout = Layout::lines(80, PLAIN);
        assert_eq!(
            layout.event(&event("000001 INFO S0 a\tb\u{1b}[2Jc")),
            ["000001 INFO S0  a b [2Jc"]
        );
    }

    #[test]
    fn many_narrow_columns_never_wrap_below_the_minimum() {
        let layout = Layout::columns(64, 40, PLAIN);
        let rows = layout.event(&event("000001 CMIT S63 T9 commit through 12"));
        assert!(rows[0].ends_with("│ CMIT T9"), "{:?}", rows[0]);
        assert_eq!(layout.event(&event("000001 CMIT S0 x")).len(), 1);
    }

    #[test]
    fn colour_escapes_do_not_count_as_width() {
        let layout = Layout::columns(2, 60, Painter::new(true));
        let rows = layout.event(&event("000001 VOTE S0 x"));
        let visible: String = strip_escapes(&rows[0]);
        let plain = Layout::columns(2, 60, PLAIN).event(&event("000001 VOTE S0 x"));
        assert_eq!(visible, plain[0]);
    }

    fn strip_escapes(s: &str) -> String {
        let mut out = String::new();
        let mut in_escape = false;
        for c in s.chars() {
            match (in_escape, c) {
                (false, '\x1b') => in_escape = true,
                (false, c) => out.push(c),
                (true, 'm') => in_escape = false,
                (true, _) => {}
            }
        }
        out
    }
}
