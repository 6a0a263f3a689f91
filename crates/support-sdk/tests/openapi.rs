//! The OpenAPI document: a snapshot (any contract change shows up as a diff in review) and
//! a check that it describes exactly what the Rust types put on the wire.

use serde_json::{Value, json};
use support_sdk::openapi;
use support_sdk::sdk::{
    ContentHit, MagicLink, RefundPolicy, RevokeResult, SdkMethod, SdkPurchase, SdkRequest,
    SdkSubscription, SdkUser, Seat, TransferResult,
};
use support_types::api::ErrorBody;
use support_types::{Email, Money};

#[test]
fn snapshot() {
    // Sorted, so the snapshot does not depend on serde_json's `preserve_order` feature being
    // switched on by some other crate in the build.
    insta::with_settings!({ sort_maps => true }, {
        insta::assert_json_snapshot!("openapi", openapi());
    });
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["components"]["schemas"]
        .get(name)
        .unwrap_or_else(|| panic!("no schema {name}"))
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

/// The schema lists exactly the fields `example` has, all required.
fn assert_fields(doc: &Value, name: &str, example: &Value) {
    let s = schema(doc, name);
    let props = keys(&s["properties"]);
    assert_eq!(props, keys(example), "{name} properties");
    let mut required: Vec<String> = s["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    required.sort();
    assert_eq!(required, props, "{name} required");
}

fn email() -> Email {
    Email::parse("a@example.com").unwrap()
}

fn user() -> SdkUser {
    SdkUser {
        id: "u".into(),
        email: email(),
        name: "n".into(),
    }
}

fn request(method: SdkMethod) -> SdkRequest {
    match method {
        SdkMethod::LookupUser => SdkRequest::LookupUser { email: email() },
        SdkMethod::GetPurchases => SdkRequest::GetPurchases {
            user_id: "u".into(),
        },
        SdkMethod::RevokeAccess => SdkRequest::RevokeAccess {
            purchase_id: "p".into(),
            reason: "r".into(),
            refund_id: "re".into(),
        },
        SdkMethod::TransferPurchase => SdkRequest::TransferPurchase {
            purchase_id: "p".into(),
            from_user_id: "u".into(),
            to_email: email(),
        },
        SdkMethod::GenerateMagicLink => SdkRequest::GenerateMagicLink {
            email: email(),
            expires_in: 60,
        },
        SdkMethod::GetSubscriptions => SdkRequest::GetSubscriptions {
            user_id: "u".into(),
        },
        SdkMethod::UpdateEmail => SdkRequest::UpdateEmail {
            user_id: "u".into(),
            new_email: email(),
        },
        SdkMethod::UpdateName => SdkRequest::UpdateName {
            user_id: "u".into(),
            name: "n".into(),
        },
        SdkMethod::GetClaimedSeats => SdkRequest::GetClaimedSeats {
            bulk_coupon_id: "c".into(),
        },
        SdkMethod::SearchContent => SdkRequest::SearchContent { query: "q".into() },
        SdkMethod::GetRefundPolicy => SdkRequest::GetRefundPolicy,
    }
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

#[test]
fn every_request_schema_matches_the_wire_form() {
    let doc = openapi();
    let path = &doc["paths"]["/api/support"]["post"];
    let mapping = &schema(&doc, "SdkRequest")["discriminator"]["mapping"];
    assert_eq!(mapping.as_object().unwrap().len(), SdkMethod::ALL.len());
    let mut required = Vec::new();
    let mut optional = Vec::new();
    for method in SdkMethod::ALL {
        let name = format!("{}Request", upper_first(method.name()));
        assert_eq!(
            mapping[method.name()],
            format!("#/components/schemas/{name}")
        );
        let wire = serde_json::to_value(request(method)).unwrap();
        assert_fields(&doc, &name, &wire);
        assert_eq!(
            schema(&doc, &name)["properties"]["action"]["enum"],
            json!([method.name()])
        );
        assert!(
            path["responses"]["200"]["x-response-by-action"][method.name()].is_string(),
            "{method}"
        );
        if method.is_optional() {
            optional.push(method.name());
        } else {
            required.push(method.name());
        }
    }
    assert_eq!(path["x-required-actions"], json!(required));
    assert_eq!(path["x-optional-actions"], json!(optional));
}

#[test]
fn every_response_schema_matches_the_wire_form() {
    let doc = openapi();
    let money = Money::new(100, "usd").unwrap();
    let examples: Vec<(&str, Value)> = vec![
        ("SdkUser", serde_json::to_value(user()).unwrap()),
        (
            "SdkPurchase",
            serde_json::to_value(SdkPurchase {
                id: "p".into(),
                product_id: "prd".into(),
                product_name: "Course".into(),
                amount: money.clone(),
                purchased_at: 1,
                status: "active".into(),
                stripe_charge_id: None,
            })
            .unwrap(),
        ),
        ("Money", serde_json::to_value(money).unwrap()),
        (
            "SdkSubscription",
            serde_json::to_value(SdkSubscription {
                id: "s".into(),
                product_id: "prd".into(),
                product_name: "Pro".into(),
                status: "active".into(),
                current_period_end: 1,
            })
            .unwrap(),
        ),
        (
            "RevokeResult",
            serde_json::to_value(RevokeResult {
                purchase_id: "p".into(),
                status: "refunded".into(),
            })
            .unwrap(),
        ),
        (
            "TransferResult",
            serde_json::to_value(TransferResult {
                purchase_id: "p".into(),
                to_user_id: "u".into(),
            })
            .unwrap(),
        ),
        (
            "MagicLink",
            serde_json::to_value(MagicLink {
                url: "https://x".into(),
                expires_at: 1,
            })
            .unwrap(),
        ),
        (
            "Seat",
            serde_json::to_value(Seat {
                id: "s".into(),
                purchase_id: "p".into(),
                claimed_by: Some(user()),
            })
            .unwrap(),
        ),
        (
            "ContentHit",
            serde_json::to_value(ContentHit {
                title: "t".into(),
                url: "https://x".into(),
                snippet: None,
            })
            .unwrap(),
        ),
        (
            "RefundPolicy",
            serde_json::to_value(RefundPolicy {
                auto_approve_days: 30,
                manual_approve_days: 45,
                policy_url: None,
            })
            .unwrap(),
        ),
        (
            "Error",
            serde_json::to_value(ErrorBody {
                error: "e".into(),
                message: "m".into(),
            })
            .unwrap(),
        ),
    ];
    for (name, example) in &examples {
        assert_fields(&doc, name, example);
    }
    // Every error code the types define is in the Error enum.
    let codes = &schema(&doc, "Error")["properties"]["error"]["enum"];
    for code in [
        support_sdk::sdk::error_code::BODY_TOO_LARGE,
        support_sdk::sdk::error_code::UNREADABLE_BODY,
        support_sdk::sdk::error_code::MISSING_SIGNATURE,
        support_sdk::sdk::error_code::MALFORMED_SIGNATURE,
        support_sdk::sdk::error_code::SIGNATURE_EXPIRED,
        support_sdk::sdk::error_code::INVALID_SIGNATURE,
        support_sdk::sdk::error_code::INVALID_JSON,
        support_sdk::sdk::error_code::MISSING_ACTION,
        support_sdk::sdk::error_code::UNKNOWN_ACTION,
        support_sdk::sdk::error_code::INVALID_EMAIL,
        support_sdk::sdk::error_code::INVALID_REQUEST,
        support_sdk::sdk::error_code::NOT_FOUND,
        support_sdk::sdk::error_code::CONFLICT,
        support_sdk::sdk::error_code::NOT_IMPLEMENTED,
        support_sdk::sdk::error_code::INTERNAL,
    ] {
        assert!(
            codes.as_array().unwrap().contains(&json!(code)),
            "{code} missing from the Error schema"
        );
    }
    // Every $ref points at a schema that exists.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if k == "$ref" {
                        out.push(v.as_str().unwrap().to_owned());
                    } else {
                        refs(v, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    let by_action =
        &doc["paths"]["/api/support"]["post"]["responses"]["200"]["x-response-by-action"];
    for r in by_action.as_object().unwrap().values() {
        all.push(r.as_str().unwrap().to_owned());
    }
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r}"));
        schema(&doc, name);
    }
}
