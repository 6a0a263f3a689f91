//! The action ledger against the fake Stripe, on SQLite and Postgres: scenarios C14–C19,
//! C21, C22, B13 and D28 of the reliability notes. The fake counts create-refund calls and
//! idempotency keys, so "exactly once" is checked where it matters: at the provider.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use serde_json::json;
use support_agent::actions::{ActionError, ActionService, HumanDecision, Proposal, Verdict};
use support_agent::tools::{RefundTool, ToolRegistry};
use support_engine::{Engine, EngineConfig};
use support_fakes::{FakeStripe, FakeStripeConfig, SeedCharge, StripeFault};
use support_store::Store;
use support_store::actions::state;

const ACCOUNT: &str = "acct_test_1";
const CHARGE: &str = "ch_test_1";

struct H {
    store: Store,
    engine: Arc<Engine>,
    svc: Arc<ActionService>,
    stripe: FakeStripe,
    clock: Arc<AtomicI64>,
    _dir: tempfile::TempDir,
    pg: Option<support_store::testdb::PgTestDb>,
}

impl H {
    async fn new(postgres: bool) -> Option<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().expect("tmp");
        let (url, pg) = if postgres {
            let db = support_store::testdb::create_postgres().await?;
            (db.url.clone(), Some(db))
        } else {
            (format!("sqlite://{}/a.db", dir.path().display()), None)
        };
        let store = Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let stripe = FakeStripe::start(FakeStripeConfig::default())
            .await
            .expect("stripe");
        stripe.add_charge(
            ACCOUNT,
            SeedCharge {
                id: CHARGE.into(),
                amount: 4900,
                currency: "usd".into(),
                created: 1_767_225_600,
                payment_intent: None,
                customer_email: Some("ada@example.com".into()),
            },
        );
        let client = support_stripe::StripeClient::new(
            &stripe.url(),
            &FakeStripeConfig::default().api_token,
            Duration::from_secs(2),
        )
        .expect("client");
        let clock = Arc::new(AtomicI64::new(support_store::now_ms()));
        let c = clock.clone();
        let engine = Arc::new(Engine::new(
            store.clone(),
            EngineConfig {
                clock: Arc::new(move || c.load(Ordering::SeqCst)),
                ..EngineConfig::default()
            },
        ));
        let tools = ToolRegistry::new().with("refund", Arc::new(RefundTool::new(Arc::new(client))));
        let svc = ActionService::new(store.clone(), engine.clone(), tools);
        Some(Self {
            store,
            engine,
            svc,
            stripe,
            clock,
            _dir: dir,
            pg,
        })
    }

    fn now(&self) -> i64 {
        self.clock.load(Ordering::SeqCst)
    }

    fn advance(&self, d: Duration) {
        self.clock.fetch_add(d.as_millis() as i64, Ordering::SeqCst);
    }

    /// Drains the engine, moving the clock past backoffs, until nothing is left to do soon.
    async fn settle(&self) {
        for _ in 0..10 {
            self.engine.drain().await.expect("drain");
            self.advance(Duration::from_secs(60));
        }
    }

    async fn state(&self, id: &str) -> String {
        self.store
            .action(id)
            .await
            .expect("action")
            .expect("exists")
            .state
    }

    async fn audit_actions(&self, id: &str) -> Vec<String> {
        let trace = self.store.action(id).await.expect("a").expect("a").trace_id;
        self.store
            .audit_by_trace(&trace)
            .await
            .expect("audit")
            .into_iter()
            .map(|e| e.action)
            .collect()
    }

    async fn done(self) {
        let (n, bad) = self.store.verify_audit().await.expect("verify");
        assert!(n > 0 && bad.is_none(), "audit chain intact ({n}, {bad:?})");
        self.stripe.shutdown().await;
        self.store.close().await;
        if let Some(pg) = self.pg {
            pg.drop_db().await;
        }
    }
}

