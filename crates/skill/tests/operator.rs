//! The operator commands, black-box: the `skill` binary against a real platform (a TestApp
//! on port 0) wired to the example app and the fake Stripe.
//!
//! Bulk refunds: 500 rows are evaluated in a dry run with zero side effects (no POST at the
//! fake Stripe, no write in the app, no action, no audit entry), then executed through the
//! policy and the ledger (rows inside the refund window refund, the others wait for an
//! approver), then run again from the same file with nothing executed twice.

mod common;

use std::process::Output;
use std::time::Instant;

use first_app::FirstApp;
use serde_json::Value;
use support_fakes::stripe::SeedCharge;
use support_store::sqlx;
use support_testkit::{Db, TestApp};

const BIN: &str = env!("CARGO_BIN_EXE_skill");
const ACCOUNT: &str = support_testkit::FIRST_APP_ACCOUNT;
const DAY: i64 = 86_400;

async fn setup(app: &TestApp, policy: Option<&str>) -> FirstApp {
    let shop = app.connect_first_app(&[]).await;
    if let Some(policy) = policy {
        app.set_policy("first-app", policy).await;
    }
    shop
}

/// `skill ARGS` against the TestApp, asynchronously (the server runs on this runtime).
async fn skill(app: &TestApp, args: &[&str]) -> Output {
    common::against(app, args).await
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("one JSON document on stdout ({e}): {}", stdout(o)))
}

fn stripe_posts(app: &TestApp) -> usize {
    app.stripe
        .request_log()
        .iter()
        .filter(|r| r.method == "POST")
        .count()
}

/// Rows the example app wrote because of the platform (revocations, transfers, links).
async fn app_writes(shop: &FirstApp) -> i64 {
    let mut n = 0;
    for table in ["revocations", "transfers", "magic_links"] {
        let (c,): (i64,) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(shop.pool())
                .await
                .expect("count");
        n += c;
    }
    n
}

/// `rows` purchases for 10 new customers, half inside the 30-day refund window (5 days
/// old) and half past it (35 days: approval), each with its charge at the fake Stripe.
async fn seed_bulk(app: &TestApp, shop: &FirstApp, rows: usize) -> Vec<(String, String, bool)> {
    let now = support_store::now_ms() / 1000;
    let mut out = Vec::new();
    let mut tx = shop.pool().begin().await.expect("tx");
    for u in 0..10 {
        sqlx::query("INSERT INTO users (id, email, name, created_at) VALUES (?, ?, ?, ?)")
            .bind(format!("usr_bulk_{u}"))
            .bind(format!("bulk{u}@example.com"))
            .bind(format!("Bulk {u}"))
            .bind(now - 90 * DAY)
            .execute(&mut *tx)
            .await
            .expect("user");
    }
    for i in 0..rows {
        let u = i % 10;
        let within = i % 2 == 0;
        let age = if within { 5 * DAY } else { 35 * DAY };
        let (pur, ch) = (format!("pur_bulk_{i}"), format!("ch_bulk_{i}"));
        sqlx::query(
            "INSERT INTO purchases (id, user_id, product_id, amount_cents, currency, purchased_at, status, stripe_charge_id)
             VALUES (?, ?, 'prd_ts_essentials', ?, 'usd', ?, 'active', ?)",
        )
        .bind(&pur)
        .bind(format!("usr_bulk_{u}"))
        .bind(1_000 + i as i64)
        .bind(now - age)
        .bind(&ch)
        .execute(&mut *tx)
        .await
        .expect("purchase");
        app.stripe.add_charge(
            ACCOUNT,
            SeedCharge {
                id: ch.clone(),
                amount: 1_000 + i as i64,
                currency: "usd".into(),
                created: now - age,
                payment_intent: None,
                customer_email: Some(format!("bulk{u}@example.com")),
            },
        );
        out.push((ch, format!("bulk{u}@example.com"), within));
    }
    tx.commit().await.expect("commit");
    out
}

