//! The policy engine on an external benchmark: τ2-bench's retail domain (Sierra Research,
//! MIT; see tests/tau2-retail/README.md), with its policy written as data in
//! tests/tau2-retail/policy.toml.
//!
//! 1. Every gold write of the 74 training tasks, replayed in order against the store (each
//!    write's effect applied so later writes see it), must be `auto` under that policy.
//! 2. Writes the retail policy forbids, generated over all 1,000 orders, must never be `auto`,
//!    and must be refused by the rule that names the violation.
//!
//! Run with `cargo test -p support-core --test tau2 -- --nocapture` to see the counts.

use std::collections::BTreeMap;
use std::fs;

use serde_json::{Map, Value, json};
use support_core::policy::{
    ActionKind, CatalogItemFacts, Evaluation, Facts, OrderChange, OrderFacts, OrderItemFacts,
    OrderPaymentFacts, PaymentMethodFacts, PaymentMethodKind, PolicyConfig, evaluate_detailed,
    rules,
};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tau2-retail");

/// The status the store gives an order whose items were modified (tau2's `tools.py`).
const ITEMS_MODIFIED: &str = "pending (item modified)";

fn load(name: &str) -> Value {
    let path = format!("{DIR}/{name}");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn retail_policy() -> PolicyConfig {
    let path = format!("{DIR}/policy.toml");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    PolicyConfig::from_toml(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn text(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
        .iter()
        .map(|s| text(s).to_owned())
        .collect()
}

/// Dollars with cents, as the store keeps them, to whole cents.
fn cents(v: &Value) -> i64 {
    let dollars = v
        .as_f64()
        .unwrap_or_else(|| panic!("expected a number, got {v}"));
    (dollars * 100.0).round() as i64
}

fn dollars(c: i64) -> Value {
    json!(c as f64 / 100.0)
}

/// The store: tau2's db.json, with the write tools' effects re-implemented.
#[derive(Clone)]
struct Store(Value);

impl Store {
    fn order(&self, id: &str) -> &Value {
        let o = &self.0["orders"][id];
        assert!(o.is_object(), "no order {id}");
        o
    }

    fn order_mut(&mut self, id: &str) -> &mut Map<String, Value> {
        self.0["orders"][id]
            .as_object_mut()
            .unwrap_or_else(|| panic!("no order {id}"))
    }

    fn user(&self, id: &str) -> &Value {
        let u = &self.0["users"][id];
        assert!(u.is_object(), "no user {id}");
        u
    }

    fn order_ids(&self) -> Vec<String> {
        self.0["orders"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn products(&self) -> &Map<String, Value> {
        self.0["products"].as_object().expect("products")
    }

    /// The catalogue's word on an item: its product, availability and price.
    fn catalog_item(&self, item_id: &str) -> CatalogItemFacts {
        for (product_id, product) in self.products() {
            let variant = &product["variants"][item_id];
            if variant.is_object() {
                return CatalogItemFacts {
                    item_id: item_id.to_owned(),
                    product_id: Some(product_id.clone()),
                    available: variant["available"].as_bool() == Some(true),
                    price_cents: cents(&variant["price"]),
                };
            }
        }
        CatalogItemFacts {
            item_id: item_id.to_owned(),
            product_id: None,
            available: false,
            price_cents: 0,
        }
    }

    /// `find_user_id_by_email` / `find_user_id_by_name_zip`.
    fn find_user(&self, name: &str, args: &Value) -> Option<String> {
        let users = self.0["users"].as_object()?;
        let same = |a: &Value, b: &Value| {
            a.as_str()
                .zip(b.as_str())
                .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
        };
        users
            .iter()
            .find(|(_, u)| match name {
                "find_user_id_by_email" => same(&u["email"], &args["email"]),
                _ => {
                    same(&u["name"]["first_name"], &args["first_name"])
                        && same(&u["name"]["last_name"], &args["last_name"])
                        && u["address"]["zip"] == args["zip"]
                }
            })
            .map(|(id, _)| id.clone())
    }

    /// The policy's view of an order, seen by `customer`, with a proposed change.
    fn order_facts(&self, order_id: &str, customer: &str, change: OrderChange) -> OrderFacts {
        let order = self.order(order_id);
        let user = self.user(customer);
        let status = text(&order["status"]).to_owned();
        let owns = text(&order["user_id"]) == customer
            && user["orders"]
                .as_array()
                .is_some_and(|o| o.iter().any(|id| id == order_id));
        OrderFacts {
            known: owns,
            items_modified: status == ITEMS_MODIFIED,
            status,
            items: order["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| OrderItemFacts {
                    item_id: text(&i["item_id"]).to_owned(),
                    product_id: text(&i["product_id"]).to_owned(),
                    price_cents: cents(&i["price"]),
                })
                .collect(),
            payments: order["payment_history"]
                .as_array()
                .expect("payment_history")
                .iter()
                .map(|p| OrderPaymentFacts {
                    payment_method_id: text(&p["payment_method_id"]).to_owned(),
                    amount_cents: cents(&p["amount"]),
                    refund: p["transaction_type"] == "refund",
                })
                .collect(),
            customer_payment_methods: user["payment_methods"]
                .as_object()
                .expect("payment_methods")
                .values()
                .map(|m| PaymentMethodFacts {
                    id: text(&m["id"]).to_owned(),
                    kind: match text(&m["source"]) {
                        "gift_card" => PaymentMethodKind::GiftCard,
                        "credit_card" => PaymentMethodKind::CreditCard,
                        "paypal" => PaymentMethodKind::Paypal,
                        _ => PaymentMethodKind::Other,
                    },
                    balance_cents: m.get("balance").map(cents),
                })
                .collect(),
            change,
        }
    }

    fn adjust_gift_card(&mut self, user: &str, method: &str, delta: i64) {
        let card = &mut self.0["users"][user]["payment_methods"][method];
        if card["source"] == "gift_card" {
            let balance = cents(&card["balance"]) + delta;
            card["balance"] = dollars(balance);
        }
    }

    /// Apply a write tool's effect, as tau2's `tools.py` does.
    fn apply(&mut self, name: &str, args: &Value) {
        let address = || {
            json!({
                "address1": args["address1"], "address2": args["address2"], "city": args["city"],
                "state": args["state"], "country": args["country"], "zip": args["zip"],
            })
        };
        if name == "modify_user_address" {
            self.0["users"][text(&args["user_id"])]["address"] = address();
            return;
        }
        let order_id = text(&args["order_id"]).to_owned();
        let user = text(&self.order(&order_id)["user_id"]).to_owned();
        match name {
            "cancel_pending_order" => {
                let payments = self.order(&order_id)["payment_history"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                for p in &payments {
                    self.adjust_gift_card(
                        &user,
                        text(&p["payment_method_id"]),
                        cents(&p["amount"]),
                    );
                }
                let order = self.order_mut(&order_id);
                order.insert("status".into(), json!("cancelled"));
                order.insert("cancel_reason".into(), args["reason"].clone());
                if let Some(history) = order["payment_history"].as_array_mut() {
                    history.extend(payments.iter().map(|p| {
                        json!({"transaction_type": "refund", "amount": p["amount"],
                               "payment_method_id": p["payment_method_id"]})
                    }));
                }
            }
            "modify_pending_order_address" => {
                let address = address();
                self.order_mut(&order_id).insert("address".into(), address);
            }
            "modify_pending_order_items" => {
                let old = strings(&args["item_ids"]);
                let new: Vec<CatalogItemFacts> = strings(&args["new_item_ids"])
                    .iter()
                    .map(|id| self.catalog_item(id))
                    .collect();
                let method = text(&args["payment_method_id"]).to_owned();
                let mut diff = 0;
                let order = self.order_mut(&order_id);
                for (old_id, new_item) in old.iter().zip(&new) {
                    let items = order["items"].as_array_mut().expect("items");
                    let item = items
                        .iter_mut()
                        .find(|i| i["item_id"] == old_id.as_str())
                        .expect("item in order");
                    diff += new_item.price_cents - cents(&item["price"]);
                    item["item_id"] = json!(new_item.item_id);
                    item["price"] = dollars(new_item.price_cents);
                }
                let kind = if diff > 0 { "payment" } else { "refund" };
                order["payment_history"]
                    .as_array_mut()
                    .expect("payment_history")
                    .push(
                        json!({"transaction_type": kind, "amount": dollars(diff.abs()),
                                 "payment_method_id": method}),
                    );
                order.insert("status".into(), json!(ITEMS_MODIFIED));
                self.adjust_gift_card(&user, &method, -diff);
            }
            "modify_pending_order_payment" => {
                let method = text(&args["payment_method_id"]).to_owned();
                let first = self.order(&order_id)["payment_history"][0].clone();
                let amount = cents(&first["amount"]);
                let old = text(&first["payment_method_id"]).to_owned();
                let order = self.order_mut(&order_id);
                let history = order["payment_history"].as_array_mut().expect("history");
                history.push(
                    json!({"transaction_type": "payment", "amount": first["amount"],
                                    "payment_method_id": method}),
                );
                history.push(
                    json!({"transaction_type": "refund", "amount": first["amount"],
                                    "payment_method_id": old}),
                );
                self.adjust_gift_card(&user, &method, -amount);
                self.adjust_gift_card(&user, &old, amount);
            }
            "return_delivered_order_items" => {
                let order = self.order_mut(&order_id);
                order.insert("status".into(), json!("return requested"));
                order.insert("return_items".into(), args["item_ids"].clone());
                order.insert(
                    "return_payment_method_id".into(),
                    args["payment_method_id"].clone(),
                );
            }
            "exchange_delivered_order_items" => {
                let order = self.order_mut(&order_id);
                order.insert("status".into(), json!("exchange requested"));
                order.insert("exchange_items".into(), args["item_ids"].clone());
                order.insert("exchange_new_items".into(), args["new_item_ids"].clone());
                order.insert(
                    "exchange_payment_method_id".into(),
                    args["payment_method_id"].clone(),
                );
            }
            other => panic!("not a write tool: {other}"),
        }
    }

    /// A write tool call as the policy sees it: our action kind and the facts.
    fn facts_for(&self, name: &str, args: &Value, customer: &str) -> Facts {
        let change = OrderChange {
            reason: args["reason"].as_str().map(str::to_owned),
            payment_method_id: args["payment_method_id"].as_str().map(str::to_owned),
            item_ids: args.get("item_ids").map(strings).unwrap_or_default(),
            new_items: args
                .get("new_item_ids")
                .map(strings)
                .unwrap_or_default()
                .iter()
                .map(|id| self.catalog_item(id))
                .collect(),
        };
        let kind = match name {
            "cancel_pending_order" => ActionKind::CancelOrder,
            "modify_pending_order_address" | "modify_user_address" => ActionKind::ChangeAddress,
            "modify_pending_order_items" => ActionKind::ModifyItems,
            "modify_pending_order_payment" => ActionKind::ChangePayment,
            "return_delivered_order_items" => ActionKind::ReturnItems,
            "exchange_delivered_order_items" => ActionKind::ExchangeItems,
            other => panic!("not a write tool: {other}"),
        };
        let order = args["order_id"]
            .as_str()
            .map(|id| self.order_facts(id, customer, change));
        facts(kind, order)
    }
}

/// Why tau2's own write tool would raise on this call, re-implemented from its `tools.py`
/// (the tool's checks, not policy.md's: the tool lets an address or payment change through on
/// an order whose items were modified, which policy.md forbids). `None`: the tool accepts it.
fn tool_rejects(store: &Store, name: &str, args: &Value) -> Option<&'static str> {
    if name == "modify_user_address" {
        return store.0["users"][text(&args["user_id"])]
            .is_null()
            .then_some("user not found");
    }
    let order = store.order(text(&args["order_id"]));
    let status = text(&order["status"]);
    let user = store.user(text(&order["user_id"]));
    let method = args["payment_method_id"]
        .as_str()
        .map(|id| &user["payment_methods"][id]);
    if method.is_some_and(Value::is_null) {
        return Some("payment method not found");
    }
    let gift_balance = method
        .filter(|m| m["source"] == "gift_card")
        .map(|m| cents(&m["balance"]));
    let items: Vec<&str> = order["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| text(&i["item_id"]))
        .collect();
    let named = args.get("item_ids").map(strings).unwrap_or_default();
    if named.iter().any(|id| {
        named.iter().filter(|n| *n == id).count() > items.iter().filter(|i| *i == id).count()
    }) {
        return Some("item not found");
    }
    // Replacements: same product, available; the price difference a gift card must cover.
    let swap = |require_different: bool| -> Result<i64, &'static str> {
        let new = args.get("new_item_ids").map(strings).unwrap_or_default();
        if new.len() != named.len() {
            return Err("the number of items should match");
        }
        let mut diff = 0;
        for (old_id, new_id) in named.iter().zip(&new) {
            if require_different && old_id == new_id {
                return Err("the new item should differ");
            }
            let old = order["items"]
                .as_array()
                .and_then(|a| a.iter().find(|i| i["item_id"] == old_id.as_str()))
                .ok_or("item not found")?;
            let variant =
                &store.0["products"][text(&old["product_id"])]["variants"][new_id.as_str()];
            if variant.is_null() {
                return Err("variant not found");
            }
            if variant["available"] != true {
                return Err("new item not available");
            }
            diff += cents(&variant["price"]) - cents(&old["price"]);
        }
        Ok(diff)
    };
    match name {
        "cancel_pending_order" => {
            if status != "pending" {
                return Some("non-pending order cannot be cancelled");
            }
            let reason = args["reason"].as_str().unwrap_or_default();
            (!["no longer needed", "ordered by mistake"].contains(&reason))
                .then_some("invalid reason")
        }
        "modify_pending_order_address" => {
            (!status.contains("pending")).then_some("non-pending order cannot be modified")
        }
        "modify_pending_order_items" | "exchange_delivered_order_items" => {
            let modify = name == "modify_pending_order_items";
            if status != if modify { "pending" } else { "delivered" } {
                return Some("wrong status");
            }
            match swap(modify) {
                Err(e) => Some(e),
                Ok(diff) => gift_balance
                    .is_some_and(|b| b < diff)
                    .then_some("insufficient gift card balance"),
            }
        }
        "modify_pending_order_payment" => {
            if !status.contains("pending") {
                return Some("non-pending order cannot be modified");
            }
            let history = order["payment_history"].as_array().expect("history");
            if history.len() != 1 || history[0]["transaction_type"] != "payment" {
                return Some("there should be exactly one payment");
            }
            if history[0]["payment_method_id"] == args["payment_method_id"] {
                return Some("the new payment method should differ");
            }
            gift_balance
                .is_some_and(|b| b < cents(&history[0]["amount"]))
                .then_some("insufficient gift card balance")
        }
        "return_delivered_order_items" => {
            if status != "delivered" {
                return Some("non-delivered order cannot be returned");
            }
            let original = &order["payment_history"][0]["payment_method_id"];
            (gift_balance.is_none() && &args["payment_method_id"] != original)
                .then_some("payment method should be the original")
        }
        other => panic!("not a write tool: {other}"),
    }
}

fn facts(action: ActionKind, order: Option<OrderFacts>) -> Facts {
    Facts {
        action,
        now: 1_767_225_600,
        purchase: None,
        purchase_known: false,
        requested_amount_cents: None,
        category: "order".into(),
        confidence: 1.0,
        signals: vec![],
        approvers: vec![],
        order,
        grounding: Default::default(),
    }
}

const WRITES: [&str; 7] = [
    "cancel_pending_order",
    "modify_pending_order_address",
    "modify_pending_order_items",
    "modify_pending_order_payment",
    "modify_user_address",
    "return_delivered_order_items",
    "exchange_delivered_order_items",
];

#[test]
fn data_is_complete() {
    let db = load("db.json");
    let tasks = load("tasks_train.json");
    assert_eq!(db["products"].as_object().map(Map::len), Some(50));
    assert_eq!(db["users"].as_object().map(Map::len), Some(500));
    assert_eq!(db["orders"].as_object().map(Map::len), Some(1000));
    assert_eq!(tasks.as_array().map(Vec::len), Some(74));
    let policy = retail_policy();
    assert_eq!(policy.version, "tau2-retail-1");
    // The section is data the engine reads, so it must round-trip through the file format.
    assert_eq!(PolicyConfig::from_toml(&policy.to_toml()), Ok(policy));
}

#[test]
fn gold_writes_are_allowed() {
    let policy = retail_policy();
    let pristine = Store(load("db.json"));
    let tasks = load("tasks_train.json");
    let mut by_tool: BTreeMap<&str, usize> = BTreeMap::new();
    let mut allowed = 0;
    let mut refused = Vec::new();
    let mut transfers = 0;
    for task in tasks.as_array().expect("tasks") {
        let id = text(&task["id"]);
        let mut store = pristine.clone();
        // Who the agent authenticated; tasks whose gold list starts at the first write
        // authenticated the order's owner in conversation.
        let mut customer: Option<String> = None;
        let mut task_users = Vec::new();
        for action in task["evaluation_criteria"]["actions"]
            .as_array()
            .expect("actions")
        {
            let name = text(&action["name"]);
            let args = &action["arguments"];
            if name.starts_with("find_user_id_by_") {
                if let Some(user) = store.find_user(name, args) {
                    customer = Some(user);
                }
                continue;
            }
            if name == "transfer_to_human_agents" {
                transfers += 1;
                continue;
            }
            let Some(tool) = WRITES.iter().find(|w| **w == name) else {
                continue;
            };
            let owner = match args["order_id"].as_str() {
                Some(order) => text(&store.order(order)["user_id"]).to_owned(),
                None => text(&args["user_id"]).to_owned(),
            };
            if let Some(c) = &customer {
                assert_eq!(c, &owner, "task {id}: the authenticated user is the owner");
            }
            if !task_users.contains(&owner) {
                task_users.push(owner.clone());
            }
            let f = store.facts_for(name, args, customer.as_deref().unwrap_or(&owner));
            let e = evaluate_detailed(&policy, &f);
            *by_tool.entry(tool).or_default() += 1;
            let rejects = tool_rejects(&store, name, args);
            if e.verdict.is_auto() {
                allowed += 1;
            } else {
                refused.push(format!(
                    "task {id} {name}: {} by {}; tau2's tool: {}",
                    e.verdict.as_str(),
                    e.rule,
                    rejects.unwrap_or("accepts")
                ));
            }
            // A call the tool rejects leaves the store as it was.
            if rejects.is_none() {
                store.apply(name, args);
            }
        }
        // One user per conversation.
        assert!(task_users.len() <= 1, "task {id}: {task_users:?}");
    }
    let total: usize = by_tool.values().sum();
    println!("gold writes allowed: {allowed}/{total}");
    for (tool, n) in &by_tool {
        println!("  {tool}: {n}");
    }
    for r in &refused {
        println!("  refused: {r}");
    }
    println!("  (transfer_to_human_agents, not a write: {transfers})");
    // One gold write breaks policy.md ("if the user provides a gift card, it must have enough
    // balance to cover the price difference"): task 105 exchanges two kettles for $21.10 more
    // on a $17.00 gift card. tau2's own tool raises on it, so the benchmark's expected store
    // never contains it. Every gold write the tool accepts is allowed.
    assert_eq!(
        refused,
        [
            "task 105 exchange_delivered_order_items: deny by order_gift_card_insufficient; \
          tau2's tool: insufficient gift card balance"
        ],
    );
    assert_eq!(allowed, 119);
    assert_eq!(total, 120);
    assert_eq!(
        by_tool,
        BTreeMap::from([
            ("cancel_pending_order", 18),
            ("exchange_delivered_order_items", 25),
            ("modify_pending_order_address", 16),
            ("modify_pending_order_items", 22),
            ("modify_user_address", 7),
            ("return_delivered_order_items", 32),
        ])
    );
    assert_eq!(transfers, 2);
}

/// Negative cases by category: how many were refused, by which rule, and any let through.
#[derive(Default)]
struct Tally {
    categories: BTreeMap<&'static str, (usize, usize)>,
    rules: BTreeMap<&'static str, BTreeMap<&'static str, usize>>,
    leaks: Vec<String>,
}

impl Tally {
    /// Record a case that must not run automatically and must be refused by `want`.
    fn refused(&mut self, category: &'static str, what: &str, e: &Evaluation, want: &'static str) {
        let entry = self.categories.entry(category).or_default();
        entry.1 += 1;
        if !e.verdict.is_auto() {
            entry.0 += 1;
        }
        *self
            .rules
            .entry(category)
            .or_default()
            .entry(e.rule)
            .or_default() += 1;
        if e.verdict.is_auto() || e.rule != want {
            self.leaks.push(format!(
                "{category}: {what}: {} by {}, wanted {want}",
                e.verdict.as_str(),
                e.rule
            ));
        }
    }
}

/// Arguments that are valid for the action in every way the policy checks except, perhaps,
/// the order's status: an accepted reason, the original payment method for a refund, another
/// of the user's methods for a payment change, the first item and an available other variant
/// of its product, paid by card or PayPal (a gift card only when it covers the difference).
/// `None` when the order offers no such choice.
fn valid_args(store: &Store, tool: &str, order_id: &str) -> Option<Value> {
    let order = store.order(order_id);
    let user = store.user(text(&order["user_id"]));
    let original = text(&order["payment_history"][0]["payment_method_id"]);
    let item = &order["items"][0];
    let swap = || -> Option<String> {
        let product = &store.products()[text(&item["product_id"])];
        product["variants"]
            .as_object()?
            .values()
            .find(|v| v["available"] == true && v["item_id"] != item["item_id"])
            .map(|v| text(&v["item_id"]).to_owned())
    };
    let address = json!({"address1": "1 Main St", "address2": "", "city": "Austin",
                         "state": "TX", "country": "USA", "zip": "78701"});
    let mut args = json!({"order_id": order_id});
    match tool {
        "cancel_pending_order" => args["reason"] = json!("no longer needed"),
        "modify_pending_order_address" => {
            for (k, v) in address.as_object()? {
                args[k] = v.clone();
            }
        }
        "modify_pending_order_payment" => {
            let other = user["payment_methods"]
                .as_object()?
                .values()
                .find(|m| m["id"] != original && m["source"] != "gift_card")?;
            args["payment_method_id"] = other["id"].clone();
        }
        "modify_pending_order_items" | "exchange_delivered_order_items" => {
            // Pay a difference with a card or PayPal where the user has one; a gift card
            // only when it covers the difference.
            let new = swap()?;
            let method = match user["payment_methods"]
                .as_object()?
                .values()
                .find(|m| m["source"] != "gift_card")
            {
                Some(m) => text(&m["id"]).to_owned(),
                None => {
                    let card = user["payment_methods"].as_object()?.values().next()?;
                    let diff = store.catalog_item(&new).price_cents - cents(&item["price"]);
                    if cents(&card["balance"]) < diff {
                        return None;
                    }
                    text(&card["id"]).to_owned()
                }
            };
            args["item_ids"] = json!([item["item_id"]]);
            args["new_item_ids"] = json!([new]);
            args["payment_method_id"] = json!(method);
        }
        "return_delivered_order_items" => {
            args["item_ids"] = json!([item["item_id"]]);
            args["payment_method_id"] = json!(original);
        }
        other => panic!("{other}"),
    }
    Some(args)
}

/// Arguments for a status check when no valid set exists: the status rule comes first, so
/// whatever else is wrong with them does not change the verdict's rule.
fn fallback_args(store: &Store, order_id: &str) -> Value {
    let order = store.order(order_id);
    let item = &order["items"][0]["item_id"];
    json!({"order_id": order_id, "reason": "no longer needed", "item_ids": [item],
           "new_item_ids": [item],
           "payment_method_id": order["payment_history"][0]["payment_method_id"]})
}

/// The status each order tool needs, from policy.md.
fn needed_status(tool: &str) -> &'static str {
    match tool {
        "return_delivered_order_items" | "exchange_delivered_order_items" => "delivered",
        _ => "pending",
    }
}

const ORDER_WRITES: [&str; 6] = [
    "cancel_pending_order",
    "modify_pending_order_address",
    "modify_pending_order_payment",
    "modify_pending_order_items",
    "return_delivered_order_items",
    "exchange_delivered_order_items",
];

#[test]
fn forbidden_writes_are_refused() {
    let policy = retail_policy();
    let store = Store(load("db.json"));
    let eval = |store: &Store, tool: &str, args: &Value, customer: &str| {
        evaluate_detailed(&policy, &store.facts_for(tool, args, customer))
    };
    let mut t = Tally::default();
    // Controls: the same generated arguments on orders in the right status run on their own,
    // so a refusal below is the rule's doing, not a broken generator.
    let mut controls = (0, 0);
    let mut no_valid_args = 0;
    // Where modifications are applied and undone, so the store is copied once.
    let mut scratch = store.clone();

    for order_id in store.order_ids() {
        let order = store.order(&order_id);
        let owner = text(&order["user_id"]).to_owned();
        let status = text(&order["status"]).to_owned();

        for tool in ORDER_WRITES {
            let valid = valid_args(&store, tool, &order_id);
            if valid.is_none() {
                no_valid_args += 1;
            }
            let args = valid
                .clone()
                .unwrap_or_else(|| fallback_args(&store, &order_id));
            let e = eval(&store, tool, &args, &owner);
            if status != needed_status(tool) {
                t.refused(
                    "status forbids the action",
                    &order_id,
                    &e,
                    rules::ORDER_STATUS_NOT_ALLOWED,
                );
            } else if valid.is_some() {
                controls.1 += 1;
                if let Some(why) = tool_rejects(&store, tool, &args) {
                    t.leaks
                        .push(format!("control {tool} {order_id}: tau2's tool: {why}"));
                }
                if e.verdict.is_auto() {
                    controls.0 += 1;
                } else {
                    t.leaks
                        .push(format!("control {tool} {order_id}: {}", e.rule));
                }
            }
            // Someone else's order, whatever its status.
            let stranger = if owner == "noah_brown_6181" {
                "james_li_5688"
            } else {
                "noah_brown_6181"
            };
            let e = eval(&store, tool, &args, stranger);
            t.refused("another user's order", &order_id, &e, rules::UNKNOWN_ORDER);
        }

        if status == "pending" {
            for reason in [
                "changed my mind",
                "found a better price",
                "No longer needed",
                "ordered by mistake ",
                "",
            ] {
                let args = json!({"order_id": order_id, "reason": reason});
                let e = eval(&store, "cancel_pending_order", &args, &owner);
                t.refused(
                    "cancel with a wrong reason",
                    &order_id,
                    &e,
                    rules::ORDER_REASON_NOT_ALLOWED,
                );
            }
            let e = eval(
                &store,
                "cancel_pending_order",
                &json!({"order_id": order_id}),
                &owner,
            );
            t.refused(
                "cancel with a wrong reason",
                &order_id,
                &e,
                rules::ORDER_REASON_NOT_ALLOWED,
            );

            // A second modification of items, and any change after the first.
            if let Some(args) = valid_args(&store, "modify_pending_order_items", &order_id) {
                let saved_order = order.clone();
                let saved_user = store.user(&owner).clone();
                scratch.apply("modify_pending_order_items", &args);
                for tool in [
                    "modify_pending_order_items",
                    "cancel_pending_order",
                    "modify_pending_order_address",
                    "modify_pending_order_payment",
                ] {
                    let again = valid_args(&scratch, tool, &order_id)
                        .unwrap_or_else(|| fallback_args(&scratch, &order_id));
                    let e = eval(&scratch, tool, &again, &owner);
                    t.refused(
                        "change after an item modification",
                        &order_id,
                        &e,
                        rules::ORDER_STATUS_NOT_ALLOWED,
                    );
                }
                scratch.0["orders"][&order_id] = saved_order;
                scratch.0["users"][&owner] = saved_user;
            }

            // Paying with the original method again, or with a gift card that cannot cover
            // the order.
            let original = &order["payment_history"][0]["payment_method_id"];
            let args = json!({"order_id": order_id, "payment_method_id": original});
            let e = eval(&store, "modify_pending_order_payment", &args, &owner);
            t.refused(
                "change payment to the original method",
                &order_id,
                &e,
                rules::ORDER_PAYMENT_METHOD_NOT_ALLOWED,
            );
            let paid = cents(&order["payment_history"][0]["amount"]);
            let short_cards = store.user(&owner)["payment_methods"]
                .as_object()
                .expect("methods")
                .values()
                .filter(|m| {
                    m["source"] == "gift_card"
                        && &m["id"] != original
                        && cents(&m["balance"]) < paid
                })
                .map(|m| m["id"].clone())
                .collect::<Vec<_>>();
            for card in short_cards {
                let args = json!({"order_id": order_id, "payment_method_id": card});
                let e = eval(&store, "modify_pending_order_payment", &args, &owner);
                t.refused(
                    "gift card short of the order total",
                    &order_id,
                    &e,
                    rules::ORDER_GIFT_CARD_INSUFFICIENT,
                );
            }
        }

        let user = store.user(&owner);
        let original = text(&order["payment_history"][0]["payment_method_id"]);
        if status == "delivered" {
            // Refunds to a method that is neither the original nor one of the user's gift
            // cards: the user's other cards and PayPal, and a stranger's gift card.
            let mut wrong: Vec<String> = user["payment_methods"]
                .as_object()
                .expect("methods")
                .values()
                .filter(|m| m["id"] != original && m["source"] != "gift_card")
                .map(|m| text(&m["id"]).to_owned())
                .collect();
            wrong.push("gift_card_0000000".into());
            for method in wrong {
                let args = json!({"order_id": order_id, "item_ids": [order["items"][0]["item_id"]],
                                  "payment_method_id": method});
                let e = eval(&store, "return_delivered_order_items", &args, &owner);
                t.refused(
                    "refund to a method not used and not a gift card",
                    &order_id,
                    &e,
                    rules::ORDER_PAYMENT_METHOD_NOT_ALLOWED,
                );
            }
            // Returning an item the order does not hold.
            let args = json!({"order_id": order_id, "item_ids": ["0000000000"],
                              "payment_method_id": original});
            let e = eval(&store, "return_delivered_order_items", &args, &owner);
            t.refused(
                "item not in the order",
                &order_id,
                &e,
                rules::ORDER_ITEMS_NOT_IN_ORDER,
            );
        }

        // Swaps to another product, and to an unavailable variant.
        let tool = match status.as_str() {
            "pending" => "modify_pending_order_items",
            "delivered" => "exchange_delivered_order_items",
            _ => continue,
        };
        let item = &order["items"][0];
        let product_id = text(&item["product_id"]);
        let other_product = store
            .products()
            .iter()
            .filter(|(id, _)| id.as_str() != product_id)
            .find_map(|(_, p)| {
                p["variants"]
                    .as_object()?
                    .values()
                    .find(|v| v["available"] == true)
                    .map(|v| v["item_id"].clone())
            })
            .expect("another product");
        let args = json!({"order_id": order_id, "item_ids": [item["item_id"]],
                          "new_item_ids": [other_product], "payment_method_id": original});
        let e = eval(&store, tool, &args, &owner);
        t.refused(
            "swap to a different product",
            &order_id,
            &e,
            rules::ORDER_ITEM_OTHER_PRODUCT,
        );

        let unavailable = store.products()[product_id]["variants"]
            .as_object()
            .expect("variants")
            .values()
            .find(|v| v["available"] == false && v["item_id"] != item["item_id"])
            .map(|v| v["item_id"].clone());
        if let Some(new) = unavailable {
            let args = json!({"order_id": order_id, "item_ids": [item["item_id"]],
                              "new_item_ids": [new], "payment_method_id": original});
            let e = eval(&store, tool, &args, &owner);
            t.refused(
                "swap to an unavailable item",
                &order_id,
                &e,
                rules::ORDER_ITEM_UNAVAILABLE,
            );
        }
        let args = json!({"order_id": order_id, "item_ids": [item["item_id"]],
                          "new_item_ids": [item["item_id"]], "payment_method_id": original});
        let e = eval(&store, tool, &args, &owner);
        t.refused(
            "swap to the same item",
            &order_id,
            &e,
            rules::ORDER_ITEM_UNCHANGED,
        );
    }

    let refused: usize = t.categories.values().map(|c| c.0).sum();
    let total: usize = t.categories.values().map(|c| c.1).sum();
    println!("negatives refused: {refused}/{total}");
    for (category, (r, n)) in &t.categories {
        println!("  {category}: {r}/{n} {:?}", t.rules[category]);
    }
    println!("controls allowed: {}/{}", controls.0, controls.1);
    println!(
        "(order × tool pairs with no valid argument set, tried for status only: {no_valid_args})"
    );
    assert!(
        t.leaks.is_empty(),
        "{} leaks:\n{}",
        t.leaks.len(),
        t.leaks.join("\n")
    );
    assert_eq!(controls.0, controls.1);
    assert_eq!(refused, 17_431);
    let counts: BTreeMap<&str, usize> = t.categories.iter().map(|(k, v)| (*k, v.1)).collect();
    assert_eq!(counts, expected_counts(), "{counts:#?}");
    assert_eq!(controls.1, EXPECTED_CONTROLS);
}

/// Orders in the right status for the tool, with a valid argument set.
const EXPECTED_CONTROLS: usize = 2_094;

/// Exact, so a truncated or edited data file fails loudly. The status count is every order
/// whose status forbids the tool: 577 non-pending orders × 4 pending-only tools + 627
/// non-delivered orders × 2 delivered-only tools.
fn expected_counts() -> BTreeMap<&'static str, usize> {
    BTreeMap::from([
        ("another user's order", 6_000),
        ("cancel with a wrong reason", 2_538),
        ("change after an item modification", 1_648),
        ("change payment to the original method", 423),
        ("gift card short of the order total", 51),
        ("item not in the order", 373),
        ("refund to a method not used and not a gift card", 465),
        ("status forbids the action", 577 * 4 + 627 * 2),
        ("swap to a different product", 796),
        ("swap to an unavailable item", 779),
        ("swap to the same item", 796),
    ])
}
