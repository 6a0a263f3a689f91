//! `skill index rebuild` as an operator runs it against a platform (a TestApp on port 0)
//! whose index lost the conversations' history: it walks every page, resumes an unfinished
//! rebuild, and refuses bad flags with the usage exit code.

mod common;

use std::process::Output;

use serde_json::{Value, json};
use support_retrieval::DocType;
use support_testkit::TestApp;

async fn skill(app: &TestApp, args: &[&str]) -> Output {
    common::against(app, args).await
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "one JSON document on stdout ({e}): {} / {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// The ids of the index's history documents (not knowledge), sorted.
async fn history_ids(app: &TestApp) -> Vec<String> {
    let store = app.state.retrieval.store().expect("index");
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = store.range(&cursor, 100).await.expect("range");
        ids.extend(
            page.documents
                .into_iter()
                .filter(|d| d.metadata.doc_type != DocType::Knowledge)
                .map(|d| d.id),
        );
        match page.next_cursor {
            Some(next) => cursor = next,
            None => break,
        }
    }
    ids.sort();
    ids
}

#[tokio::test]
async fn rebuild_restores_the_history_and_resumes_an_unfinished_run() {
    let app = TestApp::spawn_pinned().await;
    let _shop = app.connect_first_app(&[]).await;
    let files: Vec<Value> = first_app::knowledge_base()
        .into_iter()
        .map(|(path, text)| json!({"path": path, "text": text}))
        .collect();
    assert_eq!(app.put_knowledge("first-app", &files).await.0, 200);
    for who in ["ana", "ben", "cy"] {
        let conv = app
            .converse(
                &format!("{who}@example.com"),
                "Lifetime updates?",
                "Does the course include lifetime updates?",
            )
            .await;
        app.teammate_resolves(&conv, None).await;
    }
    let history = history_ids(&app).await;
    assert_eq!(history.len(), 6, "{history:?}");
    let store = app.state.retrieval.store().unwrap();
    store.delete(&history).await.unwrap();

    // A run interrupted after its first page (as Ctrl-C would leave it).
    let resp = app
        .post_json("/api/v1/index/rebuild", &json!({"app": "first-app"}))
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    let resp = app
        .post_json(
            "/api/v1/index/rebuild/next",
            &json!({"app": "first-app", "limit": 1}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 200);

    let out = skill(
        &app,
        &[
            "--json",
            "index",
            "rebuild",
            "--app",
            "first-app",
            "--batch",
            "1",
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(report["resumed"], true, "{report}");
    assert_eq!(report["finished"], true);
    assert_eq!(
        (report["conversations"].as_i64(), report["total"].as_i64()),
        (Some(3), Some(3))
    );
    assert_eq!(report["documents"], 6);
    assert_eq!(history_ids(&app).await, history);

    // Every app, from the start, in one page; the human form says what happened.
    let out = skill(&app, &["index", "rebuild", "--restart"]).await;
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("3 conversation(s) read (every app), 6 document(s)"),
        "{text}"
    );

    for (args, code) in [
        (vec!["index", "rebuild", "--batch", "0"], 2),
        (vec!["index", "rebuild", "--concurrency", "17"], 2),
        (vec!["index", "rebuild", "--app", "no-such-app"], 6),
    ] {
        let out = skill(&app, &args).await;
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
    app.finish().await;
}
