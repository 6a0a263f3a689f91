//! Typed tools. Each validates its input before anything is written, executes with the
//! action's idempotency key, and can look up the outcome of an attempt it is unsure about
//! (reconcile) without repeating it.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use support_engine::{BoxError, RetryPolicy, StepError};
use support_stripe::{Outcome, RefundRequest, StripeApi, StripeError};

pub use crate::request::{ActionRequest, RefundParams, RequestError};

/// How a tool failed. Each keeps its cause; the action workflow journals the whole chain.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// The input does not match the tool's request; nothing was attempted.
    #[error(transparent)]
    Invalid(#[from] RequestError),
    /// Definitely not done (declined, refused, a bug such as an idempotency mismatch).
    #[error(transparent)]
    Failed(BoxError),
    /// Not done; the same request with the same key may be tried again.
    #[error(transparent)]
    Retry(BoxError),
    /// Maybe done: reconcile before anything else.
    #[error(transparent)]
    Uncertain(BoxError),
}

impl ToolError {
    pub fn failed(e: impl Into<BoxError>) -> Self {
        ToolError::Failed(e.into())
    }
    pub fn retry(e: impl Into<BoxError>) -> Self {
        ToolError::Retry(e.into())
    }
    /// A tool was handed another kind's request (a registry wired wrongly): never retried.
    pub fn wrong_request(tool: &str, req: &ActionRequest) -> Self {
        ToolError::Failed(format!("tool {tool} cannot run a {} request", req.kind()).into())
    }
}

impl From<ToolError> for StepError {
    fn from(e: ToolError) -> Self {
        match e {
            ToolError::Retry(e) | ToolError::Uncertain(e) => StepError::Retryable(e),
            ToolError::Failed(e) => StepError::Permanent(e),
            ToolError::Invalid(e) => StepError::permanent(e),
        }
    }
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
    /// Performs the action with the action's idempotency key.
    async fn execute(&self, ctx: &ToolCtx, req: &ActionRequest) -> Result<Value, ToolError>;
    /// Looks for the effect of an earlier attempt (for refunds: list by our metadata).
    async fn reconcile(
        &self,
        _ctx: &ToolCtx,
        _req: &ActionRequest,
    ) -> Result<Option<Value>, ToolError> {
        Ok(None)
    }
    /// Whether [`Tool::follow_up`] has work to do for this request.
    fn wants_follow_up(&self, _ctx: &ToolCtx, _req: &ActionRequest) -> bool {
        false
    }
    /// Work that must follow a success (for refunds: revoke access in the app). It runs as its
    /// own journaled step after the remote call, so a crash between the two never repeats the
    /// call, and it must be idempotent.
    async fn follow_up(
        &self,
        _ctx: &ToolCtx,
        _req: &ActionRequest,
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

    fn request(req: &ActionRequest) -> Result<&RefundParams, ToolError> {
        match req {
            ActionRequest::Refund(p) => Ok(p),
            other => Err(ToolError::wrong_request("process_refund", other)),
        }
    }
}

fn from_stripe(e: StripeError) -> ToolError {
    match e.outcome() {
        Outcome::Failed => ToolError::failed(e),
        Outcome::RetrySameKey => ToolError::retry(e),
        Outcome::Uncertain => ToolError::Uncertain(e.into()),
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

    async fn execute(&self, ctx: &ToolCtx, req: &ActionRequest) -> Result<Value, ToolError> {
        let (action_id, idempotency_key) = (ctx.action_id.as_str(), ctx.idempotency_key.as_str());
        let p = Self::request(req)?;
        // Check the charge on the connected account before any POST: a charge of another
        // account (C23) or one with too little left (C20, e.g. refunded elsewhere since the
        // policy decided) fails here, with nothing sent. If this action's own refund already
        // went through (an earlier attempt), the reconciliation below returns it instead.
        let charge = match self.stripe.retrieve_charge(&p.account, &p.charge).await {
            Ok(c) => c,
            Err(e) if e.code() == Some("resource_missing") => {
                return Err(ToolError::failed(format!(
                    "charge {} is not on connected account {}; no refund was attempted",
                    p.charge, p.account
                )));
            }
            Err(e) => return Err(from_stripe(e)),
        };
        let wanted = p.amount.unwrap_or_else(|| charge.refundable());
        if charge.refundable() == 0 || wanted > charge.refundable() {
            if let Some(done) = self.reconcile(ctx, req).await? {
                return Ok(done);
            }
            return Err(ToolError::failed(format!(
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
        serde_json::to_value(&refund).map_err(ToolError::failed)
    }

    async fn reconcile(
        &self,
        ctx: &ToolCtx,
        req: &ActionRequest,
    ) -> Result<Option<Value>, ToolError> {
        let action_id = ctx.action_id.as_str();
        let p = Self::request(req)?;
        let found = support_stripe::find_refund_by_action(
            self.stripe.as_ref(),
            &p.account,
            &p.charge,
            action_id,
        )
        .await
        .map_err(from_stripe)?;
        found
            .map(|r| serde_json::to_value(&r).map_err(ToolError::failed))
            .transpose()
    }

    fn wants_follow_up(&self, ctx: &ToolCtx, req: &ActionRequest) -> bool {
        self.apps.is_some()
            && ctx.app_id.is_some()
            && Self::request(req).is_ok_and(|p| p.purchase_id.is_some())
    }

    async fn follow_up(
        &self,
        ctx: &ToolCtx,
        req: &ActionRequest,
        result: &Value,
    ) -> Result<Value, ToolError> {
        let p = Self::request(req)?;
        let (Some(apps), Some(app_id), Some(purchase)) = (&self.apps, &ctx.app_id, &p.purchase_id)
        else {
            return Ok(Value::Null);
        };
        let refund_id = result["id"]
            .as_str()
            .ok_or_else(|| ToolError::failed("the refund has no id"))?;
        let api = apps.app_api(app_id).await?;
        let revoked = api
            .revoke_access(purchase, "refunded", refund_id)
            .await
            .map_err(|e| match e {
                support_sdk::SdkError::Server(_) | support_sdk::SdkError::Transport { .. } => {
                    ToolError::retry(e)
                }
                other => ToolError::failed(other),
            })?;
        serde_json::to_value(&revoked).map_err(ToolError::failed)
    }
}

/// Every tool the platform runs, by action kind: refunds on Stripe (then revoking access in
/// the app), drafts, comments and escalations in Front and Slack, and the app's own methods
/// through its SDK client.
pub fn registry(
    stripe: Arc<dyn StripeApi>,
    front: Arc<dyn support_front::FrontApi>,
    slack: Arc<dyn support_slack::SlackApi>,
    apps: Arc<dyn crate::app_tools::AppDirectory>,
) -> ToolRegistry {
    use crate::helpdesk_tools::{CommentTool, DraftTool, EscalateTool};
    let mut tools = ToolRegistry::new()
        .with(
            "refund",
            Arc::new(RefundTool::new(stripe).with_apps(apps.clone())),
        )
        .with("draft_response", Arc::new(DraftTool::new(front.clone())))
        .with("add_comment", Arc::new(CommentTool::new(front.clone())))
        .with(
            "escalate_to_human",
            Arc::new(EscalateTool::new(front, slack)),
        );
    for m in crate::app_tools::AppMethod::ALL {
        tools = tools.with(
            m.kind(),
            Arc::new(crate::app_tools::AppTool::new(m, apps.clone())),
        );
    }
    tools
}
