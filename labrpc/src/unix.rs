//! The real transport: the same [`Server`]s and typed calls as on the simulated network, between
//! processes over a Unix domain socket.
//!
//! Lab 1 runs its coordinator and workers as separate processes; they talk through this module.
//! A server is served with [`serve`]; a client calls it through a [`SocketEnd`]:
//!
//! ```no_run
//! # async fn demo(server: labrpc::Server) -> Result<(), Box<dyn std::error::Error>> {
//! let serving = labrpc::unix::serve(server, "/tmp/demo.sock")?;
//! let end = labrpc::unix::SocketEnd::new("/tmp/demo.sock");
//! let sum: u64 = end.call("Counter.Add", &5u64).await?;
//! drop(serving); // stops accepting and removes the socket file
//! # Ok(()) }
//! ```
//!
//! Wire format: every message is a frame, a 4-byte big-endian length followed by that many bytes
//! of [`codec`] encoding. A request frame holds the method name and the encoded arguments; the
//! reply frame holds the encoded reply or the [`RpcError`] the server produced. A connection
//! carries one request at a time; [`SocketEnd`] opens a fresh connection per call, as the
//! original's `call()` dials per call, so a restarted server is picked up by the next call.
//!
//! Failures keep the simulator's meaning: a refused, reset or stalled connection is
//! [`RpcError::Unavailable`] (the caller cannot tell whether the handler ran), and a call gives up
//! after its timeout rather than hang on a peer that stopped answering.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::codec;
use crate::error::RpcError;
use crate::server::{Dispatched, Server};

/// How long a [`SocketEnd`] waits for a whole call (connect, request, reply) by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest frame either side accepts. A length above it means the peer is not speaking this
/// protocol, and refusing it keeps a garbage length from allocating gigabytes. Arguments or a
/// reply too large for a frame are an [`RpcError::Codec`].
pub const MAX_FRAME: usize = 64 << 20;

/// What a client sends: the method and its encoded arguments.
#[derive(Serialize, Deserialize)]
struct Request {
    method: String,
    args: Vec<u8>,
}

/// What a server answers: the encoded reply, or why there is none.
type Reply = Result<Vec<u8>, RpcError>;

/// A [`Server`] accepting connections on a Unix socket. Dropping it stops the server: no new
/// connection is accepted, running connections are closed and the socket file is removed.
pub struct Serving {
    path: PathBuf,
    accept: JoinHandle<()>,
}

/// Serves `server` on the Unix socket `path`, from tasks of the current tokio runtime (which must
/// have IO enabled).
///
/// The socket file appears only once the server accepts connections, so a client that sees the
/// file can connect: it is bound under a temporary name and renamed into place. A stale file at
/// `path`, left by a process that died, is replaced.
pub fn serve(server: Server, path: impl AsRef<Path>) -> io::Result<Serving> {
    let path = path.as_ref().to_path_buf();
    let mut staging = path.clone().into_os_string();
    staging.push(format!(".{}.binding", std::process::id()));
    let staging = PathBuf::from(staging);
    let _ = std::fs::remove_file(&staging);
    let listener = UnixListener::bind(&staging).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot listen on the socket {}: {e}", staging.display()),
        )
    })?;
    std::fs::rename(&staging, &path).map_err(|e| {
        let _ = std::fs::remove_file(&staging);
        io::Error::new(
            e.kind(),
            format!("cannot create the socket {}: {e}", path.display()),
        )
    })?;
    let accept = tokio::spawn(accept_loop(listener, server));
    Ok(Serving { path, accept })
}

impl Serving {
    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.accept.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

async fn accept_loop(listener: UnixListener, server: Server) {
    // The connections live in the accept task's set, so aborting the accept task closes them too.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, server.clone()));
                }
                Err(e) => {
                    // Out of file descriptors, typically: back off instead of spinning.
                    tracing::warn!("labrpc::unix: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next() => {}
        }
    }
}

/// Answers requests on one connection until the client closes it or breaks the protocol.
async fn serve_connection(mut stream: UnixStream, server: Server) {
    loop {
        let frame = match read_frame(&mut stream).await {
            Ok(Some(frame)) => frame,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!("labrpc::unix: dropping a connection: {e}");
                return;
            }
        };
        let request: Request = match codec::decode(&frame) {
            Ok(request) => request,
            Err(e) => {
                tracing::warn!(
                    "labrpc::unix: malformed request frame ({} bytes, not a method name and \
                     arguments: {e}); closing the connection",
                    frame.len()
                );
                return;
            }
        };
        let method = request.method.clone();
        let reply = run_handler(&server, request).await;
        let mut bytes = encode_reply(&reply);
        if bytes.len() > MAX_FRAME {
            bytes = encode_reply(&Err(RpcError::Codec {
                method,
                detail: format!("the reply exceeds the frame limit of {MAX_FRAME} bytes"),
            }));
        }
        if write_frame(&mut stream, &bytes).await.is_err() {
            return; // The client gave up; it has already reported Unavailable.
        }
    }
}

