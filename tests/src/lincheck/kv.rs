//! The key/value model of Labs 2, 4 and 5: one string per key, initially empty.

use std::collections::BTreeMap;

use super::history::Operation;
use super::model::{Model, Partition};

/// What an operation asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KvOp {
    /// Returns the key's value (`""` if missing).
    Get,
    /// Replaces the value.
    Put,
    /// Appends to the value; returns nothing (Labs 4 and 5).
    Append,
    /// Appends to the value and returns the value before (Lab 2).
    AppendReturningOld,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KvInput {
    pub op: KvOp,
    pub key: String,
    /// The argument of `Put` and the appends; empty for `Get`.
    pub value: String,
}

impl KvInput {
    pub fn get(key: &str) -> KvInput {
        KvInput::new(KvOp::Get, key, "")
    }
    pub fn put(key: &str, value: &str) -> KvInput {
        KvInput::new(KvOp::Put, key, value)
    }
    pub fn append(key: &str, value: &str) -> KvInput {
        KvInput::new(KvOp::Append, key, value)
    }
    pub fn append_returning_old(key: &str, value: &str) -> KvInput {
        KvInput::new(KvOp::AppendReturningOld, key, value)
    }
    pub fn new(op: KvOp, key: &str, value: &str) -> KvInput {
        KvInput {
            op,
            key: key.to_string(),
            value: value.to_string(),
        }
    }
}

/// What an operation returned: the value read (`Get`), the old value (`AppendReturningOld`), or
/// nothing meaningful (`Put`, `Append`; use an empty string).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct KvOutput {
    pub value: String,
}

impl KvOutput {
    pub fn new(value: &str) -> KvOutput {
        KvOutput {
            value: value.to_string(),
        }
    }
}

/// The model: partitioned by key; the state of a partition is that key's value.
#[derive(Debug, Clone, Copy, Default)]
pub struct KvModel;

impl Model for KvModel {
    type Input = KvInput;
    type Output = KvOutput;
    type State = String;

    fn init(&self) -> String {
        String::new()
    }

    fn step(&self, state: &String, input: &KvInput, output: &KvOutput) -> Option<String> {
        Some(match next_value(state, input, output)? {
            Next::Same => state.clone(),
            Next::New(value) => value,
        })
    }

    fn read_only(&self, input: &KvInput, _: &KvOutput) -> bool {
        input.op == KvOp::Get
    }

    fn partition(&self, ops: &[Operation<KvInput, KvOutput>]) -> Vec<Partition> {
        let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, op) in ops.iter().enumerate() {
            by_key.entry(&op.input.key).or_default().push(i);
        }
        by_key
            .into_iter()
            .map(|(key, ops)| Partition {
                label: format!("key {key:?}"),
                ops,
            })
            .collect()
    }

    fn describe_operation(&self, input: &KvInput, output: &KvOutput) -> String {
        let (k, v, out) = (&input.key, &input.value, &output.value);
        match input.op {
            KvOp::Get => format!("get({k:?}) -> {out:?}"),
            KvOp::Put => format!("put({k:?}, {v:?})"),
            KvOp::Append => format!("append({k:?}, {v:?})"),
            KvOp::AppendReturningOld => format!("append({k:?}, {v:?}) -> {out:?}"),
        }
    }

    fn describe_state(&self, state: &String) -> String {
        format!("{state:?}")
    }
}

/// What an operation does to its key's value.
pub(super) enum Next {
    Same,
    New(String),
}

/// The effect of `input` on a key holding `value`, if `output` is a legal answer there: the one
/// statement of the model's semantics, shared by the per-key and the whole-store model.
pub(super) fn next_value(value: &str, input: &KvInput, output: &KvOutput) -> Option<Next> {
    match input.op {
        KvOp::Get => (output.value == value).then_some(Next::Same),
        KvOp::Put => Some(Next::New(input.value.clone())),
        KvOp::Append => Some(Next::New(concat(value, &input.value))),
        KvOp::AppendReturningOld => {
            (output.value == value).then(|| Next::New(concat(value, &input.value)))
        }
    }
}

/// `a + b` in one allocation of the exact size (states are copied once per step).
fn concat(a: &str, b: &str) -> String {
    let mut s = String::with_capacity(a.len() + b.len());
    s.push_str(a);
    s.push_str(b);
    s
}
