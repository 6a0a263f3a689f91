//! The platform server. [`Application::build`] is the one build path for production, the
//! sandbox and tests: it connects and migrates the store, binds the listener (port 0 works),
//! runs the first-start bootstrap and returns a handle that serves until told to stop.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use support_front::{FrontApi, FrontClient};
use support_store::Store;
use tokio::net::TcpListener;

pub mod apps;
pub mod auth;
pub mod bootstrap;
pub mod clock;
pub mod config;
pub mod error;
pub mod http;
pub mod indexing;
pub mod pipeline;
pub mod retrieval;
pub mod secrets;
pub mod state;
mod stripe;

/// The pipeline's parts under their old paths (`support_server::worker::run_once`, …).
pub use pipeline::{ingest, reconcile, worker};

pub use bootstrap::Bootstrap;
pub use config::{Config, Secret};
pub use state::AppState;

/// External services, overridable so tests can substitute their own implementations.
/// `None` builds the real HTTP client from config.
#[derive(Default)]
pub struct Services {
    pub front: Option<Arc<dyn FrontApi>>,
    /// The clock signature windows and grace periods are judged by (tests pin it).
    pub clock: Option<Arc<dyn clock::Clock>>,
}

/// The inbound brain from `[brain]` and `[llm]` (the config check already refused an
/// `llm`/`tiered` mode without a model).
fn brain_settings(config: &Config) -> anyhow::Result<support_agent::inbound::BrainSettings> {
    use support_agent::inbound::BrainSettings;
    let mode = config.brain.mode;
    // Built whenever configured: an app's policy may choose a model brain on its own.
    let llm = match &config.llm {
        Some(c) => Some(
            support_llm::client_from_config(c).map_err(|e| anyhow::anyhow!("llm client: {e}"))?,
        ),
        None => None,
    };
    Ok(BrainSettings {
        mode,
        llm,
        tiered_min_confidence: config.brain.tiered_min_confidence,
        agent: support_agent::agent::AgentLimits {
            max_turns: config.brain.max_turns,
            max_tool_calls: config.brain.max_tool_calls,
            max_tokens: config.brain.max_tokens,
        },
        ..BrainSettings::default()
    })
}

