//! [`LlmConfig`] (what an operator writes in the config file) and [`client_from_config`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::anthropic::AnthropicClient;
use crate::error::LlmError;
use crate::openai::OpenAiCompatClient;
use crate::{LlmClient, RetryPolicy};

/// Which wire format a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Anthropic Messages (`POST {base_url}/v1/messages`).
    Anthropic,
    /// OpenAI-compatible Chat Completions (`POST {base_url}/chat/completions`): OpenAI, vLLM,
    /// llama.cpp server, Ollama.
    OpenaiCompat,
}

impl Provider {
    /// Stable journal name (`anthropic`, `openai_compat`).
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Anthropic => "anthropic",
            Provider::OpenaiCompat => "openai_compat",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An API key. `Debug` prints `[redacted]`; there is no `Display` and no `Serialize`, so the
/// key can only leave through [`ApiKey::expose`], which only the clients call to build the
/// auth header.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself, for the auth header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How the platform reaches its LLM. Example (TOML):
///
/// ```toml
/// provider = "openai_compat"
/// base_url = "http://127.0.0.1:11434/v1"   # Ollama; OpenAI is https://api.openai.com/v1
/// model = "qwen2.5:7b-instruct"
/// # api_key is optional: local servers usually need none
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmConfig {
    pub provider: Provider,
    /// Anthropic: the host (`https://api.anthropic.com`; a trailing `/v1` is tolerated).
    /// OpenAI-compatible: up to and including the version path (`https://api.openai.com/v1`).
    /// A trailing slash is fine either way.
    pub base_url: String,
    pub model: String,
    /// Sent as `x-api-key` (Anthropic) or `Authorization: Bearer` (OpenAI-compatible); no
    /// auth header at all when unset.
    #[serde(default)]
    pub api_key: Option<ApiKey>,
    /// Bound on one HTTP attempt (connect, send, whole response).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Retries after the first attempt for transient failures (see
    /// [`LlmError::is_transient`]).
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// OpenAI-compatible only: the name of the output-length field. `max_tokens` is what
    /// local servers (vLLM, llama.cpp, Ollama) read; OpenAI's reasoning models refuse it
    /// and want `max_completion_tokens`.
    #[serde(default)]
    pub max_tokens_field: MaxTokensField,
}

/// See [`LlmConfig::max_tokens_field`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxTokensField {
    #[default]
    MaxTokens,
    MaxCompletionTokens,
}

impl MaxTokensField {
    pub fn as_str(self) -> &'static str {
        match self {
            MaxTokensField::MaxTokens => "max_tokens",
            MaxTokensField::MaxCompletionTokens => "max_completion_tokens",
        }
    }
}

/// Default per-attempt timeout: a tool-calling completion with a short answer usually takes
/// a few seconds; a minute leaves room for a slow local model.
pub const DEFAULT_TIMEOUT_MS: u64 = 60_000;

/// Default retries after the first attempt.
pub const DEFAULT_MAX_RETRIES: u32 = 2;

/// More retries than this is a config mistake (each can wait for a full timeout).
pub const MAX_MAX_RETRIES: u32 = 10;

fn default_timeout_ms() -> u64 {
    DEFAULT_TIMEOUT_MS
}

fn default_max_retries() -> u32 {
    DEFAULT_MAX_RETRIES
}

impl LlmConfig {
    /// Check the fields a client needs; errors never contain the key.
    pub fn check(&self) -> Result<(), LlmError> {
        let bad = |m: &str| Err(LlmError::Config(m.to_owned()));
        let url = reqwest::Url::parse(self.base_url.trim())
            .map_err(|e| LlmError::Config(format!("base_url is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return bad("base_url must be an http:// or https:// URL with a host");
        }
        if url.query().is_some() || url.fragment().is_some() {
            return bad("base_url must not have a query or fragment");
        }
        if self.model.trim().is_empty() {
            return bad("model must not be empty");
        }
        if self.timeout_ms == 0 {
            return bad("timeout_ms must be greater than 0");
        }
        if self.max_retries > MAX_MAX_RETRIES {
            return Err(LlmError::Config(format!(
                "max_retries must be at most {MAX_MAX_RETRIES}"
            )));
        }
        if let Some(key) = &self.api_key
            && (key.0.is_empty() || !key.0.bytes().all(|b| b.is_ascii_graphic()))
        {
            return bad("api_key must be non-empty printable ASCII without spaces");
        }
        Ok(())
    }

    /// Per-attempt timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// The default [`RetryPolicy`] with this config's `max_retries`.
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_retries: self.max_retries,
            ..RetryPolicy::default()
        }
    }
}