fn encode_reply(reply: &Reply) -> Vec<u8> {
    codec::encode(reply).expect("a reply of bytes or an RpcError always encodes")
}

async fn run_handler(server: &Server, request: Request) -> Reply {
    match server.dispatch(&request.method, request.args, Duration::ZERO, || None) {
        Dispatched::Failed(e) => Err(e),
        Dispatched::Running(task) => match task.await {
            Ok(reply) => reply,
            Err(e) if e.is_panic() => Err(RpcError::HandlerPanicked {
                method: request.method,
                message: crate::sim::panic_message(e.into_panic().as_ref()),
            }),
            // Cancelled: the runtime is shutting down, so the server is going away.
            Err(_) => Err(RpcError::Unavailable),
        },
    }
}

/// A client's end for calling a server on a Unix socket.
#[derive(Clone, Debug)]
pub struct SocketEnd {
    path: PathBuf,
    timeout: Duration,
}

impl SocketEnd {
    /// An end for the server at `path`, with the [`DEFAULT_TIMEOUT`]. Nothing is connected yet.
    pub fn new(path: impl AsRef<Path>) -> SocketEnd {
        SocketEnd {
            path: path.as_ref().to_path_buf(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The same end, giving up on a call after `timeout`.
    pub fn with_timeout(self, timeout: Duration) -> SocketEnd {
        SocketEnd { timeout, ..self }
    }

    /// The server's socket path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Calls `method` (`"Service.Method"`) with `args` and waits for the reply, like
    /// [`ClientEnd::call`](crate::ClientEnd::call). Needs a tokio runtime with IO and time enabled.
    ///
    /// Fails with [`RpcError::Unavailable`] when the server cannot be reached (no socket file,
    /// nobody listening), drops the connection, or does not answer within the timeout.
    pub async fn call<A, R>(&self, method: &str, args: &A) -> Result<R, RpcError>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let codec_error = |detail: String| RpcError::Codec {
            method: method.to_string(),
            detail,
        };
        let args = codec::encode(args)
            .map_err(|e| codec_error(format!("cannot encode the arguments: {e}")))?;
        let request = codec::encode(&Request {
            method: method.to_string(),
            args,
        })
        .map_err(|e| codec_error(format!("cannot encode the request: {e}")))?;
        if request.len() > MAX_FRAME {
            return Err(codec_error(format!(
                "the arguments exceed the frame limit of {MAX_FRAME} bytes"
            )));
        }
        let frame = tokio::time::timeout(self.timeout, self.exchange(&request))
            .await
            .map_err(|_| RpcError::Unavailable)?
            .map_err(|_| RpcError::Unavailable)?;
        let reply: Reply = codec::decode(&frame)
            .map_err(|e| codec_error(format!("the server's reply frame is malformed: {e}")))?;
        codec::decode(&reply?).map_err(|e| {
            codec_error(format!(
                "the caller cannot decode the reply as {}: {e}",
                std::any::type_name::<R>()
            ))
        })
    }

    /// One connection: send the request frame, read the reply frame.
    async fn exchange(&self, request: &[u8]) -> io::Result<Vec<u8>> {
        let mut stream = UnixStream::connect(&self.path).await?;
        write_frame(&mut stream, request).await?;
        read_frame(&mut stream)
            .await?
            .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))
    }
}

/// Reads one frame; `None` when the peer closed the connection between frames.
async fn read_frame(stream: &mut UnixStream) -> io::Result<Option<Vec<u8>>> {
    let mut header = [0u8; 4];
    match stream.read_exact(&mut header).await {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(header) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("malformed frame: length {len} exceeds the limit of {MAX_FRAME} bytes"),
        ));
    }
    let mut frame = vec![0u8; len];
    stream.read_exact(&mut frame).await.map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("connection broken in the middle of a {len}-byte frame: {e}"),
        )
    })?;
    Ok(Some(frame))
}

