//! What stored, verified Stripe Connect events do. Each handler converges when run twice
//! (delivery from the outbox is at-least-once).
//!
//! - Every event is mapped to an app by its `account`; an account no app holds is ignored
//!   and audited (`stripe.event.unmapped_account`), never guessed.
//! - `account.application.deauthorized` (for this platform's client id) disconnects the app.
//! - `charge.refunded` records every refund on the charge: ours (matched on
//!   `metadata[support_action_id]`, settling an `uncertain` action) and refunds made outside
//!   the platform (`stripe.refund.external`, so the ledger and Stripe agree).
//! - `charge.dispute.created` escalates the customer's conversation to a human.

use serde::Deserialize;
use serde_json::{Value, json};
use support_agent::actions::{Proposal, Verdict};
use support_store::actions::{Transition, state};
use support_store::stripe::StripeRefundRecord;
use support_store::{App, NewAuditEntry};

use super::HandleError;
use super::Pipeline;

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    account: Option<String>,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: Value,
}

fn entry(action: &str, subject: String, data: Value) -> NewAuditEntry {
    NewAuditEntry {
        actor: "stripe".into(),
        action: action.into(),
        subject,
        trace_id: None,
        data,
    }
}

pub(crate) async fn handle(state: &Pipeline, event_id: &str) -> Result<(), HandleError> {
    let Some((_ty, payload)) = state.store.inbound_payload(event_id).await? else {
        return Err(HandleError::Missing(event_id.to_owned()));
    };
    let event: Event =
        serde_json::from_str(&payload).map_err(|source| HandleError::Unparsable {
            what: "Stripe event",
            source,
        })?;
    let Some(account) = event.account.clone() else {
        tracing::info!(event = %event.id, kind = %event.kind, "platform-account Stripe event; nothing to do");
        return Ok(());
    };
    let Some(app) = state.store.app_by_stripe_account(&account).await? else {
        tracing::warn!(target: "security", event = %event.id, %account, "Stripe event for an account no app holds");
        state
            .store
            .append_audit(&entry(
                "stripe.event.unmapped_account",
                format!("stripe:{account}"),
                json!({"event": event.id, "type": event.kind}),
            ))
            .await?;
        return Ok(());
    };
    match event.kind.as_str() {
        "account.application.deauthorized" => deauthorized(state, &event, &app).await,
        "charge.refunded" | "charge.refund.updated" => charge_refunded(state, &event, &app).await,
        "charge.dispute.created" => dispute_created(state, &event, &app).await,
        other => {
            tracing::info!(event = %event.id, kind = other, "Stripe event type not handled; kept for replay");
            Ok(())
        }
    }
}

async fn deauthorized(state: &Pipeline, event: &Event, app: &App) -> Result<(), HandleError> {
    let application = event.data.object["id"].as_str().unwrap_or_default();
    let ours = &state.settings.stripe_client_id;
    if !ours.is_empty() && application != ours {
        tracing::info!(
            application,
            "another platform's application was deauthorized"
        );
        return Ok(());
    }
    let was = state
        .store
        .disconnect_stripe_account(
            &app.id,
            &entry(
                "stripe.deauthorized",
                format!("app:{}", app.slug),
                json!({"event": event.id, "account": event.account}),
            ),
        )
        .await?;
    tracing::warn!(app = %app.slug, was_connected = was, "Stripe access revoked by the account; app disconnected");
    Ok(())
}

/// The refunds on the event's charge: from the embedded list when Stripe included it, else
/// listed from Stripe.
async fn refunds_of(
    state: &Pipeline,
    account: &str,
    charge: &Value,
) -> Result<Vec<Value>, HandleError> {
    if let Some(list) = charge["refunds"]["data"].as_array()
        && charge["refunds"]["has_more"].as_bool() != Some(true)
    {
        return Ok(list.clone());
    }
    let id = charge["id"].as_str().unwrap_or_default();
    let listed = state
        .stripe
        .list_refunds_for_charge(account, id)
        .await
        .map_err(|source| HandleError::Stripe {
            context: format!("list refunds for {id}"),
            source,
        })?;
    listed
        .iter()
        .map(|r| {
            serde_json::to_value(r).map_err(|source| HandleError::Unparsable {
                what: "Stripe refund",
                source,
            })
        })
        .collect()
}

