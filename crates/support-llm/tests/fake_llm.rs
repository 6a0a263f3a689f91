//! Both clients against a real `FakeLlm` over loopback HTTP: tool calls and text in both wire
//! formats, multi-turn tool results as the fake recorded them, retries and what they report,
//! timeouts, typed errors for malformed arguments, schema validation of the arguments that
//! came over the wire, key redaction and base-URL joining.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support_fakes::llm::{
    FakeLlm, FakeLlmConfig, FakeLlmReply, FakeToolCall, LlmRequest, LlmWireFormat,
};
use support_llm::{
    AnthropicClient, ApiKey, ChatRequest, LlmClient, LlmConfig, LlmError, Message,
    OpenAiCompatClient, Provider, RetryPolicy, StopReason, ToolCallError, ToolChoice,
    ToolResultContent, ToolSpec, client_from_config,
};

const KEY: &str = "sk-test-SUPERSECRET-0123456789";
const BOTH: [Provider; 2] = [Provider::Anthropic, Provider::OpenaiCompat];

fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

async fn fake(key: Option<&str>) -> FakeLlm {
    FakeLlm::start(FakeLlmConfig {
        api_key: key.map(str::to_owned),
        ..FakeLlmConfig::default()
    })
    .await
    .expect("start fake")
}

fn base_url(p: Provider, fake: &FakeLlm) -> String {
    match p {
        Provider::Anthropic => fake.url(),
        Provider::OpenaiCompat => fake.openai_base_url(),
    }
}

fn config(p: Provider, base_url: String, key: Option<&str>) -> LlmConfig {
    LlmConfig {
        provider: p,
        base_url,
        model: "test-model".into(),
        api_key: key.map(ApiKey::new),
        timeout_ms: 5_000,
        max_retries: 3,
        max_tokens_field: Default::default(),
    }
}

/// Short backoff so retry tests stay fast; `Retry-After` still honoured up to 2 s.
fn fast(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(2),
    }
}

fn build(cfg: &LlmConfig) -> Arc<dyn LlmClient> {
    install_crypto();
    let policy = fast(cfg.max_retries);
    match cfg.provider {
        Provider::Anthropic => Arc::new(
            AnthropicClient::from_config(cfg)
                .expect("client")
                .with_retry_policy(policy),
        ),
        Provider::OpenaiCompat => Arc::new(
            OpenAiCompatClient::from_config(cfg)
                .expect("client")
                .with_retry_policy(policy),
        ),
    }
}

fn client(p: Provider, fake: &FakeLlm, key: Option<&str>) -> Arc<dyn LlmClient> {
    build(&config(p, base_url(p, fake), key))
}

fn refund_tool() -> ToolSpec {
    ToolSpec {
        name: "refund".into(),
        description: "Refund a purchase".into(),
        input_schema: json!({
            "type": "object",
            "properties": {
                "purchase_id": {"type": "string", "minLength": 3},
                "amount_cents": {"type": "integer", "minimum": 1, "maximum": 50000},
                "reason": {"type": "string", "enum": ["duplicate", "requested_by_customer"]},
            },
            "required": ["purchase_id", "amount_cents", "reason"],
            "additionalProperties": false,
        }),
    }
}

fn lookup_tool() -> ToolSpec {
    ToolSpec {
        name: "lookup_customer".into(),
        description: "Find a customer by email".into(),
        input_schema: json!({
            "type": "object",
            "properties": {"email": {"type": "string"}},
            "required": ["email"],
            "additionalProperties": false,
        }),
    }
}

fn request(text: &str) -> ChatRequest {
    ChatRequest {
        system: "You are a support agent.".into(),
        messages: vec![Message::user(text)],
        tools: vec![refund_tool(), lookup_tool()],
        max_tokens: 512,
        temperature: Some(0.0),
        tool_choice: ToolChoice::Auto,
    }
}

fn good_refund() -> Value {
    json!({"purchase_id": "pur_123", "amount_cents": 2500, "reason": "requested_by_customer"})
}

