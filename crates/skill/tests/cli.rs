//! The `skill` binary, black-box: help output (snapshotted), exit codes, `serve` start and
//! graceful stop, the CLI working with no flags after a first start, and a database that
//! survives SIGKILL during writes.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{Served, command, signal, wait_exit};

fn skill(args: &[&str], cli_config: &Path) -> Output {
    command()
        .args(args)
        .env("SKILL_CONFIG", cli_config)
        .env_remove("SKILL_URL")
        .env_remove("SKILL_TOKEN")
        .output()
        .expect("run skill")
}

/// The command succeeded and printed one JSON document (`what` names it if not).
fn success_json(out: &Output, what: &str) -> serde_json::Value {
    assert!(out.status.success(), "{}", stderr(out));
    serde_json::from_slice(&out.stdout).expect(what)
}

/// The API token the first start wrote to the CLI config.
fn cli_token(cfg: &Path) -> String {
    std::fs::read_to_string(cfg)
        .expect("cli config")
        .lines()
        .find_map(|l| {
            l.strip_prefix("token = ")
                .map(|t| t.trim_matches('"').to_owned())
        })
        .expect("token")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every command path of the CLI (`[]`, `["serve"]`, `["bench", "start"]`…), from clap's
/// own definition, so a new command cannot ship without a reviewed help snapshot.
fn command_paths(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
    out.push(prefix.to_vec());
    for sub in cmd.get_subcommands() {
        let mut path = prefix.to_vec();
        path.push(sub.get_name().to_owned());
        command_paths(sub, &path, out);
    }
}

#[test]
fn help_describes_every_command_and_flag() {
    use clap::CommandFactory;
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path().join("cli.toml");
    let mut paths = Vec::new();
    command_paths(&skill::Cli::command(), &[], &mut paths);
    assert!(paths.len() > 40, "{paths:?}");
    for path in paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = skill(&args, &cfg);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).is_empty(), "{args:?}: {}", stderr(&out));
        let name = if path.is_empty() {
            "help".to_owned()
        } else {
            format!("help_{}", path.join("_"))
        };
        insta::assert_snapshot!(name, stdout(&out));
    }
}

#[test]
fn unknown_flags_and_bad_config_exit_non_zero_naming_the_problem() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path().join("cli.toml");

    let out = skill(&["serve", "--bnid", "x"], &cfg);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--bnid"), "{}", stderr(&out));

    let missing = dir.path().join("missing.toml");
    let out = skill(
        &["serve", "--config", missing.to_str().expect("utf8")],
        &cfg,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("missing.toml"), "{}", stderr(&out));

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "bind = \"127.0.0.1:0\"\ndatabse_url = \"sqlite://x\"\n",
    )
    .expect("write");
    let out = skill(&["serve", "--config", bad.to_str().expect("utf8")], &cfg);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("databse_url"), "{}", stderr(&out));

    std::fs::write(&bad, "bind = \n").expect("write");
    let out = skill(&["serve", "--config", bad.to_str().expect("utf8")], &cfg);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("bad.toml"), "{}", stderr(&out));

    // A database that cannot be opened: exit 12, naming it.
    let out = skill(
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            "postgres://postgres@127.0.0.1:1/nope",
        ],
        &cfg,
    );
    assert_eq!(out.status.code(), Some(12), "{}", stderr(&out));
    assert!(stderr(&out).contains("database"), "{}", stderr(&out));

    // No server configured for an API command.
    let out = skill(&["status"], &cfg);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("no server configured"),
        "{}",
        stderr(&out)
    );
}

/// Starts `skill serve` on a free port with its data in `dir`, waiting for it to listen.
fn serve(dir: &Path, cli_config: &Path) -> Served {
    serve_with(dir, cli_config, &[])
}

/// [`serve`] with extra environment (e.g. where Stripe is).
fn serve_with(dir: &Path, cli_config: &Path, env: &[(&str, &str)]) -> Served {
    let mut c = command();
    c.args(["serve", "--bind", "127.0.0.1:0"])
        .envs(env.iter().copied())
        .env(
            "SUPPORT_DATABASE_URL",
            format!("sqlite://{}/support.db", dir.display()),
        )
        .env("SUPPORT_DATA_DIR", dir)
        .env("SKILL_CONFIG", cli_config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    Served::spawn(&mut c, Duration::from_secs(60))
}

/// One blocking HTTP/1.1 request to `host`; returns (status, the whole response), status 0
/// when there is no status line.
fn send(host: &str, request: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(request.as_bytes()).expect("write");
    let mut buf = String::new();
    s.read_to_string(&mut buf).expect("read");
    let code = buf
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, buf)
}

