//! The errors of a worker, a coordinator or mrsequential, each naming what went wrong.

use std::io;
use std::path::{Path, PathBuf};

use labrpc::RpcError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No compiled-in application has this name.
    #[error("unknown app `{name}`; the apps are: {}", crate::APP_NAMES.join(", "))]
    UnknownApp { name: String },
    /// A file operation failed.
    #[error("cannot {action} {}: {reason}", path.display())]
    File {
        action: &'static str,
        path: PathBuf,
        reason: io::Error,
    },
    /// A file exists but does not hold what it should (e.g. a truncated intermediate file).
    #[error("{} is corrupt: {detail}", path.display())]
    Corrupt { path: PathBuf, detail: String },
    /// The coordinator answered a call with an error (a wrong method name or message type).
    #[error("RPC to the coordinator failed: {0}")]
    Rpc(#[from] RpcError),
}

impl Error {
    /// For `map_err`: `fs::read(&p).map_err(Error::file("read", &p))`.
    pub fn file(action: &'static str, path: impl AsRef<Path>) -> impl FnOnce(io::Error) -> Error {
        let path = path.as_ref().to_path_buf();
        move |reason| Error::File {
            action,
            path,
            reason,
        }
    }
}
