//! The JSON API under `/api/v1`, authenticated by bearer token. Bodies are the shared types
//! in `support_types::api`, which the CLI uses too.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use support_store::{NewApp, NewAuditEntry};
use support_types::api::{
    AppView, AuditVerification, AuditView, ConversationDetail, ConversationView, MessageView,
    NewAppRequest, NewAppResponse, RotateSecretRequest, RotateSecretResponse, Status,
};

use crate::auth::ApiUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/status", get(status))
        .route("/api/v1/apps", get(list_apps).post(create_app))
        .route("/api/v1/apps/{slug}", get(get_app))
        .route("/api/v1/apps/{slug}/policy", get(get_policy))
        .route("/api/v1/apps/{slug}/rotate-secret", post(rotate_secret))
        .route("/api/v1/conversations", get(list_conversations))
        .route("/api/v1/conversations/{id}", get(get_conversation))
        .route("/api/v1/audit", get(list_audit))
        .route("/api/v1/audit/verify", get(verify_audit))
}

/// `Json` whose rejections use our error body, naming what was wrong with the input.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(ApiError::BadRequest(rej.body_text())),
        }
    }
}

#[derive(Deserialize)]
pub struct Limit {
    limit: Option<i64>,
}

impl Limit {
    fn get(&self) -> i64 {
        self.limit.unwrap_or(50).clamp(1, 500)
    }
}

async fn status(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Json<Status>> {
    let c = state.store.counts().await?;
    Ok(Json(Status {
        version: env!("CARGO_PKG_VERSION").into(),
        backend: state.store.backend().as_str().into(),
        user: user.email,
        apps: c.apps,
        conversations: c.conversations,
        inbound_events: c.inbound_events,
        outbox_pending: c.outbox_pending,
        audit_entries: c.audit_entries,
        search: state.retrieval.mode().describe(),
    }))
}

fn app_view(a: support_store::App) -> AppView {
    AppView {
        id: a.id,
        slug: a.slug,
        name: a.name,
        front_inbox_ids: a.front_inbox_ids,
        integration_url: a.integration_url,
        front_rule_webhooks: a.front_rule_webhooks,
        created_at: a.created_at,
    }
}

async fn list_apps(State(state): State<AppState>, _u: ApiUser) -> ApiResult<Json<Vec<AppView>>> {
    Ok(Json(
        state
            .store
            .list_apps()
            .await?
            .into_iter()
            .map(app_view)
            .collect(),
    ))
}

async fn get_app(
    State(state): State<AppState>,
    _u: ApiUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<AppView>> {
    let app = super::app_by_slug(&state, &slug).await?;
    Ok(Json(app_view(app)))
}

async fn create_app(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<NewAppRequest>,
) -> ApiResult<(StatusCode, Json<NewAppResponse>)> {
    if req.name.trim().is_empty() {
        return Err(ApiError::BadRequest("name must not be empty".into()));
    }
    if let Some(bad) = req
        .front_inbox_ids
        .iter()
        .find(|i| !i.starts_with("inb_") || i.len() < 5)
    {
        return Err(ApiError::BadRequest(format!(
            "front inbox id {bad:?} must look like inb_…"
        )));
    }
    if let Some(url) = &req.integration_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(ApiError::BadRequest(format!(
            "integration_url {url:?} must be an http(s) URL"
        )));
    }
    // The app id is bound into the sealed secret, so it is chosen here, not by the store.
    let new = NewApp {
        slug: req.slug.to_string(),
        name: req.name.trim().to_owned(),
        front_inbox_ids: req.front_inbox_ids.clone(),
        integration_url: req.integration_url.clone(),
        front_rule_webhooks: req.front_rule_webhooks,
    };
    let app_id = support_store::new_id();
    let (sealed, webhook_secret) = state
        .secrets
        .generate(&app_id, 1)
        .map_err(|e| ApiError::Internal(e.into()))?;
    let app = state
        .store
        .create_app_with_id(&app_id, &new, Some(&sealed))
        .await?;
    state
        .store
        .append_audit(&NewAuditEntry {
            actor: format!("user:{}", user.email),
            action: "app.registered".into(),
            subject: format!("app:{}", app.slug),
            trace_id: None,
            data: serde_json::json!({"inboxes": app.front_inbox_ids, "secret_version": 1}),
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewAppResponse {
            success: true,
            app: app_view(app),
            webhook_secret,
        }),
    ))
}

