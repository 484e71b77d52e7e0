//! Test support shared by the crates' tests: the one rule for optional tools, a lock that
//! keeps heavyweight tests one at a time under any test runner, a PostgreSQL schema per test
//! (`postgres`, feature `postgres`), and Kodi: a real headless one and a faithful stand-in
//! (`kodi`, feature `kodi`).
//!
//! **The rule.** A test that needs a tool which may be missing (PostgreSQL through
//! `TEST_DATABASE_URL`, `ffmpeg`/`ffprobe`, Kodi, Chromium, aiosmtpd) calls [`require`] or
//! [`database_url`]. Outside CI a missing tool skips the test with one line naming it and how
//! to install it; when `CI` is set to any non-empty value the test fails instead, because a
//! green run that skipped would prove nothing.
//!
//! This crate is a dev-dependency only; nothing in it ships. It depends on no crate of the
//! workspace, so that no crate's tests link a second copy of the crate under test.

#[cfg(feature = "kodi")]
pub mod kodi;
#[cfg(feature = "postgres")]
pub mod postgres;

use std::fs::File;
use std::path::PathBuf;

/// Whether the tests run in CI: `CI` is set to any non-empty value.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|value| !value.is_empty())
}

/// Applies the rule: `true` when `available`; otherwise fails under CI, or prints
/// `SKIPPED <test>: <tool> is not available (<how to get it>)` and returns `false`.
#[allow(clippy::print_stderr, reason = "the skip line is for whoever reads the test output")]
pub fn require(available: bool, tool: &str, install: &str) -> bool {
    if available {
        return true;
    }
    let test = std::thread::current().name().unwrap_or("this test").to_owned();
    assert!(!in_ci(), "{test} needs {tool}, which is not available, and CI is set so it may not skip ({install})");
    eprintln!("SKIPPED {test}: {tool} is not available ({install})");
    false
}

/// The PostgreSQL server the tests use, from `TEST_DATABASE_URL`; `None` (skip) when unset
/// outside CI, a failure when unset under CI.
pub fn database_url() -> Option<String> {
    let url = std::env::var("TEST_DATABASE_URL").ok().filter(|url| !url.is_empty());
    require(url.is_some(), "PostgreSQL", "set TEST_DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres")
        .then(|| url.expect("require returned true, so the URL is set"))
}

/// Whether `program` runs with `arg` (for example `ffmpeg -version`).
pub fn runs(program: &str, arg: &str) -> bool {
    std::process::Command::new(program)
        .arg(arg)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A loopback TCP port nobody listens on right now: bound, read and closed again. A
/// connection to it is refused (until something else happens to bind it), and a server
/// started by the test can take it.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("binding a free loopback port")
        .port()
}

/// Holds a machine-wide lock named `name` until dropped.
#[derive(Debug)]
pub struct Exclusive {
    _file: File,
}

/// Waits until no other test (in this process or another) holds the lock `name`, then holds
/// it. The real-Kodi tests use it so that `cargo test`, which runs tests as threads, keeps
/// them one at a time as nextest's test group does: two Kodi instances at once time out.
pub fn exclusive(name: &str) -> Exclusive {
    let path: PathBuf = std::env::temp_dir().join(format!("metarr-test-{name}.lock"));
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|err| panic!("cannot open the test lock {}: {err}", path.display()));
    file.lock().unwrap_or_else(|err| panic!("cannot take the test lock {}: {err}", path.display()));
    Exclusive { _file: file }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn an_available_tool_is_required_silently() {
        assert!(require(true, "nothing", "nothing to install"));
    }

    #[test]
    fn exclusive_keeps_holders_one_at_a_time() {
        static INSIDE: AtomicUsize = AtomicUsize::new(0);
        static MOST: AtomicUsize = AtomicUsize::new(0);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    let _guard = exclusive("testkit-self-test");
                    let now = INSIDE.fetch_add(1, Ordering::SeqCst) + 1;
                    MOST.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    INSIDE.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("thread");
        }
        assert_eq!(MOST.load(Ordering::SeqCst), 1);
    }
}