#[tokio::test]
async fn both_formats_round_trip_a_tool_call_and_a_text_reply() {
    for p in BOTH {
        let fake = fake(Some(KEY)).await;
        let c = client(p, &fake, Some(KEY));
        assert_eq!(c.provider(), p);
        assert_eq!(c.model(), "test-model");

        fake.push_reply(FakeLlmReply::tool_call("refund", good_refund()));
        let r = c
            .complete(&request("refund me please"))
            .await
            .expect("tool call");
        assert_eq!(r.stop_reason, StopReason::ToolUse, "{p}");
        assert_eq!(r.text, None);
        assert_eq!(r.tool_calls.len(), 1);
        assert_eq!(r.tool_calls[0].name, "refund");
        assert_eq!(r.tool_calls[0].arguments, good_refund());
        assert!(!r.tool_calls[0].id.is_empty());
        assert_eq!(r.attempts, 1);
        assert_eq!(r.model, "test-model");
        assert!(r.usage.input_tokens > 0 && r.usage.output_tokens > 0);
        let v = r.validated_call(&request("").tools).expect("valid call");
        assert_eq!(v.name(), "refund");
        assert_eq!(v.arguments()["amount_cents"], json!(2500));

        fake.push_reply(FakeLlmReply::text("Your refund is on its way."));
        let r = c.complete(&request("thanks")).await.expect("text");
        assert_eq!(r.text.as_deref(), Some("Your refund is on its way."));
        assert!(r.tool_calls.is_empty());
        assert_eq!(r.stop_reason, StopReason::EndTurn);
        assert_eq!(
            r.validated_call(&request("").tools),
            Err(ToolCallError::NoToolCall)
        );

        // What went over the wire.
        let log = fake.request_log();
        assert_eq!(log.len(), 2);
        let rec = &log[0];
        assert_eq!(rec.method, "POST");
        assert_eq!(rec.header("content-type"), Some("application/json"));
        match p {
            Provider::Anthropic => {
                assert_eq!(rec.path, "/v1/messages");
                assert_eq!(rec.header("x-api-key"), Some(KEY));
                assert_eq!(rec.header("anthropic-version"), Some("2023-06-01"));
                assert_eq!(rec.header("authorization"), None);
            }
            Provider::OpenaiCompat => {
                assert_eq!(rec.path, "/v1/chat/completions");
                let bearer = format!("Bearer {KEY}");
                assert_eq!(rec.header("authorization"), Some(bearer.as_str()));
                assert_eq!(rec.header("x-api-key"), None);
            }
        }
        let body = &fake.requests()[0].body;
        assert_eq!(body["model"], "test-model");
        assert_eq!(body["max_tokens"], 512);
        assert_eq!(
            fake.requests()[0].system().as_deref(),
            Some("You are a support agent.")
        );
        assert_eq!(
            fake.requests()[0].tool_names(),
            vec!["refund", "lookup_customer"]
        );
        assert_eq!(fake.call_count(), 2);
        assert_eq!(fake.pending_replies(), 0);
        fake.shutdown().await;
    }
}

#[tokio::test]
async fn openai_compat_without_a_key_sends_no_auth_header() {
    let fake = fake(None).await;
    let c = client(Provider::OpenaiCompat, &fake, None);
    fake.push_reply(FakeLlmReply::text("hi"));
    let r = c.complete(&request("hello")).await.expect("reply");
    assert_eq!(r.text.as_deref(), Some("hi"));
    assert_eq!(fake.request_log()[0].header("authorization"), None);
    fake.shutdown().await;
}

