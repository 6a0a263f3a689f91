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

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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

/// Conversation signals (DESIGN §5), detected by deterministic rules or the classifier and
/// passed in as a closed set, never as the text that triggered them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    Angry,
    LegalThreat,
    OutsidePolicyWindow,
    AutomatedSender,
    VendorOutreach,
    TeamEnterprise,
    PersonalToInstructor,
    RepeatedFailures,
}

impl Signal {
    pub const ALL: [Signal; 8] = [
        Signal::Angry,
        Signal::LegalThreat,
        Signal::OutsidePolicyWindow,
        Signal::AutomatedSender,
        Signal::VendorOutreach,
        Signal::TeamEnterprise,
        Signal::PersonalToInstructor,
        Signal::RepeatedFailures,
    ];

    /// The order in which escalating signals are reported when several are present: legal
    /// outranks angry (as in routing), angry outranks repeated failures, then the rest.
    const PRECEDENCE: [Signal; 8] = [
        Signal::LegalThreat,
        Signal::Angry,
        Signal::RepeatedFailures,
        Signal::OutsidePolicyWindow,
        Signal::AutomatedSender,
        Signal::VendorOutreach,
        Signal::TeamEnterprise,
        Signal::PersonalToInstructor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Angry => "angry",
            Signal::LegalThreat => "legal_threat",
            Signal::OutsidePolicyWindow => "outside_policy_window",
            Signal::AutomatedSender => "automated_sender",
            Signal::VendorOutreach => "vendor_outreach",
            Signal::TeamEnterprise => "team_enterprise",
            Signal::PersonalToInstructor => "personal_to_instructor",
            Signal::RepeatedFailures => "repeated_failures",
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an action kind is handled, as written in the policy file. Mode fields in
/// [`PolicyConfig`] are kept as strings so that a mode this build does not know (a typo, or
/// a file written for a newer build) still loads through `serde` and then escalates in
/// [`evaluate`] rather than ever running automatically; [`PolicyConfig::from_toml`] refuses
/// such a file outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Auto,
    Approval,
    Escalate,
    Deny,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::Auto, Mode::Approval, Mode::Escalate, Mode::Deny];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Auto => "auto",
            Mode::Approval => "approval",
            Mode::Escalate => "escalate",
            Mode::Deny => "deny",
        }
    }

    /// Exact, lower-case names only.
    pub fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// A per-app policy (DESIGN §6). Every field has the spec's default, so an empty file is the
/// default policy and a file only needs the keys it overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// Recorded with every decision, together with [`PolicyConfig::fingerprint`].
    pub version: String,
    /// Refunds up to this many days (to the second) after purchase run automatically.
    pub auto_approve_refund_days: u32,
    /// Refunds up to this many days need an approval; later ones escalate.
    pub approval_refund_days: u32,
    /// Within the auto window, refunds of more than this many cents need an approval. The
    /// peer's "auto only under $100" rule is `9999`. `None`: no cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_auto_refund_cents: Option<i64>,
    /// Transfers up to this many days after purchase run automatically; later ones need an
    /// approval.
    pub auto_approve_transfer_days: u32,
    pub magic_link: String,
    pub update_email: String,
    pub update_name: String,
    pub bulk_seats: String,
    pub delete_account: String,
    pub cancel_subscription: String,
    pub cancel_order: String,
    pub change_address: String,
    pub return_items: String,
    pub exchange_items: String,
    /// Left out of the file and the fingerprint while it holds its default, so a policy
    /// written before this kind existed keeps its fingerprint.
    #[serde(skip_serializing_if = "is_default_mode")]
    pub modify_items: String,
    /// As `modify_items`: omitted while it holds its default.
    #[serde(skip_serializing_if = "is_default_mode")]
    pub change_payment: String,
    /// Refunds and transfers of team/bundle purchases: this mode applies when it is stricter
    /// than the purchase-age rules.
    pub team_purchases: String,
    /// Signals that always escalate. `repeated_failures` escalates whether listed or not.
    pub escalate_signals: Vec<Signal>,
    /// Classifier confidence below this escalates (strictly below: exactly this passes).
    pub min_confidence: f64,
    /// Who may decide approvals: `user:<email>` (dashboard, CLI) or `slack:<user id>`
    /// (Slack buttons), unless overridden per kind or per request.
    pub approvers: Vec<String>,
    /// Per action kind approver lists, replacing `approvers` for that kind.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub approvers_by_kind: BTreeMap<ActionKind, Vec<String>>,
    /// What an order must look like for an order action to run at all (rule 10). `None`, the
    /// default, checks nothing, and is left out of the file and the fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orders: Option<OrderPolicy>,
    /// Which brain decides this app's messages (`rules`, `llm` or `tiered`), overriding the
    /// server's `[brain] mode`. A model only proposes either way; this policy decides.
    /// `None`, the default, is left out of the file and the fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brain: Option<String>,
}

/// The default of the mode keys added after the first release (`modify_items`,
/// `change_payment`), which are serialised only when they differ from it.
const DEFAULT_LATER_MODE: Mode = Mode::Approval;

fn is_default_mode(mode: &str) -> bool {
    mode == DEFAULT_LATER_MODE.as_str()
}

impl Default for PolicyConfig {
    fn default() -> Self {
        let approval = || Mode::Approval.as_str().to_owned();
        let auto = || Mode::Auto.as_str().to_owned();
        PolicyConfig {
            version: "1".to_owned(),
            auto_approve_refund_days: 30,
            approval_refund_days: 45,
            max_auto_refund_cents: None,
            auto_approve_transfer_days: 14,
            magic_link: auto(),
            update_email: auto(),
            update_name: auto(),
            bulk_seats: approval(),
            delete_account: approval(),
            cancel_subscription: approval(),
            cancel_order: approval(),
            change_address: approval(),
            return_items: approval(),
            exchange_items: approval(),
            modify_items: DEFAULT_LATER_MODE.as_str().to_owned(),
            change_payment: DEFAULT_LATER_MODE.as_str().to_owned(),
            team_purchases: approval(),
            escalate_signals: vec![Signal::Angry, Signal::LegalThreat],
            min_confidence: 0.5,
            approvers: vec![DEFAULT_APPROVER.to_owned()],
            approvers_by_kind: BTreeMap::new(),
            orders: None,
            brain: None,
        }
    }
}

