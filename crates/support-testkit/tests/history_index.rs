//! The platform's own history in the search index: a reply a teammate sends as we drafted it
//! becomes a `response` document, an archived conversation a `conversation` document, both
//! redacted; the brain's next similar question finds them; `POST /api/v1/index/rebuild`
//! (behind `skill index rebuild`) backfills page by page and resumes after an interruption.

use serde_json::{Value, json};
use support_retrieval::{DocType, Document};
use support_testkit::TestApp;

async fn all_documents(app: &TestApp) -> Vec<Document> {
    let store = app.state.retrieval.store().expect("index open");
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = store.range(&cursor, 100).await.expect("range");
        out.extend(page.documents);
        match page.next_cursor {
            Some(next) => cursor = next,
            None => return out,
        }
    }
}

fn of_kind(docs: &[Document], kind: DocType) -> Vec<&Document> {
    docs.iter()
        .filter(|d| d.metadata.doc_type == kind)
        .collect()
}

/// The example app (keep it: dropping it stops its server) with its knowledge indexed.
async fn shop_with_knowledge(app: &TestApp) -> first_app::FirstApp {
    let shop = app.connect_first_app(&[]).await;
    let files: Vec<Value> = first_app::knowledge_base()
        .into_iter()
        .map(|(path, text)| json!({"path": path, "text": text}))
        .collect();
    assert_eq!(app.put_knowledge("first-app", &files).await.0, 200);
    shop
}

const QUESTION: &str = "Hello, does the course include lifetime updates, and is there a \
    student discount? You can call me on (555) 123-4567 or write to maya.rivers@example.com.";

#[tokio::test]
async fn a_reply_sent_as_drafted_and_a_resolved_conversation_are_indexed_redacted_and_found() {
    let app = TestApp::spawn_pinned().await;
    let _shop = shop_with_knowledge(&app).await;
    let conv = app
        .converse("maya.rivers@example.com", "Lifetime updates?", QUESTION)
        .await;
    let draft = app.draft_body(&conv).await;

    // Sent as drafted: a response document, before the conversation is even archived.
    let sent = app
        .front
        .teammate_replies(&conv, &draft)
        .await
        .expect("reply");
    assert_eq!(sent.status, 200);
    app.drain().await;
    let docs = all_documents(&app).await;
    let responses = of_kind(&docs, DocType::Response);
    assert_eq!(responses.len(), 1, "{responses:#?}");
    let response = responses[0];
    assert!(response.id.starts_with("response:"), "{}", response.id);
    assert!(response.metadata.trust_score.unwrap() > 0.95);
    assert_eq!(response.metadata.extra["diff"], "unmodified");
    assert!(of_kind(&docs, DocType::Conversation).is_empty());

    // Archived: the resolution document.
    let archived = app.front.teammate_archives(&conv).await.expect("archive");
    assert_eq!(archived.status, 200);
    app.drain().await;
    let docs = all_documents(&app).await;
    let conversations = of_kind(&docs, DocType::Conversation);
    assert_eq!(conversations.len(), 1);
    let resolved = conversations[0];
    let id = app.conversation_id(&conv).await;
    assert_eq!(resolved.id, format!("conversation:{id}"));
    let m = &resolved.metadata;
    assert_eq!(m.app_id, app.app_row("first-app").await.id);
    assert_eq!(m.resolution.as_deref(), Some("replied"));
    assert_eq!(m.sentiment.as_deref(), Some("neutral"));
    assert_eq!(m.extra["touchCount"], 1);
    let decisions = app.decisions_for(&conv).await;
    assert_eq!(m.category.as_deref(), Some(decisions[0].category.as_str()));
    assert!(
        resolved.data.contains("lifetime updates"),
        "{}",
        resolved.data
    );
    let (row, _) = app
        .state
        .store
        .conversation(&id)
        .await
        .unwrap()
        .expect("conversation");
    assert_eq!(row.status, "archived");
    assert!(row.resolved_at.is_some());

    // Nothing of the customer's identity reached the index: address, phone, display name
    // ("Test Customer", as the fake Front sends it), whole or in part.
    for doc in [resolved, response] {
        let text = format!(
            "{} {}",
            doc.data,
            serde_json::to_string(&doc.metadata).unwrap()
        );
        for leak in [
            "maya.rivers",
            "example.com",
            "123-4567",
            "Test Customer",
            "Customer",
        ] {
            assert!(!text.contains(leak), "{leak} reached the index: {text}");
        }
    }
    assert!(resolved.data.contains("[PHONE]") && resolved.data.contains("[EMAIL]"));

    // The next customer asking the same finds the resolved ticket and the trusted reply.
    let next = app
        .converse(
            "li@example.com",
            "Updates",
            "Does the course include lifetime updates? And is there a student discount?",
        )
        .await;
    let ids: Vec<String> = app
        .retrieved(&next)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert!(ids.contains(&resolved.id), "{ids:?}");
    assert!(ids.contains(&response.id), "{ids:?}");
    app.finish().await;
}

