//! The one state every handler gets: the store, the config, and each external service
//! behind a trait object so tests and the sandbox can point them at local fakes.

use std::sync::Arc;

use support_agent::actions::ActionService;
use support_agent::inbound::InboundService;
use support_engine::Engine;
use support_front::FrontApi;
use support_store::Store;
use support_stripe::{StripeApi, StripeConnect};

use crate::clock::Clock;
use crate::config::Config;
use crate::ingest::Ingestor;
use crate::secrets::AppSecrets;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub front: Arc<dyn FrontApi>,
    pub clock: Arc<dyn Clock>,
    pub ingest: Ingestor,
    pub secrets: Arc<AppSecrets>,
    /// The durable engine (inbound and action workflows).
    pub engine: Arc<Engine>,
    /// The action ledger: proposals, approvals, exactly-once execution.
    pub actions: Arc<ActionService>,
    /// Schedules (and coalesces) decision runs for new messages.
    pub inbound: Arc<InboundService>,
    /// Stripe on connected accounts (charges, refunds) and Connect OAuth.
    pub stripe: Arc<dyn StripeApi>,
    pub stripe_connect: Arc<dyn StripeConnect>,
    /// Slack (escalations, approval cards, interactions).
    pub slack: Arc<dyn support_slack::SlackApi>,
    /// Notified when inbound events were committed: wakes the outbox worker at once.
    pub outbox_wake: Arc<tokio::sync::Notify>,
}
