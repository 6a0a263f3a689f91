//! The operators' dashboard: login, conversations with their messages, apps, audit trail.
//! Server-rendered; later issues add approvals, drafts and trust.

use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::html::{esc, page, when};
use crate::auth::{
    DashboardUser, SESSION_COOKIE, random_token, session_cookie, token_hash, verify_password,
};
use crate::error::ApiError;
use crate::state::AppState;

const SESSION_TTL_MS: i64 = 12 * 60 * 60 * 1000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/dashboard", get(conversations))
        .route("/dashboard/conversations/{id}", get(conversation))
        .route("/dashboard/apps", get(apps))
        .route("/dashboard/audit", get(audit))
        .route("/dashboard/events", get(events))
        .route("/dashboard/actions", get(actions))
        .route("/dashboard/actions/{id}/approve", post(approve_action))
        .route("/dashboard/actions/{id}/reject", post(reject_action))
        .layer(axum::middleware::from_fn(
            crate::http::html::security_headers,
        ))
}

fn login_page(error: Option<&str>) -> Html<String> {
    let err = error
        .map(|e| format!("<p class=\"bad\">{}</p>", esc(e)))
        .unwrap_or_default();
    page(
        "Log in",
        None,
        &format!(
            "<h1>Log in</h1>{err}<form method=\"post\" action=\"/login\">\
             <p><label>Email <input name=\"email\" type=\"email\" required autocomplete=\"username\"></label></p>\
             <p><label>Password <input name=\"password\" type=\"password\" required autocomplete=\"current-password\"></label></p>\
             <p><button>Log in</button></p></form>\
             <p class=\"muted\">The first start of <code>skill serve</code> wrote the admin login to <code>data/admin-credentials.txt</code>.</p>"
        ),
    )
}

async fn login_form() -> Html<String> {
    login_page(None)
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    let user = state.store.user_by_email(form.email.trim()).await?;
    let Some(user) = user.filter(|u| verify_password(&form.password, &u.password_hash)) else {
        tracing::warn!(target: "security", "dashboard login failed");
        return Ok((
            axum::http::StatusCode::UNAUTHORIZED,
            login_page(Some("Wrong email or password.")),
        )
            .into_response());
    };
    let token = random_token("sess");
    state
        .store
        .create_session(
            &token_hash(&token),
            &user.id,
            support_store::now_ms() + SESSION_TTL_MS,
        )
        .await?;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        SESSION_TTL_MS / 1000
    );
    Ok(([(SET_COOKIE, cookie)], Redirect::to("/dashboard")).into_response())
}

