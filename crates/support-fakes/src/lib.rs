//! Local fake Front, Slack, Stripe, LLM and Upstash Vector servers that speak the real wire
//! formats.
//!
//! The sandbox (`skill sandbox`) runs them on loopback so a newcomer sees the whole platform
//! without any provider account, and integration tests drive the platform against them.
//! Each fake is a real HTTP server on `127.0.0.1` with in-memory state, answers in the
//! provider's own JSON shapes and error bodies, checks the provider's auth header, and keeps
//! a request log plus inspection methods so tests can assert on what actually happened.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use support_fakes::{FakeStripe, FakeStripeConfig, SeedCharge};
//! let stripe = FakeStripe::start(FakeStripeConfig::default()).await?;
//! stripe.add_charge("acct_demo", SeedCharge {
//!     id: "ch_demo".into(), amount: 2500, currency: "usd".into(), created: 1_767_225_600,
//!     payment_intent: Some("pi_demo".into()), customer_email: Some("ada@example.com".into()),
//! });
//! println!("point the Stripe client at {}", stripe.url());
//! stripe.shutdown().await;
//! # Ok(()) }
//! ```

pub mod front;
pub mod llm;
mod server;
pub mod slack;
pub mod stripe;
pub mod upstash;

pub use front::{
    Delivery, FakeFront, FakeFrontConfig, FrontComment, FrontConversation, FrontMessage,
    FrontMessageKind, FrontRecipient, InboundMessage,
};
pub use server::RequestRecord;
pub use slack::{
    FakeSlack, FakeSlackConfig, SlackEphemeral, SlackMessage, SlackRevision, SlackView,
};
pub use stripe::{
    FakeStripe, FakeStripeConfig, PLATFORM_ACCOUNT, SeedCharge, StripeFault, StripeRefund,
};
pub use upstash::{FakeUpstash, FakeUpstashConfig, UpstashFault, hashed_embedding};
