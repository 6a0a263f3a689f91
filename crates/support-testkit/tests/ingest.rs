//! The trust boundary, black-box: every signature vector through the running server with
//! the clock pinned to the vector's `now`, rotation and clock skew at their exact edges,
//! duplicates and replays (scenarios A1–A7, B8, B9, B11 of the reliability notes).

use base64::Engine as _;
use support_signing as signing;
use support_testkit::{Db, FRONT_API_SECRET, SLACK_SIGNING_SECRET, STRIPE_WEBHOOK_SECRET, TestApp};
use support_types::api::{AuditView, RotateSecretResponse};

const STRIPE_STYLE: &str =
    include_str!("../../support-signing/tests/vectors/stripe-style-signatures.json");
const SLACK: &str = include_str!("../../support-signing/tests/vectors/slack-signatures.json");

fn cases(raw: &str) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_str(raw).expect("vector file");
    doc["cases"].as_array().expect("cases").clone()
}

fn body_of(case: &serde_json::Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(case["body_base64"].as_str().expect("body_base64"))
        .expect("base64")
}

fn secrets_of(case: &serde_json::Value) -> Vec<String> {
    case["secrets"]
        .as_array()
        .expect("secrets")
        .iter()
        .map(|s| s.as_str().expect("secret").to_owned())
        .collect()
}