/// What follows the head of a response.
fn body_of(response: &str) -> String {
    response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

/// SIGTERM, and the server must exit 0 within 20 s.
fn stop_cleanly(s: &mut Served) {
    signal(&s.child, "-TERM");
    assert_eq!(
        wait_exit(&mut s.child, Duration::from_secs(20)).code(),
        Some(0)
    );
}

fn get(url: &str) -> (u16, String) {
    // A tiny blocking HTTP/1.1 GET, enough for health checks without an async runtime.
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let (code, buf) = send(
        host,
        &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    );
    (code, body_of(&buf))
}

/// POSTs `body` to `/webhooks/app/{slug}` signed with `secret` now; returns (status, body).
fn post_signed(base: &str, slug: &str, secret: &str, body: &str) -> (u16, String) {
    let host = base.strip_prefix("http://").expect("http url");
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let sig = support_signing::support::header(secret.as_bytes(), t, body.as_bytes());
    send(
        host,
        &format!(
            "POST /webhooks/app/{slug} HTTP/1.1\r\nHost: {host}\r\nx-support-signature: {sig}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

#[test]
fn serve_starts_answers_configures_the_cli_and_stops_cleanly() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path().join("cli.toml");
    let mut s = serve(dir.path(), &cfg);
    assert_eq!(get(&format!("{}/healthz", s.url)).0, 200);
    let (code, body) = get(&format!("{}/readyz", s.url));
    assert_eq!(code, 200, "{body}");

    // The first start wrote the CLI config and the credentials file.
    let written = std::fs::read_to_string(&cfg).expect("cli config written");
    assert!(written.contains(&s.url), "{written}");
    let creds = std::fs::read_to_string(dir.path().join("admin-credentials.txt")).expect("creds");
    assert!(creds.contains("api_token"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("admin-credentials.txt"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "credentials are private");
    }

    // `skill …` works with no flags.
    let out = skill(&["status", "--json"], &cfg);
    assert!(out.status.success(), "{}", stderr(&out));
    let status: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("exactly one JSON document");
    assert_eq!(status["user"], "admin@localhost");
    assert_eq!(status["backend"], "sqlite");

    // One JSON document on stdout; hints only for a terminal, so nothing on stderr here.
    let out = skill(&["conversations", "--json"], &cfg);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "[]");
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    let out = skill(&["conversations"], &cfg);
    assert!(out.status.success());
    assert!(
        stdout(&out).is_empty() && stderr(&out).is_empty(),
        "the 'no conversations yet' hint is for terminals only: {}",
        stderr(&out)
    );
    // Non-interactive `skill init` without a name: a usage error.
    let out = skill(&["init"], &cfg);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = skill(&["init", "named-only"], &cfg);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // `skill init` registers an app and prints its secret once.
    let out = skill(
        &[
            "init",
            "course-shop",
            "--name",
            "Course Shop",
            "--front-inbox",
            "inb_shop",
            "--json",
        ],
        &cfg,
    );
    let init = success_json(&out, "one JSON document");
    assert_eq!(init["success"], true);
    assert_eq!(init["app"]["slug"], "course-shop");
    let secret = init["webhookSecret"]
        .as_str()
        .expect("webhookSecret")
        .to_owned();
    assert_eq!(secret.len(), 64);

    // The running server accepts the new app's signed events at once: no restart.
    let event = |id: &str| {
        format!(
            r#"{{"id":"{id}","type":"user.updated","occurredAt":"2026-11-27T08:00:00Z","data":{{}}}}"#
        )
    };
    assert_eq!(
        post_signed(&s.url, "course-shop", &secret, &event("e1")).0,
        200
    );
    assert_eq!(
        post_signed(&s.url, "course-shop", "wrong-secret", &event("e2")).0,
        401
    );

    // Rotation: the new secret works, and the old one still does during the grace period.
    let out = skill(&["apps", "rotate-secret", "course-shop", "--json"], &cfg);
    let rotated = success_json(&out, "json");
    let new_secret = rotated["webhookSecret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert_ne!(new_secret, secret);
    assert_eq!(
        post_signed(&s.url, "course-shop", &new_secret, &event("e3")).0,
        200
    );
    assert_eq!(
        post_signed(&s.url, "course-shop", &secret, &event("e4")).0,
        200
    );

    // The policy in force: the defaults, printable as TOML, with the fingerprint decisions record.
    let out = skill(&["apps", "policy", "course-shop", "--json"], &cfg);
    let policy = success_json(&out, "json");
    assert_eq!(policy["source"], "defaults");
    assert_eq!(policy["fingerprint"].as_str().map(str::len), Some(64));
    assert!(
        policy["toml"]
            .as_str()
            .is_some_and(|t| t.contains("auto_approve_refund_days = 30")),
        "{policy}"
    );

    // `skill doctor --json`: per-check status and an overall one; any fail exits non-zero,
    // still with exactly one JSON document (here: no integration URL registered).
    let out = skill(&["doctor", "--app", "course-shop", "--json"], &cfg);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["overall"], "fail", "{doc}");
    let checks = doc["checks"].as_array().expect("checks");
    assert!(
        checks
            .iter()
            .all(|c| ["ok", "warn", "fail"].contains(&c["status"].as_str().unwrap_or(""))),
        "{doc}"
    );
    assert!(
        checks
            .iter()
            .any(|c| c["name"] == "integration" && c["status"] == "fail")
    );

    let out = skill(&["init", "course-shop", "--name", "Again"], &cfg);
    assert_eq!(out.status.code(), Some(8), "conflict: {}", stderr(&out));
    let out = skill(&["init", "Bad Slug", "--name", "x"], &cfg);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let out = skill(&["apps", "rotate-secret", "nope"], &cfg);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let out = skill(&["conversation", "cnv_missing"], &cfg);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let out = skill(&["apps", "list", "--json"], &cfg);
    let apps: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(apps.as_array().map(Vec::len), Some(1));
    let out = skill(&["audit", "verify"], &cfg);
    assert!(out.status.success(), "{}", stderr(&out));

    let out = command()
        .args(["status"])
        .env("SKILL_CONFIG", &cfg)
        .env("SKILL_TOKEN", "skill_wrong")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));

    signal(&s.child, "-INT");
    let status = wait_exit(&mut s.child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "Ctrl-C stops cleanly with exit 0");

    // Unreachable server.
    let out = skill(&["status"], &cfg);
    assert_eq!(out.status.code(), Some(11), "{}", stderr(&out));
    // With --json, the failure is one JSON document on stdout too.
    let out = skill(&["status", "--json"], &cfg);
    assert_eq!(out.status.code(), Some(11));
    let err: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(err["success"], false);
    assert_eq!(err["code"], 11);
}

#[test]
fn sigkill_during_writes_leaves_a_database_that_opens_and_is_ready() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path().join("cli.toml");
    let mut s = serve(dir.path(), &cfg);
    let token = cli_token(&cfg);

    // Several writers hammer the API (each app creation is a transaction plus an audit append).
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let url = s.url.clone();
        let token = token.clone();
        let stop = stop.clone();
        writers.push(std::thread::spawn(move || {
            use std::io::{Read, Write};
            let host = url.strip_prefix("http://").expect("url").to_owned();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let body = format!(r#"{{"slug":"app-{w}-{n}","name":"App {w} {n}","front_inbox_ids":["inb_{w}_{n}"]}}"#);
                let Ok(mut c) = std::net::TcpStream::connect(&host) else { break };
                let _ = write!(
                    c,
                    "POST /api/v1/apps HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let mut sink = Vec::new();
                let _ = c.read_to_end(&mut sink);
                n += 1;
            }
            n
        }));
    }
    std::thread::sleep(Duration::from_millis(1500));
    signal(&s.child, "-KILL");
    let _ = wait_exit(&mut s.child, Duration::from_secs(10));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written: usize = writers.into_iter().map(|w| w.join().expect("writer")).sum();
    assert!(
        written > 10,
        "the writers were actually writing ({written})"
    );

    // Restart on the same database.
    let mut again = serve(dir.path(), &cfg);
    let (code, body) = get(&format!("{}/readyz", again.url));
    assert_eq!(code, 200, "{body}");
    let out = command()
        .args(["audit", "verify", "--json"])
        .env("SKILL_URL", &again.url)
        .env("SKILL_TOKEN", &token)
        .env("SKILL_CONFIG", &cfg)
        .output()
        .expect("verify");
    let v = success_json(&out, "json");
    assert_eq!(v["ok"], true, "{v}");
    stop_cleanly(&mut again);
}

