//! Black-box tests of the platform through `TestApp`: the real server on port 0, its own
//! database (SQLite and Postgres), and the fake Front signing real webhooks.

use support_testkit::both;
use support_testkit::{Db, INBOX, TestApp};
use support_types::api::{
    AppView, AuditVerification, AuditView, ConversationDetail, ConversationView, ErrorBody,
    NewAppResponse, Readiness,
};

both!(health_and_readiness);
async fn health_and_readiness(app: &TestApp) {
    let h = app.get_anon("/healthz").await;
    assert_eq!(h.status(), 200);
    assert!(
        h.headers().get("x-request-id").is_some(),
        "responses carry a request id"
    );
    let r = app.get_anon("/readyz").await;
    assert_eq!(r.status(), 200);
    let ready: Readiness = r.json().await.expect("readiness json");
    assert_eq!(ready.status, "ready");
    assert_eq!(ready.schema_version, ready.expected_schema_version);
}

both!(api_requires_a_valid_token);
async fn api_requires_a_valid_token(app: &TestApp) {
    let none = app.get_anon("/api/v1/status").await;
    assert_eq!(none.status(), 401);
    let body: ErrorBody = none.json().await.expect("error body");
    assert_eq!(body.error, "unauthorized");
    let wrong = app
        .http
        .get(format!("{}/api/v1/status", app.url))
        .bearer_auth("skill_wrong")
        .send()
        .await
        .expect("req");
    assert_eq!(wrong.status(), 401);
    let status = app.status().await;
    assert_eq!(status.user, app.admin_email);
    // The bootstrap itself is audited.
    assert_eq!(status.audit_entries, 1);
}

both!(an_inbound_message_becomes_a_conversation);
async fn an_inbound_message_becomes_a_conversation(app: &TestApp) {
    app.register_app("first-app").await;
    let body = "Hi, I bought the course 10 days ago and would like a refund.\nThanks, Ada";
    let d = app
        .customer_writes("Ada@Example.com", "Refund please", body)
        .await;
    assert_eq!(d.status, 200, "webhook accepted");
    assert_eq!(app.status().await.outbox_pending, 1);
    assert_eq!(app.drain().await, 1);

    let list: Vec<ConversationView> = app.get_json("/api/v1/conversations").await;
    assert_eq!(list.len(), 1);
    let c = &list[0];
    assert_eq!(c.front_conversation_id, d.conversation_id);
    assert_eq!(c.app_slug.as_deref(), Some("first-app"));
    assert_eq!(c.customer_email.as_deref(), Some("ada@example.com"));
    assert_eq!(c.subject, "Refund please");

    // The body comes from Front's API, not the webhook's preview.
    let detail: ConversationDetail = app
        .get_json(&format!("/api/v1/conversations/{}", c.id))
        .await;
    assert_eq!(detail.messages.len(), 1);
    assert_eq!(detail.messages[0].front_message_id, d.message_id);
    assert_eq!(detail.messages[0].body, body);
    assert_eq!(detail.messages[0].direction, "inbound");
    assert!(
        app.front
            .request_log()
            .iter()
            .any(|r| r.path == format!("/messages/{}", d.message_id)),
        "the platform fetched the message from Front"
    );

    let audit: Vec<AuditView> = app.get_json("/api/v1/audit").await;
    assert_eq!(audit[0].action, "message.received");
    let v: AuditVerification = app.get_json("/api/v1/audit/verify").await;
    assert!(v.ok && v.entries == 2, "{v:?}");

    let missing = app.get("/api/v1/conversations/cnv_nope").await;
    assert_eq!(missing.status(), 404);
}

