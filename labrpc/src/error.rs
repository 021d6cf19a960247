//! The one error type of an RPC call.

/// Why [`ClientEnd::call`](crate::ClientEnd::call) returned no reply.
///
/// Network failures are deliberately a single variant: as in 6.5840, a caller cannot tell a lost
/// request from a lost reply, so it never knows whether the handler ran. The other variants are
/// programming errors (a wrong method name, mismatched argument types, a panicking handler) and come
/// with a message naming what went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum RpcError {
    /// No reply: the request or the reply was lost, the peer is disconnected, or the peer is dead.
    /// The handler may or may not have run.
    #[error("no reply (request or reply lost, peer unreachable, or peer dead)")]
    Unavailable,
    /// The server has no service or method of this name.
    #[error("unknown method `{method}`; this server offers: {known}")]
    UnknownMethod { method: String, known: String },
    /// Arguments or reply could not be encoded or decoded as the expected type.
    #[error("{method}: {detail}")]
    Codec { method: String, detail: String },
    /// The handler panicked; the simulator also fails the test with the panic message.
    #[error("{method}: handler panicked: {message}")]
    HandlerPanicked { method: String, message: String },
}
