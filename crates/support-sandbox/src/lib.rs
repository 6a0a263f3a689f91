//! `FakeWorld`: everything the platform talks to, as local fakes on loopback — the fake
//! Front, Slack and Stripe (real HTTP servers speaking each provider's wire format) and,
//! optionally, the example product app (`first-app`). Started in one place, and pointed at
//! from a platform [`Config`] in one place ([`FakeWorld::apply`]), for `skill sandbox`, the
//! test kit's `TestApp`, `skill eval` and the benches.
//!
//! ```no_run
//! # async fn demo(mut config: support_server::Config) -> anyhow::Result<()> {
//! use support_sandbox::{FakeWorld, FakeWorldOptions};
//! let world = FakeWorld::start(FakeWorldOptions::default()).await?;
//! world.apply(&mut config);
//! let app = support_server::Application::build(config).await?;
//! world.connect(app.url());
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use first_app::{FirstApp, FirstAppConfig};
use support_fakes::front::{FakeFront, FakeFrontConfig};
use support_fakes::slack::{FakeSlack, FakeSlackConfig};
use support_fakes::stripe::{FakeStripe, FakeStripeConfig, SeedCharge};
use support_server::{Application, Config, Secret};
use support_store::{NewApp, NewAuditEntry};

pub use first_app;
pub use support_fakes;

/// The demo app's slug (the sandbox's example app).
pub const DEMO_APP: &str = "first-app";
/// The demo app's Front inbox in the fake Front.
pub const DEMO_INBOX: &str = "inb_demo";
/// The demo app's connected account in the fake Stripe: the example app's charges are there.
pub const DEMO_STRIPE_ACCOUNT: &str = "acct_sandbox_first_app";
/// The demo app's Slack channel in the fake Slack: escalations and approval cards go there.
pub const DEMO_SLACK_CHANNEL: &str = "C0SANDBOX";

/// What to start and how [`FakeWorld::apply`] configures the platform.
#[derive(Debug, Clone)]
pub struct FakeWorldOptions {
    /// The fake Front's inboxes: `(id, name)`.
    pub front_inboxes: Vec<(String, String)>,
    /// The secret the fake Front signs webhooks with (the platform's `front.app_secret`);
    /// `None` generates one (256 bits).
    pub front_app_secret: Option<String>,
    /// Also point Stripe Connect (`stripe.connect_url`, `stripe.client_id`) at the fake, so
    /// `skill stripe connect <app>` works: the fake consents at once.
    pub stripe_connect: bool,
    /// Secrets the platform verifies requests with that the caller signs itself (Stripe
    /// webhooks, Slack interactions, Front rule webhooks); `None` leaves the config's own.
    pub verify: Option<VerifySecrets>,
    /// Start the example app too.
    pub example_app: Option<ExampleAppOptions>,
}

impl Default for FakeWorldOptions {
    /// One demo inbox ([`DEMO_INBOX`]), a generated Front secret, Stripe Connect on the
    /// fake, no example app.
    fn default() -> Self {
        Self {
            front_inboxes: vec![(DEMO_INBOX.into(), "First App Support".into())],
            front_app_secret: None,
            stripe_connect: true,
            verify: None,
            example_app: None,
        }
    }
}

impl FakeWorldOptions {
    /// What `skill sandbox` runs: the demo inbox, Stripe Connect on the fake, and the example
    /// app in `data_dir` — seeded, its signing secret kept there across restarts, its
    /// purchases' charges in the fake Stripe on [`DEMO_STRIPE_ACCOUNT`].
    pub fn sandbox(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            example_app: Some(ExampleAppOptions {
                data_dir: data_dir.into(),
                keep_secret: true,
                seed_on_account: Some(DEMO_STRIPE_ACCOUNT.into()),
            }),
            ..Self::default()
        }
    }
}

/// The secrets the platform verifies incoming requests with that are not signed by a fake.
#[derive(Debug, Clone)]
pub struct VerifySecrets {
    /// `stripe.webhook_secret`.
    pub stripe_webhook_secret: String,
    /// `slack.signing_secret`.
    pub slack_signing_secret: String,
    /// `front.api_secret` (Front rule webhooks).
    pub front_api_secret: String,
}

/// How to start the example app.
#[derive(Debug, Clone)]
pub struct ExampleAppOptions {
    /// Where its database (`first-app.db`) and, with `keep_secret`, its signing secret
    /// (`first-app.secret`) live.
    pub data_dir: PathBuf,
    /// Keep the signing secret in `data_dir`, so a restarted sandbox and its
    /// already-registered app still agree; otherwise a fresh one each start.
    pub keep_secret: bool,
    /// `Some(account)`: the example app writes its demo customers, and the fake Stripe gets
    /// their purchases' charges on that connected account. `None`: an empty database.
    pub seed_on_account: Option<String>,
}

/// A running example app and the signing secret it shares with the platform.
pub struct ExampleApp {
    pub app: FirstApp,
    pub secret: String,
}

