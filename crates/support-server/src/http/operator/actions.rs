//! `POST /api/v1/apps/{slug}/operator-actions`: an operator's refund, transfer, magic link or
//! cancellation, decided by `support_agent::decide::operator` and the app's policy, proposed
//! in the ledger with the operator as requester.

use super::*;

fn action_ref(a: &ActionRow) -> OperatorActionRef {
    OperatorActionRef {
        id: a.id.clone(),
        state: a.state.clone(),
        idempotency_key: a.idempotency_key.clone(),
        trace_id: a.trace_id.clone(),
    }
}

/// The answer for an action that already exists under the request's reference.
fn existing_response(
    app: &App,
    req: &OperatorActionRequest,
    a: &ActionRow,
) -> OperatorActionResponse {
    OperatorActionResponse {
        app: app.slug.clone(),
        kind: a.kind.clone(),
        dry_run: req.dry_run,
        verdict: "existing".into(),
        rule: None,
        reason: Some(format!(
            "already proposed under this reference as action {}",
            a.id
        )),
        approvers: Vec::new(),
        approved_by_requester: false,
        existing: true,
        action: Some(action_ref(a)),
        facts: OperatorFacts::default(),
        params: parse_json(&a.params),
    }
}

/// `POST /api/v1/apps/{slug}/operator-actions`.
pub(super) async fn operator_action(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(slug): Path<String>,
    ApiJson(req): ApiJson<OperatorActionRequest>,
) -> ApiResult<Json<OperatorActionResponse>> {
    let app = super::super::app_by_slug(&state, &slug).await?;
    if let Some(r) = &req.client_ref {
        if !valid_client_ref(r) {
            return Err(bad("client_ref must be 1-128 of [A-Za-z0-9:_-]"));
        }
        if let Some(a) = state.store.action_by_client_ref(r).await? {
            if a.app_id.as_deref() != Some(app.id.as_str()) {
                return Err(ApiError::Conflict(format!(
                    "reference {r} belongs to an action of another app"
                )));
            }
            let started = state
                .engine
                .run_by_key(support_agent::actions::ACTION_WORKFLOW, &a.id)
                .await
                .map_err(|e| ApiError::from(ActionError::from(e)))?
                .is_some();
            if started || req.dry_run {
                return Ok(Json(existing_response(&app, &req, &a)));
            }
            // Written but never started (an interrupted earlier call): decide again below;
            // the ledger then starts the existing action instead of writing a new one.
        }
    }
    // Fail closed: a stored policy that cannot be read judges nothing, not even a dry run.
    let policy_cfg = app_policy(app.policy.as_deref()).map_err(|e| {
        refuse(
            "policy_invalid",
            format!(
                "the stored policy of {} cannot be read, so nothing is decided: {e}; fix it with `skill apps policy`",
                app.slug
            ),
        )
    })?;
    let case = operator::gather(
        state.apps.as_ref(),
        state.stripe.as_ref(),
        &app,
        &req,
        state.clock.now_secs(),
    )
    .await?;
    let (verdict, rule) = operator::decide(&case, &policy_cfg);
    let kind = case.request.kind().as_str();
    let params = case.request.params();
    let requester = format!("user:{}", user.email);
    let (reason, approvers) = match &verdict {
        Verdict::Auto => (None, Vec::new()),
        Verdict::Approval { approvers, reason } => (Some(reason.clone()), approvers.clone()),
        Verdict::Escalate { reason } | Verdict::Deny { reason } => {
            (Some(reason.clone()), Vec::new())
        }
    };
    let self_approves = approvers.iter().any(|a| a == &requester);
    let mut answer = OperatorActionResponse {
        app: app.slug.clone(),
        kind: kind.to_owned(),
        dry_run: req.dry_run,
        verdict: Verdict::as_str(&verdict).into(),
        rule: Some(rule.clone()),
        reason: reason.clone(),
        approvers,
        approved_by_requester: false,
        existing: false,
        action: None,
        facts: case.facts.clone(),
        params: params.clone(),
    };
    if req.dry_run {
        answer.approved_by_requester = self_approves;
        return Ok(Json(answer));
    }
    if let Verdict::Escalate { reason } | Verdict::Deny { reason } = &verdict {
        let code = if matches!(verdict, Verdict::Deny { .. }) {
            "policy_deny"
        } else {
            "policy_escalate"
        };
        return Err(refuse(
            code,
            format!(
                "the policy of {} refuses this {} ({}: {reason}, rule {rule}); nothing was done",
                app.slug,
                kind,
                Verdict::as_str(&verdict)
            ),
        ));
    }
    let decided = self_approves.then(|| HumanDecision::Approve {
        by: requester.clone(),
        surface: CLI_SURFACE.into(),
        at: state.clock.now_ms(),
    });
    let note = json!({
        "surface": CLI_SURFACE,
        "operator_reason": req.reason,
        "rule": rule,
        "facts": case.facts,
        "self_approved": self_approves,
    });
    let (row, existing) = state
        .actions
        .propose_with(
            Proposal {
                app_id: Some(app.id.clone()),
                conversation_id: None,
                kind: kind.to_owned(),
                params,
                verdict,
                requested_by: requester,
                trace_id: support_store::new_id(),
            },
            ProposeOptions {
                client_ref: req.client_ref.clone(),
                decided,
                note: Some(note),
            },
        )
        .await
        .map_err(|e| match e {
            ActionError::NotAllowed(m) => refuse("policy_refused", m),
            other => other.into(),
        })?;
    answer.approved_by_requester = self_approves && !existing;
    answer.existing = existing;
    answer.action = Some(action_ref(&row));
    if existing {
        answer.verdict = "existing".into();
    }
    Ok(Json(answer))
}
