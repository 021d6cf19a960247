//! The simulated network, with the semantics and numbers of 6.5840's labrpc.
//!
//! - Reliable: every request and every reply takes a seeded latency of 0-2 ms (a real network is
//!   never instant, and the seed must decide how messages interleave; see `sim::interleave`).
//! - Unreliable: each request waits 0-26 ms, then 10% of requests are lost before the handler
//!   runs and 10% of replies are lost after it ran. Replies take the same seeded latency.
//! - Long reordering: 2/3 of replies are held back 200-2199 ms (skewed towards the short end).
//! - A latency range (`set_latency`, beyond 6.5840; Lab 6 uses 1-10 ms): every message takes a
//!   seeded latency drawn uniformly from it.
//! - A call on a disabled or unconnected end, or to a deleted server, fails after 0-99 ms, or after
//!   0-6999 ms with long delays on.
//! - While a handler runs, the caller waits only as long as the server is alive and the end
//!   enabled; once not, the caller gets no reply. A deleted server never replies.
//!
//! - Scripted tests can hold requests back and deliver them later (`hold`, beyond 6.5840): the
//!   caller sees such a request lost, and the old copy reaches a server after its sender moved on.
//!
//! One deliberate difference from Go: Go's labrpc notices a dead server by polling every 100 ms;
//! here the waiting caller is told the moment the harness disconnects or deletes the server. The
//! caller learns no later than in Go, and virtual-time ties with a 100 ms poll cannot arise.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Notify;
use tokio::time::{Duration, sleep};

use crate::codec;
use crate::error::RpcError;
use crate::server::{Dispatched, Server};
use crate::sim::trace::{Event, Record};
use crate::sim::{self, world};
use crate::view;

mod hold;
use hold::HoldSlot;
pub use hold::{Held, Sent};

/// The simulated network: ends, servers, the wiring between them, and the fault knobs.
#[derive(Clone)]
pub struct Network {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    rng: Mutex<ChaCha8Rng>,
    total_count: AtomicU64,
    total_bytes: AtomicU64,
    /// Woken whenever an end is disabled or a server removed, so waiting callers re-check.
    liveness: Notify,
}

#[derive(Default)]
struct State {
    reliable: bool,
    long_delays: bool,
    long_reordering: bool,
    /// Every message's latency in ms, uniform in this range, instead of the default.
    latency: Option<(u64, u64)>,
    end_ids: HashMap<String, usize>,
    ends: Vec<EndSlot>,
    server_ids: HashMap<String, usize>,
    servers: Vec<ServerSlot>,
    /// Scripted holds taking requests ([`Network::hold`]), oldest first.
    holds: Vec<HoldSlot>,
}

struct EndSlot {
    name: Arc<str>,
    enabled: bool,
    deleted: bool,
    server: Option<usize>,
    replies: Replies,
}

/// What [`Inner::reply_fate`] decided.
enum ReplyFate {
    Dead,
    Lost,
    Sent,
}

/// What became of the replies of calls made on some ends: a harness's evidence of what a run
/// made happen (a reply lost after its handler ran means the caller will send the request again).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Replies {
    /// Replies sent back to their caller (one whose caller stopped waiting is counted too).
    pub sent: u64,
    /// Replies the network lost after the handler had run.
    pub lost: u64,
}

struct ServerSlot {
    name: Arc<str>,
    server: Option<Server>,
}

/// One client's connection to one server name. Cheap to clone; clones are the same end.
#[derive(Clone)]
pub struct ClientEnd {
    net: Arc<Inner>,
    id: usize,
}

/// What the network decided for a request at the moment it was sent.
struct Admitted {
    /// The trace number of the request's send.
    call: u64,
    end: usize,
    end_name: Arc<str>,
    target: Arc<str>,
    server_id: usize,
    server: Server,
    reliable: bool,
    long_reordering: bool,
    latency: Option<(u64, u64)>,
}

/// Where a request goes, decided when it is sent.
enum Route {
    Deliver(Admitted),
    Unreachable(Unreachable),
    /// Kept by a scripted hold (its send's trace number and its end): the caller sees it lost.
    Held {
        call: u64,
        end_name: Arc<str>,
    },
}

/// A call the network cannot deliver: its end is disabled or not connected, or no server is there.
struct Unreachable {
    /// The trace number of the request's send.
    call: u64,
    end_name: Arc<str>,
    long_delays: bool,
}

