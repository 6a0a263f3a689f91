//! An app's knowledge base in the search index (`skill kb sync`): the markdown files are
//! sent whole, the server cuts them into chunks and makes the index match.

use axum::extract::{Path, State};
use axum::routing::put;
use axum::{Json, Router};
use serde::Deserialize;
use support_retrieval::kb::KbFile;

use crate::auth::ApiUser;
use crate::error::{ApiError, ApiResult};
use crate::retrieval::{KbSyncReport, RetrievalError};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/apps/{slug}/knowledge", put(sync))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncBody {
    /// Every markdown file of the knowledge base (paths relative to its folder). What is not
    /// here is removed from the index.
    pub files: Vec<KbFile>,
}

/// A path inside the knowledge folder: relative, no `..`, markdown.
fn check_path(path: &str) -> Result<(), String> {
    let ok = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && path.split('/').all(|part| !part.is_empty() && part != "..")
        && path.ends_with(".md");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "file path {path:?} must be a relative .md path inside the knowledge folder"
        ))
    }
}

async fn sync(
    State(state): State<AppState>,
    ApiUser(_user): ApiUser,
    Path(slug): Path<String>,
    Json(body): Json<SyncBody>,
) -> ApiResult<Json<KbSyncReport>> {
    let app = super::app_by_slug(&state, &slug).await?;
    if body.files.is_empty() {
        return Err(ApiError::BadRequest(
            "no files: a sync with no markdown would delete the app's whole knowledge base".into(),
        ));
    }
    for f in &body.files {
        check_path(&f.path).map_err(ApiError::BadRequest)?;
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(dup) = body.files.iter().find(|f| !seen.insert(f.path.as_str())) {
        return Err(ApiError::BadRequest(format!(
            "file {:?} is listed twice",
            dup.path
        )));
    }
    let report = state
        .retrieval
        .sync_knowledge(&app.id, &body.files)
        .await
        .map_err(|e| match e {
            RetrievalError::NoIndex(_) => ApiError::Unprocessable {
                code: "search_unavailable",
                message: e.to_string(),
            },
            RetrievalError::Store(inner) => ApiError::Internal(anyhow::anyhow!(inner)),
        })?;
    tracing::info!(app = %slug, ?report, "knowledge synced");
    Ok(Json(report))
}
