//! A colour per topic, as ANSI escapes (256-colour palette, which every current terminal shows).

/// Colours of the conventional topics, picked so that neighbours in a Raft log differ
/// (votes teal, leaders gold, terms green, log traffic blue, commits purple, trouble red).
const TOPICS: [(&str, u8); 16] = [
    ("TIMR", 245),
    ("VOTE", 73),
    ("LEAD", 178),
    ("TERM", 77),
    ("LOG1", 68),
    ("LOG2", 30),
    ("CMIT", 140),
    ("PERS", 172),
    ("SNAP", 214),
    ("DROP", 203),
    ("CLNT", 35),
    ("TEST", 205),
    ("INFO", 252),
    ("WARN", 220),
    ("ERRO", 196),
    ("TRCE", 103),
];

/// For topics a lab invents: a colour chosen by the topic's letters, so each new topic keeps the
/// same colour from run to run and two new topics usually differ. None of these is in `TOPICS`.
const OTHERS: [u8; 8] = [111, 150, 180, 216, 183, 117, 186, 146];

/// The 256-colour palette index for `topic`.
pub fn topic_color(topic: &str) -> u8 {
    match TOPICS.iter().find(|(name, _)| *name == topic) {
        Some(&(_, color)) => color,
        None => {
            let hash = topic
                .bytes()
                .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b.into()));
            OTHERS[hash % OTHERS.len()]
        }
    }
}

/// Wraps text in escapes, or leaves it alone when colour is off.
#[derive(Debug, Clone, Copy)]
pub struct Painter {
    enabled: bool,
}

impl Painter {
    pub const fn new(enabled: bool) -> Painter {
        Painter { enabled }
    }

    /// `text` in the colour of `topic`.
    pub fn topic(&self, topic: &str, text: &str) -> String {
        // Nothing to colour: no escapes, so an empty cell ends a row cleanly.
        if self.enabled && !text.is_empty() {
            format!("\x1b[38;5;{}m{text}\x1b[0m", topic_color(topic))
        } else {
            text.to_string()
        }
    }

    /// `text` faint: times, rules and headers, which should not compete with the events.
    pub fn dim(&self, text: &str) -> String {
        if self.enabled && !text.is_empty() {
            format!("\x1b[2m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventional_topics_have_distinct_colours() {
        let mut colors: Vec<u8> = TOPICS.iter().map(|&(t, _)| topic_color(t)).collect();
        colors.sort_unstable();
        colors.dedup();
        assert_eq!(colors.len(), TOPICS.len());
    }

    #[test]
    fn other_topics_get_a_stable_colour_of_their_own() {
        let known: Vec<u8> = TOPICS.iter().map(|&(_, c)| c).collect();
        for topic in ["APPL", "KVSV", "SHRD", "CTRL", "X123"] {
            assert_eq!(topic_color(topic), topic_color(topic));
            assert!(!known.contains(&topic_color(topic)), "{topic}");
        }
        assert_ne!(topic_color("APPL"), topic_color("KVSV"));
    }

    #[test]
    fn painting_off_leaves_text_alone() {
        let plain = Painter::new(false);
        assert_eq!(plain.topic("VOTE", "granted"), "granted");
        assert_eq!(plain.dim("000318"), "000318");
        let colored = Painter::new(true);
        assert_eq!(
            colored.topic("VOTE", "granted"),
            "\x1b[38;5;73mgranted\x1b[0m"
        );
        assert_eq!(colored.dim("#"), "\x1b[2m#\x1b[0m");
        assert_eq!(colored.topic("VOTE", ""), "");
    }
}
