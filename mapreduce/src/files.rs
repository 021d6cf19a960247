//! Opening input files, with errors that name the file.

use std::fs;
use std::io;

use crate::Error;

/// The contents of the input file `file`, with every sequence that is not valid UTF-8 replaced by
/// U+FFFD: the original reads bytes and its word splitting sees U+FFFD there, a separator, so a
/// stray byte must not fail the task.
pub fn read_input(file: &str) -> Result<String, Error> {
    let bytes = fs::read(file).map_err(Error::file("read the input file", file))?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// Fails unless `file` is a regular file that can be opened for reading, so that a job with a
/// misspelt input stops at once instead of when a worker reaches it.
pub fn check_input(file: &str) -> Result<(), Error> {
    let error = Error::file("read the input file", file);
    let opened = fs::File::open(file).and_then(|f| f.metadata());
    match opened {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(_) => Err(error(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ))),
        Err(e) => Err(error(e)),
    }
}
