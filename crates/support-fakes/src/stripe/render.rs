//! Stripe's JSON shapes: refunds, charges and payment intents.

use serde_json::{Value, json};

use super::*;

// ---------------------------------------------------------------------------------------
// JSON rendering.

pub(super) fn refund_json(r: &StripeRefund) -> Value {
    json!({
        "id": r.id,
        "object": "refund",
        "amount": r.amount,
        "balance_transaction": r.balance_transaction,
        "charge": r.charge,
        "created": r.created,
        "currency": r.currency,
        "destination_details": {
            "card": {
                "reference": null,
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "metadata": r.metadata,
        "payment_intent": r.payment_intent,
        "reason": r.reason,
        "receipt_number": null,
        "source_transfer_reversal": null,
        "status": r.status,
        "transfer_reversal": null,
    })
}

pub(super) fn charge_json(d: &StripeData, account: &str, c: &ChargeRec) -> Value {
    let s = &c.seed;
    let refunds: Vec<Value> = d
        .refunds
        .iter()
        .rev()
        .filter(|r| r.account == account && r.charge == s.id)
        .map(refund_json)
        .collect();
    json!({
        "id": s.id,
        "object": "charge",
        "amount": s.amount,
        "amount_captured": s.amount,
        "amount_refunded": c.amount_refunded,
        "application": null,
        "application_fee": null,
        "application_fee_amount": null,
        "balance_transaction": c.balance_transaction,
        "billing_details": {
            "address": {
                "city": null, "country": null, "line1": null, "line2": null,
                "postal_code": null, "state": null,
            },
            "email": s.customer_email,
            "name": null,
            "phone": null,
        },
        "calculated_statement_descriptor": "FAKE SUPPORT",
        "captured": true,
        "created": s.created,
        "currency": s.currency,
        "customer": null,
        "description": null,
        "disputed": false,
        "failure_balance_transaction": null,
        "failure_code": null,
        "failure_message": null,
        "fraud_details": {},
        "livemode": false,
        "metadata": {},
        "on_behalf_of": null,
        "outcome": {
            "network_status": "approved_by_network",
            "reason": null,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": true,
        "payment_intent": s.payment_intent,
        "payment_method": null,
        "receipt_email": s.customer_email,
        "receipt_number": null,
        "receipt_url": null,
        "refunded": c.amount_refunded >= s.amount,
        "refunds": {
            "object": "list",
            "data": refunds,
            "has_more": false,
            "url": format!("/v1/charges/{}/refunds", s.id),
        },
        "review": null,
        "shipping": null,
        "source_transfer": null,
        "statement_descriptor": null,
        "statement_descriptor_suffix": null,
        "status": "succeeded",
        "transfer_data": null,
        "transfer_group": null,
    })
}

pub(super) fn payment_intent_json(c: &ChargeRec) -> Value {
    let s = &c.seed;
    let pi = s.payment_intent.clone().unwrap_or_default();
    json!({
        "id": pi,
        "object": "payment_intent",
        "amount": s.amount,
        "amount_capturable": 0,
        "amount_received": s.amount,
        "application": null,
        "application_fee_amount": null,
        "automatic_payment_methods": null,
        "canceled_at": null,
        "cancellation_reason": null,
        "capture_method": "automatic",
        "client_secret": format!("{pi}_secret_fake"),
        "confirmation_method": "automatic",
        "created": s.created,
        "currency": s.currency,
        "customer": null,
        "description": null,
        "last_payment_error": null,
        "latest_charge": s.id,
        "livemode": false,
        "metadata": {},
        "next_action": null,
        "on_behalf_of": null,
        "payment_method": null,
        "payment_method_types": ["card"],
        "receipt_email": s.customer_email,
        "setup_future_usage": null,
        "shipping": null,
        "statement_descriptor": null,
        "statement_descriptor_suffix": null,
        "status": "succeeded",
        "transfer_data": null,
        "transfer_group": null,
    })
}
