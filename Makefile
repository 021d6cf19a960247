# Course entry points. `make grade` is the main command; `make test` is what CI runs.
CARGO ?= cargo
TOOL = $(CARGO) run -q -p tools --release --bin

.PHONY: grade test example bench handout handout-check check-suite gradescope stress \
	lab1 lab2 lab3 raft-3a raft-3b raft-3c raft-3d raft-3x lab4 kvraft-4a kvraft-4b \
	lab5 shardkv-5a shardkv-5b shardkv-challenge lab6 dynamo-6a dynamo-6b dynamo-6c dynamo-6d \
	staleness

## Grade every lab (or LABS="lab3 lab2"): each graded test RUNS times (default: labs.toml) with
## recorded seeds; a score table, replay commands of failing runs, grade-results/results.json.
## SUBMISSION=<dir> grades a student's files on a clean copy of the handout. As root, the tests
## run as nobody on a copy in a grading area under /var/tmp (WORK_DIR=<dir> to put it elsewhere).
grade:
	$(TOOL) grade -- $(LABS) $(if $(RUNS),--runs $(RUNS)) $(if $(SUBMISSION),--submission $(SUBMISSION)) $(if $(WORK_DIR),--work-dir $(WORK_DIR))

## Everything CI checks: all tests, then that the handout builds and fails every graded test,
## then the suite check on a fixed set of 10 seeds per bug (make check-suite measures 200).
test:
	$(CARGO) test --workspace --release
	$(TOOL) handout -- --check
	$(TOOL) check-suite -- --seeds 10

## The simulated network in action: a five-node cluster, reliable, lossy and partitioned.
example:
	$(CARGO) run -p labrpc --release --example cluster

## Criterion benchmarks (figures are recorded in docs/PERFORMANCE.md).
bench:
	$(CARGO) bench --workspace

## The student handout: make handout OUT=<dir> (source only; it is compiled, with cargo check, in
## target/copies). Students get their own README and Makefile. FORCE=1 replaces files changed
## since the handout wrote them (the tool refuses and names them otherwise).
handout:
	@test -n "$(OUT)" || { echo "usage: make handout OUT=<directory> [FORCE=1]"; exit 2; }
	$(TOOL) handout -- --out $(OUT) $(if $(FORCE),--force)

handout-check:
	$(TOOL) handout -- --check

## Each curated bug under suite-check/ applied to a copy of the reference: its catch rate per run
## and per grading over SEEDS seeds (default 200); fails below 99% per grading. LABS, ONLY: a subset.
check-suite:
	$(TOOL) check-suite -- $(LABS) --seeds $(or $(SEEDS),200) $(if $(ONLY),--only $(ONLY))

## The Gradescope autograder upload: target/gradescope/autograder.zip.
gradescope:
	$(TOOL) gradescope

## Many seeds of some tests: make stress LAB=lab3 TESTS=3c N=500 [J=2] [KEEP=<logs per test>]
## [LOG_CAP=<MiB per log>].
stress:
	@test -n "$(LAB)" || { echo "usage: make stress LAB=<lab> [TESTS=<pattern>] [N=<seeds>] [J=<jobs>] [KEEP=<logs per test>] [LOG_CAP=<MiB>]"; exit 2; }
	$(TOOL) stress -- $(LAB) $(TESTS) -n $(or $(N),100) $(if $(J),-j $(J)) $(if $(KEEP),--keep $(KEEP)) $(if $(LOG_CAP),--log-cap $(LOG_CAP))

## Lab 1 (MapReduce): the seven graded tests of test-mr.sh, with real processes, plus the checks
## of bad input and unit tests (not graded). Each lab target says which of its tests are graded.
lab1:
	@echo '== lab1: graded: mapreduce/tests/mr.rs; also run, not graded: mapreduce/tests/bad_input.rs, mapreduce/tests/unicode.rs, unit tests'
	@$(CARGO) test -p mapreduce --release --no-fail-fast || { echo '== lab1: a test failed. Graded: mapreduce/tests/mr.rs; the others are not'; exit 1; }

## Lab 2: the key/value server's nine graded tests.
lab2:
	@echo '== lab2: graded: kvsrv/tests/kvsrv.rs, kvsrv/tests/memory.rs'
	$(CARGO) test -p kvsrv --release --no-fail-fast

## Lab 3 (Raft): the whole lab, or one part.
lab3:
	@echo '== lab3: graded: raft/tests/graded'
	$(CARGO) test -p raft --release --no-fail-fast
raft-3a raft-3b raft-3c raft-3d raft-3x: raft-%:
	$(CARGO) test -p raft --release --no-fail-fast $*

## Lab 4 (fault-tolerant key/value service on Raft): the whole lab, or one part.
lab4:
	@echo '== lab4: graded: kvraft/tests/graded; also run, not graded: kvraft/tests/bad_input.rs'
	@$(CARGO) test -p kvraft --release --no-fail-fast || { echo '== lab4: a test failed. Graded: kvraft/tests/graded; not graded: kvraft/tests/bad_input.rs'; exit 1; }
kvraft-4a kvraft-4b: kvraft-%:
	$(CARGO) test -p kvraft --release --no-fail-fast $*

## Lab 5 (sharded key/value service): the whole lab, or one part (5b includes the challenges,
## whose names end in _5b; shardkv-challenge runs only them).
lab5:
	@echo '== lab5: graded: shardkv/tests/graded; also run, not graded: shardkv/tests/bad_input.rs, and (instructor-only) reference_protocol.rs, hang_message.rs'
	@$(CARGO) test -p shardkv --release --no-fail-fast || { echo '== lab5: a test failed. Graded: shardkv/tests/graded; the others are not'; exit 1; }
shardkv-5a shardkv-5b shardkv-challenge: shardkv-%:
	$(CARGO) test -p shardkv --release --no-fail-fast $*

## Lab 6 (leaderless key/value store): the whole lab, or one part.
lab6:
	@echo '== lab6: graded: dynamo/tests/graded; also run, not graded: dynamo/tests/bad_input.rs, dynamo/tests/staleness_plot.rs, unit tests'
	@$(CARGO) test -p dynamo --release --no-fail-fast || { echo '== lab6: a test failed. Graded: dynamo/tests/graded; the others are not'; exit 1; }
dynamo-6a dynamo-6b dynamo-6c dynamo-6d: dynamo-%:
	$(CARGO) test -p dynamo --release --no-fail-fast $*

## Lab 6's staleness curve of your store, measured: target/staleness.svg (OUT=<path> elsewhere).
staleness:
	$(CARGO) run -q -p dynamo --release --example staleness -- $(if $(OUT),--out $(OUT))
