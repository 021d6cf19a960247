//! A real sleep makes no virtual time pass, so a clerk that retries with `std::thread::sleep`
//! looks fast to a test that measures virtual time: in Go the same clerk fails the speed test.
//! The speed tests therefore bound how long lab code blocks the simulator thread. This grades the
//! reference with a 50 ms real sleep in every clerk call, in a copy of the project, on
//! `speed_4a`: no points, and the results say why.

mod common;

use common::{copy_of_project, edit, one_run_each, root};
use tools::grade::{self, Notes};
use tools::manifest::Manifest;
use tools::runner;

#[test]
fn a_clerk_that_sleeps_in_real_time_scores_zero_for_speed_4a() {
    let root = root();
    let manifest = Manifest::load(&root).unwrap();
    let mut lab = manifest.select(&["lab4".to_string()]).unwrap()[0].clone();
    lab.parts.retain(|p| p.id == "4A");
    lab.parts[0].tests.retain(|t| t == "speed_4a");
    let copy = copy_of_project(&root, "target/real-time/sleeping-clerk");
    edit(
        &copy,
        "kvraft/src/client.rs",
        "        let mut refused = 0;\n        loop {",
        "        std::thread::sleep(Duration::from_millis(50));\n        let mut refused = 0;\n        loop {",
    );

    let claim = runner::CopiesClaim::new(&root, &copy).unwrap();
    let results = grade::grade(&copy, &[&lab], &one_run_each(&claim, 21)).unwrap();
    assert!(
        results[0].build_error.is_none(),
        "the sleeping clerk does not build"
    );
    assert_eq!(
        results[0].points(),
        0.0,
        "speed_4a passed a clerk that sleeps"
    );
    let json = grade::results_json(&results, 0, &Notes::new());
    let test = &json["tests"][0];
    assert_eq!(
        (test["name"].as_str(), test["score"].as_f64()),
        (Some("lab4 4A: speed_4a"), Some(0.0))
    );
    let output = test["output"].as_str().unwrap();
    assert!(
        output.contains("this test grades speed, and lab code blocked the simulator thread for")
            && output.contains("std::thread::sleep in lab code (use tokio::time::sleep)"),
        "{output}"
    );
    // It stops at the bound, not after the minutes the sleeping clerk would take.
    let wall = results[0].runs[0].1.wall;
    assert!(wall.as_secs() < 20, "the run took {wall:?}");
}
