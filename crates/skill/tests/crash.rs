//! Crash recovery of the real `skill serve`, black-box: SIGKILL in the middle of a burst of
//! signed Front webhooks, and the two ingest fault points (the process aborts just before,
//! or just after, the group commit). Every acknowledged delivery must survive exactly once,
//! and the provider's retries must converge on exactly one stored, queued event each.

use std::collections::HashSet;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support_store::Store;

mod common;
use common::{Served, command, db_url, exchange, signal, wait_exit};

const SECRET: &str = "front_crash_test_app_secret";
const SIGABRT: i32 = 6;
const SIGKILL: i32 = 9;

/// Starts `skill serve` on a free port with its SQLite database in `dir`, the Front app
/// secret set, optionally a fault point and the worker on or off; waits for it to listen.
fn serve(dir: &Path, fault: Option<&str>, worker: bool) -> Served {
    let mut c = command();
    c.args(["serve", "--bind", "127.0.0.1:0"])
        .env("SUPPORT_DATABASE_URL", db_url(dir))
        .env("SUPPORT_DATA_DIR", dir)
        .env("SUPPORT_FRONT__APP_SECRET", SECRET)
        .env("SUPPORT_WORKER__ENABLED", worker.to_string())
        .env("SKILL_CONFIG", dir.join("cli.toml"))
        .env("RUST_LOG", "warn")
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(f) = fault {
        c.env("SUPPORT_FAULT_POINT", f);
    }
    Served::spawn(&mut c, Duration::from_secs(60))
}

fn get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_once('/').expect("path");
    exchange(
        host,
        &format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        b"",
    )
    .expect("GET")
}

fn event(i: usize) -> String {
    format!(
        r#"{{"id":"evt_burst_{i}","type":"inbound","emitted_at":1767225600.0,"conversation":{{"id":"cnv_{i}"}},"source":{{"_meta":{{"type":"inboxes"}},"data":[{{"id":"inb_x"}}]}},"target":{{"_meta":{{"type":"message"}},"data":{{"id":"msg_{i}"}}}}}}"#
    )
}

/// POSTs `body` to `/webhooks/front`, signed now with the Front app secret.
fn post_front(addr: &str, body: &str) -> std::io::Result<(u16, String)> {
    let ts = support_store::now_ms();
    let sig = support_signing::front::sign(SECRET.as_bytes(), ts, body.as_bytes());
    let head = format!(
        "POST /webhooks/front HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nx-front-signature: {sig}\r\nx-front-request-timestamp: {ts}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    exchange(addr, &head, body.as_bytes())
}

fn status_of(body: &str) -> String {
    let v: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("json body ({e}): {body}"));
    v["status"].as_str().unwrap_or_default().to_owned()
}

/// SIGTERM, and the process must stop cleanly.
fn stop(mut s: Served) {
    signal(&s.child, "-TERM");
    let status = wait_exit(&mut s.child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "{}", s.stderr_after_exit());
}

/// The stored state of the `front` source: (events, outbox rows, dedupe keys, outbox pending).
fn inspect(dir: &Path) -> (i64, i64, Vec<String>, i64) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = Store::connect(&db_url(dir)).await.expect("open database");
        let (events, outbox) = store.inbound_counts("front").await.expect("counts");
        let keys = store.inbound_dedupe_keys("front").await.expect("keys");
        let pending = store.outbox_pending().await.expect("pending");
        store.close().await;
        (events, outbox, keys, pending)
    })
}

/// Sends every event in `ids` from `threads` client threads; returns (id, result) for each.
/// `on_ack` runs after each 200.
fn burst(
    addr: &str,
    ids: &[usize],
    threads: usize,
    on_ack: Arc<dyn Fn() + Send + Sync>,
) -> Vec<(usize, std::io::Result<(u16, String)>)> {
    let ids: Arc<Vec<usize>> = Arc::new(ids.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (ids, next, on_ack, addr) =
                (ids.clone(), next.clone(), on_ack.clone(), addr.to_owned());
            std::thread::spawn(move || {
                let mut out = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = ids.get(n) else { break };
                    let r = post_front(&addr, &event(i));
                    if matches!(r, Ok((200, _))) {
                        on_ack();
                    }
                    out.push((i, r));
                }
                out
            })
        })
        .collect();
    workers
        .into_iter()
        .flat_map(|w| w.join().expect("client thread"))
        .collect()
}

