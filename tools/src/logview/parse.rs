//! Recognising the simulator's log lines: `<ms> <TOPIC> <node> <text>` from a node,
//! `<ms> <TOPIC> <text>` from outside any node (the test harness). Anything else is not a log line.
//!
//! A node is a server of a replica group: `S2` (a lab with one group), or `<group>-S2` where
//! several groups share the network (`server-100-S2`, `ctlr-S0` in Lab 5).

/// One log line, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// The virtual time as written (zero-padded milliseconds), kept as text so it prints unchanged.
    pub time: &'a str,
    pub topic: &'a str,
    /// The Raft-style server that logged the line, if any.
    pub server: Option<Server<'a>>,
    pub text: &'a str,
}

/// A node named `S<index>` or `<group>-S<index>`: its group and index pick its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Server<'a> {
    pub name: &'a str,
    /// The group's name (`server-100`, `ctlr`), empty for a bare `S<index>`.
    pub group: &'a str,
    pub index: usize,
}

/// The shortest time field the simulator writes (`{ms:06}`). Requiring it keeps ordinary output
/// such as `1 passed` from being mistaken for a log line.
const TIME_DIGITS: usize = 6;

/// Parses one line (without its newline); `None` if it is not a log line.
pub fn parse(line: &str) -> Option<Event<'_>> {
    let mut fields = line.splitn(3, ' ');
    let time = fields.next().filter(|t| is_time(t))?;
    let topic = fields.next().filter(|t| labrpc::is_log_topic(t))?;
    let rest = fields.next().unwrap_or("");
    // A node-less line's text may start with anything, even a word like `T2`; only `S<digits>`,
    // alone or after a group name, is taken as a node, because that is how the labs name servers.
    let (first, after) = rest.split_once(' ').unwrap_or((rest, ""));
    let (server, text) = match server(first) {
        Some(server) => (Some(server), after),
        None => (None, rest),
    };
    Some(Event {
        time,
        topic,
        server,
        text,
    })
}

fn is_time(field: &str) -> bool {
    field.len() >= TIME_DIGITS && field.bytes().all(|b| b.is_ascii_digit())
}

fn server(token: &str) -> Option<Server<'_>> {
    let (group, digits) = match token.rsplit_once("-S") {
        Some((group, digits)) if is_group(group) => (group, digits),
        _ => ("", token.strip_prefix('S')?),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // An index too large for usize cannot be a real server; the token is then just text.
    let index = digits.parse().ok()?;
    Some(Server {
        name: token,
        group,
        index,
    })
}

/// A group name: letters, digits and dashes, starting with a letter or digit.
fn is_group(name: &str) -> bool {
    name.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_line() {
        let event = parse("000318 VOTE S1 T1 granted vote to S0").unwrap();
        assert_eq!(event.time, "000318");
        assert_eq!(event.topic, "VOTE");
        assert_eq!(
            event.server,
            Some(Server {
                name: "S1",
                group: "",
                index: 1
            })
        );
        assert_eq!(event.text, "T1 granted vote to S0");
    }

    #[test]
    fn harness_line_keeps_its_whole_text() {
        let event = parse("000700 LOG1 T2 start: appended index 1").unwrap();
        assert_eq!(event.server, None);
        assert_eq!(event.text, "T2 start: appended index 1");
        let event = parse("012000 TEST partition [0] [1 2]").unwrap();
        assert_eq!((event.topic, event.text), ("TEST", "partition [0] [1 2]"));
    }

    #[test]
    fn missing_text_is_empty() {
        assert_eq!(parse("000001 TIMR S2").unwrap().text, "");
        assert_eq!(parse("000001 TIMR S2").unwrap().server.unwrap().index, 2);
        let bare = parse("000001 TIMR").unwrap();
        assert_eq!((bare.server, bare.text), (None, ""));
    }

    #[test]
    fn long_times_and_big_indices() {
        assert_eq!(parse("1234567 CMIT S12 x").unwrap().time, "1234567");
        assert_eq!(
            parse("1234567 CMIT S12 x").unwrap().server.unwrap().index,
            12
        );
        let huge = parse("000001 CMIT S99999999999999999999999 x").unwrap();
        assert_eq!(huge.server, None);
        assert_eq!(huge.text, "S99999999999999999999999 x");
    }

    #[test]
    fn servers_of_named_groups() {
        let event = parse("001234 CONF server-101-S2 moves to configuration 3").unwrap();
        let server = event.server.unwrap();
        assert_eq!(
            (server.name, server.group, server.index),
            ("server-101-S2", "server-101", 2)
        );
        assert_eq!(event.text, "moves to configuration 3");
        let server = parse("000010 INFO ctlr-S0 x").unwrap().server.unwrap();
        assert_eq!((server.group, server.index), ("ctlr", 0));
    }

    #[test]
    fn node_like_words_that_are_not_servers() {
        for text in [
            "S text",
            "Sx1 text",
            "s1 text",
            "S1x text",
            "-S1 text",
            "a b-S1",
            "x_y-S1 text",
            "C7->server-100-S0 text",
        ] {
            let line = format!("000010 INFO {text}");
            assert_eq!(parse(&line).unwrap().server, None, "{text}");
            assert_eq!(parse(&line).unwrap().text, text);
        }
    }

    #[test]
    fn other_output_is_not_a_log_line() {
        for line in [
            "",
            " ",
            "running 1 test",
            "test result: ok. 1 passed; 0 failed",
            "1 VOTE S0 short time",
            "00031x VOTE S0 bad time",
            "000318 vote S0 lowercase topic",
            "000318 VOTES S0 five letters",
            "000318 1OG1 S0 starts with a digit",
            "000318  VOTE S0 two spaces",
            "000318",
            "thread 'x' panicked at src/raft.rs:12:5:",
            "000318\u{fffd} VOTE S0 replacement character",
        ] {
            assert_eq!(parse(line), None, "{line:?}");
        }
    }
}