fn refund(verdict: Verdict, amount: i64) -> Proposal {
    Proposal {
        app_id: None,
        conversation_id: None,
        kind: "refund".into(),
        params: json!({"account": ACCOUNT, "charge": CHARGE, "amount": amount, "reason": "requested_by_customer"}),
        verdict,
        requested_by: "agent".into(),
        trace_id: support_store::new_id(),
    }
}

fn approval() -> Verdict {
    Verdict::Approval {
        approvers: vec![
            "user:dana@example.com".into(),
            "user:lee@example.com".into(),
        ],
        reason: "refund between 30 and 45 days".into(),
    }
}

macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let h = super::H::new(false).await.expect("sqlite");
                super::$name(&h).await;
                h.done().await;
            }
            #[tokio::test]
            async fn postgres() {
                let Some(h) = super::H::new(true).await else {
                    return;
                };
                super::$name(&h).await;
                h.done().await;
            }
        }
    };
}

both!(auto_refund_runs_once_with_the_frozen_key);
async fn auto_refund_runs_once_with_the_frozen_key(h: &H) {
    let a = h
        .svc
        .propose(refund(Verdict::Auto, 1500))
        .await
        .expect("propose");
    assert_eq!(a.state, state::PROPOSED);
    assert_eq!(a.idempotency_key, format!("refund:{}", a.id));
    h.settle().await;
    assert_eq!(h.state(&a.id).await, state::SUCCEEDED);
    assert_eq!(h.stripe.refund_count(), 1);
    let refunds = h.stripe.refunds(ACCOUNT);
    assert_eq!(refunds[0].amount, 1500);
    assert_eq!(refunds[0].metadata.get("support_action_id"), Some(&a.id));
    assert_eq!(
        refunds[0].idempotency_key.as_deref(),
        Some(a.idempotency_key.as_str())
    );
    let trail = h.audit_actions(&a.id).await;
    assert_eq!(
        trail,
        [
            "action.proposed",
            "action.approved",
            "action.executing",
            "action.attempt",
            "action.succeeded"
        ]
    );
    // Invalid parameters write nothing.
    let mut bad = refund(Verdict::Auto, 100);
    bad.params = json!({"account": "nope", "charge": CHARGE});
    assert!(matches!(
        h.svc.propose(bad).await,
        Err(ActionError::Invalid(_))
    ));
    let mut unknown = refund(Verdict::Auto, 100);
    unknown.params["surprise"] = json!(true);
    assert!(matches!(
        h.svc.propose(unknown).await,
        Err(ActionError::Invalid(_))
    ));
    assert!(matches!(
        h.svc
            .propose(refund(
                Verdict::Deny {
                    reason: "legal threat".into()
                },
                100
            ))
            .await,
        Err(ActionError::NotAllowed(_))
    ));
    assert_eq!(h.store.list_actions(None, 10).await.expect("list").len(), 1);
}

both!(c14_two_concurrent_approvals_execute_once);
async fn c14_two_concurrent_approvals_execute_once(h: &H) {
    let a = h
        .svc
        .propose(refund(approval(), 2000))
        .await
        .expect("propose");
    h.settle().await;
    assert_eq!(h.state(&a.id).await, state::PROPOSED, "waiting for a human");
    let at = h.now();
    let (x, y) = tokio::join!(
        h.svc.decide(
            &a.id,
            HumanDecision::Approve {
                by: "user:dana@example.com".into(),
                surface: "slack".into(),
                at
            }
        ),
        h.svc.decide(
            &a.id,
            HumanDecision::Approve {
                by: "user:lee@example.com".into(),
                surface: "dashboard".into(),
                at
            }
        ),
    );
    let (x, y) = (x.expect("x"), y.expect("y"));
    assert_ne!(
        x.this_call_won, y.this_call_won,
        "exactly one decision lands"
    );
    assert_eq!(
        x.standing, y.standing,
        "both see the same standing decision"
    );
    h.settle().await;
    assert_eq!(h.state(&a.id).await, state::SUCCEEDED);
    assert_eq!(h.stripe.refund_count(), 1);
    let approval = h
        .store
        .approval_for(&a.id)
        .await
        .expect("approval")
        .expect("exists");
    assert_eq!(approval.status, "approved");
    assert!(
        h.audit_actions(&a.id)
            .await
            .contains(&"approval.duplicate_ignored".to_owned())
    );
    // Deciding again after the fact: closed.
    let late = h
        .svc
        .decide(
            &a.id,
            HumanDecision::Approve {
                by: "user:dana@example.com".into(),
                surface: "cli".into(),
                at: h.now(),
            },
        )
        .await;
    assert!(matches!(late, Err(ActionError::Closed(_))), "{late:?}");
}

