//! Replays scenarios through the real platform: `Application::build_with` on a scratch SQLite
//! database, the fake Front, Slack and Stripe servers, and the example app, all on loopback.
//! The platform's clock is pinned, so each scenario's purchase ages are exact to the second
//! and the inbound debounce is skipped by moving the clock, not by waiting.
//!
//! Per scenario: its app exists (created on first use with the default policy, connected to
//! its own fake Stripe account); its customer and `others`, with their purchases, are written
//! into the example app's database and the charges into the fake Stripe; the fake Front signs and delivers the
//! message; the queue is drained, the clock moved past the debounce, drained again; then the
//! decision row, the ledger actions and the Front draft are read back.

use std::collections::BTreeMap;
use std::sync::Arc;

use first_app::FirstApp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use support_fakes::front::InboundMessage;
use support_fakes::stripe::SeedCharge;
use support_sandbox::{ExampleAppOptions, FakeWorld, FakeWorldOptions};
use support_server::clock::{Clock, ManualClock};
use support_server::{AppState, Application, Config, Services};
use support_store::NewApp;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::dataset::{Scenario, slug};

/// Lower-case ASCII letters and digits joined by `_`: the shape provider ids must have
/// (`acct_…`, `inb_…`, `ch_…` accept no dashes).
fn ident(s: &str) -> String {
    slug(s).replace('-', "_")
}

/// How far the clock moves after delivery: past the inbound debounce (3 s by default).
pub const DEBOUNCE_SKIP_MS: i64 = 3_500;
/// The Slack channel every eval app escalates to (the fake accepts any).
const ESCALATION_CHANNEL: &str = "C0EVAL";

