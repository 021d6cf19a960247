//! Lab 6's graded tests: the ring and strict quorums (6A), sloppy quorums and hinted handoff
//! (6B). `cargo test -p dynamo --release 6a` runs part 6A; `-- --nocapture` shows each test's
//! summary line.

mod harness;
mod part_6a;
mod part_6b;
mod part_6c;
mod part_6d;
