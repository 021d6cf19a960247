//! Lab 3's graded tests, ported from 6.5840's `raft/test_test.go` (2024) with every bound kept.
//! `cargo test -p raft --release 3a` runs part 3A; each test prints a summary line with
//! `-- --nocapture`.

mod harness;
mod part_3a;
mod part_3b;
mod part_3c;
mod part_3d;
mod part_3x;
