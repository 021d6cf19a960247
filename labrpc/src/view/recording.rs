//! What a run records for its view: every RPC from send to end, the machines' starts and crashes,
//! link changes, the network's modes, state annotations, log lines, the harness's notes and client
//! operations. Held by the run's world only when the view is on; every hook below is reached
//! through `world::record`, which does nothing otherwise.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::sim::trace::{Event, Record};

/// Virtual time in microseconds since the run's body started.
pub(crate) type Micros = u64;

/// The lane of the test harness itself (its notes, its log lines, a failing check of its own).
pub(crate) const TESTER: u32 = 0;

/// Where an RPC's life ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Still travelling or running when the run ended.
    InFlight,
    Delivered,
    /// Unreliable network: lost before the handler ran.
    LostRequest,
    /// Unreliable network: lost after the handler ran.
    LostReply,
    /// The end was disabled or unconnected, or the server deleted, when it was sent.
    Unreachable,
    /// The server died, or the end was disabled, while the handler ran.
    NoReply,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LaneKind {
    Tester,
    Server,
    Client,
}

pub(crate) struct Lane {
    pub name: String,
    pub kind: LaneKind,
}

pub(crate) struct Rpc {
    pub from: u32,
    pub to: u32,
    pub method: u32,
    pub end: u32,
    pub sent: Micros,
    pub arrived: Option<Micros>,
    pub replied: Option<Micros>,
    pub ended: Option<Micros>,
    pub fate: Fate,
    pub args_len: u32,
    pub reply_len: u32,
    pub args: Option<u32>,
    pub reply: Option<u32>,
    /// The client operation it was sent for.
    pub op: Option<u32>,
}

/// A link from one lane's end to a server going up or down.
pub(crate) struct Link {
    pub at: Micros,
    pub from: u32,
    pub to: u32,
    pub up: bool,
}

pub(crate) enum Machine {
    /// A machine (re)started; its incarnation number (0 for the first start).
    Started(u64),
    /// A machine crashed, aborting this many tasks.
    Crashed(u64),
}

pub(crate) struct MachineEvent {
    pub at: Micros,
    pub lane: u32,
    pub what: Machine,
}

/// A value of a state track (`RAFT`, `KV`, ...) of a lane, from this moment on.
pub(crate) struct StateChange {
    pub at: Micros,
    pub lane: u32,
    pub track: u32,
    pub text: u32,
}

/// A log line, a harness note, or a change of the network's mode.
pub(crate) struct Line {
    pub at: Micros,
    pub lane: u32,
    /// The log topic (`VOTE`), the note's kind (`partition`) or the mode (`reliable`).
    pub tag: u32,
    pub text: u32,
}

/// A client operation, from its call to its return.
pub(crate) struct Op {
    pub lane: u32,
    pub client: u64,
    pub call: Micros,
    pub ret: Option<Micros>,
    pub text: u32,
    pub result: Option<u32>,
}

/// Another file about the run, linked from its view.
pub(crate) struct Attachment {
    pub label: String,
    pub path: PathBuf,
    /// Whether it is the linearizability timeline, which shows an operation given its client
    /// and call time.
    pub timeline: bool,
}

/// Strings kept once each; events refer to them by number.
#[derive(Default)]
pub(crate) struct Strings {
    ids: HashMap<String, u32>,
    pub all: Vec<String>,
}

impl Strings {
    pub fn id(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.all.len() as u32;
        self.all.push(s.to_string());
        self.ids.insert(s.to_string(), id);
        id
    }
}

pub(crate) struct Recording {
    /// Where the view will be written.
    pub path: PathBuf,
    pub strings: Strings,
    pub lanes: Vec<Lane>,
    lane_ids: HashMap<String, u32>,
    pub rpcs: Vec<Rpc>,
    /// The RPC of each traced send, by the send's event number.
    calls: HashMap<u64, u32>,
    /// Who owns each end: the machine that made it, or the name before its `->`. Lanes are made
    /// only for owners that send something.
    end_owners: HashMap<String, String>,
    pub links: Vec<Link>,
    pub machines: Vec<MachineEvent>,
    pub states: Vec<StateChange>,
    last_state: HashMap<(u32, u32), u32>,
    pub logs: Vec<Line>,
    pub notes: Vec<Line>,
    pub modes: Vec<Line>,
    pub ops: Vec<Op>,
    /// Other files about this run: the linearizability timeline, failing checks' pages.
    pub attachments: Vec<Attachment>,
}

/// The lane an end belongs to when nobody made it from inside a machine: `S2` for `S2->S0#3`,
/// `C7` for `C7->S1`.
fn owner_in_name(end: &str) -> &str {
    end.split("->").next().unwrap_or(end)
}

/// The server an end names after its `->`: `S0` for `S2->S0#3`.
fn target_in_name(end: &str) -> &str {
    let target = end.split("->").nth(1).unwrap_or(end);
    target.split('#').next().unwrap_or(target)
}

