//! First App: a small online course shop with its own SQLite that plugs into the support
//! platform through one signed route, `POST /api/support`, served by
//! `support_sdk::support_routes` over `api.rs`'s implementation of every contract method
//! (only the optional `searchContent` is left out, so callers see a real 501).
//!
//! Browser pages: `/` (customers), `/login/magic?token=…` (follows a magic link: single use,
//! expiry enforced, starts a session), `/account` (who the session cookie belongs to) and
//! `/refund-policy`.
//!
//! It is a library so `skill sandbox` and the tests can run it in-process on a random port;
//! `src/main.rs` is a thin wrapper for running it standalone.

mod api;
mod db;
mod html;
mod login;
mod seed;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use axum::Router;
use axum::routing::get;
use sqlx::SqlitePool;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use login::SESSION_COOKIE;
pub use seed::{SeedCustomer, SeedPurchase, seed, seeded_customers};
pub use support_sdk::MAX_BODY_BYTES;

/// Loopback on a port the OS picks, so parallel tests and sandboxes never collide.
pub const DEFAULT_BIND: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// How to run the app.
#[derive(Debug, Clone)]
pub struct FirstAppConfig {
    /// The SQLite file; created (with its directory) if missing.
    pub db_path: PathBuf,
    /// Where to listen; [`DEFAULT_BIND`] unless running standalone.
    pub bind: SocketAddr,
    /// Shared secrets for `x-support-signature`, current first, previous second, so a
    /// rotation never rejects requests signed with the old one while senders catch up.
    pub secrets: Vec<String>,
    /// Write the demo data when the database has no users yet.
    pub seed: bool,
    /// The base URL customers reach the app at, used in magic links and the refund policy
    /// URL (e.g. `https://courses.example.com`). `None` uses [`FirstApp::url`].
    pub public_url: Option<String>,
}

impl FirstAppConfig {
    /// A config on [`DEFAULT_BIND`] that seeds an empty database.
    pub fn new(db_path: impl Into<PathBuf>, secrets: Vec<String>) -> Self {
        Self {
            db_path: db_path.into(),
            bind: DEFAULT_BIND,
            secrets,
            seed: true,
            public_url: None,
        }
    }
}

pub(crate) struct AppState {
    pub(crate) pool: SqlitePool,
    /// Base URL for links, without a trailing slash.
    pub(crate) public_url: String,
}

/// A running app. Dropping it also starts a graceful shutdown; [`FirstApp::shutdown`] waits
/// for it to finish.
pub struct FirstApp {
    addr: SocketAddr,
    pool: SqlitePool,
    stop: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
}

impl FirstApp {
    /// Opens or creates the database, creates missing tables, seeds an empty database when
    /// `config.seed`, binds and starts serving in the background.
    pub async fn start(config: FirstAppConfig) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !config.secrets.is_empty() && config.secrets.iter().all(|s| !s.is_empty()),
            "first-app needs at least one non-empty signing secret"
        );
        let pool = db::open(&config.db_path).await?;
        if config.seed && db::is_empty(&pool).await? {
            seed(&pool, now_unix()).await?;
        }
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("binding {}", config.bind))?;
        let addr = listener.local_addr().context("reading bound address")?;

        let public_url = config
            .public_url
            .unwrap_or_else(|| loopback_url(addr))
            .trim_end_matches('/')
            .to_owned();
        let state = Arc::new(AppState {
            pool: pool.clone(),
            public_url,
        });
        let integration = Arc::new(api::FirstAppIntegration::new(Arc::clone(&state)));
        let router = Router::new()
            .route("/", get(html::index))
            .route("/healthz", get(|| async { "ok" }))
            .route("/login/magic", get(login::magic))
            .route("/account", get(login::account))
            .route("/refund-policy", get(html::refund_policy))
            .with_state(state)
            .merge(support_sdk::support_routes(integration, config.secrets));

        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    // Fires on an explicit stop and when the FirstApp is dropped.
                    let _ = stopped.await;
                })
                .await
        });
        tracing::info!(%addr, db = %config.db_path.display(), "first-app listening");
        Ok(Self {
            addr,
            pool,
            stop,
            server,
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`. A wildcard bind is reported as loopback
    /// because that is the address a local caller can actually use.
    pub fn url(&self) -> String {
        loopback_url(self.addr)
    }

    /// The URL to register with the platform as this app's support endpoint.
    pub fn support_url(&self) -> String {
        format!("{}/api/support", self.url())
    }

    /// The app's database, so tests can arrange and inspect state directly.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Stops accepting connections, lets in-flight requests finish (at most 5 s) and closes
    /// the database so the file can be reopened at once.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let mut server = self.server;
        match tokio::time::timeout(Duration::from_secs(5), &mut server).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "first-app server ended with an error"),
            Ok(Err(e)) => tracing::warn!(error = %e, "first-app server task failed"),
            Err(_) => {
                tracing::warn!("first-app did not stop within 5 s; aborting");
                server.abort();
            }
        }
        self.pool.close().await;
    }
}

fn loopback_url(mut addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        });
    }
    format!("http://{addr}")
}

/// Wall-clock unix seconds; the signature window and purchase ages are measured with it.
pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The shop's help articles (`kb/`), as `(path, markdown)`: what `skill kb sync --app
/// first-app examples/first-app/kb` sends, built in so the sandbox indexes them wherever it
/// runs.
pub fn knowledge_base() -> Vec<(&'static str, &'static str)> {
    vec![
        ("access.md", include_str!("../kb/access.md")),
        ("pricing.md", include_str!("../kb/pricing.md")),
        ("refunds.md", include_str!("../kb/refunds.md")),
    ]
}