/// The issue's acceptance test: SIGKILL part-way through 1,000 concurrent deliveries loses no
/// acknowledged event and queues none twice; resending everything converges on exactly 1,000.
#[test]
fn sigkill_during_a_webhook_burst_loses_no_acknowledged_event() {
    const TOTAL: usize = 1000;
    const KILL_AFTER: usize = 300;
    let dir = tempfile::tempdir().expect("tmp");
    let mut s = serve(dir.path(), None, false);

    let acks = Arc::new(AtomicUsize::new(0));
    let (killed_tx, kill_rx) = std::sync::mpsc::channel::<()>();
    let on_ack = {
        let acks = acks.clone();
        Arc::new(move || {
            if acks.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER {
                let _ = killed_tx.send(());
            }
        })
    };
    let addr = s.addr().to_owned();
    let ids: Vec<usize> = (0..TOTAL).collect();
    let sender = std::thread::spawn(move || burst(&addr, &ids, 16, on_ack));
    kill_rx
        .recv_timeout(Duration::from_secs(120))
        .expect("300 deliveries were acknowledged");
    s.child.kill().expect("SIGKILL");
    let status = wait_exit(&mut s.child, Duration::from_secs(20));
    assert_eq!(status.signal(), Some(SIGKILL), "{status:?}");
    let results = sender.join().expect("sender");
    assert_eq!(results.len(), TOTAL);
    let acked: Vec<usize> = results
        .iter()
        .filter(|(_, r)| matches!(r, Ok((200, _))))
        .map(|(i, _)| *i)
        .collect();
    for (i, r) in &results {
        match r {
            Ok((200, body)) => assert_eq!(status_of(body), "accepted", "evt_burst_{i}"),
            Ok((code, body)) => panic!("evt_burst_{i}: unexpected {code} {body}"),
            Err(_) => {} // in flight or sent after the kill: the provider would retry
        }
    }
    assert!(
        acked.len() >= KILL_AFTER && acked.len() < TOTAL,
        "the kill landed part-way: {} of {TOTAL} acknowledged",
        acked.len()
    );
    drop(s);

    // Restart on the same database: it opens and is ready.
    let again = serve(dir.path(), None, false);
    let (code, body) = get(&format!("{}/readyz", again.url));
    assert_eq!(code, 200, "{body}");

    let (events, outbox, keys, pending) = inspect(dir.path());
    let stored: HashSet<&str> = keys.iter().map(String::as_str).collect();
    assert_eq!(stored.len(), keys.len(), "no dedupe key stored twice");
    assert_eq!(events as usize, keys.len());
    for i in &acked {
        assert!(
            stored.contains(format!("evt_burst_{i}").as_str()),
            "acknowledged evt_burst_{i} was lost in the crash"
        );
    }
    assert_eq!(outbox, events, "every stored event is queued exactly once");
    assert_eq!(
        pending, events,
        "the worker is off: everything is still queued"
    );
    assert!(events as usize <= TOTAL);
    let before = events as usize;
    eprintln!(
        "killed after {} acknowledgements; {before} events survived the crash",
        acked.len()
    );

    // The provider retries everything: each is either stored now or a duplicate.
    let all: Vec<usize> = (0..TOTAL).collect();
    let results = burst(again.addr(), &all, 16, Arc::new(|| {}));
    let (mut accepted, mut duplicate) = (0, 0);
    for (i, r) in results {
        match r {
            Ok((200, body)) => match status_of(&body).as_str() {
                "accepted" => {
                    assert!(!stored.contains(format!("evt_burst_{i}").as_str()));
                    accepted += 1;
                }
                "duplicate" => {
                    assert!(stored.contains(format!("evt_burst_{i}").as_str()));
                    duplicate += 1;
                }
                other => panic!("evt_burst_{i}: status {other:?}"),
            },
            other => panic!("evt_burst_{i} after restart: {other:?}"),
        }
    }
    assert_eq!(duplicate, before);
    assert_eq!(accepted, TOTAL - before);
    let (events, outbox, keys, pending) = inspect(dir.path());
    assert_eq!((events, outbox), (TOTAL as i64, TOTAL as i64));
    assert_eq!(keys.len(), TOTAL);
    assert_eq!(pending, TOTAL as i64);
    stop(again);
}

