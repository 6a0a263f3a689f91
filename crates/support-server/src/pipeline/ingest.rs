//! Group commit for inbound events. Every webhook handler hands its verified event to one
//! writer task, which stores whatever has queued up in a single transaction (one fsync) and
//! then answers each handler. Under load the batch grows, so durability costs one sync per
//! batch instead of one per event; an idle server commits each event at once.

use std::sync::Arc;

use support_store::{Inbound, NewInboundEvent, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

/// Largest batch per transaction.
const MAX_BATCH: usize = 512;

/// The batch's failure is shared by every sender in it.
type Reply = oneshot::Sender<Result<Inbound, Arc<StoreError>>>;

struct Job {
    event: NewInboundEvent,
    topic: String,
    reply: Reply,
}

/// Handle to the writer task. Cheap to clone.
#[derive(Clone)]
pub struct Ingestor {
    tx: mpsc::Sender<Job>,
}

/// Why an event was not stored: the sender gets a 503 and retries. The store's error is the
/// source (for the log), never the message (for the client).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the event store is unavailable: the writer stopped")]
    WriterStopped,
    #[error("the event store is unavailable")]
    Store(#[source] Arc<StoreError>),
}

impl Ingestor {
    /// Starts the writer task on the current runtime. It ends when every handle is dropped.
    /// `fault` names a crash point for recovery tests (see [`FaultPoint`]).
    /// `committed` is notified after every committed batch (it wakes the outbox worker).
    pub fn start(
        store: Store,
        fault: Option<FaultPoint>,
        committed: std::sync::Arc<tokio::sync::Notify>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(MAX_BATCH * 8);
        tokio::spawn(writer(store, rx, fault, committed));
        Self { tx }
    }

    /// Stores `event` (deduplicated) with an outbox row for `topic`; resolves once committed.
    pub async fn submit(
        &self,
        event: NewInboundEvent,
        topic: &str,
    ) -> Result<Inbound, IngestError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job {
                event,
                topic: topic.to_owned(),
                reply,
            })
            .await
            .map_err(|_| IngestError::WriterStopped)?;
        rx.await
            .map_err(|_| IngestError::WriterStopped)?
            .map_err(IngestError::Store)
    }
}

/// Named places where a recovery test can make the process die (SIGABRT) mid-ingest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    /// Rows written, transaction not committed: nothing may survive, the sender retries.
    BeforeIngestCommit,
    /// Committed, sender not yet answered: the event must be processed exactly once.
    AfterIngestCommit,
}

impl FaultPoint {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "before_ingest_commit" => Some(Self::BeforeIngestCommit),
            "after_ingest_commit" => Some(Self::AfterIngestCommit),
            _ => None,
        }
    }
}

fn crash(point: FaultPoint) -> ! {
    eprintln!("fault injection: aborting at {point:?}");
    std::process::abort()
}

async fn writer(
    store: Store,
    mut rx: mpsc::Receiver<Job>,
    fault: Option<FaultPoint>,
    committed: std::sync::Arc<tokio::sync::Notify>,
) {
    let mut jobs: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    let before_commit = move || {
        if fault == Some(FaultPoint::BeforeIngestCommit) {
            crash(FaultPoint::BeforeIngestCommit);
        }
    };
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let batch: Vec<(NewInboundEvent, String)> = jobs
            .iter()
            .map(|j| (j.event.clone(), j.topic.clone()))
            .collect();
        let stored = store
            .record_inbound_batch_hooked(&batch, &before_commit)
            .await;
        if stored.is_ok() && fault == Some(FaultPoint::AfterIngestCommit) {
            crash(FaultPoint::AfterIngestCommit);
        }
        match stored {
            Ok(results) => {
                for (job, result) in jobs.drain(..).zip(results) {
                    let _ = job.reply.send(Ok(result));
                }
                committed.notify_one();
            }
            Err(e) => {
                tracing::error!(error = %e, batch = jobs.len(), "storing inbound events failed; every sender gets 503");
                let e = Arc::new(e);
                for job in jobs.drain(..) {
                    let _ = job.reply.send(Err(e.clone()));
                }
            }
        }
    }
}
