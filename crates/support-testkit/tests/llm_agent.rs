//! The model's tool-using loop end to end, against the fake model in both wire formats: the
//! model reads the sender's account and purchases, searches, proposes one write and
//! finishes with `triage`; grounding refuses a write for someone else's purchase (inside the
//! loop, and again in the decision); every turn and call is a journaled step; turns and
//! tokens are bounded; tokens, turns and calls are recorded with the decision.

use serde_json::{Value, json};
use support_fakes::llm::{FakeLlm, FakeLlmConfig, FakeLlmReply, FakeToolCall, LlmWireFormat};
use support_llm::Provider;
use support_testkit::{Db, FIRST_APP_ACCOUNT, TestApp, first_app_email};

async fn spawn_limited(
    provider: Provider,
    mode: &'static str,
    max_tokens: Option<u64>,
) -> (TestApp, FakeLlm) {
    let llm = FakeLlm::start(FakeLlmConfig::default())
        .await
        .expect("fake llm");
    let base_url = match provider {
        Provider::Anthropic => llm.url(),
        Provider::OpenaiCompat => llm.openai_base_url(),
    };
    let app = TestApp::spawn_configured(Db::Sqlite, Some(support_store::now_ms()), move |c| {
        c.brain.mode = mode.parse().expect("mode");
        if let Some(t) = max_tokens {
            c.brain.max_tokens = t;
        }
        c.llm = Some(support_llm::LlmConfig {
            provider,
            base_url,
            model: "fake-model".into(),
            api_key: None,
            timeout_ms: 5_000,
            max_retries: 0,
            max_tokens_field: Default::default(),
        });
    })
    .await
    .expect("sqlite is always available");
    (app, llm)
}

async fn spawn(provider: Provider) -> (TestApp, FakeLlm) {
    spawn_limited(provider, "llm", None).await
}

fn call(name: &str, args: Value) -> FakeLlmReply {
    FakeLlmReply::tool_call(name, args)
}

/// The decision's record of the model's loop.
async fn model_record(app: &TestApp, cnv: &str) -> Value {
    let d = app.decisions_for(cnv).await.pop().expect("decision");
    let context: Value =
        serde_json::from_str(d.context.as_deref().expect("context")).expect("json");
    context["model"].clone()
}

/// The journal of the conversation's inbound run.
async fn journal(app: &TestApp, cnv: &str) -> Vec<String> {
    let d = app.decisions_for(cnv).await.pop().expect("decision");
    let run = app
        .state
        .store
        .wf_latest_with_prefix("inbound", &format!("conv:{}:", d.conversation_id))
        .await
        .expect("store")
        .expect("the inbound run");
    let mut steps: Vec<String> = app
        .state
        .store
        .wf_journal(&run.id)
        .await
        .expect("journal")
        .into_keys()
        .collect();
    steps.sort();
    steps
}

/// What a request told the model about each tool call it answered.
fn results(llm: &FakeLlm, n: usize) -> Vec<String> {
    let req = &llm.requests()[n];
    req.last_tool_results()
        .into_iter()
        .map(|(_, content)| content)
        .collect()
}