both!(b13_approve_and_reject_at_once_one_wins);
async fn b13_approve_and_reject_at_once_one_wins(h: &H) {
    let a = h
        .svc
        .propose(refund(approval(), 2000))
        .await
        .expect("propose");
    h.settle().await;
    let at = h.now();
    let (x, y) = tokio::join!(
        h.svc.decide(
            &a.id,
            HumanDecision::Reject {
                by: "user:dana@example.com".into(),
                surface: "slack".into(),
                at,
                reason: "outside policy".into()
            }
        ),
        h.svc.decide(
            &a.id,
            HumanDecision::Approve {
                by: "user:lee@example.com".into(),
                surface: "dashboard".into(),
                at
            }
        ),
    );
    let standing = x.expect("x").standing;
    assert_eq!(y.expect("y").standing, standing);
    h.settle().await;
    match standing {
        HumanDecision::Reject { .. } => {
            assert_eq!(h.state(&a.id).await, state::REJECTED);
            assert_eq!(h.stripe.refund_count(), 0, "a rejection moves no money");
            assert_eq!(
                h.store
                    .approval_for(&a.id)
                    .await
                    .expect("a")
                    .expect("a")
                    .status,
                "rejected"
            );
        }
        HumanDecision::Approve { .. } => {
            assert_eq!(h.state(&a.id).await, state::SUCCEEDED);
            assert_eq!(h.stripe.refund_count(), 1);
        }
    }
}

both!(c15_a_500_then_success_reuses_key_and_params);
async fn c15_a_500_then_success_reuses_key_and_params(h: &H) {
    h.stripe.script(StripeFault::Fail500Once);
    let a = h
        .svc
        .propose(refund(Verdict::Auto, 1200))
        .await
        .expect("propose");
    h.settle().await;
    assert_eq!(h.state(&a.id).await, state::SUCCEEDED);
    assert_eq!(h.stripe.refund_count(), 1);
    assert_eq!(
        h.stripe.post_count_for_key(&a.idempotency_key),
        2,
        "both attempts used the same key"
    );
    let attempts = h
        .audit_actions(&a.id)
        .await
        .iter()
        .filter(|a| *a == "action.attempt")
        .count();
    assert_eq!(attempts, 2, "the audit shows both attempts");
    let bodies: Vec<String> = h
        .stripe
        .request_log()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.body)
        .collect();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], bodies[1], "identical parameters on the retry");
}

both!(c16_a_stored_500_ends_uncertain_with_an_alert_and_no_new_key);
async fn c16_a_stored_500_ends_uncertain_with_an_alert_and_no_new_key(h: &H) {
    // The key is derived from the action id, which we learn only after proposing: script by
    // proposing first with the engine not yet run.
    let a = h
        .svc
        .propose(refund(Verdict::Auto, 700))
        .await
        .expect("propose");
    h.stripe
        .script(StripeFault::Stored500ForKey(a.idempotency_key.clone()));
    h.settle().await;
    assert_eq!(h.state(&a.id).await, state::UNCERTAIN);
    assert_eq!(h.stripe.refund_count(), 0);
    let keys: std::collections::BTreeSet<String> = h
        .stripe
        .request_log()
        .into_iter()
        .filter(|r| r.method == "POST")
        .filter_map(|r| r.header("idempotency-key").map(str::to_owned))
        .collect();
    assert_eq!(keys.len(), 1, "never a second key: {keys:?}");
    let alerts = h.store.alerts(10).await.expect("alerts");
    assert!(
        alerts
            .iter()
            .any(|x| x.kind == "action.uncertain" && x.subject == format!("action:{}", a.id))
    );
}