#[test]
fn sandbox_runs_the_loop_and_stops_cleanly_on_ctrl_c() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path().join("cli.toml");
    let data = dir.path().join("sandbox");
    let mut child = command()
        .args([
            "sandbox",
            "--bind",
            "127.0.0.1:0",
            "--interval",
            "1",
            "--data-dir",
        ])
        .arg(&data)
        .env("SKILL_CONFIG", &cfg)
        .env("RUST_LOG", "warn")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sandbox");
    let child_err = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(child_err).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    // Read the banner: the dashboard URL with the login, and every fake's URL.
    let mut urls = std::collections::BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while urls.len() < 5 && Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) else {
            break;
        };
        for key in [
            "dashboard",
            "fake Front",
            "fake Slack",
            "fake Stripe",
            "first-app",
        ] {
            if let Some(rest) = line.trim_start().strip_prefix(key) {
                let url = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if key == "dashboard" {
                    assert!(line.contains("login: admin@localhost / "), "{line}");
                }
                urls.insert(key, url);
            }
        }
    }
    assert_eq!(
        urls.len(),
        5,
        "banner lists the dashboard and every fake: {urls:?}"
    );
    let base = urls["dashboard"].trim_end_matches("/login").to_owned();
    assert_eq!(get(&format!("{base}/healthz")).0, 200);
    assert_eq!(get(&format!("{base}/readyz")).0, 200);
    assert_eq!(get(&format!("{base}/login")).0, 200);
    // The fakes answer, each in its own wire format (here: its auth error).
    let (code, body) = get(&format!("{}/inboxes", urls["fake Front"]));
    assert_eq!(code, 401, "{body}");
    assert!(body.contains("_error"), "{body}");
    let (code, body) = get(&format!("{}/api/auth.test", urls["fake Slack"]));
    assert_eq!(code, 200);
    assert!(body.contains("\"ok\":false"), "{body}");
    let (code, body) = get(&format!("{}/v1/charges/ch_x", urls["fake Stripe"]));
    assert_eq!(code, 401, "{body}");
    assert_eq!(get(&format!("{}/healthz", urls["first-app"])).0, 200);

    // Customer messages flow through Front's webhook into conversations.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut conversations = 0;
    while Instant::now() < deadline {
        let out = skill(&["conversations", "--json"], &cfg);
        if out.status.success() {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            conversations = v.as_array().map(Vec::len).unwrap_or(0);
            if conversations >= 3 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(
        conversations >= 3,
        "sandbox messages became conversations ({conversations})"
    );
    // The fourth message's webhook is lost; an operator's reconciliation brings it in.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut recovered = 0;
    while Instant::now() < deadline && recovered == 0 {
        let out = skill(&["front", "reconcile", "--since", "1h", "--json"], &cfg);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        recovered = v["recovered"].as_u64().unwrap_or(0);
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(recovered >= 1, "the lost webhook's message was recovered");
    // The example app's own signed events arrive too (every third tick).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = skill(&["status", "--json"], &cfg);
        let s: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let (events, convs) = (s["inbound_events"].as_i64(), s["conversations"].as_i64());
        if events.zip(convs).is_some_and(|(e, c)| e > c) {
            break;
        }
        assert!(Instant::now() < deadline, "no app event arrived: {s}");
        std::thread::sleep(Duration::from_millis(250));
    }
    let out = skill(&["apps", "list", "--json"], &cfg);
    let apps: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(apps[0]["slug"], "first-app");

    // The first refund request (a purchase one hour past 30 days) waits for the admin;
    // approving it refunds once. The decision runs a few seconds after the message (debounce).
    let deadline = Instant::now() + Duration::from_secs(30);
    let pending = loop {
        let out = skill(&["actions", "--json"], &cfg);
        let actions = success_json(&out, "json");
        if let Some(p) = actions.as_array().and_then(|a| {
            a.iter()
                .find(|x| x["state"] == "proposed" && x["kind"] == "refund")
        }) {
            break p.clone();
        }
        assert!(Instant::now() < deadline, "no proposed refund: {actions}");
        std::thread::sleep(Duration::from_millis(250));
    };
    let id = pending["id"].as_str().expect("id").to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // The approval request is opened by the action's workflow a moment after proposal.
        let out = skill(&["approve", &id], &cfg);
        if out.status.success() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "approve failed: {}",
            stderr(&out)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = skill(&["action", &id, "--json"], &cfg);
        let a: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        if a["action"]["state"] == "succeeded" {
            assert_eq!(a["approval"]["status"], "approved");
            break;
        }
        assert!(Instant::now() < deadline, "refund did not complete: {a}");
        std::thread::sleep(Duration::from_millis(250));
    }

    // The operator's view of the example app: its wiring, and a customer with purchases.
    let out = skill(&["doctor", "--app", "first-app", "--json"], &cfg);
    let doc = success_json(&out, "one JSON document");
    assert_ne!(doc["overall"], "fail", "{doc}");
    let signature = doc["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "signature"))
        .expect("a signature check");
    assert_eq!(signature["status"], "ok", "{doc}");
    let out = skill(
        &[
            "lookup",
            "jonas.becker@example.org",
            "--app",
            "first-app",
            "--json",
        ],
        &cfg,
    );
    let found = success_json(&out, "json");
    assert_eq!(found["user"]["id"], "usr_jonas", "{found}");
    let out = skill(
        &[
            "purchases",
            "jonas.becker@example.org",
            "--app",
            "first-app",
            "--json",
        ],
        &cfg,
    );
    let purchases: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        purchases.as_array().is_some_and(|p| !p.is_empty()),
        "{purchases}"
    );
    let out = skill(&["doctor", "--app", "nope"], &cfg);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));

    // The shop's help articles are indexed: the question before buying gets a draft that
    // quotes and cites one. With no embedding model installed, search says keyword-only.
    let out = skill(&["status", "--json"], &cfg);
    let s = success_json(&out, "json");
    assert!(
        s["search"]
            .as_str()
            .is_some_and(|m| m.starts_with("keyword-only")),
        "{s}"
    );
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let out = skill(&["actions", "--limit", "200", "--json"], &cfg);
        let actions = success_json(&out, "json");
        let cited = actions.as_array().is_some_and(|a| {
            a.iter().any(|x| {
                x["kind"] == "draft_response"
                    && x.to_string()
                        .contains("first-app.example/help/pricing#updates-and-student-discounts")
            })
        });
        if cited {
            break;
        }
        assert!(Instant::now() < deadline, "no cited answer: {actions}");
        std::thread::sleep(Duration::from_millis(500));
    }

    signal(&child, "-INT");
    let status = wait_exit(&mut child, Duration::from_secs(20));
    assert_eq!(
        status.code(),
        Some(0),
        "Ctrl-C stops everything with exit 0"
    );
    assert!(
        std::net::TcpStream::connect(base.trim_start_matches("http://")).is_err(),
        "the platform stopped listening"
    );
    assert!(
        std::net::TcpStream::connect(urls["fake Front"].trim_start_matches("http://")).is_err(),
        "the fakes stopped too"
    );
}

