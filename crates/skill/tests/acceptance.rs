//! Acceptance: a second app on a running platform in three commands, no restart.
//!
//! A real `skill serve` runs against local fakes (Front, Slack, Stripe) with a first app
//! already registered and answering. Then: `skill init` registers a second app pointing at
//! a second first-app instance, `skill doctor` reports no failing check, and a signed Front
//! event for the new inbox is decided with the second app's own data: its customer (who
//! exists only in the second instance's database) gets a sign-in link from the second
//! instance.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use first_app::{FirstApp, FirstAppConfig};
use serde_json::Value;
use support_fakes::front::{FakeFront, FakeFrontConfig, InboundMessage};
use support_fakes::slack::{FakeSlack, FakeSlackConfig};
use support_fakes::stripe::{FakeStripe, FakeStripeConfig};
use support_store::sqlx;

mod common;
use common::command;

const FIRST_INBOX: &str = "inb_first";
const SECOND_INBOX: &str = "inb_second";
const ONLY_IN_SECOND: &str = "only.second@example.com";

fn skill(cfg: &Path, args: &[&str]) -> Output {
    command()
        .args(args)
        .env("SKILL_CONFIG", cfg)
        .env_remove("SKILL_URL")
        .env_remove("SKILL_TOKEN")
        .output()
        .expect("run skill")
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "one JSON document ({e}): {} / {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn ok(o: &Output) -> Value {
    assert!(
        o.status.success(),
        "{:?}: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    json(o)
}

/// A free loopback port for an app that starts only once it has its secret.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts first-app on `port` with `secret` (what the operator does with the secret `skill
/// init` printed).
async fn start_shop(dir: &Path, name: &str, port: u16, secret: &str) -> FirstApp {
    let mut cfg = FirstAppConfig::new(dir.join(format!("{name}.db")), vec![secret.to_owned()]);
    cfg.bind = ([127, 0, 0, 1], port).into();
    FirstApp::start(cfg).await.expect("first app")
}

#[test]
fn a_second_app_in_three_commands_with_no_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path().join("cli.toml");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (front, slack, stripe) = rt.block_on(async {
        let front = FakeFront::start(FakeFrontConfig {
            inboxes: vec![
                (FIRST_INBOX.into(), "First".into()),
                (SECOND_INBOX.into(), "Second".into()),
            ],
            ..FakeFrontConfig::default()
        })
        .await
        .expect("front");
        let slack = FakeSlack::start(FakeSlackConfig::default())
            .await
            .expect("slack");
        let stripe = FakeStripe::start(FakeStripeConfig::default())
            .await
            .expect("stripe");
        (front, slack, stripe)
    });
    let front_secret = "front-app-secret-for-the-acceptance-test";

    // A sandbox-like platform: `skill serve` on the fakes, worker on.
    let mut child = command()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env(
            "SUPPORT_DATABASE_URL",
            format!("sqlite://{}/support.db", dir.path().display()),
        )
        .env("SUPPORT_DATA_DIR", dir.path())
        .env("SKILL_CONFIG", &cfg)
        .env("SUPPORT_FRONT__API_URL", front.url())
        .env(
            "SUPPORT_FRONT__API_TOKEN",
            FakeFrontConfig::default().api_token,
        )
        .env("SUPPORT_FRONT__APP_SECRET", front_secret)
        .env("SUPPORT_SLACK__API_URL", format!("{}/api", slack.url()))
        .env(
            "SUPPORT_SLACK__BOT_TOKEN",
            FakeSlackConfig::default().api_token,
        )
        .env("SUPPORT_STRIPE__API_URL", stripe.url())
        .env(
            "SUPPORT_STRIPE__SECRET_KEY",
            FakeStripeConfig::default().api_token,
        )
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let pipe = child.stderr.take().expect("stderr");
    let serve = Serve(child);
    let (rx, _reader) = common::follow_stderr(pipe, Default::default());
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("serve prints its address");
    front.set_webhook(format!("{url}/webhooks/front"), front_secret.into());

    // The first app, already there and answering.
    let port1 = free_port();
    let init = ok(&skill(
        &cfg,
        &[
            "init",
            "first-app",
            "--name",
            "First App",
            "--front-inbox",
            FIRST_INBOX,
            "--integration-url",
            &format!("http://127.0.0.1:{port1}/api/support"),
            "--json",
        ],
    ));
    let secret1 = init["webhookSecret"].as_str().expect("secret").to_owned();
    let shop1 = rt.block_on(start_shop(dir.path(), "shop1", port1, &secret1));

    // 1. `skill init` the second app, pointing at a second instance (which the operator
    //    starts with the secret it printed). Only that instance knows ONLY_IN_SECOND.
    let port2 = free_port();
    let init = ok(&skill(
        &cfg,
        &[
            "init",
            "second-app",
            "--name",
            "Second App",
            "--front-inbox",
            SECOND_INBOX,
            "--integration-url",
            &format!("http://127.0.0.1:{port2}/api/support"),
            "--json",
        ],
    ));
    assert_eq!(init["success"], true);
    let secret2 = init["webhookSecret"].as_str().expect("secret").to_owned();
    assert_ne!(secret1, secret2);
    let shop2 = rt.block_on(async {
        let shop = start_shop(dir.path(), "shop2", port2, &secret2).await;
        sqlx::query("INSERT INTO users (id, email, name, created_at) VALUES ('usr_only_second', ?, 'Only Second', 0)")
            .bind(ONLY_IN_SECOND)
            .execute(shop.pool())
            .await
            .expect("a customer only the second app has");
        shop
    });

    // 2. `skill doctor`: no failing check; the signed round trip works with the new secret.
    let out = skill(&cfg, &["doctor", "--app", "second-app", "--json"]);
    let doc = ok(&out);
    assert_ne!(doc["overall"], "fail", "{doc}");
    let checks = doc["checks"].as_array().expect("checks");
    assert!(checks.iter().all(|c| c["status"] != "fail"), "{doc}");
    let signature = checks
        .iter()
        .find(|c| c["name"] == "signature")
        .expect("signature check");
    assert_eq!(signature["status"], "ok", "{doc}");

    // 3. A signed Front event for the new inbox.
    let delivery = rt
        .block_on(front.inject_inbound(InboundMessage {
            inbox_id: Some(SECOND_INBOX.into()),
            conversation_id: None,
            from_email: ONLY_IN_SECOND.into(),
            from_name: Some("Only Second".into()),
            subject: "Can't log in".into(),
            body_text: "Hello, I can't access my course anymore. The login link expired. Can you send me a new one?".into(),
        }))
        .expect("deliver");
    assert_eq!(delivery.status, 200);

    // Decided with the second app's data: its customer, its magic link.
    let deadline = Instant::now() + Duration::from_secs(45);
    let history = loop {
        let h = ok(&skill(
            &cfg,
            &["history", ONLY_IN_SECOND, "--app", "second-app", "--json"],
        ));
        let done = h["conversations"][0]["actions"]
            .as_array()
            .is_some_and(|a| {
                a.iter()
                    .any(|x| x["kind"] == "magic_link" && x["state"] == "succeeded")
            });
        if done {
            break h;
        }
        assert!(Instant::now() < deadline, "not decided in time: {h}");
        std::thread::sleep(Duration::from_millis(250));
    };
    let conv = &history["conversations"][0];
    assert_eq!(
        conv["front_conversation_id"],
        delivery.conversation_id.as_str()
    );
    assert_eq!(
        conv["decisions"][0]["category"], "support_access",
        "{history}"
    );
    assert_eq!(conv["decisions"][0]["routing"], "respond");
    let (links2, links1) = rt.block_on(async {
        let count = |shop: &FirstApp| {
            let pool = shop.pool().clone();
            async move {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM magic_links WHERE user_id = 'usr_only_second'",
                )
                .fetch_one(&pool)
                .await
                .expect("count");
                n
            }
        };
        (count(&shop2).await, count(&shop1).await)
    });
    assert_eq!(links2, 1, "the second app issued the link");
    assert_eq!(links1, 0);
    // The first app does not know this customer at all.
    let found = ok(&skill(
        &cfg,
        &["lookup", ONLY_IN_SECOND, "--app", "first-app", "--json"],
    ));
    assert!(found["user"].is_null(), "{found}");
    // And the reply was drafted into the second inbox's conversation.
    assert_eq!(front.drafts(&delivery.conversation_id).len(), 1);

    drop(serve);
    rt.block_on(async {
        shop1.shutdown().await;
        shop2.shutdown().await;
        front.shutdown().await;
        slack.shutdown().await;
        stripe.shutdown().await;
    });
}
