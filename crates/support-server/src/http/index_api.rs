//! `skill index rebuild`: the search index backfilled from the platform's own history, a
//! page at a time, so the caller shows progress and an interruption loses at most a page
//! (`indexing::rebuild_page`; the progress is stored, the next start resumes it).

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use support_types::cli_api::{IndexRebuildNext, IndexRebuildRequest, IndexRebuildStatus};

use crate::auth::ApiUser;
use crate::error::{ApiError, ApiResult};
use crate::indexing::{self, IndexingError, RebuildProgress};
use crate::state::AppState;

const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 1_000;
const DEFAULT_CONCURRENCY: usize = 4;
const MAX_CONCURRENCY: usize = 16;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/index/rebuild", post(start))
        .route("/api/v1/index/rebuild/next", post(next))
}

/// The app's id and the scope's name for a slug, or every app.
async fn resolve(state: &AppState, slug: Option<&str>) -> ApiResult<(Option<String>, String)> {
    match slug {
        Some(slug) => {
            let app = super::app_by_slug(state, slug).await?;
            Ok((Some(app.id), slug.to_owned()))
        }
        None => Ok((None, "*".to_owned())),
    }
}

fn status(scope: String, p: RebuildProgress, resumed: bool) -> IndexRebuildStatus {
    IndexRebuildStatus {
        scope,
        conversations: p.progress.conversations,
        total: p.total,
        documents: p.progress.documents,
        finished: p.progress.finished_at.is_some(),
        resumed,
        started_at: p.progress.started_at,
        finished_at: p.progress.finished_at,
    }
}

fn api_error(e: IndexingError) -> ApiError {
    match e {
        IndexingError::NotStarted(_) | IndexingError::Raced(_) => ApiError::Conflict(e.to_string()),
        IndexingError::Store(inner) => inner.into(),
        IndexingError::Index(inner) => ApiError::Upstream(format!("search index: {inner}")),
        other @ IndexingError::Task(_) => ApiError::Internal(anyhow::anyhow!(other)),
    }
}

fn search_unavailable(
    state: &AppState,
) -> ApiResult<std::sync::Arc<dyn support_retrieval::VectorStore>> {
    state
        .retrieval
        .store()
        .ok_or_else(|| ApiError::Unprocessable {
            code: "search_unavailable",
            message: format!(
                "the search index is not open: {}",
                state.retrieval.mode().describe()
            ),
        })
}

async fn start(
    State(state): State<AppState>,
    ApiUser(_user): ApiUser,
    Json(body): Json<IndexRebuildRequest>,
) -> ApiResult<Json<IndexRebuildStatus>> {
    search_unavailable(&state)?;
    let (app_id, scope) = resolve(&state, body.app.as_deref()).await?;
    let (progress, resumed) =
        indexing::start_rebuild(&state.store, app_id.as_deref(), body.restart)
            .await
            .map_err(api_error)?;
    tracing::info!(scope = %scope, resumed, "index rebuild started");
    Ok(Json(status(scope, progress, resumed)))
}

async fn next(
    State(state): State<AppState>,
    ApiUser(_user): ApiUser,
    Json(body): Json<IndexRebuildNext>,
) -> ApiResult<Json<IndexRebuildStatus>> {
    let limit = body.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {MAX_PAGE}"
        )));
    }
    let concurrency = body.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
    if !(1..=MAX_CONCURRENCY).contains(&concurrency) {
        return Err(ApiError::BadRequest(format!(
            "concurrency must be between 1 and {MAX_CONCURRENCY}"
        )));
    }
    let index = search_unavailable(&state)?;
    let (app_id, scope) = resolve(&state, body.app.as_deref()).await?;
    let progress =
        indexing::rebuild_page(&state.store, index, app_id.as_deref(), limit, concurrency)
            .await
            .map_err(api_error)?;
    Ok(Json(status(scope, progress, false)))
}
