//! Resolves a product app's SDK client for the tools: the integration URL from the registry
//! and the app's current signing secret (opened from its sealed record).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use support_agent::app_tools::AppDirectory;
use support_agent::tools::ToolError;
use support_sdk::{AppApi, SdkClient};
use support_store::Store;

use crate::clock::Clock;
use crate::secrets::AppSecrets;

/// One HTTP client for every app call in the process: a client is resolved per call (the
/// secret may have rotated), and building a reqwest client each time loaded the trust roots
/// from disk on every tool call (most of the CPU of the draft benchmark).
fn shared_http() -> Result<reqwest::Client, ToolError> {
    static HTTP: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = HTTP.get() {
        return Ok(c.clone());
    }
    let c = SdkClient::http_client(Duration::from_secs(15)).map_err(ToolError::failed)?;
    Ok(HTTP.get_or_init(|| c).clone())
}

pub struct RegisteredApps {
    pub store: Store,
    pub secrets: Arc<AppSecrets>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait::async_trait]
impl AppDirectory for RegisteredApps {
    async fn app_api(&self, app_id: &str) -> Result<Arc<dyn AppApi>, ToolError> {
        let app = self
            .store
            .app_by_id(app_id)
            .await
            .map_err(ToolError::retry)?
            .ok_or_else(|| ToolError::failed(format!("app {app_id} is not registered")))?;
        let url = app
            .integration_url
            .ok_or_else(|| ToolError::failed(format!("app {} has no integration URL", app.slug)))?;
        let secrets = self
            .secrets
            .signing_secrets(&app.id, self.clock.now_ms())
            .await
            .map_err(ToolError::retry)?;
        let current = secrets.first().ok_or_else(|| {
            ToolError::failed(format!("app {} has no live signing secret", app.slug))
        })?;
        let secret = std::str::from_utf8(current)
            .map_err(|_| ToolError::failed("the app's signing secret is not text"))?;
        let client =
            SdkClient::with_http(shared_http()?, &url, secret).map_err(ToolError::failed)?;
        Ok(Arc::new(client))
    }
}
