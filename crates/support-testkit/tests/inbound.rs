//! Inbound messages become decision runs: a burst on one conversation is coalesced into one
//! run that sees every message, runs are throttled per conversation, and redelivery does not
//! decide twice. SQLite and Postgres.

use support_fakes::front::InboundMessage;
use support_testkit::both;
use support_testkit::{Db, INBOX, TestApp};

async fn write(app: &TestApp, conversation: Option<&str>, n: usize) -> String {
    let d = app
        .front
        .inject_inbound(InboundMessage {
            inbox_id: Some(INBOX.into()),
            conversation_id: conversation.map(str::to_owned),
            from_email: "burst@example.com".into(),
            from_name: Some("Bea Burst".into()),
            subject: "Where is my refund?".into(),
            body_text: format!("message number {n}"),
        })
        .await
        .expect("deliver");
    assert_eq!(d.status, 200);
    d.conversation_id
}

both!(
    ten_messages_in_two_seconds_make_one_decision_run,
    pinned_clock
);
async fn ten_messages_in_two_seconds_make_one_decision_run(app: &TestApp) {
    let clock = app.clock.clone().expect("pinned clock");
    app.register_app("first-app").await;
    let conv = write(app, None, 0).await;
    for n in 1..10 {
        clock.advance_ms(200);
        write(app, Some(&conv), n).await;
    }
    // All ten stored and scheduled; the run waits for the debounce.
    assert_eq!(app.drain().await, 10);
    let runs = app.state.store.wf_list(None, 50).await.expect("runs");
    let inbound: Vec<_> = runs.iter().filter(|r| r.kind == "inbound").collect();
    assert_eq!(inbound.len(), 1, "one run for the burst");
    assert_eq!(inbound[0].status, "pending");

    clock.advance_ms(3_000);
    app.drain().await;
    let run = app
        .state
        .store
        .wf_get(&inbound[0].id)
        .await
        .expect("get")
        .expect("run");
    assert_eq!(run.status, "completed", "{run:?}");
    let out: serde_json::Value =
        serde_json::from_str(run.output.as_deref().expect("output")).expect("json");
    assert_eq!(
        out["messages"], 10,
        "the run saw every message of the burst"
    );
    // The app has no integration, so the refund request is answered without an action.
    assert_eq!(out["category"], "support_refund");
    assert_eq!(out["routing"], "respond");

    let (c, _) = app.conversation(&conv).await;
    let decisions = app
        .state
        .store
        .decisions_for(&c.id)
        .await
        .expect("decisions");
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].brain, "rules");

    // A later message gets its own run, not before the throttle interval.
    clock.advance_ms(1_000);
    write(app, Some(&conv), 11).await;
    app.drain().await;
    let later: Vec<_> = app
        .state
        .store
        .wf_list(None, 50)
        .await
        .expect("runs")
        .into_iter()
        .filter(|r| r.kind == "inbound" && r.id != run.id)
        .collect();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].status, "pending");
    let started = run.started_at.expect("started");
    assert!(
        later[0].next_run_at >= started + 10_000,
        "throttled to one run per 10 s"
    );
    clock.set_ms(later[0].next_run_at);
    app.drain().await;
    assert_eq!(
        app.state.store.decisions_for(&c.id).await.expect("d").len(),
        2
    );
}

both!(redelivery_does_not_schedule_twice, pinned_clock);
async fn redelivery_does_not_schedule_twice(app: &TestApp) {
    let clock = app.clock.clone().expect("pinned clock");
    let stored = app.register_app("first-app").await;
    let conv = write(app, None, 0).await;
    app.drain().await;
    let (c, msgs) = app.conversation(&conv).await;
    // The outbox item is delivered again (a crash before it was marked done).
    for _ in 0..2 {
        app.state
            .inbound
            .on_message(Some(&stored.id), &c.id, &msgs[0].front_message_id, "trace")
            .await
            .expect("schedule");
    }
    clock.advance_ms(3_000);
    app.drain().await;
    assert_eq!(
        app.state.store.decisions_for(&c.id).await.expect("d").len(),
        1
    );
    let _ = Db::Sqlite;
}