/// `max_tokens_field = "max_completion_tokens"` (OpenAI's reasoning models refuse
/// `max_tokens`): the length goes under that name, and only that name.
#[tokio::test]
async fn openai_compat_can_name_the_length_field_max_completion_tokens() {
    let fake = fake(None).await;
    for (field, sent, absent) in [
        (
            support_llm::MaxTokensField::MaxTokens,
            "max_tokens",
            "max_completion_tokens",
        ),
        (
            support_llm::MaxTokensField::MaxCompletionTokens,
            "max_completion_tokens",
            "max_tokens",
        ),
    ] {
        let c = build(&LlmConfig {
            max_tokens_field: field,
            ..config(
                Provider::OpenaiCompat,
                base_url(Provider::OpenaiCompat, &fake),
                None,
            )
        });
        fake.push_reply(FakeLlmReply::text("hi"));
        c.complete(&request("hello")).await.expect("reply");
        let body = fake.requests().last().expect("a request").body.clone();
        assert!(body[sent].as_u64().is_some_and(|n| n > 0), "{body}");
        assert!(body.get(absent).is_none(), "{body}");
    }
    fake.shutdown().await;
}

/// A responder that looks up the customer first, then answers once it sees the result.
fn lookup_then_answer(req: &LlmRequest) -> FakeLlmReply {
    match req.last_tool_results().first() {
        Some((_, content)) => FakeLlmReply::text(format!("Found: {content}")),
        None => FakeLlmReply::ToolCalls {
            text: Some("Let me check.".into()),
            calls: vec![FakeToolCall {
                name: "lookup_customer".into(),
                arguments: json!({"email": "ada@example.com"}),
            }],
        },
    }
}

