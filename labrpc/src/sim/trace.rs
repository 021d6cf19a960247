//! The network event trace: a running digest of every send, drop, dispatch and reply with its
//! virtual timestamp, and (when checking determinism) the readable events themselves.

use super::seed::fnv;

/// What happened to an RPC at one point of its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// The caller handed the request to the network.
    Send,
    /// The end was disabled or unconnected, or the server deleted: the call fails after a delay.
    Unreachable,
    /// Unreliable network: the request was lost before the handler ran.
    DropRequest,
    /// A scripted hold kept the request: its caller sees it lost, and it may arrive later.
    Held,
    /// The handler was started on the server.
    Dispatch,
    /// The server died (or the end was disabled) while its handler ran: no reply.
    Dead,
    /// Unreliable network: the reply was lost after the handler ran.
    DropReply,
    /// The reply reached the caller.
    Deliver,
    /// A node was crashed by the harness (all of its tasks aborted).
    Crash,
}

/// One traced event, with the names needed to describe it.
pub(crate) struct Record<'a> {
    pub event: Event,
    /// The trace number of the call's `Send` (unused for `Send` and `Crash`): not part of the
    /// digest, it only lets a run view follow one RPC through its events.
    pub call: u64,
    pub end: u64,
    pub end_name: &'a str,
    pub target: &'a str,
    pub method: &'a str,
    pub len: usize,
    /// The arguments as text, for a `Send` while the run records its view.
    pub payload: Option<&'a str>,
}

#[derive(Default)]
pub(crate) struct Trace {
    digest: u64,
    events: u64,
    /// Readable events, kept only when the run will be compared with another.
    recorded: Option<Vec<String>>,
}

impl Trace {
    pub fn new(record: bool) -> Trace {
        Trace {
            digest: 0xcbf2_9ce4_8422_2325,
            events: 0,
            recorded: record.then(Vec::new),
        }
    }

    /// Adds an event to the digest and returns its number in the trace.
    pub fn add(&mut self, micros: u64, r: &Record<'_>) -> u64 {
        for word in [
            micros,
            r.event as u64,
            r.end,
            fnv(r.target.as_bytes()),
            fnv(r.method.as_bytes()),
            r.len as u64,
        ] {
            self.digest = (self.digest ^ word).wrapping_mul(0x0000_0100_0000_01b3);
        }
        let seq = self.events;
        self.events += 1;
        if let Some(recorded) = &mut self.recorded {
            recorded.push(format!(
                "t={:.3}ms {:?} {} -> {} {} ({} bytes)",
                micros as f64 / 1000.0,
                r.event,
                r.end_name,
                r.target,
                r.method,
                r.len
            ));
        }
        seq
    }

    pub fn digest(&self) -> u64 {
        self.digest
    }

    pub fn events(&self) -> u64 {
        self.events
    }

    pub fn take_recorded(&mut self) -> Vec<String> {
        self.recorded.take().unwrap_or_default()
    }
}

/// Where two recordings of the same seed first differ, as a readable report; `None` if identical.
pub(crate) fn first_divergence(a: &[String], b: &[String]) -> Option<String> {
    let i = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .or_else(|| (a.len() != b.len()).then_some(a.len().min(b.len())))?;
    let show = |v: &[String]| {
        v.get(i)
            .cloned()
            .unwrap_or_else(|| "(no event: trace ended)".into())
    };
    let context = i.saturating_sub(3);
    let mut out = format!("the two runs diverge at network event #{i}:\n");
    for (k, e) in a.iter().enumerate().take(i).skip(context) {
        out += &format!("    #{k} (both runs) {e}\n");
    }
    out += &format!("    run 1: {}\n    run 2: {}", show(a), show(b));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divergence_points_at_first_difference() {
        let a: Vec<String> = ["x", "y", "z"].map(String::from).to_vec();
        let mut b = a.clone();
        assert!(first_divergence(&a, &b).is_none());
        b[2] = "w".into();
        let report = first_divergence(&a, &b).unwrap();
        assert!(
            report.contains("#2") && report.contains("run 1: z") && report.contains("run 2: w")
        );
        b.truncate(2);
        assert!(first_divergence(&a, &b).unwrap().contains("trace ended"));
    }
}