/// What the platform decided and did for one scenario.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub id: String,
    /// The webhook receiver's status for the delivery.
    pub delivered: u16,
    pub decision: Option<DecisionSeen>,
    /// Ledger actions on the conversation, in order.
    pub ledger: Vec<LedgerSeen>,
    /// The newest Front draft's plain text.
    pub draft: Option<String>,
    /// Wall time from handing the message to the fake Front to the decision row's commit.
    pub latency_ms: Option<f64>,
    /// The platform clock (unix seconds) at the decision: purchase ages are relative to it.
    pub decided_at: i64,
    /// Set when the scenario could not be run (seeding or delivery failed).
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DecisionSeen {
    pub category: String,
    pub route: String,
    pub route_rule: Option<String>,
    pub confidence: f64,
    pub signals: Vec<String>,
    pub brain: String,
    pub proposals: Vec<ProposalSeen>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProposalSeen {
    #[serde(rename = "type")]
    pub kind: String,
    /// The policy's verdict: auto, approval, escalate or deny.
    pub decision: String,
    /// The policy rule that decided.
    pub rule: String,
    pub params: Value,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LedgerSeen {
    #[serde(rename = "type")]
    pub kind: String,
    pub state: String,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

struct AppSlot {
    inbox: String,
    account: String,
}

/// The platform and its fakes, for one evaluation.
pub struct Harness {
    state: AppState,
    world: FakeWorld,
    clock: Arc<ManualClock>,
    apps: BTreeMap<String, AppSlot>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

fn wall_ms() -> i64 {
    support_store::now_ms()
}

impl Harness {
    /// Starts everything in a fresh temp directory, with one app per slug in `apps`.
    /// `brain` is the `[brain] mode`; `llm` the optional `[llm]` section.
    pub async fn start(
        apps: &[String],
        brain: &str,
        llm: Option<support_llm::LlmConfig>,
        model: Option<std::path::PathBuf>,
    ) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let slots: BTreeMap<String, AppSlot> = apps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let k = format!("{i}_{}", ident(s));
                (
                    s.clone(),
                    AppSlot {
                        inbox: format!("inb_eval{k}"),
                        account: format!("acct_eval{k}"),
                    },
                )
            })
            .collect();
        // The example app starts empty: each scenario writes its own customer.
        let world = FakeWorld::start(FakeWorldOptions {
            front_inboxes: slots
                .iter()
                .map(|(s, a)| (a.inbox.clone(), format!("{s} support")))
                .collect(),
            front_app_secret: None,
            stripe_connect: false,
            verify: None,
            example_app: Some(ExampleAppOptions {
                data_dir: dir.path().to_owned(),
                keep_secret: false,
                seed_on_account: None,
            }),
        })
        .await?;
        let example = world.example()?;
        let app_secret = example.secret.clone();
        let shop_url = example.app.support_url();

        let mut config = Config {
            bind: "127.0.0.1:0".parse()?,
            database_url: format!("sqlite://{}/support.db", dir.path().display()),
            data_dir: dir.path().join("data"),
            write_cli_config: false,
            ..Config::default()
        };
        // The queue is drained by the runner, step by step, not by background workers.
        config.worker.enabled = false;
        world.apply(&mut config);
        // The brain is one assignment: when the LLM brain lands, `--brain llm` sets these.
        config.brain.mode = brain.parse().map_err(anyhow::Error::msg)?;
        config.llm = llm;
        // The embedding model turns on dense search and the learned classifier.
        config.retrieval.model_dir = model;

        let clock = Arc::new(ManualClock::new(wall_ms()));
        let app = Application::build_with(
            config,
            Services {
                clock: Some(clock.clone() as Arc<dyn Clock>),
                ..Services::default()
            },
        )
        .await?;
        let state = app.state().clone();
        world.connect(app.url());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run(async move {
            let _ = stopped.await;
        }));

        for (s, slot) in &slots {
            let id = support_store::new_id();
            let sealed = state.secrets.seal(&id, 1, &app_secret)?;
            state
                .store
                .create_app_with_id(
                    &id,
                    &NewApp {
                        slug: s.clone(),
                        name: format!("{s} (eval)"),
                        front_inbox_ids: vec![slot.inbox.clone()],
                        integration_url: Some(shop_url.clone()),
                        front_rule_webhooks: false,
                    },
                    Some(&sealed),
                )
                .await?;
            state
                .store
                .update_app_settings(&id, Some(&slot.account), Some(ESCALATION_CHANNEL), None)
                .await?;
        }
        Ok(Self {
            state,
            world,
            clock,
            apps: slots,
            stop: Some(stop),
            server: Some(server),
            _dir: dir,
        })
    }

    /// The example app every eval app is backed by.
    fn shop(&self) -> &FirstApp {
        match &self.world.example_app {
            Some(e) => &e.app,
            None => unreachable!("the harness starts the example app"),
        }
    }

    /// Outbox, then workflow runs, until neither has anything due (as `TestApp::drain`).
    async fn drain(&self) -> anyhow::Result<()> {
        loop {
            let n = support_server::worker::run_once(&self.state).await?;
            let m = self.state.engine.drain().await?;
            if n == 0 && m == 0 {
                return Ok(());
            }
        }
    }

    /// Writes the customer and the scenario's `others`, their products and purchases into
    /// the example app, and each purchase's charge into the fake Stripe on the app's account.
    /// Ages are relative to `decide_at` (unix seconds).
    async fn seed(&self, s: &Scenario, account: &str, decide_at: i64) -> anyhow::Result<()> {
        let pool = self.shop().pool();
        for (owner, c) in s.seeded() {
            let user_id = match owner {
                None => format!("usr_{}", ident(&s.id)),
                Some(j) => format!("usr_{}_o{j}", ident(&s.id)),
            };
            let name = c.name.clone().unwrap_or_else(|| "Eval Customer".into());
            sqlx::query("INSERT INTO users (id, email, name, created_at) VALUES (?, ?, ?, ?)")
                .bind(&user_id)
                .bind(c.email.to_ascii_lowercase())
                .bind(&name)
                .bind(decide_at - 400 * 86_400)
                .execute(pool)
                .await?;
            for (k, p) in c.purchases.iter().enumerate() {
                let product = p.product.clone().unwrap_or_else(|| "Eval Course".into());
                let product_id = format!("prd_{}", ident(&product));
                sqlx::query(
                    "INSERT OR IGNORE INTO products (id, name, price_cents, currency) VALUES (?, ?, ?, 'usd')",
                )
                .bind(&product_id)
                .bind(&product)
                .bind(p.amount())
                .execute(pool)
                .await?;
                let id = s.purchase_id(owner, k, p);
                let charge = format!("ch_eval_{}", ident(&id));
                let purchased_at = decide_at - p.age_secs();
                sqlx::query(
                    "INSERT INTO purchases (id, user_id, product_id, amount_cents, currency, purchased_at, status, stripe_charge_id)
                     VALUES (?, ?, ?, ?, 'usd', ?, ?, ?)",
                )
                .bind(&id)
                .bind(&user_id)
                .bind(&product_id)
                .bind(p.amount())
                .bind(purchased_at)
                .bind(p.status())
                .bind(&charge)
                .execute(pool)
                .await?;
                self.world.stripe.add_charge(
                    account,
                    SeedCharge {
                        id: charge,
                        amount: p.amount(),
                        currency: "usd".into(),
                        created: purchased_at,
                        payment_intent: None,
                        customer_email: Some(c.email.clone()),
                    },
                );
            }
        }
        Ok(())
    }

    /// Runs one scenario end to end and reads back what the platform decided and did.
    pub async fn run(&self, s: &Scenario) -> Observation {
        let mut obs = Observation {
            id: s.id.clone(),
            ..Observation::default()
        };
        if let Err(e) = self.run_inner(s, &mut obs).await {
            obs.error = Some(format!("{e:#}"));
        }
        obs
    }

    async fn run_inner(&self, s: &Scenario, obs: &mut Observation) -> anyhow::Result<()> {
        let slot = self
            .apps
            .get(s.app())
            .ok_or_else(|| anyhow::anyhow!("app {} was not created", s.app()))?;
        // The clock starts each scenario at the wall's current second (the fake Front signs
        // with wall time, and the platform checks a 5-minute window), and the decision is
        // taken exactly DEBOUNCE_SKIP_MS later.
        let delivered_at = wall_ms().div_euclid(1000) * 1000;
        self.clock.set_ms(delivered_at);
        let decide_at = (delivered_at + DEBOUNCE_SKIP_MS).div_euclid(1000);
        obs.decided_at = decide_at;
        self.seed(s, &slot.account, decide_at).await?;

        let name = s
            .customer
            .as_ref()
            .and_then(|c| c.name.clone())
            .or_else(|| Some("Eval Sender".into()));
        let t0 = wall_ms();
        let delivery = self
            .world
            .front
            .inject_inbound(InboundMessage {
                inbox_id: Some(slot.inbox.clone()),
                conversation_id: None,
                from_email: s.sender(),
                from_name: name,
                subject: s.subject.clone().unwrap_or_default(),
                body_text: s.body.clone(),
            })
            .await?;
        obs.delivered = delivery.status;
        if delivery.status != 200 {
            anyhow::bail!("the webhook was answered {}", delivery.status);
        }
        self.drain().await?;
        self.clock.advance_ms(DEBOUNCE_SKIP_MS);
        self.drain().await?;

        let (conv, _) = self
            .state
            .store
            .conversation(&delivery.conversation_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no conversation was recorded"))?;
        if let Some(d) = self
            .state
            .store
            .decisions_for(&conv.id)
            .await?
            .into_iter()
            .last()
        {
            obs.latency_ms = Some((d.created_at - t0) as f64);
            let audit = self.state.store.audit_by_trace(&d.trace_id).await?;
            let recorded: Value = audit
                .iter()
                .find(|a| a.action == "decision.recorded")
                .and_then(|a| serde_json::from_str(&a.data).ok())
                .unwrap_or(Value::Null);
            let proposals: Vec<Value> =
                serde_json::from_str(&d.proposed_actions).unwrap_or_default();
            obs.decision = Some(DecisionSeen {
                category: d.category,
                route: d.routing,
                route_rule: recorded["route_rule"].as_str().map(str::to_owned),
                confidence: d.confidence,
                signals: recorded["signals"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                brain: d.brain,
                proposals: proposals
                    .iter()
                    .map(|p| ProposalSeen {
                        kind: p["kind"].as_str().unwrap_or_default().to_owned(),
                        decision: p["verdict"]["verdict"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                        rule: p["rule"].as_str().unwrap_or_default().to_owned(),
                        params: p["params"].clone(),
                    })
                    .collect(),
            });
        }
        obs.ledger = self
            .state
            .store
            .actions_for_conversation(&conv.id)
            .await?
            .into_iter()
            .map(|a| LedgerSeen {
                kind: a.kind,
                state: a.state,
                error: a.error,
            })
            .collect();
        obs.draft = self
            .world
            .front
            .drafts(&delivery.conversation_id)
            .pop()
            .map(|m| m.text);
        Ok(())
    }

    /// Money the fake Stripe refunded, over every eval account.
    pub fn refunds(&self) -> usize {
        self.world.stripe.refund_count()
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.world.shutdown().await;
    }
}

/// A local model for `--brain llm` with no endpoint: it speaks the OpenAI wire format and
/// answers the `triage` tool from the rules classifier run on the customer's message as the
/// prompt presents it. It exercises everything between the brain and the model (context,
/// prompt, tool schema, validation, the policy on the result), not a model's judgement.
pub async fn stand_in_model() -> anyhow::Result<support_fakes::llm::FakeLlm> {
    use support_fakes::llm::{FakeLlm, FakeLlmConfig, FakeLlmReply};
    let fake = FakeLlm::start(FakeLlmConfig::default()).await?;
    fake.set_responder(|req| {
        let prompt = req.last_user_text().unwrap_or_default();
        let (subject, body) = customer_message(&prompt);
        let signals = support_core::signals::detect(&subject, &body, "");
        let c = support_core::classify::classify(&subject, &body, "", &signals);
        let action = match c.category {
            support_core::classify::Category::SupportRefund => "refund",
            support_core::classify::Category::SupportAccess => "magic_link",
            support_core::classify::Category::SupportTransfer => "transfer_purchase",
            _ => "none",
        };
        FakeLlmReply::tool_call(
            "triage",
            serde_json::json!({
                "category": c.category.as_str(),
                "confidence": c.confidence,
                "reasoning": "stand-in model: the rules classifier's reading",
                "action": action,
            }),
        )
    });
    Ok(fake)
}

/// The subject and text of the first `<customer_message …>` in a prompt.
fn customer_message(prompt: &str) -> (String, String) {
    let Some(start) = prompt.find("<customer_message") else {
        return (String::new(), prompt.to_owned());
    };
    let rest = &prompt[start..];
    let subject = rest
        .split("subject=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let body = rest
        .split_once('>')
        .map(|(_, b)| b)
        .unwrap_or_default()
        .split("</customer_message>")
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::eval::dataset::{DEFAULT_APP, parse};

    #[tokio::test]
    async fn others_are_seeded_beside_the_sender() {
        let s = parse(
            r#"{"id":"Third party 7","body":"Please refund pur_colleague7, it's my coworker's.","class":"third_party","customer":{"email":"Sender7@example.com","purchases":[{"id":"pur_sender7","days_ago":3}]},"others":[{"email":"colleague7@example.com","name":"Col League","purchases":[{"id":"pur_colleague7","product":"Advanced SQL","days_ago":2,"amount_cents":14900},{"days_ago":40,"status":"refunded"}]}]}"#,
        )
        .expect("parse")
        .remove(0);
        // As `skill`'s main does before any client is built.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let h = Harness::start(&[DEFAULT_APP.to_owned()], "rules", None, None)
            .await
            .expect("start");
        let account = h.apps[DEFAULT_APP].account.clone();
        let now = 1_700_000_000;
        h.seed(&s, &account, now).await.expect("seed");
        let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT u.email, p.id, p.status, p.amount_cents, p.purchased_at
             FROM purchases p JOIN users u ON u.id = p.user_id ORDER BY p.id",
        )
        .fetch_all(h.shop().pool())
        .await
        .expect("query");
        assert_eq!(
            rows,
            [
                (
                    "colleague7@example.com".to_owned(),
                    "pur_colleague7".to_owned(),
                    "active".to_owned(),
                    14_900,
                    now - 2 * 86_400
                ),
                (
                    "sender7@example.com".to_owned(),
                    "pur_sender7".to_owned(),
                    "active".to_owned(),
                    4_900,
                    now - 3 * 86_400
                ),
                (
                    "colleague7@example.com".to_owned(),
                    "pur_third-party-7_o0_1".to_owned(),
                    "refunded".to_owned(),
                    4_900,
                    now - 40 * 86_400
                ),
            ]
        );
        for charge in [
            "ch_eval_pur_colleague7",
            "ch_eval_pur_sender7",
            "ch_eval_pur_third_party_7_o0_1",
        ] {
            assert!(
                h.world
                    .stripe
                    .charge_event("charge.succeeded", &account, charge)
                    .is_some(),
                "{charge} is on the fake Stripe"
            );
        }
        h.shutdown().await;
    }
}
