//! Input limits and storage faults at the inbound edge, black-box through `TestApp`:
//! oversized and chunked bodies (E29), malformed or wrongly shaped JSON (E30), invalid UTF-8
//! and a bogus content coding (E31), deep nesting and long strings (E32), the database
//! vanishing under the server (D27), and five parallel copies of one delivery.

use std::time::Duration;

use support_testkit::{Db, TestApp};
use support_types::api::{ErrorBody, Readiness};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Runs a check on a fresh SQLite app and on a fresh Postgres app (multi-threaded runtime,
/// so concurrent requests really run in parallel).
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let app = support_testkit::TestApp::spawn_on(support_testkit::Db::Sqlite)
                    .await
                    .expect("sqlite");
                super::$name(&app).await;
                app.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(app) =
                    support_testkit::TestApp::spawn_on(support_testkit::Db::Postgres).await
                else {
                    return;
                };
                super::$name(&app).await;
                app.finish().await;
            }
        }
    };
}

const APP_SECRET: &str = "s3cr3t-limits-test-app-signing-secret";
const MIB: usize = 1024 * 1024;

/// A well-formed Front inbound event for an inbox no app owns (processing it is a no-op).
fn front_event(id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "type": "inbound", "emitted_at": 1767225600.0,
        "conversation": {"id": format!("cnv_{id}")},
        "source": {"_meta": {"type": "inboxes"}, "data": [{"id": "inb_nobody"}]},
        "target": {"_meta": {"type": "message"}, "data": {"id": format!("msg_{id}")}}
    })
}

/// The signature headers for `body` on `/webhooks/front`, signed now.
fn front_headers(app: &TestApp, body: &[u8]) -> Vec<(&'static str, String)> {
    let ts = support_store::now_ms();
    vec![
        (
            support_signing::front::SIGNATURE_HEADER,
            support_signing::front::sign(app.front_app_secret.as_bytes(), ts, body),
        ),
        (support_signing::front::TIMESTAMP_HEADER, ts.to_string()),
    ]
}