/// The top-level keys of a policy file, in declaration order.
const KEYS: [&str; 24] = [
    "version",
    "auto_approve_refund_days",
    "approval_refund_days",
    "max_auto_refund_cents",
    "auto_approve_transfer_days",
    "magic_link",
    "update_email",
    "update_name",
    "bulk_seats",
    "delete_account",
    "cancel_subscription",
    "cancel_order",
    "change_address",
    "return_items",
    "exchange_items",
    "modify_items",
    "change_payment",
    "team_purchases",
    "escalate_signals",
    "min_confidence",
    "approvers",
    "approvers_by_kind",
    "orders",
    "brain",
];

/// Why a policy file was refused. Every variant but `Syntax` names the offending key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("policy is not valid TOML: {0}")]
    Syntax(String),
    #[error("unknown policy key `{key}`")]
    UnknownKey { key: String },
    #[error("invalid value for policy key `{key}`: {message}")]
    InvalidValue { key: String, message: String },
}

impl PolicyError {
    /// The key at fault, when there is one (dotted for nested keys, e.g.
    /// `approvers_by_kind.refund`).
    pub fn key(&self) -> Option<&str> {
        match self {
            PolicyError::Syntax(_) => None,
            PolicyError::UnknownKey { key } | PolicyError::InvalidValue { key, .. } => Some(key),
        }
    }

    fn invalid(key: &str, message: impl Into<String>) -> Self {
        PolicyError::InvalidValue {
            key: key.to_owned(),
            message: message.into(),
        }
    }
}

/// `[orders]` in a policy file: unknown kinds and fields, and values of the wrong type, are
/// named with their dotted key (`orders.return_items.payment_method`).
fn check_orders_table(kinds: &toml::Table) -> Result<(), PolicyError> {
    for (kind, rules) in kinds {
        if !OrderPolicy::KEYS.contains(&kind.as_str()) {
            return Err(PolicyError::UnknownKey {
                key: format!("orders.{kind}"),
            });
        }
        let toml::Value::Table(fields) = rules else {
            return Err(PolicyError::invalid(
                &format!("orders.{kind}"),
                "must be a table of order rules",
            ));
        };
        for (field, value) in fields {
            if !OrderRules::KEYS.contains(&field.as_str()) {
                return Err(PolicyError::UnknownKey {
                    key: format!("orders.{kind}.{field}"),
                });
            }
            let mut single = toml::Table::new();
            single.insert(field.clone(), value.clone());
            toml::Value::Table(single)
                .try_into::<OrderRules>()
                .map_err(|e| {
                    PolicyError::invalid(&format!("orders.{kind}.{field}"), e.message())
                })?;
        }
    }
    Ok(())
}

impl PolicyConfig {
    /// Parse and [validate](PolicyConfig::validate) a policy file. Missing keys take their
    /// defaults; unknown keys, values of the wrong type and unrecognised modes are errors
    /// naming the key.
    pub fn from_toml(s: &str) -> Result<Self, PolicyError> {
        let table: toml::Table = s.parse().map_err(|e: toml::de::Error| {
            PolicyError::Syntax(e.to_string().trim_end().to_owned())
        })?;
        for (key, value) in &table {
            if !KEYS.contains(&key.as_str()) {
                return Err(PolicyError::UnknownKey { key: key.clone() });
            }
            if key == "approvers_by_kind"
                && let toml::Value::Table(kinds) = value
                && let Some(kind) = kinds.keys().find(|k| k.parse::<ActionKind>().is_err())
            {
                return Err(PolicyError::UnknownKey {
                    key: format!("approvers_by_kind.{kind}"),
                });
            }
            if key == "orders"
                && let toml::Value::Table(kinds) = value
            {
                check_orders_table(kinds)?;
            }
            // Deserialise each key on its own so a type error can name it: serde's error for
            // the whole table would not say where it came from.
            let mut single = toml::Table::new();
            single.insert(key.clone(), value.clone());
            toml::Value::Table(single)
                .try_into::<PolicyConfig>()
                .map_err(|e| PolicyError::invalid(key, e.message()))?;
        }
        let policy: PolicyConfig = toml::Value::Table(table)
            .try_into()
            .map_err(|e| PolicyError::Syntax(e.to_string()))?;
        policy.validate()?;
        Ok(policy)
    }