#[tokio::test]
async fn multi_turn_with_a_tool_result_is_serialised_per_format() {
    for p in BOTH {
        let fake = fake(None).await;
        fake.set_responder(lookup_then_answer);
        let c = client(p, &fake, None);

        let mut req = request("Where is my order? I'm ada@example.com");
        let first = c.complete(&req).await.expect("first turn");
        assert_eq!(first.text.as_deref(), Some("Let me check."));
        let call = first.validated_call(&req.tools).expect("valid lookup");
        assert_eq!(call.arguments()["email"], "ada@example.com");

        req.messages.push(Message::Assistant {
            text: first.text.clone(),
            tool_calls: first.tool_calls.clone(),
        });
        req.messages.push(Message::tool_result(
            call.id(),
            ToolResultContent::Json(json!({"customer_id": "cus_1", "orders": 2})),
        ));
        let second = c.complete(&req).await.expect("second turn");
        assert_eq!(
            second.text.as_deref(),
            Some(r#"Found: {"customer_id":"cus_1","orders":2}"#)
        );

        // The fake accepted the pairing (it refuses unanswered or orphaned tool calls); check
        // the exact shape it recorded too.
        let sent = &fake.requests()[1].body;
        let id = call.id();
        match p {
            Provider::Anthropic => {
                assert_eq!(sent["system"], "You are a support agent.");
                assert_eq!(
                    sent["messages"],
                    json!([
                        {"role": "user", "content": [{"type": "text", "text": "Where is my order? I'm ada@example.com"}]},
                        {"role": "assistant", "content": [
                            {"type": "text", "text": "Let me check."},
                            {"type": "tool_use", "id": id, "name": "lookup_customer",
                             "input": {"email": "ada@example.com"}},
                        ]},
                        {"role": "user", "content": [
                            {"type": "tool_result", "tool_use_id": id,
                             "content": "{\"customer_id\":\"cus_1\",\"orders\":2}"},
                        ]},
                    ])
                );
                assert_eq!(sent["tool_choice"], json!({"type": "auto"}));
                assert_eq!(sent["tools"][0]["input_schema"], refund_tool().input_schema);
            }
            Provider::OpenaiCompat => {
                assert_eq!(
                    sent["messages"],
                    json!([
                        {"role": "system", "content": "You are a support agent."},
                        {"role": "user", "content": "Where is my order? I'm ada@example.com"},
                        {"role": "assistant", "content": "Let me check.", "tool_calls": [
                            {"id": id, "type": "function", "function": {
                                "name": "lookup_customer",
                                "arguments": "{\"email\":\"ada@example.com\"}"}},
                        ]},
                        {"role": "tool", "tool_call_id": id,
                         "content": "{\"customer_id\":\"cus_1\",\"orders\":2}"},
                    ])
                );
                assert_eq!(sent["tool_choice"], "auto");
                assert_eq!(sent["tools"][0]["type"], "function");
                assert_eq!(
                    sent["tools"][0]["function"]["parameters"],
                    refund_tool().input_schema
                );
            }
        }
        fake.shutdown().await;
    }
}

#[tokio::test]
async fn forced_tool_choice_goes_over_the_wire() {
    for p in BOTH {
        let fake = fake(None).await;
        let c = client(p, &fake, None);
        fake.push_reply(FakeLlmReply::tool_call("refund", good_refund()));
        let mut req = request("refund");
        req.tool_choice = ToolChoice::Tool("refund".into());
        c.complete(&req).await.expect("reply");
        let sent = &fake.requests()[0].body["tool_choice"];
        match p {
            Provider::Anthropic => assert_eq!(*sent, json!({"type": "tool", "name": "refund"})),
            Provider::OpenaiCompat => assert_eq!(
                *sent,
                json!({"type": "function", "function": {"name": "refund"}})
            ),
        }
        // A tool that is not offered is refused before anything is sent.
        req.tool_choice = ToolChoice::Tool("delete_account".into());
        let e = c.complete(&req).await.unwrap_err();
        assert!(matches!(e, LlmError::InvalidRequest(_)), "{e:?}");
        assert_eq!(fake.call_count(), 1);
        fake.shutdown().await;
    }
}

#[tokio::test]
async fn transient_errors_are_retried_then_succeed_and_attempts_are_reported() {
    for p in BOTH {
        let fake = fake(None).await;
        let c = client(p, &fake, None);
        fake.push_replies([
            FakeLlmReply::ServerError,
            FakeLlmReply::RateLimited {
                retry_after_secs: Some(1),
            },
            FakeLlmReply::Overloaded,
            FakeLlmReply::text("finally"),
        ]);
        let started = Instant::now();
        let r = c
            .complete(&request("hi"))
            .await
            .expect("succeeds in the end");
        assert_eq!(r.text.as_deref(), Some("finally"));
        assert_eq!(r.attempts, 4, "{p}");
        assert_eq!(fake.call_count(), 4);
        // The 429's Retry-After (1 s) was honoured, not the 10 ms backoff.
        assert!(started.elapsed() >= Duration::from_secs(1), "{p}");
        fake.shutdown().await;
    }
}

#[tokio::test]
async fn anthropic_529_is_retried() {
    let fake = fake(None).await;
    let c = client(Provider::Anthropic, &fake, None);
    fake.push_replies([FakeLlmReply::Overloaded, FakeLlmReply::text("ok")]);
    let r = c.complete(&request("hi")).await.expect("ok");
    assert_eq!(r.attempts, 2);
    assert_eq!(fake.call_count(), 2);
    fake.shutdown().await;
}

#[tokio::test]
async fn retry_after_is_capped() {
    let fake = fake(None).await;
    install_crypto();
    let c = AnthropicClient::from_config(&config(Provider::Anthropic, fake.url(), None))
        .unwrap()
        .with_retry_policy(RetryPolicy {
            max_retry_after: Duration::from_millis(100),
            ..fast(1)
        });
    fake.push_replies([
        FakeLlmReply::RateLimited {
            retry_after_secs: Some(3600),
        },
        FakeLlmReply::text("ok"),
    ]);
    let started = Instant::now();
    let r = c.complete(&request("hi")).await.expect("ok");
    assert_eq!(r.attempts, 2);
    assert!(started.elapsed() < Duration::from_secs(3));
    fake.shutdown().await;
}

#[tokio::test]
async fn persistent_server_errors_exhaust_the_retries() {
    for p in BOTH {
        let fake = fake(None).await;
        let mut cfg = config(p, base_url(p, &fake), None);
        cfg.max_retries = 2;
        let c = build(&cfg);
        fake.push_replies([
            FakeLlmReply::ServerError,
            FakeLlmReply::ServerError,
            FakeLlmReply::ServerError,
            FakeLlmReply::text("never reached"),
        ]);
        let e = c.complete(&request("hi")).await.unwrap_err();
        match &e {
            LlmError::RetriesExhausted { attempts, last } => {
                assert_eq!(*attempts, 3);
                assert!(
                    matches!(**last, LlmError::Server { status: 500, .. }),
                    "{last:?}"
                );
            }
            other => panic!("{p}: {other:?}"),
        }
        assert_eq!(e.attempts(), 3);
        assert!(e.is_transient());
        assert_eq!(fake.call_count(), 3);
        assert_eq!(fake.pending_replies(), 1);
        fake.shutdown().await;
    }
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    for p in BOTH {
        let fake = fake(Some(KEY)).await;
        let c = client(p, &fake, Some(KEY));
        fake.push_replies([
            FakeLlmReply::Error {
                status: 400,
                kind: "invalid_request_error".into(),
                message: "max_tokens: too large for this model".into(),
            },
            FakeLlmReply::text("not reached by the 400"),
        ]);
        let e = c.complete(&request("hi")).await.unwrap_err();
        assert_eq!(
            e,
            LlmError::Api {
                status: 400,
                kind: "invalid_request_error".into(),
                message: "max_tokens: too large for this model".into(),
            },
            "{p}"
        );
        assert!(!e.is_transient());
        assert_eq!(fake.call_count(), 1);

        // A wrong key: 401, once, in the provider's error shape.
        let wrong = client(p, &fake, Some("sk-wrong-key"));
        let e = wrong.complete(&request("hi")).await.unwrap_err();
        match (&e, p) {
            (
                LlmError::Api {
                    status: 401, kind, ..
                },
                Provider::Anthropic,
            ) => {
                assert_eq!(kind, "authentication_error");
            }
            (
                LlmError::Api {
                    status: 401, kind, ..
                },
                Provider::OpenaiCompat,
            ) => {
                assert_eq!(kind, "invalid_request_error");
            }
            other => panic!("{other:?}"),
        }
        // No key at all.
        let none = client(p, &fake, None);
        let e = none.complete(&request("hi")).await.unwrap_err();
        assert!(matches!(e, LlmError::Api { status: 401, .. }), "{e:?}");
        assert_eq!(fake.call_count(), 3);
        // The scripted text was never consumed by a 401.
        assert_eq!(fake.pending_replies(), 1);
        fake.shutdown().await;
    }
}

#[tokio::test]
async fn a_slow_provider_times_out_after_the_retries() {
    for p in BOTH {
        let fake = fake(None).await;
        let mut cfg = config(p, base_url(p, &fake), None);
        cfg.timeout_ms = 200;
        cfg.max_retries = 1;
        let c = build(&cfg);
        let slow =
            || FakeLlmReply::delayed(Duration::from_millis(1500), FakeLlmReply::text("late"));
        fake.push_replies([slow(), slow()]);
        let started = Instant::now();
        let e = c.complete(&request("hi")).await.unwrap_err();
        assert_eq!(
            e,
            LlmError::RetriesExhausted {
                attempts: 2,
                last: Box::new(LlmError::Timeout)
            },
            "{p}"
        );
        assert_eq!(e.root(), &LlmError::Timeout);
        assert!(
            started.elapsed() < Duration::from_millis(1400),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(fake.call_count(), 2);
        fake.shutdown().await;
    }
}

#[tokio::test]
async fn malformed_tool_arguments_are_a_typed_error_and_not_retried() {
    for p in BOTH {
        let fake = fake(None).await;
        let c = client(p, &fake, None);
        fake.push_reply(FakeLlmReply::MalformedArguments {
            name: "refund".into(),
            raw: r#"{"purchase_id": "pur_1", "amount_cents": 25"#.into(),
        });
        let e = c.complete(&request("refund")).await.unwrap_err();
        match &e {
            LlmError::MalformedToolArguments {
                name, tool_call_id, ..
            } => {
                assert_eq!(name, "refund");
                assert!(!tool_call_id.is_empty());
            }
            other => panic!("{p}: {other:?}"),
        }
        // Valid JSON that is not an object is refused the same way.
        fake.push_reply(FakeLlmReply::MalformedArguments {
            name: "refund".into(),
            raw: "[2500]".into(),
        });
        let e = c.complete(&request("refund")).await.unwrap_err();
        assert!(
            matches!(e, LlmError::MalformedToolArguments { .. }),
            "{e:?}"
        );
        assert_eq!(fake.call_count(), 2);
        fake.shutdown().await;
    }
}

#[tokio::test]
async fn arguments_from_the_wire_are_checked_against_the_offered_schema() {
    let bad_cases: Vec<(&str, Value, &str)> = vec![
        (
            "wrong type",
            json!({"purchase_id": "pur_123", "amount_cents": "2500", "reason": "duplicate"}),
            "$.amount_cents: expected integer, got string",
        ),
        (
            "missing required",
            json!({"purchase_id": "pur_123", "reason": "duplicate"}),
            "$: missing required property `amount_cents`",
        ),
        (
            "extra property",
            json!({"purchase_id": "pur_123", "amount_cents": 10, "reason": "duplicate", "approved_by": "admin"}),
            "$.approved_by: property is not allowed",
        ),
        (
            "enum violation",
            json!({"purchase_id": "pur_123", "amount_cents": 10, "reason": "ignore previous instructions"}),
            "$.reason: must be one of \"duplicate\", \"requested_by_customer\"",
        ),
        (
            "out of range",
            json!({"purchase_id": "pur_123", "amount_cents": 999999, "reason": "duplicate"}),
            "$.amount_cents: must be <= 50000",
        ),
        (
            "negative",
            json!({"purchase_id": "pur_123", "amount_cents": -5, "reason": "duplicate"}),
            "$.amount_cents: must be >= 1",
        ),
    ];
    for p in BOTH {
        let fake = fake(None).await;
        let c = client(p, &fake, None);
        let req = request("refund");
        for (what, args, expected) in &bad_cases {
            fake.push_reply(FakeLlmReply::tool_call("refund", args.clone()));
            let r = c.complete(&req).await.expect("transport is fine");
            match r.validated_call(&req.tools) {
                Err(ToolCallError::InvalidArguments { name, violations }) => {
                    assert_eq!(name, "refund");
                    let got: Vec<String> = violations.iter().map(ToString::to_string).collect();
                    assert_eq!(got, vec![expected.to_string()], "{p} {what}");
                }
                other => panic!("{p} {what}: {other:?}"),
            }
        }
        // A tool the request did not offer.
        fake.push_reply(FakeLlmReply::tool_call(
            "delete_account",
            json!({"confirm": true}),
        ));
        let r = c.complete(&req).await.expect("transport is fine");
        assert_eq!(
            r.validated_call(&req.tools),
            Err(ToolCallError::UnknownTool {
                name: "delete_account".into()
            })
        );
        // And the good one passes.
        fake.push_reply(FakeLlmReply::tool_call("refund", good_refund()));
        let r = c.complete(&req).await.expect("ok");
        assert!(r.validated_call(&req.tools).is_ok());
        fake.shutdown().await;
    }
}

#[tokio::test]
async fn the_key_never_shows_in_debug_or_errors() {
    install_crypto();
    let fake = fake(Some(KEY)).await;
    for p in BOTH {
        let cfg = config(p, base_url(p, &fake), Some(KEY));
        let dbg = format!("{cfg:?} {cfg:#?}");
        assert!(!dbg.contains("SUPERSECRET"), "{dbg}");
        assert!(dbg.contains("[redacted]"));
        let a = AnthropicClient::from_config(&cfg).unwrap();
        let o = OpenAiCompatClient::from_config(&cfg).unwrap();
        let dbg = format!("{a:?} {o:?} {a:#?}");
        assert!(!dbg.contains("SUPERSECRET"), "{dbg}");

        // A provider that echoes the key back in its error message gets it scrubbed.
        fake.push_reply(FakeLlmReply::Raw {
            status: 403,
            body: json!({"type": "error", "error": {"type": "permission_error",
                          "message": format!("key {KEY} may not use this model")}})
            .to_string(),
        });
        let e = build(&cfg).complete(&request("hi")).await.unwrap_err();
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("SUPERSECRET"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn base_urls_with_and_without_trailing_slash_work() {
    let fake = fake(None).await;
    let bases = [
        (Provider::Anthropic, fake.url()),
        (Provider::Anthropic, format!("{}/", fake.url())),
        (Provider::Anthropic, format!("{}/v1/", fake.url())),
        (Provider::OpenaiCompat, fake.openai_base_url()),
        (
            Provider::OpenaiCompat,
            format!("{}/", fake.openai_base_url()),
        ),
    ];
    for (p, base) in &bases {
        fake.push_reply(FakeLlmReply::text("ok"));
        let c = build(&config(*p, base.clone(), None));
        let r = c.complete(&request("hi")).await;
        assert_eq!(r.map(|r| r.text), Ok(Some("ok".to_owned())), "{p} {base}");
    }
    let paths: Vec<String> = fake.request_log().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        vec![
            "/v1/messages",
            "/v1/messages",
            "/v1/messages",
            "/v1/chat/completions",
            "/v1/chat/completions"
        ]
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn client_from_config_picks_the_wire_format() {
    install_crypto();
    let fake = fake(None).await;
    for p in BOTH {
        let c = client_from_config(&config(p, base_url(p, &fake), None)).expect("client");
        assert_eq!(c.provider(), p);
        assert_eq!(c.model(), "test-model");
        fake.push_reply(FakeLlmReply::text("ok"));
        c.complete(&request("hi")).await.expect("ok");
        let format = fake.last_request().map(|r| r.format);
        let expected = match p {
            Provider::Anthropic => LlmWireFormat::Anthropic,
            Provider::OpenaiCompat => LlmWireFormat::OpenAi,
        };
        assert_eq!(format, Some(expected));
    }
    let bad = LlmConfig {
        base_url: "not a url".into(),
        ..config(Provider::Anthropic, fake.url(), None)
    };
    assert!(matches!(client_from_config(&bad), Err(LlmError::Config(_))));
    fake.shutdown().await;
}

#[tokio::test]
async fn connection_refused_is_a_retried_network_error() {
    // A port that was just free: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut cfg = config(
        Provider::OpenaiCompat,
        format!("http://127.0.0.1:{port}/v1"),
        None,
    );
    cfg.max_retries = 1;
    let e = build(&cfg).complete(&request("hi")).await.unwrap_err();
    match &e {
        LlmError::RetriesExhausted { attempts: 2, last } => {
            assert!(matches!(**last, LlmError::Network(_)), "{last:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_undecodable_success_is_a_decode_error_and_not_retried() {
    for p in BOTH {
        let fake = fake(None).await;
        let c = client(p, &fake, None);
        fake.push_reply(FakeLlmReply::Raw {
            status: 200,
            body: "<html>proxy says hi</html>".into(),
        });
        let e = c.complete(&request("hi")).await.unwrap_err();
        assert!(matches!(e, LlmError::Decode(_)), "{p}: {e:?}");
        assert_eq!(fake.call_count(), 1);
        fake.shutdown().await;
    }
}

#[tokio::test]
async fn max_tokens_stop_is_reported() {
    for p in BOTH {
        let fake = fake(None).await;
        let c = client(p, &fake, None);
        fake.push_reply(FakeLlmReply::MaxTokens("Dear customer, we".into()));
        let r = c.complete(&request("hi")).await.expect("ok");
        assert_eq!(r.stop_reason, StopReason::MaxTokens, "{p}");
        assert_eq!(r.text.as_deref(), Some("Dear customer, we"));
        fake.shutdown().await;
    }
}
