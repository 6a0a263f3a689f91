//! Looking customers up in a product app, and checking an app's wiring (`skill doctor`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use support_agent::app_tools::AppDirectory;
use support_sdk::{AppApi, SdkError};
use support_types::Email;
use support_types::sdk::{SdkPurchase, SdkUser};

use crate::apps::RegisteredApps;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/apps/{slug}/customers/{email}", get(customer))
        .route("/api/v1/apps/{slug}/doctor", get(doctor))
}

#[derive(Debug, Serialize)]
pub struct CustomerView {
    pub app: String,
    pub user: Option<SdkUser>,
    pub purchases: Vec<SdkPurchase>,
}

#[derive(Debug, Serialize)]
pub struct Check {
    pub name: String,
    /// `ok`, `warn` or `fail`.
    pub status: String,
    pub detail: String,
}

#[derive(Debug, Serialize)]
pub struct DoctorReport {
    pub app: String,
    pub overall: String,
    pub checks: Vec<Check>,
}

fn check(name: &str, status: &str, detail: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        status: status.into(),
        detail: detail.into(),
    }
}

async fn api_for(state: &AppState, slug: &str) -> ApiResult<(support_store::App, Arc<dyn AppApi>)> {
    let app = super::app_by_slug(state, slug).await?;
    let dir = RegisteredApps {
        store: state.store.clone(),
        secrets: state.secrets.clone(),
        clock: state.clock.clone(),
    };
    let api = dir
        .app_api(&app.id)
        .await
        .map_err(|e| ApiError::BadRequest(format!("app {slug}: {e}")))?;
    Ok((app, api))
}

fn sdk_error(e: SdkError) -> ApiError {
    match e {
        SdkError::NotFound(m) => ApiError::NotFound(m),
        SdkError::BadRequest(m) => ApiError::BadRequest(m),
        other => ApiError::Internal(anyhow::anyhow!("the app answered: {other}")),
    }
}

/// `GET /api/v1/apps/{slug}/customers/{email}`: the customer and their purchases, as the app
/// reports them through its signed SDK route.
async fn customer(
    State(state): State<AppState>,
    _u: ApiUser,
    Path((slug, email)): Path<(String, String)>,
) -> ApiResult<Json<CustomerView>> {
    let email = Email::parse(&email).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let (app, api) = api_for(&state, &slug).await?;
    let user = api.lookup_user(&email).await.map_err(sdk_error)?;
    let purchases = match &user {
        Some(u) => api.get_purchases(&u.id).await.map_err(sdk_error)?,
        None => Vec::new(),
    };
    Ok(Json(CustomerView {
        app: app.slug,
        user,
        purchases,
    }))
}

/// `GET /api/v1/apps/{slug}/doctor`: is the app registered, does a signed round trip work,
/// which optional capabilities does it have, and are Front and Slack reachable.
async fn doctor(
    State(state): State<AppState>,
    _u: ApiUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<DoctorReport>> {
    let app = super::app_by_slug(&state, &slug).await?;
    let mut checks = vec![check(
        "registry",
        "ok",
        format!("{} owns inboxes {:?}", app.slug, app.front_inbox_ids),
    )];
    match &app.integration_url {
        None => checks.push(check(
            "integration",
            "fail",
            "no integration URL registered",
        )),
        Some(url) => {
            let dir = RegisteredApps {
                store: state.store.clone(),
                secrets: state.secrets.clone(),
                clock: state.clock.clone(),
            };
            match dir.app_api(&app.id).await {
                Err(e) => checks.push(check("integration", "fail", e.to_string())),
                Ok(api) => {
                    // An address nobody has: the app must answer, signed, with "no such user".
                    let probe = Email::parse("doctor-probe@invalid.example")
                        .map_err(|e| ApiError::Internal(e.into()))?;
                    match api.lookup_user(&probe).await {
                        Ok(_) => checks.push(check(
                            "signature",
                            "ok",
                            format!("signed round trip with {url}"),
                        )),
                        Err(e) => checks.push(check("signature", "fail", e.to_string())),
                    }
                    let optional = [
                        (
                            "getSubscriptions",
                            api.get_subscriptions("doctor-probe")
                                .await
                                .map(|o| o.is_some()),
                        ),
                        (
                            "getClaimedSeats",
                            api.get_claimed_seats("doctor-probe")
                                .await
                                .map(|o| o.is_some()),
                        ),
                        (
                            "searchContent",
                            api.search_content("refund").await.map(|o| o.is_some()),
                        ),
                        (
                            "getRefundPolicy",
                            api.get_refund_policy().await.map(|o| o.is_some()),
                        ),
                    ];
                    for (name, r) in optional {
                        checks.push(match r {
                            Ok(true) => check(name, "ok", "supported"),
                            Ok(false) => check(name, "warn", "not implemented by the app (501)"),
                            Err(SdkError::NotFound(_)) => check(name, "ok", "supported"),
                            Err(e) => check(name, "warn", e.to_string()),
                        });
                    }
                }
            }
        }
    }
    checks.push(match state.front.list_channels().await {
        Ok(c) => check("front", "ok", format!("{} channels", c.len())),
        Err(e) => check("front", "fail", e.to_string()),
    });
    checks.push(match app.stripe_account_id {
        Some(a) => check("stripe", "ok", format!("connected account {a}")),
        None => check(
            "stripe",
            "warn",
            "no connected Stripe account: refunds cannot run",
        ),
    });
    let overall = if checks.iter().any(|c| c.status == "fail") {
        "fail"
    } else if checks.iter().any(|c| c.status == "warn") {
        "warn"
    } else {
        "ok"
    };
    Ok(Json(DoctorReport {
        app: app.slug,
        overall: overall.into(),
        checks,
    }))
}