both!(c17_key_in_use_backs_off_and_retries_the_same_key);
async fn c17_key_in_use_backs_off_and_retries_the_same_key(h: &H) {
    let a = h
        .svc
        .propose(refund(Verdict::Auto, 900))
        .await
        .expect("propose");
    h.stripe
        .script(StripeFault::InFlight409ForKey(a.idempotency_key.clone()));
    h.settle().await;
    assert_eq!(h.state(&a.id).await, state::SUCCEEDED);
    assert_eq!(h.stripe.refund_count(), 1);
    assert_eq!(h.stripe.post_count_for_key(&a.idempotency_key), 2);
}

both!(c18_commit_then_drop_reconciles_to_one_refund);
async fn c18_commit_then_drop_reconciles_to_one_refund(h: &H) {
    h.stripe.script(StripeFault::CommitThenDrop);
    let a = h
        .svc
        .propose(refund(Verdict::Auto, 1100))
        .await
        .expect("propose");
    h.settle().await;
    assert_eq!(h.state(&a.id).await, state::SUCCEEDED);
    assert_eq!(
        h.stripe.refund_count(),
        1,
        "found by reconciliation, not repeated"
    );
    let row = h.store.action(&a.id).await.expect("a").expect("a");
    assert!(
        row.result.as_deref().is_some_and(|r| r.contains(&a.id)),
        "{row:?}"
    );
}

both!(c19_an_idempotency_mismatch_fails_hard_with_an_alert);
async fn c19_an_idempotency_mismatch_fails_hard_with_an_alert(h: &H) {
    // The first attempt is stored at Stripe with a 500 (so the key is now bound to its
    // parameters) and we retry with the same key.
    let a = h
        .svc
        .propose(refund(Verdict::Auto, 1000))
        .await
        .expect("propose");
    h.stripe
        .script(StripeFault::Stored500ForKey(a.idempotency_key.clone()));
    h.engine.drain().await.expect("first attempt");
    // A bug rewrites the frozen parameters between attempts.
    support_store::on_pool!(h.store.pool(), |p| {
        support_store::sqlx::query("UPDATE actions SET params = $1 WHERE id = $2")
            .bind(json!({"account": ACCOUNT, "charge": CHARGE, "amount": 1001}).to_string())
            .bind(&a.id)
            .execute(p)
            .await
            .expect("tamper");
    });
    h.settle().await;
    let row = h.store.action(&a.id).await.expect("a").expect("a");
    assert_eq!(row.state, state::FAILED);
    assert!(
        row.error
            .as_deref()
            .is_some_and(|e| e.contains("idempotency")),
        "{row:?}"
    );
    assert_eq!(h.stripe.refund_count(), 0);
    assert_eq!(
        h.stripe.post_count_for_key(&a.idempotency_key),
        2,
        "no new key was tried"
    );
    assert!(
        h.store
            .alerts(10)
            .await
            .expect("alerts")
            .iter()
            .any(|x| x.kind == "action.idempotency_mismatch")
    );
}

