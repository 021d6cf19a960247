//! Checker speed on published histories and on histories the project generates.
//!
//! `LINCHECK_DATA=<dir> cargo bench -p tests --bench lincheck` adds porcupine's and Jepsen's
//! published histories from `<dir>` (searched one level deep: `*.txt` files are read as porcupine
//! key/value logs, `*.log` files as Jepsen etcd logs). Without it only generated histories run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use tests::lincheck::generate::{Workload, kv_history, register_history};
use tests::lincheck::kv::KvModel;
use tests::lincheck::kv_whole::KvWholeModel;
use tests::lincheck::register::RegisterModel;
use tests::lincheck::{self, Verdict, formats};

const DATA_VAR: &str = "LINCHECK_DATA";

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn published(c: &mut Criterion) {
    let Some(dir) = std::env::var_os(DATA_VAR) else {
        eprintln!(
            "note: {DATA_VAR} is not set, so published histories are not benchmarked. Set it to a \
             folder of porcupine key/value logs (*.txt) and Jepsen etcd logs (*.log)."
        );
        return;
    };
    let dir = PathBuf::from(dir);
    let files = files_under(&dir);
    assert!(
        !files.is_empty(),
        "{DATA_VAR}={} holds no history files",
        dir.display()
    );
    let read =
        |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let name = |p: &Path| {
        p.file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    };

    let mut group = c.benchmark_group("published");
    let kv_files: Vec<&PathBuf> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    for path in &kv_files {
        let h = formats::parse_porcupine_kv(&read(path))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        group.bench_function(format!("kv/{}", name(path)), |b| {
            b.iter(|| lincheck::check(&KvModel, &h, None).verdict)
        });
    }
    // Each Jepsen log on its own, briefly: there are a hundred of them.
    group.warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(1));
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
    {
        let h = formats::parse_jepsen_etcd(&read(path))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        group.bench_function(format!("etcd/{}", name(path)), |b| {
            b.iter(|| lincheck::check(&RegisterModel, &h, None).verdict)
        });
    }
    // porcupine's KvNoPartition10ClientsOk/Bad: the 10-client logs as one store, not by key.
    group.sample_size(10);
    for path in kv_files.iter().filter(|p| name(p).starts_with("c10")) {
        let h = formats::parse_porcupine_kv(&read(path))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        group.bench_function(format!("kv_whole/{}", name(path)), |b| {
            b.iter(|| lincheck::check(&KvWholeModel, &h, None).verdict)
        });
    }
    group.finish();
}

fn generated(c: &mut Criterion) {
    let mut group = c.benchmark_group("generated");
    group.measurement_time(Duration::from_secs(5));
    // Lab 2's shape: one client per key, long and sequential.
    let lab2 = kv_history(
        &Workload {
            clients: 5,
            ops_per_client: 6_000,
            keys: 5,
            max_duration: 10,
            seed: 1,
        },
        true,
    );
    // Lab 4's random-keys shape: 15 clients, each operation on one of 15 keys at random.
    let shared_keys = kv_history(
        &Workload {
            clients: 15,
            ops_per_client: 200,
            keys: 15,
            max_duration: 20,
            seed: 2,
        },
        false,
    );
    // A dense Lab 4 history: 15 clients on only 3 keys, plain appends that return nothing.
    let dense = kv_history(
        &Workload {
            clients: 15,
            ops_per_client: 200,
            keys: 3,
            max_duration: 20,
            seed: 4,
        },
        false,
    );
    let register = register_history(&Workload {
        clients: 8,
        ops_per_client: 100,
        keys: 1,
        max_duration: 10,
        seed: 3,
    });
    for (name, h) in [
        ("kv_5_clients_30000_ops", &lab2),
        ("kv_15_clients_15_keys", &shared_keys),
        ("kv_15_clients_3_keys", &dense),
    ] {
        assert_eq!(lincheck::check(&KvModel, h, None).verdict, Verdict::Ok);
        group.bench_function(name, |b| {
            b.iter(|| lincheck::check(&KvModel, h, None).verdict)
        });
    }
    assert_eq!(
        lincheck::check(&RegisterModel, &register, None).verdict,
        Verdict::Ok
    );
    group.bench_function("register_8_clients_800_ops", |b| {
        b.iter(|| lincheck::check(&RegisterModel, &register, None).verdict)
    });
    group.finish();
}

criterion_group!(benches, published, generated);
criterion_main!(benches);