impl Default for Network {
    fn default() -> Self {
        Network::new()
    }
}

impl Network {
    /// A reliable network with no ends or servers. Inside a simulated run its randomness comes
    /// from the run's seed; outside one, from the operating system (and time is real).
    pub fn new() -> Network {
        let world = world::current();
        let rng = match &world {
            Some(w) => w.new_stream("network"),
            None => rand::SeedableRng::from_os_rng(),
        };
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                reliable: true,
                ..State::default()
            }),
            rng: Mutex::new(rng),
            total_count: AtomicU64::new(0),
            total_bytes: AtomicU64::new(0),
            liveness: Notify::new(),
        });
        if let Some(w) = world {
            // Dropping the servers at the end of the run breaks the cycles through them.
            let weak = Arc::downgrade(&inner);
            w.at_teardown(Box::new(move || {
                if let Some(inner) = weak.upgrade() {
                    let servers: Vec<Server> = (inner.state.lock().unwrap().servers.iter_mut())
                        .filter_map(|slot| slot.server.take())
                        .collect();
                    drop(servers);
                }
            }));
        }
        Network { inner }
    }

    /// Reliable (`true`, the default) or lossy and slow (`false`).
    pub fn set_reliable(&self, reliable: bool) {
        self.inner.state.lock().unwrap().reliable = reliable;
        world::record(|r, at| r.mode(at, "unreliable", !reliable));
    }

    /// Calls to unreachable servers take up to 7 s to fail instead of up to 100 ms.
    pub fn set_long_delays(&self, long_delays: bool) {
        self.inner.state.lock().unwrap().long_delays = long_delays;
        world::record(|r, at| r.mode(at, "long delays", long_delays));
    }

    /// Hold 2/3 of the replies back for 200-2199 ms.
    pub fn set_long_reordering(&self, long_reordering: bool) {
        self.inner.state.lock().unwrap().long_reordering = long_reordering;
        world::record(|r, at| r.mode(at, "long reordering", long_reordering));
    }

    /// Every message (request and reply) takes a seeded latency drawn uniformly from
    /// `min_ms..=max_ms` instead of the default 0-2 ms, as a wide-area store's would (Lab 6 uses
    /// 1-10 ms). Unreliable requests keep their 0-26 ms.
    pub fn set_latency(&self, min_ms: u64, max_ms: u64) {
        assert!(min_ms <= max_ms, "set_latency: {min_ms} ms > {max_ms} ms");
        self.inner.state.lock().unwrap().latency = Some((min_ms, max_ms));
    }

    pub fn is_reliable(&self) -> bool {
        self.inner.state.lock().unwrap().reliable
    }

    /// Creates the end called `name`: disabled and unconnected until [`Network::connect`] and
    /// [`Network::enable`]. Names are unique for the network's lifetime.
    pub fn make_end(&self, name: &str) -> ClientEnd {
        let mut st = self.inner.state.lock().unwrap();
        assert!(
            !st.end_ids.contains_key(name),
            "make_end: an end named `{name}` already exists"
        );
        let id = st.ends.len();
        st.ends.push(EndSlot {
            name: name.into(),
            enabled: false,
            deleted: false,
            server: None,
            replies: Replies::default(),
        });
        st.end_ids.insert(name.to_string(), id);
        let node = sim::current_node_name();
        world::record(|r, _| r.end_made(name, node.as_deref()));
        ClientEnd {
            net: self.inner.clone(),
            id,
        }
    }

    /// Removes the end: its calls fail as if disabled, and its name cannot be reused.
    pub fn delete_end(&self, name: &str) {
        let mut st = self.inner.state.lock().unwrap();
        let id = st.end_id(name);
        let target = st.target_name(id);
        let slot = &mut st.ends[id];
        slot.deleted = true;
        slot.enabled = false;
        slot.server = None;
        drop(st);
        world::record(|r, at| r.link(at, name, target.as_deref(), false));
        self.inner.liveness.notify_waiters();
    }

    /// Routes the end `end` to the server name `server` (which may be added later).
    pub fn connect(&self, end: &str, server: &str) {
        let mut st = self.inner.state.lock().unwrap();
        let id = st.end_id(end);
        let server_id = st.server_id(server);
        st.ends[id].server = Some(server_id);
        let enabled = st.ends[id].enabled;
        drop(st);
        if enabled {
            world::record(|r, at| r.link(at, end, Some(server), true));
        }
        self.inner.liveness.notify_waiters();
    }

    /// Enables or disables an end; a disabled end's calls fail.
    pub fn enable(&self, end: &str, enabled: bool) {
        let mut st = self.inner.state.lock().unwrap();
        let id = st.end_id(end);
        st.ends[id].enabled = enabled && !st.ends[id].deleted;
        let (up, target) = (st.ends[id].enabled, st.target_name(id));
        drop(st);
        world::record(|r, at| r.link(at, end, target.as_deref(), up));
        self.inner.liveness.notify_waiters();
    }

    /// Installs `server` under `name`, replacing whatever was there.
    pub fn add_server(&self, name: &str, server: Server) {
        let mut st = self.inner.state.lock().unwrap();
        let id = st.server_id(name);
        st.servers[id].server = Some(server);
        drop(st);
        world::record(|r, _| r.server_added(name));
        self.inner.liveness.notify_waiters();
    }

    /// Removes the server called `name`. Calls waiting on it fail at the next liveness check, and
    /// a handler that finishes later never gets its reply delivered.
    pub fn delete_server(&self, name: &str) {
        let mut st = self.inner.state.lock().unwrap();
        let id = st.server_id(name);
        st.servers[id].server = None;
        drop(st);
        self.inner.liveness.notify_waiters();
    }

    /// RPCs dispatched to the server now installed under `name` (0 if it was deleted).
    pub fn count(&self, name: &str) -> u64 {
        let st = self.inner.state.lock().unwrap();
        let id = *st
            .server_ids
            .get(name)
            .unwrap_or_else(|| panic!("count: no server was ever named `{name}`"));
        st.servers[id].server.as_ref().map_or(0, Server::count)
    }

    /// Every call made, including those to disabled ends and those lost.
    pub fn total_count(&self) -> u64 {
        self.inner.total_count.load(Ordering::Relaxed)
    }

    /// Bytes of every call's arguments plus every delivered reply.
    pub fn total_bytes(&self) -> u64 {
        self.inner.total_bytes.load(Ordering::Relaxed)
    }

    /// The replies of calls made on every end whose name `ends` accepts, deleted ends included.
    pub fn replies(&self, ends: impl Fn(&str) -> bool) -> Replies {
        let st = self.inner.state.lock().unwrap();
        (st.ends.iter())
            .filter(|slot| ends(&slot.name))
            .fold(Replies::default(), |sum, slot| Replies {
                sent: sum.sent + slot.replies.sent,
                lost: sum.lost + slot.replies.lost,
            })
    }
}

