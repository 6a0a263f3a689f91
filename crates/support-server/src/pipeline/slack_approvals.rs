//! Approvals in Slack. An approval request is posted to the app's escalation channel as a
//! card with Approve and Reject buttons (everything taken from the action escaped for
//! `mrkdwn`, so customer text cannot ping anyone); when it ends, the card is updated to say
//! how (approved and refunded, failed with the error, rejected with the reason, expired).
//!
//! A click arrives at `/webhooks/slack/interactions`, is verified and stored like any event,
//! and is handled here by the outbox worker. The clicker is `slack:<user id>`: they decide
//! only if the policy lists them among the approvers (others get an ephemeral refusal and
//! the refusal is audited, as on every surface). Approve decides at once; Reject opens a
//! modal for the reason, and its submission decides.

use serde::Deserialize;
use serde_json::{Value, json};
use support_agent::actions::{ActionError, ApprovalNotice, ApprovalNotifier, HumanDecision};
use support_engine::BoxError;
use support_slack::{
    APPROVE_ACTION_ID, ApprovalCard, REJECT_ACTION_ID, SlackApi, approval_blocks,
    approval_fallback_text, decided_blocks,
};
use support_store::Store;

use super::HandleError;
use super::Pipeline;

/// `callback_id` of the rejection modal.
pub const REJECT_MODAL: &str = "reject_reason";
const REASON_BLOCK: &str = "reason_block";
const REASON_INPUT: &str = "reason";

/// Posts approval cards and updates them.
pub struct SlackApprovals {
    pub store: Store,
    pub slack: std::sync::Arc<dyn SlackApi>,
}

fn card(notice: &ApprovalNotice) -> ApprovalCard {
    let summary = match notice.kind.as_str() {
        "refund" => format!(
            "Refund {} on charge {}",
            notice.params["amount"].as_i64().map_or_else(
                || "the remaining amount".to_owned(),
                |a| format!("{a} (minor units)")
            ),
            notice.params["charge"].as_str().unwrap_or("?")
        ),
        other => format!("Run {other}"),
    };
    ApprovalCard {
        action_id: notice.action_id.clone(),
        kind: notice.kind.clone(),
        summary,
        reason: notice.reason.clone(),
        params: notice.params.clone(),
        front_url: None,
    }
}

#[async_trait::async_trait]
impl ApprovalNotifier for SlackApprovals {
    async fn requested(&self, notice: &ApprovalNotice) -> Result<Option<Value>, BoxError> {
        let Some(app_id) = &notice.app_id else {
            return Ok(None);
        };
        let app = self.store.app_by_id(app_id).await?;
        let Some(channel) = app.and_then(|a| a.escalation_slack_channel) else {
            return Ok(None);
        };
        let c = card(notice);
        let posted = self
            .slack
            .post_message(
                &channel,
                &approval_fallback_text(&c),
                Some(approval_blocks(&c)),
            )
            .await?;
        Ok(Some(json!({"channel": posted.channel, "ts": posted.ts})))
    }

    async fn ended(
        &self,
        notice: &ApprovalNotice,
        shown: &Value,
        state: &str,
        by: Option<&str>,
        detail: Option<&str>,
    ) -> Result<(), BoxError> {
        let (Some(channel), Some(ts)) = (shown["channel"].as_str(), shown["ts"].as_str()) else {
            return Ok(());
        };
        let who = by.unwrap_or("nobody");
        let text = match state {
            "succeeded" => format!("Approved by {who}; done."),
            "failed" | "uncertain" => format!(
                "Approved by {who}, but it {state}: {}",
                detail.unwrap_or("no detail")
            ),
            "rejected" => format!("Rejected by {who}: {}", detail.unwrap_or("no reason")),
            "expired" => "Expired: nobody decided in time; it was not run.".to_owned(),
            other => format!("Ended: {other}"),
        };
        let c = card(notice);
        self.slack
            .update_message(channel, ts, &text, Some(decided_blocks(&c, &text)))
            .await
            .map(|_| ())
            .map_err(BoxError::from)
    }
}