impl Recording {
    pub fn new(path: PathBuf) -> Recording {
        let mut recording = Recording {
            path,
            strings: Strings::default(),
            lanes: Vec::new(),
            lane_ids: HashMap::new(),
            rpcs: Vec::new(),
            calls: HashMap::new(),
            end_owners: HashMap::new(),
            links: Vec::new(),
            machines: Vec::new(),
            states: Vec::new(),
            last_state: HashMap::new(),
            logs: Vec::new(),
            notes: Vec::new(),
            modes: Vec::new(),
            ops: Vec::new(),
            attachments: Vec::new(),
        };
        recording.lane("tester", LaneKind::Tester);
        recording
    }

    /// The lane called `name`, created as `kind` if new; a lane first seen as a client becomes a
    /// server once a machine or a server of that name appears.
    pub fn lane(&mut self, name: &str, kind: LaneKind) -> u32 {
        if let Some(&id) = self.lane_ids.get(name) {
            if kind == LaneKind::Server {
                self.lanes[id as usize].kind = LaneKind::Server;
            }
            return id;
        }
        let id = self.lanes.len() as u32;
        self.lanes.push(Lane {
            name: name.to_string(),
            kind,
        });
        self.lane_ids.insert(name.to_string(), id);
        id
    }

    fn lane_of(&mut self, node: Option<&str>) -> u32 {
        match node {
            Some(name) => self.lane(name, LaneKind::Server),
            None => TESTER,
        }
    }

    /// Who owns an end: its maker, or the name before its `->`.
    fn owner_name<'e>(&'e self, end: &'e str) -> &'e str {
        self.end_owners
            .get(end)
            .map_or_else(|| owner_in_name(end), String::as_str)
    }

    /// The lane an end's RPCs come from, when not sent from a machine or for an operation.
    fn end_owner(&mut self, end: &str) -> u32 {
        let owner = self.owner_name(end).to_string();
        self.lane(&owner, LaneKind::Client)
    }

    /// A traced network event; `seq` is its number in the trace, `node` the machine whose code
    /// caused it, `op` the client operation being run.
    pub fn traced(
        &mut self,
        at: Micros,
        seq: u64,
        r: &Record<'_>,
        node: Option<&str>,
        op: Option<u32>,
    ) {
        if r.event == Event::Crash {
            let lane = self.lane(r.target, LaneKind::Server);
            let what = Machine::Crashed(r.len as u64);
            self.machines.push(MachineEvent { at, lane, what });
            return;
        }
        if r.event == Event::Send {
            let from = match (op, node) {
                (Some(op), _) => self.ops[op as usize].lane,
                (None, Some(node)) => self.lane(node, LaneKind::Server),
                (None, None) => self.end_owner(r.end_name),
            };
            let target = if r.target.is_empty() {
                target_in_name(r.end_name)
            } else {
                r.target
            };
            let rpc = Rpc {
                from,
                to: self.lane(target, LaneKind::Server),
                method: self.strings.id(r.method),
                end: self.strings.id(r.end_name),
                sent: at,
                arrived: None,
                replied: None,
                ended: None,
                fate: Fate::InFlight,
                args_len: r.len as u32,
                reply_len: 0,
                args: r.payload.map(|p| self.strings.id(p)),
                reply: None,
                op,
            };
            self.calls.insert(seq, self.rpcs.len() as u32);
            self.rpcs.push(rpc);
            return;
        }
        let Some(rpc) = self.rpc(r.call) else {
            return;
        };
        let fate = match r.event {
            Event::Dispatch => {
                rpc.arrived = Some(at);
                return;
            }
            Event::Unreachable => Fate::Unreachable,
            // A held request's late arrival, if any, is its Dispatch after this.
            Event::DropRequest | Event::Held => Fate::LostRequest,
            Event::Dead => Fate::NoReply,
            Event::DropReply => Fate::LostReply,
            Event::Deliver => Fate::Delivered,
            Event::Send | Event::Crash => unreachable!("handled above"),
        };
        if matches!(fate, Fate::LostReply | Fate::Delivered) {
            rpc.reply_len = r.len as u32;
        }
        rpc.fate = fate;
        rpc.ended = Some(at);
    }

    fn rpc(&mut self, call: u64) -> Option<&mut Rpc> {
        let i = *self.calls.get(&call)?;
        self.rpcs.get_mut(i as usize)
    }

    /// The handler of `call` returned `reply` (its text) at `at`.
    pub fn replied(&mut self, call: u64, at: Micros, reply: Option<String>) {
        let reply = reply.map(|text| self.strings.id(&text));
        if let Some(rpc) = self.rpc(call) {
            rpc.replied = Some(at);
            rpc.reply = reply;
        }
    }

    pub fn end_made(&mut self, end: &str, node: Option<&str>) {
        let owner = node.unwrap_or_else(|| owner_in_name(end));
        self.end_owners.insert(end.to_string(), owner.to_string());
    }

