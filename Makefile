# Course entry points. `make test` is what CI runs.
CARGO ?= cargo

.PHONY: test example bench lab2 lab3 raft-3a raft-3b raft-3c raft-3d

## Everything CI checks: the whole workspace's tests in release mode.
test:
	$(CARGO) test --workspace --release

## The simulated network in three conditions, with RPC counts and virtual vs wall time.
example:
	$(CARGO) run -p labrpc --release --example cluster

## Criterion benchmarks (figures are recorded in docs/PERFORMANCE.md).
bench:
	$(CARGO) bench --workspace

## Lab 2: the key/value server's nine graded tests.
lab2:
	$(CARGO) test -p kvsrv --release

## Lab 3 (Raft): the whole lab, or one part.
lab3:
	$(CARGO) test -p raft --release
raft-3a raft-3b raft-3c raft-3d: raft-%:
	$(CARGO) test -p raft --release $*
