//! Stripe Connect, black-box: the OAuth flow (state bound to the admin and the app, single
//! use, short-lived; access denied; expired code; an account already taken), deauthorization
//! by webhook and by the operator, and the Connect webhooks (`charge.refunded` reconciling our
//! records including refunds made outside the platform, `charge.dispute.created` escalating
//! the customer's conversation, an event for an account no app holds ignored and audited).

use serde_json::{Value, json};
use support_fakes::stripe::SeedCharge;
use support_testkit::{TestApp, both};

/// Starts the flow over the API; returns the authorize URL.
async fn authorize_url(app: &TestApp, slug: &str) -> String {
    let r = app
        .post_json(&format!("/api/v1/apps/{slug}/stripe/connect"), &json!({}))
        .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let v: Value = r.json().await.expect("json");
    v["url"].as_str().expect("url").to_owned()
}

/// The admin's browser at Stripe: returns where Stripe redirects back to.
async fn consent(app: &TestApp, url: &str) -> String {
    let r = app.http.get(url).send().await.expect("authorize");
    assert!(r.status().is_redirection(), "{}", r.status());
    r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned()
}

/// The browser following the redirect back, with a dashboard session.
async fn callback(app: &TestApp, location: &str, cookie: &str) -> (u16, String) {
    let r = app
        .http
        .get(location)
        .header("cookie", cookie)
        .send()
        .await
        .expect("callback");
    (r.status().as_u16(), r.text().await.expect("body"))
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    app.audit_log()
        .await
        .into_iter()
        .map(|e| e.action)
        .collect()
}

/// How many of the recent audit entries record `action`.
async fn audit_count(app: &TestApp, action: &str) -> usize {
    audit_actions(app)
        .await
        .into_iter()
        .filter(|a| a == action)
        .count()
}

both!(connecting_an_account_by_oauth);
async fn connecting_an_account_by_oauth(app: &TestApp) {
    app.register_app("shop").await;
    app.stripe.oauth_next_account("acct_shop_connected");
    let url = authorize_url(app, "shop").await;
    assert!(url.starts_with(&format!("{}/oauth/authorize?", app.stripe.url())));
    assert!(url.contains("client_id=ca_fake_platform") && url.contains("scope=read_write"));
    let redirect = format!("{}/stripe/oauth/callback", app.url);
    assert!(
        url.contains(&format!("redirect_uri={}", urlenc(&redirect))),
        "{url}"
    );
    let back = consent(app, &url).await;
    assert!(back.starts_with(&redirect), "{back}");

    // Without a dashboard session the callback sends the browser to log in; nothing happens.
    let anon = app.http.get(&back).send().await.expect("anon");
    assert_eq!(anon.status(), 303);
    assert!(!app.app_row("shop").await.stripe_connected);

    let cookie = app.dashboard_session().await;
    let (status, page) = callback(app, &back, &cookie).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("acct_shop_connected"), "{page}");
    let row = app.app_row("shop").await;
    assert!(row.stripe_connected);
    assert_eq!(
        row.stripe_account_id.as_deref(),
        Some("acct_shop_connected")
    );
    assert_eq!(app.stripe.connected_accounts(), vec!["acct_shop_connected"]);

    // The tokens are stored sealed: present, and not in the clear.
    let sealed = app
        .state
        .store
        .live_secrets(&row.id, "stripe_connect", i64::MAX - 1)
        .await
        .expect("secrets");
    assert_eq!(sealed.len(), 1);
    let opened = app.state.secrets.open(&sealed[0]).expect("opens");
    let tokens: Value = serde_json::from_slice(&opened).expect("json");
    let access = tokens["access_token"].as_str().expect("token");
    assert!(access.starts_with("sk_test_"));
    assert!(
        !sealed[0]
            .ciphertext
            .windows(access.len())
            .any(|w| w == access.as_bytes())
    );
    assert!(
        audit_actions(app)
            .await
            .contains(&"stripe.connected".into())
    );

    // The same callback again: the state is used up.
    let (status, page) = callback(app, &back, &cookie).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("not valid any more"), "{page}");

    // The status endpoint and the dashboard show it.
    let st: Value = app.get_json("/api/v1/apps/shop/stripe").await;
    assert_eq!(
        st,
        json!({"app": "shop", "connected": true, "account": "acct_shop_connected"})
    );

    // Disconnecting revokes access at Stripe and locally.
    let r = app
        .post_json("/api/v1/apps/shop/stripe/disconnect", &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    assert!(app.stripe.connected_accounts().is_empty());
    assert!(!app.app_row("shop").await.stripe_connected);
    let again = app
        .post_json("/api/v1/apps/shop/stripe/disconnect", &json!({}))
        .await;
    assert_eq!(again.status(), 409);
    assert!(
        audit_actions(app)
            .await
            .contains(&"stripe.disconnected".into())
    );
}

