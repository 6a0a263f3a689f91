//! Configuration: built-in defaults, then `support.toml` (or `--config FILE`), then
//! `SUPPORT_*` environment variables (`SUPPORT_FRONT__APP_SECRET` sets `front.app_secret`).
//! Unknown keys are errors, so a typo in a file is reported instead of silently ignored.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;

/// A secret value: it can be read with [`Secret::expose`] but never prints.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

/// The non-empty secrets among `current` and `previous`, current first.
pub fn live<'a>(current: &'a Secret, previous: &'a Secret) -> Vec<&'a [u8]> {
    [current, previous]
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.expose().as_bytes())
        .collect()
}

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "Secret(<empty>)"
        } else {
            "Secret(<redacted>)"
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server binds.
    pub bind: SocketAddr,
    /// `sqlite://PATH` (embedded default) or `postgres://…`.
    pub database_url: String,
    /// Where local state lives (SQLite file, generated credentials).
    pub data_dir: PathBuf,
    /// The URL people and the CLI use to reach this server; defaults to `http://{bind}`.
    pub public_url: Option<String>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Per-request timeout, in seconds.
    pub request_timeout_secs: u64,
    /// `json` (default) or `pretty`.
    pub log_format: String,
    /// Email of the admin user created on first start.
    pub admin_email: String,
    /// Write the CLI's configuration on first start so `skill …` works with no flags.
    pub write_cli_config: bool,
    /// Where that CLI configuration goes; defaults to `$SKILL_CONFIG` or
    /// `$XDG_CONFIG_HOME/skill/config.toml` (`~/.config/skill/config.toml`).
    pub cli_config_path: Option<PathBuf>,
    /// The master key file for envelope encryption of stored secrets; created (0600) on first
    /// start. Defaults to `{data_dir}/master.key`.
    pub master_key_file: Option<PathBuf>,
    /// How long a rotated app signing secret keeps verifying, in hours.
    pub secret_grace_hours: u64,
    /// Recovery testing only: abort the process at a named point
    /// (`before_ingest_commit`, `after_ingest_commit`).
    pub fault_point: Option<String>,
    /// Recovery testing only: abort the engine at a step boundary
    /// (`before_step:NAME`, `inside_step:NAME`, `after_step:NAME`).
    pub engine_fault: Option<String>,
    pub worker: WorkerConfig,
    pub front: FrontConfig,
    pub slack: SlackConfig,
    pub stripe: StripeConfig,
    pub brain: BrainConfig,
    pub retrieval: RetrievalConfig,
    /// The language model for the `llm` and `tiered` brains (Anthropic Messages or any
    /// OpenAI-compatible endpoint, e.g. a local llama.cpp/vLLM/Ollama). None: rules only.
    pub llm: Option<support_llm::LlmConfig>,
}

pub use support_agent::inbound::BrainMode;

/// Which brain decides on inbound messages.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrainConfig {
    /// `rules` (no network, no model), `llm` (the model classifies, proposes and drafts), or
    /// `tiered` (rules first; the model when the rules are unsure or a reply needs writing).
    /// Whatever the brain, the app's policy decides every proposed action. Any other value
    /// is refused when the config is read.
    pub mode: BrainMode,
    /// In `tiered` mode, rules confidence at or above this keeps the rules' classification.
    pub tiered_min_confidence: f64,
    /// The model's tool-using loop: model calls per decision (the last must finish it).
    pub max_turns: u32,
    /// Tool calls per decision.
    pub max_tool_calls: u32,
    /// Input plus output tokens per decision, over all turns.
    pub max_tokens: u64,
}

impl Default for BrainConfig {
    fn default() -> Self {
        let limits = support_agent::agent::AgentLimits::default();
        Self {
            mode: BrainMode::Rules,
            tiered_min_confidence: 0.7,
            max_turns: limits.max_turns,
            max_tool_calls: limits.max_tool_calls,
            max_tokens: limits.max_tokens,
        }
    }
}

/// Search over past tickets, knowledge and trusted responses.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetrievalConfig {
    /// The sentence-transformers folder for dense search; default
    /// `{data_dir}/models/all-minilm-l6-v2`, where `skill models fetch` installs it. Without a
    /// model, search runs on keywords (BM25) only, and the server says so at start and in
    /// `skill status`.
    pub model_dir: Option<PathBuf>,
    /// The embedded search index; default `{data_dir}/index`.
    pub index_dir: Option<PathBuf>,
    /// Embedding requests that may wait; beyond that a search uses keywords at once.
    pub embed_queue: usize,
    /// Texts per forward pass.
    pub embed_batch: usize,
    /// An Upstash Vector index in place of the embedded one (`[retrieval.upstash]`).
    pub upstash: Option<UpstashSettings>,
}