#[tokio::test]
async fn a_rewritten_reply_is_not_a_trusted_response_and_an_unresolved_thread_is_no_ticket() {
    let app = TestApp::spawn_pinned().await;
    let _shop = shop_with_knowledge(&app).await;
    let conv = app
        .converse("sam@example.com", "Lifetime updates?", QUESTION)
        .await;
    let sent = app
        .front
        .teammate_replies(
            &conv,
            "Sam, short version: yes to both. Ping me if anything else comes up.",
        )
        .await
        .expect("reply");
    assert_eq!(sent.status, 200);
    app.drain().await;
    let docs = all_documents(&app).await;
    assert!(of_kind(&docs, DocType::Response).is_empty(), "{docs:#?}");
    assert!(of_kind(&docs, DocType::Conversation).is_empty());

    // Archived with the rewritten reply: a resolved ticket, still no trusted response.
    app.front.teammate_archives(&conv).await.expect("archive");
    app.drain().await;
    let docs = all_documents(&app).await;
    assert_eq!(of_kind(&docs, DocType::Conversation).len(), 1);
    assert!(of_kind(&docs, DocType::Response).is_empty());

    // Archived without any reply: nothing to learn from.
    let silent = app
        .converse("kim@example.com", "Lifetime updates?", QUESTION)
        .await;
    app.front.teammate_archives(&silent).await.expect("archive");
    app.drain().await;
    assert_eq!(
        of_kind(&all_documents(&app).await, DocType::Conversation).len(),
        1
    );
    app.finish().await;
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let resp = app.post_json(path, &body).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_rebuild_backfills_page_by_page_and_resumes_after_an_interruption() {
    let app = TestApp::spawn_pinned().await;
    let _shop = shop_with_knowledge(&app).await;
    for who in ["ana", "ben", "cy"] {
        let conv = app
            .converse(&format!("{who}@example.com"), "Lifetime updates?", QUESTION)
            .await;
        app.teammate_resolves(&conv, None).await;
    }
    // An index that lost the history (a new model, a wiped folder, a new Upstash index).
    let store = app.state.retrieval.store().unwrap();
    let history: Vec<String> = all_documents(&app)
        .await
        .into_iter()
        .filter(|d| d.metadata.doc_type != DocType::Knowledge)
        .map(|d| d.id)
        .collect();
    assert_eq!(history.len(), 6, "{history:?}");
    store.delete(&history).await.unwrap();

    // Nothing started yet for this app: a page is refused.
    let (status, body) = post(
        &app,
        "/api/v1/index/rebuild/next",
        json!({"app": "first-app"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");

    let (status, started) = post(&app, "/api/v1/index/rebuild", json!({"app": "first-app"})).await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(
        (started["total"].as_i64(), started["conversations"].as_i64()),
        (Some(3), Some(0))
    );
    let (_, page) = post(
        &app,
        "/api/v1/index/rebuild/next",
        json!({"app": "first-app", "limit": 1, "concurrency": 2}),
    )
    .await;
    assert_eq!(page["conversations"], 1, "{page}");
    assert_eq!(page["documents"], 2);
    assert_eq!(page["finished"], false);

    // Interrupted here. Starting again resumes after the first page.
    let (_, resumed) = post(&app, "/api/v1/index/rebuild", json!({"app": "first-app"})).await;
    assert_eq!(resumed["resumed"], true, "{resumed}");
    assert_eq!(resumed["conversations"], 1);
    let mut last = resumed;
    for _ in 0..5 {
        let (status, page) = post(
            &app,
            "/api/v1/index/rebuild/next",
            json!({"app": "first-app", "limit": 1}),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        last = page;
        if last["finished"] == true {
            break;
        }
    }
    assert_eq!(last["finished"], true, "{last}");
    assert_eq!(
        (last["conversations"].as_i64(), last["documents"].as_i64()),
        (Some(3), Some(6))
    );
    let mut back: Vec<String> = all_documents(&app)
        .await
        .into_iter()
        .filter(|d| d.metadata.doc_type != DocType::Knowledge)
        .map(|d| d.id)
        .collect();
    back.sort();
    let mut want = history.clone();
    want.sort();
    assert_eq!(back, want);

    // Finished: a new start begins again from the first conversation.
    let (_, again) = post(&app, "/api/v1/index/rebuild", json!({"app": "first-app"})).await;
    assert_eq!(
        (again["resumed"].as_bool(), again["conversations"].as_i64()),
        (Some(false), Some(0))
    );

    // Bad input is refused with a reason.
    for (path, body, want) in [
        ("/api/v1/index/rebuild/next", json!({"limit": 0}), 400),
        ("/api/v1/index/rebuild/next", json!({"limit": 1001}), 400),
        (
            "/api/v1/index/rebuild/next",
            json!({"concurrency": 17}),
            400,
        ),
        ("/api/v1/index/rebuild", json!({"app": "no-such-app"}), 404),
        ("/api/v1/index/rebuild", json!({"apps": "first-app"}), 422),
    ] {
        let (status, body) = post(&app, path, body).await;
        assert_eq!(status, want, "{path}: {body}");
    }
    app.finish().await;
}
