//! Tools that act in the helpdesk: write a draft reply in Front, and escalate (tag the
//! conversation and tell the app's escalation channel in Slack). Neither Front drafts nor
//! Slack posts take idempotency keys, so these tools are retried only on errors that mean the
//! request did not land (connection refused, 429, 5xx before a response).

use std::sync::Arc;

use serde_json::{Value, json};
use support_engine::RetryPolicy;
use support_front::{DraftRequest, FrontApi, FrontError};
use support_slack::SlackApi;

use crate::request::ActionRequest;
use crate::tools::{Tool, ToolCtx, ToolError};

fn from_front(e: FrontError) -> ToolError {
    if e.is_transient() {
        ToolError::retry(e)
    } else {
        ToolError::failed(e)
    }
}

/// `draft_response`: a draft on the conversation, in the channel of its inbox, for a human
/// (or the trust gate) to send.
pub struct DraftTool {
    front: Arc<dyn FrontApi>,
}

impl DraftTool {
    pub fn new(front: Arc<dyn FrontApi>) -> Self {
        Self { front }
    }
}

#[async_trait::async_trait]
impl Tool for DraftTool {
    fn name(&self) -> &'static str {
        "draft_response"
    }

    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::FRONT
    }

    async fn execute(&self, _ctx: &ToolCtx, req: &ActionRequest) -> Result<Value, ToolError> {
        let ActionRequest::DraftResponse(p) = req else {
            return Err(ToolError::wrong_request(self.name(), req));
        };
        let channels = self.front.list_channels().await.map_err(from_front)?;
        let inboxes = [p.inbox_id.as_str()];
        let no_addresses: [&str; 0] = [];
        let channel =
            support_front::pick_channel(&channels, &inboxes, &no_addresses).ok_or_else(|| {
                ToolError::failed(format!("no Front channel for inbox {}", p.inbox_id))
            })?;
        let draft = self
            .front
            .create_draft(
                &p.conversation,
                &DraftRequest {
                    body: p.body.clone(),
                    channel_id: channel.id.clone(),
                    to: p.to.clone(),
                    author_id: None,
                },
            )
            .await
            .map_err(from_front)?;
        Ok(json!({"draft_id": draft.id, "channel_id": channel.id}))
    }
}

/// `escalate_to_human`: tags the conversation and posts to the app's escalation channel.
pub struct EscalateTool {
    front: Arc<dyn FrontApi>,
    slack: Arc<dyn SlackApi>,
}

impl EscalateTool {
    pub fn new(front: Arc<dyn FrontApi>, slack: Arc<dyn SlackApi>) -> Self {
        Self { front, slack }
    }
}

#[async_trait::async_trait]
impl Tool for EscalateTool {
    fn name(&self) -> &'static str {
        "escalate_to_human"
    }

    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::SLACK
    }

    async fn execute(&self, _ctx: &ToolCtx, req: &ActionRequest) -> Result<Value, ToolError> {
        let ActionRequest::EscalateToHuman(p) = req else {
            return Err(ToolError::wrong_request(self.name(), req));
        };
        // Tagging is idempotent at Front, so it is safe to repeat on a retry.
        self.front
            .add_tags(&p.conversation, std::slice::from_ref(&p.tag_id))
            .await
            .map_err(from_front)?;
        let posted = match &p.slack_channel {
            Some(channel) => {
                // Reasons can quote customer text: escaped, so `<!channel>` or `<@U…>` in it
                // cannot ping anyone.
                let text = format!(
                    "Escalated {}: {}",
                    support_slack::escape_mrkdwn(&p.conversation),
                    support_slack::escape_mrkdwn(&p.reason)
                );
                let m = self
                    .slack
                    .post_message(channel, &text, None)
                    .await
                    .map_err(|e| {
                        if e.is_transient() {
                            ToolError::retry(e)
                        } else {
                            ToolError::failed(e)
                        }
                    })?;
                Some(json!({"channel": m.channel, "ts": m.ts}))
            }
            None => None,
        };
        Ok(json!({"tagged": p.tag_id, "slack": posted}))
    }
}

/// `add_comment`: an internal note on the conversation (never seen by the customer), for the
/// teammate already working on it.
pub struct CommentTool {
    front: Arc<dyn FrontApi>,
}

impl CommentTool {
    pub fn new(front: Arc<dyn FrontApi>) -> Self {
        Self { front }
    }
}

#[async_trait::async_trait]
impl Tool for CommentTool {
    fn name(&self) -> &'static str {
        "add_comment"
    }

    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::FRONT
    }

    async fn execute(&self, _ctx: &ToolCtx, req: &ActionRequest) -> Result<Value, ToolError> {
        let ActionRequest::AddComment(p) = req else {
            return Err(ToolError::wrong_request(self.name(), req));
        };
        let id = self
            .front
            .add_comment(&p.conversation, &p.body)
            .await
            .map_err(from_front)?;
        Ok(serde_json::json!({"comment_id": id}))
    }
}
