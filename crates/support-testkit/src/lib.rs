//! `TestApp`: the real platform (the same [`Application::build`] as production) on port 0
//! with its own fresh database (a SQLite file in a temp dir, or a new Postgres database),
//! a fake Front it talks to, and typed request helpers.
//!
//! The worker does not run in the background here: tests call [`TestApp::drain`] to process
//! queued work deterministically, and [`TestApp::finish`] fails the test if any queued work
//! was left undone. Dropping a `TestApp` without `finish` fails the test too.

pub mod browser;

use std::sync::Arc;

use first_app::{FirstApp, FirstAppConfig};
use serde::Serialize;
use serde::de::DeserializeOwned;
use support_fakes::front::{Delivery, FakeFront, InboundMessage};
use support_fakes::slack::FakeSlack;
use support_fakes::stripe::FakeStripe;
use support_sandbox::{FakeWorld, FakeWorldOptions, VerifySecrets};
use support_server::clock::{Clock, ManualClock};
use support_server::{AppState, Application, Config, Services};
use support_store::testdb::{self, PgTestDb};
use support_types::api::Status;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use support_fakes;

/// The demo inbox every TestApp's fake Front has and its registered app owns.
pub const INBOX: &str = "inb_test";
/// The Stripe webhook endpoint secret a TestApp verifies with.
pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_test_endpoint_secret";
/// The connected Stripe account of the app [`TestApp::connect_first_app`] registers.
pub const FIRST_APP_ACCOUNT: &str = "acct_e2e";

/// The email of a seeded first-app customer by user id (`usr_jonas` …).
pub fn first_app_email(user_id: &str) -> String {
    first_app::seeded_customers()
        .into_iter()
        .find(|c| c.user_id == user_id)
        .expect("a seeded customer")
        .email
        .to_string()
}

/// The Slack signing secret a TestApp verifies with.
pub const SLACK_SIGNING_SECRET: &str = "slack_test_signing_secret";
/// The Front company API secret (rule webhooks) a TestApp verifies with.
pub const FRONT_API_SECRET: &str = "front_test_api_secret";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub url: String,
    /// The admin's API token, created by the first-start bootstrap.
    pub token: String,
    pub admin_email: String,
    pub admin_password: String,
    pub state: AppState,
    pub front: Arc<FakeFront>,
    /// The fake Stripe the platform's refund tool talks to.
    pub stripe: FakeStripe,
    /// The fake Slack escalations and approvals are posted to.
    pub slack: FakeSlack,
    /// The secret the fake Front signs webhooks with and the platform verifies.
    pub front_app_secret: String,
    /// The pinned clock, when spawned with one.
    pub clock: Option<Arc<ManualClock>>,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    dir: tempfile::TempDir,
    pg: Option<PgTestDb>,
    finished: bool,
}

impl TestApp {
    /// On a fresh SQLite database.
    pub async fn spawn() -> Self {
        match Self::spawn_on(Db::Sqlite).await {
            Some(app) => app,
            None => unreachable!("SQLite is always available"),
        }
    }

    /// On the given backend; `None` when Postgres is unreachable outside CI (the skip is
    /// printed; under `CI=true` an unreachable Postgres panics instead).
    pub async fn spawn_on(db: Db) -> Option<Self> {
        Self::spawn_with(db, None).await
    }

    /// With the platform's clock pinned at `clock_ms` (move it with `app.clock`).
    pub async fn spawn_with_clock(db: Db, clock_ms: i64) -> Option<Self> {
        Self::spawn_with(db, Some(clock_ms)).await
    }

    /// On SQLite with the clock pinned at the current time.
    pub async fn spawn_pinned() -> Self {
        Self::spawn_with_clock(Db::Sqlite, wall_ms())
            .await
            .expect("sqlite is always available")
    }

    async fn spawn_with(db: Db, clock_ms: Option<i64>) -> Option<Self> {
        Self::spawn_configured(db, clock_ms, |_| {}).await
    }