    /// Check what the types cannot: modes are known names, windows are ordered, the
    /// confidence floor is a probability, caps are not negative, names are not blank.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.version.trim().is_empty() {
            return Err(PolicyError::invalid("version", "must not be empty"));
        }
        if let Some(b) = &self.brain
            && !matches!(b.as_str(), "rules" | "llm" | "tiered")
        {
            return Err(PolicyError::invalid(
                "brain",
                format!("unknown brain {b:?} (expected rules, llm or tiered)"),
            ));
        }
        for (key, mode) in self.modes() {
            if Mode::parse(mode).is_none() {
                return Err(PolicyError::invalid(
                    key,
                    format!("unknown mode {mode:?} (expected auto, approval, escalate or deny)"),
                ));
            }
        }
        if self.approval_refund_days < self.auto_approve_refund_days {
            return Err(PolicyError::invalid(
                "approval_refund_days",
                "must be at least auto_approve_refund_days",
            ));
        }
        if self.max_auto_refund_cents.is_some_and(|c| c < 0) {
            return Err(PolicyError::invalid(
                "max_auto_refund_cents",
                "must not be negative",
            ));
        }
        if !(0.0..=1.0).contains(&self.min_confidence) {
            return Err(PolicyError::invalid(
                "min_confidence",
                "must be between 0 and 1",
            ));
        }
        if self.approvers.iter().any(|a| a.trim().is_empty()) {
            return Err(PolicyError::invalid("approvers", "must not contain blanks"));
        }
        for (kind, list) in &self.approvers_by_kind {
            if list.iter().any(|a| a.trim().is_empty()) {
                return Err(PolicyError::invalid(
                    &format!("approvers_by_kind.{kind}"),
                    "must not contain blanks",
                ));
            }
        }
        if let Some(orders) = &self.orders {
            for (kind, rules) in orders.configured() {
                rules.validate(kind)?;
            }
        }
        Ok(())
    }

    /// The policy as a TOML file (what `skill apps policy <slug>` prints). Parsing it back
    /// with [`PolicyConfig::from_toml`] gives the same policy.
    pub fn to_toml(&self) -> String {
        match toml::to_string(self) {
            Ok(s) => s,
            // Strings, integers, floats (TOML has nan and inf), arrays and a string-keyed
            // table: every field has a TOML form.
            Err(e) => unreachable!("a policy always has a TOML form: {e}"),
        }
    }

    /// A stable lower-case hex SHA-256 of the policy's canonical form: its JSON with fields
    /// in declaration order and maps sorted by key. Any change to any field changes it;
    /// formatting, comments and key order in the file do not.
    pub fn fingerprint(&self) -> String {
        let canonical = match serde_json::to_vec(self) {
            Ok(v) => v,
            // Plain data with string keys: the only JSON failure, a non-string map key,
            // cannot happen. Non-finite floats serialise as `null`.
            Err(e) => unreachable!("a policy always serialises to JSON: {e}"),
        };
        let mut h = Sha256::new();
        h.update(b"support-core/policy/v1\n");
        h.update(&canonical);
        hex::encode(h.finalize())
    }

    /// The mode keys and their configured values, in declaration order.
    fn modes(&self) -> [(&'static str, &str); 13] {
        [
            ("magic_link", &self.magic_link),
            ("update_email", &self.update_email),
            ("update_name", &self.update_name),
            ("bulk_seats", &self.bulk_seats),
            ("delete_account", &self.delete_account),
            ("cancel_subscription", &self.cancel_subscription),
            ("cancel_order", &self.cancel_order),
            ("change_address", &self.change_address),
            ("return_items", &self.return_items),
            ("exchange_items", &self.exchange_items),
            ("modify_items", &self.modify_items),
            ("change_payment", &self.change_payment),
            ("team_purchases", &self.team_purchases),
        ]
    }

    /// The mode key and value for a kind decided by mode alone (`None` for refunds and
    /// transfers, which are decided by purchase age).
    fn mode_for(&self, kind: ActionKind) -> Option<(&'static str, &str)> {
        let (key, value) = match kind {
            ActionKind::Refund | ActionKind::TransferPurchase => return None,
            ActionKind::MagicLink => ("magic_link", &self.magic_link),
            ActionKind::UpdateEmail => ("update_email", &self.update_email),
            ActionKind::UpdateName => ("update_name", &self.update_name),
            ActionKind::CancelSubscription => ("cancel_subscription", &self.cancel_subscription),
            ActionKind::DeleteAccount => ("delete_account", &self.delete_account),
            ActionKind::BulkSeats => ("bulk_seats", &self.bulk_seats),
            ActionKind::CancelOrder => ("cancel_order", &self.cancel_order),
            ActionKind::ChangeAddress => ("change_address", &self.change_address),
            ActionKind::ReturnItems => ("return_items", &self.return_items),
            ActionKind::ExchangeItems => ("exchange_items", &self.exchange_items),
            ActionKind::ModifyItems => ("modify_items", &self.modify_items),
            ActionKind::ChangePayment => ("change_payment", &self.change_payment),
        };
        Some((key, value.as_str()))
    }
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

/// The `[orders]` section: per order action kind, what the order and the proposed change must
/// look like (rule 10). A kind without a table here is decided by its mode alone, as before
/// the section existed.
///
/// ```toml
/// [orders.cancel_order]
/// allowed_statuses = ["pending"]
/// reasons = ["no longer needed", "ordered by mistake"]
///
/// [orders.return_items]
/// allowed_statuses = ["delivered"]
/// items_in_order = true
/// payment_method = "original_or_gift_card"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrderPolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_order: Option<OrderRules>,
    /// Checked only when the address change names an order: without one it is the
    /// customer's default address, and only the `change_address` mode applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_address: Option<OrderRules>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_payment: Option<OrderRules>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modify_items: Option<OrderRules>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_items: Option<OrderRules>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange_items: Option<OrderRules>,
}

impl OrderPolicy {
    /// The kinds that can have order rules, as named in the file.
    const KEYS: [&str; 6] = [
        "cancel_order",
        "change_address",
        "change_payment",
        "modify_items",
        "return_items",
        "exchange_items",
    ];

    /// The rules for `kind`, when the policy has a table for it.
    pub fn rules_for(&self, kind: ActionKind) -> Option<&OrderRules> {
        match kind {
            ActionKind::CancelOrder => self.cancel_order.as_ref(),
            ActionKind::ChangeAddress => self.change_address.as_ref(),
            ActionKind::ChangePayment => self.change_payment.as_ref(),
            ActionKind::ModifyItems => self.modify_items.as_ref(),
            ActionKind::ReturnItems => self.return_items.as_ref(),
            ActionKind::ExchangeItems => self.exchange_items.as_ref(),
            _ => None,
        }
    }

    /// The configured kinds and their rules.
    fn configured(&self) -> impl Iterator<Item = (ActionKind, &OrderRules)> {
        [
            ActionKind::CancelOrder,
            ActionKind::ChangeAddress,
            ActionKind::ChangePayment,
            ActionKind::ModifyItems,
            ActionKind::ReturnItems,
            ActionKind::ExchangeItems,
        ]
        .into_iter()
        .filter_map(|k| self.rules_for(k).map(|r| (k, r)))
    }
}

