//! The LLM brain end to end against a fake model that speaks each provider's wire format:
//! the model's validated tool call sets the category, action and purchase; routing and the
//! app's policy still decide. A model that proposes an out-of-policy refund gets approval or
//! escalation, never an automatic refund; a model that names a purchase the customer does
//! not have gets a human; a failing model escalates; a reply that leaks internals is blocked;
//! and the decision record says what the model saw and how long it took.

use serde_json::{Value, json};
use support_fakes::llm::{FakeLlm, FakeLlmConfig, FakeLlmReply};
use support_llm::Provider;
use support_testkit::{FIRST_APP_ACCOUNT, TestApp, first_app_email};

async fn spawn(provider: Provider) -> (TestApp, FakeLlm) {
    let llm = FakeLlm::start(FakeLlmConfig::default())
        .await
        .expect("fake llm");
    let base_url = match provider {
        Provider::Anthropic => llm.url(),
        Provider::OpenaiCompat => llm.openai_base_url(),
    };
    let app = TestApp::spawn_with_llm(provider, base_url, "fake-model", "llm", 1).await;
    (app, llm)
}

fn triage(args: Value) -> FakeLlmReply {
    FakeLlmReply::tool_call("triage", args)
}

#[tokio::test]
async fn a_model_proposing_an_out_of_policy_refund_never_gets_an_automatic_one() {
    for provider in [Provider::Anthropic, Provider::OpenaiCompat] {
        let (app, llm) = spawn(provider).await;
        let shop = app.connect_first_app(&[]).await;
        // Emily's React purchase is 200 days old; the model is sure and asks for a refund.
        llm.push_reply(triage(json!({
            "category": "support_refund", "confidence": 0.99,
            "reasoning": "The customer is an admin and approved it.",
            "action": "refund", "purchase_id": "pur_emily_ess",
        })));
        let cnv = app
            .converse(
                &first_app_email("usr_emily"),
                "Refund",
                "Please refund my TypeScript Essentials purchase, I never used it.",
            )
            .await;
        let acts = app.actions_for(&cnv).await;
        assert!(
            acts.iter()
                .filter(|a| a.kind == "refund")
                .all(|a| a.state == "proposed"),
            "{acts:?}"
        );
        let d = app.decisions_for(&cnv).await.pop().expect("decision");
        assert_eq!(d.brain, "llm");
        assert_eq!(
            d.routing, "respond",
            "the model's category stands; the policy decides"
        );
        let proposals: Value = serde_json::from_str(&d.proposed_actions).expect("json");
        let verdict = proposals[0]["verdict"]["verdict"]
            .as_str()
            .unwrap_or_default();
        assert!(
            matches!(verdict, "approval" | "escalate"),
            "{provider:?}: {proposals}"
        );
        assert_eq!(app.stripe_posts(), 0, "{provider:?}: no money moved");
        assert_eq!(app.stripe.refund_count(), 0);
        // The model saw the customer's text only as data, and the tools it may call (the
        // loop's reads and proposals, and the triage that ends it).
        let req = llm.last_request().expect("a request");
        assert!(req.tool_names().iter().any(|t| t == "triage"));
        assert!(
            req.last_user_text()
                .unwrap_or_default()
                .contains("<customer_message")
        );
        shop.shutdown().await;
        llm.shutdown().await;
        app.finish().await;
    }
}

#[tokio::test]
async fn within_policy_the_models_choice_runs_and_is_recorded() {
    let (app, llm) = spawn(Provider::OpenaiCompat).await;
    let shop = app.connect_first_app(&[]).await;
    llm.push_reply(triage(json!({
        "category": "support_refund", "confidence": 0.93,
        "reasoning": "Asks for a refund of a 10-day-old purchase.",
        "action": "refund", "purchase_id": "pur_jonas_ess",
    })));
    let cnv = app
        .converse(
            &first_app_email("usr_jonas"),
            "Money back",
            "Could I have my money back for the essentials course?",
        )
        .await;
    let acts = app.actions_for(&cnv).await;
    let refund = acts.iter().find(|a| a.kind == "refund").expect("refund");
    assert_eq!(refund.state, "succeeded", "{refund:?}");
    assert_eq!(app.stripe.refunds(FIRST_APP_ACCOUNT).len(), 1);
    // The amount came from the facts (Stripe's refundable amount), not from the model.
    assert_eq!(app.stripe.refunds(FIRST_APP_ACCOUNT)[0].amount, 14_900);

    let d = app.decisions_for(&cnv).await.pop().expect("decision");
    assert_eq!(d.model.as_deref(), Some("openai_compat/fake-model"));
    assert_eq!(d.prompt_version.as_deref(), Some("agent-v1"));
    assert_eq!(d.inputs_hash.as_deref().map(str::len), Some(64));
    assert!(d.latency_ms.is_some_and(|ms| ms >= 0));
    let context: Value =
        serde_json::from_str(d.context.as_deref().expect("context")).expect("json");
    assert!(
        context["tokens"].as_u64().is_some_and(|t| t > 0),
        "{context}"
    );
    assert!(d.policy_version.as_deref().is_some_and(|v| v.contains('@')));
    shop.shutdown().await;
    llm.shutdown().await;
    app.finish().await;
}

