//! The policy file: modes, `PolicyConfig` with its defaults, parsing, validation and fingerprint.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::*;

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
    /// Action kinds whose object must be grounded in the message: a proposal of one of these
    /// whose object is unresolved (named but not the customer's, someone else's, ambiguous)
    /// escalates; any other kind with an unresolved object needs an approval. Left out of the
    /// file and the fingerprint while it holds its default.
    #[serde(skip_serializing_if = "is_default_grounding")]
    pub require_grounding: Vec<ActionKind>,
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

/// The kinds whose object must be grounded unless a policy says otherwise: the ones that move
/// money or ownership.
pub const DEFAULT_REQUIRE_GROUNDING: [ActionKind; 3] = [
    ActionKind::Refund,
    ActionKind::TransferPurchase,
    ActionKind::UpdateEmail,
];

fn is_default_grounding(kinds: &Vec<ActionKind>) -> bool {
    kinds.as_slice() == DEFAULT_REQUIRE_GROUNDING
}

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
            // An email change hands the account to whoever controls the new address.
            update_email: approval(),
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
            require_grounding: DEFAULT_REQUIRE_GROUNDING.to_vec(),
            approvers: vec![DEFAULT_APPROVER.to_owned()],
            approvers_by_kind: BTreeMap::new(),
            orders: None,
            brain: None,
        }
    }
}

/// The top-level keys of a policy file, in declaration order.
const KEYS: [&str; 25] = [
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
    "require_grounding",
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

    pub(super) fn invalid(key: &str, message: impl Into<String>) -> Self {
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
    pub(super) fn mode_for(&self, kind: ActionKind) -> Option<(&'static str, &str)> {
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
            require_grounding: vec![ActionKind::Refund],
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
}
