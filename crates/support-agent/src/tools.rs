//! Typed tools. Each validates its input before anything is written, executes with the
//! action's idempotency key, and can look up the outcome of an attempt it is unsure about
//! (reconcile) without repeating it.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;
use support_engine::RetryPolicy;
use support_stripe::{Outcome, RefundRequest, StripeApi, StripeError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    /// The input does not match the tool's schema; nothing was attempted.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// Definitely not done (declined, refused, a bug such as an idempotency mismatch).
    #[error("{0}")]
    Failed(String),
    /// Not done; the same request with the same key may be tried again.
    #[error("{0}")]
    Retry(String),
    /// Maybe done: reconcile before anything else.
    #[error("{0}")]
    Uncertain(String),
}

/// What a tool knows about the action it runs for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCtx {
    pub action_id: String,
    /// Identical on every attempt of this action.
    pub idempotency_key: String,
    /// The product app the action concerns, when there is one.
    pub app_id: Option<String>,
}

#[async_trait::async_trait]
pub trait Tool: Send + Sync {
    fn name(&self) -> &'static str;
    /// Attempt budget for execution (Stripe: 3; Front and Slack: 5).
    fn retry_policy(&self) -> RetryPolicy;
    /// Checks `params` against the tool's input schema.
    fn validate(&self, params: &Value) -> Result<(), ToolError>;
    /// Performs the action with the action's idempotency key.
    async fn execute(&self, ctx: &ToolCtx, params: &Value) -> Result<Value, ToolError>;
    /// Looks for the effect of an earlier attempt (for refunds: list by our metadata).
    async fn reconcile(&self, ctx: &ToolCtx, params: &Value) -> Result<Option<Value>, ToolError>;
    /// Whether [`Tool::follow_up`] has work to do for these parameters.
    fn wants_follow_up(&self, _ctx: &ToolCtx, _params: &Value) -> bool {
        false
    }
    /// Work that must follow a success (for refunds: revoke access in the app). It runs as its
    /// own journaled step after the remote call, so a crash between the two never repeats the
    /// call, and it must be idempotent.
    async fn follow_up(
        &self,
        _ctx: &ToolCtx,
        _params: &Value,
        _result: &Value,
    ) -> Result<Value, ToolError> {
        Ok(Value::Null)
    }
}

/// The tools an app's actions can use, by action kind.
#[derive(Clone, Default)]
pub struct ToolRegistry {
    tools: HashMap<String, Arc<dyn Tool>>,
}

impl ToolRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, kind: &str, tool: Arc<dyn Tool>) -> Self {
        self.tools.insert(kind.to_owned(), tool);
        self
    }

    pub fn get(&self, kind: &str) -> Option<Arc<dyn Tool>> {
        self.tools.get(kind).cloned()
    }

    pub fn kinds(&self) -> Vec<String> {
        let mut k: Vec<String> = self.tools.keys().cloned().collect();
        k.sort();
        k
    }
}

/// Input of the refund tool. Unknown fields are refused so a typo cannot silently drop a
/// constraint.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RefundParams {
    /// The product's connected Stripe account (`acct_…`).
    pub account: String,
    /// The charge to refund (`ch_…`).
    pub charge: String,
    /// Minor units; the remaining refundable amount when absent.
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub reason: Option<String>,
    /// The product app's purchase, for revoking access after the refund.
    #[serde(default)]
    pub purchase_id: Option<String>,
}

/// `process_refund` on a Connect account through the Stripe API, then `revokeAccess` in the
/// product app for the refunded purchase.
pub struct RefundTool {
    stripe: Arc<dyn StripeApi>,
    apps: Option<Arc<dyn crate::app_tools::AppDirectory>>,
}

impl RefundTool {
    pub fn new(stripe: Arc<dyn StripeApi>) -> Self {
        Self { stripe, apps: None }
    }

    /// Revokes access in the app after a refund of a known purchase.
    pub fn with_apps(mut self, apps: Arc<dyn crate::app_tools::AppDirectory>) -> Self {
        self.apps = Some(apps);
        self
    }

    fn params(params: &Value) -> Result<RefundParams, ToolError> {
        let p: RefundParams = serde_json::from_value(params.clone())
            .map_err(|e| ToolError::Invalid(e.to_string()))?;
        if !p.account.starts_with("acct_") {
            return Err(ToolError::Invalid(format!(
                "account {:?} must be acct_…",
                p.account
            )));
        }
        if !(p.charge.starts_with("ch_") || p.charge.starts_with("py_")) {
            return Err(ToolError::Invalid(format!(
                "charge {:?} must be ch_…",
                p.charge
            )));
        }
        if p.amount.is_some_and(|a| a <= 0) {
            return Err(ToolError::Invalid("amount must be positive".into()));
        }
        Ok(p)
    }
}

