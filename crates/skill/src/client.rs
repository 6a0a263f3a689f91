//! The CLI's HTTP client for the server's JSON API: resolves URL and token (flags → env →
//! config file) and maps HTTP failures to exit codes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;
use support_types::api::{CliConfig, ErrorBody};

use crate::Cli;
use crate::exit::{self, CliError};

pub struct ApiClient {
    http: reqwest::Client,
    url: String,
    token: String,
}

/// The config file path the CLI reads (and `skill serve` writes).
pub fn config_path(cli: &Cli) -> Option<PathBuf> {
    cli.cli_config
        .clone()
        .or_else(support_server::bootstrap::default_cli_config_path)
}

fn read_config(path: &Path) -> Result<Option<CliConfig>, CliError> {
    match std::fs::read_to_string(path) {
        Ok(raw) => toml::from_str(&raw).map(Some).map_err(|e| {
            CliError::config(format!("CLI config {} is invalid: {e}", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::config(format!(
            "cannot read CLI config {}: {e}",
            path.display()
        ))),
    }
}

impl ApiClient {
    pub fn from_cli(cli: &Cli) -> Result<Self, CliError> {
        let file = match config_path(cli) {
            Some(p) => read_config(&p)?,
            None => None,
        };
        let url = cli
            .url
            .clone()
            .or_else(|| file.as_ref().map(|c| c.url.clone()))
            .ok_or_else(|| {
                CliError::config(
                    "no server configured: run `skill serve` (it writes the CLI config on first start), \
                     `skill login --server URL --api-token TOKEN`, or pass --url and --token",
                )
            })?;
        let token = cli
            .token
            .clone()
            .or_else(|| file.as_ref().map(|c| c.token.clone()))
            .ok_or_else(|| CliError::config("no API token: pass --token or run `skill login`"))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| CliError::failure(format!("http client: {e}")))?;
        Ok(Self {
            http,
            url: url.trim_end_matches('/').to_owned(),
            token,
        })
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, CliError> {
        let req = self.http.get(format!("{}{path}", self.url));
        self.send(req).await
    }

    pub async fn post<T: DeserializeOwned, B: serde::Serialize>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, CliError> {
        let req = self.http.post(format!("{}{path}", self.url)).json(body);
        self.send(req).await
    }

    pub async fn put<T: DeserializeOwned, B: serde::Serialize>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, CliError> {
        let req = self.http.put(format!("{}{path}", self.url)).json(body);
        self.send(req).await
    }

    /// Like [`ApiClient::post`], but an answer that is not a success comes back as its status
    /// and error body instead of an error, so a caller can report it per item (bulk rows).
    /// Only an unreachable server or an unreadable answer is an error.
    pub async fn post_outcome<T: DeserializeOwned, B: serde::Serialize>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<Result<T, (u16, ErrorBody)>, CliError> {
        let resp = self
            .http
            .post(format!("{}{path}", self.url))
            .json(body)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| {
                CliError::new(
                    exit::UNREACHABLE,
                    format!("cannot reach the server at {}: {e}", self.url),
                )
            })?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| {
            CliError::new(
                exit::UNREACHABLE,
                format!("reading the response failed: {e}"),
            )
        })?;
        if status.is_success() {
            return serde_json::from_str(&text).map(Ok).map_err(|e| {
                CliError::new(
                    exit::SERVER,
                    format!("unexpected response from the server: {e}"),
                )
            });
        }
        let body = serde_json::from_str::<ErrorBody>(&text).unwrap_or_else(|_| ErrorBody {
            error: "http".into(),
            message: text.chars().take(200).collect(),
        });
        Ok(Err((status.as_u16(), body)))
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T, CliError> {
        let resp = req.bearer_auth(&self.token).send().await.map_err(|e| {
            CliError::new(
                exit::UNREACHABLE,
                format!("cannot reach the server at {}: {e}", self.url),
            )
        })?;
        let status = resp.status();
        let body = resp.text().await.map_err(|e| {
            CliError::new(
                exit::UNREACHABLE,
                format!("reading the response failed: {e}"),
            )
        })?;
        if status.is_success() {
            return serde_json::from_str(&body).map_err(|e| {
                CliError::new(
                    exit::SERVER,
                    format!("unexpected response from the server: {e}"),
                )
            });
        }
        let message = serde_json::from_str::<ErrorBody>(&body)
            .map(|b| b.message)
            .unwrap_or_else(|_| body.chars().take(200).collect());
        let code = match status.as_u16() {
            401 | 403 => exit::AUTH,
            404 => exit::NOT_FOUND,
            409 => exit::CONFLICT,
            400..=499 => exit::INVALID,
            _ => exit::SERVER,
        };
        Err(CliError::new(
            code,
            format!("server answered {status}: {message}"),
        ))
    }
}
