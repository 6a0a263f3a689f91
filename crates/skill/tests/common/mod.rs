//! What the black-box tests of the `skill` binary share: a `skill` process with a clean
//! environment, a running `skill serve` and its address, waiting for an exit, and one raw
//! HTTP/1.1 exchange. Each test file uses its own part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStderr, Command, ExitStatus};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// `skill` with no `SUPPORT_*` variables inherited from whoever runs the tests.
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_skill"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("SUPPORT_") {
            c.env_remove(k);
        }
    }
    c
}

/// `skill ARGS` against a TestApp (its URL and token, a CLI config file of its own),
/// asynchronously, since the server runs on the test's runtime.
pub async fn against(app: &support_testkit::TestApp, args: &[&str]) -> std::process::Output {
    tokio::process::Command::from(command())
        .args(args)
        .env("SKILL_URL", &app.url)
        .env("SKILL_TOKEN", &app.token)
        .env("SKILL_CONFIG", app.dir().join("cli.toml"))
        .output()
        .await
        .expect("run skill")
}

pub fn db_url(dir: &Path) -> String {
    format!("sqlite://{}/support.db", dir.display())
}

/// Reads the stderr of `skill serve` on a thread: the address of its first `listening on`
/// line goes to the receiver, and every line is appended to `log`.
pub fn follow_stderr(
    pipe: ChildStderr,
    log: Arc<Mutex<String>>,
) -> (Receiver<String>, JoinHandle<()>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if !sent && let Some(rest) = line.strip_prefix("skill serve: listening on ") {
                let _ = tx.send(
                    rest.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
                sent = true;
            }
            let mut log = log.lock().expect("stderr lock");
            log.push_str(&line);
            log.push('\n');
        }
    });
    (rx, reader)
}

/// A running `skill serve`; killed on drop so a failing test leaves no process behind.
pub struct Served {
    pub child: Child,
    /// `http://HOST:PORT`, as the server printed it.
    pub url: String,
    stderr: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
}

impl Served {
    /// Spawns `c` (a `skill serve` with stderr piped) and waits up to `within` for the
    /// address it listens on.
    pub fn spawn(c: &mut Command, within: Duration) -> Self {
        let mut child = c.spawn().expect("spawn serve");
        let pipe = child.stderr.take().expect("stderr");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (rx, reader) = follow_stderr(pipe, stderr.clone());
        let Ok(url) = rx.recv_timeout(within) else {
            let _ = child.kill();
            let _ = child.wait();
            let _ = reader.join();
            panic!(
                "serve did not print its address: {}",
                stderr.lock().expect("stderr lock")
            );
        };
        Self {
            child,
            url,
            stderr,
            reader: Some(reader),
        }
    }

    /// `HOST:PORT`.
    pub fn addr(&self) -> &str {
        self.url.strip_prefix("http://").expect("http url")
    }

    /// Everything the process wrote to stderr, once it has exited.
    pub fn stderr_after_exit(&mut self) -> String {
        if let Some(r) = self.reader.take() {
            r.join().expect("stderr reader");
        }
        self.stderr.lock().expect("stderr lock").clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Sends `sig` (`-TERM`, `-KILL`…) to the process with `kill`.
pub fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
}

/// The exit status, or `None` if the process is still running after `within`.
pub fn exit_within(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return Some(s);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The exit status; kills the process and panics if it is still running after `within`.
pub fn wait_exit(child: &mut Child, within: Duration) -> ExitStatus {
    exit_within(child, within).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("process did not exit within {within:?}");
    })
}

/// One blocking HTTP/1.1 exchange (`Connection: close`); `Err` when the connection fails or
/// is closed before a status line arrives.
pub fn exchange(addr: &str, head: &str, body: &[u8]) -> std::io::Result<(u16, String)> {
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    s.set_write_timeout(Some(Duration::from_secs(20)))?;
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let code = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("no status line: {text:?}"),
            )
        })?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((code, body))
}