both!(a_repeated_delivery_is_processed_once);
async fn a_repeated_delivery_is_processed_once(app: &TestApp) {
    app.register_app("first-app").await;
    let d = app
        .customer_writes("bo@example.com", "Login", "Cannot log in")
        .await;
    assert_eq!(d.status, 200);
    // Front retries the very same event (same id, new signature time).
    let payload = serde_json::json!({
        "id": d.event_id, "type": "inbound", "emitted_at": 1767225600.0,
        "conversation": {"id": d.conversation_id, "subject": "Login"},
        "source": {"_meta": {"type": "inboxes"}, "data": [{"id": INBOX}]},
        "target": {"_meta": {"type": "message"}, "data": {"id": d.message_id}}
    });
    let again = app.post_front_webhook(payload.to_string().as_bytes()).await;
    assert_eq!(again.status(), 200);
    let body: serde_json::Value = again.json().await.expect("json");
    assert_eq!(body["status"], "duplicate");
    assert_eq!(app.drain().await, 1, "only the first delivery was queued");
    assert_eq!(app.status().await.inbound_events, 1);
    let list: Vec<ConversationView> = app.get_json("/api/v1/conversations").await;
    assert_eq!(list[0].message_count, 1);
}

both!(bad_webhooks_are_refused_and_store_nothing);
async fn bad_webhooks_are_refused_and_store_nothing(app: &TestApp) {
    let body = br#"{"id":"evt_bad","type":"inbound"}"#;
    let path = "/webhooks/front";
    let now = support_store::now_ms();

    // Wrong secret.
    let sig = support_signing::front::sign(b"not-the-secret", now, body);
    let r = app
        .post_raw(
            path,
            &[
                ("x-front-signature", &sig),
                ("x-front-request-timestamp", &now.to_string()),
            ],
            body,
        )
        .await;
    assert_eq!(r.status(), 401);
    let err: ErrorBody = r.json().await.expect("json");
    assert_eq!(
        err.message, "invalid or missing signature",
        "generic, no oracle"
    );

    // Correctly signed but ten minutes old.
    let old = now - 600_000;
    let sig = support_signing::front::sign(app.front_app_secret.as_bytes(), old, body);
    let r = app
        .post_raw(
            path,
            &[
                ("x-front-signature", &sig),
                ("x-front-request-timestamp", &old.to_string()),
            ],
            body,
        )
        .await;
    assert_eq!(r.status(), 401);

    // No signature at all, and a garbage one: 401, never 500.
    let r = app.post_raw(path, &[], body).await;
    assert_eq!(r.status(), 401);
    let r = app
        .post_raw(
            path,
            &[
                ("x-front-signature", "%%%"),
                ("x-front-request-timestamp", "12ab"),
            ],
            body,
        )
        .await;
    assert_eq!(r.status(), 401);

    // Signed but malformed: 400, nothing stored.
    for bad in [
        &b"{not json"[..],
        &b"{\"type\":\"inbound\"}"[..],
        &[0xff, 0xfe][..],
    ] {
        let r = app.post_front_webhook(bad).await;
        assert_eq!(r.status(), 400, "{:?}", String::from_utf8_lossy(bad));
    }

    // Too large: 413 before anything else.
    let big = vec![b' '; 2 * 1024 * 1024];
    let r = app.post_front_webhook(&big).await;
    assert_eq!(r.status(), 413);

    assert_eq!(app.status().await.inbound_events, 0);
}

both!(the_front_challenge_is_echoed_after_verification);
async fn the_front_challenge_is_echoed_after_verification(app: &TestApp) {
    let (status, body) = app.front.send_challenge().await.expect("challenge");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert!(
        v["challenge"].as_str().is_some_and(|c| !c.is_empty()),
        "{body}"
    );
    // Unsigned challenge: refused.
    let r = app
        .post_raw("/webhooks/front", &[("x-front-challenge", "abc")], b"{}")
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(app.status().await.inbound_events, 0);
}

both!(an_unknown_inbox_is_acknowledged_and_not_dispatched);
async fn an_unknown_inbox_is_acknowledged_and_not_dispatched(app: &TestApp) {
    // No app owns the inbox.
    let d = app
        .customer_writes("cy@example.com", "Hello", "Anyone?")
        .await;
    assert_eq!(d.status, 200);
    assert_eq!(app.drain().await, 1);
    let list: Vec<ConversationView> = app.get_json("/api/v1/conversations").await;
    assert!(list.is_empty());
}