async fn logout(State(state): State<AppState>, parts: Parts) -> Result<Response, ApiError> {
    if let Some(token) = session_cookie(&parts) {
        state.store.delete_session(&token_hash(&token)).await?;
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok(([(SET_COOKIE, clear)], Redirect::to("/login")).into_response())
}

async fn conversations(
    State(state): State<AppState>,
    DashboardUser(user): DashboardUser,
) -> Result<Html<String>, ApiError> {
    let counts = state.store.counts().await?;
    let list = state.store.list_conversations(100).await?;
    let mut rows = String::new();
    for c in &list {
        rows.push_str(&format!(
            "<tr><td><a href=\"/dashboard/conversations/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.id),
            esc(if c.subject.is_empty() { "(no subject)" } else { &c.subject }),
            esc(c.app_slug.as_deref().unwrap_or("—")),
            esc(c.customer_email.as_deref().unwrap_or("—")),
            esc(&c.status),
            c.message_count,
            esc(&when(c.updated_at)),
        ));
    }
    if list.is_empty() {
        rows.push_str("<tr><td colspan=\"6\" class=\"muted\">No conversations yet. In the sandbox, messages arrive every few seconds.</td></tr>");
    }
    let body = format!(
        "<h1>Conversations</h1><p class=\"muted\">{} apps · {} conversations · {} events received · {} queued · {} audit entries</p>\
         <table><thead><tr><th>Subject</th><th>App</th><th>Customer</th><th>Status</th><th>Messages</th><th>Updated</th></tr></thead><tbody>{rows}</tbody></table>",
        counts.apps,
        counts.conversations,
        counts.inbound_events,
        counts.outbox_pending,
        counts.audit_entries
    );
    Ok(page("Conversations", Some(&user.email), &body))
}

async fn conversation(
    State(state): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some((conv, msgs)) = state.store.conversation(&id).await? else {
        return Ok((
            axum::http::StatusCode::NOT_FOUND,
            page(
                "Not found",
                Some(&user.email),
                "<h1>Conversation not found</h1>",
            ),
        )
            .into_response());
    };
    let mut body = format!(
        "<h1>{}</h1><p class=\"muted\">{} · Front {} · {} · {}</p>",
        esc(&conv.subject),
        esc(conv.app_slug.as_deref().unwrap_or("no app")),
        esc(&conv.front_conversation_id),
        esc(conv.customer_email.as_deref().unwrap_or("unknown customer")),
        esc(&conv.status)
    );
    for m in &msgs {
        body.push_str(&format!(
            "<div class=\"msg\"><div class=\"muted\">{} · {} · {}</div>{}</div>",
            esc(&m.direction),
            esc(m.author.as_deref().unwrap_or("—")),
            esc(&when(m.created_at)),
            esc(m.body.as_deref().unwrap_or("(body purged)"))
        ));
    }
    let actions = state.store.actions_for_conversation(&conv.id).await?;
    if !actions.is_empty() {
        body.push_str("<h2>Actions</h2><table><thead><tr><th>Proposed</th><th>Kind</th><th>State</th><th>Parameters</th><th>Error</th></tr></thead><tbody>");
        for a in &actions {
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                esc(&when(a.created_at)),
                esc(&a.kind),
                esc(&a.state),
                esc(&a.params),
                esc(a.error.as_deref().unwrap_or(""))
            ));
        }
        body.push_str("</tbody></table><p><a href=\"/dashboard/actions\">Approve or reject pending actions</a></p>");
    }
    let decisions = state.store.decisions_for(&conv.id).await?;
    if !decisions.is_empty() {
        body.push_str("<h2>Decisions</h2><table><thead><tr><th>At</th><th>Category</th><th>Routing</th><th>Confidence</th><th>Brain</th><th>Trace</th></tr></thead><tbody>");
        for d in &decisions {
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{}</td><td><code>{}</code></td></tr>",
                esc(&when(d.created_at)),
                esc(&d.category),
                esc(&d.routing),
                d.confidence,
                esc(&d.brain),
                esc(&d.trace_id)
            ));
        }
        body.push_str("</tbody></table>");
    }
    Ok(page(&conv.subject, Some(&user.email), &body).into_response())
}

/// Refuses a state-changing form post from another origin. The session cookie is
/// `SameSite=Lax` already; this is the second line (OWASP: verify Origin when present).
pub(crate) fn same_origin(parts: &Parts) -> bool {
    let host = parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok());
    match parts
        .headers
        .get(axum::http::header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    {
        None => true,
        Some(origin) => host.is_some_and(|h| {
            origin
                .split_once("://")
                .is_some_and(|(_, rest)| rest.trim_end_matches('/') == h)
        }),
    }
}

async fn actions(
    State(state): State<AppState>,
    DashboardUser(user): DashboardUser,
) -> Result<Html<String>, ApiError> {
    let mut rows = String::new();
    for a in state.store.list_actions(None, 200).await? {
        let approval = state.store.approval_for(&a.id).await?;
        let decide = match &approval {
            Some(ap) if ap.status == "pending" => format!(
                "<form class=\"inline\" method=\"post\" action=\"/dashboard/actions/{id}/approve\"><button>Approve</button></form> \
                 <form class=\"inline\" method=\"post\" action=\"/dashboard/actions/{id}/reject\"><input name=\"reason\" placeholder=\"reason\" required> <button>Reject</button></form>",
                id = esc(&a.id)
            ),
            Some(ap) => format!(
                "{} by {}",
                esc(&ap.status),
                esc(ap.decided_by.as_deref().unwrap_or("—"))
            ),
            None => "auto".into(),
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&when(a.created_at)),
            esc(&a.kind),
            esc(&a.params),
            esc(&a.state),
            esc(approval.as_ref().map(|ap| ap.reason.as_str()).unwrap_or("")),
            decide,
            esc(a.error.as_deref().unwrap_or(""))
        ));
    }
    let body = format!(
        "<h1>Actions</h1><p class=\"muted\">Every proposed action, its approval, and its outcome. Approving runs it exactly once.</p>\
         <table><thead><tr><th>Proposed</th><th>Kind</th><th>Parameters</th><th>State</th><th>Why approval</th><th>Decision</th><th>Error</th></tr></thead><tbody>{rows}</tbody></table>"
    );
    Ok(page("Actions", Some(&user.email), &body))
}

