//! Tools that act in the product app through its SDK contract: look a customer up, send a
//! magic login link, move a purchase, change an email or name. The app's client is resolved
//! per action from the app the action belongs to.

use std::sync::Arc;

use serde_json::{Value, json};
use support_engine::RetryPolicy;
use support_sdk::{AppApi, SdkError};

use crate::request::ActionRequest;
use crate::tools::{Tool, ToolCtx, ToolError};

/// Finds the SDK client of an app (its integration URL and current signing secret).
#[async_trait::async_trait]
pub trait AppDirectory: Send + Sync {
    async fn app_api(&self, app_id: &str) -> Result<Arc<dyn AppApi>, ToolError>;
}

/// The app-side methods exposed as tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppMethod {
    LookupUser,
    GenerateMagicLink,
    TransferPurchase,
    UpdateEmail,
    UpdateName,
}

impl AppMethod {
    pub const ALL: [AppMethod; 5] = [
        AppMethod::LookupUser,
        AppMethod::GenerateMagicLink,
        AppMethod::TransferPurchase,
        AppMethod::UpdateEmail,
        AppMethod::UpdateName,
    ];

    /// The action kind (and tool name) for the method.
    pub fn kind(self) -> &'static str {
        match self {
            AppMethod::LookupUser => "lookup_user",
            AppMethod::GenerateMagicLink => "magic_link",
            AppMethod::TransferPurchase => "transfer_purchase",
            AppMethod::UpdateEmail => "update_email",
            AppMethod::UpdateName => "update_name",
        }
    }
}

/// The app's methods are idempotent on retry (the contract asks it of writes), so anything
/// that may not have landed is retried with the same parameters; refusals are final.
fn from_sdk(e: SdkError) -> ToolError {
    match e {
        SdkError::Server(_) | SdkError::Transport { .. } | SdkError::Decode(_) => {
            ToolError::retry(e)
        }
        SdkError::NotSupported => ToolError::failed("the app does not support this method"),
        other => ToolError::failed(other),
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, ToolError> {
    serde_json::to_value(v).map_err(ToolError::failed)
}

/// One tool per [`AppMethod`].
pub struct AppTool {
    method: AppMethod,
    apps: Arc<dyn AppDirectory>,
}

impl AppTool {
    pub fn new(method: AppMethod, apps: Arc<dyn AppDirectory>) -> Self {
        Self { method, apps }
    }
}

#[async_trait::async_trait]
impl Tool for AppTool {
    fn name(&self) -> &'static str {
        self.method.kind()
    }

    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::DEFAULT
    }

    async fn execute(&self, ctx: &ToolCtx, req: &ActionRequest) -> Result<Value, ToolError> {
        let app_id = ctx
            .app_id
            .as_deref()
            .ok_or_else(|| ToolError::failed(format!("{} needs the action's app", self.name())))?;
        let api = self.apps.app_api(app_id).await?;
        match (self.method, req) {
            (AppMethod::LookupUser, ActionRequest::LookupUser(p)) => {
                let user = api.lookup_user(&p.email).await.map_err(from_sdk)?;
                Ok(json!({ "user": user }))
            }
            (AppMethod::GenerateMagicLink, ActionRequest::MagicLink(p)) => {
                let link = api
                    .generate_magic_link(&p.email, p.expires_in.unwrap_or(3600))
                    .await
                    .map_err(from_sdk)?;
                to_value(&link)
            }
            (AppMethod::TransferPurchase, ActionRequest::TransferPurchase(p)) => {
                let r = api
                    .transfer_purchase(&p.purchase_id, &p.from_user_id, &p.to_email)
                    .await
                    .map_err(from_sdk)?;
                to_value(&r)
            }
            (AppMethod::UpdateEmail, ActionRequest::UpdateEmail(p)) => {
                let u = api
                    .update_email(&p.user_id, &p.new_email)
                    .await
                    .map_err(from_sdk)?;
                to_value(&u)
            }
            (AppMethod::UpdateName, ActionRequest::UpdateName(p)) => {
                let u = api
                    .update_name(&p.user_id, &p.name)
                    .await
                    .map_err(from_sdk)?;
                to_value(&u)
            }
            // Never reached: app calls report "maybe" as retryable, and the app is idempotent,
            // so nothing here is ever reconciled.
            (_, other) => Err(ToolError::wrong_request(self.name(), other)),
        }
    }
}
