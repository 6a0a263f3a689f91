//! The platform's own history in the search index: resolved conversations (what the
//! customer asked, how it ended) and replies teammates sent as we drafted them, for the
//! brain's "similar tickets" and "trusted responses". Indexed as Front reports each sent
//! reply and each archive (`pipeline/worker.rs`), and backfilled page by page by `skill
//! index rebuild`, whose progress is stored so an interrupted rebuild resumes.

pub mod documents;

use std::sync::Arc;

use support_retrieval::{StoreError as IndexError, VectorStore};
use support_store::{IndexRebuild, Store, StoreError};
use tokio::task::JoinSet;

use documents::History;

/// Why indexing a conversation failed.
#[derive(Debug, thiserror::Error)]
pub enum IndexingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the search index refused the documents: {0}")]
    Index(#[from] IndexError),
    #[error("no rebuild of {0} has been started")]
    NotStarted(String),
    #[error("another rebuild of {0} moved past this page; run the rebuild again to continue")]
    Raced(String),
    #[error("indexing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The documents conversation `id` gives the index now (none for a conversation no app
/// owns, or one we never stored).
pub async fn conversation_documents(
    store: &Store,
    id: &str,
) -> Result<Vec<support_retrieval::Document>, IndexingError> {
    let Some((conversation, messages)) = store.conversation(id).await? else {
        return Ok(Vec::new());
    };
    let Some(app_id) = conversation.app_id.clone() else {
        return Ok(Vec::new());
    };
    let decisions = store.decisions_for(&conversation.id).await?;
    let actions = store.actions_for_conversation(&conversation.id).await?;
    Ok(documents::documents(&History {
        app_id: &app_id,
        conversation: &conversation,
        messages: &messages,
        decisions: &decisions,
        actions: &actions,
    }))
}

/// Indexes conversation `id` now (an upsert: documents keep their ids). Returns how many
/// documents it wrote.
pub async fn index_conversation(
    store: &Store,
    index: &dyn VectorStore,
    id: &str,
) -> Result<usize, IndexingError> {
    let docs = conversation_documents(store, id).await?;
    let n = docs.len();
    if n > 0 {
        index.upsert(docs).await?;
    }
    Ok(n)
}

/// A rebuild's scope in the progress table: an app id, or every app.
pub fn scope(app_id: Option<&str>) -> String {
    app_id.unwrap_or("*").to_owned()
}

/// Where a rebuild stands, with the number of conversations it covers.
#[derive(Debug, Clone)]
pub struct RebuildProgress {
    pub progress: IndexRebuild,
    pub total: i64,
}

/// Starts a rebuild of `app_id`'s conversations (every app's when `None`), or resumes the
/// unfinished one unless `restart`. Returns the progress and whether it resumed.
pub async fn start_rebuild(
    store: &Store,
    app_id: Option<&str>,
    restart: bool,
) -> Result<(RebuildProgress, bool), IndexingError> {
    let scope = scope(app_id);
    let existing = store.index_rebuild(&scope).await?;
    let (progress, resumed) = match existing {
        Some(p) if !restart && p.finished_at.is_none() => (p, true),
        _ => (store.start_index_rebuild(&scope).await?, false),
    };
    let total = store.count_conversations(app_id).await?;
    Ok((RebuildProgress { progress, total }, resumed))
}

/// Indexes the next `limit` conversations after the rebuild's cursor, building their
/// documents `concurrency` at a time and writing them in one batch, then moves the cursor.
/// The last page (fewer than `limit`) finishes the rebuild.
pub async fn rebuild_page(
    store: &Store,
    index: Arc<dyn VectorStore>,
    app_id: Option<&str>,
    limit: usize,
    concurrency: usize,
) -> Result<RebuildProgress, IndexingError> {
    let scope = scope(app_id);
    let current = store
        .index_rebuild(&scope)
        .await?
        .ok_or_else(|| IndexingError::NotStarted(scope.clone()))?;
    let total = store.count_conversations(app_id).await?;
    if current.finished_at.is_some() {
        return Ok(RebuildProgress {
            progress: current,
            total,
        });
    }
    let ids = store
        .conversation_ids_after(app_id, &current.cursor, limit as i64)
        .await?;
    let mut built: Vec<Option<Vec<support_retrieval::Document>>> = vec![None; ids.len()];
    let mut tasks = JoinSet::new();
    let mut next = 0;
    while next < ids.len() || !tasks.is_empty() {
        while next < ids.len() && tasks.len() < concurrency.max(1) {
            let (store, id, slot) = (store.clone(), ids[next].clone(), next);
            tasks.spawn(async move { (slot, conversation_documents(&store, &id).await) });
            next += 1;
        }
        if let Some(done) = tasks.join_next().await {
            let (slot, docs) = done?;
            built[slot] = Some(docs?);
        }
    }
    let docs: Vec<support_retrieval::Document> = built.into_iter().flatten().flatten().collect();
    let documents = docs.len();
    for batch in docs.chunks(256) {
        index.upsert(batch.to_vec()).await?;
    }
    let finished = ids.len() < limit;
    let cursor = ids
        .last()
        .cloned()
        .unwrap_or_else(|| current.cursor.clone());
    let moved = store
        .advance_index_rebuild(
            &scope,
            &current.cursor,
            &cursor,
            ids.len() as i64,
            documents as i64,
            finished,
        )
        .await?;
    if !moved {
        return Err(IndexingError::Raced(scope));
    }
    let progress = store
        .index_rebuild(&scope)
        .await?
        .ok_or_else(|| IndexingError::NotStarted(scope.clone()))?;
    Ok(RebuildProgress { progress, total })
}
