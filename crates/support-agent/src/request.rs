//! What an action asks for, typed: one variant per action kind, parsed and checked once at
//! the edge (a ledger row, an API body) and kept typed from the brain's plan to the tool.
//! JSON exists only where the request is stored (the action row's `params`) or shown.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use support_types::Email;

/// The kinds of action the ledger runs (and the tool registry's keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Refund,
    MagicLink,
    TransferPurchase,
    UpdateEmail,
    UpdateName,
    LookupUser,
    DraftResponse,
    AddComment,
    EscalateToHuman,
}

impl RequestKind {
    pub const ALL: [RequestKind; 9] = [
        RequestKind::Refund,
        RequestKind::MagicLink,
        RequestKind::TransferPurchase,
        RequestKind::UpdateEmail,
        RequestKind::UpdateName,
        RequestKind::LookupUser,
        RequestKind::DraftResponse,
        RequestKind::AddComment,
        RequestKind::EscalateToHuman,
    ];

    /// The ledger's `kind` column, e.g. `transfer_purchase`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Refund => "refund",
            RequestKind::MagicLink => "magic_link",
            RequestKind::TransferPurchase => "transfer_purchase",
            RequestKind::UpdateEmail => "update_email",
            RequestKind::UpdateName => "update_name",
            RequestKind::LookupUser => "lookup_user",
            RequestKind::DraftResponse => "draft_response",
            RequestKind::AddComment => "add_comment",
            RequestKind::EscalateToHuman => "escalate_to_human",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for RequestKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a request was refused before anything was written.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("no tool for action kind {0:?}")]
    UnknownKind(String),
    #[error("invalid input: {0}")]
    Params(#[from] serde_json::Error),
    #[error("invalid input: {0}")]
    Invalid(&'static str),
    #[error("invalid input: {what} {value:?} must be {expected}")]
    Malformed {
        what: &'static str,
        value: String,
        expected: &'static str,
    },
    /// A request the brain could not ground (it named a purchase the customer does not have):
    /// it is recorded with the decision but never becomes a ledger action.
    #[error("the request names no purchase of the customer's and cannot run")]
    Unresolved,
}

/// `refund`: a refund of a charge on the app's connected Stripe account. Unknown fields are
/// refused so a typo cannot silently drop a constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundParams {
    /// The product's connected Stripe account (`acct_…`).
    pub account: String,
    /// The charge to refund (`ch_…`).
    pub charge: String,
    /// Minor units; the remaining refundable amount when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The product app's purchase, for revoking access after the refund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_id: Option<String>,
}

/// `magic_link`: a one-time sign-in link sent by the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MagicLinkParams {
    pub email: Email,
    /// Seconds; one hour when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
}

/// `transfer_purchase`: move a purchase to another address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TransferParams {
    pub purchase_id: String,
    pub from_user_id: String,
    pub to_email: Email,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateEmailParams {
    pub user_id: String,
    pub new_email: Email,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateNameParams {
    pub user_id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupParams {
    pub email: Email,
}

/// `draft_response`: a draft reply on a Front conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftParams {
    pub conversation: String,
    pub body: String,
    /// The inbox the conversation came in through (chooses the reply channel).
    pub inbox_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<String>>,
}

/// `add_comment`: an internal note on a Front conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentParams {
    pub conversation: String,
    pub body: String,
}

/// `escalate_to_human`: tag the conversation and tell the app's Slack channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalateParams {
    pub conversation: String,
    pub reason: String,
    #[serde(default = "default_tag")]
    pub tag_id: String,
    /// The app's Slack escalation channel; no post when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_channel: Option<String>,
}

fn default_tag() -> String {
    "tag_escalated".into()
}

impl EscalateParams {
    pub fn new(conversation: String, reason: String, slack_channel: Option<String>) -> Self {
        Self {
            conversation,
            reason,
            tag_id: default_tag(),
            slack_channel,
        }
    }
}

/// One typed request per action kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionRequest {
    Refund(RefundParams),
    MagicLink(MagicLinkParams),
    TransferPurchase(TransferParams),
    UpdateEmail(UpdateEmailParams),
    UpdateName(UpdateNameParams),
    LookupUser(LookupParams),
    DraftResponse(DraftParams),
    AddComment(CommentParams),
    EscalateToHuman(EscalateParams),
    /// What a model asked for about a purchase that is not the customer's: kept with the
    /// decision (and escalated), never parsed from or written to the ledger.
    Unresolved {
        kind: RequestKind,
        purchase_id: String,
    },
}

fn check_conversation(id: &str) -> Result<(), RequestError> {
    if id.starts_with("cnv_") && id.len() > 4 {
        Ok(())
    } else {
        Err(RequestError::Malformed {
            what: "conversation",
            value: id.to_owned(),
            expected: "a Front cnv_ id",
        })
    }
}

impl ActionRequest {
    /// Parses and checks a stored or submitted `(kind, params)` pair: the one validation of
    /// every action's input, before anything is written.
    pub fn parse(kind: &str, params: &Value) -> Result<Self, RequestError> {
        let kind =
            RequestKind::parse(kind).ok_or_else(|| RequestError::UnknownKind(kind.into()))?;
        Self::parse_kind(kind, params)
    }