impl State {
    /// Whether the request's end is still enabled and its server still the one it reached.
    fn serves(&self, req: &Admitted) -> bool {
        self.ends[req.end].enabled
            && self.servers[req.server_id]
                .server
                .as_ref()
                .is_some_and(|s| s.same(&req.server))
    }

    /// The name of the server end `id` is connected to, if any.
    fn target_name(&self, id: usize) -> Option<Arc<str>> {
        self.ends[id].server.map(|s| self.servers[s].name.clone())
    }

    fn end_id(&self, name: &str) -> usize {
        *self
            .end_ids
            .get(name)
            .unwrap_or_else(|| panic!("no end named `{name}` (make_end first)"))
    }

    fn server_id(&mut self, name: &str) -> usize {
        if let Some(&id) = self.server_ids.get(name) {
            return id;
        }
        let id = self.servers.len();
        self.servers.push(ServerSlot {
            name: name.into(),
            server: None,
        });
        self.server_ids.insert(name.to_string(), id);
        id
    }
}

impl ClientEnd {
    /// Calls `method` (`"Service.Method"`) with `args` and waits for the reply.
    ///
    /// Fails with [`RpcError::Unavailable`] when the network, the end or the server loses the call;
    /// a call never hangs unless its handler never returns. Calls may be issued concurrently on one
    /// end and can be reordered.
    pub async fn call<A, R>(&self, method: &str, args: &A) -> Result<R, RpcError>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let encoded = codec::encode(args).map_err(|e| {
            programming_error(RpcError::Codec {
                method: method.to_string(),
                detail: format!("cannot encode the arguments: {e}"),
            })
        })?;
        // Admitted before the first await, so that the arguments' text for the run view is not
        // kept in this future, which every RPC allocates.
        let reply = match self.admit(method, &encoded, view::payload(args).as_deref()) {
            Route::Unreachable(call) => self.fail_unreachable(call, method).await,
            Route::Held { call, end_name } => self.fail_held(call, &end_name, method).await,
            Route::Deliver(req) => self.net.clone().deliver(req, method.into(), encoded).await,
        }?;
        codec::decode(&reply).map_err(|e| {
            programming_error(RpcError::Codec {
                method: method.to_string(),
                detail: format!(
                    "the caller cannot decode the reply as {}: {e}",
                    std::any::type_name::<R>()
                ),
            })
        })
    }

    /// Traces the send of a call with arguments `args` (`payload`: their text, for the run view)
    /// and decides, from the network's state at this moment, where it goes.
    fn admit(&self, method: &str, args: &[u8], payload: Option<&str>) -> Route {
        let len = args.len();
        let net = &self.net;
        let mut st = net.state.lock().unwrap();
        net.total_count.fetch_add(1, Ordering::Relaxed);
        net.total_bytes.fetch_add(len as u64, Ordering::Relaxed);
        let slot = &st.ends[self.id];
        let target = slot.server.map(|s| &st.servers[s]);
        let call = world::trace(&Record {
            event: Event::Send,
            call: 0,
            end: self.id as u64,
            end_name: &slot.name,
            target: target.map_or("", |t| &t.name),
            method,
            len,
            payload,
        });
        // No hold, no work: the common case costs the RPC path one emptiness check.
        let held = match (slot.enabled, target) {
            (true, Some(t)) if t.server.is_some() && !st.holds.is_empty() => {
                let (end, server) = (slot.name.clone(), t.name.clone());
                hold::take(&mut st.holds, call, self.id, (&end, &server), method, args)
            }
            _ => false,
        };
        let slot = &st.ends[self.id];
        if held {
            let end_name = slot.name.clone();
            return Route::Held { call, end_name };
        }
        match (
            slot.enabled,
            slot.server,
            slot.server.and_then(|s| st.servers[s].server.clone()),
        ) {
            (true, Some(server_id), Some(server)) => Route::Deliver(Admitted {
                call,
                end: self.id,
                end_name: slot.name.clone(),
                target: st.servers[server_id].name.clone(),
                server_id,
                server,
                reliable: st.reliable,
                long_reordering: st.long_reordering,
                latency: st.latency,
            }),
            _ => Route::Unreachable(Unreachable {
                call,
                end_name: slot.name.clone(),
                long_delays: st.long_delays,
            }),
        }
    }

    /// Fails a call whose request a hold kept, as if an unreliable network had lost it.
    async fn fail_held(&self, call: u64, end: &str, method: &str) -> Result<Vec<u8>, RpcError> {
        sleep(self.net.travel_time(true, None)).await;
        trace(Event::Held, call, self.id, end, "", method, 0);
        Err(RpcError::Unavailable)
    }

    /// Fails a call that cannot be delivered after a delay, as a real timeout would.
    async fn fail_unreachable(&self, call: Unreachable, method: &str) -> Result<Vec<u8>, RpcError> {
        let ms = self.net.random(if call.long_delays { 7000 } else { 100 });
        sleep(Duration::from_millis(ms)).await;
        let end = &call.end_name;
        trace(Event::Unreachable, call.call, self.id, end, "", method, 0);
        Err(RpcError::Unavailable)
    }
}

