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
//! | 10 | Every other kind (`magic_link`, `update_email`, `update_name`, `bulk_seats`, `delete_account`, `cancel_subscription`, `cancel_order`, `change_address`, `return_items`, `exchange_items`): its configured mode. | per config |
//! | 11 | A configured mode that is not one of `auto`, `approval`, `escalate`, `deny`. | escalate, never auto |
//! | 12 | An approval with nobody to approve it (the approver list resolves to empty). | escalate |
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
}

impl ActionKind {
    pub const ALL: [ActionKind; 12] = [
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
    /// Refunds and transfers of team/bundle purchases: this mode applies when it is stricter
    /// than the purchase-age rules.
    pub team_purchases: String,
    /// Signals that always escalate. `repeated_failures` escalates whether listed or not.
    pub escalate_signals: Vec<Signal>,
    /// Classifier confidence below this escalates (strictly below: exactly this passes).
    pub min_confidence: f64,
    /// Who may decide approvals (`user:<email>`), unless overridden per kind or per request.
    pub approvers: Vec<String>,
    /// Per action kind approver lists, replacing `approvers` for that kind.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub approvers_by_kind: BTreeMap<ActionKind, Vec<String>>,
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
            team_purchases: approval(),
            escalate_signals: vec![Signal::Angry, Signal::LegalThreat],
            min_confidence: 0.5,
            approvers: vec![DEFAULT_APPROVER.to_owned()],
            approvers_by_kind: BTreeMap::new(),
        }
    }
}

/// The top-level keys of a policy file, in declaration order.
const KEYS: [&str; 20] = [
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
    "team_purchases",
    "escalate_signals",
    "min_confidence",
    "approvers",
    "approvers_by_kind",
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
    fn modes(&self) -> [(&'static str, &str); 11] {
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

/// What the policy decides on: structured facts, never free text.
///
/// This is what makes the engine safe from prompt injection by construction. A customer's
/// message can steer what the model *proposes*, but nothing the customer wrote reaches this
/// struct: the action is a closed enum, times and amounts are numbers, the purchase comes
/// from the app's SDK (and `purchase_known` says whether the proposed id is really one of
/// the customer's purchases), signals are a closed enum, and the category is a name from
/// the fixed taxonomy. Strings that do appear (ids, currency, status, approvers, category)
/// are compared against fixed values or copied to the verdict's approver list by the
/// caller; none is interpreted as an instruction, and none is quoted in a verdict's reason,
/// which is built only from rule templates, numbers and enum names. So however a message is
/// worded, the verdict for the same facts is the same.
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

/// 10–11. Kinds decided by their configured mode.
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