#[derive(Deserialize)]
struct RejectForm {
    reason: String,
}

async fn decide(
    state: &AppState,
    parts: &Parts,
    user: &support_store::User,
    id: &str,
    reject: Option<String>,
) -> Result<Response, ApiError> {
    if !same_origin(parts) {
        return Err(ApiError::Forbidden("cross-origin form post refused".into()));
    }
    let by = format!("user:{}", user.email);
    let at = state.clock.now_ms();
    let decision = match reject {
        Some(reason) => support_agent::actions::HumanDecision::Reject {
            by,
            surface: "dashboard".into(),
            at,
            reason,
        },
        None => support_agent::actions::HumanDecision::Approve {
            by,
            surface: "dashboard".into(),
            at,
        },
    };
    state.actions.decide(id, decision).await?;
    Ok(Redirect::to("/dashboard/actions").into_response())
}

async fn approve_action(
    State(state): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
    parts: Parts,
) -> Result<Response, ApiError> {
    decide(&state, &parts, &user, &id, None).await
}

async fn reject_action(
    State(state): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
    parts: Parts,
    Form(form): Form<RejectForm>,
) -> Result<Response, ApiError> {
    if form.reason.trim().is_empty() {
        return Err(ApiError::BadRequest("a rejection needs a reason".into()));
    }
    decide(&state, &parts, &user, &id, Some(form.reason)).await
}

async fn apps(
    State(state): State<AppState>,
    DashboardUser(user): DashboardUser,
) -> Result<Html<String>, ApiError> {
    let mut rows = String::new();
    for a in state.store.list_apps().await? {
        let stripe = match (&a.stripe_account_id, a.stripe_connected) {
            (Some(acct), true) => format!("<span class=\"ok\">{}</span>", esc(acct)),
            (Some(acct), false) => {
                format!("<span class=\"bad\">{} (disconnected)</span>", esc(acct))
            }
            (None, _) => "<span class=\"muted\">not connected</span>".to_owned(),
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{stripe} {}</td></tr>",
            esc(&a.slug),
            esc(&a.name),
            esc(&a.front_inbox_ids.join(", ")),
            esc(a.integration_url.as_deref().unwrap_or("—")),
            crate::http::stripe_connect::connect_button(&a).0
        ));
    }
    let body = format!(
        "<h1>Apps</h1><table><thead><tr><th>Slug</th><th>Name</th><th>Front inboxes</th><th>Integration</th><th>Stripe</th></tr></thead><tbody>{rows}</tbody></table>"
    );
    Ok(page("Apps", Some(&user.email), &body))
}

async fn audit(
    State(state): State<AppState>,
    DashboardUser(user): DashboardUser,
) -> Result<Html<String>, ApiError> {
    let (count, bad) = state.store.verify_audit().await?;
    let verdict = match bad {
        None => format!("<p class=\"ok\">Hash chain intact over {count} entries.</p>"),
        Some(seq) => format!("<p class=\"bad\">Hash chain broken at entry {seq}.</p>"),
    };
    let mut rows = String::new();
    for e in state.store.list_audit(200).await? {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            e.seq,
            esc(&when(e.at)),
            esc(&e.actor),
            esc(&e.action),
            esc(&e.subject),
            esc(&e.hash[..12.min(e.hash.len())])
        ));
    }
    let body = format!(
        "<h1>Audit trail</h1>{verdict}<table><thead><tr><th>#</th><th>At</th><th>Actor</th><th>Action</th><th>Subject</th><th>Hash</th></tr></thead><tbody>{rows}</tbody></table>"
    );
    Ok(page("Audit", Some(&user.email), &body))
}

async fn events(
    State(state): State<AppState>,
    DashboardUser(user): DashboardUser,
) -> Result<Html<String>, ApiError> {
    let mut rows = String::new();
    for e in state.store.list_inbound(200).await? {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            esc(&when(e.received_at)),
            esc(&e.source),
            esc(&e.event_type),
            esc(&e.dedupe_key),
            esc(&e.trust),
            esc(&e.state)
        ));
    }
    let body = format!(
        "<h1>Inbound events</h1><p class=\"muted\">Every verified, deduplicated delivery from Front, Stripe, Slack and product apps.</p>\
         <table><thead><tr><th>Received</th><th>Source</th><th>Type</th><th>Delivery id</th><th>Trust</th><th>State</th></tr></thead><tbody>{rows}</tbody></table>"
    );
    Ok(page("Events", Some(&user.email), &body))
}
