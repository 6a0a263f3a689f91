//! Peer check 29, end to end: replies a teammate sends from Front are recorded (the `outbound`
//! webhook), and the next decision knows the thread. The customer confirming the fix gets no
//! draft; a customer writing again after a teammate's reply gets an internal comment for that
//! teammate, not a draft.

use support_fakes::front::InboundMessage;
use support_testkit::{INBOX, TestApp, first_app_email};

async fn write_again(app: &TestApp, cnv: &str, from: &str, body: &str) {
    let d = app
        .front
        .inject_inbound(InboundMessage {
            inbox_id: Some(INBOX.into()),
            conversation_id: Some(cnv.into()),
            from_email: from.into(),
            from_name: None,
            subject: "Re: Login".into(),
            body_text: body.into(),
        })
        .await
        .expect("deliver");
    assert_eq!(d.status, 200);
    app.drain().await;
    app.clock.as_ref().expect("pinned").advance_ms(11_000);
    app.drain().await;
}

#[tokio::test]
async fn check_29_the_next_decision_knows_the_thread() {
    let app = TestApp::spawn_pinned().await;
    let shop = app.connect_first_app(&[]).await;
    let jonas = first_app_email("usr_jonas");
    let cnv = app
        .converse(&jonas, "Login", "I can't log in to my course.")
        .await;
    assert_eq!(app.front.drafts(&cnv).len(), 1, "first message: a draft");

    // A teammate answers from Front; the platform records the reply.
    let d = app
        .front
        .teammate_replies(&cnv, "Here is a fresh sign-in link, try it now.")
        .await
        .expect("reply");
    assert_eq!(d.status, 200);
    app.drain().await;
    let (_, messages) = app.conversation(&cnv).await;
    assert_eq!(
        messages
            .iter()
            .filter(|m| m.direction == "outbound")
            .count(),
        1
    );

    // "That worked, all set": silence, nothing new.
    let actions_before = app.actions_for(&cnv).await.len();
    write_again(&app, &cnv, &jonas, "That worked, all set. Thanks!").await;
    let last = app.decisions_for(&cnv).await.pop().expect("decision");
    assert_eq!(last.routing, "silence", "{last:?}");
    assert_eq!(app.actions_for(&cnv).await.len(), actions_before);
    assert_eq!(app.front.drafts(&cnv).len(), 1);

    // A new problem after the teammate's reply: a comment for the teammate, no draft.
    write_again(
        &app,
        &cnv,
        &jonas,
        "Thanks, but now the videos won't play on my phone. Any idea?",
    )
    .await;
    let last = app.decisions_for(&cnv).await.pop().expect("decision");
    assert_eq!(last.routing, "comment", "{last:?}");
    assert_eq!(app.front.drafts(&cnv).len(), 1, "no new draft");
    let comments = app.front.comments(&cnv);
    assert_eq!(comments.len(), 1);
    assert!(format!("{:?}", comments[0]).contains("wrote again after a reply"));
    shop.shutdown().await;
    app.finish().await;
}
