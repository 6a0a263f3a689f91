//! `GET /api/v1/apps/{slug}/export/conversations` (JSON Lines, PII redacted unless an admin
//! asks) and `POST /api/v1/apps/{slug}/refund-outcomes`.

use super::*;
use support_core::redact::Redactor;

#[derive(Deserialize)]
pub(super) struct ExportQuery {
    since: Option<i64>,
    after: Option<String>,
    limit: Option<i64>,
    #[serde(default)]
    include_pii: bool,
}

fn require_admin(user: &User, what: &str) -> ApiResult<()> {
    if user.role == "admin" {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!("{what} needs the admin role")))
    }
}

fn cursor(raw: &str) -> ApiResult<(i64, String)> {
    raw.split_once(':')
        .and_then(|(t, id)| Some((t.parse().ok()?, id.to_owned())))
        .ok_or_else(|| bad(format!("invalid cursor {raw:?}")))
}

/// `GET /api/v1/apps/{slug}/export/conversations?since=MS[&after=CURSOR][&include_pii=true]`:
/// conversations updated since, oldest update first, with their messages, decisions and
/// actions. Emails, phone and card numbers and the customer's names (what their addresses
/// start with) are redacted unless an admin asks for PII (which is audited).
pub(super) async fn export(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Json<ExportPage>> {
    if q.include_pii {
        require_admin(&user, "exporting with --include-pii")?;
    }
    let app = super::super::app_by_slug(&state, &slug).await?;
    let since = q.since.unwrap_or(0);
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let after = q.after.as_deref().map(cursor).transpose()?;
    let page = state
        .store
        .app_conversations_since(
            &app.id,
            since,
            after.as_ref().map(|(t, id)| (*t, id.as_str())),
            limit,
        )
        .await?;
    if q.include_pii && after.is_none() {
        state
            .store
            .append_audit(&NewAuditEntry {
                actor: format!("user:{}", user.email),
                action: "export.pii".into(),
                subject: format!("app:{}", app.slug),
                trace_id: None,
                data: json!({"since": since}),
            })
            .await?;
    }
    let pii = q.include_pii;
    let mut conversations = Vec::with_capacity(page.len());
    for c in &page {
        let messages = state
            .store
            .conversation(&c.id)
            .await?
            .map(|(_, m)| m)
            .unwrap_or_default();
        // Whoever wrote in is named by their address; the team's own addresses are not PII.
        let redactor = Redactor::new(
            c.customer_email.iter().chain(
                messages
                    .iter()
                    .filter(|m| m.direction == "inbound")
                    .filter_map(|m| m.author.as_ref()),
            ),
        );
        let clean = |s: &str| {
            if pii {
                s.to_owned()
            } else {
                redactor.redact(s)
            }
        };
        let decisions: Vec<ExportDecision> = state
            .store
            .decisions_for(&c.id)
            .await?
            .into_iter()
            .map(|d| ExportDecision {
                id: d.id,
                category: d.category,
                routing: d.routing,
                confidence: d.confidence,
                created_at: d.created_at,
            })
            .collect();
        let actions = state.store.actions_for_conversation(&c.id).await?;
        conversations.push(ExportConversation {
            id: c.id.clone(),
            app: app.slug.clone(),
            front_conversation_id: c.front_conversation_id.clone(),
            subject: clean(&c.subject),
            status: c.status.clone(),
            customer: c
                .customer_email
                .as_deref()
                .map(|e| if pii { e.to_owned() } else { "[EMAIL]".into() }),
            created_at: c.created_at,
            updated_at: c.updated_at,
            redacted: !pii,
            messages: messages
                .into_iter()
                .map(|m| ExportMessage {
                    id: m.id,
                    direction: m.direction,
                    author: m.author.as_deref().map(clean),
                    body: m.body.as_deref().map(clean),
                    created_at: m.created_at,
                })
                .collect(),
            decision: decisions.last().cloned(),
            decisions,
            actions: actions
                .iter()
                .map(|a| ExportAction {
                    id: a.id.clone(),
                    kind: a.kind.clone(),
                    state: a.state.clone(),
                    amount: action_amount(a),
                    created_at: a.created_at,
                    updated_at: a.updated_at,
                })
                .collect(),
        });
    }
    let next = (page.len() as i64 == limit)
        .then(|| page.last().map(|c| format!("{}:{}", c.updated_at, c.id)))
        .flatten();
    Ok(Json(ExportPage {
        conversations,
        next,
    }))
}

/// `POST /api/v1/apps/{slug}/refund-outcomes`.
pub(super) async fn refund_outcomes(
    State(state): State<AppState>,
    _u: ApiUser,
    Path(slug): Path<String>,
    ApiJson(req): ApiJson<RefundOutcomesRequest>,
) -> ApiResult<Json<RefundOutcomes>> {
    let app = super::super::app_by_slug(&state, &slug).await?;
    if req.conversations.len() > 500 {
        return Err(bad("at most 500 conversations per request"));
    }
    let mut out = BTreeMap::new();
    for id in &req.conversations {
        let Some((c, _)) = state.store.conversation(id).await? else {
            continue;
        };
        if c.app_slug.as_deref() != Some(app.slug.as_str()) {
            continue;
        }
        let mut outcomes = Vec::new();
        for a in state.store.actions_for_conversation(&c.id).await? {
            if a.kind != "refund" {
                continue;
            }
            let params = parse_json(&a.params);
            let charge = params["charge"].as_str().map(str::to_owned);
            let stripe = match &charge {
                Some(ch) => state
                    .store
                    .stripe_refunds_for_charge(ch)
                    .await?
                    .into_iter()
                    .filter(|r| r.app_id == app.id)
                    .map(|r| StripeRefundView {
                        this_action: r.action_id.as_deref() == Some(a.id.as_str()),
                        refund_id: r.refund_id,
                        amount: r.amount,
                        currency: r.currency,
                        status: r.status,
                        origin: r.origin,
                    })
                    .collect(),
                None => Vec::new(),
            };
            outcomes.push(RefundOutcome {
                action_id: a.id.clone(),
                state: a.state.clone(),
                amount: params["amount"].as_i64(),
                charge,
                stripe,
            });
        }
        out.insert(id.clone(), outcomes);
    }
    Ok(Json(RefundOutcomes { conversations: out }))
}
