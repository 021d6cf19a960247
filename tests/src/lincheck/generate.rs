//! Histories made by running clients against a simulated linearizable object: material for the
//! checker's own tests and benchmarks (the project ships no recorded histories).
//!
//! Each client issues operations one after another; each operation gets a random duration and
//! takes effect at a random instant inside it. Applying the operations in the order of those
//! instants to a sequential object gives every output, so the history is linearizable by
//! construction. [`make_illegal`] then breaks one answer.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::history::{History, Operation};
use super::kv::{KvInput, KvOp, KvOutput};
use super::register::{RegisterInput, RegisterOutput};

/// Shape of a generated history.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    pub clients: usize,
    pub ops_per_client: usize,
    pub keys: usize,
    /// Longest operation, in time units; calls are spaced up to half of this apart, so larger
    /// values mean more overlap between clients.
    pub max_duration: u64,
    pub seed: u64,
}

/// Call and return times for every client's operations, and the instant each takes effect.
fn schedule(w: &Workload, rng: &mut ChaCha8Rng) -> Vec<(usize, u64, u64, u64)> {
    let mut ops = Vec::with_capacity(w.clients * w.ops_per_client);
    for client in 0..w.clients {
        let mut t = rng.random_range(0..w.max_duration);
        for _ in 0..w.ops_per_client {
            let call = t;
            let ret = call + rng.random_range(1..=w.max_duration);
            let at = rng.random_range(call..=ret);
            ops.push((client, call, ret, at));
            t = ret + rng.random_range(1..=w.max_duration / 2 + 1);
        }
    }
    ops.sort_by_key(|&(client, _, _, at)| (at, client));
    ops
}

/// A linearizable key/value history with gets, puts and appends (appends return the old value
/// if `append_returns_old`, as in Lab 2).
pub fn kv_history(w: &Workload, append_returns_old: bool) -> History<KvInput, KvOutput> {
    let mut rng = ChaCha8Rng::seed_from_u64(w.seed);
    let mut values = vec![String::new(); w.keys];
    let mut history = History::default();
    for (n, (client, call, ret, _)) in schedule(w, &mut rng).into_iter().enumerate() {
        let k = rng.random_range(0..w.keys);
        let key = k.to_string();
        let roll = rng.random_range(0..10);
        let (input, output) = if roll < 4 {
            (KvInput::get(&key), values[k].clone())
        } else if roll < 5 {
            let v = format!("p {client} {n}");
            values[k] = v.clone();
            (KvInput::put(&key, &v), String::new())
        } else {
            let v = format!("x {client} {n} y");
            let old = std::mem::take(&mut values[k]);
            values[k] = old.clone() + &v;
            if append_returns_old {
                (KvInput::append_returning_old(&key, &v), old)
            } else {
                (KvInput::append(&key, &v), String::new())
            }
        };
        history.ops.push(Operation {
            client,
            input,
            output: KvOutput { value: output },
            call,
            ret,
        });
    }
    history
}

/// A linearizable register history with reads, writes and compare-and-sets over a few values.
pub fn register_history(w: &Workload) -> History<RegisterInput, RegisterOutput> {
    let mut rng = ChaCha8Rng::seed_from_u64(w.seed);
    let mut value: Option<i64> = None;
    let mut history = History::default();
    for (client, call, ret, _) in schedule(w, &mut rng) {
        let (input, output) = match rng.random_range(0..3) {
            0 => (RegisterInput::Read, RegisterOutput::Read(value)),
            1 => {
                let v = rng.random_range(0..5);
                value = Some(v);
                (RegisterInput::Write(v), RegisterOutput::Written)
            }
            _ => {
                let (from, to) = (rng.random_range(0..5), rng.random_range(0..5));
                let applies = value == Some(from);
                if applies {
                    value = Some(to);
                }
                (
                    RegisterInput::Cas { from, to },
                    RegisterOutput::Cas(applies),
                )
            }
        };
        history.ops.push(Operation {
            client,
            input,
            output,
            call,
            ret,
        });
    }
    history
}

/// Makes a key/value history non-linearizable: the last read (a get, or an append that returns
/// the old value) answers a value no operation ever wrote. Returns the index of that operation,
/// or `None` if the history has no read.
pub fn make_illegal(history: &mut History<KvInput, KvOutput>) -> Option<usize> {
    let i = history
        .ops
        .iter()
        .rposition(|o| matches!(o.input.op, KvOp::Get | KvOp::AppendReturningOld))?;
    history.ops[i].output.value = "never written".to_string();
    Some(i)
}