/// What one order action requires. Every check but `allowed_statuses` is opt-in: a policy
/// states the rules of its store, and this engine knows nothing about any particular store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrderRules {
    /// The order statuses (exact names, as the store reports them) in which the action may
    /// run. Must not be empty: an action whose statuses are not stated is never allowed.
    pub allowed_statuses: Vec<String>,
    /// The accepted reasons (exact names). Empty: the action takes no reason.
    pub reasons: Vec<String>,
    /// Refused once the order's items have been modified: the store allows one modification.
    pub once_per_order: bool,
    /// At least one item is named, and every item named is in the order (an item named twice
    /// must be in the order twice).
    pub items_in_order: bool,
    /// Each replacement is a variant of the same product as the item it replaces.
    pub same_product: bool,
    /// Each replacement differs from the item it replaces.
    pub different_item: bool,
    /// Each replacement is in the catalogue and available.
    pub available_only: bool,
    /// The payment method the money is charged to or refunded to.
    pub payment_method: PaymentRule,
    /// A gift card charged by the action has the balance to cover the charge: the price
    /// difference of replacements, or the order's total for `change_payment`.
    pub gift_card_covers: bool,
}

impl OrderRules {
    /// The fields as named in the file.
    const KEYS: [&str; 9] = [
        "allowed_statuses",
        "reasons",
        "once_per_order",
        "items_in_order",
        "same_product",
        "different_item",
        "available_only",
        "payment_method",
        "gift_card_covers",
    ];

    fn validate(&self, kind: ActionKind) -> Result<(), PolicyError> {
        let key = |field: &str| format!("orders.{kind}.{field}");
        if self.allowed_statuses.is_empty() {
            return Err(PolicyError::invalid(
                &key("allowed_statuses"),
                "must list at least one status",
            ));
        }
        if self.allowed_statuses.iter().any(|s| s.trim().is_empty()) {
            return Err(PolicyError::invalid(
                &key("allowed_statuses"),
                "must not contain blanks",
            ));
        }
        if self.reasons.iter().any(|s| s.trim().is_empty()) {
            return Err(PolicyError::invalid(
                &key("reasons"),
                "must not contain blanks",
            ));
        }
        Ok(())
    }
}

/// Which payment method an order action may charge or refund. Every rule but `any` requires
/// one of the customer's own payment methods.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentRule {
    /// No check.
    #[default]
    Any,
    /// One of the customer's payment methods.
    Customer,
    /// The order's original payment method (its first payment).
    Original,
    /// The original payment method, or one of the customer's gift cards.
    OriginalOrGiftCard,
    /// One of the customer's payment methods other than the original.
    CustomerNotOriginal,
}

impl PaymentRule {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentRule::Any => "any",
            PaymentRule::Customer => "customer",
            PaymentRule::Original => "original",
            PaymentRule::OriginalOrGiftCard => "original_or_gift_card",
            PaymentRule::CustomerNotOriginal => "customer_not_original",
        }
    }

    /// How a refusal reads in a verdict's reason.
    fn requirement(self) -> &'static str {
        match self {
            PaymentRule::Any => "any payment method",
            PaymentRule::Customer => "one of the customer's payment methods",
            PaymentRule::Original => "the order's original payment method",
            PaymentRule::OriginalOrGiftCard => {
                "the order's original payment method or one of the customer's gift cards"
            }
            PaymentRule::CustomerNotOriginal => {
                "one of the customer's payment methods other than the original"
            }
        }
    }
}

/// The order an order action is about, as the store reports it, with the change the
/// proposal asks for. Like [`PurchaseFacts`], its strings are only ever compared: with each
/// other and with the policy's lists, never quoted in a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderFacts {
    /// The order is among the customer's orders (the order id the proposal names was found
    /// under the customer in the store).
    #[serde(default)]
    pub known: bool,
    /// As the store names it; compared with `allowed_statuses`.
    pub status: String,
    /// The order's items were already modified once.
    #[serde(default)]
    pub items_modified: bool,
    /// The items in the order; an item bought twice is listed twice.
    #[serde(default)]
    pub items: Vec<OrderItemFacts>,
    /// The order's payment history, oldest first; the first payment is the original method.
    #[serde(default)]
    pub payments: Vec<OrderPaymentFacts>,
    /// The customer's payment methods.
    #[serde(default)]
    pub customer_payment_methods: Vec<PaymentMethodFacts>,
    /// What the proposed action would change.
    #[serde(default)]
    pub change: OrderChange,
}

impl OrderFacts {
    /// The payment method of the order's first payment.
    pub fn original_payment_method(&self) -> Option<&str> {
        self.payments
            .iter()
            .find(|p| !p.refund)
            .map(|p| p.payment_method_id.as_str())
    }

    /// What the customer has paid and not been refunded, in cents.
    pub fn net_paid_cents(&self) -> i64 {
        self.payments.iter().fold(0i64, |sum, p| {
            if p.refund {
                sum.saturating_sub(p.amount_cents)
            } else {
                sum.saturating_add(p.amount_cents)
            }
        })
    }

    fn customer_method(&self, id: &str) -> Option<&PaymentMethodFacts> {
        self.customer_payment_methods.iter().find(|m| m.id == id)
    }
}

/// One item of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderItemFacts {
    pub item_id: String,
    pub product_id: String,
    pub price_cents: i64,
}

/// One entry of an order's payment history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderPaymentFacts {
    pub payment_method_id: String,
    pub amount_cents: i64,
    /// A refund rather than a payment.
    #[serde(default)]
    pub refund: bool,
}

/// One of the customer's payment methods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodFacts {
    pub id: String,
    pub kind: PaymentMethodKind,
    /// What is left on a gift card.
    #[serde(default)]
    pub balance_cents: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethodKind {
    GiftCard,
    CreditCard,
    Paypal,
    Other,
}

