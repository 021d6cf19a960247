//! Keeping a test process and everything it starts under the runner's control.
//!
//! Each run starts in a session of its own (so it and its children share one process group the
//! runner can kill, apart from the runner's own session), under an address-space limit, with a
//! parent-death signal, and, where asked, as an unprivileged user. The runner makes itself a
//! child subreaper: a process a run leaves behind becomes the runner's child when its parent
//! ends, even if it started a session of its own, and [`sweep_leftovers`] kills it. A leftover is
//! recognised as a child of the runner in another session that is not a running test: every other
//! child of the runner (cargo, git) stays in the runner's session.

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::{Mutex, Once};
use std::time::Duration;

use anyhow::Context;

/// What a run may use.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    /// The test process's address-space limit (RLIMIT_AS), in bytes.
    pub memory_bytes: Option<u64>,
    /// Run as this user instead of the runner's own (a root grader must not run student code as
    /// root).
    pub run_as: Option<User>,
}

/// An account to run tests as.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

impl User {
    /// The account named `name`, from the system's user database.
    pub fn lookup(name: &str) -> anyhow::Result<User> {
        let c_name = std::ffi::CString::new(name)
            .map_err(|_| anyhow::anyhow!("the user name {name:?} holds a NUL byte"))?;
        // SAFETY: getpwnam returns null or a pointer to a static record, read at once here (the
        // runner does not look users up from several threads).
        let record = unsafe { libc::getpwnam(c_name.as_ptr()) };
        anyhow::ensure!(
            !record.is_null(),
            "no user named {name} on this machine: name an existing unprivileged account \
             (e.g. --run-as nobody)"
        );
        // SAFETY: non-null, as checked just above.
        let (uid, gid) = unsafe { ((*record).pw_uid, (*record).pw_gid) };
        Ok(User {
            name: name.to_string(),
            uid,
            gid,
        })
    }
}

impl User {
    /// Whether this is the user the runner runs as.
    pub fn is_current(&self) -> bool {
        // SAFETY: geteuid cannot fail.
        self.uid == unsafe { libc::geteuid() }
    }

