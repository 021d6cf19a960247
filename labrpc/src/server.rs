//! Servers and services: typed handlers registered under `"Service.Method"` names.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Duration;

use crate::codec;
use crate::error::RpcError;
use crate::sim::{self, Node};

/// A type-erased handler: undecoded arguments in, encoded reply out. The call's trace number is
/// given while the run records its view, which then shows the reply.
type Handler =
    dyn Fn(Vec<u8>, Option<u64>) -> BoxFuture<'static, Result<Vec<u8>, RpcError>> + Send + Sync;

/// A named group of RPC handlers sharing a state, e.g. the service `"Raft"` with the methods
/// `"RequestVote"` and `"AppendEntries"`, reached as `"Raft.RequestVote"`.
///
/// ```
/// # use labrpc::Service;
/// # use std::sync::Arc;
/// struct Counter(std::sync::atomic::AtomicU64);
/// let state = Arc::new(Counter(Default::default()));
/// let service = Service::new("Counter", state)
///     .handle("Add", |c, n: u64| async move {
///         c.0.fetch_add(n, std::sync::atomic::Ordering::SeqCst) + n
///     });
/// ```
pub struct Service<S> {
    name: String,
    state: S,
    methods: Vec<(String, Arc<Handler>)>,
}

impl<S: Clone + Send + Sync + 'static> Service<S> {
    /// A service called `name` whose handlers each receive a clone of `state`.
    pub fn new(name: &str, state: S) -> Service<S> {
        assert!(
            !name.contains('.'),
            "service name `{name}` must not contain a dot"
        );
        Service {
            name: name.to_string(),
            state,
            methods: Vec::new(),
        }
    }

    /// Registers `handler` for `"<service>.<method>"`. The network decodes the caller's arguments
    /// as `A` and encodes the handler's `R`; a mismatch is an [`RpcError::Codec`] naming the method.
    pub fn handle<A, R, F, Fut>(mut self, method: &str, handler: F) -> Service<S>
    where
        A: DeserializeOwned + Send + 'static,
        R: Serialize + Send + 'static,
        F: Fn(S, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
    {
        let full: Arc<str> = format!("{}.{method}", self.name).into();
        let state = self.state.clone();
        let erased = move |bytes: Vec<u8>,
                           call: Option<u64>|
              -> BoxFuture<'static, Result<Vec<u8>, RpcError>> {
            let full = full.clone();
            match codec::decode::<A>(&bytes) {
                Err(e) => Box::pin(std::future::ready(Err(RpcError::Codec {
                    method: full.to_string(),
                    detail: format!(
                        "the handler cannot decode its arguments as {}: {e}",
                        std::any::type_name::<A>()
                    ),
                }))),
                Ok(args) => {
                    let reply = handler(state.clone(), args);
                    Box::pin(async move {
                        let reply = reply.await;
                        if let Some(call) = call {
                            crate::view::replied(call, &reply);
                        }
                        codec::encode(&reply).map_err(|e| RpcError::Codec {
                            method: full.to_string(),
                            detail: format!("the handler's reply cannot be encoded: {e}"),
                        })
                    })
                }
            }
        };
        self.methods.push((method.to_string(), Arc::new(erased)));
        self
    }
}

/// An RPC server: a set of services plus the count of RPCs dispatched to it.
///
/// Handlers run as tasks of the [`Node`] that was current when the server was created (see
/// [`Node::enter`]), so crashing the node also aborts its running handlers.
#[derive(Clone)]
pub struct Server {
    inner: Arc<ServerInner>,
}

struct ServerInner {
    methods: Mutex<BTreeMap<String, Arc<Handler>>>,
    count: AtomicU64,
    node: Option<Node>,
}

/// What dispatching a request started.
pub(crate) enum Dispatched {
    /// Failed before any handler ran (unknown method).
    Failed(RpcError),
    /// The handler is running as a task.
    Running(tokio::task::JoinHandle<Result<Vec<u8>, RpcError>>),
}

impl Default for Server {
    fn default() -> Self {
        Server::new()
    }
}

impl Server {
    /// A server with no services, belonging to the current node (if any).
    pub fn new() -> Server {
        Server {
            inner: Arc::new(ServerInner {
                methods: Mutex::new(BTreeMap::new()),
                count: AtomicU64::new(0),
                node: sim::current_node().map(Node::from_inner),
            }),
        }
    }

    /// Adds every method of `service`. Registering the same `"Service.Method"` twice is a bug.
    pub fn add_service<S>(&self, service: Service<S>) {
        let mut methods = self.inner.methods.lock().unwrap();
        for (method, handler) in service.methods {
            let full = format!("{}.{method}", service.name);
            assert!(
                methods.insert(full.clone(), handler).is_none(),
                "method `{full}` registered twice"
            );
        }
    }

    /// How many RPCs were dispatched to this server (requests lost on the way are not counted).
    pub fn count(&self) -> u64 {
        self.inner.count.load(Ordering::Relaxed)
    }

    pub(crate) fn same(&self, other: &Server) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Hands a request to the server: the handler of `method` starts on the server's node once
    /// the request has travelled for `delay`, when `arrived` runs (the network traces it, and
    /// returns the call's trace number while the view records) and the RPC counts as dispatched. From the moment it is sent the request belongs to the server's
    /// node, so it still arrives if the caller crashes, and dies if the server does.
    pub(crate) fn dispatch(
        &self,
        method: &str,
        args: Vec<u8>,
        delay: Duration,
        arrived: impl FnOnce() -> Option<u64> + Send + 'static,
    ) -> Dispatched {
        let handler = self.inner.methods.lock().unwrap().get(method).cloned();
        let Some(handler) = handler else {
            self.inner.count.fetch_add(1, Ordering::Relaxed);
            let known: Vec<String> = self.inner.methods.lock().unwrap().keys().cloned().collect();
            return Dispatched::Failed(RpcError::UnknownMethod {
                method: method.to_string(),
                known: if known.is_empty() {
                    "(no methods)".to_string()
                } else {
                    known.join(", ")
                },
            });
        };
        let inner = self.inner.clone();
        let running = async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let call = arrived();
            inner.count.fetch_add(1, Ordering::Relaxed);
            handler(args, call).await
        };
        let task = sim::spawn_on(self.inner.node.as_ref().map(Node::inner), running);
        Dispatched::Running(task)
    }
}
