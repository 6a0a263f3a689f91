//! Counts for `/api/v1/status` and the dashboard header.

use sqlx::Row;

use crate::{Result, Store, on_pool};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub apps: i64,
    pub conversations: i64,
    pub inbound_events: i64,
    pub outbox_pending: i64,
    pub audit_entries: i64,
}

impl Store {
    pub async fn counts(&self) -> Result<Counts> {
        on_pool!(self.read_pool(), |p| {
            let r = sqlx::query(
                "SELECT (SELECT COUNT(*) FROM apps), (SELECT COUNT(*) FROM conversations),
                        (SELECT COUNT(*) FROM inbound_events),
                        (SELECT COUNT(*) FROM outbox WHERE done_at IS NULL),
                        (SELECT COUNT(*) FROM audit_entries)",
            )
            .fetch_one(p)
            .await?;
            Ok(Counts {
                apps: r.try_get(0)?,
                conversations: r.try_get(1)?,
                inbound_events: r.try_get(2)?,
                outbox_pending: r.try_get(3)?,
                audit_entries: r.try_get(4)?,
            })
        })
    }
}
