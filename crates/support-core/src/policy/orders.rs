//! The order rules (τ2 retail): the `[orders]` tables, the order facts, and rule 10.

use serde::{Deserialize, Serialize};

use super::*;

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
    pub(super) const KEYS: [&str; 6] = [
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
    pub(super) fn configured(&self) -> impl Iterator<Item = (ActionKind, &OrderRules)> {
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
    pub(super) const KEYS: [&str; 9] = [
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

    pub(super) fn validate(&self, kind: ActionKind) -> Result<(), PolicyError> {
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

/// Rule 10: an order action against the kind's order rules. `None` when every rule passes
/// (the kind's mode then decides), else the refusal. The checks run in the order of the rule
/// table, each over every item, so the deciding rule does not depend on the order of the items.
pub(super) fn check_order(
    kind: ActionKind,
    spec: &OrderRules,
    order: Option<&OrderFacts>,
) -> Option<Ruling> {
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
