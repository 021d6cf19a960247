//! The README students find at the top of their handout, built from the lab manifest.

use crate::manifest::Manifest;

pub fn student_readme(manifest: &Manifest) -> String {
    let mut s = String::from(
        "# Distributed-systems labs in Rust (6.5840)\n\n\
         Each lab is a Cargo package. You edit only the files listed below; everything else is \
         the course's, and is put back to the original when your work is graded.\n\n\
         | Lab | Handout | Your files | Run its tests |\n|---|---|---|---|\n",
    );
    for lab in &manifest.labs {
        let files: Vec<String> = lab.student_files.iter().map(|f| format!("`{f}`")).collect();
        let parts: Vec<&str> = lab.parts.iter().map(|p| p.id.as_str()).collect();
        let filter = match parts.as_slice() {
            [_] => String::new(),
            [first, ..] => format!(" {}", first.to_lowercase()),
            [] => String::new(),
        };
        s += &format!(
            "| {}: {} | [{}]({}) | {} | `cargo test -p {} --release{filter}` |\n",
            lab.id,
            lab.name,
            lab.doc,
            lab.doc,
            files.join(", "),
            lab.krate
        );
    }
    s += "\nA lab with parts (3A, 3B, ...) runs one part with its name as the test filter, as shown.\n\n\
          ## Tools\n\n\
          ```\n\
          make grade                               # grade your work, as the course will (score table)\n\
          make stress LAB=lab3 TESTS=3c N=200      # many seeds in parallel, with a table of failures\n\
          LAB_SEED=<seed> cargo test -p <crate> --release -- --exact <test>   # replay a failure exactly\n\
          ```\n\n\
          Every test runs on a simulated network in virtual time: see `docs/labrpc.md` for the rules \
          your code must follow (time only from `tokio::time`, randomness only from `labrpc::rand`, \
          tasks only through `labrpc::spawn`) and for how to replay and log a failure.\n";
    s
}
