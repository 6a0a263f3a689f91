//! `GET /api/v1/apps/{slug}/logs` and `/metrics`: what happened in an app, for operators.

use super::*;

#[derive(Deserialize)]
pub(super) struct SinceQuery {
    since: Option<i64>,
    until: Option<i64>,
    limit: Option<i64>,
}

fn audit_summary(action: &str, subject: &str, data: &Value) -> String {
    match action {
        "decision.recorded" => format!(
            "{subject}: {} → {}",
            data["category"].as_str().unwrap_or("?"),
            data["routing"].as_str().unwrap_or("?")
        ),
        "action.proposed" => format!(
            "{subject}: {} proposed ({})",
            data["kind"].as_str().unwrap_or("?"),
            data["verdict"]["verdict"].as_str().unwrap_or("?")
        ),
        "action.failed" | "action.uncertain" => format!(
            "{subject}: {}",
            data["error"]
                .as_str()
                .or(data["reason"].as_str())
                .unwrap_or(action)
        ),
        _ => format!("{action} {subject}"),
    }
}

/// `GET /api/v1/apps/{slug}/logs?since=MS&limit=N`: audit entries about the app and the
/// decisions on its conversations, oldest first.
pub(super) async fn logs(
    State(state): State<AppState>,
    _u: ApiUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<SinceQuery>,
) -> ApiResult<Json<AppLogs>> {
    let app = super::super::app_by_slug(&state, &slug).await?;
    let since = q.since.unwrap_or(0);
    let limit = q.limit.unwrap_or(1_000).clamp(1, 10_000);
    let audit = state
        .store
        .app_audit_since(&app.id, &app.slug, since, limit + 1)
        .await?;
    let decisions = state
        .store
        .app_decisions_between(&app.id, since, i64::MAX, limit + 1)
        .await?;
    let truncated = audit.len() as i64 > limit || decisions.len() as i64 > limit;
    let mut entries: Vec<LogEntry> = audit
        .into_iter()
        .take(limit as usize)
        .map(|e| {
            let data = parse_json(&e.data);
            LogEntry {
                at: e.at,
                source: "audit".into(),
                seq: Some(e.seq),
                summary: audit_summary(&e.action, &e.subject, &data),
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                trace_id: e.trace_id,
                data,
            }
        })
        .collect();
    entries.extend(
        decisions
            .into_iter()
            .take(limit as usize)
            .map(|d| LogEntry {
                at: d.created_at,
                source: "decision".into(),
                seq: None,
                actor: format!("brain:{}", d.brain),
                action: "decision".into(),
                subject: format!("conversation:{}", d.conversation_id),
                trace_id: Some(d.trace_id),
                summary: format!(
                    "{} → {} (confidence {:.2})",
                    d.category, d.routing, d.confidence
                ),
                data: json!({
                    "decision_id": d.id,
                    "category": d.category,
                    "routing": d.routing,
                    "confidence": d.confidence,
                    "proposals": parse_json(&d.proposed_actions),
                }),
            }),
    );
    // Stable: an audit entry and the decision it records keep their order.
    entries.sort_by_key(|e| e.at);
    entries.truncate(limit as usize);
    Ok(Json(AppLogs {
        app: app.slug,
        since,
        entries,
        truncated,
    }))
}

/// Upper bound on the rows one metrics call reads per table.
const METRICS_SCAN: i64 = 200_000;

/// `GET /api/v1/apps/{slug}/metrics?since=MS[&until=MS]`.
pub(super) async fn metrics(
    State(state): State<AppState>,
    _u: ApiUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<SinceQuery>,
) -> ApiResult<Json<AppMetrics>> {
    let app = super::super::app_by_slug(&state, &slug).await?;
    let until = q.until.unwrap_or_else(|| state.clock.now_ms() + 1);
    let since = q.since.unwrap_or(until - 24 * 3_600_000);
    if since >= until {
        return Err(bad("since must be before until"));
    }
    let store = &state.store;
    let conversations = store
        .app_conversations_created(&app.id, since, until)
        .await?;
    let decisions = store
        .app_decisions_between(&app.id, since, until, METRICS_SCAN)
        .await?;
    let actions = store
        .app_actions_between(&app.id, since, until, METRICS_SCAN)
        .await?;
    // A decision's actions carry its trace and are proposed after it, possibly after the
    // period ends.
    let later = store
        .app_actions_between(&app.id, since, i64::MAX, METRICS_SCAN)
        .await?;
    let approvals_opened = store.app_approvals_between(&app.id, since, until).await?;
    let with_approval: HashSet<String> = store
        .app_approvals_between(&app.id, since, i64::MAX)
        .await?
        .into_iter()
        .map(|a| a.action_id)
        .collect();
    let mut by_trace: BTreeMap<&str, Vec<&ActionRow>> = BTreeMap::new();
    for a in &later {
        by_trace.entry(a.trace_id.as_str()).or_default().push(a);
    }
    let mut by_route = BTreeMap::new();
    let mut by_category = BTreeMap::new();
    let mut handled = 0;
    for d in &decisions {
        *by_route.entry(d.routing.clone()).or_insert(0) += 1;
        *by_category.entry(d.category.clone()).or_insert(0) += 1;
        let acts = by_trace
            .get(d.trace_id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let untouched = !d.routing.starts_with("escalate")
            && acts.iter().all(|a| {
                a.kind != "escalate_to_human"
                    && a.state == support_store::actions::state::SUCCEEDED
                    && !with_approval.contains(&a.id)
            });
        if untouched {
            handled += 1;
        }
    }
    let mut by_kind: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for a in &actions {
        *by_kind
            .entry(a.kind.clone())
            .or_default()
            .entry(a.state.clone())
            .or_insert(0) += 1;
    }
    let mut approvals = ApprovalCounts::default();
    for a in &approvals_opened {
        match a.status.as_str() {
            "pending" => approvals.pending += 1,
            "approved" => approvals.approved += 1,
            "rejected" => approvals.rejected += 1,
            "expired" => approvals.expired += 1,
            _ => {}
        }
    }
    let n = decisions.len() as i64;
    Ok(Json(AppMetrics {
        app: app.slug,
        since,
        until,
        conversations,
        decisions: n,
        decisions_by_route: by_route,
        decisions_by_category: by_category,
        actions: by_kind,
        handled_without_human: handled,
        handled_without_human_share: if n == 0 {
            0.0
        } else {
            handled as f64 / n as f64
        },
        approvals,
    }))
}