both!(c21_only_listed_approvers_other_than_the_requester_decide);
async fn c21_only_listed_approvers_other_than_the_requester_decide(h: &H) {
    let mut p = refund(approval(), 500);
    p.requested_by = "user:dana@example.com".into();
    let a = h.svc.propose(p).await.expect("propose");
    h.settle().await;
    let at = h.now();
    let stranger = h
        .svc
        .decide(
            &a.id,
            HumanDecision::Approve {
                by: "user:mallory@example.com".into(),
                surface: "slack".into(),
                at,
            },
        )
        .await;
    assert!(
        matches!(stranger, Err(ActionError::Forbidden(_))),
        "{stranger:?}"
    );
    let own = h
        .svc
        .decide(
            &a.id,
            HumanDecision::Approve {
                by: "user:dana@example.com".into(),
                surface: "dashboard".into(),
                at,
            },
        )
        .await;
    assert!(matches!(own, Err(ActionError::Forbidden(_))), "{own:?}");
    h.settle().await;
    assert_eq!(h.state(&a.id).await, state::PROPOSED, "no state change");
    let refused = h
        .audit_actions(&a.id)
        .await
        .iter()
        .filter(|x| *x == "approval.refused")
        .count();
    assert_eq!(refused, 2, "both refusals audited");
    // A real approver still can.
    h.svc
        .decide(
            &a.id,
            HumanDecision::Approve {
                by: "user:lee@example.com".into(),
                surface: "slack".into(),
                at,
            },
        )
        .await
        .expect("approve");
    h.settle().await;
    assert_eq!(h.state(&a.id).await, state::SUCCEEDED);
}

both!(c22_an_expired_approval_never_executes);
async fn c22_an_expired_approval_never_executes(h: &H) {
    let a = h
        .svc
        .propose(refund(approval(), 500))
        .await
        .expect("propose");
    h.engine.drain().await.expect("drain");
    h.advance(Duration::from_secs(24 * 3600));
    h.engine.drain().await.expect("drain");
    assert_eq!(h.state(&a.id).await, state::EXPIRED);
    assert_eq!(
        h.store
            .approval_for(&a.id)
            .await
            .expect("a")
            .expect("a")
            .status,
        "expired"
    );
    let late = h
        .svc
        .decide(
            &a.id,
            HumanDecision::Approve {
                by: "user:lee@example.com".into(),
                surface: "slack".into(),
                at: h.now(),
            },
        )
        .await;
    assert!(matches!(late, Err(ActionError::Closed(_))), "{late:?}");
    h.settle().await;
    assert_eq!(h.stripe.refund_count(), 0);
    // A fresh approval is a new action with a new key.
    let again = h.svc.propose(refund(approval(), 500)).await.expect("again");
    assert_ne!(again.idempotency_key, a.idempotency_key);
    h.settle().await;
}

both!(d28_a_restart_during_backoff_keeps_the_next_attempt_time);
async fn d28_a_restart_during_backoff_keeps_the_next_attempt_time(h: &H) {
    h.stripe.script(StripeFault::Fail500Once);
    let a = h
        .svc
        .propose(refund(Verdict::Auto, 300))
        .await
        .expect("propose");
    h.engine.drain().await.expect("first attempt");
    let run = h
        .store
        .wf_by_key("action", &a.id)
        .await
        .expect("run")
        .expect("run");
    assert_eq!(run.status, "retrying");
    let due = run.next_run_at;
    assert!(
        due > h.now(),
        "the next attempt is scheduled in the database"
    );
    // A new engine (a restart) does not retry before that time.
    let c = h.clock.clone();
    let restarted = Arc::new(Engine::new(
        h.store.clone(),
        EngineConfig {
            clock: Arc::new(move || c.load(Ordering::SeqCst)),
            ..EngineConfig::default()
        },
    ));
    let client = support_stripe::StripeClient::new(
        &h.stripe.url(),
        &FakeStripeConfig::default().api_token,
        Duration::from_secs(2),
    )
    .expect("client");
    let _svc = ActionService::new(
        h.store.clone(),
        restarted.clone(),
        ToolRegistry::new().with("refund", Arc::new(RefundTool::new(Arc::new(client)))),
    );
    assert_eq!(
        restarted.drain().await.expect("drain"),
        0,
        "no burst of retries at startup"
    );
    assert_eq!(h.stripe.post_count_for_key(&a.idempotency_key), 1);
    h.clock.store(due, Ordering::SeqCst);
    restarted.drain().await.expect("drain");
    assert_eq!(h.state(&a.id).await, state::SUCCEEDED);
    assert_eq!(h.stripe.refund_count(), 1);
}
