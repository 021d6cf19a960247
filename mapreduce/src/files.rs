//! Opening input files, with errors that name the file.

use std::fs;
use std::io;

use crate::Error;

/// The contents of the input file `file`.
pub fn read_input(file: &str) -> Result<String, Error> {
    fs::read_to_string(file).map_err(Error::file("read the input file", file))
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