/// The learned classifier over the loaded embedding model, when there is one. A head that
/// does not fit the model is reported and left out: the rules then decide alone.
fn learned_brain(
    retrieval: &retrieval::Retrieval,
) -> Option<Arc<support_agent::learned::LearnedBrain>> {
    let embed = retrieval.embedder()?;
    match support_agent::learned::LearnedBrain::bundled(embed) {
        Ok(brain) => {
            tracing::info!("learned classifier on (beside the rules)");
            Some(Arc::new(brain))
        }
        Err(e) => {
            tracing::warn!(error = %e, "learned classifier off: the rules decide alone");
            None
        }
    }
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
    url: String,
    bootstrap: Option<Bootstrap>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with(config, Services::default()).await
    }

    pub async fn build_with(mut config: Config, services: Services) -> anyhow::Result<Self> {
        let store = Store::connect(&config.database_url)
            .await
            .with_context(|| format!("open database {}", redact_url(&config.database_url)))?;
        store.migrate().await.context("migrate database")?;
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("bind {}", config.bind))?;
        config.bind = listener.local_addr()?;
        let url = config.public_url();
        let bootstrap = bootstrap::first_start(&store, &config, &url).await?;
        let front = match services.front {
            Some(f) => f,
            None => Arc::new(FrontClient::new(
                &config.front.api_url,
                config.front.api_token.expose(),
            )?),
        };
        let key_path = config.master_key_path();
        if let Some(dir) = key_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        }
        let keyring = support_secrets::Keyring::load_or_create(&key_path)
            .with_context(|| format!("master key file {}", key_path.display()))?;
        let secrets = Arc::new(secrets::AppSecrets::new(Arc::new(keyring), store.clone()));
        let clock: Arc<dyn clock::Clock> = services
            .clock
            .unwrap_or_else(|| Arc::new(clock::SystemClock));
        let engine_clock = clock.clone();
        let engine = support_engine::Engine::new(
            store.clone(),
            support_engine::EngineConfig {
                fault: config.engine_fault.clone(),
                clock: Arc::new(move || engine_clock.now_ms()),
                concurrency: i64::from(config.worker.engine_concurrency.max(1)),
                ..support_engine::EngineConfig::default()
            },
        );
        let engine = Arc::new(engine);
        // The Stripe client needs a TLS provider; the binary installs ring at start, and so
        // does this for embedders and tests (a no-op when one is installed).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let (stripe, stripe_connect): (
            Arc<dyn support_stripe::StripeApi>,
            Arc<dyn support_stripe::StripeConnect>,
        ) = if config.stripe.secret_key.is_empty() {
            (
                Arc::new(stripe::Unconfigured),
                Arc::new(stripe::ConnectUnconfigured),
            )
        } else {
            let client = Arc::new(
                support_stripe::StripeClient::new(
                    &config.stripe.api_url,
                    config.stripe.secret_key.expose(),
                    std::time::Duration::from_secs(30),
                )
                .map_err(|e| anyhow::anyhow!("stripe client: {e}"))?
                .with_connect(&config.stripe.connect_url, &config.stripe.client_id),
            );
            let connect: Arc<dyn support_stripe::StripeConnect> =
                if config.stripe.client_id.is_empty() {
                    Arc::new(stripe::ConnectUnconfigured)
                } else {
                    client.clone()
                };
            (client, connect)
        };
        let slack: Arc<dyn support_slack::SlackApi> = Arc::new(
            support_slack::SlackClient::new(
                &config.slack.api_url,
                config.slack.bot_token.expose(),
                std::time::Duration::from_secs(15),
            )
            .map_err(|e| anyhow::anyhow!("slack client: {e}"))?,
        );
        let directory: Arc<dyn support_agent::app_tools::AppDirectory> =
            Arc::new(apps::RegisteredApps {
                store: store.clone(),
                secrets: secrets.clone(),
                clock: clock.clone(),
            });
        let tools = support_agent::tools::registry(
            stripe.clone(),
            front.clone(),
            slack.clone(),
            directory.clone(),
        );
        let actions =
            support_agent::actions::ActionService::new(store.clone(), engine.clone(), tools);
        actions.set_notifier(Arc::new(pipeline::slack_approvals::SlackApprovals {
            store: store.clone(),
            slack: slack.clone(),
        }));
        let retrieval = Arc::new(retrieval::Retrieval::start(&config).await);
        let inbound = support_agent::inbound::InboundService::new(
            store.clone(),
            engine.clone(),
            support_agent::inbound::InboundConfig {
                debounce_ms: config.worker.inbound_debounce_ms as i64,
                ..support_agent::inbound::InboundConfig::default()
            },
            actions.clone(),
            directory.clone(),
            stripe.clone(),
            support_agent::inbound::BrainSettings {
                search: retrieval.store(),
                learned: learned_brain(&retrieval),
                ..brain_settings(&config)?
            },
        );
        let outbox_wake = Arc::new(tokio::sync::Notify::new());
        let pipeline = pipeline::Pipeline {
            ingest: ingest::Ingestor::start(
                store.clone(),
                config
                    .fault_point
                    .as_deref()
                    .and_then(ingest::FaultPoint::parse),
                outbox_wake.clone(),
            ),
            store,
            engine,
            front,
            stripe,
            slack,
            actions,
            inbound,
            apps: directory,
            clock,
            outbox_wake,
            retrieval,
            settings: pipeline::PipelineSettings {
                poll_ms: config.worker.poll_ms,
                front_reconcile_secs: config.worker.front_reconcile_secs,
                front_configured: !config.front.api_token.expose().is_empty(),
                stripe_client_id: config.stripe.client_id.clone(),
            },
        };
        let state = AppState {
            pipeline,
            config: Arc::new(config),
            secrets,
            stripe_connect,
        };
        Ok(Self {
            listener,
            state,
            url,
            bootstrap,
        })
    }

    pub fn port(&self) -> u16 {
        self.state.config.bind.port()
    }

    /// The base URL, e.g. `http://127.0.0.1:3000`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Credentials created by this start, if it was the first.
    pub fn bootstrap(&self) -> Option<&Bootstrap> {
        self.bootstrap.as_ref()
    }

    /// Serves until `shutdown` resolves, then stops accepting, finishes in-flight requests,
    /// stops the worker between items and closes the database.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let worker = if self.state.config.worker.enabled {
            let engine = tokio::spawn(self.state.engine.clone().run_loop(stop_rx.clone()));
            let outbox = tokio::spawn(worker::run(self.state.pipeline.clone(), stop_rx.clone()));
            tokio::spawn(reconcile::run(self.state.pipeline.clone(), stop_rx));
            Some((engine, outbox))
        } else {
            None
        };
        let store = self.state.store.clone();
        let app = http::router(self.state);
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .context("http server")?;
        let _ = stop_tx.send(true);
        if let Some((engine, outbox)) = worker {
            let _ = outbox.await;
            let _ = engine.await;
        }
        store.close().await;
        Ok(())
    }
}

/// A database URL with any password removed, for logs and errors.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact_url("postgres://u:pw@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            super::redact_url("sqlite://./data/x.db"),
            "sqlite://./data/x.db"
        );
    }
}
