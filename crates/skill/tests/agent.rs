//! `skill agent` and `skill test`, the binary against a real platform (in-process, with the
//! example app and fake Stripe): the PRD's answer shape on stdout, one JSON document with
//! `--json`, an approval request instead of a refund outside the window, and the task read
//! from stdin.

use std::process::Stdio;

use serde_json::Value;
use support_testkit::{Db, TestApp, first_app_email};
use tokio::io::AsyncWriteExt;

const BIN: &str = env!("CARGO_BIN_EXE_skill");

fn skill(app: &TestApp, args: &[&str]) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(BIN);
    c.args(args)
        .env("SKILL_URL", &app.url)
        .env("SKILL_TOKEN", &app.token)
        .env("SKILL_CONFIG", app.dir().join("no-cli-config.toml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

async fn run(app: &TestApp, args: &[&str], stdin: Option<&str>) -> (Option<i32>, String, String) {
    let mut child = skill(app, args).spawn().expect("spawn skill");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).await.expect("write stdin");
    }
    drop(input);
    let out = child.wait_with_output().await.expect("skill");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn skill_agent_answers_in_the_prd_shape_and_asks_for_approval_out_of_window() {
    let app = TestApp::spawn_with_clock(Db::Sqlite, support_store::now_ms())
        .await
        .expect("app");
    let shop = app.connect_first_app(&[]).await;
    let chen = first_app_email("usr_chen");
    let task = format!("refund the last charge for {chen} on first-app");
    let (code, out, err) = run(&app, &["agent", "--json", &task], None).await;
    assert_eq!(code, Some(0), "{err}");
    let v: Value = serde_json::from_str(&out).expect("exactly one JSON document");
    assert!(
        v["reasoning"].as_str().is_some_and(|r| !r.is_empty()),
        "{v}"
    );
    assert_eq!(v["action"]["type"], "refund");
    assert_eq!(v["result"]["success"], true);
    assert_eq!(v["result"]["status"], "awaiting_approval", "{v}");
    assert!(v.get("draftResponse").is_some());
    app.drain().await;
    assert_eq!(
        app.stripe.refund_count(),
        0,
        "an approval request, not a refund"
    );

    // The same through stdin; a human-readable answer without --json.
    let (code, out, err) = run(
        &app,
        // The worker of an in-process TestApp is off: don't wait for the action to run.
        &["agent", "--no-wait"],
        Some(&format!(
            r#"{{"task": "send a login link to {chen}", "app": "first-app"}}"#
        )),
    )
    .await;
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("action   magic_link"), "{out}");
    app.drain().await;

    // No app named: a usage problem the server refuses with a reason (exit 7).
    let (code, out, _) = run(&app, &["agent", "--json", "refund everything"], None).await;
    assert_eq!(code, Some(7));
    let v: Value = serde_json::from_str(&out).expect("one JSON error document");
    assert_eq!(v["success"], false);

    // `skill test`: the decision, nothing done.
    let (code, out, err) = run(
        &app,
        &[
            "test",
            "--json",
            "--app",
            "first-app",
            "--from",
            &first_app_email("usr_jonas"),
            "I want a refund",
        ],
        None,
    )
    .await;
    assert_eq!(code, Some(0), "{err}");
    let d: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(d["category"], "support_refund", "{d}");
    app.drain().await;
    assert_eq!(app.stripe.refund_count(), 0);
    shop.shutdown().await;
    app.finish().await;
}
