//! The operator view of durable execution and the action ledger, black-box through
//! `TestApp` on SQLite and Postgres: a run that dies after its retries shows up in
//! `/api/v1/runs`, its detail and the dead letter; an operator retries it (audited) and it
//! completes; the trace ties the run and the retry together; actions show their approval.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use support_engine::{Durable, EmbeddedCtx, RetryPolicy, StartOptions, StepError};
use support_store::NewAuditEntry;
use support_store::actions::NewAction;
use support_testkit::TestApp;
use support_testkit::both;
use support_types::api::{
    ActionDetail, ActionView, DeadLetter, ErrorBody, RetryRunResponse, RunDetail, RunView,
    TraceView,
};

const KIND: &str = "ops-demo";

/// Registers `ops-demo`: one step, `charge`, that fails (retryably) until `healthy` is set,
/// with a budget of two attempts.
fn register_demo(app: &TestApp, healthy: Arc<AtomicBool>) {
    app.state
        .engine
        .register(KIND, move |ctx: EmbeddedCtx, input: serde_json::Value| {
            let healthy = healthy.clone();
            async move {
                let charged: String = ctx
                    .run("charge", RetryPolicy::new(2), || async move {
                        if healthy.load(Ordering::SeqCst) {
                            Ok(format!("charged order {}", input["order"]))
                        } else {
                            Err(StepError::Retryable("upstream answered 503".into()))
                        }
                    })
                    .await?;
                Ok(serde_json::json!({ "charged": charged }))
            }
        });
}

async fn error_of(resp: reqwest::Response) -> (u16, ErrorBody) {
    let status = resp.status().as_u16();
    let body = resp.text().await.expect("body");
    let err = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{status}: {e}: {body}"));
    (status, err)
}