#[derive(Deserialize)]
struct Interaction {
    #[serde(rename = "type")]
    kind: String,
    user: User,
    #[serde(default)]
    trigger_id: Option<String>,
    #[serde(default)]
    actions: Vec<Action>,
    #[serde(default)]
    channel: Option<Channel>,
    #[serde(default)]
    view: Option<Value>,
}

#[derive(Deserialize)]
struct User {
    id: String,
}

#[derive(Deserialize)]
struct Action {
    #[serde(default)]
    action_id: String,
    #[serde(default)]
    value: Option<String>,
}

#[derive(Deserialize)]
struct Channel {
    id: String,
}

/// The rejection modal for `action_id`.
pub fn reject_modal(action_id: &str) -> Value {
    json!({
        "type": "modal",
        "callback_id": REJECT_MODAL,
        "private_metadata": action_id,
        "title": {"type": "plain_text", "text": "Reject"},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{
            "type": "input",
            "block_id": REASON_BLOCK,
            "label": {"type": "plain_text", "text": "Why? (recorded in the audit trail)"},
            "element": {"type": "plain_text_input", "action_id": REASON_INPUT, "multiline": true},
        }],
    })
}

/// Handles one stored Slack interaction.
pub(crate) async fn handle(state: &Pipeline, event_id: &str) -> Result<(), HandleError> {
    let Some((_, payload)) = state.store.inbound_payload(event_id).await? else {
        return Err(HandleError::Missing(event_id.to_owned()));
    };
    let i: Interaction =
        serde_json::from_str(&payload).map_err(|source| HandleError::Unparsable {
            what: "Slack interaction",
            source,
        })?;
    let by = format!("slack:{}", i.user.id);
    let at = state.clock.now_ms();
    let (action_id, decision) = match i.kind.as_str() {
        "block_actions" => {
            let Some(a) = i.actions.first() else {
                return Ok(());
            };
            let Some(action_id) = a.value.clone() else {
                return Ok(());
            };
            match a.action_id.as_str() {
                APPROVE_ACTION_ID => (
                    action_id,
                    HumanDecision::Approve {
                        by: by.clone(),
                        surface: "slack".into(),
                        at,
                    },
                ),
                REJECT_ACTION_ID => {
                    // The reason comes from the modal; a trigger is valid for 3 s.
                    if let Some(trigger) = &i.trigger_id
                        && let Err(e) = state
                            .slack
                            .open_view(trigger, reject_modal(&action_id))
                            .await
                    {
                        tracing::warn!(error = %e, "could not open the rejection modal");
                    }
                    return Ok(());
                }
                _ => return Ok(()),
            }
        }
        "view_submission" => {
            let view = i.view.unwrap_or(Value::Null);
            if view["callback_id"] != REJECT_MODAL {
                return Ok(());
            }
            let action_id = view["private_metadata"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let reason = view["state"]["values"][REASON_BLOCK][REASON_INPUT]["value"]
                .as_str()
                .map(str::trim)
                .unwrap_or_default()
                .to_owned();
            if reason.is_empty() {
                return Ok(());
            }
            (
                action_id,
                HumanDecision::Reject {
                    by: by.clone(),
                    surface: "slack".into(),
                    at,
                    reason,
                },
            )
        }
        _ => return Ok(()),
    };
    match state.actions.decide(&action_id, decision).await {
        Ok(_) => Ok(()),
        Err(ActionError::Forbidden(_)) => {
            if let Some(ch) = &i.channel {
                let _ = state
                    .slack
                    .post_ephemeral(
                        &ch.id,
                        &i.user.id,
                        "You are not an approver of this action.",
                    )
                    .await;
            }
            Ok(())
        }
        // Decided already, expired, or gone: the card says so when the action ends.
        Err(ActionError::Closed(_) | ActionError::NotFound(_)) => Ok(()),
        Err(source) => Err(HandleError::Action {
            context: "deciding from Slack",
            source,
        }),
    }
}
