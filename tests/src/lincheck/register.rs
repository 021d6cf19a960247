//! A register of integers with read, write and compare-and-set, where an operation may have an
//! unknown outcome (a client timed out): the model of Jepsen's etcd histories.

use super::model::Model;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegisterInput {
    Read,
    Write(i64),
    /// Set the register to `to` if it holds `from`.
    Cas {
        from: i64,
        to: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegisterOutput {
    /// The value read; `None` if the register was never written.
    Read(Option<i64>),
    Written,
    /// Whether the compare-and-set took effect.
    Cas(bool),
    /// No answer: the operation may or may not have happened. Record such operations with
    /// [`Pending::unknown`](super::Pending::unknown) so that they may also take effect at any
    /// later time.
    Unknown,
}

/// The register model; the state is the value, `None` before the first write.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegisterModel;

impl Model for RegisterModel {
    type Input = RegisterInput;
    type Output = RegisterOutput;
    type State = Option<i64>;

    fn init(&self) -> Option<i64> {
        None
    }

    fn step(
        &self,
        state: &Option<i64>,
        input: &RegisterInput,
        output: &RegisterOutput,
    ) -> Option<Option<i64>> {
        use RegisterOutput as Out;
        match (*input, *output) {
            (RegisterInput::Read, Out::Read(v)) => (v == *state).then_some(*state),
            (RegisterInput::Read, Out::Unknown) => Some(*state),
            (RegisterInput::Write(v), Out::Written | Out::Unknown) => Some(Some(v)),
            (RegisterInput::Cas { from, to }, out) => {
                let applies = *state == Some(from);
                let after = if applies { Some(to) } else { *state };
                match out {
                    Out::Cas(succeeded) => (succeeded == applies).then_some(after),
                    Out::Unknown => Some(after),
                    _ => None,
                }
            }
            // An output of the wrong kind is never a legal answer.
            _ => None,
        }
    }

    fn read_only(&self, input: &RegisterInput, output: &RegisterOutput) -> bool {
        matches!(
            (input, output),
            (RegisterInput::Read, _) | (RegisterInput::Cas { .. }, RegisterOutput::Cas(false))
        )
    }

    fn describe_operation(&self, input: &RegisterInput, output: &RegisterOutput) -> String {
        let out = match output {
            RegisterOutput::Read(Some(v)) => format!(" -> {v}"),
            RegisterOutput::Read(None) => " -> nil".to_string(),
            RegisterOutput::Written => String::new(),
            RegisterOutput::Cas(true) => " -> ok".to_string(),
            RegisterOutput::Cas(false) => " -> failed".to_string(),
            RegisterOutput::Unknown => " -> ?".to_string(),
        };
        match input {
            RegisterInput::Read => format!("read(){out}"),
            RegisterInput::Write(v) => format!("write({v}){out}"),
            RegisterInput::Cas { from, to } => format!("cas({from}, {to}){out}"),
        }
    }

    fn describe_state(&self, state: &Option<i64>) -> String {
        state.map_or("nil".to_string(), |v| v.to_string())
    }
}
