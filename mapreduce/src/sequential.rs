//! The reference: the whole job in one process, as 6.5840's mrsequential does it.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::{App, Error, KeyValue, read_input};

/// Maps every input, sorts all pairs by key, calls Reduce once per key and writes the
/// `"<key> <output>"` lines to `output` (mrsequential writes `mr-out-0`).
pub fn run(app: &App, inputs: &[String], output: &Path) -> Result<(), Error> {
    let mut pairs: Vec<KeyValue> = Vec::new();
    for file in inputs {
        let contents = read_input(file)?;
        pairs.extend((app.map)(file, &contents));
    }
    // Unstable, as Go's sort.Sort: Reduce receives its values in no particular order.
    pairs.sort_unstable_by(|a, b| a.key.cmp(&b.key));

    let create = Error::file("create", output);
    let mut out = BufWriter::new(fs::File::create(output).map_err(create)?);
    for group in pairs.chunk_by(|a, b| a.key == b.key) {
        let key = &group[0].key;
        let values: Vec<&str> = group.iter().map(|kv| kv.value.as_str()).collect();
        writeln!(out, "{key} {}", (app.reduce)(key, &values))
            .map_err(Error::file("write", output))?;
    }
    out.flush().map_err(Error::file("write", output))
}
