//! What the checker needs to know about the object a history was recorded on.

use std::hash::Hash;

use super::history::Operation;

/// A sequential specification: the object's states and how each operation moves between them.
///
/// The checker searches for an order of the operations, consistent with real time, in which every
/// operation's recorded output is what [`Model::step`] allows. Implementations are stateless
/// descriptions; the state lives in [`Model::State`] values the checker clones and compares.
pub trait Model: Sync {
    /// Compared and hashed to find operations that are interchangeable for the search.
    type Input: Sync + Eq + Hash;
    type Output: Sync + Eq + Hash;
    /// Hashed and compared by the search's cache: two configurations with the same set of
    /// linearized operations and equal states are explored once.
    type State: Clone + Eq + Hash;

    fn init(&self) -> Self::State;

    /// The state after applying `input` in `state`, if the object may answer `output` there.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: &Self::Output,
    ) -> Option<Self::State>;

    /// True if the operation changes the state in no state where `output` is a legal answer
    /// (a read, a compare-and-set that failed). The search takes such an operation as soon as
    /// it can, without trying others first. The default, false, is always safe.
    fn read_only(&self, input: &Self::Input, output: &Self::Output) -> bool {
        let _ = (input, output);
        false
    }

    /// Splits the operations (by index into `ops`) into independent parts that are checked
    /// separately (P-compositionality): e.g. one part per key of a key/value store. The default
    /// keeps the whole history together.
    fn partition(&self, ops: &[Operation<Self::Input, Self::Output>]) -> Vec<Partition> {
        vec![Partition {
            label: "history".to_string(),
            ops: (0..ops.len()).collect(),
        }]
    }

    /// One operation as text, e.g. `get("k") -> "v"`.
    fn describe_operation(&self, input: &Self::Input, output: &Self::Output) -> String;

    /// One state as text.
    fn describe_state(&self, state: &Self::State) -> String;
}

/// An independent part of a history: a name for it (`key "k"`) and its operations' indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    pub label: String,
    pub ops: Vec<usize>,
}
