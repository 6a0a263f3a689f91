//! The pipeline behind the HTTP edge: what happens to an event after its webhook answered.
//!
//! - `ingest`: the one writer task that group-commits verified events with their outbox rows;
//! - `worker`: the outbox worker, which dispatches each stored event by its `topics` topic;
//! - `stripe_events` and `slack_approvals`: the Stripe and Slack event handlers (and the
//!   Slack approval surface the action ledger notifies);
//! - `reconcile`: Front events whose webhook never came, listed and ingested the same way.
//!
//! Everything here takes a [`Pipeline`] (store, engine, services, clock), not the HTTP
//! state: the pipeline can run, and be tested, without a router.

pub mod ingest;
pub mod reconcile;
pub mod slack_approvals;
pub(crate) mod stripe_events;
pub mod topics;
pub mod worker;

use std::sync::Arc;

use support_agent::actions::{ActionError, ActionService};
use support_agent::inbound::InboundService;
use support_engine::{Engine, WfError};
use support_front::{FrontApi, FrontError};
use support_store::{Store, StoreError};
use support_stripe::{StripeApi, StripeError};

use crate::clock::Clock;

/// What the pipeline needs, and nothing of the HTTP edge.
#[derive(Clone)]
pub struct Pipeline {
    pub store: Store,
    pub engine: Arc<Engine>,
    pub front: Arc<dyn FrontApi>,
    /// Stripe on connected accounts (charges, refunds).
    pub stripe: Arc<dyn StripeApi>,
    /// Slack (escalations, approval cards, interactions).
    pub slack: Arc<dyn support_slack::SlackApi>,
    /// The action ledger: proposals, approvals, exactly-once execution.
    pub actions: Arc<ActionService>,
    /// Schedules (and coalesces) decision runs for new messages.
    pub inbound: Arc<InboundService>,
    /// Each product app's SDK client.
    pub apps: Arc<dyn support_agent::app_tools::AppDirectory>,
    pub clock: Arc<dyn Clock>,
    pub ingest: ingest::Ingestor,
    /// Notified when inbound events were committed: wakes the outbox worker at once.
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// Search: the embedding model, or keywords only.
    pub retrieval: Arc<crate::retrieval::Retrieval>,
    pub settings: PipelineSettings,
}

/// The few settings the pipeline reads (from `[worker]`, `[front]`, `[stripe]`).
#[derive(Debug, Clone)]
pub struct PipelineSettings {
    /// The outbox worker's idle poll.
    pub poll_ms: u64,
    /// Seconds between reconciliation passes; 0 turns them off.
    pub front_reconcile_secs: u64,
    /// Whether a Front API token is configured (reconciliation needs one).
    pub front_configured: bool,
    /// Our Stripe Connect client id (`account.application.deauthorized` names it).
    pub stripe_client_id: String,
}

/// Why an outbox item could not be handled. [`HandleError::is_transient`] decides between a
/// retry with backoff and parking the item for an operator; either way the message (with its
/// causes) is stored on the row.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error("event {0} is missing")]
    Missing(String),
    #[error("stored {what} does not parse: {source}")]
    Unparsable {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("{0}")]
    Malformed(&'static str),
    #[error("no handler for topic {0:?}")]
    NoHandler(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Front(#[from] FrontError),
    #[error("scheduling the decision: {0}")]
    Schedule(#[from] WfError),
    #[error("{context}: {source}")]
    Stripe {
        context: String,
        #[source]
        source: StripeError,
    },
    #[error("{context}: {source}")]
    Action {
        context: &'static str,
        #[source]
        source: ActionError,
    },
    #[error("indexing the conversation: {0}")]
    Index(#[from] crate::indexing::IndexingError),
}

impl HandleError {
    /// Worth another attempt: the store, a provider or the ledger may answer next time. An
    /// event that is missing or does not parse never will.
    pub fn is_transient(&self) -> bool {
        match self {
            HandleError::Missing(_)
            | HandleError::Unparsable { .. }
            | HandleError::Malformed(_)
            | HandleError::NoHandler(_) => false,
            HandleError::Front(e) => e.is_transient(),
            HandleError::Store(_)
            | HandleError::Schedule(_)
            | HandleError::Stripe { .. }
            | HandleError::Action { .. }
            | HandleError::Index(_) => true,
        }
    }
}
