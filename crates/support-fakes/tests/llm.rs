//! Fake LLM over real HTTP with a plain reqwest client: the provider shapes of replies and
//! errors, auth per format, request checks, recording, and the responder.

use std::sync::Arc;

use serde_json::{Value, json};
use support_fakes::llm::{DEFAULT_REPLY, FakeLlm, FakeLlmConfig, FakeLlmReply, LlmWireFormat};

const KEY: &str = "sk-fake-llm-key";

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn start(key: Option<&str>) -> FakeLlm {
    FakeLlm::start(FakeLlmConfig {
        api_key: key.map(str::to_owned),
        ..FakeLlmConfig::default()
    })
    .await
    .expect("start")
}

fn anthropic_body(text: &str) -> Value {
    json!({"model": "claude-test", "max_tokens": 64,
           "messages": [{"role": "user", "content": text}]})
}

fn openai_body(text: &str) -> Value {
    json!({"model": "gpt-test", "messages": [{"role": "user", "content": text}]})
}

/// POST to the Anthropic endpoint; `key` goes in `x-api-key`.
async fn anthropic(
    fake: &FakeLlm,
    key: Option<&str>,
    version: bool,
    body: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut rb = http()
        .post(format!("{}/v1/messages", fake.url()))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(k) = key {
        rb = rb.header("x-api-key", k);
    }
    if version {
        rb = rb.header("anthropic-version", "2023-06-01");
    }
    let resp = rb.send().await.expect("send");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

/// POST to the OpenAI-compatible endpoint; `key` goes in `Authorization: Bearer`.
async fn openai(
    fake: &FakeLlm,
    key: Option<&str>,
    body: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut rb = http()
        .post(format!("{}/chat/completions", fake.openai_base_url()))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(k) = key {
        rb = rb.bearer_auth(k);
    }
    let resp = rb.send().await.expect("send");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

#[tokio::test]
async fn unscripted_requests_get_the_default_text_in_each_shape() {
    let fake = start(None).await;
    let (status, _, a) = anthropic(&fake, None, true, &anthropic_body("hi").to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(a["type"], "message");
    assert_eq!(a["role"], "assistant");
    assert_eq!(a["model"], "claude-test");
    assert!(a["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(
        a["content"],
        json!([{"type": "text", "text": DEFAULT_REPLY}])
    );
    assert_eq!(a["stop_reason"], "end_turn");
    assert!(a["usage"]["input_tokens"].as_u64().unwrap() >= 1);

    let (status, _, o) = openai(&fake, None, &openai_body("hi").to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(o["object"], "chat.completion");
    assert!(o["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(o["choices"][0]["message"]["content"], DEFAULT_REPLY);
    assert_eq!(o["choices"][0]["finish_reason"], "stop");
    assert!(o["usage"]["prompt_tokens"].as_u64().unwrap() >= 1);

    let formats: Vec<LlmWireFormat> = fake.requests().iter().map(|r| r.format).collect();
    assert_eq!(
        formats,
        vec![LlmWireFormat::Anthropic, LlmWireFormat::OpenAi]
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn tool_calls_and_malformed_arguments_render_per_format() {
    let fake = start(None).await;
    fake.push_replies([
        FakeLlmReply::tool_call("refund", json!({"amount_cents": 5})),
        FakeLlmReply::tool_call("refund", json!({"amount_cents": 5})),
        FakeLlmReply::MalformedArguments {
            name: "refund".into(),
            raw: "{\"amount_cents\": ".into(),
        },
    ]);
    let (_, _, a) = anthropic(&fake, None, true, &anthropic_body("x").to_string()).await;
    let block = &a["content"][0];
    assert_eq!(block["type"], "tool_use");
    assert!(block["id"].as_str().unwrap().starts_with("toolu_"));
    assert_eq!(block["input"], json!({"amount_cents": 5}));
    assert_eq!(a["stop_reason"], "tool_use");

    let (_, _, o) = openai(&fake, None, &openai_body("x").to_string()).await;
    let call = &o["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert!(call["id"].as_str().unwrap().starts_with("call_"));
    // OpenAI sends arguments as a JSON string.
    assert_eq!(call["function"]["arguments"], "{\"amount_cents\":5}");
    assert_eq!(o["choices"][0]["finish_reason"], "tool_calls");

    let (_, _, o) = openai(&fake, None, &openai_body("x").to_string()).await;
    assert_eq!(
        o["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"],
        "{\"amount_cents\": "
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn faults_have_the_provider_status_headers_and_error_shape() {
    let fake = start(None).await;
    fake.push_replies([
        FakeLlmReply::RateLimited {
            retry_after_secs: Some(7),
        },
        FakeLlmReply::Overloaded,
        FakeLlmReply::Overloaded,
        FakeLlmReply::ServerError,
    ]);
    let body = anthropic_body("x").to_string();
    let (status, headers, a) = anthropic(&fake, None, true, &body).await;
    assert_eq!(status, 429);
    assert_eq!(headers["retry-after"], "7");
    assert_eq!(a["type"], "error");
    assert_eq!(a["error"]["type"], "rate_limit_error");

    let (status, _, a) = anthropic(&fake, None, true, &body).await;
    assert_eq!(status, 529);
    assert_eq!(a["error"]["type"], "overloaded_error");

    let (status, _, o) = openai(&fake, None, &openai_body("x").to_string()).await;
    assert_eq!(status, 503);
    assert!(
        o["error"]["message"]
            .as_str()
            .unwrap()
            .contains("overloaded")
    );

    let (status, _, o) = openai(&fake, None, &openai_body("x").to_string()).await;
    assert_eq!(status, 500);
    assert_eq!(o["error"]["type"], "server_error");
    assert_eq!(fake.pending_replies(), 0);
    fake.shutdown().await;
}

#[tokio::test]
async fn auth_is_checked_per_format_and_failures_are_recorded_but_consume_nothing() {
    let fake = start(Some(KEY)).await;
    fake.push_reply(FakeLlmReply::text("for the right key only"));
    let body = anthropic_body("x").to_string();

    let (status, _, a) = anthropic(&fake, None, true, &body).await;
    assert_eq!(status, 401);
    assert_eq!(a["error"]["type"], "authentication_error");
    let (status, _, _) = anthropic(&fake, Some("sk-wrong"), true, &body).await;
    assert_eq!(status, 401);
    // A Bearer token is not how Anthropic authenticates.
    let resp = http()
        .post(format!("{}/v1/messages", fake.url()))
        .bearer_auth(KEY)
        .header("anthropic-version", "2023-06-01")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);

    let (status, _, o) = openai(&fake, Some("sk-wrong"), &openai_body("x").to_string()).await;
    assert_eq!(status, 401);
    assert_eq!(o["error"]["code"], "invalid_api_key");

    assert_eq!(fake.call_count(), 4);
    assert_eq!(fake.pending_replies(), 1);
    let (status, _, o) = openai(&fake, Some(KEY), &openai_body("x").to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(
        o["choices"][0]["message"]["content"],
        "for the right key only"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn requests_a_real_provider_would_refuse_are_400s() {
    let fake = start(None).await;
    let (status, _, a) = anthropic(&fake, None, false, &anthropic_body("x").to_string()).await;
    assert_eq!(status, 400);
    assert!(
        a["error"]["message"]
            .as_str()
            .unwrap()
            .contains("anthropic-version")
    );

    let (status, _, a) = anthropic(&fake, None, true, "{not json").await;
    assert_eq!(status, 400);
    assert_eq!(a["error"]["type"], "invalid_request_error");

    let mut extra = anthropic_body("x");
    extra["tool_choice"] = json!({"type": "auto"});
    let (status, _, a) = anthropic(&fake, None, true, &extra.to_string()).await;
    assert_eq!(status, 400, "tool_choice without tools");
    assert!(
        a["error"]["message"]
            .as_str()
            .unwrap()
            .contains("tool_choice")
    );

    let orphan = json!({"model": "m", "messages": [
        {"role": "user", "content": "x"},
        {"role": "tool", "tool_call_id": "call_1", "content": "r"},
    ]});
    let (status, _, o) = openai(&fake, None, &orphan.to_string()).await;
    assert_eq!(status, 400);
    assert!(
        o["error"]["message"]
            .as_str()
            .unwrap()
            .contains("role 'tool'")
    );

    let resp = http()
        .post(format!("{}/v1/embeddings", fake.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    // Every request reached the log, the 404 aside (it hit no endpoint).
    assert_eq!(fake.call_count(), 4);
    assert_eq!(fake.requests()[1].body, Value::Null);
    fake.shutdown().await;
}

#[tokio::test]
async fn the_responder_answers_from_the_request_and_may_call_back_into_the_fake() {
    let fake = Arc::new(start(None).await);
    let seen = Arc::downgrade(&fake);
    fake.set_responder(move |req| {
        // Calling back into the fake must not deadlock.
        let n = seen.upgrade().map_or(0, |f| f.call_count());
        match req.last_user_text().as_deref() {
            Some(t) if t.contains("refund") => {
                FakeLlmReply::tool_call("refund", json!({"call_number": n}))
            }
            _ => FakeLlmReply::text(format!("call {n}")),
        }
    });
    // Scripted replies still come first.
    fake.push_reply(FakeLlmReply::text("scripted"));
    let (_, _, o) = openai(&fake, None, &openai_body("refund please").to_string()).await;
    assert_eq!(o["choices"][0]["message"]["content"], "scripted");
    let (_, _, a) = anthropic(
        &fake,
        None,
        true,
        &anthropic_body("refund please").to_string(),
    )
    .await;
    assert_eq!(a["content"][0]["name"], "refund");
    assert_eq!(a["content"][0]["input"], json!({"call_number": 2}));
    let (_, _, a) = anthropic(&fake, None, true, &anthropic_body("hello").to_string()).await;
    assert_eq!(a["content"][0]["text"], "call 3");
    let fake = Arc::try_unwrap(fake).ok().expect("sole owner");
    fake.shutdown().await;
}
