//! The per-app policy engine: "the model proposes, the policy disposes" (DESIGN §2).
//!
//! A model (or the rules brain) only *proposes* an action. Whether it runs on its own, waits
//! for a human, goes to a human instead, or is refused is decided here, by a pure function of
//! a declarative, versioned [`PolicyConfig`] and structured [`Facts`]. No IO, no clock: the
//! caller passes `now`, so every window is testable to the second.
//!
//! # Rules
//!
//! [`evaluate`] applies these rules in order; the first that matches decides, and
//! [`Evaluation::rule`] names it (the ids live in [`rules`]):
//!
//! | # | Rule | Verdict |
//! |---|------|---------|
//! | 1 | An escalating signal: `legal_threat`, `angry` (both by default, via `escalate_signals`) or `repeated_failures` (always). Legal outranks angry, angry outranks repeated failures, the others follow in declaration order; the reason names the signal. | escalate |
//! | 2 | Classifier confidence below `min_confidence` (strict: `0.49 < 0.5` escalates, exactly `0.5` passes; NaN escalates). | escalate |
//! | 2a | The action's object is not grounded in the message (`grounding` is `unresolved`: a purchase or account the customer named but does not own, someone else's, or several). Kinds in `require_grounding` (by default `refund`, `transfer_purchase`, `update_email`) escalate; any other kind needs an approval. | escalate / approval |
//! | 3 | The purchase the proposal names is not among the customer's purchases (`purchase_known` false), or a refund/transfer names no purchase at all. | approval |
//! | 4 | Refund or transfer of a purchase that is already `refunded` or `transferred`. | deny |
//! |   | … of a purchase in any other unrecognised status. | escalate |
//! | 5 | Refund of nothing (requested amount ≤ 0, or nothing left to refund), or of more than the refundable amount. | deny |
//! | 6 | Refund or transfer of a purchase dated in the future (clock skew). | approval |
//! | 7 | Refund by age: ≤ `auto_approve_refund_days` → auto; ≤ `approval_refund_days` → approval; beyond → escalate. Within the auto window, an amount over `max_auto_refund_cents` needs approval. | auto / approval / escalate |
//! | 8 | Transfer by age: ≤ `auto_approve_transfer_days` → auto, after → approval. | auto / approval |
//! | 9 | A team/bundle purchase (refunds and transfers): the `team_purchases` mode, when it is stricter than rules 7–8 (by default: approval instead of auto). | per config |
//! | 10 | An order action (`cancel_order`, `change_address`, `change_payment`, `modify_items`, `return_items`, `exchange_items`) whose kind has a table in the policy's `[orders]` section, checked in this order: | |
//! | 10a | No order is named (`order` is `None`), or it is not among the customer's (`known` false). An address change without an order is the customer's own address: it skips rule 10. | approval |
//! | 10b | The order's status is not in `allowed_statuses`. | deny |
//! | 10c | `once_per_order`, and the order's items were already modified. | deny |
//! | 10d | `reasons` is set, and the reason given is missing or not one of them. | deny |
//! | 10e | `items_in_order`, and no item is named or one is not in the order (duplicates counted). | deny |
//! | 10f | A replacement rule (`same_product`, `different_item`, `available_only`) is set, and the replacements do not pair one to one with the items. | deny |
//! | 10g | … a replacement is the item it replaces (`different_item`). | deny |
//! | 10h | … a replacement is another product (`same_product`). | deny |
//! | 10i | … a replacement is not in the catalogue or not available (`available_only`). | deny |
//! | 10j | The payment method breaks `payment_method` (`customer`, `original`, `original_or_gift_card`, `customer_not_original`; all but `any` require one of the customer's methods). | deny |
//! | 10k | `gift_card_covers`, and a gift card is charged more than its balance: the price difference of the replacements, or the order's net total for `change_payment`. | deny |
//! |    | All pass: rule 11 decides. | |
//! | 11 | Every other kind (`magic_link`, `update_email`, `update_name`, `bulk_seats`, `delete_account`, `cancel_subscription`, `cancel_order`, `change_address`, `return_items`, `exchange_items`, `modify_items`, `change_payment`): its configured mode. | per config |
//! | 12 | A configured mode that is not one of `auto`, `approval`, `escalate`, `deny`. | escalate, never auto |
//! | 13 | An approval with nobody to approve it (the approver list resolves to empty). | escalate |
//!
//! A policy without an `[orders]` section decides order actions by their mode alone, exactly
//! as before the section existed, and serialises and fingerprints as it did. Order reasons are
//! built from rule templates, kind names and the policy's own lists, never from the order or
//! the proposal.
//!
//! Windows are inclusive and measured in whole seconds: with the defaults a refund exactly
//! 30 days (2,592,000 s) after purchase is automatic and one second later needs approval;
//! exactly 45 days needs approval and one second later escalates; a transfer exactly 14 days
//! after purchase is automatic.
//!
//! Every decision is recorded with the policy's [`PolicyConfig::version`] and
//! [`PolicyConfig::fingerprint`], so a past decision can always be traced to the exact rules
//! that made it.

mod config;
mod evaluate;
mod facts;
mod orders;