fn urlenc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Replaces the `state` query value of a callback URL.
fn with_state(location: &str, state: &str) -> String {
    let (base, query) = location.split_once('?').expect("query");
    let rest: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.starts_with("state="))
        .collect();
    format!("{base}?{}&state={state}", rest.join("&"))
}

both!(oauth_state_mismatches_are_refused_and_audited, pinned_clock);
async fn oauth_state_mismatches_are_refused_and_audited(app: &TestApp) {
    app.register_app("shop").await;
    let cookie = app.dashboard_session().await;

    // A state we never issued, and none at all.
    let url = authorize_url(app, "shop").await;
    let back = consent(app, &url).await;
    let (status, page) = callback(app, &with_state(&back, "st_forged"), &cookie).await;
    assert_eq!(status, 400, "{page}");
    let no_state: String = back
        .split('&')
        .filter(|kv| !kv.starts_with("state="))
        .collect::<Vec<_>>()
        .join("&");
    let (status, _) = callback(app, &no_state, &cookie).await;
    assert_eq!(status, 400);

    // A real state presented by another dashboard user.
    let other = app
        .state
        .store
        .create_user_with_token("agent@localhost", "Agent", "agent", "x", "t", "hash-agent")
        .await
        .expect("user");
    let agent_cookie_value = "sess_agent_value";
    app.state
        .store
        .create_session(
            &support_server::auth::token_hash(agent_cookie_value),
            &other.id,
            i64::MAX / 2,
        )
        .await
        .expect("session");
    let (status, _) = callback(
        app,
        &back,
        &format!(
            "{}={agent_cookie_value}",
            support_server::auth::SESSION_COOKIE
        ),
    )
    .await;
    assert_eq!(status, 400, "another user cannot finish the admin's flow");
    // ...and the state is burned by that attempt.
    let (status, _) = callback(app, &back, &cookie).await;
    assert_eq!(status, 400);

    // An expired state (10 minutes).
    let url = authorize_url(app, "shop").await;
    let back = consent(app, &url).await;
    app.clock
        .as_ref()
        .expect("pinned")
        .advance_ms(10 * 60 * 1000);
    let (status, _) = callback(app, &back, &cookie).await;
    assert_eq!(status, 400);

    assert!(!app.app_row("shop").await.stripe_connected);
    assert!(
        app.stripe.connected_accounts().is_empty(),
        "no code was exchanged"
    );
    let reasons: Vec<String> = app
        .audit_log()
        .await
        .into_iter()
        .filter(|e| e.action == "stripe.connect.state_mismatch")
        .map(|e| {
            serde_json::from_str::<Value>(&e.data).expect("json")["reason"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    for want in [
        "unknown_state",
        "missing_state",
        "other_user",
        "state_already_used",
        "state_expired",
    ] {
        assert!(reasons.iter().any(|r| r == want), "{want} in {reasons:?}");
    }
}

both!(oauth_access_denied_and_expired_code);
async fn oauth_access_denied_and_expired_code(app: &TestApp) {
    app.register_app("shop").await;
    let cookie = app.dashboard_session().await;

    app.stripe.oauth_deny_next();
    let back = consent(app, &authorize_url(app, "shop").await).await;
    assert!(back.contains("error=access_denied"), "{back}");
    let (status, page) = callback(app, &back, &cookie).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("denied") && page.contains("stays disconnected"),
        "{page}"
    );
    assert!(!app.app_row("shop").await.stripe_connected);

    let back = consent(app, &authorize_url(app, "shop").await).await;
    app.stripe.expire_oauth_codes();
    let (status, page) = callback(app, &back, &cookie).await;
    assert_eq!(status, 400);
    assert!(page.contains("expired or was already used"), "{page}");
    assert!(!app.app_row("shop").await.stripe_connected);
    assert!(app.stripe.connected_accounts().is_empty());

    let actions = audit_actions(app).await;
    assert!(actions.contains(&"stripe.connect.denied".into()));
    assert!(actions.contains(&"stripe.connect.failed".into()));
}

both!(an_account_connects_to_one_app_only);
async fn an_account_connects_to_one_app_only(app: &TestApp) {
    app.register_app("shop").await;
    app.register_app_with_secrets("other", &["s3cr3t-other-0123456789abcdef0123456789"])
        .await;
    let cookie = app.dashboard_session().await;
    app.stripe.oauth_next_account("acct_shared");
    let back = consent(app, &authorize_url(app, "shop").await).await;
    assert_eq!(callback(app, &back, &cookie).await.0, 200);
    app.stripe.oauth_next_account("acct_shared");
    let back = consent(app, &authorize_url(app, "other").await).await;
    let (status, page) = callback(app, &back, &cookie).await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("already connected to app shop"), "{page}");
    assert!(!app.app_row("other").await.stripe_connected);
    assert!(app.app_row("shop").await.stripe_connected);

    // Without a client id the flow is refused with a reason.
    let r = app
        .post_json("/api/v1/apps/nope/stripe/connect", &json!({}))
        .await;
    assert_eq!(r.status(), 404);
}

both!(deauthorization_webhook_disconnects_the_app);
async fn deauthorization_webhook_disconnects_the_app(app: &TestApp) {
    app.register_app_on_stripe("shop", "acct_deauth", None)
        .await;
    assert!(app.app_row("shop").await.stripe_connected);

    // An event for an account no app holds: acknowledged, ignored, audited.
    let stray = app.stripe.deauthorized_event("acct_nobody");
    assert_eq!(app.post_stripe_event(&stray).await.status(), 200);
    app.drain().await;
    assert!(app.app_row("shop").await.stripe_connected);
    assert!(
        audit_actions(app)
            .await
            .contains(&"stripe.event.unmapped_account".into())
    );

    let ev = app.stripe.deauthorized_event("acct_deauth");
    assert_eq!(app.post_stripe_event(&ev).await.status(), 200);
    app.drain().await;
    let row = app.app_row("shop").await;
    assert!(!row.stripe_connected);
    assert_eq!(row.stripe_account_id.as_deref(), Some("acct_deauth"));
    assert!(
        audit_actions(app)
            .await
            .contains(&"stripe.deauthorized".into())
    );

    // Refunds stop: an operator refund on the old account is still the operator's call, but
    // the brain no longer proposes any (covered in decisions.rs); the event is idempotent.
    assert_eq!(app.post_stripe_event(&ev).await.status(), 200);
    app.drain().await;
}

fn seed(app: &TestApp, account: &str, charge: &str, email: &str) {
    app.stripe.add_charge(
        account,
        SeedCharge {
            id: charge.into(),
            amount: 5000,
            currency: "usd".into(),
            created: support_store::now_ms() / 1000 - 86_400,
            payment_intent: None,
            customer_email: Some(email.into()),
        },
    );
}

both!(charge_refunded_reconciles_ours_and_outside_refunds);
async fn charge_refunded_reconciles_ours_and_outside_refunds(app: &TestApp) {
    app.register_app_on_stripe("shop", "acct_rec", None).await;
    seed(app, "acct_rec", "ch_rec", "pat@example.com");

    // Ours: an operator refund of 20.00 through the ledger.
    let r = app
        .post_json(
            "/api/v1/actions",
            &json!({"kind": "refund", "params": {"account": "acct_rec", "charge": "ch_rec", "amount": 2000}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let ours: Value = r.json().await.expect("json");
    app.drain().await;
    // Theirs: 10.00 refunded in the Stripe dashboard.
    let outside = app
        .stripe
        .refund_outside_platform("acct_rec", "ch_rec", Some(1000))
        .expect("outside refund");

    let ev = app
        .stripe
        .charge_event("charge.refunded", "acct_rec", "ch_rec")
        .expect("event");
    assert_eq!(app.post_stripe_event(&ev).await.status(), 200);
    app.drain().await;
    let recs = app
        .state
        .store
        .stripe_refunds_for_charge("ch_rec")
        .await
        .expect("records");
    assert_eq!(recs.len(), 2, "{recs:?}");
    let mine = recs.iter().find(|r| r.origin == "platform").expect("ours");
    assert_eq!(mine.action_id.as_deref(), ours["id"].as_str());
    assert_eq!(mine.amount, 2000);
    let theirs = recs
        .iter()
        .find(|r| r.origin == "external")
        .expect("theirs");
    assert_eq!(theirs.refund_id, outside.id);
    assert_eq!(theirs.amount, 1000);

    // A second delivery of the same facts (a new event id) adds nothing.
    let again = app
        .stripe
        .charge_event("charge.refunded", "acct_rec", "ch_rec")
        .expect("event");
    assert_eq!(app.post_stripe_event(&again).await.status(), 200);
    app.drain().await;
    let externals = audit_count(app, "stripe.refund.external").await;
    assert_eq!(externals, 1);
    assert_eq!(
        app.state
            .store
            .stripe_refunds_for_charge("ch_rec")
            .await
            .expect("records")
            .len(),
        2
    );
}

/// A refund action whose outcome could not be learned: it ended `uncertain`.
async fn uncertain_refund(
    app: &TestApp,
    app_id: &str,
    params: Value,
) -> support_store::actions::ActionRow {
    let entry = |action: &str| support_store::NewAuditEntry {
        actor: "test".into(),
        action: action.into(),
        subject: "test".into(),
        trace_id: Some("trace-unc".into()),
        data: json!({}),
    };
    let action = app
        .state
        .store
        .create_action(
            &support_store::actions::NewAction {
                id: support_store::new_id(),
                app_id: Some(app_id.to_owned()),
                conversation_id: None,
                kind: "refund".into(),
                params: params.to_string(),
                idempotency_key: format!("refund:{}", support_store::new_id()),
                trace_id: "trace-unc".into(),
                requested_by: Some("test".into()),
            },
            &entry("action.proposed"),
        )
        .await
        .expect("action");
    for (from, to) in [
        ("proposed", "approved"),
        ("approved", "executing"),
        ("executing", "uncertain"),
    ] {
        app.state
            .store
            .transition_action(
                &action.id,
                &[from],
                to,
                None,
                None,
                &entry(&format!("action.{to}")),
            )
            .await
            .expect("transition");
    }
    action
}

/// Stripe made that action's refund after all (it carries our metadata); returns its id.
async fn refund_at_stripe(
    app: &TestApp,
    account: &str,
    charge: &str,
    amount: i64,
    action_id: &str,
) -> String {
    use support_stripe::StripeApi as _;
    let client = support_stripe::StripeClient::new(
        &app.stripe.url(),
        "sk_test_fake",
        std::time::Duration::from_secs(5),
    )
    .expect("client");
    client
        .create_refund(
            account,
            &support_stripe::RefundRequest {
                charge: Some(charge.into()),
                amount: Some(amount),
                metadata: [(
                    support_stripe::ACTION_METADATA_KEY.to_owned(),
                    action_id.to_owned(),
                )]
                .into(),
                ..Default::default()
            },
            &format!("refund:{action_id}"),
        )
        .await
        .expect("refund")
        .id
}

both!(a_webhook_settles_an_uncertain_refund);
async fn a_webhook_settles_an_uncertain_refund(app: &TestApp) {
    let shop = app.register_app_on_stripe("shop", "acct_unc", None).await;
    seed(app, "acct_unc", "ch_unc", "pat@example.com");
    let action = uncertain_refund(
        app,
        &shop.id,
        json!({"account": "acct_unc", "charge": "ch_unc", "amount": 500}),
    )
    .await;
    refund_at_stripe(app, "acct_unc", "ch_unc", 500, &action.id).await;
    let ev = app
        .stripe
        .charge_event("charge.refunded", "acct_unc", "ch_unc")
        .expect("event");
    assert_eq!(app.post_stripe_event(&ev).await.status(), 200);
    app.drain().await;
    let row = app.action(&action.id).await;
    assert_eq!(row.state, "succeeded");
    assert!(
        audit_actions(app)
            .await
            .contains(&"action.reconciled".into())
    );
    assert_eq!(app.stripe.refund_count(), 1);
}

both!(
    a_settled_refund_still_revokes_access_in_the_app,
    pinned_clock
);
/// The follow-up the action could not run: revokeAccess in the app, once, even when Stripe
/// redelivers the event.
async fn a_settled_refund_still_revokes_access_in_the_app(app: &TestApp) {
    let shop = app.connect_first_app(&[]).await;
    let first = app.app_row("first-app").await;
    let account = support_testkit::FIRST_APP_ACCOUNT;
    let action = uncertain_refund(
        app,
        &first.id,
        json!({"account": account, "charge": "ch_seed_jonas_ess", "amount": 14_900, "purchase_id": "pur_jonas_ess"}),
    )
    .await;
    let refund = refund_at_stripe(app, account, "ch_seed_jonas_ess", 14_900, &action.id).await;
    for _ in 0..2 {
        let ev = app
            .stripe
            .charge_event("charge.refunded", account, "ch_seed_jonas_ess")
            .expect("event");
        assert_eq!(app.post_stripe_event(&ev).await.status(), 200);
        app.drain().await;
    }
    let row = app.action(&action.id).await;
    assert_eq!(row.state, "succeeded");
    let revoked: Vec<(String, String)> = support_store::sqlx::query_as(
        "SELECT purchase_id, refund_id FROM revocations WHERE purchase_id = 'pur_jonas_ess'",
    )
    .fetch_all(shop.pool())
    .await
    .expect("revocations");
    assert_eq!(revoked, vec![("pur_jonas_ess".to_owned(), refund)]);
    let follow_ups = audit_count(app, "action.follow_up").await;
    assert_eq!(follow_ups, 1);
    assert!(
        app.state
            .store
            .alerts(20)
            .await
            .expect("alerts")
            .iter()
            .all(|a| a.kind != "refund_settled_by_webhook")
    );
    shop.shutdown().await;
}

/// The escalations of a conversation about one dispute.
async fn dispute_escalations(
    app: &TestApp,
    conversation_id: &str,
    dispute_id: &str,
) -> Vec<support_store::actions::ActionRow> {
    app.state
        .store
        .actions_for_conversation(conversation_id)
        .await
        .expect("actions")
        .into_iter()
        .filter(|a| a.kind == "escalate_to_human" && a.params.contains(dispute_id))
        .collect()
}

both!(a_dispute_escalates_the_customers_conversation, pinned_clock);
async fn a_dispute_escalates_the_customers_conversation(app: &TestApp) {
    app.register_app_on_stripe("shop", "acct_dsp", Some("C0ESC"))
        .await;
    seed(app, "acct_dsp", "ch_dsp", "dana@example.com");
    let d = app
        .customer_writes("dana@example.com", "Order", "Where is my order? Thanks")
        .await;
    assert_eq!(d.status, 200);
    app.drain().await;
    app.clock.as_ref().expect("pinned").advance_ms(3_500);
    app.drain().await;
    let before = app.slack.messages().len();

    let ev = app
        .stripe
        .dispute_event("acct_dsp", "ch_dsp")
        .expect("event");
    let dispute_id = ev["data"]["object"]["id"].as_str().expect("id").to_owned();
    assert_eq!(app.post_stripe_event(&ev).await.status(), 200);
    app.drain().await;
    let (conv, _) = app.conversation(&d.conversation_id).await;
    let escalations = dispute_escalations(app, &conv.id, &dispute_id).await;
    assert_eq!(escalations.len(), 1);
    assert_eq!(escalations[0].state, "succeeded", "{:?}", escalations[0]);
    assert!(
        app.slack.messages().len() > before,
        "posted to the escalation channel"
    );

    // Redelivered (as a new event about the same dispute): no second escalation.
    let mut again = ev.clone();
    again["id"] = json!("evt_redelivered_dispute_0001");
    assert_eq!(app.post_stripe_event(&again).await.status(), 200);
    app.drain().await;
    let n = dispute_escalations(app, &conv.id, &dispute_id).await.len();
    assert_eq!(n, 1);
}

both!(the_refund_tool_checks_the_charge_before_it_posts);
/// C20 (the race after the policy decided) and C23 (a charge of another connected account)
/// at the tool: the action fails with the reason, nothing is POSTed, nothing is retried.
async fn the_refund_tool_checks_the_charge_before_it_posts(app: &TestApp) {
    seed(app, "acct_mine", "ch_mine", "pat@example.com");
    seed(app, "acct_theirs", "ch_theirs", "pat@example.com");
    app.stripe
        .refund_outside_platform("acct_mine", "ch_mine", Some(4000))
        .expect("partial refund elsewhere");
    for (charge, amount, why) in [
        ("ch_mine", 2000, "left to refund"),
        ("ch_theirs", 1000, "is not on connected account acct_mine"),
    ] {
        let r = app
            .post_json(
                "/api/v1/actions",
                &json!({"kind": "refund", "params": {"account": "acct_mine", "charge": charge, "amount": amount}}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let a: Value = r.json().await.expect("json");
        app.drain().await;
        let row = app
            .state
            .store
            .action(a["id"].as_str().expect("id"))
            .await
            .expect("row")
            .expect("exists");
        assert_eq!(row.state, "failed", "{row:?}");
        assert!(
            row.error.as_deref().unwrap_or_default().contains(why),
            "{row:?}"
        );
    }
    let posts = app.stripe_posts();
    assert_eq!(posts, 0);
    assert_eq!(app.stripe.refund_count(), 1, "only the one made elsewhere");
}
