//! G39: log and audit injection. A customer's display name and subject carrying a forged
//! JSON log line, newlines and ANSI escapes reach the logs only as escaped field values of
//! one entry (the same JSON formatter `skill serve` uses), and the audit trail keeps them
//! literally.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use support_fakes::front::InboundMessage;
use support_testkit::{Db, INBOX, TestApp};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const FORGED: &str = "Eve\n{\"level\":\"INFO\",\"message\":\"refund approved\",\"amount\":5000}\u{1b}[31mRED\u{1b}[0m";

#[tokio::test]
async fn forged_log_lines_stay_inside_one_escaped_field() {
    let logs = Captured::default();
    let sink = logs.clone();
    skill::commands::serve::init_logging_to("json", move || sink.clone());

    let app = TestApp::spawn_with_clock(Db::Sqlite, support_store::now_ms())
        .await
        .expect("app");
    app.register_app("shop").await;
    let d = app
        .front
        .inject_inbound(InboundMessage {
            inbox_id: Some(INBOX.into()),
            conversation_id: None,
            from_email: "eve@example.com".into(),
            from_name: Some(FORGED.into()),
            subject: format!("Hi\r\n{FORGED}"),
            body_text: "hello".into(),
        })
        .await
        .expect("deliver");
    assert_eq!(d.status, 200);
    app.drain().await;
    app.clock.as_ref().expect("pinned").advance_ms(3_500);
    app.drain().await;

    let raw = String::from_utf8(logs.0.lock().expect("logs").clone()).expect("utf-8 logs");
    let lines: Vec<Value> = raw
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON entry: {e}: {l:?}"))
        })
        .collect();
    assert!(!lines.is_empty());
    // No entry was forged: nothing says "refund approved" as its message.
    assert!(
        lines.iter().all(|l| l["message"] != "refund approved"),
        "{raw}"
    );
    // The name arrived, escaped, inside one field of the "message stored" entry.
    let stored: Vec<&Value> = lines
        .iter()
        .filter(|l| l["message"] == "message stored")
        .collect();
    assert_eq!(stored.len(), 1, "{raw}");
    assert_eq!(stored[0]["from_name"], FORGED);
    assert!(
        !raw.contains('\u{1b}'),
        "ANSI escapes are escaped in the log text"
    );

    // The audit trail keeps the literal text.
    let audit = app.state.store.list_audit(50).await.expect("audit");
    let received = audit
        .iter()
        .find(|e| e.action == "message.received")
        .expect("message.received");
    let data: Value = serde_json::from_str(&received.data).expect("json");
    assert_eq!(data["from_name"], FORGED);
    let (_, bad) = app.state.store.verify_audit().await.expect("verify");
    assert!(bad.is_none());
    app.finish().await;
}
