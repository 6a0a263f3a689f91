//! Connecting an app to its Stripe account by Connect OAuth, and disconnecting it.
//!
//! `skill stripe connect <app>` (or the dashboard's button) asks for an authorize URL. Its
//! `state` is 256 random bits, stored only as a hash, single use, valid for
//! [`STATE_TTL_MS`], and bound to the admin who asked and the app. Stripe sends the admin's
//! browser back to `/stripe/oauth/callback`; the callback needs a dashboard session of that
//! same admin (so a link cannot be finished by someone else, nor an attacker's account
//! slipped into an admin's browser), checks and burns the state, and only then exchanges
//! the code. The tokens are sealed (envelope encryption) and every outcome is audited.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use support_store::stripe::{CONNECT_SECRET_PURPOSE, StateCheck};
use support_store::{App, NewAuditEntry, StoreError, User};
use support_stripe::StripeError;
use support_types::api::{StripeConnectStart as ConnectStart, StripeStatus};

use crate::auth::{ApiUser, DashboardUser, random_token, token_hash};
use crate::error::{ApiError, ApiResult};
use crate::http::app_by_slug;
use crate::http::html::{esc, page};
use crate::state::AppState;

/// How long an authorize URL can be completed.
pub const STATE_TTL_MS: i64 = 10 * 60 * 1000;

/// Where Stripe sends the admin back.
pub const CALLBACK_PATH: &str = "/stripe/oauth/callback";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/apps/{slug}/stripe", get(status))
        .route("/api/v1/apps/{slug}/stripe/connect", post(connect_api))
        .route(
            "/api/v1/apps/{slug}/stripe/disconnect",
            post(disconnect_api),
        )
        .route(
            "/dashboard/apps/{slug}/stripe/connect",
            post(connect_dashboard),
        )
        .route(CALLBACK_PATH, get(callback))
        .layer(axum::middleware::from_fn(
            crate::http::html::security_headers,
        ))
}

fn require_admin(user: &User) -> ApiResult<()> {
    if user.role == "admin" {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "connecting Stripe needs the admin role".into(),
        ))
    }
}

fn audit(actor: &User, action: &str, app: &str, data: serde_json::Value) -> NewAuditEntry {
    NewAuditEntry {
        actor: format!("user:{}", actor.email),
        action: action.into(),
        subject: format!("app:{app}"),
        trace_id: None,
        data,
    }
}

/// Appends an audit entry about `app` on its own, outside any other write.
async fn append(
    state: &AppState,
    actor: &User,
    action: &str,
    app: &str,
    data: serde_json::Value,
) -> ApiResult<()> {
    state
        .store
        .append_audit(&audit(actor, action, app, data))
        .await?;
    Ok(())
}

async fn start(state: &AppState, user: &User, slug: &str) -> ApiResult<ConnectStart> {
    require_admin(user)?;
    let app = app_by_slug(state, slug).await?;
    if state.config.stripe.client_id.is_empty() || state.config.stripe.secret_key.is_empty() {
        return Err(ApiError::BadRequest(
            "Stripe Connect is not configured: set stripe.secret_key and stripe.client_id".into(),
        ));
    }
    let st = random_token("st");
    let expires_at = state.clock.now_ms() + STATE_TTL_MS;
    state
        .store
        .create_oauth_state(
            &token_hash(&st),
            &app.id,
            &user.id,
            expires_at,
            &audit(
                user,
                "stripe.connect.started",
                &app.slug,
                json!({"expires_at": expires_at}),
            ),
        )
        .await?;
    let redirect = format!(
        "{}{CALLBACK_PATH}",
        state.config.public_url().trim_end_matches('/')
    );
    Ok(ConnectStart {
        app: app.slug,
        url: state.stripe_connect.authorize_url(&st, &redirect),
        expires_at,
    })
}

