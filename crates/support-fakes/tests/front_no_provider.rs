//! Its own test binary (own process) on purpose: nothing here installs a process-wide rustls
//! provider, which proves the fake's webhook client never depends on one (the sandbox must
//! not panic because some other crate forgot to install it).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use support_fakes::{FakeFront, FakeFrontConfig, InboundMessage};

#[tokio::test]
async fn webhook_delivery_works_without_a_default_crypto_provider() {
    assert!(rustls::crypto::CryptoProvider::get_default().is_none());
    let seen: Arc<Mutex<Vec<Bytes>>> = Arc::default();
    let app = Router::new()
        .route(
            "/hook",
            post(
                |State(seen): State<Arc<Mutex<Vec<Bytes>>>>, body: Bytes| async move {
                    seen.lock().expect("lock").push(body);
                    "ok"
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let front = FakeFront::start(FakeFrontConfig::default())
        .await
        .expect("start without a provider");
    front.set_webhook(format!("http://{addr}/hook"), "secret".into());
    let delivery = front
        .inject_inbound(InboundMessage {
            from_email: "grace@example.com".into(),
            subject: "Hello".into(),
            body_text: "Hi there".into(),
            ..InboundMessage::default()
        })
        .await
        .expect("deliver");
    assert_eq!(delivery.status, 200);
    assert_eq!(seen.lock().expect("lock").len(), 1);
    assert!(rustls::crypto::CryptoProvider::get_default().is_none());

    front.shutdown().await;
    task.abort();
}
