//! The outbox worker: turns stored, verified events into platform state. Delivery is
//! at-least-once (a crashed worker's lease expires and the row is claimed again), so every
//! handler converges: messages are keyed by Front's ids.
//!
//! This is the thin first stage of the inbound pipeline; the durable engine, the brain and
//! the actions plug in behind it.

use std::time::Duration;

use support_front::WebhookEvent;
use support_store::{NewAuditEntry, NewMessage, OutboxItem, now_ms};

use super::topics::{TOPIC_APP, TOPIC_FRONT, TOPIC_SLACK, TOPIC_SLACK_INTERACTION, TOPIC_STRIPE};
use super::{HandleError, Pipeline};

/// How long a claimed row is ours before another worker may take it.
const LEASE_MS: i64 = 60_000;
/// After this many attempts a row is parked (not retried) and left for an operator.
pub const MAX_ATTEMPTS: i64 = 8;

/// Processes every row that is due now; returns how many were handled. Used by the worker
/// loop and by tests, which drain the queue instead of sleeping.
pub async fn run_once(state: &Pipeline) -> anyhow::Result<usize> {
    let mut handled = 0;
    loop {
        let batch = state.store.claim_outbox(16, LEASE_MS).await?;
        if batch.is_empty() {
            return Ok(handled);
        }
        // One at a time. Coalescing a burst into one decision run relies on a conversation's
        // messages being scheduled in order, and on SQLite more concurrent writers only queue
        // on its one write lock: `skill bench draft` measured handling conversations
        // concurrently at about 3x the latency.
        for item in batch {
            process(state, &item).await?;
            handled += 1;
        }
    }
}

async fn process(state: &Pipeline, item: &OutboxItem) -> anyhow::Result<()> {
    use tracing::Instrument as _;
    let span =
        tracing::info_span!("outbox", id = %item.id, topic = %item.topic, attempt = item.attempts);
    process_inner(state, item).instrument(span).await
}

async fn process_inner(state: &Pipeline, item: &OutboxItem) -> anyhow::Result<()> {
    let result = match item.topic.as_str() {
        TOPIC_FRONT => handle_front_event(state, &item.payload).await,
        TOPIC_STRIPE => super::stripe_events::handle(state, &item.payload).await,
        TOPIC_SLACK_INTERACTION => super::slack_approvals::handle(state, &item.payload).await,
        // Stored, verified and deduplicated, with no handler yet (approvals are decided through
        // the API and the dashboard); kept for replay.
        TOPIC_SLACK | TOPIC_APP => {
            tracing::info!(topic = %item.topic, event = %item.payload, "event stored for later stages; nothing to do yet");
            Ok(())
        }
        other => Err(HandleError::NoHandler(other.to_owned())),
    };
    match result {
        Ok(()) => state.store.complete_outbox(&item.id).await?,
        Err(e) if e.is_transient() && item.attempts < MAX_ATTEMPTS => {
            let msg = support_engine::error_chain(&e);
            let retry_at = now_ms() + backoff_ms(item.attempts);
            tracing::warn!(error = %msg, retry_at, "outbox item failed; will retry");
            state.store.fail_outbox(&item.id, &msg, retry_at).await?;
        }
        Err(e) => {
            let msg = support_engine::error_chain(&e);
            tracing::error!(error = %msg, "outbox item parked");
            state.store.fail_outbox(&item.id, &msg, i64::MAX).await?;
        }
    }
    Ok(())
}

/// Exponential backoff with jitter: ~1 s, 2 s, 4 s … capped at 5 minutes.
fn backoff_ms(attempt: i64) -> i64 {
    let base = 1_000i64
        .saturating_mul(1 << attempt.clamp(0, 9))
        .min(300_000);
    let jitter = (rand::random::<u32>() % 500) as i64;
    base + jitter
}