impl Default for RetrievalConfig {
    fn default() -> Self {
        Self {
            model_dir: None,
            index_dir: None,
            embed_queue: 256,
            embed_batch: 32,
            upstash: None,
        }
    }
}

/// An Upstash Vector index (the scale-out search backend).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstashSettings {
    /// The index's REST URL (`UPSTASH_VECTOR_REST_URL`).
    pub url: String,
    /// The index's REST token; better from `SUPPORT_RETRIEVAL__UPSTASH__TOKEN`.
    pub token: Secret,
    /// The namespace the platform uses; `""` is the index's default one.
    #[serde(default)]
    pub namespace: String,
    /// The index has a sparse half too, so text queries may ask for hybrid search.
    #[serde(default)]
    pub hybrid: bool,
    /// Who turns text into vectors: `hosted` (the index was created with an embedding
    /// model) or `local` (the platform's own model, which must then be installed).
    #[serde(default)]
    pub embedding: UpstashEmbedding,
}

/// Who embeds for an Upstash index.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum UpstashEmbedding {
    #[default]
    Hosted,
    Local,
}

impl Config {
    /// Where the search index lives.
    pub fn index_dir(&self) -> PathBuf {
        self.retrieval
            .index_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("index"))
    }

    /// Where the embedding model is looked for.
    pub fn model_dir(&self) -> PathBuf {
        self.retrieval
            .model_dir
            .clone()
            .unwrap_or_else(|| support_embed::default_model_dir(&self.data_dir))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerConfig {
    /// Run the outbox worker in this process.
    pub enabled: bool,
    /// How often an idle worker looks for due work, in milliseconds.
    pub poll_ms: u64,
    /// How long the inbound workflow waits after the first message of a burst before it
    /// decides, in milliseconds, so a customer's follow-up lines are decided together.
    /// `0` decides as soon as the worker picks the message up (benchmarks, evaluations).
    pub inbound_debounce_ms: u64,
    /// Workflow runs executing at once (each mostly waits on the network). Measured with
    /// `skill bench draft` at 50 conversations/s on 2 cores: 4 is much slower on SQLite
    /// too, 32 no faster than 16.
    pub engine_concurrency: u32,
    /// Every this many seconds (and once at start) the worker lists Front's events since
    /// shortly before the newest one stored and stores any whose webhook never arrived.
    /// `0` turns it off; it is also off while `front.api_token` is empty.
    pub front_reconcile_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FrontConfig {
    pub api_url: String,
    pub api_token: Secret,
    /// The Front app's secret, which signs application webhooks.
    pub app_secret: Secret,
    /// The company API secret, which signs (SHA-1, no timestamp) rule webhooks. Rule webhooks
    /// are refused unless this is set and the inbox's app opted in.
    pub api_secret: Secret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlackConfig {
    pub api_url: String,
    pub bot_token: Secret,
    pub signing_secret: Secret,
    /// The previous signing secret, still accepted while Slack's is being replaced.
    pub previous_signing_secret: Secret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StripeConfig {
    pub api_url: String,
    pub secret_key: Secret,
    /// This webhook endpoint's signing secret (`whsec_…`).
    pub webhook_secret: Secret,
    /// The endpoint's previous secret, accepted while Stripe rolls it.
    pub previous_webhook_secret: Secret,
    /// Stripe's OAuth host for Connect (`https://connect.stripe.com`).
    pub connect_url: String,
    /// The platform's Connect client id (`ca_…`); Connect OAuth is off without it.
    pub client_id: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            database_url: "sqlite://./data/support.db".into(),
            data_dir: PathBuf::from("./data"),
            public_url: None,
            max_body_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            log_format: "json".into(),
            admin_email: "admin@localhost".into(),
            write_cli_config: true,
            cli_config_path: None,
            master_key_file: None,
            secret_grace_hours: 24,
            fault_point: None,
            engine_fault: None,
            worker: WorkerConfig::default(),
            front: FrontConfig::default(),
            slack: SlackConfig::default(),
            stripe: StripeConfig::default(),
            brain: BrainConfig::default(),
            retrieval: RetrievalConfig::default(),
            llm: None,
        }
    }
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            poll_ms: 250,
            engine_concurrency: 16,
            front_reconcile_secs: 300,
            inbound_debounce_ms: support_agent::inbound::InboundConfig::default().debounce_ms
                as u64,
        }
    }
}

impl Default for FrontConfig {
    fn default() -> Self {
        Self {
            api_url: "https://api2.frontapp.com".into(),
            api_token: Secret::default(),
            app_secret: Secret::default(),
            api_secret: Secret::default(),
        }
    }
}