/// `POST /webhooks/front`, correctly signed, with extra headers.
async fn post_front(app: &TestApp, body: &[u8], extra: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app
        .http
        .post(format!("{}/webhooks/front", app.url))
        .timeout(Duration::from_secs(30))
        .header("content-type", "application/json");
    for (k, v) in front_headers(app, body) {
        req = req.header(k, v);
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    req.body(body.to_vec()).send().await.expect("request")
}

/// `POST /webhooks/app/{slug}`, signed now with `secret`.
async fn post_app(app: &TestApp, slug: &str, secret: &str, body: &[u8]) -> reqwest::Response {
    let t = support_store::now_ms() / 1000;
    app.http
        .post(format!("{}/webhooks/app/{slug}", app.url))
        .timeout(Duration::from_secs(30))
        .header("content-type", "application/json")
        .header(
            support_signing::support::HEADER,
            support_signing::support::header(secret.as_bytes(), t, body),
        )
        .body(body.to_vec())
        .send()
        .await
        .expect("request")
}

async fn assert_400(resp: reqwest::Response, what: &str) {
    let status = resp.status();
    let text = resp.text().await.expect("body");
    assert_eq!(status, 400, "{what}: {text}");
    let err: ErrorBody =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"));
    assert_eq!(err.error, "bad_request", "{what}");
}

/// Nothing at all stored or queued.
async fn assert_nothing_stored(app: &TestApp, source: &str) {
    let counts = app.inbound_counts(source).await;
    assert_eq!(counts, (0, 0), "{source}: events, outbox rows");
    assert_eq!(app.state.store.outbox_pending().await.expect("pending"), 0);
}

/// A raw HTTP/1.1 `POST` with `Transfer-Encoding: chunked` and no `Content-Length`, the body
/// written in `chunk`-byte pieces while the response is read concurrently. Returns the status
/// code, or `None` when the server closed the connection without a readable response.
async fn post_chunked(
    base: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
    chunk: usize,
) -> Option<u16> {
    let addr = base.strip_prefix("http://").expect("http url").to_owned();
    let stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let (mut rd, mut wr) = stream.into_split();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let body = body.to_vec();
    // The write half is handed back rather than dropped: dropping it half-closes the
    // connection, which the server takes as the client going away.
    let writer = tokio::spawn(async move {
        let written = async {
            wr.write_all(head.as_bytes()).await?;
            for piece in body.chunks(chunk) {
                wr.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                    .await?;
                wr.write_all(piece).await?;
                wr.write_all(b"\r\n").await?;
            }
            wr.write_all(b"0\r\n\r\n").await?;
            wr.flush().await
        }
        .await;
        (wr, written)
    });
    let read = async {
        let mut buf = Vec::new();
        let mut tmp = [0u8; 8192];
        loop {
            match rd.read(&mut tmp).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    buf.extend_from_slice(&tmp[..n]);
                    if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
        buf
    };
    let buf = tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("the server answered or closed within 30s");
    writer.abort();
    let text = String::from_utf8_lossy(&buf);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
}

both!(e29_oversized_bodies_are_refused_before_anything_is_stored);
async fn e29_oversized_bodies_are_refused_before_anything_is_stored(app: &TestApp) {
    // A real, correctly signed event padded to 2 MiB: only its size is wrong.
    let mut ev = front_event("evt_e29_big");
    ev["padding"] = serde_json::Value::String("x".repeat(2 * MIB));
    let big = serde_json::to_vec(&ev).expect("json");
    assert!(big.len() > 2 * MIB);
    let r = post_front(app, &big, &[]).await;
    assert_eq!(r.status(), 413);
    assert_nothing_stored(app, "front").await;

    // The same without a Content-Length: a chunked stream has to be cut off at the limit too.
    let status = post_chunked(
        &app.url,
        "/webhooks/front",
        &front_headers(app, &big),
        &big,
        64 * 1024,
    )
    .await;
    assert!(
        matches!(status, Some(413) | None),
        "chunked 2 MiB: {status:?} (413, or closed after refusing)"
    );
    assert_nothing_stored(app, "front").await;

    // Control: the chunked path itself works, so the refusal above was the size.
    let small = serde_json::to_vec(&front_event("evt_e29_chunked")).expect("json");
    let status = post_chunked(
        &app.url,
        "/webhooks/front",
        &front_headers(app, &small),
        &small,
        16,
    )
    .await;
    assert_eq!(status, Some(200));
    assert_eq!(
        app.state
            .store
            .inbound_dedupe_keys("front")
            .await
            .expect("keys"),
        ["evt_e29_chunked"]
    );
    assert_eq!(app.drain().await, 1);
}

both!(e30_malformed_or_misshapen_json_is_400_and_stores_nothing);
async fn e30_malformed_or_misshapen_json_is_400_and_stores_nothing(app: &TestApp) {
    let mut no_id = front_event("x");
    no_id.as_object_mut().expect("object").remove("id");
    let mut numeric_id = front_event("x");
    numeric_id["id"] = serde_json::json!(12345);
    let mut empty_id = front_event("x");
    empty_id["id"] = serde_json::json!("");
    let front_cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated JSON", b"{\"id\":\"evt_e30\",\"type\":".to_vec()),
        ("not JSON", b"hello".to_vec()),
        ("empty body", Vec::new()),
        ("an array", b"[]".to_vec()),
        ("missing id", serde_json::to_vec(&no_id).expect("json")),
        ("numeric id", serde_json::to_vec(&numeric_id).expect("json")),
        ("empty id", serde_json::to_vec(&empty_id).expect("json")),
    ];
    for (what, body) in &front_cases {
        assert_400(post_front(app, body, &[]).await, what).await;
    }
    assert_nothing_stored(app, "front").await;

    app.register_app_with_secrets("shop", &[APP_SECRET]).await;
    let long_id = "e".repeat(201);
    let app_cases: Vec<(&str, String)> = vec![
        ("truncated JSON", r#"{"id":"a1","type":"#.into()),
        ("not JSON", "hello".into()),
        ("an array", "[]".into()),
        ("missing id", r#"{"type":"user.updated","data":{}}"#.into()),
        (
            "numeric id",
            r#"{"id":7,"type":"user.updated","data":{}}"#.into(),
        ),
        (
            "empty id",
            r#"{"id":"","type":"user.updated","data":{}}"#.into(),
        ),
        (
            "id too long",
            format!(r#"{{"id":"{long_id}","type":"user.updated"}}"#),
        ),
        ("missing type", r#"{"id":"a1","data":{}}"#.into()),
        (
            "bad occurredAt",
            r#"{"id":"a1","type":"user.updated","occurredAt":"yesterday"}"#.into(),
        ),
    ];
    for (what, body) in &app_cases {
        assert_400(
            post_app(app, "shop", APP_SECRET, body.as_bytes()).await,
            what,
        )
        .await;
    }
    assert_nothing_stored(app, "app:shop").await;

    // Control: the same signing gets a well-formed event in.
    let ok = post_app(
        app,
        "shop",
        APP_SECRET,
        br#"{"id":"a1","type":"user.updated","data":{}}"#,
    )
    .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(app.inbound_counts("app:shop").await, (1, 1));
    assert_eq!(app.drain().await, 1);
}

both!(e31_invalid_utf8_and_a_bogus_content_coding_store_nothing);
async fn e31_invalid_utf8_and_a_bogus_content_coding_store_nothing(app: &TestApp) {
    assert_400(post_front(app, &[0xff, 0xfe], &[]).await, "0xff 0xfe").await;
    // Invalid UTF-8 inside an otherwise valid event's string (would be stored lossily).
    let mut body = br#"{"id":"evt_e31_"#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe]);
    body.extend_from_slice(br#"","type":"inbound"}"#);
    assert_400(
        post_front(app, &body, &[]).await,
        "invalid UTF-8 in a string",
    )
    .await;
    app.register_app_with_secrets("shop", &[APP_SECRET]).await;
    assert_400(
        post_app(app, "shop", APP_SECRET, &[0xff, 0xfe]).await,
        "app 0xff 0xfe",
    )
    .await;

    // Declared gzip, but not gzip (random bytes, and a gzip header followed by junk).
    for bogus in [
        &b"\x00\x01not gzip at all"[..],
        &b"\x1f\x8b\x08\x00junk"[..],
    ] {
        let r = post_front(app, bogus, &[("content-encoding", "gzip")]).await;
        assert!(
            matches!(r.status().as_u16(), 400 | 415),
            "gzip-labelled garbage: {}",
            r.status()
        );
    }
    assert_nothing_stored(app, "front").await;
    assert_nothing_stored(app, "app:shop").await;

    let health = app.get_anon("/healthz").await;
    assert_eq!(health.status(), 200, "no panic took the server down");
}

/// The server does not decode content codings, so a body labelled gzip must not be taken as
/// identity JSON and stored (RFC 9110 §8.4: an unsupported coding is a 415).
///
#[tokio::test]
async fn e31_a_gzip_labelled_plain_json_event_is_not_stored() {
    let app = TestApp::spawn().await;
    let body = serde_json::to_vec(&front_event("evt_e31_gzip")).expect("json");
    let r = post_front(&app, &body, &[("content-encoding", "gzip")]).await;
    let status = r.status();
    let text = r.text().await.expect("body");
    assert!(
        matches!(status.as_u16(), 400 | 415),
        "plain JSON declared as gzip: {status} {text}"
    );
    assert_nothing_stored(&app, "front").await;
    app.finish().await;
}

both!(e32_deep_nesting_is_400_and_a_long_string_under_the_limit_is_stored);
async fn e32_deep_nesting_is_400_and_a_long_string_under_the_limit_is_stored(app: &TestApp) {
    const DEPTH: usize = 10_000;
    let nested = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    assert_400(
        post_front(app, nested.as_bytes(), &[]).await,
        "10k nested arrays",
    )
    .await;
    // The same depth inside a field that is parsed as free-form JSON.
    let inner = format!(
        r#"{{"id":"evt_e32_deep","type":"inbound","target":{{"_meta":{{"type":"message"}},"data":{nested}}}}}"#
    );
    assert_400(
        post_front(app, inner.as_bytes(), &[]).await,
        "10k nested in target.data",
    )
    .await;
    let objects = format!("{}1{}", r#"{"a":"#.repeat(DEPTH), "}".repeat(DEPTH));
    let inner = format!(r#"{{"id":"evt_e32_obj","type":"inbound","source":{{"data":{objects}}}}}"#);
    assert_400(
        post_front(app, inner.as_bytes(), &[]).await,
        "10k nested objects",
    )
    .await;
    assert_nothing_stored(app, "front").await;
    let health = app.get_anon("/healthz").await;
    assert_eq!(
        health.status(),
        200,
        "still serving after the deep payloads"
    );

    // A 900 KiB string in an otherwise valid event fits under the 1 MiB limit: stored once,
    // byte for byte.
    let mut ev = front_event("evt_e32_long");
    ev["conversation"]["subject"] = serde_json::Value::String("s".repeat(900 * 1024));
    let body = serde_json::to_vec(&ev).expect("json");
    assert!(body.len() < MIB);
    let r = post_front(app, &body, &[]).await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["status"], "accepted", "{v}");
    let event_id = v["event_id"].as_str().expect("event_id");
    assert_eq!(app.inbound_counts("front").await, (1, 1));
    let (kind, payload) = app
        .state
        .store
        .inbound_payload(event_id)
        .await
        .expect("payload")
        .expect("stored");
    assert_eq!(kind, "inbound");
    assert_eq!(payload.as_bytes(), &body[..], "stored as received");
    assert_eq!(app.drain().await, 1);
}

/// D27: the database disappears under a running server. A webhook is then refused with a 503
/// (never a 200 that would make the provider stop retrying), and readiness reports it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn d27_database_gone_webhooks_are_503_and_not_ready() {
    use support_store::sqlx::{self, Connection};

    let Some(app) = TestApp::spawn_on(Db::Postgres).await else {
        return;
    };
    let first = serde_json::to_vec(&front_event("evt_d27_before")).expect("json");
    let r = post_front(&app, &first, &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.drain().await, 1);
    app.register_app_with_secrets("shop", &[APP_SECRET]).await;

    let name: String = match app.state.store.pool() {
        support_store::Pool::Postgres(p) => sqlx::query_scalar("SELECT current_database()")
            .fetch_one(p)
            .await
            .expect("current_database"),
        support_store::Pool::Sqlite(_) => unreachable!("spawned on Postgres"),
    };
    assert!(name.starts_with("support_test_"), "{name}");
    let admin = std::env::var("PG_TEST_URL")
        .unwrap_or_else(|_| support_store::testdb::DEFAULT_ADMIN_URL.to_owned());
    let mut conn = sqlx::postgres::PgConnection::connect(&admin)
        .await
        .expect("admin connection");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .expect("drop database");
    let _ = conn.close().await;

    for id in ["evt_d27_after_1", "evt_d27_after_2"] {
        let body = serde_json::to_vec(&front_event(id)).expect("json");
        let r = post_front(&app, &body, &[]).await;
        let status = r.status();
        let text = r.text().await.expect("body");
        assert_eq!(status, 503, "{id}: {text}");
        let err: ErrorBody = serde_json::from_str(&text).expect("error body");
        assert_eq!(err.error, "unavailable");
    }
    // A product app's event: the app lookup fails first. It must be a 5xx, so the app retries
    let r = post_app(
        &app,
        "shop",
        APP_SECRET,
        br#"{"id":"a1","type":"user.updated"}"#,
    )
    .await;
    assert_eq!(r.status(), 503, "app route");
    // The provider's retry of an already stored event: the server cannot know, so 503 too.
    let r = post_front(&app, &first, &[]).await;
    assert_eq!(r.status(), 503);

    let r = app
        .http
        .get(format!("{}/readyz", app.url))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("readyz");
    assert_eq!(r.status(), 503);
    let ready: Readiness = r.json().await.expect("readiness");
    assert_eq!(ready.status, "not_ready");
    assert_ne!(ready.database, "ok");
    let h = app.get_anon("/healthz").await;
    assert_eq!(h.status(), 200, "the process itself is alive");

    // The outbox went with the database, so there is nothing left to count.
    app.finish_without_checks().await;
}

both!(five_parallel_copies_of_one_delivery_store_it_once);
async fn five_parallel_copies_of_one_delivery_store_it_once(app: &TestApp) {
    let body = serde_json::to_vec(&front_event("evt_five_copies")).expect("json");
    let (a, b, c, d, e) = tokio::join!(
        post_front(app, &body, &[]),
        post_front(app, &body, &[]),
        post_front(app, &body, &[]),
        post_front(app, &body, &[]),
        post_front(app, &body, &[]),
    );
    let mut statuses = Vec::new();
    for r in [a, b, c, d, e] {
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.expect("json");
        statuses.push(v["status"].as_str().expect("status").to_owned());
    }
    statuses.sort();
    assert_eq!(
        statuses,
        [
            "accepted",
            "duplicate",
            "duplicate",
            "duplicate",
            "duplicate"
        ]
    );
    assert_eq!(app.inbound_counts("front").await, (1, 1));
    assert_eq!(app.drain().await, 1);
}