/// The parameters of a proposed order action that the rules read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrderChange {
    /// The reason given (for a cancellation), compared with the policy's `reasons`.
    pub reason: Option<String>,
    /// The payment method to charge or refund.
    pub payment_method_id: Option<String>,
    /// The order's items the action is about (returned, exchanged or modified).
    pub item_ids: Vec<String>,
    /// The replacements, in the same order as `item_ids`, as the catalogue reports them.
    pub new_items: Vec<CatalogItemFacts>,
}

/// A catalogue item proposed as a replacement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogItemFacts {
    pub item_id: String,
    /// `None`: the catalogue has no such item.
    #[serde(default)]
    pub product_id: Option<String>,
    #[serde(default)]
    pub available: bool,
    #[serde(default)]
    pub price_cents: i64,
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
}

/// The policy's decision on one proposed action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Run it now.
    Auto,
    /// Run it once one of `approvers` approves.
    Approval {
        approvers: Vec<String>,
        reason: String,
    },
    /// Do not run it; hand the conversation to a human.
    Escalate { reason: String },
    /// Never run it.
    Deny { reason: String },
}

impl Verdict {
    /// `auto`, `approval`, `escalate` or `deny`, as in the JSON tag.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Auto => "auto",
            Verdict::Approval { .. } => "approval",
            Verdict::Escalate { .. } => "escalate",
            Verdict::Deny { .. } => "deny",
        }
    }

    pub fn is_auto(&self) -> bool {
        matches!(self, Verdict::Auto)
    }

    /// The reason, for every verdict but `Auto`.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Verdict::Auto => None,
            Verdict::Approval { reason, .. }
            | Verdict::Escalate { reason }
            | Verdict::Deny { reason } => Some(reason),
        }
    }
}

/// A verdict with what is recorded alongside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    pub verdict: Verdict,
    /// The rule that decided, one of [`rules`].
    pub rule: &'static str,
    pub policy_version: String,
    pub policy_fingerprint: String,
}

/// Decide a proposed action. See the [module docs](self) for the rules and their order.
pub fn evaluate(policy: &PolicyConfig, facts: &Facts) -> Verdict {
    decide(policy, facts).0
}

/// [`evaluate`], with the deciding rule and the policy's version and fingerprint.
pub fn evaluate_detailed(policy: &PolicyConfig, facts: &Facts) -> Evaluation {
    let (verdict, rule) = decide(policy, facts);
    Evaluation {
        verdict,
        rule,
        policy_version: policy.version.clone(),
        policy_fingerprint: policy.fingerprint(),
    }
}

/// A verdict before approvers are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Auto,
    Approval,
    Escalate,
    Deny,
}

impl From<Mode> for Outcome {
    fn from(m: Mode) -> Self {
        match m {
            Mode::Auto => Outcome::Auto,
            Mode::Approval => Outcome::Approval,
            Mode::Escalate => Outcome::Escalate,
            Mode::Deny => Outcome::Deny,
        }
    }
}