/// Generates (or takes) a new signing secret; the previous one keeps verifying for the
/// grace period so the app can switch without dropped events.
async fn rotate_secret(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(slug): Path<String>,
    ApiJson(req): ApiJson<RotateSecretRequest>,
) -> ApiResult<Json<RotateSecretResponse>> {
    let app = super::app_by_slug(&state, &slug).await?;
    if let Some(s) = &req.secret
        && (s.len() < 32 || s.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        return Err(ApiError::BadRequest(
            "secret must be at least 32 characters with no whitespace".into(),
        ));
    }
    let grace_hours = req.grace_hours.unwrap_or(state.config.secret_grace_hours);
    if grace_hours > 24 * 30 {
        return Err(ApiError::BadRequest(
            "grace_hours must be at most 720".into(),
        ));
    }
    let until = state.clock.now_ms() + (grace_hours as i64) * 3_600_000;
    let secret = state
        .secrets
        .rotate(&app, req.secret.as_deref(), until)
        .await
        .map_err(|e| match e {
            crate::secrets::SecretError::Store(s) => ApiError::from(s),
            other => ApiError::Internal(other.into()),
        })?;
    state
        .store
        .append_audit(&NewAuditEntry {
            actor: format!("user:{}", user.email),
            action: "app.secret_rotated".into(),
            subject: format!("app:{}", app.slug),
            trace_id: None,
            data: serde_json::json!({"previous_valid_until": until, "supplied": req.secret.is_some()}),
        })
        .await?;
    Ok(Json(RotateSecretResponse {
        success: true,
        app: app.slug,
        webhook_secret: secret,
        previous_valid_until: until,
    }))
}

fn conversation_view(c: support_store::Conversation) -> ConversationView {
    ConversationView {
        id: c.id,
        app_slug: c.app_slug,
        front_conversation_id: c.front_conversation_id,
        subject: c.subject,
        customer_email: c.customer_email,
        status: c.status,
        message_count: c.message_count,
        updated_at: c.updated_at,
    }
}

async fn list_conversations(
    State(state): State<AppState>,
    _u: ApiUser,
    Query(limit): Query<Limit>,
) -> ApiResult<Json<Vec<ConversationView>>> {
    Ok(Json(
        state
            .store
            .list_conversations(limit.get())
            .await?
            .into_iter()
            .map(conversation_view)
            .collect(),
    ))
}

async fn get_conversation(
    State(state): State<AppState>,
    _u: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ConversationDetail>> {
    let (conv, msgs) = state
        .store
        .conversation(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("conversation {id:?} not found")))?;
    Ok(Json(ConversationDetail {
        conversation: conversation_view(conv),
        messages: msgs
            .into_iter()
            .map(|m| MessageView {
                id: m.id,
                front_message_id: m.front_message_id,
                direction: m.direction,
                author: m.author,
                body: m.body.unwrap_or_default(),
                created_at: m.created_at,
            })
            .collect(),
    }))
}

async fn list_audit(
    State(state): State<AppState>,
    _u: ApiUser,
    Query(limit): Query<Limit>,
) -> ApiResult<Json<Vec<AuditView>>> {
    Ok(Json(
        state
            .store
            .list_audit(limit.get())
            .await?
            .into_iter()
            .map(|e| AuditView {
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                hash: e.hash,
            })
            .collect(),
    ))
}

async fn verify_audit(
    State(state): State<AppState>,
    _u: ApiUser,
) -> ApiResult<Json<AuditVerification>> {
    let (entries, bad) = state.store.verify_audit().await?;
    Ok(Json(AuditVerification {
        entries,
        ok: bad.is_none(),
        first_bad_seq: bad,
    }))
}

/// `GET /api/v1/apps/{slug}/policy`: the policy in force for the app (its own, or the
/// defaults), with the version and fingerprint every decision records.
async fn get_policy(
    State(state): State<AppState>,
    _u: ApiUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<support_types::api::PolicyView>> {
    let app = super::app_by_slug(&state, &slug).await?;
    let (policy, source) = match app.policy.as_deref() {
        Some(t) => (
            support_core::policy::PolicyConfig::from_toml(t)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored policy of {slug}: {e}")))?,
            "app",
        ),
        None => (support_core::policy::PolicyConfig::default(), "defaults"),
    };
    Ok(Json(support_types::api::PolicyView {
        app: app.slug,
        source: source.into(),
        version: policy.version.clone(),
        fingerprint: policy.fingerprint(),
        toml: policy.to_toml(),
    }))
}