    /// Whether this user can enter `dir` and list it (every directory on its way searchable, as
    /// the tests need to reach their binaries and package directories); the error names the first
    /// directory in the way.
    pub fn check_enters(&self, dir: &Path) -> anyhow::Result<()> {
        let dir = dir
            .canonicalize()
            .with_context(|| format!("cannot find {}", dir.display()))?;
        let mut path = PathBuf::new();
        for part in dir.components() {
            path.push(part);
            let meta = std::fs::metadata(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let needed = if path == dir { 0o5 } else { 0o1 };
            if self.permissions_on(&meta) & needed != needed {
                anyhow::bail!(
                    "user {} cannot enter {} (mode {:04o}, owner uid {}), on the way to {}",
                    self.name,
                    path.display(),
                    meta.mode() & 0o7777,
                    meta.uid(),
                    dir.display()
                );
            }
        }
        Ok(())
    }

    /// The `rwx` bits (as 0..=7) this user has on a file: the owner's, the group's or the
    /// others', as the kernel picks them. The tests run with the user's own group only.
    fn permissions_on(&self, meta: &std::fs::Metadata) -> u32 {
        let mode = meta.mode();
        if self.uid == 0 {
            0o7
        } else if meta.uid() == self.uid {
            mode >> 6 & 0o7
        } else if meta.gid() == self.gid {
            mode >> 3 & 0o7
        } else {
            mode & 0o7
        }
    }
}

/// Whether the runner runs as root.
pub fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Prepares `cmd` to start in its own session under `limits`.
pub fn confine(cmd: &mut Command, limits: &Limits) {
    let memory = limits.memory_bytes;
    let ids = limits.run_as.as_ref().map(|u| (u.uid, u.gid));
    // SAFETY: the closure runs in the forked child before exec and calls only async-signal-safe
    // system calls, allocating nothing.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if let Some(bytes) = memory {
                let limit = libc::rlimit {
                    rlim_cur: bytes,
                    rlim_max: bytes,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            if let Some((uid, gid)) = ids
                && (libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(gid) != 0
                    || libc::setuid(uid) != 0)
            {
                return Err(std::io::Error::last_os_error());
            }
            // After the user change, which clears it. Ends the run if the runner dies (a grader
            // stopped with Ctrl-C: its tests are in other sessions and do not get the SIGINT).
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// The test processes running now, by pid: never taken for leftovers.
static RUNNING: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

/// Starts `cmd` (prepared by [`confine`]) as a running test.
pub fn spawn(cmd: &mut Command) -> std::io::Result<Child> {
    become_subreaper();
    // Held across the spawn: a sweep on another thread must not see the new process unregistered.
    let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    let child = cmd.spawn()?;
    running.insert(child.id());
    Ok(child)
}

/// How a test process ended, and the most memory it held.
pub struct Ended {
    pub status: ExitStatus,
    /// Its peak resident memory, in bytes.
    pub peak_memory: u64,
}

/// Waits for the test process `pid` (a child of this process): `None` while it runs, unless
/// `block`. Unlike `Child::try_wait`, it also reports the process's peak memory, which tells a run
/// killed for want of memory (its stack could not grow: SIGSEGV) from other crashes.
pub fn wait(pid: u32, block: bool) -> std::io::Result<Option<Ended>> {
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let flags = if block { 0 } else { libc::WNOHANG };
    loop {
        // SAFETY: wait4 writes only into the two locals it is given.
        let waited = unsafe { libc::wait4(pid as libc::pid_t, &mut status, flags, &mut usage) };
        if waited == 0 {
            return Ok(None);
        }
        if waited > 0 {
            return Ok(Some(Ended {
                status: ExitStatus::from_raw(status),
                // Linux gives ru_maxrss in KiB.
                peak_memory: (usage.ru_maxrss.max(0) as u64) << 10,
            }));
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Ends what is left of the run whose test process was `pid` (already waited for): its
/// process group, then every leftover of any finished run, until the group is gone (or a second
/// has passed: a process stuck in the kernel cannot be hurried).
pub fn end(pid: u32) {
    // A process group's id is not given to a new process while the group has members, so this
    // cannot reach another run's group.
    let group = pid as libc::pid_t;
    RUNNING
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&pid);
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    loop {
        // SAFETY: kill with a negative pid signals a process group; no memory is involved.
        unsafe { libc::kill(-group, libc::SIGKILL) };
        // Members of the group that died are zombies until their parent, often the runner
        // itself, waits for them.
        sweep_leftovers();
        // SAFETY: signal 0 only asks whether the group still has members.
        let gone = unsafe { libc::kill(-group, 0) } != 0;
        if gone || std::time::Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Kills test process `pid` (a child not yet waited for).
pub fn kill(pid: u32) {
    // SAFETY: a plain system call; the pid is an unwaited child, so it cannot have been reused.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
}

/// Kills the runner's children that are in another session and are not running tests: processes
/// that outlived their run (orphans reparent to the runner, a subreaper). Repeats while killing
/// one orphans others.
fn sweep_leftovers() {
    const ROUNDS: usize = 50;
    let running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    let me = std::process::id();
    // SAFETY: getsid(0) cannot fail for the calling process.
    let my_session = unsafe { libc::getsid(0) } as u32;
    for _ in 0..ROUNDS {
        let leftovers: Vec<u32> = children_of(me)
            .into_iter()
            .filter(|c| c.session != my_session && !running.contains(&c.pid))
            .map(|c| c.pid)
            .collect();
        if leftovers.is_empty() {
            return;
        }
        for pid in leftovers {
            // SAFETY: plain system calls on a pid that is our child (so it cannot be reused
            // before we wait for it).
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGKILL);
                libc::waitpid(pid as libc::pid_t, std::ptr::null_mut(), 0);
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

struct ProcessInfo {
    pid: u32,
    session: u32,
}

/// The processes whose parent is `parent`, from /proc.
fn children_of(parent: u32) -> Vec<ProcessInfo> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| {
            let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let (ppid, session) = parent_and_session(&stat)?;
            (ppid == parent).then_some(ProcessInfo { pid, session })
        })
        .collect()
}

/// The parent pid and session id in a /proc/<pid>/stat line: `pid (comm) state ppid pgrp
/// session ...`, where comm may itself hold spaces and parentheses.
fn parent_and_session(stat: &str) -> Option<(u32, u32)> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_comm.split_whitespace().skip(1);
    let ppid = fields.next()?.parse().ok()?;
    let session = fields.nth(1)?.parse().ok()?;
    Some((ppid, session))
}

/// Makes the runner a child subreaper, once: orphans of its runs become its children.
fn become_subreaper() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: prctl with integer arguments only.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) };
    });
}

/// The name of signal `signal`, as in "killed by SIGABRT".
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGABRT => "SIGABRT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGXCPU => "SIGXCPU",
        _ => return format!("signal {signal}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_command_names_parse() {
        let stat = "4242 (a (b) c) S 17 4242 4242 0 -1 4194560 0";
        assert_eq!(parent_and_session(stat), Some((17, 4242)));
        assert_eq!(parent_and_session("garbage"), None);
    }
}