impl Inner {
    /// A uniform draw in `0..n` from the network's stream.
    fn random(&self, n: u64) -> u64 {
        self.rng.lock().unwrap().random_range(0..n)
    }

    /// How long one message travels: the seeded latency every message takes, or on an
    /// unreliable network 0-26 ms for a request, as in 6.5840.
    fn travel_time(&self, unreliable_request: bool, latency: Option<(u64, u64)>) -> Duration {
        match (unreliable_request, latency) {
            (true, _) => Duration::from_millis(self.random(27)),
            (false, Some((min, max))) => Duration::from_millis(min + self.random(max - min + 1)),
            (false, None) => sim::latency(&mut *self.rng.lock().unwrap()),
        }
    }

    /// Whether the request's server is gone: its end disabled or the server replaced or deleted.
    fn is_dead(&self, req: &Admitted) -> bool {
        !self.state.lock().unwrap().serves(req)
    }

    /// What becomes of a handled request's reply: none if its server is gone, lost (10% on an
    /// unreliable network), or sent; counted on its end under the one lock the check takes.
    fn reply_fate(&self, req: &Admitted) -> ReplyFate {
        let mut st = self.state.lock().unwrap();
        if !st.serves(req) {
            return ReplyFate::Dead;
        }
        let replies = &mut st.ends[req.end].replies;
        if !req.reliable && self.random(1000) < 100 {
            replies.lost += 1;
            ReplyFate::Lost
        } else {
            replies.sent += 1;
            ReplyFate::Sent
        }
    }

