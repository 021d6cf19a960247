//! The README students find at the top of their handout, built from the lab manifest.

use crate::manifest::Manifest;

pub fn student_readme(manifest: &Manifest) -> String {
    let mut s = String::from(
        "# Distributed-systems labs in Rust (6.5840)\n\n\
         Each lab is a Cargo package. You edit only the files listed below; everything else, \
         `Cargo.toml` files included, is the course's and is put back to the original when your \
         work is graded. The lab packages already depend on what your files may use (`tokio`, \
         `labrpc`, `serde`); `make grade` warns when a course file differs from the handout.\n\n\
         | Lab | Handout | Your files | Run its tests |\n|---|---|---|---|\n",
    );
    for lab in &manifest.labs {
        let files: Vec<String> = lab.student_files.iter().map(|f| format!("`{f}`")).collect();
        let part_target = match lab.parts.as_slice() {
            [first, _, ..] => {
                format!(
                    " (one part: `make {}-{}`)",
                    lab.krate,
                    first.id.to_lowercase()
                )
            }
            _ => String::new(),
        };
        s += &format!(
            "| {}: {} | [{}]({}) | {} | `make {}`{part_target} |\n",
            lab.id,
            lab.name,
            lab.doc,
            lab.doc,
            files.join(", "),
            lab.id,
        );
    }
    s += "\n`make` alone lists every command. A lab's first build takes about two minutes on a \
          2-core machine; later ones only rebuild what you changed.\n\n\
          ## Tools\n\n\
          ```\n\
          make grade LABS=lab2                     # grade your work as the course will (score table)\n\
          make stress LAB=lab3 TESTS=3c N=200      # many seeds in parallel, with a table of failures\n\
          LAB_SEED=<seed> cargo test -p raft --release -- --exact part_3c::figure8_3c   # replay one run\n\
          cargo clippy -p raft                     # lints, and the simulator's rules below\n\
          ```\n\n\
          A failing test prints its seed and the exact command that replays it; `--exact` takes the \
          test's full name as `cargo test` prints it (`part_3c::figure8_3c`).\n\n\
          Every test of Labs 2 and later runs on a simulated network in virtual time: see \
          `docs/labrpc.md` for the rules your code must follow (time only from `tokio::time`, \
          randomness only from `labrpc::rand`, tasks only through `labrpc::spawn`; `cargo clippy` \
          warns about the calls that break them) and for how to replay and log a failure.\n";
    s
}
