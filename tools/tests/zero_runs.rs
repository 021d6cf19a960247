//! `grade --runs 0` and `stress -n 0` would "succeed" having run nothing, and overwrite the
//! results of an earlier session: they are refused before anything is touched.

use std::process::Command;

#[test]
fn zero_runs_are_refused_before_earlier_results_are_touched() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    std::fs::write(&results, "{\"score\": 42}").unwrap();
    let logs = dir.path().join("stress-logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::write(logs.join("failing-seed.log"), "kept").unwrap();

    let grade = Command::new(env!("CARGO_BIN_EXE_grade"))
        .args(["lab2", "--runs", "0", "--output"])
        .arg(&results)
        .output()
        .unwrap();
    let stress = Command::new(env!("CARGO_BIN_EXE_stress"))
        .args(["lab2", "-n", "0", "--logs"])
        .arg(&logs)
        .output()
        .unwrap();
    for (out, option) in [(grade, "--runs <RUNS>"), (stress, "--iterations <N>")] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.starts_with(&format!(
                "error: invalid value '0' for '{option}': must be at least 1\n"
            )),
            "{stderr}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&results).unwrap(),
        "{\"score\": 42}"
    );
    assert_eq!(
        std::fs::read_to_string(logs.join("failing-seed.log")).unwrap(),
        "kept"
    );
}