async fn handle_front_event(state: &Pipeline, event_id: &str) -> Result<(), HandleError> {
    let Some((_ty, payload)) = state.store.inbound_payload(event_id).await? else {
        return Err(HandleError::Missing(event_id.to_owned()));
    };
    let event: WebhookEvent =
        serde_json::from_str(&payload).map_err(|source| HandleError::Unparsable {
            what: "Front event",
            source,
        })?;
    // Inbound messages are decided on; replies sent from Front (by a teammate: the platform
    // only drafts) are recorded so the next decision knows the thread, and indexed when
    // they went out as we drafted them; an archived conversation is resolved and indexed.
    let inbound = event.kind == "inbound";
    if matches!(event.kind.as_str(), "archive" | "reopen") {
        return resolved(state, &event).await;
    }
    if !inbound && !matches!(event.kind.as_str(), "outbound" | "out_reply") {
        tracing::info!(kind = %event.kind, "front event stored; no handler for this type yet");
        return Ok(());
    }
    let inboxes = event.inbox_ids();
    let mut app = None;
    for inbox in &inboxes {
        if let Some(a) = state.store.app_for_inbox(inbox).await? {
            app = Some(a);
            break;
        }
    }
    if app.is_none()
        && !inbound
        && let Some(conv) = &event.conversation
        && let Some((known, _)) = state.store.conversation(&conv.id).await?
        && let Some(slug) = known.app_slug
    {
        app = state.store.app_by_slug(&slug).await?;
    }
    let Some(app) = app else {
        tracing::info!(
            ?inboxes,
            "inbound message for an inbox no app owns; nothing dispatched"
        );
        return Ok(());
    };
    let (Some(conv), Some(message_id)) = (event.conversation.as_ref(), event.message_id()) else {
        return Err(HandleError::Malformed(
            "inbound event without conversation or message",
        ));
    };
    // Front's webhook carries a preview only; the body comes from the API.
    let msg = state.front.get_message(&message_id).await?;
    let body = msg
        .text
        .clone()
        .or_else(|| msg.body.clone())
        .or_else(|| msg.blurb.clone())
        .unwrap_or_default();
    let from = msg.from_handle().map(str::to_ascii_lowercase);
    let (conversation_id, new) = state
        .store
        .record_message(&NewMessage {
            app_id: Some(app.id.clone()),
            front_conversation_id: conv.id.clone(),
            subject: conv
                .subject
                .clone()
                .or_else(|| msg.subject.clone())
                .unwrap_or_default(),
            customer_email: if inbound { from.clone() } else { None },
            front_message_id: msg.id.clone(),
            direction: if msg.is_inbound {
                "inbound"
            } else {
                "outbound"
            }
            .into(),
            author: from,
            author_name: msg.from_name().map(str::to_owned),
            body,
            created_at: (msg.created_at * 1000.0) as i64,
        })
        .await?;
    // Scheduling is idempotent per message, so it runs on redelivery too: a crash between
    // storing the message and scheduling its decision must not leave it undecided.
    if inbound {
        state
            .inbound
            .on_message(Some(&app.id), &conversation_id, &msg.id, &event.id)
            .await?;
    } else {
        index(state, &conversation_id).await?;
    }
    // Customer-written text only ever goes into log *fields*; the JSON formatter escapes it,
    // so a name carrying a forged log line stays one value of this one entry.
    let subject: String = conv
        .subject
        .clone()
        .unwrap_or_default()
        .chars()
        .take(120)
        .collect();
    tracing::info!(
        conversation = %conversation_id,
        from_name = msg.from_name().unwrap_or_default(),
        subject = %subject,
        new,
        "message stored"
    );
    if new {
        state
            .store
            .append_audit(&NewAuditEntry {
                actor: "system".into(),
                action: "message.received".into(),
                subject: format!("conversation:{conversation_id}"),
                trace_id: Some(event.id.clone()),
                data: serde_json::json!({
                    "app": app.slug,
                    "front_conversation_id": conv.id,
                    "front_message_id": msg.id,
                    "from_name": msg.from_name(),
                }),
            })
            .await?;
    }
    Ok(())
}

/// The background loop: drain, then sleep until the next poll or shutdown.
pub async fn run(state: Pipeline, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let poll = Duration::from_millis(state.settings.poll_ms.max(10));
    loop {
        if let Err(e) = run_once(&state).await {
            tracing::error!(error = %e, "outbox worker pass failed");
        }
        tokio::select! {
            _ = state.outbox_wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Front archived (resolved) or reopened a conversation: recorded, and an archived one is
/// indexed. A conversation we never stored has nothing to index.
async fn resolved(state: &Pipeline, event: &WebhookEvent) -> Result<(), HandleError> {
    let Some(conv) = &event.conversation else {
        return Err(HandleError::Malformed(
            "archive event without a conversation",
        ));
    };
    let at = match event.emitted_at_ms() {
        0 => state.clock.now_ms(),
        ms => ms,
    };
    let archived = event.kind == "archive";
    let Some(id) = state
        .store
        .set_conversation_resolved(&conv.id, archived.then_some(at))
        .await?
    else {
        tracing::info!(front_conversation = %conv.id, kind = %event.kind, "conversation not stored; nothing to resolve");
        return Ok(());
    };
    if archived {
        index(state, &id).await?;
    }
    Ok(())
}

/// Puts what the conversation now gives the index there (nothing without an index: `skill
/// index rebuild` backfills once there is one).
async fn index(state: &Pipeline, conversation_id: &str) -> Result<(), HandleError> {
    let Some(search) = state.retrieval.store() else {
        tracing::debug!(conversation = %conversation_id, "no search index; not indexed");
        return Ok(());
    };
    let written =
        crate::indexing::index_conversation(&state.store, search.as_ref(), conversation_id).await?;
    if written > 0 {
        tracing::info!(conversation = %conversation_id, documents = written, "conversation indexed");
    }
    Ok(())
}
