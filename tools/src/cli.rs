//! What the course tools share on their command lines: one readable message with its causes, and
//! exit status 2, for an error rather than a debug dump (anyhow prints a backtrace when
//! RUST_BACKTRACE is set); counts that start at 1; input files read only when they are regular
//! files of a sensible size.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

/// Runs a tool's body; `tool` names it in the error message.
pub fn run(tool: &str, body: impl FnOnce() -> anyhow::Result<ExitCode>) -> ExitCode {
    match body() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{tool}: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Test processes to run at once when the user does not say: one per CPU.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Exit status 0 when `ok`, 1 otherwise (tests failed, bugs not caught).
pub fn status(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// A count on the command line (`grade --runs`, `stress -n`, `lincheck --repeat`): at least 1,
/// since zero runs would "succeed" with nothing checked and still overwrite earlier results.
/// Used as a clap `value_parser`, so the error comes before anything is done.
pub fn count(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a whole number (at least 1)")),
    }
}

/// Opens `path` for reading if it is a regular file (through symbolic links): a device such as
/// `/dev/zero` never ends, a FIFO blocks until someone writes to it, and a directory is not input.
pub fn open_regular_file(path: &Path) -> anyhow::Result<File> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a device, FIFO or socket)"
        };
        bail!(
            "{} is {what}: give the path of a regular file",
            path.display()
        );
    }
    File::open(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The contents of the regular file `path`, refused beyond `cap` bytes with a clear error rather
/// than read into memory whatever its size. `what` names the kind of file for the message.
pub fn read_regular_file(path: &Path, cap: u64, what: &str) -> anyhow::Result<Vec<u8>> {
    let file = open_regular_file(path)?;
    let mut bytes = Vec::new();
    // One byte past the cap tells a file that is too large from one exactly at it, even if the
    // file grows after being opened.
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > cap {
        bail!(
            "{} is larger than {} MiB, more than any {what} this tool reads: is it the right file?",
            path.display(),
            cap >> 20
        );
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_start_at_one() {
        assert_eq!(count("3"), Ok(3));
        assert_eq!(count("0"), Err("must be at least 1".to_string()));
        assert!(count("-1").unwrap_err().contains("not a whole number"));
        assert!(count("many").unwrap_err().contains("`many`"));
    }

    #[test]
    fn only_regular_files_within_the_cap_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("history.txt");
        let mib = 1 << 20;
        std::fs::write(&file, vec![b'x'; mib + 1]).unwrap();
        assert_eq!(
            read_regular_file(&file, 2 * mib as u64, "history")
                .unwrap()
                .len(),
            mib + 1
        );
        let e = read_regular_file(&file, mib as u64, "history").unwrap_err();
        assert!(
            e.to_string()
                .contains("is larger than 1 MiB, more than any history"),
            "{e}"
        );
        let e = read_regular_file(Path::new("/dev/zero"), 1024, "history").unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        let e = open_regular_file(dir.path()).unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
        let e = open_regular_file(&dir.path().join("missing")).unwrap_err();
        assert!(format!("{e:#}").contains("No such file"), "{e:#}");
    }
}