    pub fn parse_kind(kind: RequestKind, params: &Value) -> Result<Self, RequestError> {
        fn de<T: for<'de> Deserialize<'de>>(v: &Value) -> Result<T, RequestError> {
            Ok(T::deserialize(v)?)
        }
        let request = match kind {
            RequestKind::Refund => {
                let p: RefundParams = de(params)?;
                if !p.account.starts_with("acct_") {
                    return Err(RequestError::Malformed {
                        what: "account",
                        value: p.account,
                        expected: "acct_…",
                    });
                }
                if !(p.charge.starts_with("ch_") || p.charge.starts_with("py_")) {
                    return Err(RequestError::Malformed {
                        what: "charge",
                        value: p.charge,
                        expected: "ch_…",
                    });
                }
                if p.amount.is_some_and(|a| a <= 0) {
                    return Err(RequestError::Invalid("amount must be positive"));
                }
                ActionRequest::Refund(p)
            }
            RequestKind::MagicLink => {
                let p: MagicLinkParams = de(params)?;
                if p.expires_in
                    .is_some_and(|s| !(60..=7 * 24 * 3600).contains(&s))
                {
                    return Err(RequestError::Invalid("expires_in must be 60 s to 7 days"));
                }
                ActionRequest::MagicLink(p)
            }
            RequestKind::TransferPurchase => {
                let p: TransferParams = de(params)?;
                if p.purchase_id.is_empty() || p.from_user_id.is_empty() {
                    return Err(RequestError::Invalid(
                        "purchaseId and fromUserId are required",
                    ));
                }
                ActionRequest::TransferPurchase(p)
            }
            RequestKind::UpdateEmail => ActionRequest::UpdateEmail(de(params)?),
            RequestKind::UpdateName => {
                let p: UpdateNameParams = de(params)?;
                if p.name.trim().is_empty() || p.name.len() > 200 {
                    return Err(RequestError::Invalid("name must be 1-200 characters"));
                }
                ActionRequest::UpdateName(p)
            }
            RequestKind::LookupUser => ActionRequest::LookupUser(de(params)?),
            RequestKind::DraftResponse => {
                let p: DraftParams = de(params)?;
                check_conversation(&p.conversation)?;
                if p.body.trim().is_empty() {
                    return Err(RequestError::Invalid("a draft needs a body"));
                }
                ActionRequest::DraftResponse(p)
            }
            RequestKind::AddComment => {
                let p: CommentParams = de(params)?;
                check_conversation(&p.conversation)?;
                if p.body.trim().is_empty() {
                    return Err(RequestError::Invalid("a comment needs a body"));
                }
                ActionRequest::AddComment(p)
            }
            RequestKind::EscalateToHuman => {
                let p: EscalateParams = de(params)?;
                check_conversation(&p.conversation)?;
                if p.reason.trim().is_empty() {
                    return Err(RequestError::Invalid("an escalation needs a reason"));
                }
                ActionRequest::EscalateToHuman(p)
            }
        };
        Ok(request)
    }

    pub fn kind(&self) -> RequestKind {
        match self {
            ActionRequest::Refund(_) => RequestKind::Refund,
            ActionRequest::MagicLink(_) => RequestKind::MagicLink,
            ActionRequest::TransferPurchase(_) => RequestKind::TransferPurchase,
            ActionRequest::UpdateEmail(_) => RequestKind::UpdateEmail,
            ActionRequest::UpdateName(_) => RequestKind::UpdateName,
            ActionRequest::LookupUser(_) => RequestKind::LookupUser,
            ActionRequest::DraftResponse(_) => RequestKind::DraftResponse,
            ActionRequest::AddComment(_) => RequestKind::AddComment,
            ActionRequest::EscalateToHuman(_) => RequestKind::EscalateToHuman,
            ActionRequest::Unresolved { kind, .. } => *kind,
        }
    }

    /// The parameters as stored on the ledger row and shown in decision records.
    pub fn params(&self) -> Value {
        fn ser<T: Serialize>(t: &T) -> Value {
            // Plain structs of strings and numbers: serializing them cannot fail.
            serde_json::to_value(t).unwrap_or(Value::Null)
        }
        match self {
            ActionRequest::Refund(p) => ser(p),
            ActionRequest::MagicLink(p) => ser(p),
            ActionRequest::TransferPurchase(p) => ser(p),
            ActionRequest::UpdateEmail(p) => ser(p),
            ActionRequest::UpdateName(p) => ser(p),
            ActionRequest::LookupUser(p) => ser(p),
            ActionRequest::DraftResponse(p) => ser(p),
            ActionRequest::AddComment(p) => ser(p),
            ActionRequest::EscalateToHuman(p) => ser(p),
            ActionRequest::Unresolved { purchase_id, .. } => {
                serde_json::json!({ "purchase_id": purchase_id })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_refund_round_trips_through_its_row() {
        let params = json!({"account": "acct_1", "charge": "ch_1", "amount": 500, "reason": "requested_by_customer", "purchase_id": "pur_1"});
        let r = ActionRequest::parse("refund", &params).expect("valid");
        assert_eq!(r.kind(), RequestKind::Refund);
        assert_eq!(r.params(), params);
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        let e = ActionRequest::parse("refund", &json!({"account": "x", "charge": "ch_1"}))
            .expect_err("bad account");
        assert!(e.to_string().contains("acct_"), "{e}");
        let e = ActionRequest::parse(
            "refund",
            &json!({"account": "acct_1", "charge": "ch_1", "amout": 1}),
        )
        .expect_err("typo");
        assert!(e.to_string().contains("amout"), "{e}");
        assert!(matches!(
            ActionRequest::parse("wire_money", &json!({})),
            Err(RequestError::UnknownKind(_))
        ));
    }

    #[test]
    fn every_kind_has_one_name() {
        for k in RequestKind::ALL {
            assert_eq!(RequestKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).expect("json"), json!(k.as_str()));
        }
    }
}