impl Default for SlackConfig {
    fn default() -> Self {
        Self {
            api_url: "https://slack.com/api".into(),
            bot_token: Secret::default(),
            signing_secret: Secret::default(),
            previous_signing_secret: Secret::default(),
        }
    }
}

impl Default for StripeConfig {
    fn default() -> Self {
        Self {
            api_url: "https://api.stripe.com".into(),
            secret_key: Secret::default(),
            webhook_secret: Secret::default(),
            previous_webhook_secret: Secret::default(),
            connect_url: support_stripe::DEFAULT_CONNECT_URL.into(),
            client_id: String::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {0} does not exist")]
    Missing(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// The file read when `--config` is not given (optional).
pub const DEFAULT_FILE: &str = "support.toml";

impl Config {
    /// Loads defaults → file → environment. An explicitly named file must exist; the
    /// default `support.toml` is read only if present.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut fig = Figment::new();
        match file {
            Some(path) => {
                if !path.is_file() {
                    return Err(ConfigError::Missing(path.to_owned()));
                }
                fig = fig.merge(Toml::file_exact(path));
            }
            None => {
                if Path::new(DEFAULT_FILE).is_file() {
                    fig = fig.merge(Toml::file_exact(DEFAULT_FILE));
                }
            }
        }
        fig = fig.merge(Env::prefixed("SUPPORT_").split("__"));
        let config: Config = fig
            .extract()
            .map_err(|e| ConfigError::Invalid(describe(e)))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let url = &self.database_url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid(format!(
                "database_url {url:?} must start with sqlite:, postgres:// or postgresql://"
            )));
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "max_body_bytes must be at least 1024".into(),
            ));
        }
        if let Some(f) = &self.fault_point
            && crate::ingest::FaultPoint::parse(f).is_none()
        {
            return Err(ConfigError::Invalid(format!(
                "fault_point {f:?} must be before_ingest_commit or after_ingest_commit"
            )));
        }
        match (self.brain.mode, &self.llm) {
            (_, Some(llm)) => llm
                .check()
                .map_err(|e| ConfigError::Invalid(format!("llm: {e}")))?,
            (BrainMode::Rules, None) => {}
            (mode @ (BrainMode::Llm | BrainMode::Tiered), None) => {
                return Err(ConfigError::Invalid(format!(
                    "brain.mode {:?} needs an [llm] section (provider, base_url, model)",
                    mode.as_str()
                )));
            }
        }
        if self.worker.inbound_debounce_ms > 3_600_000 {
            return Err(ConfigError::Invalid(
                "worker.inbound_debounce_ms must be at most 3600000 (one hour)".into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.brain.tiered_min_confidence) {
            return Err(ConfigError::Invalid(
                "brain.tiered_min_confidence must be between 0 and 1".into(),
            ));
        }
        if let Some(u) = &self.retrieval.upstash {
            let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
                .iter()
                .any(|p| u.url.starts_with(p));
            if !(u.url.starts_with("https://") || loopback) {
                return Err(ConfigError::Invalid(
                    "retrieval.upstash.url must be https:// (or http:// on loopback)".into(),
                ));
            }
            if u.token.is_empty() {
                return Err(ConfigError::Invalid(
                    "retrieval.upstash.token is empty (set SUPPORT_RETRIEVAL__UPSTASH__TOKEN)"
                        .into(),
                ));
            }
        }
        if !(1..=20).contains(&self.brain.max_turns) {
            return Err(ConfigError::Invalid(
                "brain.max_turns must be between 1 and 20".into(),
            ));
        }
        if self.brain.max_tool_calls > 100 {
            return Err(ConfigError::Invalid(
                "brain.max_tool_calls must be at most 100".into(),
            ));
        }
        if !(1_000..=1_000_000).contains(&self.brain.max_tokens) {
            return Err(ConfigError::Invalid(
                "brain.max_tokens must be between 1000 and 1000000".into(),
            ));
        }
        if !matches!(self.log_format.as_str(), "json" | "pretty") {
            return Err(ConfigError::Invalid(format!(
                "log_format {:?} must be \"json\" or \"pretty\"",
                self.log_format
            )));
        }
        Ok(())
    }

    /// Where the master key file lives.
    pub fn master_key_path(&self) -> PathBuf {
        self.master_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("master.key"))
    }

    /// The base URL clients should use.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
    }
}

