//! The agent: the decision (`decide`: facts in, a typed plan out, the same for the inbound
//! run, the dry run and the operator's actions), the brains (rules, and an LLM whose validated
//! output the same rules and policy dispose of), the context they see, typed requests and the
//! tools that carry them out, the action ledger workflow that runs them exactly once, and
//! approvals. Brains only propose, through [`actions::ActionService::propose`].

pub mod actions;
pub mod agent;
pub mod app_tools;
pub mod context;
pub mod decide;
pub mod helpdesk_tools;
pub mod inbound;
pub mod learned;
pub mod llm_brain;
pub mod request;
pub mod retrieve;
pub mod tools;