/// The client `config.provider` names, behind the trait the brain uses.
///
/// Fails (instead of panicking inside reqwest) when no rustls crypto provider is installed
/// for the process; call `rustls::crypto::ring::default_provider().install_default()` at
/// startup.
pub fn client_from_config(config: &LlmConfig) -> Result<Arc<dyn LlmClient>, LlmError> {
    Ok(match config.provider {
        Provider::Anthropic => Arc::new(AnthropicClient::from_config(config)?),
        Provider::OpenaiCompat => Arc::new(OpenAiCompatClient::from_config(config)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_like_json: serde_json::Value) -> Result<LlmConfig, serde_json::Error> {
        serde_json::from_value(toml_like_json)
    }

    #[test]
    fn defaults_and_unknown_fields() {
        let c = parse(serde_json::json!({
            "provider": "openai_compat",
            "base_url": "http://127.0.0.1:11434/v1",
            "model": "m",
        }))
        .unwrap();
        assert_eq!(c.provider, Provider::OpenaiCompat);
        assert_eq!(c.api_key, None);
        assert_eq!(c.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert_eq!(c.max_retries, DEFAULT_MAX_RETRIES);
        assert!(c.check().is_ok());

        let e = parse(serde_json::json!({
            "provider": "anthropic", "base_url": "https://api.anthropic.com",
            "model": "m", "api_kee": "typo",
        }))
        .unwrap_err();
        assert!(e.to_string().contains("api_kee"), "{e}");
        assert!(
            parse(serde_json::json!({"provider": "gemini", "base_url": "x", "model": "m"}))
                .is_err()
        );
    }

    #[test]
    fn check_rejects_bad_fields_without_echoing_the_key() {
        let good = LlmConfig {
            provider: Provider::Anthropic,
            base_url: "https://api.anthropic.com".into(),
            model: "claude".into(),
            api_key: Some(ApiKey::new("sk-ant-secret")),
            timeout_ms: 1000,
            max_retries: 2,
            max_tokens_field: MaxTokensField::MaxTokens,
        };
        assert!(good.check().is_ok());
        let cases = [
            LlmConfig {
                base_url: "ftp://x".into(),
                ..good.clone()
            },
            LlmConfig {
                base_url: "not a url".into(),
                ..good.clone()
            },
            LlmConfig {
                base_url: "http://h/v1?x=1".into(),
                ..good.clone()
            },
            LlmConfig {
                model: " ".into(),
                ..good.clone()
            },
            LlmConfig {
                timeout_ms: 0,
                ..good.clone()
            },
            LlmConfig {
                max_retries: MAX_MAX_RETRIES + 1,
                ..good.clone()
            },
            LlmConfig {
                api_key: Some(ApiKey::new("sk-ant secret")),
                ..good.clone()
            },
        ];
        for c in cases {
            let e = c.check().unwrap_err();
            assert!(matches!(e, LlmError::Config(_)), "{e:?}");
            assert!(!e.to_string().contains("secret"), "{e}");
        }
    }

    #[test]
    fn key_is_redacted_in_debug() {
        let c = LlmConfig {
            provider: Provider::Anthropic,
            base_url: "https://api.anthropic.com".into(),
            model: "claude".into(),
            api_key: Some(ApiKey::new("sk-ant-very-secret")),
            timeout_ms: 1000,
            max_retries: 2,
            max_tokens_field: MaxTokensField::MaxTokens,
        };
        let dbg = format!("{c:?} {:#?}", c.api_key);
        assert!(!dbg.contains("very-secret"), "{dbg}");
        assert!(dbg.contains("[redacted]"));
    }
}