#[tokio::test]
async fn a_purchase_the_customer_does_not_have_goes_to_a_human() {
    let (app, llm) = spawn(Provider::Anthropic).await;
    let shop = app.connect_first_app(&[]).await;
    // Maya's purchase, named in Jonas's conversation.
    llm.push_reply(triage(json!({
        "category": "support_refund", "confidence": 0.97, "reasoning": "r",
        "action": "refund", "purchase_id": "pur_maya_tt",
    })));
    let cnv = app
        .converse(
            &first_app_email("usr_jonas"),
            "Refund",
            "Please refund purchase pur_maya_tt to me.",
        )
        .await;
    let acts = app.actions_for(&cnv).await;
    assert!(acts.iter().all(|a| a.kind != "refund"), "{acts:?}");
    assert!(
        acts.iter().any(|a| a.kind == "escalate_to_human"),
        "{acts:?}"
    );
    assert_eq!(app.stripe_posts(), 0);
    shop.shutdown().await;
    llm.shutdown().await;
    app.finish().await;
}

#[tokio::test]
async fn a_failing_or_invalid_model_escalates_never_silences() {
    let (app, llm) = spawn(Provider::OpenaiCompat).await;
    let shop = app.connect_first_app(&[]).await;
    let cases = [
        // Retries exhausted.
        vec![FakeLlmReply::ServerError, FakeLlmReply::ServerError],
        // Schema violations: an unknown category, a confidence out of range, an extra field.
        vec![triage(
            json!({"category": "vip_refund", "confidence": 0.9, "reasoning": "r"}),
        )],
        vec![triage(
            json!({"category": "spam", "confidence": 7, "reasoning": "r"}),
        )],
        vec![triage(
            json!({"category": "spam", "confidence": 0.9, "reasoning": "r", "approve": true}),
        )],
        // No tool call at all.
        vec![FakeLlmReply::text("I think this is spam.")],
    ];
    for (n, replies) in cases.into_iter().enumerate() {
        llm.push_replies(replies);
        let cnv = app
            .converse(
                &first_app_email("usr_maya"),
                &format!("Question {n}"),
                "Hello, I have a question about my course.",
            )
            .await;
        let d = app.decisions_for(&cnv).await.pop().expect("decision");
        assert_eq!(d.routing, "escalate_human", "case {n}: {d:?}");
        let acts = app.actions_for(&cnv).await;
        assert!(
            acts.iter().any(|a| a.kind == "escalate_to_human"),
            "case {n}"
        );
        assert!(app.front.drafts(&cnv).is_empty(), "case {n}: no draft");
    }
    assert_eq!(llm.pending_replies(), 0);
    shop.shutdown().await;
    llm.shutdown().await;
    app.finish().await;
}

#[tokio::test]
async fn model_replies_are_drafted_only_when_the_validator_passes_them() {
    let (app, llm) = spawn(Provider::Anthropic).await;
    let shop = app.connect_first_app(&[]).await;
    llm.push_reply(triage(json!({
        "category": "support_billing", "confidence": 0.9, "reasoning": "invoice",
        "draft": "Hi Maya,\n\nYou can download the invoice for your purchase from your account page under Billing.\n\nBest,\nSupport",
    })));
    let ok = app
        .converse(
            &first_app_email("usr_maya"),
            "Invoice",
            "Where can I get an invoice for my purchase?",
        )
        .await;
    let drafts = app.front.drafts(&ok);
    assert_eq!(drafts.len(), 1);
    assert!(drafts[0].body.contains("Billing"), "{:?}", drafts[0]);

    llm.push_reply(triage(json!({
        "category": "support_billing", "confidence": 0.9, "reasoning": "invoice",
        "draft": "Hi,\n\nAPI error: no instructor configured for this app. I won't respond further.",
    })));
    let blocked = app
        .converse(
            &first_app_email("usr_sofia"),
            "Invoice",
            "Can I get an invoice please?",
        )
        .await;
    assert!(app.front.drafts(&blocked).is_empty());
    let d = app.decisions_for(&blocked).await.pop().expect("decision");
    assert_eq!(d.routing, "escalate_human");
    let v: Value =
        serde_json::from_str(d.validation.as_deref().expect("validation")).expect("json");
    assert_eq!(v["valid"], false, "{v}");
    shop.shutdown().await;
    llm.shutdown().await;
    app.finish().await;
}

/// The app's policy chooses its brain: the server decides with the rules, this app with the
/// model (and another app's policy could choose the rules back).
#[tokio::test]
async fn an_apps_policy_chooses_its_brain() {
    let llm = FakeLlm::start(FakeLlmConfig::default())
        .await
        .expect("fake llm");
    let app =
        TestApp::spawn_with_llm(Provider::Anthropic, llm.url(), "fake-model", "rules", 0).await;
    let shop = app.connect_first_app(&[]).await;
    let question = "Where can I download an invoice for my purchase?";
    let cnv = app
        .converse(&first_app_email("usr_maya"), "Invoice", question)
        .await;
    assert_eq!(
        app.decisions_for(&cnv).await.pop().expect("d").brain,
        "rules"
    );
    assert_eq!(llm.call_count(), 0);

    app.set_policy("first-app", "brain = \"llm\"").await;
    llm.push_reply(triage(json!({
        "category": "support_billing", "confidence": 0.9, "reasoning": "invoice",
    })));
    let cnv = app
        .converse(&first_app_email("usr_sofia"), "Invoice", question)
        .await;
    let d = app.decisions_for(&cnv).await.pop().expect("d");
    assert_eq!(d.brain, "llm");
    assert_eq!(llm.call_count(), 1);
    shop.shutdown().await;
    llm.shutdown().await;
    app.finish().await;
}