    /// On SQLite with a pinned clock and a language model at `base_url` (a fake one in tests):
    /// `[brain] mode = mode`, `[llm]` with `provider` and `model`, no key, 5 s timeout.
    pub async fn spawn_with_llm(
        provider: support_llm::Provider,
        base_url: String,
        model: &str,
        mode: &str,
        max_retries: u32,
    ) -> Self {
        let model = model.to_owned();
        let mode = mode.to_owned();
        Self::spawn_configured(Db::Sqlite, Some(support_store::now_ms()), move |c| {
            c.brain.mode = mode.parse().expect("a brain mode");
            c.llm = Some(support_llm::LlmConfig {
                provider,
                base_url,
                model,
                api_key: None,
                timeout_ms: 5_000,
                max_retries,
                max_tokens_field: Default::default(),
            });
        })
        .await
        .expect("sqlite is always available")
    }

    /// Full control: an optional pinned clock, and a last word on the config.
    pub async fn spawn_configured(
        db: Db,
        clock_ms: Option<i64>,
        configure: impl FnOnce(&mut Config),
    ) -> Option<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().expect("tempdir");
        let (database_url, pg) = match db {
            Db::Sqlite => (
                format!("sqlite://{}/support.db", dir.path().display()),
                None,
            ),
            Db::Postgres => {
                let pg = testdb::create_postgres().await?;
                (pg.url.clone(), Some(pg))
            }
        };
        let world = FakeWorld::start(FakeWorldOptions {
            front_inboxes: vec![(INBOX.into(), "Test Support".into())],
            front_app_secret: Some(format!("front_{}", support_store::new_id())),
            stripe_connect: true,
            verify: Some(VerifySecrets {
                stripe_webhook_secret: STRIPE_WEBHOOK_SECRET.into(),
                slack_signing_secret: SLACK_SIGNING_SECRET.into(),
                front_api_secret: FRONT_API_SECRET.into(),
            }),
            example_app: None,
        })
        .await
        .expect("start the fakes");
        let mut config = Config {
            bind: "127.0.0.1:0".parse().expect("addr"),
            database_url,
            data_dir: dir.path().join("data"),
            write_cli_config: false,
            ..Config::default()
        };
        config.worker.enabled = false;
        world.apply(&mut config);
        configure(&mut config);
        let clock = clock_ms.map(|ms| Arc::new(ManualClock::new(ms)));
        Self::start(config, world, dir, pg, clock).await
    }

    async fn start(
        config: Config,
        world: FakeWorld,
        dir: tempfile::TempDir,
        pg: Option<PgTestDb>,
        clock: Option<Arc<ManualClock>>,
    ) -> Option<Self> {
        let services = Services {
            clock: clock.clone().map(|c| c as Arc<dyn Clock>),
            ..Services::default()
        };
        let app = Application::build_with(config, services)
            .await
            .expect("build application");
        let boot = app
            .bootstrap()
            .cloned()
            .expect("fresh database bootstraps an admin");
        let url = app.url().to_owned();
        let state = app.state().clone();
        world.connect(&url);
        let FakeWorld {
            front,
            stripe,
            slack,
            front_app_secret,
            ..
        } = world;
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run(async move {
            let _ = stopped.await;
        }));
        Some(Self {
            url,
            token: boot.api_token,
            admin_email: boot.admin_email,
            admin_password: boot.admin_password,
            state,
            front,
            stripe,
            slack,
            front_app_secret,
            clock,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            stop: Some(stop),
            server: Some(server),
            dir,
            pg,
            finished: false,
        })
    }

    /// The temp directory holding this app's data.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Registers an app owning [`INBOX`] directly in the store.
    pub async fn register_app(&self, slug: &str) -> support_store::App {
        self.state
            .store
            .create_app(
                &support_store::NewApp {
                    slug: slug.into(),
                    name: format!("{slug} (test)"),
                    front_inbox_ids: vec![INBOX.into()],
                    integration_url: None,
                    front_rule_webhooks: false,
                },
                None,
            )
            .await
            .expect("register app")
    }

    /// [`TestApp::register_app`], then connected to Stripe `account` with escalations to
    /// `escalation_channel` when given. Returns the row as registered (before the settings).
    pub async fn register_app_on_stripe(
        &self,
        slug: &str,
        account: &str,
        escalation_channel: Option<&str>,
    ) -> support_store::App {
        let app = self.register_app(slug).await;
        self.state
            .store
            .update_app_settings(&app.id, Some(account), escalation_channel, None)
            .await
            .expect("settings");
        app
    }

    /// Registers an app (owning no inbox) whose live signing secrets are exactly `secrets`,
    /// current first (two entries = a rotation in progress).
    pub async fn register_app_with_secrets(
        &self,
        slug: &str,
        secrets: &[&str],
    ) -> support_store::App {
        assert!(!secrets.is_empty());
        let id = support_store::new_id();
        let oldest = secrets[secrets.len() - 1];
        let sealed = self.state.secrets.seal(&id, 1, oldest).expect("seal");
        let app = self
            .state
            .store
            .create_app_with_id(
                &id,
                &support_store::NewApp {
                    slug: slug.into(),
                    name: format!("{slug} (test)"),
                    front_inbox_ids: vec![],
                    integration_url: None,
                    front_rule_webhooks: false,
                },
                Some(&sealed),
            )
            .await
            .expect("register app");
        for s in secrets[..secrets.len() - 1].iter().rev() {
            self.state
                .secrets
                .rotate(&app, Some(s), i64::MAX)
                .await
                .expect("add secret");
        }
        app
    }

    /// Processes all due queued work (outbox, then workflow runs, until neither has anything
    /// due), as the background workers would. Returns how many outbox items were handled.
    pub async fn drain(&self) -> usize {
        let mut outbox = 0;
        loop {
            let n = support_server::worker::run_once(&self.state)
                .await
                .expect("worker pass");
            let m = self.state.engine.drain().await.expect("engine pass");
            outbox += n;
            if n == 0 && m == 0 {
                return outbox;
            }
        }
    }

    /// A customer writes to the fake Front, which signs and delivers the webhook.
    pub async fn customer_writes(&self, from: &str, subject: &str, body: &str) -> Delivery {
        self.front
            .inject_inbound(InboundMessage {
                inbox_id: Some(INBOX.into()),
                conversation_id: None,
                from_email: from.into(),
                from_name: Some("Test Customer".into()),
                subject: subject.into(),
                body_text: body.into(),
            })
            .await
            .expect("deliver inbound message")
    }

    /// `GET` with the admin token.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request")
    }

    /// `GET` with no credentials (health probes, the dashboard's redirects).
    pub async fn get_anon(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("request")
    }

    /// `GET` with a dashboard session cookie (`name=value`).
    pub async fn get_with_cookie(&self, path: &str, cookie: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .header("cookie", cookie)
            .send()
            .await
            .expect("request")
    }

    /// `GET` with the admin token, asserting 200 and decoding the body.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> T {
        let resp = self.get(path).await;
        let status = resp.status();
        let body = resp.text().await.expect("body");
        assert!(status.is_success(), "GET {path}: {status} {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }

    /// `POST` JSON with the admin token.
    pub async fn post_json(&self, path: &str, body: &impl Serialize) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// `POST` of the raw `body` with exactly `headers` and no credentials, as a webhook
    /// sender would.
    pub async fn post_raw(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> reqwest::Response {
        let mut req = self.http.post(format!("{}{path}", self.url));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.body(body.to_vec()).send().await.expect("request")
    }

    /// `POST /webhooks/front` with `body` signed now by the fake Front's secret.
    pub async fn post_front_webhook(&self, body: &[u8]) -> reqwest::Response {
        let ts = support_store::now_ms();
        let sig = support_signing::front::sign(self.front_app_secret.as_bytes(), ts, body);
        self.post_raw(
            "/webhooks/front",
            &[
                ("content-type", "application/json"),
                ("x-front-signature", &sig),
                ("x-front-request-timestamp", &ts.to_string()),
            ],
            body,
        )
        .await
    }

    /// `POST /webhooks/stripe` with `event` signed (at the platform's clock) by the Stripe
    /// endpoint secret.
    pub async fn post_stripe_event(&self, event: &serde_json::Value) -> reqwest::Response {
        let body = event.to_string().into_bytes();
        let now = self
            .clock
            .as_ref()
            .map_or_else(support_store::now_ms, |c| c.now_ms())
            / 1000;
        self.post_raw(
            "/webhooks/stripe",
            &[
                ("content-type", "application/json"),
                (
                    "stripe-signature",
                    &support_signing::stripe::header(STRIPE_WEBHOOK_SECRET.as_bytes(), now, &body),
                ),
            ],
            &body,
        )
        .await
    }

    /// `POST /webhooks/slack/interactions` with `payload` (form-encoded as Slack does),
    /// signed at the platform's clock with the Slack signing secret.
    pub async fn post_slack_interaction(&self, payload: &serde_json::Value) -> reqwest::Response {
        let body: String = form_urlencoded_pair("payload", &payload.to_string());
        let now = self
            .clock
            .as_ref()
            .map_or_else(support_store::now_ms, |c| c.now_ms())
            / 1000;
        let sig =
            support_signing::slack::sign(SLACK_SIGNING_SECRET.as_bytes(), now, body.as_bytes());
        self.post_raw(
            "/webhooks/slack/interactions",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                (support_signing::slack::SIGNATURE_HEADER, &sig),
                (support_signing::slack::TIMESTAMP_HEADER, &now.to_string()),
            ],
            body.as_bytes(),
        )
        .await
    }

    /// `POST /login` as the admin with `password`.
    pub async fn login(&self, password: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/login", self.url))
            .form(&[("email", self.admin_email.as_str()), ("password", password)])
            .send()
            .await
            .expect("login")
    }

    /// Logs the admin in to the dashboard; returns the `name=value` session cookie.
    pub async fn dashboard_session(&self) -> String {
        let ok = self.login(&self.admin_password).await;
        assert_eq!(ok.status(), 303, "dashboard login");
        ok.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .split(';')
            .next()
            .expect("pair")
            .to_owned()
    }

    /// Registers `first-app` (owning [`INBOX`]) backed by a real example app on its own
    /// SQLite, connected to Stripe account [`FIRST_APP_ACCOUNT`] with escalations to
    /// `C0ESCALATIONS`, and seeds each seeded purchase's charge into the fake Stripe — the
    /// `foreign` ones on another connected account. Keep the returned app running.
    pub async fn connect_first_app(&self, foreign: &[&str]) -> FirstApp {
        let secret = "e2e-shared-secret-0123456789abcdef0123456789abcdef";
        let (shop, id) = self.start_first_app(secret, &[INBOX]).await;
        self.state
            .store
            .update_app_settings(&id, Some(FIRST_APP_ACCOUNT), Some("C0ESCALATIONS"), None)
            .await
            .expect("settings");
        support_sandbox::seed_example_charges(&self.stripe, |charge| {
            if foreign.contains(&charge) {
                "acct_someone_else"
            } else {
                FIRST_APP_ACCOUNT
            }
        });
        shop
    }

    /// Starts the example app on its own SQLite with the shared `secret` and registers it as
    /// `first-app` owning `inboxes`. Returns the running app and its id; keep it running.
    pub async fn start_first_app(&self, secret: &str, inboxes: &[&str]) -> (FirstApp, String) {
        let shop = FirstApp::start(FirstAppConfig::new(
            self.dir().join("shop.db"),
            vec![secret.into()],
        ))
        .await
        .expect("first app");
        let id = support_store::new_id();
        let sealed = self.state.secrets.seal(&id, 1, secret).expect("seal");
        self.state
            .store
            .create_app_with_id(
                &id,
                &support_store::NewApp {
                    slug: "first-app".into(),
                    name: "First App".into(),
                    front_inbox_ids: inboxes.iter().map(|&i| i.into()).collect(),
                    integration_url: Some(shop.support_url()),
                    front_rule_webhooks: false,
                },
                Some(&sealed),
            )
            .await
            .expect("register");
        (shop, id)
    }

    /// A customer writes; runs everything it leads to (past the debounce, so the clock must
    /// be pinned). Returns Front's conversation id.
    pub async fn converse(&self, from: &str, subject: &str, body: &str) -> String {
        let d = self.customer_writes(from, subject, body).await;
        assert_eq!(d.status, 200);
        self.drain().await;
        self.clock
            .as_ref()
            .expect("converse needs a pinned clock")
            .advance_ms(3_500);
        self.drain().await;
        d.conversation_id
    }

    /// A teammate answers from Front — with our draft as it is when `text` is `None` — and
    /// archives the conversation; runs what both events lead to.
    pub async fn teammate_resolves(&self, front_conversation: &str, text: Option<&str>) {
        let text = match text {
            Some(t) => t.to_owned(),
            None => self.draft_body(front_conversation).await,
        };
        let sent = self
            .front
            .teammate_replies(front_conversation, &text)
            .await
            .expect("teammate reply");
        assert_eq!(sent.status, 200);
        self.drain().await;
        let archived = self
            .front
            .teammate_archives(front_conversation)
            .await
            .expect("archive");
        assert_eq!(archived.status, 200);
        self.drain().await;
    }

    /// The ids and scores of what the conversation's first decision retrieved, as recorded.
    pub async fn retrieved(&self, front_conversation: &str) -> Vec<(String, f64)> {
        let decisions = self.decisions_for(front_conversation).await;
        let first = decisions.first().expect("a decision");
        let list: Vec<serde_json::Value> =
            serde_json::from_str(&first.retrieved).expect("retrieved is a JSON list");
        list.iter()
            .filter_map(|r| Some((r["id"].as_str()?.to_owned(), r["score"].as_f64()?)))
            .collect()
    }

    /// `PUT /api/v1/apps/{slug}/knowledge` with `files` (`{"path", "text"}` each): the status
    /// and the sync report (or error body).
    pub async fn put_knowledge(
        &self,
        slug: &str,
        files: &[serde_json::Value],
    ) -> (u16, serde_json::Value) {
        let resp = self
            .http
            .put(format!("{}/api/v1/apps/{slug}/knowledge", self.url))
            .bearer_auth(&self.token)
            .json(&serde_json::json!({ "files": files }))
            .send()
            .await
            .expect("send");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// The body of the conversation's `draft_response` action; panics, listing the actions,
    /// when there is none.
    pub async fn draft_body(&self, front_conversation: &str) -> String {
        let actions = self.actions_for(front_conversation).await;
        let draft = actions
            .iter()
            .find(|a| a.kind == "draft_response")
            .unwrap_or_else(|| panic!("no draft: {actions:#?}"));
        let params: serde_json::Value = serde_json::from_str(&draft.params).expect("json");
        params["body"].as_str().unwrap_or_default().to_owned()
    }

    /// The ledger actions of a conversation (by Front's id), newest first.
    pub async fn actions_for(
        &self,
        front_conversation: &str,
    ) -> Vec<support_store::actions::ActionRow> {
        let id = self.conversation_id(front_conversation).await;
        self.state
            .store
            .list_actions(None, 100)
            .await
            .expect("actions")
            .into_iter()
            .filter(|a| a.conversation_id.as_deref() == Some(id.as_str()))
            .collect()
    }

    /// A ledger action by id; panics if there is none.
    pub async fn action(&self, id: &str) -> support_store::actions::ActionRow {
        self.state
            .store
            .action(id)
            .await
            .expect("action")
            .unwrap_or_else(|| panic!("no action {id}"))
    }

    /// A registered app by slug; panics if there is none.
    pub async fn app_row(&self, slug: &str) -> support_store::App {
        self.state
            .store
            .app_by_slug(slug)
            .await
            .expect("app")
            .unwrap_or_else(|| panic!("no app {slug}"))
    }

    /// Replaces an app's policy (TOML).
    pub async fn set_policy(&self, slug: &str, toml: &str) {
        let app = self.app_row(slug).await;
        self.state
            .store
            .update_app_settings(&app.id, None, None, Some(toml))
            .await
            .expect("policy");
    }

    /// Our id of a conversation, by Front's (or our) id; panics if there is none.
    pub async fn conversation_id(&self, front_conversation: &str) -> String {
        self.conversation(front_conversation).await.0.id
    }

    /// A conversation, by Front's (or our) id, with its messages oldest first; panics if
    /// there is none.
    pub async fn conversation(
        &self,
        front_conversation: &str,
    ) -> (support_store::Conversation, Vec<support_store::Message>) {
        self.state
            .store
            .conversation(front_conversation)
            .await
            .expect("conversation")
            .expect("exists")
    }

    /// The approval request of an action; panics if there is none.
    pub async fn approval(&self, action_id: &str) -> support_store::actions::ApprovalRow {
        self.state
            .store
            .approval_for(action_id)
            .await
            .expect("approval")
            .unwrap_or_else(|| panic!("no approval request for {action_id}"))
    }

    /// How many events from `source` were stored, and how many outbox rows point at them.
    pub async fn inbound_counts(&self, source: &str) -> (i64, i64) {
        self.state
            .store
            .inbound_counts(source)
            .await
            .expect("inbound counts")
    }

    /// The newest 500 audit entries, newest first.
    pub async fn audit_log(&self) -> Vec<support_store::AuditEntry> {
        self.state.store.list_audit(500).await.expect("audit")
    }

    /// How many write (`POST`) requests the fake Stripe received.
    pub fn stripe_posts(&self) -> usize {
        posts(self.stripe.request_log())
    }

    /// How many write (`POST`) requests the fake Front received.
    pub fn front_posts(&self) -> usize {
        posts(self.front.request_log())
    }

    /// The decisions of a conversation (by Front's id), oldest first.
    pub async fn decisions_for(
        &self,
        front_conversation: &str,
    ) -> Vec<support_store::decisions::DecisionRow> {
        let id = self.conversation_id(front_conversation).await;
        self.state
            .store
            .decisions_for(&id)
            .await
            .expect("decisions")
    }

    pub async fn status(&self) -> Status {
        self.get_json("/api/v1/status").await
    }

    /// Stops the server without counting queued work: only for tests that took the
    /// database away on purpose.
    pub async fn finish_without_checks(mut self) {
        self.finished = true;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        if let Some(pg) = self.pg.take() {
            pg.drop_db().await;
        }
    }

    /// Stops the server and fails if queued work was left undone.
    pub async fn finish(mut self) {
        self.finished = true;
        let pending = self
            .state
            .store
            .outbox_pending()
            .await
            .expect("outbox count");
        let due = self
            .state
            .store
            .wf_due_count(self.state.engine.now())
            .await
            .expect("runs due");
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server stopped cleanly");
        }
        if let Some(pg) = self.pg.take() {
            pg.drop_db().await;
        }
        assert_eq!(
            pending, 0,
            "the test left {pending} queued outbox item(s) unprocessed: call drain()"
        );
        assert_eq!(
            due, 0,
            "the test left {due} workflow run(s) due but not executed: call drain()"
        );
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if !self.finished && !std::thread::panicking() {
            panic!(
                "TestApp dropped without finish(): call app.finish().await at the end of the test"
            );
        }
    }
}