    /// The end `end`, which reaches `server` (if connected), went up or down. Only links between
    /// servers are kept: they are what partitions are drawn from.
    pub fn link(&mut self, at: Micros, end: &str, server: Option<&str>, up: bool) {
        let server_lane = |r: &Recording, name: &str| {
            let id = *r.lane_ids.get(name)?;
            (r.lanes[id as usize].kind == LaneKind::Server).then_some(id)
        };
        let to = server.unwrap_or_else(|| target_in_name(end));
        let from = server_lane(self, self.owner_name(end));
        if let (Some(from), Some(to)) = (from, server_lane(self, to)) {
            self.links.push(Link { at, from, to, up });
        }
    }

    pub fn server_added(&mut self, name: &str) {
        self.lane(name, LaneKind::Server);
    }

    pub fn machine_started(&mut self, at: Micros, name: &str, incarnation: u64) {
        let lane = self.lane(name, LaneKind::Server);
        let what = Machine::Started(incarnation);
        self.machines.push(MachineEvent { at, lane, what });
    }

    pub fn mode(&mut self, at: Micros, mode: &str, on: bool) {
        let tag = self.strings.id(mode);
        let text = self.strings.id(if on { "on" } else { "off" });
        self.modes.push(Line {
            at,
            lane: TESTER,
            tag,
            text,
        });
    }

    /// Track `track` of `node` reads `text` from now on (repeating the value adds nothing).
    pub fn state(&mut self, at: Micros, node: Option<&str>, track: &str, text: &str) {
        let lane = self.lane_of(node);
        let track = self.strings.id(track);
        let text = self.strings.id(text);
        if self.last_state.insert((lane, track), text) == Some(text) {
            return;
        }
        self.states.push(StateChange {
            at,
            lane,
            track,
            text,
        });
    }

    pub fn log(&mut self, at: Micros, node: Option<&str>, topic: &str, text: &str) {
        let line = self.line(at, node, topic, text);
        self.logs.push(line);
    }

    pub fn note(&mut self, at: Micros, node: Option<&str>, kind: &str, text: &str) {
        let line = self.line(at, node, kind, text);
        self.notes.push(line);
    }

    fn line(&mut self, at: Micros, node: Option<&str>, tag: &str, text: &str) -> Line {
        Line {
            at,
            lane: self.lane_of(node),
            tag: self.strings.id(tag),
            text: self.strings.id(text),
        }
    }

    pub fn op_begin(&mut self, at: Micros, client: u64, text: &str) -> u32 {
        let lane = self.lane(&format!("client {client}"), LaneKind::Client);
        let text = self.strings.id(text);
        self.ops.push(Op {
            lane,
            client,
            call: at,
            ret: None,
            text,
            result: None,
        });
        self.ops.len() as u32 - 1
    }

    pub fn op_end(&mut self, op: u32, at: Micros, result: &str) {
        let result = self.strings.id(result);
        if let Some(op) = self.ops.get_mut(op as usize) {
            op.ret = Some(at);
            op.result = Some(result);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record<'a>(event: Event, call: u64, end_name: &'a str, target: &'a str) -> Record<'a> {
        Record {
            event,
            call,
            end: 0,
            end_name,
            target,
            method: "Raft.AppendEntries",
            len: 10,
            payload: Some("{term: 1}"),
        }
    }

    #[test]
    fn an_rpc_is_followed_from_send_to_delivery_on_its_lanes() {
        let mut r = Recording::new(PathBuf::new());
        r.end_made("S1->S0#1", None);
        r.end_made("C9->S0", None);
        r.traced(
            5,
            7,
            &record(Event::Send, 0, "S1->S0#1", "S0"),
            Some("S1"),
            None,
        );
        r.traced(
            6,
            8,
            &record(Event::Dispatch, 7, "S1->S0#1", "S0"),
            None,
            None,
        );
        r.replied(7, 6, Some("{success: true}".into()));
        r.traced(
            9,
            9,
            &record(Event::Deliver, 7, "S1->S0#1", "S0"),
            None,
            None,
        );
        r.traced(9, 10, &record(Event::Send, 0, "C3->S0", "S0"), None, None);
        let names: Vec<&str> = r.lanes.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            ["tester", "S1", "S0", "C3"],
            "C9 sent nothing: no lane"
        );
        assert_eq!(r.lanes[3].kind, LaneKind::Client);
        let rpc = &r.rpcs[0];
        assert_eq!((rpc.from, rpc.to, rpc.fate), (1, 2, Fate::Delivered));
        assert_eq!(
            (rpc.sent, rpc.arrived, rpc.replied, rpc.ended),
            (5, Some(6), Some(6), Some(9))
        );
        assert_eq!(r.strings.all[rpc.args.unwrap() as usize], "{term: 1}");
        assert_eq!(
            r.strings.all[rpc.reply.unwrap() as usize],
            "{success: true}"
        );
        assert_eq!(r.rpcs[1].fate, Fate::InFlight);
    }

    #[test]
    fn repeating_a_state_value_records_nothing() {
        let mut r = Recording::new(PathBuf::new());
        r.state(1, Some("S0"), "RAFT", "T1 follower");
        r.state(2, Some("S0"), "RAFT", "T1 follower");
        r.state(3, Some("S0"), "RAFT", "T2 candidate");
        assert_eq!(r.states.len(), 2);
    }
}