/// A1 for `x-support-signature`: each case goes to `/webhooks/app/{slug}` of an app holding
/// exactly the case's secrets. `valid` is never refused (200, or 400 when the signed body is
/// not an app event, such as the empty body); `invalid` is 401 and stores nothing.
#[tokio::test]
async fn stripe_style_vectors_through_the_app_route() {
    let cases = cases(STRIPE_STYLE);
    let now = cases[0]["now"].as_i64().expect("now");
    let app = TestApp::spawn_with_clock(Db::Sqlite, now * 1000)
        .await
        .expect("app");
    let mut slugs: Vec<(Vec<String>, String)> = Vec::new();
    for case in &cases {
        assert_eq!(
            case["now"].as_i64(),
            Some(now),
            "one clock for the whole file"
        );
        let secrets = secrets_of(case);
        if !slugs.iter().any(|(s, _)| *s == secrets) {
            let slug = format!("vec-{}", slugs.len());
            let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
            app.register_app_with_secrets(&slug, &refs).await;
            slugs.push((secrets.clone(), slug));
        }
    }
    let mut stored = 0;
    for case in &cases {
        let name = case["name"].as_str().expect("name");
        let slug = &slugs
            .iter()
            .find(|(s, _)| *s == secrets_of(case))
            .expect("slug")
            .1;
        let mut req = app
            .http
            .post(format!("{}/webhooks/app/{slug}", app.url))
            .body(body_of(case));
        if let Some(h) = case["header"].as_str() {
            req = req.header("x-support-signature", h);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let before = stored;
        stored = app.status().await.inbound_events;
        match case["expected"].as_str() {
            Some("valid") => {
                assert!(status == 200 || status == 400, "{name}: {status}");
                if status == 200 {
                    assert!(stored >= before, "{name}");
                } else {
                    assert_eq!(stored, before, "{name}: a 400 stores nothing");
                }
            }
            _ => {
                assert_eq!(status, 401, "{name}");
                assert_eq!(stored, before, "{name}: a refused request stores nothing");
            }
        }
    }
    assert!(stored >= 1, "the valid cases were stored");
    app.drain().await;
    app.finish().await;
}

/// A1 for Slack v0: interactions (form `payload=`) and Events API bodies to their routes,
/// on a server holding the case's signing secret(s).
#[tokio::test]
async fn slack_vectors_through_the_slack_routes() {
    let cases = cases(SLACK);
    let mut by_secrets: Vec<(Vec<String>, Vec<serde_json::Value>)> = Vec::new();
    for case in cases {
        let s = secrets_of(&case);
        match by_secrets.iter_mut().find(|(k, _)| *k == s) {
            Some((_, v)) => v.push(case),
            None => by_secrets.push((s, vec![case])),
        }
    }
    let mut seen = 0;
    for (secrets, cases) in by_secrets {
        let now = cases[0]["now"].as_i64().expect("now");
        let app = TestApp::spawn_configured(Db::Sqlite, Some(now * 1000), |c| {
            c.slack.signing_secret = support_server::Secret::new(secrets[0].clone());
            if let Some(prev) = secrets.get(1) {
                c.slack.previous_signing_secret = support_server::Secret::new(prev.clone());
            }
        })
        .await
        .expect("app");
        for case in &cases {
            seen += 1;
            let name = case["name"].as_str().expect("name");
            let body = body_of(case);
            let route = if body.starts_with(b"{") {
                "events"
            } else {
                "interactions"
            };
            let mut req = app
                .http
                .post(format!("{}/webhooks/slack/{route}", app.url))
                .body(body);
            for (k, v) in case["headers"].as_object().expect("headers") {
                req = req.header(k.as_str(), v.as_str().expect("header value"));
            }
            let before = app.status().await.inbound_events;
            let status = req.send().await.expect("request").status().as_u16();
            let after = app.status().await.inbound_events;
            if case["expected"] == "valid" {
                assert!(status == 200 || status == 400, "{name}: {status}");
            } else {
                assert_eq!(status, 401, "{name}");
                assert_eq!(after, before, "{name}: nothing stored");
            }
        }
        app.drain().await;
        app.finish().await;
    }
    assert_eq!(seen, 20);
}

fn app_event(id: &str) -> Vec<u8> {
    format!(r#"{{"id":"{id}","type":"purchase.refunded","occurredAt":1767225600,"data":{{"purchaseId":"p1"}}}}"#)
        .into_bytes()
}

async fn post_app(app: &TestApp, slug: &str, header: &str, body: &[u8]) -> u16 {
    app.post_raw(
        &format!("/webhooks/app/{slug}"),
        &[("x-support-signature", header)],
        body,
    )
    .await
    .status()
    .as_u16()
}

/// A6: during a rotation an app may send `v1=new,v1=old`; either key is accepted while we
/// hold both; once the grace period is over, `v1=old` alone is refused.
#[tokio::test]
async fn rotation_accepts_either_key_until_the_grace_period_ends() {
    let t0 = 1_767_225_600_000;
    let app = TestApp::spawn_with_clock(Db::Sqlite, t0)
        .await
        .expect("app");
    let old = "old-secret-0123456789abcdef0123456789abcdef";
    app.register_app_with_secrets("shop", &[old]).await;
    let clock = app.clock.clone().expect("pinned clock");
    let now = || clock.now_ms() / 1000;
    // `v1=` under one key, signed now.
    let signed = |key: &str, b: &[u8]| signing::support::header(key.as_bytes(), now(), b);
    use support_server::clock::Clock as _;

    let body = app_event("e1");
    assert_eq!(
        post_app(&app, "shop", &signed(old, &body), &body).await,
        200
    );

    let r = app
        .post_json(
            "/api/v1/apps/shop/rotate-secret",
            &serde_json::json!({"graceHours": 1}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let rotated: RotateSecretResponse = r.json().await.expect("json");
    let new = rotated.webhook_secret.clone();
    assert_eq!(rotated.previous_valid_until, t0 + 3_600_000);

    let both = |b: &[u8], t: i64| {
        format!(
            "t={t},v1={},v1={}",
            signing::support::compute(new.as_bytes(), t, b),
            signing::support::compute(old.as_bytes(), t, b)
        )
    };
    let b2 = app_event("e2");
    assert_eq!(post_app(&app, "shop", &both(&b2, now()), &b2).await, 200);
    let b3 = app_event("e3");
    assert_eq!(
        post_app(&app, "shop", &signed(old, &b3), &b3).await,
        200,
        "old key in grace"
    );
    let b4 = app_event("e4");
    assert_eq!(post_app(&app, "shop", &signed(&new, &b4), &b4).await, 200);

    // One millisecond before the end of grace the old key still works; at the end it does not.
    clock.set_ms(t0 + 3_600_000 - 1_000);
    let b5 = app_event("e5");
    assert_eq!(post_app(&app, "shop", &signed(old, &b5), &b5).await, 200);
    clock.set_ms(t0 + 3_600_000);
    let b6 = app_event("e6");
    assert_eq!(
        post_app(&app, "shop", &signed(old, &b6), &b6).await,
        401,
        "grace over"
    );
    assert_eq!(
        post_app(&app, "shop", &both(&b6, now()), &b6).await,
        200,
        "the new key in the pair still works"
    );

    let audit: Vec<AuditView> = app.get_json("/api/v1/audit").await;
    assert!(audit.iter().any(|e| e.action == "app.secret_rotated"));
    app.drain().await;
    app.finish().await;
}

/// A7: our clock 299 s behind or ahead of the sender is fine; 301 s is refused, both ways.
#[tokio::test]
async fn clock_skew_is_judged_to_the_second() {
    let t = 1_767_225_600;
    let app = TestApp::spawn_with_clock(Db::Sqlite, t * 1000)
        .await
        .expect("app");
    let secret = "skew-secret-0123456789abcdef0123456789abcdef";
    app.register_app_with_secrets("shop", &[secret]).await;
    let clock = app.clock.clone().expect("clock");
    for (i, (offset, expect)) in [(299, 200), (-299, 200), (300, 200), (301, 401), (-301, 401)]
        .into_iter()
        .enumerate()
    {
        clock.set_ms((t + offset) * 1000);
        let body = app_event(&format!("skew{i}"));
        let h = signing::support::header(secret.as_bytes(), t, &body);
        assert_eq!(
            post_app(&app, "shop", &h, &body).await,
            expect,
            "offset {offset}"
        );
    }
    app.drain().await;
    app.finish().await;
}

/// A3: a missing header, or another provider's signature on a route, is 401 and unparsed.
#[tokio::test]
async fn wrong_provider_signatures_are_refused() {
    let app = TestApp::spawn().await;
    let now = support_store::now_ms() / 1000;
    let body = br#"{"id":"evt_1","type":"charge.refunded","created":1767225600}"#;
    let slack_sig = signing::slack::sign(SLACK_SIGNING_SECRET.as_bytes(), now, body);
    let r = app
        .post_raw(
            "/webhooks/stripe",
            &[
                ("x-slack-signature", &slack_sig),
                ("x-slack-request-timestamp", &now.to_string()),
            ],
            body,
        )
        .await;
    assert_eq!(r.status(), 401);
    // The Stripe scheme with the right secret, but on Slack's route.
    let r = app
        .post_raw(
            "/webhooks/slack/events",
            &[(
                "stripe-signature",
                &signing::stripe::header(STRIPE_WEBHOOK_SECRET.as_bytes(), now, body),
            )],
            body,
        )
        .await;
    assert_eq!(r.status(), 401);
    for route in [
        "stripe",
        "slack/events",
        "slack/interactions",
        "front",
        "app/nope",
    ] {
        let r = app.post_raw(&format!("/webhooks/{route}"), &[], body).await;
        assert_eq!(r.status(), 401, "{route}");
    }
    assert_eq!(app.status().await.inbound_events, 0);
    app.finish().await;
}

/// A5: Front's timestamp is in milliseconds; a seconds value or a 6-minute-old request is 401.
#[tokio::test]
async fn front_timestamps_in_seconds_or_too_old_are_refused() {
    let app = TestApp::spawn().await;
    let body = br#"{"id":"evt_ts","type":"inbound"}"#;
    let now_ms = support_store::now_ms();
    for ts in [now_ms / 1000, now_ms - 360_000, now_ms + 360_000] {
        let sig = signing::front::sign(app.front_app_secret.as_bytes(), ts, body);
        let r = app
            .post_raw(
                "/webhooks/front",
                &[
                    ("x-front-signature", &sig),
                    ("x-front-request-timestamp", &ts.to_string()),
                ],
                body,
            )
            .await;
        assert_eq!(r.status(), 401, "ts {ts}");
    }
    assert_eq!(app.status().await.inbound_events, 0);
    app.finish().await;
}

fn stripe_event(id: &str) -> Vec<u8> {
    format!(r#"{{"id":"{id}","object":"event","type":"charge.refunded","created":1767225600,"account":"acct_1","data":{{"object":{{"id":"ch_1"}}}}}}"#).into_bytes()
}

async fn post_stripe(app: &TestApp, body: &[u8]) -> reqwest::Response {
    let now = support_store::now_ms() / 1000;
    app.post_raw(
        "/webhooks/stripe",
        &[(
            "stripe-signature",
            &signing::stripe::header(STRIPE_WEBHOOK_SECRET.as_bytes(), now, body),
        )],
        body,
    )
    .await
}

/// B8: the same Stripe event five times at once: five 2xx, one stored event, one outbox row.
#[tokio::test]
async fn a_stripe_event_delivered_five_times_at_once_is_stored_once() {
    for db in [Db::Sqlite, Db::Postgres] {
        let Some(app) = TestApp::spawn_on(db).await else {
            continue;
        };
        let body = stripe_event("evt_dup");
        let sends = (0..5).map(|_| post_stripe(&app, &body));
        let responses = futures_join_all(sends).await;
        assert!(responses.iter().all(|r| r.status() == 200), "{db:?}");
        assert_eq!(app.inbound_counts("stripe").await, (1, 1), "{db:?}");
        // Malformed but signed: 400, nothing stored.
        assert_eq!(post_stripe(&app, b"{\"id\":\"nope\"}").await.status(), 400);
        assert_eq!(app.drain().await, 1);
        app.finish().await;
    }
}

async fn futures_join_all<F: std::future::Future>(fs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = fs.map(|f| Box::pin(f)).collect();
    let mut out = Vec::new();
    // Drive them concurrently on this task.
    let mut pending: Vec<_> = handles.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        results[i] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    for r in results {
        out.push(r.expect("completed"));
    }
    out
}

fn slack_post(app: &TestApp, route: &str, body: &[u8], ts: i64) -> reqwest::RequestBuilder {
    app.http
        .post(format!("{}/webhooks/slack/{route}", app.url))
        .header(
            "x-slack-signature",
            signing::slack::sign(SLACK_SIGNING_SECRET.as_bytes(), ts, body),
        )
        .header("x-slack-request-timestamp", ts.to_string())
        .body(body.to_vec())
}

/// B9: a byte-identical Slack interaction replayed inside the window is acknowledged, changes
/// nothing, and leaves an audit note.
#[tokio::test]
async fn a_replayed_slack_interaction_is_acknowledged_and_ignored() {
    let app = TestApp::spawn().await;
    let payload = r#"{"type":"block_actions","user":{"id":"U1"},"trigger_id":"111.222.abc","actions":[{"action_id":"approve","value":"apr_1","action_ts":"1767225580.123456"}]}"#;
    let body = format!(
        "payload={}",
        form_urlencoded::byte_serialize(payload.as_bytes()).collect::<String>()
    );
    let ts = support_store::now_ms() / 1000;
    for _ in 0..2 {
        let r = slack_post(&app, "interactions", body.as_bytes(), ts)
            .send()
            .await
            .expect("req");
        assert_eq!(r.status(), 200);
    }
    assert_eq!(app.inbound_counts("slack").await, (1, 1));
    let audit: Vec<AuditView> = app.get_json("/api/v1/audit").await;
    assert_eq!(audit[0].action, "slack.interaction.duplicate_ignored");
    // Replayed after the window: 401.
    let r = slack_post(&app, "interactions", body.as_bytes(), ts - 301)
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), 401);
    app.drain().await;
    app.finish().await;
}

/// B11 and the url_verification handshake: Slack's retries are acknowledged, not reprocessed.
#[tokio::test]
async fn slack_retries_are_acknowledged_once() {
    let app = TestApp::spawn().await;
    let ts = support_store::now_ms() / 1000;
    let challenge = br#"{"type":"url_verification","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","token":"x"}"#;
    let r = slack_post(&app, "events", challenge, ts)
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        v["challenge"],
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );

    let event = br#"{"type":"event_callback","team_id":"T1","event_id":"Ev0001","event_time":1767225590,"event":{"type":"app_mention","text":"hi"}}"#;
    assert_eq!(
        slack_post(&app, "events", event, ts)
            .send()
            .await
            .expect("req")
            .status(),
        200
    );
    let retry = slack_post(&app, "events", event, ts + 1)
        .header("x-slack-retry-num", "1")
        .header("x-slack-retry-reason", "http_timeout")
        .send()
        .await
        .expect("req");
    assert_eq!(retry.status(), 200);
    let v: serde_json::Value = retry.json().await.expect("json");
    assert_eq!(v["status"], "duplicate");
    assert_eq!(app.inbound_counts("slack").await, (1, 1));
    assert_eq!(app.drain().await, 1);
    app.finish().await;
}

/// Front rule webhooks: SHA-1, no timestamp; accepted only for an app that opted in, and
/// stored as lower trust. Deduped with application webhooks by event id.
#[tokio::test]
async fn front_rule_webhooks_need_the_app_to_opt_in() {
    let app = TestApp::spawn().await;
    let rule_body = |event_id: &str, conv: &str, msg: &str| {
        format!(
            r#"{{"id":"{event_id}","type":"inbound","emitted_at":1767225600,"conversation":{{"id":"{conv}"}},"source":{{"_meta":{{"type":"inboxes"}},"data":[{{"id":"{}"}}]}},"target":{{"_meta":{{"type":"message"}},"data":{{"id":"{msg}"}}}}}}"#,
            support_testkit::INBOX
        )
    };
    let send = |secret: &str, body: String| {
        app.http
            .post(format!("{}/webhooks/front", app.url))
            .header(
                "x-front-signature",
                signing::front::sign_rule(secret.as_bytes(), body.as_bytes()),
            )
            .body(body)
            .send()
    };
    // No app owns the inbox yet: refused, nothing stored.
    let early = rule_body("evt_rule0", "cnv_0", "msg_0");
    assert_eq!(
        send(FRONT_API_SECRET, early).await.expect("req").status(),
        403
    );
    app.state
        .store
        .create_app(
            &support_store::NewApp {
                slug: "rules".into(),
                name: "Rules".into(),
                front_inbox_ids: vec![support_testkit::INBOX.into()],
                integration_url: None,
                front_rule_webhooks: true,
            },
            None,
        )
        .await
        .expect("app");
    // A real message arrives through the application webhook...
    let d = app
        .customer_writes("rita@example.com", "Rules", "Hello")
        .await;
    assert_eq!(d.status, 200);
    // ...and the same event through a rule webhook is a duplicate.
    let same = rule_body(&d.event_id, &d.conversation_id, &d.message_id);
    assert_eq!(
        send("wrong", same.clone()).await.expect("req").status(),
        401
    );
    let v: serde_json::Value = send(FRONT_API_SECRET, same)
        .await
        .expect("req")
        .json()
        .await
        .expect("json");
    assert_eq!(v["status"], "duplicate");
    // A rule-only event is stored, as lower trust.
    let only = rule_body("evt_rule1", &d.conversation_id, &d.message_id);
    assert_eq!(
        send(FRONT_API_SECRET, only).await.expect("req").status(),
        200
    );
    assert_eq!(app.inbound_counts("front").await, (2, 2));
    let trust: Vec<String> = support_store::on_pool!(app.state.store.pool(), |p| {
        use support_store::sqlx::Row;
        support_store::sqlx::query("SELECT trust FROM inbound_events ORDER BY received_at, id")
            .fetch_all(p)
            .await
            .expect("rows")
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect()
    });
    assert_eq!(trust, ["verified", "low"]);
    assert_eq!(app.drain().await, 2);
    let convs: Vec<support_types::api::ConversationView> =
        app.get_json("/api/v1/conversations").await;
    assert_eq!(convs.len(), 1);
    assert_eq!(
        convs[0].message_count, 1,
        "both paths converge on one message"
    );
    app.finish().await;
}
