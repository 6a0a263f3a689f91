//! The fields `Refund` and `Charge` deserialize exist in Stripe's own fixture objects (copied
//! from `fixtures3.json` into `tests/fixtures/`), and deserializing those objects works.

use serde_json::Value;
use support_stripe::{Charge, Refund};

const REFUND: &str = include_str!("fixtures/refund.json");
const CHARGE: &str = include_str!("fixtures/charge.json");

/// Every key our struct serializes (i.e. every field it deserializes) is in the fixture.
fn assert_fields_exist<T: serde::Serialize>(ours: &T, fixture: &Value, what: &str) {
    let ours = serde_json::to_value(ours).unwrap();
    let ours = ours.as_object().unwrap();
    let theirs = fixture.as_object().unwrap();
    for key in ours.keys() {
        assert!(
            theirs.contains_key(key),
            "{what}: field {key:?} is not in Stripe's fixture"
        );
    }
}

#[test]
fn refund_fixture_deserializes() {
    let fixture: Value = serde_json::from_str(REFUND).unwrap();
    assert_eq!(fixture["object"], "refund");
    let refund: Refund = serde_json::from_value(fixture.clone()).unwrap();
    assert_fields_exist(&refund, &fixture, "refund");
    assert_eq!(refund.id, "re_1Pgc72B7WZ01zgkWqPvrRrPE");
    assert_eq!(refund.amount, 100);
    assert_eq!(refund.currency, "usd");
    assert_eq!(
        refund.charge.as_deref(),
        Some("ch_1PgafuB7WZ01zgkWXYmPNZs8")
    );
    assert_eq!(refund.status, "succeeded");
    assert!(refund.metadata.is_empty());
    assert_eq!(refund.created, 1_234_567_890);
    assert_eq!(refund.action_id(), None);
}

#[test]
fn charge_fixture_deserializes() {
    let fixture: Value = serde_json::from_str(CHARGE).unwrap();
    assert_eq!(fixture["object"], "charge");
    let charge: Charge = serde_json::from_value(fixture.clone()).unwrap();
    assert_fields_exist(&charge, &fixture, "charge");
    assert_eq!(charge.id, "ch_1PgafuB7WZ01zgkWXYmPNZs8");
    assert_eq!(charge.amount, 100);
    assert_eq!(charge.amount_refunded, 0);
    assert_eq!(charge.currency, "usd");
    assert!(!charge.refunded);
    assert_eq!(charge.created, 1_234_567_890);
    assert_eq!(charge.payment_intent, None);
    assert_eq!(charge.refundable(), 100);
}

#[test]
fn nullable_refund_fields_tolerate_null() {
    // Older API versions allow `status` and `metadata` to be null, and `charge` absent.
    let mut fixture: Value = serde_json::from_str(REFUND).unwrap();
    fixture["status"] = Value::Null;
    fixture["metadata"] = Value::Null;
    fixture.as_object_mut().unwrap().remove("charge");
    let refund: Refund = serde_json::from_value(fixture).unwrap();
    assert_eq!(refund.status, "");
    assert!(refund.metadata.is_empty());
    assert_eq!(refund.charge, None);
}

#[test]
fn payment_intent_fixture_deserializes() {
    let fixture: Value =
        serde_json::from_str(include_str!("fixtures/payment_intent.json")).unwrap();
    assert_eq!(fixture["object"], "payment_intent");
    let pi: support_stripe::PaymentIntent = serde_json::from_value(fixture.clone()).unwrap();
    assert_fields_exist(&pi, &fixture, "payment_intent");
    assert_eq!(pi.id, fixture["id"].as_str().unwrap());
    assert_eq!(pi.amount, fixture["amount"].as_i64().unwrap());
    assert_eq!(pi.status, fixture["status"].as_str().unwrap());
}