async fn write_frame(stream: &mut UnixStream, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&len| len as usize <= MAX_FRAME)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a {}-byte message exceeds the frame limit of {MAX_FRAME} bytes",
                    payload.len()
                ),
            )
        })?;
    stream.write_all(&len.to_be_bytes()).await?;
    stream.write_all(payload).await?;
    stream.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Service;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// A server with `Counter.Add` (adds and returns the total) and `Counter.Panic` (panics on small
    /// numbers).
    fn counter_server() -> Server {
        let service = Service::new("Counter", Arc::new(AtomicU64::new(0)))
            .handle("Add", |c, n: u64| async move {
                c.fetch_add(n, Ordering::SeqCst) + n
            })
            .handle("Panic", |_c, n: u64| async move {
                assert!(n > 100, "deliberate");
                n
            });
        let server = Server::new();
        server.add_service(service);
        server
    }

    #[test]
    fn round_trip_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        runtime().block_on(async {
            let server = counter_server();
            let _serving = serve(server.clone(), &path).unwrap();
            let end = SocketEnd::new(&path);
            assert_eq!(end.call::<u64, u64>("Counter.Add", &5).await, Ok(5));
            assert_eq!(end.call::<u64, u64>("Counter.Add", &7).await, Ok(12));
            assert_eq!(server.count(), 2);
        });
    }

    #[test]
    fn programming_errors_come_back_as_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        runtime().block_on(async {
            let _serving = serve(counter_server(), &path).unwrap();
            let end = SocketEnd::new(&path);
            match end.call::<u64, u64>("Counter.Sub", &1).await {
                Err(RpcError::UnknownMethod { method, known }) => {
                    assert_eq!(method, "Counter.Sub");
                    assert_eq!(known, "Counter.Add, Counter.Panic");
                }
                other => panic!("expected UnknownMethod, got {other:?}"),
            }
            let huge = vec![0u8; MAX_FRAME + 1];
            let too_big = end.call::<Vec<u8>, u64>("Counter.Add", &huge).await;
            assert!(matches!(too_big, Err(RpcError::Codec { .. })), "{too_big:?}");
            let wrong = end.call::<String, u64>("Counter.Add", &"x".into()).await;
            assert!(matches!(wrong, Err(RpcError::Codec { .. })), "{wrong:?}");
            let panicked = end.call::<u64, u64>("Counter.Panic", &1).await;
            assert!(
                matches!(&panicked, Err(RpcError::HandlerPanicked { message, .. }) if message == "deliberate"),
                "{panicked:?}"
            );
            // The server survives all three.
            assert_eq!(end.call::<u64, u64>("Counter.Add", &1).await, Ok(1));
        });
    }

    #[test]
    fn malformed_frames_close_the_connection_but_not_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        runtime().block_on(async {
            let _serving = serve(counter_server(), &path).unwrap();
            // A frame whose payload is not a request, then one with an absurd length.
            for garbage in [
                &[0, 0, 0, 3, 0xff, 0xff, 0xff][..],
                &[0xff, 0xff, 0xff, 0xff],
            ] {
                let mut raw = UnixStream::connect(&path).await.unwrap();
                raw.write_all(garbage).await.unwrap();
                let mut rest = Vec::new();
                let n = raw.read_to_end(&mut rest).await.unwrap();
                assert_eq!(n, 0, "the server must close a connection that sent garbage");
            }
            let end = SocketEnd::new(&path);
            assert_eq!(end.call::<u64, u64>("Counter.Add", &3).await, Ok(3));
        });
    }

    #[test]
    fn server_gone_or_silent_is_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        runtime().block_on(async {
            let end = SocketEnd::new(&path);
            // No socket file at all.
            assert_eq!(
                end.call::<u64, u64>("Counter.Add", &1).await,
                Err(RpcError::Unavailable)
            );

            let serving = serve(counter_server(), &path).unwrap();
            assert_eq!(end.call::<u64, u64>("Counter.Add", &1).await, Ok(1));
            drop(serving);
            assert!(
                !path.exists(),
                "stopping the server removes its socket file"
            );
            assert_eq!(
                end.call::<u64, u64>("Counter.Add", &1).await,
                Err(RpcError::Unavailable)
            );

            // A stale socket file that nobody listens on (a crashed process leaves one).
            drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
            assert!(path.exists());
            assert_eq!(
                end.call::<u64, u64>("Counter.Add", &1).await,
                Err(RpcError::Unavailable)
            );

            // A peer that accepts but never answers: the call times out instead of hanging.
            let silent = UnixListener::bind(dir.path().join("silent.sock")).unwrap();
            let slow = SocketEnd::new(dir.path().join("silent.sock"))
                .with_timeout(Duration::from_millis(200));
            // The socket transport runs on real time: its timeout is measured in it.
            #[allow(clippy::disallowed_methods)]
            let started = std::time::Instant::now();
            assert_eq!(
                slow.call::<u64, u64>("Counter.Add", &1).await,
                Err(RpcError::Unavailable)
            );
            assert!(started.elapsed() < Duration::from_secs(5));
            drop(silent);
        });
    }

    #[test]
    fn a_new_server_replaces_a_stale_socket_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        runtime().block_on(async {
            let _serving = serve(counter_server(), &path).unwrap();
            let end = SocketEnd::new(&path);
            assert_eq!(end.call::<u64, u64>("Counter.Add", &2).await, Ok(2));
        });
    }
}