/// Runs `async fn $name(app: &TestApp)` twice: on a fresh SQLite app and on a fresh Postgres
/// app (skipped, with a note on stderr, only when Postgres is unreachable outside CI). With
/// `pinned_clock`, both apps start with their clock pinned at the current time.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        $crate::both!(@gen $name, |db| $crate::TestApp::spawn_on(db));
    };
    ($name:ident, pinned_clock) => {
        $crate::both!(@gen $name, |db| $crate::TestApp::spawn_with_clock(db, $crate::wall_ms()));
    };
    (@gen $name:ident, |$db:ident| $spawn:expr) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let $db = $crate::Db::Sqlite;
                let app = $spawn.await.expect("sqlite is always available");
                super::$name(&app).await;
                app.finish().await;
            }

            #[tokio::test]
            async fn postgres() {
                let $db = $crate::Db::Postgres;
                let Some(app) = $spawn.await else { return };
                super::$name(&app).await;
                app.finish().await;
            }
        }
    };
}

fn posts(log: Vec<support_fakes::RequestRecord>) -> usize {
    log.into_iter().filter(|r| r.method == "POST").count()
}

/// Wall-clock milliseconds (for pinning a TestApp's clock at "now").
pub fn wall_ms() -> i64 {
    support_store::now_ms()
}

/// `key=value` with the value percent-encoded for `application/x-www-form-urlencoded`.
fn form_urlencoded_pair(key: &str, value: &str) -> String {
    let mut out = format!("{key}=");
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
