//! Lab 1: MapReduce, with a coordinator and workers running as separate processes.
//!
//! A job runs as one `mrcoordinator` process, which hands out tasks, and any number of `mrworker`
//! processes, which ask it for tasks over a Unix socket ([`labrpc::unix`]) and run them.
//! `mrsequential` computes the reference output in one process.
//!
//! Your code goes in three files: [`rpc`] (the messages), [`coordinator`] and [`worker`]. The rest
//! (the applications in [`apps`], [`KeyValue`] and [`ihash`], the binaries, the input generator
//! and the tests) is fixed: the tests use it as it is. See `docs/lab1-mapreduce.md`.

pub mod apps;
pub mod cli;
pub mod coordinator;
mod error;
mod files;
pub mod inputs;
mod kv;
pub mod rpc;
pub mod sequential;
pub mod worker;

pub use apps::{APP_NAMES, App};
pub use error::Error;
pub use files::{check_input, read_input};
pub use kv::{KeyValue, ihash};
