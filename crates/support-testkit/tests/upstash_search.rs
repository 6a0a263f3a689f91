//! Upstash Vector as the server's search backend (`[retrieval.upstash]`), against the fake
//! that speaks its REST API: a knowledge sync lands in the configured namespace, redacted;
//! a question an article covers is answered from it and cited; the status says which
//! backend searches; and no customer address reaches the hosted index, in documents or in
//! queries.

use serde_json::{Value, json};
use support_fakes::upstash::{FakeUpstash, FakeUpstashConfig};
use support_server::Secret;
use support_server::config::{UpstashEmbedding, UpstashSettings};
use support_testkit::{Db, TestApp};

const NAMESPACE: &str = "support";

async fn spawn() -> (TestApp, FakeUpstash) {
    let upstash = FakeUpstash::start(FakeUpstashConfig::default())
        .await
        .expect("fake upstash");
    let (url, token) = (upstash.url(), upstash.token());
    let app = TestApp::spawn_configured(Db::Sqlite, Some(support_store::now_ms()), move |c| {
        c.retrieval.upstash = Some(UpstashSettings {
            url,
            token: Secret::new(token),
            namespace: NAMESPACE.into(),
            hybrid: false,
            embedding: UpstashEmbedding::Hosted,
        });
    })
    .await
    .expect("sqlite is always available");
    (app, upstash)
}

async fn sync(app: &TestApp, files: &[Value]) -> Value {
    let (status, report) = app.put_knowledge("first-app", files).await;
    assert_eq!(status, 200, "{report}");
    report
}

#[tokio::test]
async fn knowledge_lives_in_upstash_and_answers_questions_with_citations() {
    let (app, upstash) = spawn().await;
    let _shop = app.connect_first_app(&[]).await;
    let mut files: Vec<Value> = first_app::knowledge_base()
        .into_iter()
        .map(|(path, text)| json!({"path": path, "text": text}))
        .collect();
    files.push(json!({"path": "contact.md", "text": "# Contact\n\nWrite to jo.support@shop.test or call (555) 123-4567."}));
    let report = sync(&app, &files).await;
    let chunks = report["chunks"].as_u64().expect("chunks") as usize;
    assert_eq!(upstash.vector_count(NAMESPACE), chunks, "{report}");
    assert_eq!(upstash.vector_count(""), 0, "only the configured namespace");
    // Idempotent through Upstash's range/fetch as through the embedded index.
    assert_eq!(sync(&app, &files).await["unchanged"], chunks as u64);

    let status: Value = app
        .http
        .get(format!("{}/api/v1/status", app.url))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("json");
    assert!(
        status["search"]
            .as_str()
            .is_some_and(|s| s.starts_with("Upstash Vector")),
        "{status}"
    );

    let conv = app
        .converse(
            "maya@example.com",
            "Question before buying",
            "Does the course include lifetime updates, and is there a student discount?",
        )
        .await;
    let body = app.draft_body(&conv).await;
    assert!(body.contains("Students get 30% off any course"), "{body}");
    let decision = app.decisions_for(&conv).await.pop().expect("decision");
    assert!(decision.retrieved.contains("kb:"), "{}", decision.retrieved);

    // A message with contact details is searched for too, redacted.
    app.converse(
        "sofia@example.com",
        "Help with my course",
        "My login keeps failing on the app. Call me on (555) 987-6543 or write to sofia.private@mail.test",
    )
    .await;
    // Nothing unredacted reached the hosted index: not in documents, not in queries.
    let sent: String = upstash
        .request_log()
        .iter()
        .map(|r| r.body.clone())
        .collect();
    assert!(
        !upstash.requests_to("query-data").is_empty(),
        "searched Upstash"
    );
    for leak in [
        "jo.support@shop.test",
        "123-4567",
        "987-6543",
        "sofia.private@mail.test",
        "sofia@example.com",
    ] {
        assert!(!sent.contains(leak), "{leak} reached Upstash");
    }
    app.finish().await;
    upstash.shutdown().await;
}