fn from_stripe(e: StripeError) -> ToolError {
    let msg = e.to_string();
    match e.outcome() {
        Outcome::Failed => ToolError::Failed(msg),
        Outcome::RetrySameKey => ToolError::Retry(msg),
        Outcome::Uncertain => ToolError::Uncertain(msg),
    }
}

#[async_trait::async_trait]
impl Tool for RefundTool {
    fn name(&self) -> &'static str {
        "process_refund"
    }

    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::STRIPE
    }

    fn validate(&self, params: &Value) -> Result<(), ToolError> {
        Self::params(params).map(|_| ())
    }

    async fn execute(&self, ctx: &ToolCtx, params: &Value) -> Result<Value, ToolError> {
        let (action_id, idempotency_key) = (ctx.action_id.as_str(), ctx.idempotency_key.as_str());
        let p = Self::params(params)?;
        // Check the charge on the connected account before any POST: a charge of another
        // account (C23) or one with too little left (C20, e.g. refunded elsewhere since the
        // policy decided) fails here, with nothing sent. If this action's own refund already
        // went through (an earlier attempt), the reconciliation below returns it instead.
        let charge = match self.stripe.retrieve_charge(&p.account, &p.charge).await {
            Ok(c) => c,
            Err(e) if e.code() == Some("resource_missing") => {
                return Err(ToolError::Failed(format!(
                    "charge {} is not on connected account {}; no refund was attempted",
                    p.charge, p.account
                )));
            }
            Err(e) => return Err(from_stripe(e)),
        };
        let wanted = p.amount.unwrap_or_else(|| charge.refundable());
        if charge.refundable() == 0 || wanted > charge.refundable() {
            if let Some(done) = self.reconcile(ctx, params).await? {
                return Ok(done);
            }
            return Err(ToolError::Failed(format!(
                "charge {} has {} {} left to refund and {wanted} was asked; no refund was attempted",
                p.charge,
                charge.refundable(),
                charge.currency
            )));
        }
        let mut metadata = std::collections::BTreeMap::new();
        metadata.insert(
            support_stripe::ACTION_METADATA_KEY.to_owned(),
            action_id.to_owned(),
        );
        if let Some(purchase) = &p.purchase_id {
            metadata.insert("purchase_id".to_owned(), purchase.clone());
        }
        let req = RefundRequest {
            charge: Some(p.charge.clone()),
            payment_intent: None,
            amount: p.amount,
            reason: p.reason.clone(),
            metadata,
        };
        let refund = self
            .stripe
            .create_refund(&p.account, &req, idempotency_key)
            .await
            .map_err(from_stripe)?;
        serde_json::to_value(&refund).map_err(|e| ToolError::Failed(e.to_string()))
    }

    async fn reconcile(&self, ctx: &ToolCtx, params: &Value) -> Result<Option<Value>, ToolError> {
        let action_id = ctx.action_id.as_str();
        let p = Self::params(params)?;
        let found = support_stripe::find_refund_by_action(
            self.stripe.as_ref(),
            &p.account,
            &p.charge,
            action_id,
        )
        .await
        .map_err(from_stripe)?;
        found
            .map(|r| serde_json::to_value(&r).map_err(|e| ToolError::Failed(e.to_string())))
            .transpose()
    }

    fn wants_follow_up(&self, ctx: &ToolCtx, params: &Value) -> bool {
        self.apps.is_some()
            && ctx.app_id.is_some()
            && Self::params(params).is_ok_and(|p| p.purchase_id.is_some())
    }

    async fn follow_up(
        &self,
        ctx: &ToolCtx,
        params: &Value,
        result: &Value,
    ) -> Result<Value, ToolError> {
        let p = Self::params(params)?;
        let (Some(apps), Some(app_id), Some(purchase)) = (&self.apps, &ctx.app_id, &p.purchase_id)
        else {
            return Ok(Value::Null);
        };
        let refund_id = result["id"]
            .as_str()
            .ok_or_else(|| ToolError::Failed("the refund has no id".into()))?;
        let api = apps.app_api(app_id).await?;
        let revoked = api
            .revoke_access(purchase, "refunded", refund_id)
            .await
            .map_err(|e| match e {
                support_sdk::SdkError::Server(_) | support_sdk::SdkError::Transport { .. } => {
                    ToolError::Retry(e.to_string())
                }
                other => ToolError::Failed(other.to_string()),
            })?;
        serde_json::to_value(&revoked).map_err(|e| ToolError::Failed(e.to_string()))
    }
}
