//! The product-app integration contract as it exists so far: one signed HTTP POST route that
//! takes `{"action": ..., ...params}`. Only the read methods the sandbox needs are here; the
//! write methods (revoke, transfer, magic link...) arrive with the SDK issue.

use serde::{Deserialize, Serialize};

use crate::{Email, Money};

/// A request to a product app's support route. The `action` tag names the method.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum SdkRequest {
    LookupUser {
        email: Email,
    },
    #[serde(rename_all = "camelCase")]
    GetPurchases {
        user_id: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SdkUser {
    pub id: String,
    pub email: Email,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SdkPurchase {
    pub id: String,
    pub product_id: String,
    pub product_name: String,
    pub amount: Money,
    /// Unix seconds: policy windows are computed to the second.
    pub purchased_at: i64,
    /// `active`, `refunded` or `transferred`.
    pub status: String,
    /// The Stripe charge behind the purchase, when there is one.
    pub stripe_charge_id: Option<String>,
}

/// `lookupUser` answers `null` when nobody has that email.
pub type LookupUserResponse = Option<SdkUser>;
pub type GetPurchasesResponse = Vec<SdkPurchase>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_shape_is_action_tagged_camel_case() {
        let req: SdkRequest =
            serde_json::from_str(r#"{"action":"getPurchases","userId":"u1"}"#).unwrap();
        assert_eq!(
            req,
            SdkRequest::GetPurchases {
                user_id: "u1".into()
            }
        );
        let json = serde_json::to_value(SdkRequest::LookupUser {
            email: Email::parse("a@b.co").unwrap(),
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"action":"lookupUser","email":"a@b.co"})
        );
        assert!(serde_json::from_str::<SdkRequest>(r#"{"action":"dance"}"#).is_err());
    }
}
