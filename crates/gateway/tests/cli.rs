//! The `trellis` binary as an operator uses it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

fn trellis() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trellis"));
    // Start from a clean slate: nothing from the developer's shell or .env.
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(std::env::temp_dir());
    cmd
}

#[test]
fn invalid_configuration_stops_startup_naming_each_key() {
    let out = trellis()
        .env("TRELLIS_HTTP_ADDR", "nowhere")
        .env("TRELLIS_LOG_FORMAT", "xml")
        .output()
        .expect("run trellis");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("TRELLIS_HTTP_ADDR"), "{stderr}");
    assert!(stderr.contains("TRELLIS_LOG_FORMAT"), "{stderr}");
}

#[test]
fn production_refuses_to_start_without_a_real_secret() {
    let out = trellis()
        .env("TRELLIS_ENV", "production")
        .output()
        .expect("run trellis");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("TRELLIS_JWT_SECRET"), "{stderr}");
}

#[test]
fn healthcheck_fails_when_nothing_listens() {
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let status = trellis()
        .env("TRELLIS_HTTP_ADDR", free.to_string())
        .arg("healthcheck")
        .status()
        .expect("run trellis healthcheck");
    assert!(!status.success());
}

#[test]
fn openapi_writes_both_documents_in_both_formats() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = trellis()
        .args(["openapi", "--out"])
        .arg(dir.path())
        .output()
        .expect("run trellis openapi");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "openapi.json",
        "openapi.yaml",
        "internal.json",
        "internal.yaml",
    ] {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap_or_default();
        assert!(text.contains("openapi"), "{name} written");
    }
}

#[test]
fn migrate_up_status_down_and_fresh() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/m.db?mode=rwc", dir.path().display());
    let run = |args: &[&str]| {
        let out = trellis()
            .env("DATABASE_URL", &url)
            .arg("migrate")
            .args(args)
            .output()
            .expect("run trellis migrate");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(run(&["status"]).contains("pending"));
    run(&["up"]);
    let status = run(&["status"]);
    assert!(
        status.contains("applied") && !status.contains("pending"),
        "{status}"
    );
    run(&["down", "--steps", "1"]);
    assert!(run(&["status"]).contains("pending"));
    run(&["fresh"]);
    assert!(!run(&["status"]).contains("pending"));
}

#[test]
fn serves_with_no_configuration_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = trellis()
        .current_dir(dir.path())
        .env("TRELLIS_HTTP_ADDR", "127.0.0.1:0")
        .env("TRELLIS_INTERNAL_ADDR", "127.0.0.1:0")
        .env("TRELLIS_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start trellis");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut saw_warning = false;
    let mut listening = false;
    let mut listening_line = String::new();
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        saw_warning |= line.contains("TRELLIS_JWT_SECRET is not set");
        if line.contains("trellis is listening") {
            listening = true;
            listening_line = line;
            break;
        }
    }
    assert!(listening, "the server started");
    let public = listening_line
        .split("\"public\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_string();
    let healthy = trellis()
        .env("TRELLIS_HTTP_ADDR", &public)
        .arg("healthcheck")
        .status()
        .expect("run trellis healthcheck");
    assert!(healthy.success(), "healthcheck against {public}");
    assert!(saw_warning, "a loud warning about the generated key");
    assert!(
        dir.path().join("data/trellis.db").exists(),
        "the default SQLite file was created"
    );

    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("send SIGTERM");
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "stopped within the shutdown timeout"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "clean exit: {status:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        rest.iter().any(|l| l.contains("trellis stopped")),
        "{rest:?}"
    );
}

#[test]
fn admin_create_staff_reads_the_password_from_stdin() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/staff.db?mode=rwc", dir.path().display());
    let run = |password: &str| {
        let mut child = trellis()
            .env("DATABASE_URL", &url)
            .env("TRELLIS_DATA_DIR", dir.path())
            .args([
                "admin",
                "create-staff",
                "--email",
                "Boss@Example.com",
                "--admin",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run trellis admin");
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "{password}").expect("write the password");
        drop(stdin);
        child.wait_with_output().expect("wait")
    };
    let weak = run("short");
    assert!(!weak.status.success());
    assert!(
        String::from_utf8_lossy(&weak.stderr).contains("password"),
        "names the field"
    );

    let ok = run("correct horse battery staple");
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        stdout.contains("boss@example.com") && stdout.contains("staff, admin"),
        "{stdout}"
    );
}
