//! The router: every route, and the layers every request passes through (request id,
//! tracing span, timeout, body limit, panic catcher).

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::routing::{get, post};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use support_store::App;

pub mod actions_api;
pub mod agent_api;
pub mod api;
pub mod apps_api;
pub mod dashboard;
pub mod health;
pub mod html;
mod index_api;
mod knowledge;
pub mod operator;
pub mod ops;
pub mod stripe_connect;
pub mod webhooks;

/// The app registered as `slug`, or 404 `app "slug" not found`.
pub(crate) async fn app_by_slug(state: &AppState, slug: &str) -> ApiResult<App> {
    state
        .store
        .app_by_slug(slug)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("app {slug:?} not found")))
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let timeout = Duration::from_secs(state.config.request_timeout_secs.max(1));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(
            Router::new()
                .route("/webhooks/front", post(webhooks::front))
                .route("/webhooks/stripe", post(webhooks::stripe))
                .route("/webhooks/slack/events", post(webhooks::slack_events))
                .route(
                    "/webhooks/slack/interactions",
                    post(webhooks::slack_interactions),
                )
                .route("/webhooks/app/{slug}", post(webhooks::app))
                .route_layer(axum::middleware::from_fn(webhooks::identity_encoding_only)),
        )
        .merge(api::routes())
        .merge(actions_api::routes())
        .merge(agent_api::routes())
        .merge(apps_api::routes())
        .merge(knowledge::routes())
        .merge(index_api::routes())
        .merge(operator::routes())
        .merge(ops::routes())
        .merge(dashboard::routes())
        .merge(stripe_connect::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                        let id = req
                            .headers()
                            .get(REQUEST_ID)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
                    }),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(CatchPanicLayer::new())
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    timeout,
                )),
        )
        .with_state(state)
}

async fn not_found() -> crate::error::ApiError {
    crate::error::ApiError::NotFound("no such route".into())
}
