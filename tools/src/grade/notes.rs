//! What the grader says beside the score, each kind under a heading of its own, in the report and
//! in `results.json`: the files it took from a submission (or, in a student's handout, the
//! protected files that differ from the handout's), the simulator's warnings, and clippy's advice
//! on the student files. Only the files can change a grade; the headings of the others say that
//! they cost nothing, so that a style note is never read as a threat to the grade.

use std::fmt::Write as _;

/// Notes by kind, in the order they are shown.
#[derive(Debug, Clone, Default)]
pub struct Notes {
    sections: Vec<(Kind, Vec<String>)>,
}

/// A kind of note, which decides its heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Grading a submission: each student file taken, ignored, rejected or missing.
    Submission,
    /// Grading a student's handout: protected files that differ from the handout's.
    Protected,
    /// Passing runs that did not count: the test's scenario did not happen in them.
    Scenarios,
    /// The simulator's warnings about runs (a thread blocked in real time).
    RunWarnings,
    /// Clippy's warnings about the student files.
    Lints,
}

impl Kind {
    pub fn heading(self) -> &'static str {
        match self {
            Kind::Submission => "The submission's files",
            Kind::Protected => {
                "Changed files that the course grader restores (your grade there can differ)"
            }
            Kind::Scenarios => {
                "Runs that did not count (a test's scenario did not happen in them, so the \
                 grader drew other seeds)"
            }
            Kind::RunWarnings => {
                "Simulator warnings (no points lost: they point at code that slows tests down or \
                 stalls them)"
            }
            Kind::Lints => "Clippy on your files (advice: no points lost)",
        }
    }
}

impl Notes {
    pub fn new() -> Notes {
        Notes::default()
    }

    /// Adds `notes` of `kind` (nothing if empty).
    pub fn add(&mut self, kind: Kind, notes: Vec<String>) {
        if notes.is_empty() {
            return;
        }
        match self.sections.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, section)) => section.extend(notes),
            None => self.sections.push((kind, notes)),
        }
    }

    /// The notes of `kind`.
    pub fn of(&self, kind: Kind) -> &[String] {
        self.sections
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(&[], |(_, notes)| notes.as_slice())
    }

    /// For the report: each heading, then its notes.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for (kind, notes) in &self.sections {
            let _ = writeln!(text, "\n{}:", kind.heading());
            for note in notes {
                let _ = writeln!(text, "  - {note}");
            }
        }
        text
    }

    /// For `results.json` (Markdown): a heading per kind, its notes as a list.
    pub fn markdown(&self) -> String {
        let mut text = String::new();
        for (kind, notes) in &self.sections {
            let _ = write!(text, "\n\n## {}\n", kind.heading());
            for note in notes {
                let _ = write!(text, "\n- {note}");
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_goes_under_its_own_heading_and_empty_kinds_say_nothing() {
        let mut notes = Notes::new();
        notes.add(Kind::Protected, Vec::new());
        notes.add(
            Kind::Lints,
            vec!["clippy: kvraft/src/server.rs:3: a lint".into()],
        );
        notes.add(Kind::RunWarnings, vec!["lab4 4A speed_4a: blocked".into()]);
        notes.add(
            Kind::Lints,
            vec!["clippy: kvraft/src/client.rs:9: another".into()],
        );
        assert_eq!(notes.of(Kind::Protected), [""; 0]);
        assert_eq!(notes.of(Kind::Lints).len(), 2);
        let text = notes.text();
        assert!(!text.contains(Kind::Protected.heading()), "{text}");
        assert_eq!(
            text,
            format!(
                "\n{}:\n  - clippy: kvraft/src/server.rs:3: a lint\n  - clippy: \
                 kvraft/src/client.rs:9: another\n\n{}:\n  - lab4 4A speed_4a: blocked\n",
                Kind::Lints.heading(),
                Kind::RunWarnings.heading()
            )
        );
        assert!(
            notes
                .markdown()
                .starts_with(&format!("\n\n## {}\n\n- clippy:", Kind::Lints.heading()))
        );
    }
}
