//! Lab 4's graded tests, ported from 6.5840's `kvraft/test_test.go` (2024) with every bound
//! kept. `cargo test -p kvraft --release 4a` runs part 4A; each test prints its summary line with
//! `-- --nocapture`.

mod generic;
mod harness;
mod part_4a;
mod part_4b;
mod part_4x;
