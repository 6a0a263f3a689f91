//! Reconciliation for Front webhooks that never arrived (our outage, Front's, the network).
//!
//! Front lists every event of the company (`GET /events`). The worker asks for the event
//! types it handles emitted since shortly before its previous pass, or before the newest
//! Front event stored when that is older (after a downtime), and hands each one to the
//! same ingestion path as a webhook, keyed by the event id: an event that did arrive is a
//! duplicate and changes nothing; one that did not is stored and decided on as if it had.
//! Events come from Front's API over our token, so they are stored with trust `verified`.

use std::time::Duration;

use support_front::WebhookEvent;
use support_store::Inbound;

use super::Pipeline;
use super::topics::{TOPIC_FRONT, front_envelope};

/// How far before the newest stored event to look again: webhooks arrive out of order, so
/// an event older than the newest one may still be missing.
pub const OVERLAP_MS: i64 = 15 * 60 * 1000;

/// The event types the worker acts on (see `worker::handle_front_event`).
const TYPES: &[&str] = &["inbound", "outbound", "out_reply", "archive", "reopen"];

/// What a pass did: the API's answer, and the data of its audit entry.
pub type Reconciled = support_types::api::ReconcileResponse;

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("Front: {0}")]
    Front(#[from] support_front::FrontError),
    #[error("store: {0}")]
    Store(#[from] support_store::StoreError),
    #[error("ingest: {0}")]
    Ingest(#[from] super::ingest::IngestError),
}

/// One pass of the loop. `last_pass_ms` is when the previous successful pass started (the
/// process's start before the first: older history is not ours to answer when nothing was
/// ever stored). The pass looks from the earlier of that and the newest stored Front event,
/// less [`OVERLAP_MS`]: everything since the last look, whatever the interval, and
/// everything since the last event that did arrive after a downtime.
/// An operator's pass without a time passes now as `last_pass_ms`: from the newest stored
/// event. `actor` is as for [`reconcile_since`].
pub async fn reconcile_front(
    state: &Pipeline,
    last_pass_ms: i64,
    actor: &str,
) -> Result<Reconciled, ReconcileError> {
    let newest = state.store.latest_inbound_at("front").await?;
    let from = newest.map_or(last_pass_ms, |n| n.min(last_pass_ms));
    let since_ms = from.saturating_sub(OVERLAP_MS).max(0);
    reconcile_since(state, since_ms, actor).await
}

/// One pass over the events emitted after `since_ms`, on behalf of `actor` (`system` for
/// the background loop, `user:<email>` for an operator, whose passes are always audited).
pub async fn reconcile_since(
    state: &Pipeline,
    since_ms: i64,
    actor: &str,
) -> Result<Reconciled, ReconcileError> {
    let events = state
        .front
        .list_events_since(since_ms as f64 / 1000.0, TYPES)
        .await?;
    let mut out = Reconciled {
        since_ms,
        listed: events.len(),
        recovered: 0,
    };
    for raw in events {
        let payload = raw.to_string();
        let event = match serde_json::from_value::<WebhookEvent>(raw) {
            Ok(e) if !e.id.is_empty() => e,
            _ => {
                tracing::warn!("Front listed an event that does not parse; skipped");
                continue;
            }
        };
        let envelope = front_envelope(&event, "verified", payload);
        if let Inbound::Stored { event_id } = state.ingest.submit(envelope, TOPIC_FRONT).await? {
            tracing::warn!(front_event = %event.id, %event_id, "recovered a Front event whose webhook never arrived");
            out.recovered += 1;
        }
    }
    if out.recovered > 0 || actor != "system" {
        state
            .store
            .append_audit(&support_store::NewAuditEntry {
                actor: actor.into(),
                action: "front.reconciled".into(),
                subject: "front:events".into(),
                trace_id: None,
                data: serde_json::json!(out),
            })
            .await?;
    }
    Ok(out)
}

/// The background loop: once at start, then every `worker.front_reconcile_secs`, until
/// `stop` flips. Failures are logged and retried at the next tick.
pub async fn run(state: Pipeline, mut stop: tokio::sync::watch::Receiver<bool>) {
    let every = state.settings.front_reconcile_secs;
    if every == 0 || !state.settings.front_configured {
        return;
    }
    let mut last_pass_ms = state.clock.now_ms();
    let mut tick = tokio::time::interval(Duration::from_secs(every));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let started = state.clock.now_ms();
        match reconcile_front(&state, last_pass_ms, "system").await {
            Ok(r) => {
                last_pass_ms = started;
                if r.recovered > 0 {
                    tracing::warn!(
                        recovered = r.recovered,
                        listed = r.listed,
                        "Front reconciliation stored missed events"
                    );
                } else {
                    tracing::debug!(listed = r.listed, "Front reconciliation: nothing missed");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "Front reconciliation failed; retrying at the next tick")
            }
        }
    }
}