/// Sends one delivery to a server armed with `fault`; the client gets no 2xx and the process
/// aborts at that point.
fn deliver_into_fault(dir: &Path, fault: &str, expected: &str, body: &str) {
    let mut s = serve(dir, Some(fault), false);
    let r = post_front(s.addr(), body);
    assert!(
        !matches!(r, Ok((200..=299, _))),
        "{fault}: the sender must not be acknowledged: {r:?}"
    );
    let status = wait_exit(&mut s.child, Duration::from_secs(30));
    let log = s.stderr_after_exit();
    assert_eq!(status.signal(), Some(SIGABRT), "{status:?}: {log}");
    assert!(
        log.contains(&format!("fault injection: aborting at {expected}")),
        "{log}"
    );
}

/// D26: the process dies with the ingest transaction open. Nothing survives, so the
/// provider's retry is stored (once) and a further retry is a duplicate.
#[test]
fn abort_before_the_ingest_commit_stores_nothing_and_the_retry_is_stored_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let body = event(26);
    deliver_into_fault(
        dir.path(),
        "before_ingest_commit",
        "BeforeIngestCommit",
        &body,
    );

    let s = serve(dir.path(), None, false);
    let (code, ready) = get(&format!("{}/readyz", s.url));
    assert_eq!(code, 200, "{ready}");
    let (events, outbox, keys, _) = inspect(dir.path());
    assert_eq!(
        (events, outbox),
        (0, 0),
        "an uncommitted delivery left rows: {keys:?}"
    );

    let (code, resp) = post_front(s.addr(), &body).expect("retry");
    assert_eq!(
        (code, status_of(&resp).as_str()),
        (200, "accepted"),
        "{resp}"
    );
    let (code, resp) = post_front(s.addr(), &body).expect("second retry");
    assert_eq!(
        (code, status_of(&resp).as_str()),
        (200, "duplicate"),
        "{resp}"
    );
    let (events, outbox, keys, pending) = inspect(dir.path());
    assert_eq!((events, outbox, pending), (1, 1, 1));
    assert_eq!(keys, ["evt_burst_26"]);
    stop(s);
}

/// D25: the process dies after the commit, before answering. The event survives once with
/// its outbox row, a restarted worker processes it, and the provider's retry is a duplicate.
#[test]
fn abort_after_the_ingest_commit_keeps_the_event_once_and_the_retry_is_a_duplicate() {
    let dir = tempfile::tempdir().expect("tmp");
    let body = event(25);
    deliver_into_fault(
        dir.path(),
        "after_ingest_commit",
        "AfterIngestCommit",
        &body,
    );

    let (events, outbox, keys, pending) = inspect(dir.path());
    assert_eq!(
        (events, outbox, pending),
        (1, 1, 1),
        "committed before the crash"
    );
    assert_eq!(keys, ["evt_burst_25"]);

    // Restarted with the worker on: the queued event is processed.
    let s = serve(dir.path(), None, true);
    let (code, ready) = get(&format!("{}/readyz", s.url));
    assert_eq!(code, 200, "{ready}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while inspect(dir.path()).3 != 0 {
        assert!(
            Instant::now() < deadline,
            "the worker did not process the recovered event within 30s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let (code, resp) = post_front(s.addr(), &body).expect("retry");
    assert_eq!(
        (code, status_of(&resp).as_str()),
        (200, "duplicate"),
        "{resp}"
    );
    let (events, outbox, keys, pending) = inspect(dir.path());
    assert_eq!((events, outbox, pending), (1, 1, 0), "not queued again");
    assert_eq!(keys, ["evt_burst_25"]);
    stop(s);
}