#[tokio::test]
async fn a_write_for_another_customers_purchase_is_refused_by_grounding() {
    for provider in [Provider::Anthropic, Provider::OpenaiCompat] {
        let (app, llm) = spawn(provider).await;
        let shop = app.connect_first_app(&[]).await;
        // Jonas asks about his own course; the model reads, then tries Maya's purchase (fresh,
        // inside every window: the policy alone would refund it) and insists in its triage.
        llm.push_replies([
            call("lookup_customer", json!({})),
            call("list_purchases", json!({})),
            call(
                "propose_refund",
                json!({"purchase_id": "pur_maya_tt", "reason": "customer asked"}),
            ),
            call(
                "triage",
                json!({
                    "category": "support_refund", "confidence": 0.97, "reasoning": "refund",
                    "action": "refund", "purchase_id": "pur_maya_tt",
                }),
            ),
        ]);
        let cnv = app
            .converse(
                &first_app_email("usr_jonas"),
                "Refund",
                "Please refund my TypeScript Essentials purchase, I bought the wrong course.",
            )
            .await;
        assert_eq!(
            llm.pending_replies(),
            0,
            "{provider:?}: the whole script ran"
        );
        assert_eq!(llm.call_count(), 4);
        // The read tools answered with Jonas's account and only his purchases.
        let who = results(&llm, 1);
        assert!(who[0].contains("usr_jonas"), "{who:?}");
        let purchases = results(&llm, 2);
        assert!(purchases[0].contains("pur_jonas_ess"), "{purchases:?}");
        assert!(!purchases[0].contains("pur_maya_tt"), "{purchases:?}");
        // The proposal was refused inside the loop, as an error result in the wire format.
        let refused = results(&llm, 3);
        assert!(
            refused[0].contains("refused") && refused[0].contains("pur_maya_tt"),
            "{refused:?}"
        );
        let last = llm.last_request().expect("request");
        match last.format {
            LlmWireFormat::Anthropic => {
                let blocks = &last.body["messages"]
                    .as_array()
                    .expect("messages")
                    .last()
                    .expect("turn")["content"];
                assert_eq!(blocks[0]["is_error"], true, "{blocks}");
            }
            LlmWireFormat::OpenAi => assert!(refused[0].starts_with("Error: "), "{refused:?}"),
        }
        // And the decision refused it again: nothing for Maya's purchase, a human instead.
        let acts = app.actions_for(&cnv).await;
        assert!(acts.iter().all(|a| a.kind != "refund"), "{acts:?}");
        assert!(
            acts.iter().any(|a| a.kind == "escalate_to_human"),
            "{acts:?}"
        );
        assert_eq!(app.stripe_posts(), 0, "{provider:?}: no money moved");
        let d = app.decisions_for(&cnv).await.pop().expect("decision");
        let proposals: Value = serde_json::from_str(&d.proposed_actions).expect("json");
        assert_eq!(
            proposals[0]["rule"], "unknown_named_purchase",
            "{proposals}"
        );
        assert_eq!(
            proposals[0]["grounding"]["how"], "named_not_owned",
            "{proposals}"
        );
        // The record: turns, tokens and each call with its outcome.
        let model = model_record(&app, &cnv).await;
        assert_eq!(model["turns"], 4, "{model}");
        assert!(
            model["input_tokens"].as_u64().is_some_and(|t| t > 0),
            "{model}"
        );
        assert!(
            model["output_tokens"].as_u64().is_some_and(|t| t > 0),
            "{model}"
        );
        let outcomes: Vec<&str> = model["calls"]
            .as_array()
            .expect("calls")
            .iter()
            .map(|c| c["outcome"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(outcomes, ["ok", "ok", "refused"], "{model}");
        shop.shutdown().await;
        llm.shutdown().await;
        app.finish().await;
    }
}

#[tokio::test]
async fn a_grounded_proposal_runs_under_the_policy_and_every_step_is_journaled() {
    for provider in [Provider::Anthropic, Provider::OpenaiCompat] {
        let (app, llm) = spawn(provider).await;
        let shop = app.connect_first_app(&[]).await;
        llm.push_replies([
            // Two reads at once.
            FakeLlmReply::ToolCalls {
                text: Some("Let me look.".into()),
                calls: vec![
                    FakeToolCall {
                        name: "list_purchases".into(),
                        arguments: json!({}),
                    },
                    FakeToolCall {
                        name: "search_knowledge".into(),
                        arguments: json!({"query": "refund policy"}),
                    },
                ],
            },
            call("propose_refund", json!({"purchase_id": "pur_jonas_ess"})),
            // The triage names no action: the accepted proposal is the model's action.
            call(
                "triage",
                json!({"category": "support_refund", "confidence": 0.93, "reasoning": "in window"}),
            ),
        ]);
        let cnv = app
            .converse(
                &first_app_email("usr_jonas"),
                "Money back",
                "Could I have my money back for TypeScript Essentials? It is not for me.",
            )
            .await;
        assert_eq!(llm.pending_replies(), 0);
        assert!(
            results(&llm, 2)[0].starts_with("proposed") || results(&llm, 2)[0].contains("proposed"),
            "{:?}",
            results(&llm, 2)
        );
        let acts = app.actions_for(&cnv).await;
        let refund = acts.iter().find(|a| a.kind == "refund").expect("refund");
        assert_eq!(refund.state, "succeeded", "{provider:?}: {refund:?}");
        let refunds = app.stripe.refunds(FIRST_APP_ACCOUNT);
        assert_eq!(refunds.len(), 1);
        assert_eq!(
            refunds[0].amount, 14_900,
            "the amount is the facts', not the model's"
        );
        let d = app.decisions_for(&cnv).await.pop().expect("decision");
        assert_eq!(d.brain, "llm");
        assert_eq!(d.prompt_version.as_deref(), Some("agent-v1"));
        let model = model_record(&app, &cnv).await;
        assert_eq!(model["turns"], 3, "{model}");
        let names: Vec<&str> = model["calls"]
            .as_array()
            .expect("calls")
            .iter()
            .map(|c| c["name"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            names,
            ["list_purchases", "search_knowledge", "propose_refund"],
            "{model}"
        );
        // Each model turn and each tool call is its own journaled step.
        let steps = journal(&app, &cnv).await;
        for step in [
            "llm:0",
            "llm:0:call:0",
            "llm:0:call:1",
            "llm:1",
            "llm:1:call:0",
            "llm:2",
        ] {
            assert!(steps.iter().any(|s| s == step), "{step} in {steps:?}");
        }
        // The model was offered the read and propose tools and the triage that ends it.
        let tools = llm.requests()[0].tool_names();
        for t in [
            "lookup_customer",
            "list_purchases",
            "conversation_history",
            "search_knowledge",
            "propose_refund",
            "propose_transfer",
            "propose_magic_link",
            "triage",
        ] {
            assert!(tools.iter().any(|n| n == t), "{t} in {tools:?}");
        }
        shop.shutdown().await;
        llm.shutdown().await;
        app.finish().await;
    }
}

#[tokio::test]
async fn the_loop_is_bounded_in_turns_and_tokens() {
    // A model that never finishes: six turns, then a human.
    let (app, llm) = spawn(Provider::OpenaiCompat).await;
    let shop = app.connect_first_app(&[]).await;
    llm.set_responder(|_| call("lookup_customer", json!({"email": "maya@example.com"})));
    let cnv = app
        .converse(
            &first_app_email("usr_jonas"),
            "Question",
            "Hello, I have a question about my course.",
        )
        .await;
    assert_eq!(llm.call_count(), 6, "max_turns");
    // The last turn demanded the triage.
    let last = llm.last_request().expect("request");
    assert_eq!(
        last.body["tool_choice"]["function"]["name"], "triage",
        "{}",
        last.body["tool_choice"]
    );
    // Reading another customer's account is an error, never their data.
    let answer = &results(&llm, 1)[0];
    assert!(
        answer.contains("only the account of the customer who wrote"),
        "{answer}"
    );
    let d = app.decisions_for(&cnv).await.pop().expect("decision");
    assert_eq!(d.routing, "escalate_human");
    let model = model_record(&app, &cnv).await;
    assert!(
        model["error"]
            .as_str()
            .is_some_and(|e| e.contains("did not finish within 6 turns")),
        "{model}"
    );
    assert!(app.front.drafts(&cnv).is_empty());
    shop.shutdown().await;
    llm.shutdown().await;
    app.finish().await;

    // A token budget smaller than one turn: one call, then a human.
    let (app, llm) = spawn_limited(Provider::Anthropic, "llm", Some(1_000)).await;
    let shop = app.connect_first_app(&[]).await;
    llm.set_responder(|_| call("list_purchases", json!({})));
    let cnv = app
        .converse(
            &first_app_email("usr_jonas"),
            "Question",
            &format!(
                "Hello, I have a question about my course. {}",
                "Details. ".repeat(600)
            ),
        )
        .await;
    assert_eq!(llm.call_count(), 1, "the budget stops the loop");
    let model = model_record(&app, &cnv).await;
    assert!(
        model["error"]
            .as_str()
            .is_some_and(|e| e.contains("more than 1000 tokens")),
        "{model}"
    );
    let d = app.decisions_for(&cnv).await.pop().expect("decision");
    assert_eq!(d.routing, "escalate_human");
    shop.shutdown().await;
    llm.shutdown().await;
    app.finish().await;
}

#[tokio::test]
async fn tiered_asks_the_model_only_when_the_rules_are_unsure() {
    let (app, llm) = spawn_limited(Provider::Anthropic, "tiered", None).await;
    let shop = app.connect_first_app(&[]).await;
    // Sure rules: no model call, the rules decide.
    let sure = app
        .converse(
            &first_app_email("usr_maya"),
            "Refund",
            "Hi, I would like a refund for Total TypeScript please, it is not for me.",
        )
        .await;
    assert_eq!(llm.call_count(), 0);
    assert_eq!(
        app.decisions_for(&sure).await.pop().expect("d").brain,
        "rules"
    );
    // Unsure rules: the model reads and triages.
    llm.push_replies([
        call("conversation_history", json!({})),
        call(
            "triage",
            json!({"category": "presales_faq", "confidence": 0.8, "reasoning": "a question"}),
        ),
    ]);
    let unsure = app
        .converse(
            &first_app_email("usr_sofia"),
            "hmm",
            "So about the thing we talked about, what now?",
        )
        .await;
    assert_eq!(llm.call_count(), 2, "{:?}", llm.requests().len());
    let d = app.decisions_for(&unsure).await.pop().expect("d");
    assert_eq!(d.brain, "llm");
    assert_eq!(model_record(&app, &unsure).await["turns"], 2);
    shop.shutdown().await;
    llm.shutdown().await;
    app.finish().await;
}