async fn status(
    State(state): State<AppState>,
    ApiUser(_user): ApiUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<StripeStatus>> {
    let app = app_by_slug(&state, &slug).await?;
    Ok(Json(StripeStatus {
        app: app.slug,
        connected: app.stripe_connected,
        account: app.stripe_account_id,
    }))
}

async fn connect_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<ConnectStart>> {
    Ok(Json(start(&state, &user, &slug).await?))
}

async fn connect_dashboard(
    State(state): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(slug): Path<String>,
    parts: Parts,
) -> ApiResult<Response> {
    if !crate::http::dashboard::same_origin(&parts) {
        return Err(ApiError::Forbidden("cross-origin form post refused".into()));
    }
    let started = start(&state, &user, &slug).await?;
    Ok(Redirect::to(&started.url).into_response())
}

/// Revokes the platform's access at Stripe, then disconnects locally. If Stripe says the
/// account is not connected any more, the local state follows it.
async fn disconnect_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<StripeStatus>> {
    require_admin(&user)?;
    let app = app_by_slug(&state, &slug).await?;
    let Some(account) = app
        .stripe_account_id
        .clone()
        .filter(|_| app.stripe_connected)
    else {
        return Err(ApiError::Conflict(format!(
            "app {slug} is not connected to Stripe"
        )));
    };
    let at_stripe = match state.stripe_connect.deauthorize(&account).await {
        Ok(()) => "deauthorized",
        Err(StripeError::OAuth { error, .. }) if error == "invalid_client" => "already_revoked",
        Err(e) => {
            return Err(ApiError::BadRequest(format!(
                "Stripe refused to deauthorize {account}: {e}"
            )));
        }
    };
    state
        .store
        .disconnect_stripe_account(
            &app.id,
            &audit(
                &user,
                "stripe.disconnected",
                &app.slug,
                json!({"account": account, "stripe": at_stripe}),
            ),
        )
        .await?;
    Ok(Json(StripeStatus {
        app: app.slug,
        connected: false,
        account: Some(account),
    }))
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

fn outcome_page(status: StatusCode, user: &User, title: &str, text: &str) -> Response {
    (
        status,
        page(
            title,
            Some(&user.email),
            &format!("<h1>{}</h1><p>{}</p>", esc(title), esc(text)),
        ),
    )
        .into_response()
}

fn security(user: &User, reason: &str) -> NewAuditEntry {
    NewAuditEntry {
        actor: format!("user:{}", user.email),
        action: "stripe.connect.state_mismatch".into(),
        subject: "stripe:oauth".into(),
        trace_id: None,
        data: json!({"reason": reason}),
    }
}

/// Stripe's redirect back. Every refusal names what to do next; none stores anything but
/// its audit entry.
async fn callback(
    State(state): State<AppState>,
    DashboardUser(user): DashboardUser,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, ApiError> {
    const MISMATCH: &str = "This Stripe connection link is not valid any more (unknown, used, \
                            expired or started by someone else). Nothing was connected. Start \
                            again with `skill stripe connect <app>`.";
    let Some(raw_state) = q.state.as_deref().filter(|s| !s.is_empty()) else {
        tracing::warn!(target: "security", "stripe oauth callback without state");
        state
            .store
            .append_audit(&security(&user, "missing_state"))
            .await?;
        return Ok(outcome_page(
            StatusCode::BAD_REQUEST,
            &user,
            "Stripe connection refused",
            MISMATCH,
        ));
    };
    let check = state
        .store
        .consume_oauth_state(&token_hash(raw_state), state.clock.now_ms())
        .await?;
    let app_id = match check {
        StateCheck::Valid { app_id, user_id } if user_id == user.id => app_id,
        other => {
            let reason = match other {
                StateCheck::Valid { .. } => "other_user",
                o => o.reason(),
            };
            tracing::warn!(target: "security", reason, "stripe oauth state refused");
            state.store.append_audit(&security(&user, reason)).await?;
            return Ok(outcome_page(
                StatusCode::BAD_REQUEST,
                &user,
                "Stripe connection refused",
                MISMATCH,
            ));
        }
    };
    let app = state
        .store
        .app_by_id(&app_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("app not found".into()))?;
    if let Some(error) = q.error.as_deref() {
        let description = q.error_description.clone().unwrap_or_default();
        append(
            &state,
            &user,
            "stripe.connect.denied",
            &app.slug,
            json!({"error": error, "description": description}),
        )
        .await?;
        let text = if error == "access_denied" {
            format!(
                "Stripe access was denied, so {} stays disconnected from Stripe.",
                app.slug
            )
        } else {
            format!(
                "Stripe did not connect {} ({error}: {description}).",
                app.slug
            )
        };
        return Ok(outcome_page(
            StatusCode::OK,
            &user,
            "Stripe not connected",
            &text,
        ));
    }
    let Some(code) = q.code.as_deref().filter(|c| !c.is_empty()) else {
        return Ok(outcome_page(
            StatusCode::BAD_REQUEST,
            &user,
            "Stripe connection refused",
            "Stripe sent neither a code nor an error. Start again with `skill stripe connect <app>`.",
        ));
    };
    let account = match state.stripe_connect.exchange_code(code).await {
        Ok(a) => a,
        Err(e) => {
            let (status, text) = match &e {
                StripeError::OAuth { error, .. } if error == "invalid_grant" => (
                    StatusCode::BAD_REQUEST,
                    "The authorization code expired or was already used. Nothing was \
                     connected. Start again with `skill stripe connect <app>`."
                        .to_owned(),
                ),
                _ => (
                    StatusCode::BAD_GATEWAY,
                    format!("Stripe could not complete the connection: {e}"),
                ),
            };
            append(
                &state,
                &user,
                "stripe.connect.failed",
                &app.slug,
                json!({"error": e.to_string()}),
            )
            .await?;
            return Ok(outcome_page(status, &user, "Stripe not connected", &text));
        }
    };
    let plaintext = serde_json::to_string(&account)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("serialize tokens: {e}")))?;
    let version = state
        .store
        .latest_secret_version(&app.id, CONNECT_SECRET_PURPOSE)
        .await?
        + 1;
    let sealed = state
        .secrets
        .seal_purpose(&app.id, CONNECT_SECRET_PURPOSE, version, &plaintext)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("seal stripe tokens: {e}")))?;
    let acct = account.stripe_user_id.clone();
    match state
        .store
        .connect_stripe_account(
            &app.id,
            &acct,
            &sealed,
            &audit(
                &user,
                "stripe.connected",
                &app.slug,
                json!({"account": acct, "livemode": account.livemode, "scope": account.scope}),
            ),
        )
        .await
    {
        Ok(()) => Ok(outcome_page(
            StatusCode::OK,
            &user,
            "Stripe connected",
            &format!("{} now refunds on Stripe account {acct}.", app.slug),
        )),
        Err(StoreError::Conflict(msg)) => {
            append(
                &state,
                &user,
                "stripe.connect.failed",
                &app.slug,
                json!({"account": acct, "error": msg}),
            )
            .await?;
            Ok(outcome_page(
                StatusCode::CONFLICT,
                &user,
                "Stripe not connected",
                &msg,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// The dashboard's connect button for an app row.
pub fn connect_button(app: &App) -> Html<String> {
    let label = if app.stripe_connected {
        "Reconnect Stripe"
    } else {
        "Connect Stripe"
    };
    Html(format!(
        "<form class=\"inline\" method=\"post\" action=\"/dashboard/apps/{}/stripe/connect\"><button>{label}</button></form>",
        esc(&app.slug)
    ))
}
