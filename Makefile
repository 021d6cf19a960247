# Course entry points. `make test` is what CI runs.
CARGO ?= cargo

.PHONY: test example bench lab-labrpc lab1

## Everything CI checks: the whole workspace's tests in release mode.
test:
	$(CARGO) test --workspace --release

## The simulated network in three conditions, with RPC counts and virtual vs wall time.
example:
	$(CARGO) run -p labrpc --release --example cluster

## Criterion benchmarks (figures are recorded in docs/PERFORMANCE.md).
bench:
	$(CARGO) bench --workspace

lab-labrpc:
	$(CARGO) test -p labrpc --release

## Lab 1 (MapReduce): the seven graded tests of test-mr.sh, with real processes, plus unit tests.
lab1:
	$(CARGO) test -p mapreduce --release
