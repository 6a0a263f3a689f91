//! The agent's hands: typed tools, the action ledger workflow that runs them exactly once,
//! and approvals. The brain (classification, routing, policy, drafts) arrives with its own
//! issue and proposes actions through [`actions::ActionService::propose`].

pub mod actions;
pub mod app_tools;
pub mod brain;
pub mod helpdesk_tools;
pub mod inbound;
pub mod tools;
