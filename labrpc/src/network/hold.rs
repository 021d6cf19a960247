//! Requests held back by a scripted test, delivered when the test says: the late copies that a
//! real network produces when a message waits in a queue while its sender times out, retries and
//! moves on. The random network never holds anything (its numbers stay 6.5840's); only a test
//! that asks for a hold gets one.

use std::sync::Arc;

use super::{Inner, trace};
use crate::server::Dispatched;
use crate::sim::trace::Event;
use crate::view;

/// A hold on the requests of some ends, made by [`Network::hold`](super::Network::hold).
///
/// While it takes requests, each one sent on a matching end is kept, and its caller sees it lost
/// (as an unreliable network loses a request). [`Held::release`] and [`Held::release_to`] deliver
/// the kept requests later; their replies reach no one, since their callers gave up long ago.
/// Dropping the hold discards what it kept and stops taking more.
pub struct Held {
    net: Arc<Inner>,
    id: u64,
}

/// A request as a hold sees it when it is sent.
pub struct Sent<'a> {
    /// The name of the end it was sent on.
    pub end: &'a str,
    /// The name of the server that end is connected to.
    pub server: &'a str,
    /// `"Service.Method"`.
    pub method: &'a str,
    /// The length of its encoded arguments, in bytes.
    pub len: usize,
}

/// A hold's place in the network's state.
pub(super) struct HoldSlot {
    id: u64,
    takes: Box<dyn Fn(&Sent<'_>) -> bool + Send>,
    /// How many more requests it takes.
    left: usize,
    kept: Vec<Kept>,
}

/// A request a hold kept.
struct Kept {
    /// The trace number of its send, so that a run view follows it to its late arrival.
    call: u64,
    end: usize,
    method: Arc<str>,
    args: Vec<u8>,
}

/// Offers a request to the holds (oldest first); whether one kept it.
pub(super) fn take(
    holds: &mut [HoldSlot],
    call: u64,
    end: usize,
    (end_name, server): (&str, &str),
    method: &str,
    args: &[u8],
) -> bool {
    let sent = Sent {
        end: end_name,
        server,
        method,
        len: args.len(),
    };
    let Some(hold) = (holds.iter_mut()).find(|h| h.left > 0 && (h.takes)(&sent)) else {
        return false;
    };
    hold.left -= 1;
    hold.kept.push(Kept {
        call,
        end,
        method: method.into(),
        args: args.to_vec(),
    });
    true
}

impl super::Network {
    /// Holds back the next `up_to` requests that `takes` accepts, sent while their end is enabled
    /// and its server present. A test
    /// uses it to make an old copy of a message arrive after its sender has moved on: hold, let
    /// the sender retry and go on, then [`Held::release`].
    pub fn hold(&self, up_to: usize, takes: impl Fn(&Sent<'_>) -> bool + Send + 'static) -> Held {
        let mut st = self.inner.state.lock().unwrap();
        let id = st.holds.iter().map(|h| h.id + 1).max().unwrap_or(0);
        st.holds.push(HoldSlot {
            id,
            takes: Box::new(takes),
            left: up_to,
            kept: Vec::new(),
        });
        Held {
            net: self.inner.clone(),
            id,
        }
    }
}

impl Held {
    /// How many requests it keeps now.
    pub fn kept(&self) -> usize {
        self.with_slot(|h| h.kept.len())
    }

    /// Takes no more requests; keeps those it has.
    pub fn stop(&self) {
        self.with_slot(|h| h.left = 0);
    }

    /// Delivers every kept request, in the order they were sent, to the server its end is
    /// connected to now (a restarted server gets its predecessor's mail), if the end is enabled:
    /// a request held on a link that is now cut is lost. Returns how many were delivered.
    pub fn release(&self) -> usize {
        self.deliver(None)
    }

    /// Delivers every kept request to the server named `server`, whatever end it was sent on: an
    /// old copy of a client's request reaching another replica, as a resent request does.
    /// Returns how many were delivered (none if no server is installed under that name).
    pub fn release_to(&self, server: &str) -> usize {
        self.deliver(Some(server))
    }

    fn deliver(&self, to: Option<&str>) -> usize {
        let kept = self.with_slot(|h| std::mem::take(&mut h.kept));
        let mut delivered = 0;
        for k in kept {
            let target = {
                let st = self.net.state.lock().unwrap();
                let server_id = match to {
                    Some(name) => st.server_ids.get(name).copied(),
                    None => (st.ends[k.end].enabled)
                        .then_some(st.ends[k.end].server)
                        .flatten(),
                };
                server_id.and_then(|id| {
                    let slot = &st.servers[id];
                    let server = slot.server.clone()?;
                    Some((server, slot.name.clone(), st.ends[k.end].name.clone()))
                })
            };
            let Some((server, target, end_name)) = target else {
                continue;
            };
            let (call, end, method) = (k.call, k.end, k.method.clone());
            let arrived = move || {
                trace(Event::Dispatch, call, end, &end_name, &target, &method, 0);
                view::recording().then_some(call)
            };
            let delay = self.net.travel_time(false, None);
            match server.dispatch(&k.method, k.args, delay, arrived) {
                // Nobody waits for the reply: the handler's task runs on, detached.
                Dispatched::Running(_) => delivered += 1,
                Dispatched::Failed(e) => {
                    super::programming_error(e);
                }
            }
        }
        delivered
    }

    fn with_slot<R>(&self, f: impl FnOnce(&mut HoldSlot) -> R) -> R {
        let mut st = self.net.state.lock().unwrap();
        let slot = (st.holds.iter_mut())
            .find(|h| h.id == self.id)
            .expect("a hold stays in the network until it is dropped");
        f(slot)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut st = self.net.state.lock().unwrap();
        st.holds.retain(|h| h.id != self.id);
    }
}
