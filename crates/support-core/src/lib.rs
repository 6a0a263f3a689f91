//! Pure logic: the rules brain, the policy engine, the draft validator and PII redaction,
//! shared by the server, the agent and the CLI. No IO, no clocks: callers pass `now` in, which
//! keeps every rule testable to the second. (Webhook signing lives in `support-signing`.)

pub mod classify;
pub mod diff;
pub mod grounding;
pub mod learned;
pub mod policy;
pub mod redact;
pub mod routing;
pub mod signals;
pub mod validate;
