//! The outbox's topics and the envelope a Front event is stored in. Webhook routes and
//! reconciliation write them; the worker dispatches on them.

use support_front::WebhookEvent;
use support_store::NewInboundEvent;

pub const TOPIC_FRONT: &str = "front.event";
pub const TOPIC_STRIPE: &str = "stripe.event";
pub const TOPIC_SLACK: &str = "slack.event";
pub const TOPIC_APP: &str = "app.event";
pub const TOPIC_SLACK_INTERACTION: &str = "slack.interaction";

/// A Front event as stored: deduplicated by its id, whatever path it came by (a webhook,
/// a rule webhook, reconciliation), with the trust of that path.
pub(crate) fn front_envelope(
    event: &WebhookEvent,
    trust: &str,
    payload: String,
) -> NewInboundEvent {
    NewInboundEvent {
        source: "front".into(),
        dedupe_key: event.id.clone(),
        version: 1,
        event_type: event.kind.clone(),
        occurred_at: event.emitted_at_ms(),
        trust: trust.into(),
        payload,
    }
}
