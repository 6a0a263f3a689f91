//! Approvals in Slack, black-box: an approval request becomes a card with Approve and Reject
//! buttons in the app's channel; a signed click by someone the policy does not list is
//! refused (ephemeral note, audited, nothing changes); an approver's click runs the action
//! exactly once and the card then says how it ended; Reject asks for a reason in a modal and
//! its submission rejects with that reason.

use serde_json::{Value, json};
use support_testkit::{TestApp, both, first_app_email};

const APPROVER: &str = "U0APPROVER";

fn click(action_id: &str, button: &str, user: &str, n: u32) -> Value {
    json!({
        "type": "block_actions",
        "trigger_id": format!("trig.{n}.{user}"),
        "user": {"id": user, "username": user.to_lowercase()},
        "channel": {"id": "C0ESCALATIONS"},
        "actions": [{"action_id": button, "value": action_id, "action_ts": format!("17000000{n}.000100")}],
    })
}

async fn card_for(app: &TestApp, action_id: &str) -> support_fakes::slack::SlackMessage {
    app.slack
        .messages()
        .into_iter()
        .find(|m| {
            m.blocks
                .as_ref()
                .is_some_and(|b| b.to_string().contains(action_id))
        })
        .expect("an approval card for the action")
}

both!(approving_and_rejecting_in_slack, pinned_clock);
async fn approving_and_rejecting_in_slack(app: &TestApp) {
    let shop = app.connect_first_app(&[]).await;
    app.set_policy(
        "first-app",
        &format!(r#"approvers = ["user:admin@localhost", "slack:{APPROVER}"]"#),
    )
    .await;

    // 30 days and an hour: an approval request, shown in the app's channel.
    let cnv = app
        .converse(
            &first_app_email("usr_chen"),
            "Refund <!channel>",
            "Could I get a refund please?",
        )
        .await;
    let refund = app
        .actions_for(&cnv)
        .await
        .into_iter()
        .find(|a| a.kind == "refund")
        .expect("a refund proposal");
    assert_eq!(refund.state, "proposed");
    let card = card_for(app, &refund.id).await;
    assert_eq!(card.channel, "C0ESCALATIONS");
    let shown = card.blocks.clone().expect("blocks").to_string();
    assert!(
        shown.contains("\"approve\"") && shown.contains("\"reject\""),
        "{shown}"
    );
    assert!(
        !shown.contains("<!channel>"),
        "nothing in the card can ping the channel"
    );

    // Someone the policy does not list: refused, told privately, nothing changes.
    assert_eq!(
        app.post_slack_interaction(&click(&refund.id, "approve", "U0EVE", 1))
            .await
            .status(),
        200
    );
    app.drain().await;
    let row = app.action(&refund.id).await;
    assert_eq!(row.state, "proposed");
    assert_eq!(app.slack.ephemerals().len(), 1);
    assert_eq!(app.stripe.refund_count(), 0);

    // The approver: the refund runs once, and the card says so.
    let approve = click(&refund.id, "approve", APPROVER, 2);
    assert_eq!(app.post_slack_interaction(&approve).await.status(), 200);
    // Slack retries the same delivery: deduplicated.
    assert_eq!(app.post_slack_interaction(&approve).await.status(), 200);
    app.drain().await;
    let row = app.action(&refund.id).await;
    assert_eq!(row.state, "succeeded", "{row:?}");
    assert_eq!(app.stripe.refund_count(), 1);
    let card = card_for(app, &refund.id).await;
    assert!(
        card.text
            .contains(&format!("Approved by slack:{APPROVER}; done.")),
        "{card:?}"
    );
    let approval = app.approval(&refund.id).await;
    assert_eq!(approval.surface.as_deref(), Some("slack"));

    // 40 days: Reject opens the modal; its submission rejects.
    let cnv = app
        .converse(
            &first_app_email("usr_priya"),
            "Refund",
            "Could I get a refund for Total TypeScript please?",
        )
        .await;
    let refund = app
        .actions_for(&cnv)
        .await
        .into_iter()
        .find(|a| a.kind == "refund" && a.state == "proposed")
        .expect("a refund waiting for approval");
    assert_eq!(
        app.post_slack_interaction(&click(&refund.id, "reject", APPROVER, 3))
            .await
            .status(),
        200
    );
    app.drain().await;
    let views = app.slack.views();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].view["private_metadata"], refund.id.as_str());
    let submission = json!({
        "type": "view_submission",
        "trigger_id": "trig.4",
        "user": {"id": APPROVER},
        "view": {
            "id": views[0].id, "hash": "h1", "callback_id": "reject_reason",
            "private_metadata": refund.id,
            "state": {"values": {"reason_block": {"reason": {"type": "plain_text_input", "value": "Team licences are refunded by sales."}}}},
        },
    });
    assert_eq!(app.post_slack_interaction(&submission).await.status(), 200);
    app.drain().await;
    let row = app.action(&refund.id).await;
    assert_eq!(row.state, "rejected");
    assert_eq!(
        row.error.as_deref(),
        Some("Team licences are refunded by sales.")
    );
    let card = card_for(app, &refund.id).await;
    assert!(
        card.text
            .starts_with(&format!("Rejected by slack:{APPROVER}")),
        "{card:?}"
    );
    assert_eq!(app.stripe.refund_count(), 1);
    shop.shutdown().await;
}
