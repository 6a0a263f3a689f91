//! The knowledge base end to end: `PUT /api/v1/apps/{slug}/knowledge` indexes the example
//! shop's markdown (idempotent, deletions propagated, redacted), and a customer's question
//! that an article covers gets a draft quoting and citing it, with the article's id and
//! score on the decision.

use serde_json::{Value, json};
use support_testkit::TestApp;

fn shop_files() -> Vec<Value> {
    first_app::knowledge_base()
        .into_iter()
        .map(|(path, text)| json!({"path": path, "text": text}))
        .collect()
}

async fn sync(app: &TestApp, slug: &str, files: &[Value]) -> (u16, Value) {
    app.put_knowledge(slug, files).await
}

#[tokio::test]
async fn a_sync_indexes_each_section_once_and_propagates_deletions() {
    let app = TestApp::spawn_pinned().await;
    let _shop = app.connect_first_app(&[]).await;
    let files = shop_files();
    let (status, first) = sync(&app, "first-app", &files).await;
    assert_eq!(status, 200, "{first}");
    let sections = first["chunks"].as_u64().unwrap();
    assert!(sections >= 6, "{first}");
    assert_eq!(first["added"], sections);

    let (_, again) = sync(&app, "first-app", &files).await;
    assert_eq!(again["unchanged"], sections, "{again}");
    assert_eq!(again["added"], 0);
    assert_eq!(again["updated"], 0);

    // One file edited, one removed.
    let mut changed: Vec<Value> = files
        .iter()
        .filter(|f| f["path"] != "refunds.md")
        .cloned()
        .collect();
    let pricing = changed
        .iter_mut()
        .find(|f| f["path"] == "pricing.md")
        .unwrap();
    pricing["text"] = Value::String(
        pricing["text"]
            .as_str()
            .unwrap()
            .replace("30% off", "40% off"),
    );
    let (_, third) = sync(&app, "first-app", &changed).await;
    assert_eq!(third["updated"], 1, "{third}");
    assert_eq!(third["deleted"], 2, "refunds.md had two sections: {third}");
    app.finish().await;
}

#[tokio::test]
async fn bad_syncs_are_refused_with_a_reason_and_change_nothing() {
    let app = TestApp::spawn_pinned().await;
    let _shop = app.connect_first_app(&[]).await;
    let (status, body) = sync(&app, "first-app", &[]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("no files"));
    for path in ["../escape.md", "/abs.md", "notes.txt", "a//b.md"] {
        let (status, body) = sync(&app, "first-app", &[json!({"path": path, "text": "# x"})]).await;
        assert_eq!(status, 400, "{path}: {body}");
    }
    let twice = [
        json!({"path": "a.md", "text": "x"}),
        json!({"path": "a.md", "text": "y"}),
    ];
    assert_eq!(sync(&app, "first-app", &twice).await.0, 400);
    assert_eq!(sync(&app, "no-such-app", &shop_files()).await.0, 404);
    let bad_json = app
        .http
        .put(format!("{}/api/v1/apps/first-app/knowledge", app.url))
        .bearer_auth(&app.token)
        .json(&json!({"files": [{"path": "a.md"}]}))
        .send()
        .await
        .unwrap();
    assert!(bad_json.status().is_client_error());
    let store = app.state.retrieval.store().expect("index open");
    assert_eq!(store.info().await.unwrap().documents, 0, "nothing written");
    app.finish().await;
}

#[tokio::test]
async fn indexed_articles_hold_no_email_card_or_phone() {
    let app = TestApp::spawn_pinned().await;
    let _shop = app.connect_first_app(&[]).await;
    let file = json!({"path": "contact.md", "text": "# Contact\n\nWrite to jo.support@shop.test or call (555) 123-4567. Card 4532 1234 5678 9012 was a test."});
    let (status, body) = sync(&app, "first-app", &[file]).await;
    assert_eq!(status, 200, "{body}");
    let store = app.state.retrieval.store().unwrap();
    let page = store.range("", 100).await.unwrap();
    let text: String = page.documents.iter().map(|d| d.data.clone()).collect();
    assert!(
        text.contains("[EMAIL]") && text.contains("[PHONE]") && text.contains("[CARD]"),
        "{text}"
    );
    for leak in ["jo.support@shop.test", "123-4567", "9012"] {
        assert!(!text.contains(leak), "{leak} reached the index: {text}");
    }
    app.finish().await;
}

#[tokio::test]
async fn a_question_an_article_covers_gets_a_cited_answer_and_the_decision_records_it() {
    let app = TestApp::spawn_pinned().await;
    let _shop = app.connect_first_app(&[]).await;
    assert_eq!(sync(&app, "first-app", &shop_files()).await.0, 200);
    let conv = app
        .converse(
            "maya@example.com",
            "Question before buying",
            "Does the course include lifetime updates, and is there a student discount?",
        )
        .await;
    let body = app.draft_body(&conv).await;
    assert!(body.contains("lifetime updates"), "{body}");
    assert!(body.contains("Students get 30% off any course"), "{body}");
    assert!(
        body.contains("https://first-app.example/help/pricing#updates-and-student-discounts"),
        "{body}"
    );
    let retrieved = app.retrieved(&conv).await;
    assert!(
        retrieved
            .iter()
            .any(|(id, _)| id.starts_with("kb:") && id.contains("pricing.md")),
        "{retrieved:?}"
    );
    assert!(retrieved[0].1 > 0.0);

    // A question no article covers gets no made-up answer.
    let other = app
        .converse(
            "maya@example.com",
            "VAT",
            "Can your invoices show my company's VAT number and registered office?",
        )
        .await;
    let quoted = app
        .actions_for(&other)
        .await
        .iter()
        .any(|a| a.params.contains("help article"));
    assert!(!quoted);
    app.finish().await;
}