pub use config::{DEFAULT_REQUIRE_GROUNDING, Mode, PolicyConfig, PolicyError};
pub use evaluate::{Evaluation, Verdict, evaluate, evaluate_detailed};
pub use facts::{ActionKind, Facts, Grounding, PurchaseFacts, Signal, UnknownActionKind};
pub use orders::{
    CatalogItemFacts, OrderChange, OrderFacts, OrderItemFacts, OrderPaymentFacts, OrderPolicy,
    OrderRules, PaymentMethodFacts, PaymentMethodKind, PaymentRule,
};

use evaluate::{Outcome, Ruling};
use orders::check_order;

const DAY_SECS: i64 = 86_400;

/// The approver of a default policy: the admin the sandbox and a fresh server create.
pub const DEFAULT_APPROVER: &str = "user:admin@localhost";

/// The ids of the rules that can decide, as reported in [`Evaluation::rule`]. Stable: audit
/// entries and dashboards key on them, so never change an existing one.
pub mod rules {
    /// A signal in `escalate_signals`, or `repeated_failures`.
    pub const ESCALATE_SIGNAL: &str = "escalate_signal";
    /// Confidence below `min_confidence`.
    pub const LOW_CONFIDENCE: &str = "low_confidence";
    /// The action's object is not grounded in the customer's message (rule 2a).
    pub const OBJECT_NOT_GROUNDED: &str = "object_not_grounded";
    /// The named purchase is not among the customer's purchases, or none is named.
    pub const UNKNOWN_PURCHASE: &str = "unknown_purchase";
    /// The purchase is already refunded or transferred.
    pub const PURCHASE_NOT_ACTIVE: &str = "purchase_not_active";
    /// The purchase status is none of `active`, `refunded`, `transferred`.
    pub const UNRECOGNISED_PURCHASE_STATUS: &str = "unrecognised_purchase_status";
    /// A refund of zero, of a negative amount, or of a purchase with nothing left to refund.
    pub const NOTHING_TO_REFUND: &str = "nothing_to_refund";
    /// The requested amount is more than the refundable amount.
    pub const REFUND_EXCEEDS_REFUNDABLE: &str = "refund_exceeds_refundable";
    /// The purchase is dated after `now`.
    pub const FUTURE_PURCHASE: &str = "future_purchase";
    /// A refund within `auto_approve_refund_days`.
    pub const REFUND_AUTO_WINDOW: &str = "refund_auto_window";
    /// A refund within the auto window but over `max_auto_refund_cents`.
    pub const REFUND_OVER_AUTO_CAP: &str = "refund_over_auto_cap";
    /// A refund after the auto window, within `approval_refund_days`.
    pub const REFUND_APPROVAL_WINDOW: &str = "refund_approval_window";
    /// A refund after `approval_refund_days`.
    pub const REFUND_OUTSIDE_WINDOW: &str = "refund_outside_window";
    /// A transfer within `auto_approve_transfer_days`.
    pub const TRANSFER_AUTO_WINDOW: &str = "transfer_auto_window";
    /// A transfer after `auto_approve_transfer_days`.
    pub const TRANSFER_AFTER_WINDOW: &str = "transfer_after_window";
    /// A team/bundle purchase, decided by `team_purchases`.
    pub const TEAM_PURCHASE: &str = "team_purchase";
    /// An order action with order rules names no order (an address change without one is
    /// the customer's own address), or one that is not the customer's.
    pub const UNKNOWN_ORDER: &str = "unknown_order";
    /// The order's status is not in the kind's `allowed_statuses`.
    pub const ORDER_STATUS_NOT_ALLOWED: &str = "order_status_not_allowed";
    /// `once_per_order`, and the order's items were already modified.
    pub const ORDER_ALREADY_MODIFIED: &str = "order_already_modified";
    /// No reason, or one not in the kind's `reasons`.
    pub const ORDER_REASON_NOT_ALLOWED: &str = "order_reason_not_allowed";
    /// No item named, or an item that is not in the order.
    pub const ORDER_ITEMS_NOT_IN_ORDER: &str = "order_items_not_in_order";
    /// Not exactly one replacement per item.
    pub const ORDER_ITEMS_UNPAIRED: &str = "order_items_unpaired";
    /// A replacement that is the item it replaces.
    pub const ORDER_ITEM_UNCHANGED: &str = "order_item_unchanged";
    /// A replacement of another product.
    pub const ORDER_ITEM_OTHER_PRODUCT: &str = "order_item_other_product";
    /// A replacement not in the catalogue, or not available.
    pub const ORDER_ITEM_UNAVAILABLE: &str = "order_item_unavailable";
    /// A payment method the kind's `payment_method` rule does not allow.
    pub const ORDER_PAYMENT_METHOD_NOT_ALLOWED: &str = "order_payment_method_not_allowed";
    /// A gift card whose balance does not cover what the action charges to it.
    pub const ORDER_GIFT_CARD_INSUFFICIENT: &str = "order_gift_card_insufficient";
    /// The configured mode of the action kind.
    pub const CONFIGURED_MODE: &str = "configured_mode";
    /// A configured mode that is not `auto`, `approval`, `escalate` or `deny`.
    pub const UNRECOGNISED_MODE: &str = "unrecognised_mode";
    /// An approval whose approver list resolved to empty.
    pub const NO_APPROVERS: &str = "no_approvers";
}