both!(apps_api_validates_and_reports_conflicts);
async fn apps_api_validates_and_reports_conflicts(app: &TestApp) {
    let ok = app
        .post_json(
            "/api/v1/apps",
            &serde_json::json!({"slug": "course-shop", "name": "Course Shop", "front_inbox_ids": ["inb_shop"]}),
        )
        .await;
    assert_eq!(ok.status(), 201);
    let created: NewAppResponse = ok.json().await.expect("app");
    assert!(created.success);
    assert_eq!(created.app.slug, "course-shop");
    assert_eq!(created.webhook_secret.len(), 64, "a 256-bit secret, hex");
    let created = created.app;

    let dup = app
        .post_json(
            "/api/v1/apps",
            &serde_json::json!({"slug": "course-shop", "name": "Again"}),
        )
        .await;
    assert_eq!(dup.status(), 409);

    let bad_slug = app
        .post_json(
            "/api/v1/apps",
            &serde_json::json!({"slug": "Bad Slug", "name": "x"}),
        )
        .await;
    assert_eq!(bad_slug.status(), 400);
    let err: ErrorBody = bad_slug.json().await.expect("err");
    assert!(err.message.contains("Bad Slug"), "{}", err.message);

    let bad_inbox = app
        .post_json(
            "/api/v1/apps",
            &serde_json::json!({"slug": "other", "name": "x", "front_inbox_ids": ["nope"]}),
        )
        .await;
    assert_eq!(bad_inbox.status(), 400);

    let not_json = app
        .http
        .post(format!("{}/api/v1/apps", app.url))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .expect("req");
    assert_eq!(not_json.status(), 400);

    let apps: Vec<AppView> = app.get_json("/api/v1/apps").await;
    assert_eq!(apps.len(), 1, "failed requests wrote nothing");
    let one: AppView = app.get_json("/api/v1/apps/course-shop").await;
    assert_eq!(one, created);
}

#[tokio::test]
async fn dashboard_login_and_escaping() {
    // A pinned clock: the message's decision run stays inside its debounce however slow the
    // logins below are on a loaded machine (on the wall clock it fell due before finish()).
    let app = TestApp::spawn_pinned().await;
    app.register_app("first-app").await;
    app.customer_writes("eve@example.com", "<script>alert(1)</script>", "<b>hi</b>")
        .await;
    app.drain().await;

    let anon = app.get_anon("/dashboard").await;
    assert_eq!(anon.status(), 303);
    assert_eq!(anon.headers()["location"], "/login");

    let wrong = app.login("wrong").await;
    assert_eq!(wrong.status(), 401);

    let ok = app.login(&app.admin_password).await;
    assert_eq!(ok.status(), 303);
    let cookie = ok.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = cookie.split(';').next().expect("pair").to_owned();

    let page = app
        .get_with_cookie("/dashboard", &session)
        .await
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(
        !page.contains("<script>alert(1)"),
        "subject must be escaped"
    );

    for path in ["/dashboard/apps", "/dashboard/audit", "/dashboard/events"] {
        let r = app.get_with_cookie(path, &session).await;
        assert_eq!(r.status(), 200, "{path}");
    }
    let audit = app
        .get_with_cookie("/dashboard/audit", &session)
        .await
        .text()
        .await
        .expect("html");
    assert!(audit.contains("Hash chain intact"), "{audit}");

    let out = app
        .http
        .post(format!("{}/logout", app.url))
        .header("cookie", &session)
        .send()
        .await
        .expect("req");
    assert_eq!(out.status(), 303);
    let after = app.get_with_cookie("/dashboard", &session).await;
    assert_eq!(after.status(), 303, "the session is gone after logout");
    app.finish().await;
}

#[tokio::test]
async fn unknown_routes_are_json_404s() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/nope").await;
    assert_eq!(r.status(), 404);
    let e: ErrorBody = r.json().await.expect("json");
    assert_eq!(e.error, "not_found");
    app.finish().await;
}

#[tokio::test]
#[should_panic(expected = "left 1 queued outbox item")]
async fn finish_fails_when_work_is_left_undone() {
    let app = TestApp::spawn().await;
    app.register_app("first-app").await;
    app.customer_writes("lazy@example.com", "Hi", "Hello").await;
    app.finish().await;
}

#[tokio::test]
async fn postgres_runs_under_ci() {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        let app = TestApp::spawn_on(Db::Postgres)
            .await
            .expect("postgres under CI");
        assert_eq!(app.state.store.backend().as_str(), "postgres");
        app.finish().await;
    }
}
