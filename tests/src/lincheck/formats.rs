//! Readers for published histories, used to validate and benchmark the checker:
//! - porcupine's key/value logs (`cNN-ok.txt`), one EDN map per line:
//!   `{:process 0, :type :invoke, :f :append, :key "4", :value "x 0 1 y"}` then `:type :ok`;
//! - Jepsen's etcd register logs (`etcd_NNN.log`):
//!   `INFO  jepsen.util - 3 :invoke :cas [3 0]` (tab-separated) then `:ok`, `:fail` or `:info`.
//!
//! Events are stamped with their line number, so the file's order is the real-time order.
//! An operation still open at the end of a Jepsen log (its client crashed or timed out with
//! `:info`) has an unknown outcome.

use std::collections::HashMap;

use super::history::{History, NEVER_RETURNED, Operation};
use super::kv::{KvInput, KvOp, KvOutput};
use super::register::{RegisterInput, RegisterOutput};

/// A line that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

fn error(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}

/// Operations called and not yet returned, by process.
struct Open<I> {
    by_process: HashMap<u64, (usize, I, u64)>,
}

impl<I> Open<I> {
    fn new() -> Self {
        Open {
            by_process: HashMap::new(),
        }
    }
    fn call(&mut self, process: u64, input: I, at: u64, line: usize) -> Result<(), ParseError> {
        let client = usize::try_from(process).map_err(|_| error(line, "process id too large"))?;
        if self
            .by_process
            .insert(process, (client, input, at))
            .is_some()
        {
            return Err(error(
                line,
                format!("process {process} invokes while its previous operation is still open"),
            ));
        }
        Ok(())
    }
    fn ret(&mut self, process: u64, line: usize) -> Result<(usize, I, u64), ParseError> {
        self.by_process
            .remove(&process)
            .ok_or_else(|| error(line, format!("process {process} returns without an invoke")))
    }
}

/// Reads a porcupine key/value log.
pub fn parse_porcupine_kv(text: &str) -> Result<History<KvInput, KvOutput>, ParseError> {
    let mut history = History::default();
    let mut open = Open::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields = edn_map(line).ok_or_else(|| error(line_no, "expected {:key value, ...}"))?;
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| *v)
                .ok_or_else(|| error(line_no, format!("missing :{name}")))
        };
        let process: u64 = field("process")?
            .parse()
            .map_err(|_| error(line_no, "bad :process"))?;
        let op = match field("f")? {
            ":get" => KvOp::Get,
            ":put" => KvOp::Put,
            ":append" => KvOp::Append,
            other => return Err(error(line_no, format!("unknown :f {other}"))),
        };
        let key = edn_string(field("key")?).ok_or_else(|| error(line_no, "bad :key"))?;
        let value = field("value")?;
        let at = n as u64;
        match field("type")? {
            ":invoke" => {
                let value = if value == "nil" {
                    String::new()
                } else {
                    edn_string(value).ok_or_else(|| error(line_no, "bad :value"))?
                };
                open.call(process, KvInput { op, key, value }, at, line_no)?;
            }
            ":ok" => {
                let (client, input, call) = open.ret(process, line_no)?;
                let output = match op {
                    KvOp::Get => edn_string(value).ok_or_else(|| error(line_no, "bad :value"))?,
                    _ => String::new(),
                };
                history.ops.push(Operation {
                    client,
                    input,
                    output: KvOutput { value: output },
                    call,
                    ret: at,
                });
            }
            other => return Err(error(line_no, format!("unknown :type {other}"))),
        }
    }
    if let Some((process, _)) = open.by_process.iter().next() {
        return Err(error(
            text.lines().count(),
            format!("process {process}'s last operation never returns"),
        ));
    }
    Ok(history)
}

