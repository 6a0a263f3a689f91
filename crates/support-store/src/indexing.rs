//! Progress of an index backfill (`skill index rebuild`), one row per scope, so an
//! interrupted rebuild resumes after the last page whose documents reached the index.

use crate::{Result, Store, now_ms};

/// A rebuild's progress. `scope` is an app id, or `*` for every app.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRebuild {
    pub scope: String,
    /// The last conversation id whose documents are in the index (`""`: none yet).
    pub cursor: String,
    pub conversations: i64,
    pub documents: i64,
    pub started_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

macro_rules! rebuild_from_row {
    ($row:expr) => {{
        let r = $row;
        crate::from_columns! {
            r, IndexRebuild {
                scope, cursor, conversations, documents, started_at, updated_at, finished_at,
            }
        }
    }};
}

impl Store {
    pub async fn index_rebuild(&self, scope: &str) -> Result<Option<IndexRebuild>> {
        crate::read_row!(
            self,
            "SELECT scope, cursor, conversations, documents, started_at, updated_at, finished_at
             FROM index_rebuilds WHERE scope = $1",
            [scope],
            rebuild_from_row
        )
    }

    /// Starts the scope's rebuild from the beginning (forgetting any earlier progress).
    pub async fn start_index_rebuild(&self, scope: &str) -> Result<IndexRebuild> {
        let now = now_ms();
        crate::on_writer!(self, |p| {
            sqlx::query(
                "INSERT INTO index_rebuilds (scope, cursor, conversations, documents, started_at, updated_at, finished_at)
                 VALUES ($1, '', 0, 0, $2, $2, NULL)
                 ON CONFLICT (scope) DO UPDATE SET cursor = '', conversations = 0, documents = 0,
                    started_at = excluded.started_at, updated_at = excluded.updated_at, finished_at = NULL",
            )
            .bind(scope)
            .bind(now)
            .execute(p)
            .await?;
            Ok(())
        })?;
        Ok(IndexRebuild {
            scope: scope.to_owned(),
            cursor: String::new(),
            conversations: 0,
            documents: 0,
            started_at: now,
            updated_at: now,
            finished_at: None,
        })
    }

    /// Records a finished page: the cursor moves to `cursor` only if it was still `from`
    /// (two rebuilds of one scope cannot both count a page). Returns whether it moved.
    pub async fn advance_index_rebuild(
        &self,
        scope: &str,
        from: &str,
        cursor: &str,
        conversations: i64,
        documents: i64,
        finished: bool,
    ) -> Result<bool> {
        let now = now_ms();
        crate::on_writer!(self, |p| {
            let moved = sqlx::query(
                "UPDATE index_rebuilds SET cursor = $1, conversations = conversations + $2,
                    documents = documents + $3, updated_at = $4,
                    finished_at = CASE WHEN $5 THEN $4 ELSE NULL END
                 WHERE scope = $6 AND cursor = $7 AND finished_at IS NULL",
            )
            .bind(cursor)
            .bind(conversations)
            .bind(documents)
            .bind(now)
            .bind(finished)
            .bind(scope)
            .bind(from)
            .execute(p)
            .await?
            .rows_affected();
            Ok(moved == 1)
        })
    }
}