#[test]
fn keys_rotate_rewraps_secrets_and_the_app_keeps_verifying() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path().join("cli.toml");
    let mut s = serve(dir.path(), &cfg);
    let out = skill(&["init", "shop", "--name", "Shop", "--json"], &cfg);
    let init = success_json(&out, "json");
    let secret = init["webhookSecret"].as_str().expect("secret").to_owned();
    stop_cleanly(&mut s);

    let keys = |args: &[&str]| {
        command()
            .args(args)
            .env(
                "SUPPORT_DATABASE_URL",
                format!("sqlite://{}/support.db", dir.path().display()),
            )
            .env("SUPPORT_DATA_DIR", dir.path())
            .output()
            .expect("run")
    };
    let out = keys(&["keys", "rotate", "--retire", "--json"]);
    let report = success_json(&out, "json");
    assert_eq!(report["current"], "mk-2");
    assert_eq!(report["rewrapped"], 1);
    assert_eq!(report["retired"], serde_json::json!(["mk-1"]));
    let key_file = std::fs::read_to_string(dir.path().join("master.key")).expect("key file");
    assert!(
        !key_file.contains("mk-1 "),
        "the old key is gone from the file"
    );

    // Restarted on the rotated key, the app's secret still opens and verifies.
    let mut again = serve(dir.path(), &cfg);
    let body = r#"{"id":"k1","type":"user.updated","data":{}}"#;
    assert_eq!(post_signed(&again.url, "shop", &secret, body).0, 200);
    stop_cleanly(&mut again);

    // No key file: a clear configuration error.
    let empty = tempfile::tempdir().expect("tmp");
    let out = command()
        .args(["keys", "rotate"])
        .env("SUPPORT_DATA_DIR", empty.path())
        .env(
            "SUPPORT_DATABASE_URL",
            format!("sqlite://{}/x.db", empty.path().display()),
        )
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("master.key"), "{}", stderr(&out));
}

