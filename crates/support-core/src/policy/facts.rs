//! What a decision is about: the action kinds, the signals, the purchase and the facts passed in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::*;

/// The action types of DESIGN §5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Refund,
    TransferPurchase,
    MagicLink,
    UpdateEmail,
    UpdateName,
    CancelSubscription,
    DeleteAccount,
    BulkSeats,
    CancelOrder,
    ChangeAddress,
    ReturnItems,
    ExchangeItems,
    /// Swap items of an order that has not shipped for other variants.
    ModifyItems,
    /// Pay for an order that has not shipped with another payment method.
    ChangePayment,
}

impl ActionKind {
    pub const ALL: [ActionKind; 14] = [
        ActionKind::Refund,
        ActionKind::TransferPurchase,
        ActionKind::MagicLink,
        ActionKind::UpdateEmail,
        ActionKind::UpdateName,
        ActionKind::CancelSubscription,
        ActionKind::DeleteAccount,
        ActionKind::BulkSeats,
        ActionKind::CancelOrder,
        ActionKind::ChangeAddress,
        ActionKind::ReturnItems,
        ActionKind::ExchangeItems,
        ActionKind::ModifyItems,
        ActionKind::ChangePayment,
    ];

    /// The snake_case name, as in the JSON API and the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Refund => "refund",
            ActionKind::TransferPurchase => "transfer_purchase",
            ActionKind::MagicLink => "magic_link",
            ActionKind::UpdateEmail => "update_email",
            ActionKind::UpdateName => "update_name",
            ActionKind::CancelSubscription => "cancel_subscription",
            ActionKind::DeleteAccount => "delete_account",
            ActionKind::BulkSeats => "bulk_seats",
            ActionKind::CancelOrder => "cancel_order",
            ActionKind::ChangeAddress => "change_address",
            ActionKind::ReturnItems => "return_items",
            ActionKind::ExchangeItems => "exchange_items",
            ActionKind::ModifyItems => "modify_items",
            ActionKind::ChangePayment => "change_payment",
        }
    }

    /// Refunds and transfers act on one purchase, which must be one of the customer's.
    pub fn needs_purchase(self) -> bool {
        matches!(self, ActionKind::Refund | ActionKind::TransferPurchase)
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name is not one of the action kinds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown action kind")]
pub struct UnknownActionKind;

impl FromStr for ActionKind {
    type Err = UnknownActionKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ActionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(UnknownActionKind)
    }
}

/// Conversation signals (DESIGN §5): the one `Signal`, detected by deterministic rules or
/// the classifier and passed in as a closed set, never as the text that triggered them.
pub use crate::signals::Signal;

impl Signal {
    /// The order in which escalating signals are reported when several are present: legal
    /// outranks angry (as in routing), angry outranks repeated failures, then the rest.
    pub(super) const PRECEDENCE: [Signal; 8] = [
        Signal::LegalThreat,
        Signal::Angry,
        Signal::RepeatedFailures,
        Signal::OutsidePolicyWindow,
        Signal::AutomatedSender,
        Signal::VendorOutreach,
        Signal::TeamEnterprise,
        Signal::PersonalToInstructor,
    ];
}

/// The purchase an action is about, as the app's SDK reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurchaseFacts {
    /// Opaque id, only ever compared, never shown in a reason.
    pub id: String,
    /// Unix seconds.
    pub purchased_at: i64,
    pub amount_cents: i64,
    pub currency: String,
    /// `active`, `refunded` or `transferred`; compared against those names only.
    pub status: String,
    /// A team or bundle purchase.
    #[serde(default)]
    pub team: bool,
    /// What is left to refund, when the app knows; otherwise `amount_cents`.
    #[serde(default)]
    pub refundable_cents: Option<i64>,
}

impl PurchaseFacts {
    /// What can still be refunded.
    pub fn refundable(&self) -> i64 {
        self.refundable_cents.unwrap_or(self.amount_cents)
    }
}

/// What the policy decides on: structured facts, never free text.
///
/// This is what makes the engine safe from prompt injection by construction. A customer's
/// message can steer what the model *proposes*, but nothing the customer wrote reaches this
/// struct: the action is a closed enum, times and amounts are numbers, the purchase comes
/// from the app's SDK (and `purchase_known` says whether the proposed id is really one of
/// the customer's purchases), an order comes from the store (and its `known` says the same
/// of the order), signals are a closed enum, and the category is a name from the fixed
/// taxonomy. Strings that do appear (ids, currency, statuses, an order change's reason,
/// approvers, category) are compared against fixed values or the policy's lists, or copied
/// to the verdict's approver list by the caller; none is interpreted as an instruction, and
/// none is quoted in a verdict's reason, which is built only from rule templates, numbers,
/// enum names and the policy's own lists. So however a message is worded, the verdict for
/// the same facts is the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    pub action: ActionKind,
    /// Unix seconds; the caller's clock.
    pub now: i64,
    #[serde(default)]
    pub purchase: Option<PurchaseFacts>,
    /// The purchase id the proposal names is among the customer's purchases from the SDK.
    #[serde(default)]
    pub purchase_known: bool,
    /// The refund amount proposed; `None` means everything still refundable.
    #[serde(default)]
    pub requested_amount_cents: Option<i64>,
    /// The classifier's category (DESIGN §5). Recorded with the decision; no rule reads it
    /// today.
    pub category: String,
    pub confidence: f64,
    #[serde(default)]
    pub signals: Vec<Signal>,
    /// Approvers for this request, replacing the policy's when non-empty.
    #[serde(default)]
    pub approvers: Vec<String>,
    /// The order an order action is about, from the store, with the proposed change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderFacts>,
    /// How the action's object was resolved from the customer's message.
    #[serde(default)]
    pub grounding: Grounding,
}

/// How the object of a proposed action (the purchase, the account) was resolved from what the
/// customer wrote, as the policy sees it (the brain's record keeps the detail: which id, which
/// name). A proposal whose object is [`Grounding::Unresolved`] never runs on its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grounding {
    /// A person chose the object (an operator's request, a bulk file): nothing to resolve.
    #[default]
    Given,
    /// The message names the object (an id, a product name, an amount) and it is the
    /// customer's.
    Named,
    /// The message names nothing and exactly one of the customer's objects fits.
    Inferred,
    /// The object is the sender's own account (a sign-in link, their own name).
    Sender,
    /// The message names something the customer does not own, someone else's account, or
    /// more than one thing: the object is not known.
    Unresolved,
}

impl Grounding {
    pub fn as_str(self) -> &'static str {
        match self {
            Grounding::Given => "given",
            Grounding::Named => "named",
            Grounding::Inferred => "inferred",
            Grounding::Sender => "sender",
            Grounding::Unresolved => "unresolved",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_signals_round_trip_their_names() {
        for kind in ActionKind::ALL {
            assert_eq!(kind.as_str().parse::<ActionKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
        assert!("Refund".parse::<ActionKind>().is_err());
        for signal in Signal::ALL {
            assert_eq!(
                serde_json::to_value(signal).unwrap(),
                serde_json::json!(signal.as_str())
            );
            assert!(Signal::PRECEDENCE.contains(&signal));
        }
        for mode in Mode::ALL {
            assert_eq!(Mode::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(Mode::parse("Auto"), None);
    }
}