/// The running fakes (and the example app), and the secrets they use.
pub struct FakeWorld {
    /// Shared so a message stream or load generator can hold it too.
    pub front: Arc<FakeFront>,
    pub slack: FakeSlack,
    pub stripe: FakeStripe,
    pub example_app: Option<ExampleApp>,
    /// What the fake Front signs its webhooks with.
    pub front_app_secret: String,
    /// The fake Front's API token (the platform's `front.api_token`).
    pub front_api_token: String,
    /// The fake Slack's bot token (the platform's `slack.bot_token`).
    pub slack_bot_token: String,
    /// The fake Stripe's secret key (the platform's `stripe.secret_key`).
    pub stripe_secret_key: String,
    pub stripe_connect: bool,
    pub verify: Option<VerifySecrets>,
}

impl FakeWorld {
    /// Starts the fake Front, Slack and Stripe and, when asked, the example app.
    pub async fn start(options: FakeWorldOptions) -> anyhow::Result<Self> {
        let front_config = FakeFrontConfig {
            inboxes: options.front_inboxes,
            ..FakeFrontConfig::default()
        };
        let front_api_token = front_config.api_token.clone();
        let front = FakeFront::start(front_config).await?;
        let slack_config = FakeSlackConfig::default();
        let slack_bot_token = slack_config.api_token.clone();
        let slack = FakeSlack::start(slack_config).await?;
        let stripe_config = FakeStripeConfig::default();
        let stripe_secret_key = stripe_config.api_token.clone();
        let stripe = FakeStripe::start(stripe_config).await?;
        let example_app = match options.example_app {
            Some(o) => Some(start_example_app(&o, &stripe).await?),
            None => None,
        };
        Ok(Self {
            front: Arc::new(front),
            slack,
            stripe,
            example_app,
            front_app_secret: options
                .front_app_secret
                .unwrap_or_else(support_secrets::generate_signing_secret),
            front_api_token,
            slack_bot_token,
            stripe_secret_key,
            stripe_connect: options.stripe_connect,
            verify: options.verify,
        })
    }

    /// Points a platform config at the fakes.
    pub fn apply(&self, config: &mut Config) {
        config.front.api_url = self.front.url();
        config.front.api_token = Secret::new(self.front_api_token.clone());
        config.front.app_secret = Secret::new(self.front_app_secret.clone());
        config.slack.api_url = format!("{}/api", self.slack.url());
        config.slack.bot_token = Secret::new(self.slack_bot_token.clone());
        config.stripe.api_url = self.stripe.url();
        config.stripe.secret_key = Secret::new(self.stripe_secret_key.clone());
        if self.stripe_connect {
            config.stripe.connect_url = self.stripe.url();
            config.stripe.client_id = self.stripe.client_id();
        }
        if let Some(v) = &self.verify {
            config.stripe.webhook_secret = Secret::new(v.stripe_webhook_secret.clone());
            config.slack.signing_secret = Secret::new(v.slack_signing_secret.clone());
            config.front.api_secret = Secret::new(v.front_api_secret.clone());
        }
    }

    /// Has the fake Front deliver its webhooks to the platform at `platform_url`, signed with
    /// [`FakeWorld::front_app_secret`].
    pub fn connect(&self, platform_url: &str) {
        self.front.set_webhook(
            format!("{platform_url}/webhooks/front"),
            self.front_app_secret.clone(),
        );
    }

    /// The running example app; an error when the world was started without one.
    pub fn example(&self) -> anyhow::Result<&ExampleApp> {
        self.example_app
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("the fake world was started without the example app"))
    }

    /// Registers the demo app ([`DEMO_APP`], owning [`DEMO_INBOX`], backed by the example
    /// app) in a built platform unless it exists. Its signing secret is the one the example
    /// app was started with, sealed like any other app secret. Its refunds run on
    /// [`DEMO_STRIPE_ACCOUNT`], its escalations go to [`DEMO_SLACK_CHANNEL`].
    pub async fn register_demo_app(&self, app: &Application) -> anyhow::Result<()> {
        self.register_demo_app_only(app).await?;
        // The shop's help articles, so questions get answers quoted from them.
        let state = app.state();
        if let Some(demo) = state.store.app_by_slug(DEMO_APP).await? {
            let files: Vec<support_retrieval::kb::KbFile> = first_app::knowledge_base()
                .into_iter()
                .map(|(path, text)| support_retrieval::kb::KbFile {
                    path: path.into(),
                    text: text.into(),
                })
                .collect();
            match state.retrieval.sync_knowledge(&demo.id, &files).await {
                Ok(r) => tracing::info!(?r, "sandbox knowledge base indexed"),
                Err(e) => tracing::warn!("sandbox knowledge base not indexed: {e}"),
            }
        }
        Ok(())
    }

    async fn register_demo_app_only(&self, app: &Application) -> anyhow::Result<()> {
        let example = self.example()?;
        let state = app.state();
        if let Some(existing) = state.store.app_by_slug(DEMO_APP).await? {
            state
                .store
                .update_app_settings(
                    &existing.id,
                    Some(DEMO_STRIPE_ACCOUNT),
                    Some(DEMO_SLACK_CHANNEL),
                    None,
                )
                .await?;
            return Ok(());
        }
        let id = support_store::new_id();
        let sealed = state.secrets.seal(&id, 1, &example.secret)?;
        let created = state
            .store
            .create_app_with_id(
                &id,
                &NewApp {
                    slug: DEMO_APP.into(),
                    name: "First App (courses)".into(),
                    front_inbox_ids: vec![DEMO_INBOX.into()],
                    integration_url: Some(example.app.support_url()),
                    front_rule_webhooks: false,
                },
                Some(&sealed),
            )
            .await?;
        // Refunds for the example app run on its (fake) connected Stripe account;
        // escalations and approval cards go to its channel in the fake Slack.
        state
            .store
            .update_app_settings(
                &created.id,
                Some(DEMO_STRIPE_ACCOUNT),
                Some(DEMO_SLACK_CHANNEL),
                None,
            )
            .await?;
        state
            .store
            .append_audit(&NewAuditEntry {
                actor: "sandbox".into(),
                action: "app.registered".into(),
                subject: format!("app:{}", created.slug),
                trace_id: None,
                data: serde_json::json!({"inboxes": created.front_inbox_ids, "secret_version": 1}),
            })
            .await?;
        Ok(())
    }

    /// Stops the example app and the fakes. The fake Front is stopped only if nothing else
    /// still holds it; otherwise it stops with the runtime.
    pub async fn shutdown(self) {
        if let Some(example) = self.example_app {
            example.app.shutdown().await;
        }
        if let Ok(front) = Arc::try_unwrap(self.front) {
            front.shutdown().await;
        }
        self.slack.shutdown().await;
        self.stripe.shutdown().await;
    }
}