/// POSTs JSON with the CLI's bearer token; returns (status, body).
fn post_api(base: &str, token: &str, path: &str, body: &str) -> (u16, String) {
    let host = base.strip_prefix("http://").expect("http url");
    let (code, buf) = send(
        host,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    (code, body_of(&buf))
}

#[test]
fn a_step_out_of_attempts_is_dead_lettered_and_retried_from_the_cli() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path().join("cli.toml");
    // Stripe is unreachable: every attempt fails before it reaches anyone.
    let mut s = serve_with(
        dir.path(),
        &cfg,
        &[
            ("SUPPORT_STRIPE__API_URL", "http://127.0.0.1:1"),
            ("SUPPORT_STRIPE__SECRET_KEY", "sk_test_unreachable"),
        ],
    );
    let token = cli_token(&cfg);
    let (code, body) = post_api(
        &s.url,
        &token,
        "/api/v1/actions",
        r#"{"kind":"refund","params":{"account":"acct_1","charge":"ch_1","amount":500}}"#,
    );
    assert_eq!(code, 201, "{body}");
    // Three attempts with backoff (0.5 s, then ~1 s), then dead.
    let deadline = Instant::now() + Duration::from_secs(30);
    let run_id = loop {
        let out = skill(&["dead-letter", "list", "--json"], &cfg);
        let dl = success_json(&out, "json");
        if let Some(run) = dl["runs"].as_array().and_then(|r| r.first()) {
            assert!(
                dl["alerts"].as_array().is_some_and(|a| !a.is_empty()),
                "a dead run raises an alert: {dl}"
            );
            break run["id"].as_str().expect("id").to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "the run never reached the dead letter: {dl}"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    let out = skill(&["run", &run_id, "--json"], &cfg);
    let detail: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        detail["attempts"][0]["attempts"], 3,
        "the Stripe budget: {detail}"
    );

    let out = skill(&["dead-letter", "retry", &run_id], &cfg);
    assert!(out.status.success(), "{}", stderr(&out));
    // It runs again (and, Stripe still being unreachable, dies again after 3 more attempts).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = skill(&["run", &run_id, "--json"], &cfg);
        let d: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        if d["run"]["status"] == "dead"
            && d["attempts"][0]["attempts"] == 3
            && d["run"]["attempts"].as_i64() > detail["run"]["attempts"].as_i64()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the retried run did not run again: {d}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let out = skill(&["dead-letter", "retry", "nope"], &cfg);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    stop_cleanly(&mut s);
}

#[test]
fn ctrl_c_interrupts_a_command_with_exit_130() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path().join("cli.toml");
    // A server that accepts the connection and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    for json in [false, true] {
        let mut args = vec!["status"];
        if json {
            args.push("--json");
        }
        let child = command()
            .args(&args)
            .env("SKILL_URL", format!("http://{addr}"))
            .env("SKILL_TOKEN", "skill_x")
            .env("SKILL_CONFIG", &cfg)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let (_conn, _) = listener.accept().expect("the request is in flight");
        signal(&child, "-INT");
        let out = child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
        if json {
            let err: serde_json::Value =
                serde_json::from_slice(&out.stdout).expect("one JSON document");
            assert_eq!(err["code"], 130);
            assert_eq!(err["success"], false);
        }
    }
}
