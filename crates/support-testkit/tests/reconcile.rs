//! Webhooks that never arrived: Front lists the event, reconciliation stores it through the
//! same path as a webhook (deduplicated by the event id), and the customer gets the draft a
//! delivered message would have got. Nothing is stored twice.

use support_fakes::InboundMessage;
use support_server::reconcile::reconcile_front;
use support_testkit::{INBOX, TestApp, both, first_app_email};

/// An operator's reconcile pass (`skill front reconcile`) with `body`; asserts 200 and
/// returns the report.
async fn operator_reconcile(app: &TestApp, body: &serde_json::Value) -> serde_json::Value {
    let r = app.post_json("/api/v1/front/reconcile", body).await;
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

both!(a_missed_webhook_is_recovered_once, pinned_clock);
async fn a_missed_webhook_is_recovered_once(app: &TestApp) {
    let _shop = app.connect_first_app(&[]).await;
    let maya = first_app_email("usr_maya");

    // One message arrives by webhook and is decided on.
    let delivered = app
        .converse(
            &maya,
            "Can't log in",
            "I can't log in, please send a login link.",
        )
        .await;
    assert_eq!(app.front.drafts(&delivered).len(), 1);

    // Another one is stored by Front, but its webhook never comes.
    let jonas = first_app_email("usr_jonas");
    let lost = app
        .front
        .receive_inbound_undelivered(InboundMessage {
            inbox_id: Some(INBOX.into()),
            conversation_id: None,
            from_email: jonas.clone(),
            from_name: Some("Jonas".into()),
            subject: "Locked out".into(),
            body_text: "I'm locked out of my account, could you send me a sign-in link?".into(),
        })
        .expect("stored by Front");
    assert_eq!(app.status().await.conversations, 1, "not seen yet");

    let r = reconcile_front(&app.state, 0, "system")
        .await
        .expect("reconcile");
    assert_eq!((r.listed, r.recovered), (2, 1), "{r:?}");
    app.drain().await;
    app.clock.as_ref().expect("pinned").advance_ms(3_500);
    app.drain().await;
    let drafts = app.front.drafts(&lost.conversation_id);
    assert_eq!(drafts.len(), 1, "the recovered message was answered");
    assert_eq!(app.status().await.conversations, 2);

    // Again: both are known now; nothing is stored, queued or drafted twice.
    let again = reconcile_front(&app.state, 0, "system")
        .await
        .expect("reconcile");
    assert_eq!((again.listed, again.recovered), (2, 0), "{again:?}");
    assert_eq!(app.drain().await, 0);
    assert_eq!(app.front.drafts(&lost.conversation_id).len(), 1);
    assert_eq!(app.front.drafts(&delivered).len(), 1);
    let (events, queued) = app.inbound_counts("front").await;
    assert_eq!(events, queued, "each event queued once");

    let audit = app.state.store.list_audit(200).await.expect("audit");
    let recovered: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "front.reconciled")
        .collect();
    assert_eq!(
        recovered.len(),
        1,
        "one audit entry, for the pass that recovered"
    );
    assert!(
        recovered[0].data.contains("\"recovered\":1"),
        "{}",
        recovered[0].data
    );
    assert_eq!(recovered[0].actor, "system");

    // An operator's pass (`skill front reconcile`): listed, nothing new, audited as theirs.
    let v = operator_reconcile(app, &serde_json::json!({"since_ms": 0})).await;
    assert_eq!(
        (v["listed"].as_u64(), v["recovered"].as_u64()),
        (Some(2), Some(0)),
        "{v}"
    );
    let audit = app.state.store.list_audit(5).await.expect("audit");
    assert_eq!(audit[0].action, "front.reconciled");
    assert!(audit[0].actor.starts_with("user:"), "{}", audit[0].actor);
    // Without a time: from 15 minutes before the newest stored event; both are in it.
    let v = operator_reconcile(app, &serde_json::json!({})).await;
    assert_eq!(
        (v["listed"].as_u64(), v["recovered"].as_u64()),
        (Some(2), Some(0)),
        "{v}"
    );
    for bad in [
        serde_json::json!({"since_ms": -1}),
        serde_json::json!({"since_ms": i64::MAX}),
        serde_json::json!({"since": "1h"}),
    ] {
        let r = app.post_json("/api/v1/front/reconcile", &bad).await;
        assert_eq!(r.status(), 400, "{bad}");
    }
}