async fn start_example_app(
    options: &ExampleAppOptions,
    stripe: &FakeStripe,
) -> anyhow::Result<ExampleApp> {
    let secret = if options.keep_secret {
        kept_secret(&options.data_dir)?
    } else {
        support_secrets::generate_signing_secret()
    };
    let mut config =
        FirstAppConfig::new(options.data_dir.join("first-app.db"), vec![secret.clone()]);
    config.seed = options.seed_on_account.is_some();
    let app = FirstApp::start(config).await?;
    if let Some(account) = &options.seed_on_account {
        seed_example_charges(stripe, |_| account.as_str());
    }
    Ok(ExampleApp { app, secret })
}

/// The example app's purchases were paid through Stripe: gives the fake Stripe each seeded
/// purchase's charge, on the account `account_of(charge id)` names (tests put some on an
/// account the app does not own).
pub fn seed_example_charges<'a>(stripe: &FakeStripe, account_of: impl Fn(&str) -> &'a str) {
    let now = support_store::now_ms() / 1000;
    for c in first_app::seeded_customers() {
        for p in &c.purchases {
            stripe.add_charge(
                account_of(&p.stripe_charge_id),
                SeedCharge {
                    id: p.stripe_charge_id.clone(),
                    amount: p.amount.amount,
                    currency: p.amount.currency.clone(),
                    created: now - p.age_secs,
                    payment_intent: None,
                    customer_email: Some(c.email.to_string()),
                },
            );
        }
    }
}

/// The example app's signing secret: generated once (256 bits) and kept in `data_dir`, so a
/// restarted sandbox and its already-registered app still agree.
fn kept_secret(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("first-app.secret");
    if let Ok(s) = std::fs::read_to_string(&path)
        && !s.trim().is_empty()
    {
        return Ok(s.trim().to_owned());
    }
    let secret = support_secrets::generate_signing_secret();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    std::io::Write::write_all(&mut opts.open(&path)?, secret.as_bytes())?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn apply_points_a_config_at_the_fakes() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let world = FakeWorld::start(FakeWorldOptions {
            stripe_connect: false,
            front_app_secret: Some("front-secret".into()),
            ..FakeWorldOptions::default()
        })
        .await
        .expect("start");
        let mut config = Config::default();
        let connect_url = config.stripe.connect_url.clone();
        world.apply(&mut config);
        assert_eq!(config.front.api_url, world.front.url());
        assert_eq!(config.front.app_secret.expose(), "front-secret");
        assert_eq!(config.slack.api_url, format!("{}/api", world.slack.url()));
        assert_eq!(config.stripe.api_url, world.stripe.url());
        assert_eq!(config.stripe.connect_url, connect_url);
        world.shutdown().await;
    }

    #[tokio::test]
    async fn the_sandbox_world_keeps_the_example_apps_secret_and_charges() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().expect("tmp");
        let world = FakeWorld::start(FakeWorldOptions::sandbox(dir.path()))
            .await
            .expect("start");
        let secret = world.example().expect("example").secret.clone();
        let mut config = Config::default();
        world.apply(&mut config);
        assert_eq!(config.stripe.connect_url, world.stripe.url());
        world.shutdown().await;
        let again = FakeWorld::start(FakeWorldOptions::sandbox(dir.path()))
            .await
            .expect("restart");
        assert_eq!(again.example().expect("example").secret, secret);
        again.shutdown().await;
    }
}
