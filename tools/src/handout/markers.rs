//! Solution markers: turning the reference solution into the student's stub.
//!
//! ```text
//! // BEGIN SOLUTION
//! ...reference code...
//! // END SOLUTION
//! // STUB: code the student starts from
//! ```
//!
//! The region is replaced by the `// STUB:` lines right after it (their text, at their
//! indentation; an empty `// STUB:` line gives an empty line), or by `todo!()` if there are none.
//! Lines the handout has and the reference does not (an `#[allow(dead_code)]` for fields the stubs
//! do not read yet) stand alone, outside any region:
//!
//! ```text
//! // STUB ONLY: #[allow(dead_code)]
//! pub struct Clerk {
//! ```
//!
//! Markers must be exactly these comments on lines of their own: a near miss such as
//! `//BEGIN SOLUTION` is an error rather than a region that silently leaks into the handout.

use std::fmt;

const BEGIN: &str = "// BEGIN SOLUTION";
const END: &str = "// END SOLUTION";
const STUB: &str = "// STUB:";
const STUB_ONLY: &str = "// STUB ONLY:";
/// What a region without stub lines becomes (spelled in two pieces so that searches for
/// unfinished code in the reference do not find the generator itself).
const DEFAULT_STUB: &str = concat!("todo", "!()");

/// A marker problem, naming the file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkerError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for MarkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for MarkerError {}

/// The student version of `text`, or `None` if it has no markers.
pub fn strip(file: &str, text: &str) -> Result<Option<String>, MarkerError> {
    let err = |line: usize, message: String| MarkerError {
        file: file.to_string(),
        line,
        message,
    };
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut region_start: Option<usize> = None;
    let mut found = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim();
        let number = i + 1;
        if trimmed == BEGIN {
            if let Some(open) = region_start {
                return Err(err(
                    number,
                    format!(
                        "nested BEGIN SOLUTION (the region opened at line {open} is still open)"
                    ),
                ));
            }
            region_start = Some(number);
            found = true;
        } else if trimmed == END {
            let Some(open) = region_start.take() else {
                return Err(err(number, "END SOLUTION without a BEGIN SOLUTION".into()));
            };
            let mut stubs = Vec::new();
            while let Some(next) = lines
                .get(i + 1)
                .filter(|l| l.trim_start().starts_with(STUB))
            {
                stubs.push(stub_text(next, STUB));
                i += 1;
            }
            if stubs.is_empty() {
                let indent = indentation(lines[open - 1]);
                stubs.push(format!("{indent}{DEFAULT_STUB}"));
            }
            out.extend(stubs);
        } else if trimmed.starts_with(STUB_ONLY) {
            if let Some(open) = region_start {
                return Err(err(
                    number,
                    format!(
                        "a STUB ONLY line inside the solution region opened at line {open}: it \
                         stands outside regions (a region's stub lines are `{STUB}` lines after \
                         its END SOLUTION)"
                    ),
                ));
            }
            out.push(stub_text(line, STUB_ONLY));
            found = true;
        } else if trimmed.starts_with(STUB) {
            return Err(err(
                number,
                "a STUB line must directly follow an END SOLUTION (or another STUB line)".into(),
            ));
        } else if looks_like_marker(trimmed) {
            return Err(err(
                number,
                format!("malformed marker `{trimmed}`: write exactly `{BEGIN}` or `{END}`"),
            ));
        } else if region_start.is_none() {
            out.push(line.to_string());
        }
        i += 1;
    }
    if let Some(open) = region_start {
        return Err(err(
            open,
            "BEGIN SOLUTION is never closed by an END SOLUTION".into(),
        ));
    }
    Ok(found.then(|| out.join("\n")))
}

fn indentation(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

/// `    // STUB: let x = 1;` gives `    let x = 1;` (`marker` is `// STUB:` or `// STUB ONLY:`).
fn stub_text(line: &str, marker: &str) -> String {
    let rest = &line.trim_start()[marker.len()..];
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    if rest.is_empty() {
        String::new()
    } else {
        format!("{}{rest}", indentation(line))
    }
}

/// A plain `//` comment that mentions a marker (doc comments may talk about markers freely).
fn looks_like_marker(trimmed: &str) -> bool {
    trimmed.starts_with("//")
        && !trimmed.starts_with("///")
        && !trimmed.starts_with("//!")
        && (trimmed.contains("BEGIN SOLUTION") || trimmed.contains("END SOLUTION"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip_ok(text: &str) -> String {
        strip("f.rs", text).unwrap().unwrap()
    }

    #[test]
    fn regions_become_their_stubs_or_todo() {
        let text = "fn a() {\n    // BEGIN SOLUTION\n    secret();\n    // END SOLUTION\n    // STUB: let _ = 1;\n    // STUB:\n    // STUB:     nested();\n}\nfn b() -> u8 {\n    // BEGIN SOLUTION\n    7\n    // END SOLUTION\n}";
        assert_eq!(
            strip_ok(text),
            format!(
                "fn a() {{\n    let _ = 1;\n\n        nested();\n}}\nfn b() -> u8 {{\n    {DEFAULT_STUB}\n}}"
            )
        );
    }

    #[test]
    fn stub_only_lines_appear_in_the_handout_alone() {
        let text = "// STUB ONLY: #[allow(dead_code)]\n    // STUB ONLY:\npub struct A;\n";
        assert_eq!(strip_ok(text), "#[allow(dead_code)]\n\npub struct A;\n");
        let inside = "// BEGIN SOLUTION\n// STUB ONLY: x\n// END SOLUTION\n";
        let e = strip("f.rs", inside).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(
            e.message
                .contains("inside the solution region opened at line 1"),
            "{e}"
        );
    }

    #[test]
    fn files_without_markers_are_untouched() {
        assert_eq!(strip("f.rs", "fn main() {}\n").unwrap(), None);
    }

    #[test]
    fn marker_errors_name_file_and_line() {
        let cases = [
            ("// BEGIN SOLUTION\n// BEGIN SOLUTION\n", 2, "nested"),
            ("x\n// END SOLUTION\n", 2, "without a BEGIN"),
            ("a\n// BEGIN SOLUTION\nb\n", 2, "never closed"),
            ("a\n// STUB: x\n", 2, "must directly follow"),
            ("//BEGIN SOLUTION\n", 1, "malformed marker"),
            ("  // END SOLUTION: 3A\n", 1, "malformed marker"),
        ];
        for (text, line, what) in cases {
            let e = strip("src/raft.rs", text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}");
            assert!(
                e.to_string().starts_with(&format!("src/raft.rs:{line}: ")),
                "{e}"
            );
            assert!(e.message.contains(what), "{e}");
        }
    }
}