/// Every error figment found, each with the key and where the value came from.
fn describe(e: figment::Error) -> String {
    e.into_iter()
        .map(|err| {
            let path = if err.path.is_empty() {
                String::new()
            } else {
                format!("{}: ", err.path.join("."))
            };
            let from = err
                .metadata
                .as_ref()
                .map(|m| {
                    let src = m
                        .source
                        .as_ref()
                        .map(|s| format!(" {s}"))
                        .unwrap_or_default();
                    format!(" (from {}{src})", m.name)
                })
                .unwrap_or_default();
            format!("{path}{}{from}", err.kind)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        let mut c = Config::default();
        c.front.app_secret = s;
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn inbound_debounce_is_configurable_and_bounded() {
        assert_eq!(Config::default().worker.inbound_debounce_ms, 3_000);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("support.toml");
        std::fs::write(&file, "[worker]\ninbound_debounce_ms = 0\n").unwrap();
        assert_eq!(
            Config::load(Some(&file))
                .unwrap()
                .worker
                .inbound_debounce_ms,
            0
        );
        std::fs::write(&file, "[worker]\ninbound_debounce_ms = 3600001\n").unwrap();
        let err = Config::load(Some(&file)).unwrap_err().to_string();
        assert!(err.contains("inbound_debounce_ms"), "{err}");
    }

    #[test]
    fn the_models_loop_is_bounded_by_config() {
        let d = Config::default().brain;
        assert_eq!(
            (d.max_turns, d.max_tool_calls, d.max_tokens),
            (6, 12, 40_000)
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("support.toml");
        std::fs::write(&file, "[brain]\nmax_turns = 3\nmax_tokens = 5000\n").unwrap();
        let b = Config::load(Some(&file)).unwrap().brain;
        assert_eq!((b.max_turns, b.max_tokens), (3, 5_000));
        for (bad, named) in [
            ("max_turns = 0", "max_turns"),
            ("max_turns = 21", "max_turns"),
            ("max_tool_calls = 101", "max_tool_calls"),
            ("max_tokens = 10", "max_tokens"),
        ] {
            std::fs::write(&file, format!("[brain]\n{bad}\n")).unwrap();
            let err = Config::load(Some(&file)).unwrap_err().to_string();
            assert!(err.contains(named), "{bad}: {err}");
        }
    }

    #[test]
    fn an_upstash_index_is_checked_when_configured() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("support.toml");
        std::fs::write(
            &file,
            "[retrieval.upstash]\nurl = \"https://x-1.upstash.io\"\ntoken = \"t\"\nnamespace = \"support\"\nembedding = \"local\"\n",
        )
        .unwrap();
        let u = Config::load(Some(&file))
            .unwrap()
            .retrieval
            .upstash
            .unwrap();
        assert_eq!(
            (u.namespace.as_str(), u.embedding),
            ("support", UpstashEmbedding::Local)
        );
        for (bad, named) in [
            ("url = \"http://x.upstash.io\"\ntoken = \"t\"", "https"),
            ("url = \"https://x.upstash.io\"\ntoken = \"\"", "token"),
            (
                "url = \"https://x.upstash.io\"\ntoken = \"t\"\nembedding = \"cloud\"",
                "embedding",
            ),
        ] {
            std::fs::write(&file, format!("[retrieval.upstash]\n{bad}\n")).unwrap();
            let err = Config::load(Some(&file)).unwrap_err().to_string();
            assert!(err.contains(named), "{bad}: {err}");
        }
    }

    #[test]
    fn file_then_env_layering_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("support.toml");
        std::fs::write(
            &file,
            "bind = \"127.0.0.1:4000\"\n[front]\napp_secret = \"from-file\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&file)).unwrap();
        assert_eq!(c.bind.port(), 4000);
        assert_eq!(c.front.app_secret.expose(), "from-file");
        assert_eq!(c.database_url, "sqlite://./data/support.db");

        let missing = Config::load(Some(&dir.path().join("nope.toml"))).unwrap_err();
        assert!(missing.to_string().contains("nope.toml"), "{missing}");

        std::fs::write(&file, "bnid = \"x\"\n").unwrap();
        let unknown = Config::load(Some(&file)).unwrap_err().to_string();
        assert!(unknown.contains("bnid"), "{unknown}");

        std::fs::write(&file, "bind = \"not an address\"\n").unwrap();
        let bad = Config::load(Some(&file)).unwrap_err().to_string();
        assert!(bad.contains("bind"), "{bad}");

        std::fs::write(&file, "database_url = \"mysql://x\"\n").unwrap();
        let db = Config::load(Some(&file)).unwrap_err().to_string();
        assert!(db.contains("mysql://x"), "{db}");

        std::fs::write(&file, "bind = [\n").unwrap();
        let syntax = Config::load(Some(&file)).unwrap_err().to_string();
        assert!(syntax.contains("support.toml"), "{syntax}");
    }
}
