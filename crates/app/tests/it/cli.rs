//! The `metarr` executable: configuration errors name the key, `api-key`, `migrate`, `--help`.

use crate::helpers::{Backend, TestDatabase};
use metarr_queue::{JobState, NewJob, Queue};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};
use std::time::Duration;

fn metarr(data_dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_metarr"));
    command.args(args).current_dir(data_dir).env("METARR_DATA_DIR", data_dir).env_remove("METARR_CONFIG");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("metarr runs")
}

#[test]
fn bad_configuration_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = metarr(dir.path(), &["serve"], &[("METARR_BIND", "abc")]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("METARR_BIND: invalid socket address \"abc\""), "{stderr}");

    let output = metarr(dir.path(), &["worker"], &[("METARR_WORKER__CONCURRENCY", "zero")]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("METARR_WORKER__CONCURRENCY"), "{stderr}");

    let config = dir.path().join("custom.toml");
    std::fs::write(&config, "job_retention_days = \"forever\"\n").expect("write config");
    let output = metarr(dir.path(), &["--config", config.to_str().expect("utf-8 path"), "migrate"], &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("job_retention_days"), "{stderr}");
    assert!(stderr.contains("custom.toml"), "{stderr}");
}

#[test]
fn api_key_command_creates_a_private_key_reuses_and_regenerates_it() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let first = metarr(dir.path(), &["api-key"], &[]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let first_key = String::from_utf8(first.stdout).expect("utf-8").trim().to_owned();
    assert_eq!(first_key.len(), 32);
    let path = dir.path().join("api_key");
    let mode = std::fs::metadata(&path).expect("key file").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // The log names the file, never the key.
    assert!(!String::from_utf8_lossy(&first.stderr).contains(&first_key));

    let again = metarr(dir.path(), &["api-key"], &[]);
    assert_eq!(String::from_utf8(again.stdout).expect("utf-8").trim(), first_key);

    let regenerated = metarr(dir.path(), &["api-key", "--regenerate"], &[]);
    assert!(regenerated.status.success());
    let new_key = String::from_utf8(regenerated.stdout).expect("utf-8").trim().to_owned();
    assert_ne!(new_key, first_key);
    assert_eq!(std::fs::read_to_string(&path).expect("key file").trim(), new_key);
    let mode = std::fs::metadata(&path).expect("key file").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let configured = metarr(dir.path(), &["api-key", "--regenerate"], &[("METARR_API_KEY", "0123456789abcdef0123")]);
    assert!(!configured.status.success(), "a configured key is not regenerated");
}

#[test]
fn migrate_creates_the_sqlite_database_and_exits() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = metarr(dir.path(), &["migrate"], &[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(dir.path().join("metarr.db").exists());
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().expect("temporary directory");
    for command in ["serve", "worker", "migrate", "api-key"] {
        let output = metarr(dir.path(), &[command, "--help"], &[]);
        assert!(output.status.success());
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("Usage: metarr"), "{command}: {help}");
    }
}

#[test]
fn serve_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut child = Command::new(env!("CARGO_BIN_EXE_metarr"))
        .arg("serve")
        .current_dir(dir.path())
        .env("METARR_DATA_DIR", dir.path())
        .env("METARR_BIND", "127.0.0.1:0")
        .env_remove("METARR_CONFIG")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("metarr starts");
    // Wait until it serves (the log line), then ask it to stop.
    let stderr = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        use std::io::{BufRead, BufReader};
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            lines.push(line);
        }
        lines
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !dir.path().join("metarr.db").exists() {
        assert!(std::time::Instant::now() < deadline, "metarr created its database");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs");
    assert!(status.success());
    let exit = child.wait().expect("metarr exits");
    let lines = reader.join().expect("reader thread");
    assert!(exit.success(), "clean exit after SIGTERM: {exit:?}\n{}", lines.join("\n"));
    assert!(lines.iter().any(|line| line.contains("shutdown requested")), "{}", lines.join("\n"));
    // The log says where the key is, never the key.
    let key = std::fs::read_to_string(dir.path().join("api_key")).expect("key file");
    assert!(lines.iter().any(|line| line.contains("api_key")), "{}", lines.join("\n"));
    assert!(!lines.iter().any(|line| line.contains(key.trim())), "the key leaked into the log");
}

/// Sends SIGTERM and waits for the process, failing the test if it does not exit in time.
fn terminate(child: &mut std::process::Child) -> std::process::ExitStatus {
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs");
    assert!(status.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Some(exit) = child.try_wait().expect("wait on metarr") {
            return exit;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("metarr did not stop within 30 s of SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

async fn migrate_then_worker_process_runs_jobs_and_stops_on_sigterm(backend: Backend) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = TestDatabase::create(&backend, dir.path()).await;
    let output = metarr(dir.path(), &["migrate"], &[("METARR_DATABASE_URL", &database.url)]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let mut worker = Command::new(env!("CARGO_BIN_EXE_metarr"))
        .arg("worker")
        .current_dir(dir.path())
        .env("METARR_DATA_DIR", dir.path())
        .env("METARR_DATABASE_URL", &database.url)
        .env("METARR_WORKER__SHUTDOWN_GRACE_SECS", "5")
        .env_remove("METARR_CONFIG")
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("metarr worker starts");

    // This test process plays the role of `metarr serve` on another machine.
    let queue = Queue::connect(&database.url).await.expect("connect to the shared database");
    let job = queue.enqueue(NewJob::raw("debug-sleep", json!({ "ms": 10 }))).await.expect("enqueue").job;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let state = queue.get(job.id).await.expect("job exists").state;
        if state == JobState::Completed {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            let _ = worker.kill();
            panic!("the worker process did not complete the job (state {state})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let exit = tokio::task::spawn_blocking(move || terminate(&mut worker)).await.expect("waiter thread");
    assert!(exit.success(), "clean exit after SIGTERM: {exit:?}");
}
app_test!(migrate_then_worker_process_runs_jobs_and_stops_on_sigterm);
