//! Snapshot of the approval card's Block Kit.

use serde_json::json;
use support_slack::{ApprovalCard, approval_blocks, outcome_blocks};

#[test]
fn approval_blocks_snapshot() {
    let card = ApprovalCard {
        action_id: "act_01J9REFUND".into(),
        kind: "refund".into(),
        summary: "Refund $25.00 to ada@example.com".into(),
        reason: "The customer was charged twice for order 1042 <duplicate charge>.".into(),
        params: json!({"charge": "ch_123", "amount": 2500, "currency": "usd"}),
        front_url: Some("https://app.frontapp.com/open/cnv_abc".into()),
    };
    insta::assert_json_snapshot!("approval_blocks", approval_blocks(&card));
}

#[test]
fn outcome_blocks_snapshot() {
    insta::assert_json_snapshot!(
        "outcome_blocks",
        outcome_blocks("act_01J9REFUND", "*Approved* by <@U0REVIEWER>")
    );
}