both!(a_dead_run_is_seen_retried_and_completes, pinned_clock);
async fn a_dead_run_is_seen_retried_and_completes(app: &TestApp) {
    let clock = app.clock.clone().expect("pinned clock");
    let healthy = Arc::new(AtomicBool::new(false));
    register_demo(app, healthy.clone());
    let trace = format!("trace-{}", support_store::new_id());
    let (run_id, created) = app
        .state
        .engine
        .start(
            KIND,
            "order-42",
            &serde_json::json!({"order": 42}),
            StartOptions {
                trace_id: Some(trace.clone()),
                ..StartOptions::default()
            },
        )
        .await
        .expect("start");
    assert!(created);

    // First attempt fails and backs off; time moves past the backoff until the budget is out.
    app.drain().await;
    let run: RunDetail = app.get_json(&format!("/api/v1/runs/{run_id}")).await;
    assert_eq!(run.run.status, "retrying", "{run:?}");
    assert!(run.run.next_run_at.is_some_and(|t| t > clock_now(app)));
    let mut passes = 0;
    loop {
        let r = app
            .state
            .engine
            .get(&run_id)
            .await
            .expect("get")
            .expect("run");
        if r.status == "dead" {
            break;
        }
        passes += 1;
        assert!(passes < 10, "the run never died: {r:?}");
        clock.advance_ms(60_000);
        app.drain().await;
    }

    // Listed among the dead runs (and not among the completed ones).
    let dead: Vec<RunView> = app.get_json("/api/v1/runs?status=dead").await;
    assert!(dead.iter().all(|r| r.status == "dead"), "{dead:?}");
    let view = dead
        .iter()
        .find(|r| r.id == run_id)
        .unwrap_or_else(|| panic!("{run_id} not listed: {dead:?}"));
    assert_eq!(view.id, run_id);
    assert_eq!(view.kind, KIND);
    assert_eq!(view.key, "order-42");
    assert_eq!(view.trace_id.as_deref(), Some(trace.as_str()));
    assert_eq!(view.next_run_at, None, "a dead run is not scheduled");
    assert!(view.finished_at.is_some());
    assert_eq!(view.attempts, 2);
    let completed: Vec<RunView> = app.get_json("/api/v1/runs?status=completed").await;
    assert!(!completed.iter().any(|r| r.id == run_id), "{completed:?}");
    let all: Vec<RunView> = app.get_json("/api/v1/runs?limit=5").await;
    assert!(all.iter().any(|r| r.id == run_id));

    // The detail shows the input, the failing step's attempts and the last error.
    let d: RunDetail = app.get_json(&format!("/api/v1/runs/{run_id}")).await;
    assert_eq!(d.input, serde_json::json!({"order": 42}));
    assert_eq!(d.output, None);
    assert!(d.steps.is_empty(), "nothing journaled yet: {:?}", d.steps);
    assert_eq!(d.attempts.len(), 1, "{:?}", d.attempts);
    assert_eq!(d.attempts[0].step, "charge");
    assert_eq!(d.attempts[0].attempts, 2);
    assert_eq!(
        d.attempts[0].last_error.as_deref(),
        Some("upstream answered 503")
    );
    assert_eq!(
        d.run.last_error.as_deref(),
        Some("charge: upstream answered 503")
    );

    // The dead letter lists it with its alert.
    let dl: DeadLetter = app.get_json("/api/v1/dead-letter").await;
    assert!(dl.runs.iter().any(|r| r.id == run_id), "{dl:?}");
    let subject = format!("run:{run_id}");
    let alerts: Vec<_> = dl.alerts.iter().filter(|a| a.subject == subject).collect();
    assert_eq!(alerts.len(), 1, "{:?}", dl.alerts);
    assert_eq!(alerts[0].kind, "workflow.dead");
    assert!(
        alerts[0].message.contains("upstream answered 503"),
        "{:?}",
        alerts[0]
    );

    // The upstream recovers; the operator retries the run and it completes.
    healthy.store(true, Ordering::SeqCst);
    let resp = app
        .post_json(
            &format!("/api/v1/dead-letter/{run_id}/retry"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let retried: RetryRunResponse = resp.json().await.expect("retry body");
    assert!(retried.retried);
    assert_eq!(retried.run.id, run_id);
    assert_eq!(retried.run.status, "pending");
    assert_eq!(retried.run.finished_at, None);
    let d: RunDetail = app.get_json(&format!("/api/v1/runs/{run_id}")).await;
    assert!(d.attempts.is_empty(), "fresh budgets: {:?}", d.attempts);

    app.drain().await;
    let d: RunDetail = app.get_json(&format!("/api/v1/runs/{run_id}")).await;
    assert_eq!(d.run.status, "completed", "{d:?}");
    assert_eq!(d.run.last_error, None);
    assert_eq!(
        d.output,
        Some(serde_json::json!({"charged": "charged order 42"}))
    );
    assert_eq!(d.steps.len(), 1, "{:?}", d.steps);
    assert_eq!(d.steps[0].step, "charge");
    assert_eq!(
        d.steps[0].result,
        serde_json::json!({"ok": "charged order 42"})
    );
    let dl: DeadLetter = app.get_json("/api/v1/dead-letter").await;
    assert!(!dl.runs.iter().any(|r| r.id == run_id), "{dl:?}");
    assert!(!dl.alerts.iter().any(|a| a.subject == subject), "{dl:?}");

    // Only a dead run can be retried; an unknown one is 404.
    let (code, err) = error_of(
        app.post_json(
            &format!("/api/v1/dead-letter/{run_id}/retry"),
            &serde_json::json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(code, 409);
    assert_eq!(err.error, "conflict");
    assert!(err.message.contains("completed"), "{}", err.message);
    let (code, _) = error_of(
        app.post_json(
            "/api/v1/dead-letter/no-such-run/retry",
            &serde_json::json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(code, 404);
    let (code, _) = error_of(app.get("/api/v1/runs/no-such-run").await).await;
    assert_eq!(code, 404);

    // The trace ties the run and the operator's retry together.
    let t: TraceView = app.get_json(&format!("/api/v1/trace/{trace}")).await;
    assert_eq!(t.trace_id, trace);
    assert_eq!(
        t.runs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [run_id.as_str()]
    );
    assert_eq!(t.runs[0].status, "completed");
    assert_eq!(t.audit.len(), 1, "{:?}", t.audit);
    assert_eq!(t.audit[0].action, "run.retried");
    assert_eq!(t.audit[0].actor, format!("user:{}", app.admin_email));
    assert_eq!(t.audit[0].subject, format!("run:{run_id}"));
    let (code, _) = error_of(app.get("/api/v1/trace/no-such-trace").await).await;
    assert_eq!(code, 404);
    let v: support_types::api::AuditVerification = app.get_json("/api/v1/audit/verify").await;
    assert!(v.ok, "{v:?}");
}

fn clock_now(app: &TestApp) -> i64 {
    app.state.engine.now()
}

both!(
    filters_are_checked_and_every_route_needs_a_token,
    pinned_clock
);
async fn filters_are_checked_and_every_route_needs_a_token(app: &TestApp) {
    let (code, err) = error_of(app.get("/api/v1/runs?status=zombie").await).await;
    assert_eq!(code, 400);
    assert_eq!(err.error, "bad_request");
    for s in [
        "pending",
        "running",
        "retrying",
        "sleeping",
        "waiting",
        "completed",
        "failed",
        "dead",
    ] {
        assert!(err.message.contains(s), "{s} missing from {}", err.message);
    }
    let (code, err) = error_of(app.get("/api/v1/actions?state=maybe").await).await;
    assert_eq!(code, 400);
    assert!(err.message.contains("uncertain"), "{}", err.message);
    let (code, err) = error_of(app.get("/api/v1/runs?limit=lots").await).await;
    assert_eq!(code, 400, "a bad query is a JSON 400 too");
    assert_eq!(err.error, "bad_request");

    // An empty filter is no filter.
    let _: Vec<RunView> = app.get_json("/api/v1/runs?status=").await;
    let _: Vec<ActionView> = app.get_json("/api/v1/actions?state=&limit=1").await;

    for (method, path) in [
        ("GET", "/api/v1/runs"),
        ("GET", "/api/v1/runs/x"),
        ("GET", "/api/v1/dead-letter"),
        ("POST", "/api/v1/dead-letter/x/retry"),
        ("GET", "/api/v1/trace/x"),
        ("GET", "/api/v1/actions"),
        ("GET", "/api/v1/actions/x"),
    ] {
        let url = format!("{}{path}", app.url);
        let req = match method {
            "GET" => app.http.get(url),
            _ => app.http.post(url),
        };
        let (code, err) = error_of(req.send().await.expect("request")).await;
        assert_eq!(code, 401, "{method} {path}");
        assert_eq!(err.error, "unauthorized");
    }
}

both!(actions_show_their_params_and_approval, pinned_clock);
async fn actions_show_their_params_and_approval(app: &TestApp) {
    let store = &app.state.store;
    let trace = format!("trace-{}", support_store::new_id());
    let id = support_store::new_id();
    let audit = |action: &str| NewAuditEntry {
        actor: "agent".into(),
        action: action.into(),
        subject: format!("action:{id}"),
        trace_id: Some(trace.clone()),
        data: serde_json::json!({}),
    };
    store
        .create_action(
            &NewAction {
                id: id.clone(),
                app_id: None,
                conversation_id: None,
                kind: "stripe.refund".into(),
                params: r#"{"charge":"ch_1","amount":4900}"#.into(),
                idempotency_key: format!("refund-{id}"),
                trace_id: trace.clone(),
                requested_by: None,
            },
            &audit("action.proposed"),
        )
        .await
        .expect("create action");
    store
        .create_approval(
            &id,
            "refund above the auto-approve limit",
            &["ops@example.com".to_owned()],
            app.state.engine.now() + 3_600_000,
            &audit("approval.requested"),
        )
        .await
        .expect("create approval");

    let list: Vec<ActionView> = app.get_json("/api/v1/actions").await;
    let listed = list.iter().find(|a| a.id == id).expect("listed");
    assert_eq!(listed.state, "proposed");
    assert_eq!(listed.trace_id, trace);
    assert_eq!(
        listed.params,
        serde_json::json!({"charge": "ch_1", "amount": 4900})
    );
    let proposed: Vec<ActionView> = app.get_json("/api/v1/actions?state=proposed").await;
    assert!(proposed.iter().any(|a| a.id == id));
    assert!(proposed.iter().all(|a| a.state == "proposed"));
    let done: Vec<ActionView> = app.get_json("/api/v1/actions?state=succeeded").await;
    assert!(!done.iter().any(|a| a.id == id));

    let d: ActionDetail = app.get_json(&format!("/api/v1/actions/{id}")).await;
    assert_eq!(d.action.kind, "stripe.refund");
    assert_eq!(d.action.idempotency_key, format!("refund-{id}"));
    assert_eq!(d.action.result, None);
    let approval = d.approval.expect("approval");
    assert_eq!(approval.status, "pending");
    assert_eq!(approval.approvers, ["ops@example.com"]);
    assert_eq!(approval.decided_by, None);
    let (code, _) = error_of(app.get("/api/v1/actions/no-such-action").await).await;
    assert_eq!(code, 404);

    // The trace holds the action's audit entries, oldest first (no runs).
    let t: TraceView = app.get_json(&format!("/api/v1/trace/{trace}")).await;
    assert!(t.runs.is_empty());
    assert_eq!(
        t.audit
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["action.proposed", "approval.requested"]
    );
}