async fn charge_refunded(state: &Pipeline, event: &Event, app: &App) -> Result<(), HandleError> {
    let account = event.account.clone().unwrap_or_default();
    let charge = &event.data.object;
    let charge_id = charge["id"].as_str().unwrap_or_default().to_owned();
    if !charge_id.starts_with("ch_") && !charge_id.starts_with("py_") {
        return Err(HandleError::Malformed(
            "charge.refunded without a charge id",
        ));
    }
    for r in refunds_of(state, &account, charge).await? {
        let Some(refund_id) = r["id"].as_str() else {
            continue;
        };
        let claimed = r["metadata"][support_stripe::ACTION_METADATA_KEY].as_str();
        // Ours only if the action exists, is a refund, and belongs to this app or ran on
        // this account: metadata is written by whoever made the refund, so it is a claim to
        // check, not a fact.
        let action = match claimed {
            Some(id) => state.store.action(id).await?.filter(|a| {
                let on_account = serde_json::from_str::<Value>(&a.params)
                    .is_ok_and(|p| p["account"].as_str() == Some(account.as_str()));
                a.kind == "refund"
                    && (a.app_id.as_deref() == Some(app.id.as_str())
                        || (a.app_id.is_none() && on_account))
            }),
            None => None,
        };
        let record = StripeRefundRecord {
            refund_id: refund_id.to_owned(),
            app_id: app.id.clone(),
            account: account.clone(),
            charge_id: charge_id.clone(),
            amount: r["amount"].as_i64().unwrap_or_default(),
            currency: r["currency"].as_str().unwrap_or_default().to_owned(),
            status: r["status"].as_str().unwrap_or_default().to_owned(),
            action_id: action.as_ref().map(|a| a.id.clone()),
            origin: if action.is_some() {
                "platform"
            } else {
                "external"
            }
            .into(),
        };
        let first_seen = state.store.record_stripe_refund(&record).await?;
        match &action {
            None if first_seen => {
                state
                    .store
                    .append_audit(&entry(
                        "stripe.refund.external",
                        format!("app:{}", app.slug),
                        json!({
                            "event": event.id, "charge": charge_id, "refund": refund_id,
                            "amount": record.amount, "currency": record.currency,
                            "claimed_action": claimed,
                        }),
                    ))
                    .await?;
            }
            Some(a) if a.state == state::UNCERTAIN && record.status == "succeeded" => {
                let settled = state
                    .store
                    .transition_action(
                        &a.id,
                        &[state::UNCERTAIN],
                        state::SUCCEEDED,
                        Some(&r.to_string()),
                        None,
                        &NewAuditEntry {
                            actor: "stripe".into(),
                            action: "action.reconciled".into(),
                            subject: format!("action:{}", a.id),
                            trace_id: Some(a.trace_id.clone()),
                            data: json!({
                                "via": "charge.refunded", "event": event.id, "refund": refund_id,
                            }),
                        },
                    )
                    .await?;
                if matches!(settled, Transition::Applied(_)) {
                    revoke_after_settling(state, app, a, refund_id).await?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The refund of an action settled by a webhook still owes the app its `revokeAccess`, as
/// the action's own follow-up step would have done. The app answers a repeat for the same
/// refund with the same result, so a redelivered event cannot revoke twice. When the app
/// cannot be reached or refuses, an operator is alerted instead.
async fn revoke_after_settling(
    state: &Pipeline,
    app: &App,
    action: &support_store::actions::ActionRow,
    refund_id: &str,
) -> Result<(), HandleError> {
    let purchase = serde_json::from_str::<Value>(&action.params)
        .ok()
        .and_then(|p| p["purchase_id"].as_str().map(str::to_owned));
    let Some(purchase) = purchase.filter(|_| app.integration_url.is_some()) else {
        return Ok(());
    };
    let outcome = match state.apps.app_api(&app.id).await {
        Ok(api) => api
            .revoke_access(&purchase, "refunded", refund_id)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let subject = format!("action:{}", action.id);
    match outcome {
        Ok(revoked) => {
            state
                .store
                .append_audit(&NewAuditEntry {
                    actor: format!("app:{}", app.slug),
                    action: "action.follow_up".into(),
                    subject,
                    trace_id: Some(action.trace_id.clone()),
                    data: json!({"via": "charge.refunded", "purchase": purchase, "result": revoked}),
                })
                .await?;
        }
        Err(e) => {
            tracing::warn!(error = %e, action = %action.id, "revokeAccess after a settled refund failed");
            state
                .store
                .alert(
                    "refund_settled_by_webhook",
                    &subject,
                    &format!(
                        "Stripe confirmed the refund, but revoking access in {} failed: {e}",
                        app.slug
                    ),
                )
                .await?;
        }
    }
    Ok(())
}

async fn dispute_created(state: &Pipeline, event: &Event, app: &App) -> Result<(), HandleError> {
    let dispute = &event.data.object;
    let dispute_id = dispute["id"].as_str().unwrap_or_default().to_owned();
    let charge_id = dispute["charge"].as_str().unwrap_or_default().to_owned();
    let reason = format!(
        "Stripe dispute {dispute_id} opened on charge {charge_id} ({}, {} {})",
        dispute["reason"].as_str().unwrap_or("no reason given"),
        dispute["amount"].as_i64().unwrap_or_default(),
        dispute["currency"].as_str().unwrap_or_default()
    );
    // Already escalated for this dispute (a redelivered event)?
    if !state
        .store
        .actions_with_params_fragment(&app.id, "escalate_to_human", &dispute_id)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    // The customer's conversation: the one a refund of this charge came from, else the
    // latest with the charge's billing email.
    let mut conversation = None;
    for a in state
        .store
        .refund_actions_for_charge(&app.id, &charge_id)
        .await?
    {
        if let Some(c) = a.conversation_id {
            conversation = state.store.conversation(&c).await?.map(|(c, _)| c);
            break;
        }
    }
    if conversation.is_none() && !charge_id.is_empty() {
        let account = event.account.clone().unwrap_or_default();
        if let Ok(ch) = state.stripe.retrieve_charge(&account, &charge_id).await
            && let Some(email) = ch.billing_email()
        {
            conversation = state
                .store
                .latest_conversation_for_customer(&app.id, email)
                .await?;
        }
    }
    let Some(conv) = conversation else {
        state
            .store
            .append_audit(&entry(
                "stripe.dispute.unassigned",
                format!("app:{}", app.slug),
                json!({"event": event.id, "dispute": dispute_id, "charge": charge_id}),
            ))
            .await?;
        state
            .store
            .alert("stripe_dispute", &format!("app:{}", app.slug), &reason)
            .await?;
        return Ok(());
    };
    let mut params = json!({"conversation": conv.front_conversation_id, "reason": reason});
    if let Some(ch) = &app.escalation_slack_channel {
        params["slack_channel"] = json!(ch);
    }
    state
        .actions
        .propose(Proposal {
            app_id: Some(app.id.clone()),
            conversation_id: Some(conv.id.clone()),
            kind: "escalate_to_human".into(),
            params,
            verdict: Verdict::Auto,
            requested_by: "stripe:dispute".into(),
            trace_id: format!("stripe:{}", event.id),
        })
        .await
        .map_err(|source| HandleError::Action {
            context: "escalate dispute",
            source,
        })?;
    Ok(())
}