    async fn deliver(
        self: Arc<Self>,
        req: Admitted,
        method: Arc<str>,
        args: Vec<u8>,
    ) -> Result<Vec<u8>, RpcError> {
        let ev = |event, len| {
            trace(
                event,
                req.call,
                req.end,
                &req.end_name,
                &req.target,
                &method,
                len,
            )
        };
        let delay = self.travel_time(!req.reliable, req.latency);
        if !req.reliable && self.random(1000) < 100 {
            sleep(delay).await;
            ev(Event::DropRequest, args.len());
            return Err(RpcError::Unavailable);
        }
        // Traces the arrival, and names the call to the handler while the view records. It lives
        // in the handler's task: the end and the length are kept as u32 so that it is no bigger
        // than before it held the call's number (a larger task costs every RPC in copies).
        let arrived = {
            let (call, end, end_name) = (req.call, req.end as u32, req.end_name.clone());
            let (target, method, len) = (req.target.clone(), method.clone(), args.len() as u32);
            move || {
                let (end, len) = (end as usize, len as usize);
                trace(Event::Dispatch, call, end, &end_name, &target, &method, len);
                view::recording().then_some(call)
            }
        };
        let mut handler = match req.server.dispatch(&method, args, delay, arrived) {
            Dispatched::Failed(e) => return Err(programming_error(e)),
            Dispatched::Running(task) => task,
        };

        // Wait for the handler while the server stays alive. A handler aborted by a crash of its
        // node never replies.
        let outcome = loop {
            let changed = self.liveness.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.is_dead(&req) {
                break None;
            }
            tokio::select! {
                biased;
                done = &mut handler => match done {
                    Ok(result) => break Some(result),
                    Err(e) if e.is_panic() => {
                        break Some(Err(RpcError::HandlerPanicked {
                            method: method.to_string(),
                            message: sim::panic_message(e.into_panic().as_ref()),
                        }))
                    }
                    Err(_) => break None,
                },
                _ = changed => {}
            }
        };
        let reply = match outcome {
            None => {
                ev(Event::Dead, 0);
                return Err(RpcError::Unavailable);
            }
            Some(Err(e)) => return Err(programming_error(e)),
            Some(Ok(reply)) => reply,
        };
        match self.reply_fate(&req) {
            // Never hand the caller a positive reply from a server that has been replaced: its
            // state may have gone into a Persister the harness has already discarded.
            ReplyFate::Dead => {
                ev(Event::Dead, 0);
                return Err(RpcError::Unavailable);
            }
            ReplyFate::Lost => {
                ev(Event::DropReply, reply.len());
                return Err(RpcError::Unavailable);
            }
            ReplyFate::Sent => {}
        }
        if req.long_reordering && self.random(900) < 600 {
            let extra = self.random(1 + self.random(2000));
            sleep(Duration::from_millis(200 + extra)).await;
        } else {
            let delay = self.travel_time(false, req.latency);
            if !delay.is_zero() {
                sleep(delay).await;
            }
        }
        self.total_bytes
            .fetch_add(reply.len() as u64, Ordering::Relaxed);
        ev(Event::Deliver, reply.len());
        Ok(reply)
    }
}

fn trace(
    event: Event,
    call: u64,
    end: usize,
    end_name: &str,
    target: &str,
    method: &str,
    len: usize,
) {
    world::trace(&Record {
        event,
        call,
        end: end as u64,
        end_name,
        target,
        method,
        len,
        payload: None,
    });
}

/// Reports a bug in lab code (wrong method name, mismatched types, panicking handler): the caller
/// gets the error, and a simulated test fails with its message.
fn programming_error(e: RpcError) -> RpcError {
    if let RpcError::HandlerPanicked { .. } = e {
        // The panicking task has already failed the run with the panic message and node name.
        return e;
    }
    sim::fail(format!("RPC error: {e}"));
    e
}