/// The admin is not an approver here, so refunds past the window wait for someone else.
const POLICY: &str = "approvers = [\"user:lead@example.com\"]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_refunds_dry_run_then_exactly_once() {
    let app = TestApp::spawn_on(Db::Sqlite).await.expect("app");
    let shop = setup(&app, Some(POLICY)).await;
    let rows = seed_bulk(&app, &shop, 500).await;
    let mut csv = String::from("charge,email,amount,reason\n");
    for (i, (ch, email, _)) in rows.iter().enumerate() {
        // Every tenth row refunds part of the charge; the others all that is left.
        let amount = if i % 10 == 4 { "500" } else { "" };
        csv.push_str(&format!("{ch},{email},{amount},bulk goodwill {i}\n"));
    }
    // Two bad rows (rows 501 and 502): reported with their numbers, skipped.
    csv.push_str("ch_bulk_0,not-an-email,,x\n");
    csv.push_str("ch_bulk_1,bulk1@example.com,-5,x\n");
    let file = app.dir().join("refunds.csv");
    std::fs::write(&file, &csv).expect("write csv");
    let file = file.to_str().expect("utf8");
    let audit_before = app
        .state
        .store
        .counts()
        .await
        .expect("counts")
        .audit_entries;

    // Dry run: every row evaluated, zero side effects.
    let t = Instant::now();
    let out = skill(
        &app,
        &[
            "refund",
            "--bulk",
            "--csv",
            file,
            "--app",
            "first-app",
            "--dry-run",
            "--json",
        ],
    )
    .await;
    let dry_secs = t.elapsed().as_secs_f64();
    assert_eq!(
        out.status.code(),
        Some(1),
        "invalid rows make the run partial: {}",
        stderr(&out)
    );
    let report = json(&out);
    assert_eq!(report["success"], false);
    assert_eq!(report["dry_run"], true);
    assert_eq!(
        (
            report["rows"].as_u64(),
            report["valid"].as_u64(),
            report["invalid"].as_u64()
        ),
        (Some(502), Some(500), Some(2))
    );
    assert_eq!(report["verdicts"]["auto"], 250, "{}", report["verdicts"]);
    assert_eq!(report["verdicts"]["approval"], 250);
    let results = report["results"].as_array().expect("results");
    assert_eq!(results.len(), 502);
    assert_eq!(results[500]["row"], 501);
    assert_eq!(results[500]["verdict"], "invalid");
    assert!(
        results[500]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not-an-email"))
    );
    assert_eq!(results[501]["row"], 502);
    assert!(
        results[501]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("positive"))
    );
    assert!(results[..500].iter().all(|r| r["action_id"].is_null()));
    assert_eq!(results[0]["rule"], "refund_auto_window");
    assert_eq!(results[1]["rule"], "refund_approval_window");
    assert_eq!(stripe_posts(&app), 0, "no POST reached Stripe");
    assert_eq!(app_writes(&shop).await, 0, "no write reached the app");
    assert!(
        app.state
            .store
            .list_actions(None, 10)
            .await
            .expect("actions")
            .is_empty()
    );
    assert_eq!(
        app.state
            .store
            .counts()
            .await
            .expect("counts")
            .audit_entries,
        audit_before,
        "a dry run writes nothing, not even audit entries"
    );
    assert!(
        stderr(&out).lines().all(|l| l.starts_with("error:")),
        "only the error on stderr: {}",
        stderr(&out)
    );

    // For real: each row through the policy and the ledger.
    let t = Instant::now();
    let out = skill(
        &app,
        &[
            "refund",
            "--bulk",
            "--csv",
            file,
            "--app",
            "first-app",
            "--json",
        ],
    )
    .await;
    let real_secs = t.elapsed().as_secs_f64();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let first = json(&out);
    assert_eq!(first["verdicts"]["auto"], 250, "{}", first["verdicts"]);
    assert_eq!(first["verdicts"]["approval"], 250);
    let t = Instant::now();
    app.drain().await;
    let drain_secs = t.elapsed().as_secs_f64();
    assert_eq!(
        app.stripe.refund_count(),
        250,
        "rows inside the window refunded"
    );
    let refunds = app.stripe.refunds(ACCOUNT);
    let charges: std::collections::HashSet<&str> =
        refunds.iter().map(|r| r.charge.as_str()).collect();
    assert_eq!(charges.len(), 250, "one refund per charge");
    for (i, (ch, _, within)) in rows.iter().enumerate() {
        assert_eq!(charges.contains(ch.as_str()), *within, "row {}", i + 1);
    }
    assert!(
        refunds.iter().any(|r| r.amount == 500),
        "a partial amount is honoured"
    );
    let pending = app
        .state
        .store
        .list_approvals(Some("pending"), 1_000)
        .await
        .expect("approvals");
    assert_eq!(
        pending.len(),
        250,
        "rows past the window wait for an approver"
    );
    assert!(
        pending
            .iter()
            .all(|a| a.approvers == ["user:lead@example.com"])
    );
    assert_eq!(
        app_writes(&shop).await,
        250,
        "access revoked once per refund"
    );
    let ids = |r: &Value| -> Vec<String> {
        r["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter_map(|x| x["action_id"].as_str().map(str::to_owned))
            .collect()
    };
    let first_ids = ids(&first);
    assert_eq!(first_ids.len(), 500);
    let posts = stripe_posts(&app);

    // Again, same file: every row finds its action; nothing runs twice.
    let out = skill(
        &app,
        &[
            "refund",
            "--bulk",
            "--csv",
            file,
            "--app",
            "first-app",
            "--json",
        ],
    )
    .await;
    let again = json(&out);
    assert_eq!(again["verdicts"]["existing"], 500, "{}", again["verdicts"]);
    assert_eq!(ids(&again), first_ids, "the same action ids");
    app.drain().await;
    assert_eq!(app.stripe.refund_count(), 250);
    assert_eq!(stripe_posts(&app), posts, "not one more POST at Stripe");
    assert_eq!(
        app.state
            .store
            .list_actions(None, 2_000)
            .await
            .expect("a")
            .len(),
        500
    );

    // The human report and CSV output of the same run.
    let out = skill(
        &app,
        &[
            "refund",
            "--bulk",
            "--csv",
            file,
            "--app",
            "first-app",
            "--dry-run",
            "--format",
            "csv",
        ],
    )
    .await;
    let text = stdout(&out);
    assert!(
        text.starts_with("row,line,target,email,verdict,rule,action_id,state,detail\n"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 503);
    assert!(
        stderr(&out).lines().all(|l| l.starts_with("error:")),
        "no hint or progress without a terminal: {}",
        stderr(&out)
    );
    eprintln!(
        "500 rows: dry run {dry_secs:.1} s, proposing {real_secs:.1} s, executing (drain) {drain_secs:.1} s"
    );
    shop.shutdown().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_files_without_a_selection_are_refused() {
    let app = TestApp::spawn_on(Db::Sqlite).await.expect("app");
    let shop = setup(&app, None).await;
    let dir = app.dir().to_owned();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p.to_str().expect("utf8").to_owned()
    };
    let empty = write("empty.csv", "");
    let header = write("header.csv", "charge,email,reason\n");
    let all_bad = write("bad.csv", "charge,email,reason\nnope,x,y\n");
    let typo = write("typo.csv", "charge,email,ammount\nch_1,a@example.com,5\n");
    for (f, code) in [(&empty, 2), (&header, 2), (&all_bad, 2), (&typo, 2)] {
        let out = skill(
            &app,
            &[
                "refund",
                "--bulk",
                "--csv",
                f,
                "--app",
                "first-app",
                "--reason",
                "r",
            ],
        )
        .await;
        assert_eq!(out.status.code(), Some(code), "{f}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
    let out = skill(
        &app,
        &[
            "refund",
            "--bulk",
            "--csv",
            &all_bad,
            "--app",
            "first-app",
            "--json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json(&out)["code"], 2);
    assert!(stderr(&out).contains("row 1 (line 2)"), "{}", stderr(&out));
    let out = skill(
        &app,
        &[
            "refund",
            "--bulk",
            "--csv",
            "/nonexistent.csv",
            "--app",
            "first-app",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    // --bulk without --csv, a target with --bulk, a single refund without a reason: usage.
    for args in [
        &["refund", "--bulk", "--app", "first-app"][..],
        &[
            "refund",
            "ch_1",
            "--bulk",
            "--csv",
            &empty,
            "--app",
            "first-app",
        ][..],
        &["refund", "ch_1", "--app", "first-app"][..],
        &["transfer", "pur_1", "--app", "first-app"][..],
    ] {
        let out = skill(&app, args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    // A bulk transfer, dry run.
    let t = write(
        "t.csv",
        "purchase,email,to\npur_sofia_react,sofia.alvarez@example.com,sofia.work@example.org\n",
    );
    let out = skill(
        &app,
        &[
            "transfer",
            "--bulk",
            "--csv",
            &t,
            "--app",
            "first-app",
            "--dry-run",
            "--json",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["results"][0]["verdict"], "approval", "{r}");
    assert_eq!(app_writes(&shop).await, 0);
    shop.shutdown().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_actions_observation_and_data_from_the_command_line() {
    let app = TestApp::spawn_on(Db::Sqlite).await.expect("app");
    let shop = setup(&app, None).await;
    let jonas = "jonas.becker@example.org";

    // One refund, auto: one JSON document, nothing on stderr without a terminal.
    let out = skill(
        &app,
        &[
            "refund",
            "pur_jonas_ess",
            "--email",
            jonas,
            "--app",
            "first-app",
            "--reason",
            "not for him",
            "--json",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["verdict"], "auto");
    let id = r["action"]["id"].as_str().expect("id").to_owned();
    app.drain().await;
    assert_eq!(app.stripe.refund_count(), 1);

    // Human output says what happened.
    let out = skill(
        &app,
        &[
            "refund",
            "ch_seed_chen_tt",
            "--email",
            "chen.wei@example.org",
            "--app",
            "first-app",
            "--reason",
            "duplicate",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("you are an approver"),
        "{}",
        stdout(&out)
    );
    app.drain().await;
    assert_eq!(app.stripe.refund_count(), 2);

    // Refused by the policy: non-zero, a clear message, nothing written.
    let before = app
        .state
        .store
        .list_actions(None, 100)
        .await
        .expect("a")
        .len();
    let out = skill(
        &app,
        &[
            "refund",
            "ch_seed_emily_ess",
            "--email",
            "emily.nguyen@example.com",
            "--app",
            "first-app",
            "--reason",
            "late",
            "--json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let e = json(&out);
    assert_eq!(e["success"], false);
    assert!(
        e["error"].as_str().is_some_and(|m| m.contains("escalate")),
        "{e}"
    );
    assert_eq!(
        app.state
            .store
            .list_actions(None, 100)
            .await
            .expect("a")
            .len(),
        before
    );
    let out = skill(
        &app,
        &[
            "cancel-subscription",
            "sub_seed_sofia_pro",
            "--app",
            "first-app",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(7));
    assert!(
        stderr(&out).contains("not supported by the app"),
        "{}",
        stderr(&out)
    );
    let out = skill(
        &app,
        &[
            "magic-link",
            "maya.patel@example.com",
            "--app",
            "first-app",
            "--dry-run",
            "--json",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["verdict"], "auto");

    // A conversation, then the operator's views of it.
    app.customer_writes(
        jonas,
        "=HYPERLINK(\"http://evil\")",
        "Hi, my new phone is 555-123-4567 and I can't access my course content",
    )
    .await;
    app.drain().await;
    tokio::time::sleep(std::time::Duration::from_millis(3_200)).await;
    app.drain().await;
    let out = skill(&app, &["history", jonas, "--app", "first-app", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let h = json(&out);
    assert_eq!(h["conversations"].as_array().map(Vec::len), Some(1), "{h}");
    assert_eq!(h["other_actions"][0]["id"], id);
    let out = skill(
        &app,
        &["history", jonas, "--app", "first-app", "--format", "csv"],
    )
    .await;
    let text = stdout(&out);
    assert!(
        text.starts_with(
            "record,conversation,id,at,subject,status,category,route,kind,state,amount\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(",\"'=HYPERLINK(\"\"http://evil\"\")\","),
        "formula cells are neutralised and quoted: {text}"
    );
    assert!(text.contains(",refund,succeeded,149.00\n"), "{text}");
    let out = skill(&app, &["actions", "--format", "csv"]).await;
    assert!(stdout(&out).starts_with("id,kind,state,amount,created,updated,trace,error\n"));
    let out = skill(
        &app,
        &["metrics", "--app", "first-app", "--period", "1h", "--json"],
    )
    .await;
    let m = json(&out);
    assert_eq!(m["conversations"], 1, "{m}");
    assert_eq!(m["decisions_by_category"]["support_access"], 1, "{m}");
    let out = skill(&app, &["metrics", "--app", "first-app", "--format", "csv"]).await;
    assert!(
        stdout(&out).starts_with("metric,key,value\nconversations,,1\n"),
        "{}",
        stdout(&out)
    );
    let out = skill(&app, &["logs", "--app", "first-app", "--since", "10m"]).await;
    assert!(out.status.success());
    assert!(stdout(&out).contains("support_access"), "{}", stdout(&out));
    for bad in [
        &["logs", "--app", "first-app", "--since", "yesterday"][..],
        &["metrics", "--app", "first-app", "--period", "1y"][..],
    ] {
        assert_eq!(skill(&app, bad).await.status.code(), Some(2), "{bad:?}");
    }

    // Export (redacted), enrich, sample.
    let export = app.dir().join("export.jsonl");
    let export_s = export.to_str().expect("utf8");
    let out = skill(
        &app,
        &[
            "export",
            "conversations",
            "--since",
            "1h",
            "--app",
            "first-app",
            "--format",
            "jsonl",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("jsonl"))
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["customer"], "[EMAIL]");
    assert!(
        lines[0]["messages"][0]["body"]
            .as_str()
            .is_some_and(|b| b.contains("[PHONE]") && !b.contains("4567"))
    );
    let out = skill(
        &app,
        &[
            "export",
            "conversations",
            "--since",
            "1h",
            "--app",
            "first-app",
            "--json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "--json needs --output");
    let out = skill(
        &app,
        &[
            "export",
            "conversations",
            "--since",
            "1h",
            "--app",
            "first-app",
            "--json",
            "-o",
            export_s,
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["records"], 1);
    let out = skill(
        &app,
        &["enrich", export_s, "--stripe-outcomes", "--resolution-time"],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let enriched: Value =
        serde_json::from_str(stdout(&out).lines().next().expect("a line")).expect("json");
    assert!(enriched["refund_outcomes"].is_array(), "{enriched}");
    assert!(
        enriched["resolution_time_ms"]
            .as_i64()
            .is_some_and(|t| t > 0),
        "{enriched}"
    );
    let out = skill(
        &app,
        &[
            "sample",
            export_s,
            "--strategy",
            "stratified",
            "--size",
            "1",
            "--by",
            "category",
            "--seed",
            "3",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1);
    assert_eq!(
        skill(&app, &["sample", export_s, "--size", "0"])
            .await
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        skill(&app, &["sample", export_s, "--size", "-2"])
            .await
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        skill(&app, &["sample", "/nonexistent.jsonl", "--size", "2"])
            .await
            .status
            .code(),
        Some(6)
    );
    assert_eq!(
        skill(&app, &["enrich", export_s]).await.status.code(),
        Some(2)
    );

    // A non-admin cannot export PII.
    let token = support_server::auth::random_token("skill");
    app.state
        .store
        .create_user_with_token(
            "agent@example.com",
            "Agent",
            "agent",
            "!",
            "t",
            &support_server::auth::token_hash(&token),
        )
        .await
        .expect("user");
    let out = tokio::process::Command::new(BIN)
        .args([
            "export",
            "conversations",
            "--since",
            "1h",
            "--app",
            "first-app",
            "--include-pii",
        ])
        .env("SKILL_URL", &app.url)
        .env("SKILL_TOKEN", &token)
        .env("SKILL_CONFIG", app.dir().join("cli.toml"))
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    shop.shutdown().await;
    app.finish().await;
}

/// `skill front reconcile`: a message whose webhook never came is stored and queued; the
/// JSON report says so; a bad `--since` is a usage error that sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn front_reconcile_recovers_a_missed_webhook() {
    let app = TestApp::spawn().await;
    let _shop = setup(&app, None).await;
    app.front
        .receive_inbound_undelivered(support_fakes::InboundMessage {
            inbox_id: Some(support_testkit::INBOX.into()),
            conversation_id: None,
            from_email: support_testkit::first_app_email("usr_maya"),
            from_name: None,
            subject: "Locked out".into(),
            body_text: "I can't log in.".into(),
        })
        .expect("stored by Front");
    let out = skill(&app, &["front", "reconcile", "--since", "1h", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(
        (v["listed"].as_u64(), v["recovered"].as_u64()),
        (Some(1), Some(1)),
        "{v}"
    );
    assert_eq!(app.drain().await, 1, "queued for the worker like a webhook");

    let out = skill(&app, &["front", "reconcile", "--since", "yesterday-ish"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--since"), "{}", stderr(&out));
    app.finish().await;
}
