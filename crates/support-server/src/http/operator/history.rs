//! `GET /api/v1/apps/{slug}/customers/{email}/history`: a customer's conversations, decisions
//! and actions, and the operator's actions about them outside any conversation.

use super::*;

#[derive(Deserialize)]
pub(super) struct HistoryQuery {
    limit: Option<i64>,
}

/// `GET /api/v1/apps/{slug}/customers/{email}/history`.
pub(super) async fn history(
    State(state): State<AppState>,
    _u: ApiUser,
    Path((slug, email)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> ApiResult<Json<CustomerHistory>> {
    let email = Email::parse(&email).map_err(|e| bad(e.to_string()))?;
    let app = super::super::app_by_slug(&state, &slug).await?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let convs = state
        .store
        .customer_conversations(&app.id, email.as_str(), limit)
        .await?;
    let mut conversations = Vec::with_capacity(convs.len());
    let mut seen: HashSet<String> = HashSet::new();
    for c in convs {
        let mut decisions = state.store.decisions_for(&c.id).await?;
        decisions.reverse();
        let mut actions = state.store.actions_for_conversation(&c.id).await?;
        actions.reverse();
        seen.extend(actions.iter().map(|a| a.id.clone()));
        conversations.push(HistoryConversation {
            id: c.id,
            front_conversation_id: c.front_conversation_id,
            subject: c.subject,
            status: c.status,
            message_count: c.message_count,
            last_message_at: c.last_message_at,
            updated_at: c.updated_at,
            decisions: decisions
                .into_iter()
                .map(|d| HistoryDecision {
                    id: d.id,
                    category: d.category,
                    routing: d.routing,
                    confidence: d.confidence,
                    created_at: d.created_at,
                })
                .collect(),
            actions: actions.iter().map(history_action).collect(),
        });
    }
    // Actions about this customer outside a conversation (an operator's refunds, links,
    // transfers): found by the email, and by their purchases and charges when the app
    // answers.
    let mut fragments = vec![email.to_string()];
    if let Ok(api) = operator::sdk(state.apps.as_ref(), &app).await
        && let Ok(Some(user)) = api.lookup_user(&email).await
        && let Ok(purchases) = api.get_purchases(&user.id).await
    {
        for p in purchases {
            fragments.extend(p.stripe_charge_id);
            fragments.push(p.id);
        }
    }
    let mut other: Vec<ActionRow> = Vec::new();
    for kind in ["refund", "transfer_purchase", "magic_link"] {
        for f in &fragments {
            for a in state
                .store
                .actions_with_params_fragment(&app.id, kind, f)
                .await?
            {
                let params = parse_json(&a.params);
                let names = |key: &str| params[key].as_str() == Some(f.as_str());
                let about = match kind {
                    "refund" => names("charge") || names("purchase_id"),
                    "transfer_purchase" => names("purchaseId") || names("toEmail"),
                    _ => names("email"),
                };
                if about && a.conversation_id.is_none() && seen.insert(a.id.clone()) {
                    other.push(a);
                }
            }
        }
    }
    other.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    Ok(Json(CustomerHistory {
        app: app.slug,
        email: email.to_string(),
        conversations,
        other_actions: other.iter().map(history_action).collect(),
    }))
}
