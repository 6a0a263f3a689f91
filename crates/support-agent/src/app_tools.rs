//! Tools that act in the product app through its SDK contract: look a customer up, send a
//! magic login link, move a purchase, change an email or name. The app's client is resolved
//! per action from the app the action belongs to.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};
use support_engine::RetryPolicy;
use support_sdk::{AppApi, SdkError};
use support_types::Email;

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LookupParams {
    email: Email,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MagicLinkParams {
    email: Email,
    /// Seconds; one hour when absent.
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TransferParams {
    purchase_id: String,
    from_user_id: String,
    to_email: Email,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UpdateEmailParams {
    user_id: String,
    new_email: Email,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UpdateNameParams {
    user_id: String,
    name: String,
}

fn parse<T: for<'de> Deserialize<'de>>(params: &Value) -> Result<T, ToolError> {
    serde_json::from_value(params.clone()).map_err(|e| ToolError::Invalid(e.to_string()))
}

/// The app's methods are idempotent on retry (the contract asks it of writes), so anything
/// that may not have landed is retried with the same parameters; refusals are final.
fn from_sdk(e: SdkError) -> ToolError {
    match e {
        SdkError::Server(_) | SdkError::Transport { .. } | SdkError::Decode(_) => {
            ToolError::Retry(e.to_string())
        }
        SdkError::NotSupported => ToolError::Failed("the app does not support this method".into()),
        other => ToolError::Failed(other.to_string()),
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, ToolError> {
    serde_json::to_value(v).map_err(|e| ToolError::Failed(e.to_string()))
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

    fn validate(&self, params: &Value) -> Result<(), ToolError> {
        match self.method {
            AppMethod::LookupUser => parse::<LookupParams>(params).map(|_| ()),
            AppMethod::GenerateMagicLink => {
                let p: MagicLinkParams = parse(params)?;
                match p.expires_in {
                    Some(s) if !(60..=7 * 24 * 3600).contains(&s) => Err(ToolError::Invalid(
                        "expires_in must be 60 s to 7 days".into(),
                    )),
                    _ => Ok(()),
                }
            }
            AppMethod::TransferPurchase => {
                let p: TransferParams = parse(params)?;
                if p.purchase_id.is_empty() || p.from_user_id.is_empty() {
                    return Err(ToolError::Invalid(
                        "purchaseId and fromUserId are required".into(),
                    ));
                }
                Ok(())
            }
            AppMethod::UpdateEmail => parse::<UpdateEmailParams>(params).map(|_| ()),
            AppMethod::UpdateName => {
                let p: UpdateNameParams = parse(params)?;
                if p.name.trim().is_empty() || p.name.len() > 200 {
                    return Err(ToolError::Invalid("name must be 1-200 characters".into()));
                }
                Ok(())
            }
        }
    }

    async fn execute(&self, ctx: &ToolCtx, params: &Value) -> Result<Value, ToolError> {
        let app_id = ctx
            .app_id
            .as_deref()
            .ok_or_else(|| ToolError::Invalid(format!("{} needs the action's app", self.name())))?;
        let api = self.apps.app_api(app_id).await?;
        match self.method {
            AppMethod::LookupUser => {
                let p: LookupParams = parse(params)?;
                let user = api.lookup_user(&p.email).await.map_err(from_sdk)?;
                Ok(json!({ "user": user }))
            }
            AppMethod::GenerateMagicLink => {
                let p: MagicLinkParams = parse(params)?;
                let link = api
                    .generate_magic_link(&p.email, p.expires_in.unwrap_or(3600))
                    .await
                    .map_err(from_sdk)?;
                to_value(&link)
            }
            AppMethod::TransferPurchase => {
                let p: TransferParams = parse(params)?;
                let r = api
                    .transfer_purchase(&p.purchase_id, &p.from_user_id, &p.to_email)
                    .await
                    .map_err(from_sdk)?;
                to_value(&r)
            }
            AppMethod::UpdateEmail => {
                let p: UpdateEmailParams = parse(params)?;
                let u = api
                    .update_email(&p.user_id, &p.new_email)
                    .await
                    .map_err(from_sdk)?;
                to_value(&u)
            }
            AppMethod::UpdateName => {
                let p: UpdateNameParams = parse(params)?;
                let u = api
                    .update_name(&p.user_id, &p.name)
                    .await
                    .map_err(from_sdk)?;
                to_value(&u)
            }
        }
    }

    async fn reconcile(&self, _ctx: &ToolCtx, _params: &Value) -> Result<Option<Value>, ToolError> {
        // Never reached: app calls report "maybe" as retryable, and the app is idempotent.
        Ok(None)
    }
}