/// An outcome, the rule that produced it and why.
type Ruling = (Outcome, &'static str, String);

fn decide(policy: &PolicyConfig, facts: &Facts) -> (Verdict, &'static str) {
    let (outcome, rule, reason) = rule_chain(policy, facts);
    let verdict = match outcome {
        Outcome::Auto => Verdict::Auto,
        Outcome::Escalate => Verdict::Escalate { reason },
        Outcome::Deny => Verdict::Deny { reason },
        Outcome::Approval => {
            let approvers = approvers_for(policy, facts);
            if approvers.is_empty() {
                return (
                    Verdict::Escalate {
                        reason: format!("{reason}; no approvers are configured"),
                    },
                    rules::NO_APPROVERS,
                );
            }
            Verdict::Approval { approvers, reason }
        }
    };
    (verdict, rule)
}

fn approvers_for(policy: &PolicyConfig, facts: &Facts) -> Vec<String> {
    if !facts.approvers.is_empty() {
        return facts.approvers.clone();
    }
    policy
        .approvers_by_kind
        .get(&facts.action)
        .unwrap_or(&policy.approvers)
        .clone()
}

fn rule_chain(policy: &PolicyConfig, facts: &Facts) -> Ruling {
    // 1. Escalating signals, by precedence.
    let escalating = Signal::PRECEDENCE.into_iter().find(|s| {
        facts.signals.contains(s)
            && (*s == Signal::RepeatedFailures || policy.escalate_signals.contains(s))
    });
    if let Some(signal) = escalating {
        return (
            Outcome::Escalate,
            rules::ESCALATE_SIGNAL,
            format!("signal {signal} always escalates"),
        );
    }

    // 2. Confidence, strictly below the floor. A NaN on either side compares as `None` and
    // escalates too.
    let passes = matches!(
        facts.confidence.partial_cmp(&policy.min_confidence),
        Some(Ordering::Greater | Ordering::Equal)
    );
    if !passes {
        return (
            Outcome::Escalate,
            rules::LOW_CONFIDENCE,
            format!(
                "classifier confidence {} is below the policy minimum {}",
                facts.confidence, policy.min_confidence
            ),
        );
    }

    // 3. The purchase must be one of the customer's.
    let purchase = match &facts.purchase {
        Some(p) if facts.purchase_known => Some(p),
        Some(_) => return unknown_purchase(),
        None if facts.action.needs_purchase() => return unknown_purchase(),
        None => None,
    };

    // 10. What the order must look like, for kinds with order rules.
    if let Some(rules) = policy
        .orders
        .as_ref()
        .and_then(|o| o.rules_for(facts.action))
        && let Some(refusal) = check_order(facts.action, rules, facts.order.as_ref())
    {
        return refusal;
    }

    match (facts.action, purchase) {
        (ActionKind::Refund, Some(p)) => refund(policy, facts, p),
        (ActionKind::TransferPurchase, Some(p)) => transfer(policy, facts, p),
        (kind, _) => match policy.mode_for(kind) {
            Some((key, mode)) => by_mode(key, mode, kind.as_str()),
            // Refunds and transfers always have a purchase by now.
            None => unknown_purchase(),
        },
    }
}

fn unknown_purchase() -> Ruling {
    (
        Outcome::Approval,
        rules::UNKNOWN_PURCHASE,
        "the purchase is not among the customer's purchases".to_owned(),
    )
}

/// 4. Only active purchases can be refunded or transferred.
fn check_status(p: &PurchaseFacts) -> Option<Ruling> {
    match p.status.as_str() {
        "active" => None,
        "refunded" | "transferred" => Some((
            Outcome::Deny,
            rules::PURCHASE_NOT_ACTIVE,
            format!("the purchase is already {}", p.status),
        )),
        _ => Some((
            Outcome::Escalate,
            rules::UNRECOGNISED_PURCHASE_STATUS,
            "the purchase status is not one the policy recognises".to_owned(),
        )),
    }
}

/// 6. Clock skew or bad data: never automatic.
fn check_future(age: i64) -> Option<Ruling> {
    (age < 0).then(|| {
        (
            Outcome::Approval,
            rules::FUTURE_PURCHASE,
            format!(
                "the purchase is dated {} in the future",
                fmt_duration(age.saturating_neg())
            ),
        )
    })
}

fn refund(policy: &PolicyConfig, facts: &Facts, p: &PurchaseFacts) -> Ruling {
    if let Some(r) = check_status(p) {
        return r;
    }

    // 5. Amounts.
    let refundable = p.refundable();
    let amount = facts.requested_amount_cents.unwrap_or(refundable);
    if amount <= 0 {
        let reason = if facts.requested_amount_cents.is_some() {
            format!("the requested refund of {amount} cents is not a positive amount")
        } else {
            "nothing is left to refund on the purchase".to_owned()
        };
        return (Outcome::Deny, rules::NOTHING_TO_REFUND, reason);
    }
    if amount > refundable {
        return (
            Outcome::Deny,
            rules::REFUND_EXCEEDS_REFUNDABLE,
            format!(
                "the requested refund of {amount} cents exceeds the refundable {refundable} cents"
            ),
        );
    }

    let age = facts.now.saturating_sub(p.purchased_at);
    if let Some(r) = check_future(age) {
        return r;
    }

    // 7. Age windows, inclusive, to the second.
    let auto_days = policy.auto_approve_refund_days;
    let approval_days = policy.approval_refund_days;
    let by_age = if age <= days(auto_days) {
        match policy.max_auto_refund_cents {
            Some(cap) if amount > cap => (
                Outcome::Approval,
                rules::REFUND_OVER_AUTO_CAP,
                format!("a refund of {amount} cents is over the automatic limit of {cap} cents"),
            ),
            _ => (
                Outcome::Auto,
                rules::REFUND_AUTO_WINDOW,
                format!(
                    "purchased {} ago, within {auto_days} days",
                    fmt_duration(age)
                ),
            ),
        }
    } else if age <= days(approval_days) {
        (
            Outcome::Approval,
            rules::REFUND_APPROVAL_WINDOW,
            format!(
                "purchased {} ago, after the {auto_days}-day automatic refund window",
                fmt_duration(age)
            ),
        )
    } else {
        (
            Outcome::Escalate,
            rules::REFUND_OUTSIDE_WINDOW,
            format!(
                "purchased {} ago, outside the {approval_days}-day refund window",
                fmt_duration(age)
            ),
        )
    };
    team_floor(policy, p, by_age)
}

fn transfer(policy: &PolicyConfig, facts: &Facts, p: &PurchaseFacts) -> Ruling {
    if let Some(r) = check_status(p) {
        return r;
    }
    let age = facts.now.saturating_sub(p.purchased_at);
    if let Some(r) = check_future(age) {
        return r;
    }

    // 8.
    let window = policy.auto_approve_transfer_days;
    let by_age = if age <= days(window) {
        (
            Outcome::Auto,
            rules::TRANSFER_AUTO_WINDOW,
            format!("purchased {} ago, within {window} days", fmt_duration(age)),
        )
    } else {
        (
            Outcome::Approval,
            rules::TRANSFER_AFTER_WINDOW,
            format!(
                "purchased {} ago, after the {window}-day automatic transfer window",
                fmt_duration(age)
            ),
        )
    };
    team_floor(policy, p, by_age)
}

/// 9. A team/bundle purchase gets the `team_purchases` mode when that is stricter.
fn team_floor(policy: &PolicyConfig, p: &PurchaseFacts, by_age: Ruling) -> Ruling {
    if !p.team {
        return by_age;
    }
    let team = match Mode::parse(&policy.team_purchases) {
        Some(mode) => (
            Outcome::from(mode),
            rules::TEAM_PURCHASE,
            format!(
                "team and bundle purchases are configured as {}",
                mode.as_str()
            ),
        ),
        None => unrecognised_mode("team_purchases"),
    };
    if team.0 > by_age.0 { team } else { by_age }
}

/// Rule 10: an order action against the kind's order rules. `None` when every rule passes
/// (the kind's mode then decides), else the refusal. The checks run in the order of the rule
/// table, each over every item, so the deciding rule does not depend on the order of the items.
fn check_order(kind: ActionKind, spec: &OrderRules, order: Option<&OrderFacts>) -> Option<Ruling> {
    let deny = |rule: &'static str, reason: String| Some((Outcome::Deny, rule, reason));
    let unknown = |reason: &str| Some((Outcome::Approval, rules::UNKNOWN_ORDER, reason.to_owned()));
    let order = match order {
        Some(o) if o.known => o,
        Some(_) => return unknown("the order is not among the customer's orders"),
        // No order: an address change is then the customer's own address.
        None if kind == ActionKind::ChangeAddress => return None,
        None => return unknown("the proposal names no order"),
    };
    if !spec.allowed_statuses.contains(&order.status) {
        return deny(
            rules::ORDER_STATUS_NOT_ALLOWED,
            format!(
                "{kind} is only allowed for an order in status {}",
                spec.allowed_statuses.join(" or ")
            ),
        );
    }
    if spec.once_per_order && order.items_modified {
        return deny(
            rules::ORDER_ALREADY_MODIFIED,
            "the order's items have already been modified once".to_owned(),
        );
    }
    let change = &order.change;
    if !spec.reasons.is_empty()
        && !change
            .reason
            .as_ref()
            .is_some_and(|r| spec.reasons.contains(r))
    {
        return deny(
            rules::ORDER_REASON_NOT_ALLOWED,
            format!(
                "{kind} needs one of the reasons: {}",
                spec.reasons.join(", ")
            ),
        );
    }
    if spec.items_in_order && !items_in_order(&change.item_ids, &order.items) {
        return deny(
            rules::ORDER_ITEMS_NOT_IN_ORDER,
            format!("{kind} must name items of the order, and only those"),
        );
    }
    if let Some(refusal) = check_replacements(kind, spec, order) {
        return Some(refusal);
    }
    if let Some(refusal) = check_payment(kind, spec, order) {
        return Some(refusal);
    }
    None
}

/// Every item named is in the order, as many times as it is named.
fn items_in_order(named: &[String], items: &[OrderItemFacts]) -> bool {
    !named.is_empty()
        && named.iter().all(|id| {
            let wanted = named.iter().filter(|n| *n == id).count();
            let held = items.iter().filter(|i| &i.item_id == id).count();
            wanted <= held
        })
}

/// The replacement rules; they apply only when the policy sets at least one of them.
fn check_replacements(kind: ActionKind, spec: &OrderRules, order: &OrderFacts) -> Option<Ruling> {
    if !(spec.same_product || spec.different_item || spec.available_only) {
        return None;
    }
    let deny = |rule: &'static str, reason: String| Some((Outcome::Deny, rule, reason));
    let change = &order.change;
    let old_items: Option<Vec<&OrderItemFacts>> = change
        .item_ids
        .iter()
        .map(|id| order.items.iter().find(|i| &i.item_id == id))
        .collect();
    let Some(old_items) = old_items else {
        return deny(
            rules::ORDER_ITEMS_NOT_IN_ORDER,
            format!("{kind} must name items of the order, and only those"),
        );
    };
    if old_items.is_empty() || old_items.len() != change.new_items.len() {
        return deny(
            rules::ORDER_ITEMS_UNPAIRED,
            format!("{kind} needs exactly one replacement for each item"),
        );
    }
    let pairs = || old_items.iter().zip(&change.new_items);
    if spec.different_item && pairs().any(|(old, new)| old.item_id == new.item_id) {
        return deny(
            rules::ORDER_ITEM_UNCHANGED,
            format!("{kind} would replace an item with the same item"),
        );
    }
    if spec.same_product
        && pairs().any(|(old, new)| new.product_id.as_deref() != Some(old.product_id.as_str()))
    {
        return deny(
            rules::ORDER_ITEM_OTHER_PRODUCT,
            format!("{kind} may only replace an item with a variant of the same product"),
        );
    }
    if spec.available_only && pairs().any(|(_, new)| new.product_id.is_none() || !new.available) {
        return deny(
            rules::ORDER_ITEM_UNAVAILABLE,
            format!("{kind} names a replacement that is not available"),
        );
    }
    None
}

/// The payment method rule, then the gift card balance.
fn check_payment(kind: ActionKind, spec: &OrderRules, order: &OrderFacts) -> Option<Ruling> {
    let method_id = order.change.payment_method_id.as_deref();
    let method = method_id.and_then(|id| order.customer_method(id));
    let original = order.original_payment_method();
    let allowed = match spec.payment_method {
        PaymentRule::Any => true,
        rule => method.is_some_and(|m| match rule {
            PaymentRule::Any | PaymentRule::Customer => true,
            PaymentRule::Original => Some(m.id.as_str()) == original,
            PaymentRule::OriginalOrGiftCard => {
                Some(m.id.as_str()) == original || m.kind == PaymentMethodKind::GiftCard
            }
            PaymentRule::CustomerNotOriginal => Some(m.id.as_str()) != original,
        }),
    };
    if !allowed {
        return Some((
            Outcome::Deny,
            rules::ORDER_PAYMENT_METHOD_NOT_ALLOWED,
            format!("{kind} must use {}", spec.payment_method.requirement()),
        ));
    }
    let card = method.filter(|m| spec.gift_card_covers && m.kind == PaymentMethodKind::GiftCard)?;
    let charge = if !order.change.new_items.is_empty() {
        price_difference(order)
    } else if kind == ActionKind::ChangePayment {
        order.net_paid_cents()
    } else {
        0
    };
    let balance = card.balance_cents.unwrap_or(0);
    (charge > balance).then(|| {
        (
            Outcome::Deny,
            rules::ORDER_GIFT_CARD_INSUFFICIENT,
            format!("the gift card balance of {balance} cents does not cover {charge} cents"),
        )
    })
}

/// What the replacements cost more than the items they replace, in cents (negative: a
/// refund). Items not in the order count as costing nothing.
fn price_difference(order: &OrderFacts) -> i64 {
    let change = &order.change;
    change
        .item_ids
        .iter()
        .zip(&change.new_items)
        .fold(0i64, |sum, (id, new)| {
            let old = order
                .items
                .iter()
                .find(|i| &i.item_id == id)
                .map_or(0, |i| i.price_cents);
            sum.saturating_add(new.price_cents.saturating_sub(old))
        })
}

/// 11–12. Kinds decided by their configured mode.
fn by_mode(key: &'static str, mode: &str, kind: &str) -> Ruling {
    match Mode::parse(mode) {
        Some(m) => (
            Outcome::from(m),
            rules::CONFIGURED_MODE,
            format!("{kind} is configured as {}", m.as_str()),
        ),
        None => unrecognised_mode(key),
    }
}

fn unrecognised_mode(key: &'static str) -> Ruling {
    (
        Outcome::Escalate,
        rules::UNRECOGNISED_MODE,
        format!("policy key {key} has an unrecognised mode"),
    )
}

fn days(d: u32) -> i64 {
    i64::from(d) * DAY_SECS
}

/// `30 days`, `30 days 00:00:01`: whole days stay short, anything else shows the seconds
/// that put it over a boundary.
fn fmt_duration(secs: i64) -> String {
    let (d, rest) = (secs / DAY_SECS, secs % DAY_SECS);
    let unit = if d == 1 { "day" } else { "days" };
    if rest == 0 {
        format!("{d} {unit}")
    } else {
        format!(
            "{d} {unit} {:02}:{:02}:{:02}",
            rest / 3600,
            rest % 3600 / 60,
            rest % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_list_matches_the_struct() {
        let mut policy = PolicyConfig {
            max_auto_refund_cents: Some(1),
            modify_items: "auto".into(),
            change_payment: "auto".into(),
            orders: Some(OrderPolicy::default()),
            brain: Some("tiered".into()),
            ..PolicyConfig::default()
        };
        policy
            .approvers_by_kind
            .insert(ActionKind::Refund, vec!["user:a@x".into()]);
        let json = serde_json::to_value(&policy).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = KEYS.to_vec();
        expected.sort_unstable();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, expected);
    }

    #[test]
    fn order_keys_match_the_structs() {
        let rules = serde_json::to_value(OrderRules::default()).unwrap();
        let mut keys: Vec<&str> = rules
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut expected = OrderRules::KEYS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected);

        let some = || Some(OrderRules::default());
        let all = OrderPolicy {
            cancel_order: some(),
            change_address: some(),
            change_payment: some(),
            modify_items: some(),
            return_items: some(),
            exchange_items: some(),
        };
        let json = serde_json::to_value(&all).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut expected = OrderPolicy::KEYS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        for key in OrderPolicy::KEYS {
            let kind: ActionKind = key.parse().unwrap();
            assert!(all.rules_for(kind).is_some(), "{key}");
        }
        assert_eq!(all.configured().count(), OrderPolicy::KEYS.len());
    }

    #[test]
    fn every_mode_key_is_listed() {
        let policy = PolicyConfig::default();
        for (key, _) in policy.modes() {
            assert!(KEYS.contains(&key), "{key}");
        }
        for kind in ActionKind::ALL {
            if let Some((key, _)) = policy.mode_for(kind) {
                assert_eq!(key, kind.as_str());
            } else {
                assert!(kind.needs_purchase());
            }
        }
    }

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

    #[test]
    fn outcome_strictness_order() {
        assert!(Outcome::Auto < Outcome::Approval);
        assert!(Outcome::Approval < Outcome::Escalate);
        assert!(Outcome::Escalate < Outcome::Deny);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(fmt_duration(0), "0 days");
        assert_eq!(fmt_duration(DAY_SECS), "1 day");
        assert_eq!(fmt_duration(30 * DAY_SECS), "30 days");
        assert_eq!(fmt_duration(30 * DAY_SECS + 1), "30 days 00:00:01");
        assert_eq!(fmt_duration(3661), "0 days 01:01:01");
    }

    #[test]
    fn default_is_valid_and_matches_design() {
        let p = PolicyConfig::default();
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(p.auto_approve_refund_days, 30);
        assert_eq!(p.approval_refund_days, 45);
        assert_eq!(p.auto_approve_transfer_days, 14);
        assert_eq!(p.max_auto_refund_cents, None);
        assert_eq!(p.min_confidence, 0.5);
        assert_eq!(p.escalate_signals, [Signal::Angry, Signal::LegalThreat]);
        assert_eq!(p.approvers, [DEFAULT_APPROVER]);
    }

    #[test]
    fn nan_confidence_escalates() {
        let facts = Facts {
            action: ActionKind::MagicLink,
            now: 0,
            purchase: None,
            purchase_known: false,
            requested_amount_cents: None,
            category: "support_access".into(),
            confidence: f64::NAN,
            signals: vec![],
            approvers: vec![],
            order: None,
        };
        let e = evaluate_detailed(&PolicyConfig::default(), &facts);
        assert_eq!(e.rule, rules::LOW_CONFIDENCE);
        // A policy built in code with a NaN floor escalates everything rather than nothing.
        let policy = PolicyConfig {
            min_confidence: f64::NAN,
            ..PolicyConfig::default()
        };
        let facts = Facts {
            confidence: 1.0,
            ..facts
        };
        assert_eq!(
            evaluate_detailed(&policy, &facts).rule,
            rules::LOW_CONFIDENCE
        );
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        let purchase = PurchaseFacts {
            id: "p".into(),
            purchased_at: i64::MIN,
            amount_cents: 100,
            currency: "usd".into(),
            status: "active".into(),
            team: false,
            refundable_cents: None,
        };
        let facts = Facts {
            action: ActionKind::Refund,
            now: i64::MAX,
            purchase: Some(purchase.clone()),
            purchase_known: true,
            requested_amount_cents: None,
            category: "support_refund".into(),
            confidence: 1.0,
            signals: vec![],
            approvers: vec![],
            order: None,
        };
        let policy = PolicyConfig::default();
        assert_eq!(
            evaluate_detailed(&policy, &facts).rule,
            rules::REFUND_OUTSIDE_WINDOW
        );
        let facts = Facts {
            now: i64::MIN,
            purchase: Some(PurchaseFacts {
                purchased_at: i64::MAX,
                ..purchase
            }),
            ..facts
        };
        assert_eq!(
            evaluate_detailed(&policy, &facts).rule,
            rules::FUTURE_PURCHASE
        );
    }
}