/// Splits `{:a 1, :b "x, y", :c nil}` into `[("a", "1"), ("b", "\"x, y\""), ("c", "nil")]`.
fn edn_map(line: &str) -> Option<Vec<(&str, &str)>> {
    let mut rest = line.strip_prefix('{')?.strip_suffix('}')?.trim();
    let mut fields = Vec::new();
    while !rest.is_empty() {
        let after_colon = rest.strip_prefix(':')?;
        let (key, after_key) = after_colon.split_once(' ')?;
        let after_key = after_key.trim_start();
        let end = if let Some(body) = after_key.strip_prefix('"') {
            // A string ends at the first unescaped quote.
            let mut escaped = false;
            let close = body.char_indices().find(|&(_, c)| {
                let end = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                end
            })?;
            close.0 + 2
        } else {
            after_key.find(',').unwrap_or(after_key.len())
        };
        fields.push((key, after_key[..end].trim()));
        rest = after_key[end..].trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    Some(fields)
}

/// The contents of a quoted EDN string.
fn edn_string(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// Reads a Jepsen etcd log (register operations). Lines other than `jepsen.util` events are
/// skipped.
pub fn parse_jepsen_etcd(text: &str) -> Result<History<RegisterInput, RegisterOutput>, ParseError> {
    let mut history = History::default();
    let mut open = Open::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let Some((_, event)) = line.split_once("jepsen.util - ") else {
            continue;
        };
        let mut words = event.split_whitespace();
        let (Some(process), Some(kind), Some(f)) = (words.next(), words.next(), words.next())
        else {
            return Err(error(line_no, "expected `<process> <type> <f> <value>`"));
        };
        let process: u64 = process
            .parse()
            .map_err(|_| error(line_no, format!("bad process `{process}`")))?;
        let value: Vec<&str> = words.collect();
        let value = value.join(" ");
        let at = n as u64;
        let int = |s: &str| {
            s.parse::<i64>()
                .map_err(|_| error(line_no, format!("expected an integer, found `{s}`")))
        };
        let cas_args = |s: &str| -> Result<(i64, i64), ParseError> {
            let inner = s
                .strip_prefix('[')
                .and_then(|s| s.strip_suffix(']'))
                .ok_or_else(|| error(line_no, format!("expected [from to], found `{s}`")))?;
            let mut parts = inner.split_whitespace();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(a), Some(b), None) => Ok((int(a)?, int(b)?)),
                _ => Err(error(line_no, format!("expected [from to], found `{s}`"))),
            }
        };
        match kind {
            ":invoke" => {
                let input = match f {
                    ":read" => RegisterInput::Read,
                    ":write" => RegisterInput::Write(int(&value)?),
                    ":cas" => {
                        let (from, to) = cas_args(&value)?;
                        RegisterInput::Cas { from, to }
                    }
                    other => return Err(error(line_no, format!("unknown operation {other}"))),
                };
                open.call(process, input, at, line_no)?;
            }
            // The client gave up: the operation stays open and ends with an unknown outcome.
            ":info" => {}
            ":ok" | ":fail" => {
                let (client, input, call) = open.ret(process, line_no)?;
                let timed_out = value == ":timed-out";
                let output = match (&input, kind) {
                    _ if timed_out => RegisterOutput::Unknown,
                    (RegisterInput::Read, ":ok") if value == "nil" => RegisterOutput::Read(None),
                    (RegisterInput::Read, ":ok") => RegisterOutput::Read(Some(int(&value)?)),
                    (RegisterInput::Write(_), ":ok") => RegisterOutput::Written,
                    (RegisterInput::Cas { .. }, ok) => RegisterOutput::Cas(ok == ":ok"),
                    // A failed read or write did not happen: leave it out.
                    _ => continue,
                };
                history.ops.push(Operation {
                    client,
                    input,
                    output,
                    call,
                    ret: at,
                });
            }
            other => return Err(error(line_no, format!("unknown event type {other}"))),
        }
    }
    let mut unfinished: Vec<_> = open.by_process.into_values().collect();
    unfinished.sort_by_key(|&(_, _, call)| call);
    for (client, input, call) in unfinished {
        history.ops.push(Operation {
            client,
            input,
            output: RegisterOutput::Unknown,
            call,
            ret: NEVER_RETURNED,
        });
    }
    Ok(history)
}
