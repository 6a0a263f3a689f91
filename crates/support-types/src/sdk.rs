//! The product-app integration contract: one signed HTTP POST route (conventionally
//! `POST /api/support`) that takes `{"action": <method>, ...params}` with camelCase fields and
//! answers the method's result as JSON, or an [`ErrorBody`](crate::api::ErrorBody)
//! `{"error": code, "message": text}` with one of the [`error_code`]s.
//!
//! Five methods are required ([`SdkMethod::REQUIRED`]); the rest are optional, and an app that
//! lacks one answers `501 {"error": "not_implemented", "message": "Method not implemented:
//! <method>"}`. The `support-sdk` crate implements both ends in Rust and publishes the same
//! contract as an OpenAPI document for apps in other languages.
//!
//! Timestamps are unix seconds (policy windows are computed to the second); money is
//! [`Money`] in minor units.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Email, Money};

/// A request to a product app's support route. The `action` tag names the method.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum SdkRequest {
    /// Required. Answers [`LookupUserResponse`]: the user, or `null` when nobody has that
    /// email.
    LookupUser { email: Email },
    /// Required. Answers [`GetPurchasesResponse`], newest first; `[]` for an unknown user.
    #[serde(rename_all = "camelCase")]
    GetPurchases { user_id: String },
    /// Required write. Takes the purchase's access away because it was refunded. Idempotent
    /// for the same `refund_id`; answers [`RevokeResult`].
    #[serde(rename_all = "camelCase")]
    RevokeAccess {
        purchase_id: String,
        /// Free text for the app's audit trail, e.g. "refund approved by jane@".
        reason: String,
        /// The refund behind the revocation (a Stripe `re_…` id); the idempotency key.
        refund_id: String,
    },
    /// Required write. Moves an active purchase owned by `from_user_id` to the user with
    /// `to_email` (creating that user when needed). Idempotent on retry; answers
    /// [`TransferResult`].
    #[serde(rename_all = "camelCase")]
    TransferPurchase {
        purchase_id: String,
        from_user_id: String,
        to_email: Email,
    },
    /// Required write. A single-use sign-in link for the user with `email`, valid for
    /// `expires_in` seconds; answers [`MagicLink`].
    #[serde(rename_all = "camelCase")]
    GenerateMagicLink { email: Email, expires_in: u64 },
    /// Optional. Answers [`GetSubscriptionsResponse`]; `[]` for an unknown user.
    #[serde(rename_all = "camelCase")]
    GetSubscriptions { user_id: String },
    /// Optional write. Answers the updated [`SdkUser`].
    #[serde(rename_all = "camelCase")]
    UpdateEmail { user_id: String, new_email: Email },
    /// Optional write. Answers the updated [`SdkUser`].
    #[serde(rename_all = "camelCase")]
    UpdateName { user_id: String, name: String },
    /// Optional. Every seat of a bulk (team) purchase, claimed or not; answers
    /// [`GetClaimedSeatsResponse`], `[]` for an unknown coupon.
    #[serde(rename_all = "camelCase")]
    GetClaimedSeats { bulk_coupon_id: String },
    /// Optional. Answers [`SearchContentResponse`].
    SearchContent { query: String },
    /// Optional. Answers [`RefundPolicy`]. Sent as `{"action": "getRefundPolicy"}`.
    GetRefundPolicy,
}

/// The contract's methods, without their parameters: what `action` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SdkMethod {
    LookupUser,
    GetPurchases,
    RevokeAccess,
    TransferPurchase,
    GenerateMagicLink,
    GetSubscriptions,
    UpdateEmail,
    UpdateName,
    GetClaimedSeats,
    SearchContent,
    GetRefundPolicy,
}

impl SdkMethod {
    /// Every method, required ones first, in contract order.
    pub const ALL: [SdkMethod; 11] = [
        Self::LookupUser,
        Self::GetPurchases,
        Self::RevokeAccess,
        Self::TransferPurchase,
        Self::GenerateMagicLink,
        Self::GetSubscriptions,
        Self::UpdateEmail,
        Self::UpdateName,
        Self::GetClaimedSeats,
        Self::SearchContent,
        Self::GetRefundPolicy,
    ];

    /// The methods every app must implement.
    pub const REQUIRED: [SdkMethod; 5] = [
        Self::LookupUser,
        Self::GetPurchases,
        Self::RevokeAccess,
        Self::TransferPurchase,
        Self::GenerateMagicLink,
    ];

    /// The `action` value on the wire, e.g. `lookupUser`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::LookupUser => "lookupUser",
            Self::GetPurchases => "getPurchases",
            Self::RevokeAccess => "revokeAccess",
            Self::TransferPurchase => "transferPurchase",
            Self::GenerateMagicLink => "generateMagicLink",
            Self::GetSubscriptions => "getSubscriptions",
            Self::UpdateEmail => "updateEmail",
            Self::UpdateName => "updateName",
            Self::GetClaimedSeats => "getClaimedSeats",
            Self::SearchContent => "searchContent",
            Self::GetRefundPolicy => "getRefundPolicy",
        }
    }

    /// The method an `action` value names (exact, case-sensitive), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// True for methods an app may leave out (it then answers 501).
    pub const fn is_optional(self) -> bool {
        !matches!(
            self,
            Self::LookupUser
                | Self::GetPurchases
                | Self::RevokeAccess
                | Self::TransferPurchase
                | Self::GenerateMagicLink
        )
    }

    /// True for methods that change nothing in the app, so a caller may safely send them
    /// again after a timeout or a 5xx. Writes are never resent automatically.
    pub const fn is_read_only(self) -> bool {
        matches!(
            self,
            Self::LookupUser
                | Self::GetPurchases
                | Self::GetSubscriptions
                | Self::GetClaimedSeats
                | Self::SearchContent
                | Self::GetRefundPolicy
        )
    }
}

impl fmt::Display for SdkMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl SdkRequest {
    /// The method this request calls.
    pub const fn method(&self) -> SdkMethod {
        match self {
            Self::LookupUser { .. } => SdkMethod::LookupUser,
            Self::GetPurchases { .. } => SdkMethod::GetPurchases,
            Self::RevokeAccess { .. } => SdkMethod::RevokeAccess,
            Self::TransferPurchase { .. } => SdkMethod::TransferPurchase,
            Self::GenerateMagicLink { .. } => SdkMethod::GenerateMagicLink,
            Self::GetSubscriptions { .. } => SdkMethod::GetSubscriptions,
            Self::UpdateEmail { .. } => SdkMethod::UpdateEmail,
            Self::UpdateName { .. } => SdkMethod::UpdateName,
            Self::GetClaimedSeats { .. } => SdkMethod::GetClaimedSeats,
            Self::SearchContent { .. } => SdkMethod::SearchContent,
            Self::GetRefundPolicy => SdkMethod::GetRefundPolicy,
        }
    }

    /// The `action` value on the wire, e.g. `revokeAccess`.
    pub const fn method_name(&self) -> &'static str {
        self.method().name()
    }

    /// True when an app may answer this request with 501 (not implemented).
    pub const fn is_optional(&self) -> bool {
        self.method().is_optional()
    }

    /// True when the request changes nothing, so it may be resent after a failure.
    pub const fn is_read_only(&self) -> bool {
        self.method().is_read_only()
    }
}

/// The stable `error` codes of the support route's error bodies. Programs match on these;
/// the `message` next to them is for humans.
pub mod error_code {
    /// 413: the body is over the size limit (64 KiB).
    pub const BODY_TOO_LARGE: &str = "body_too_large";
    /// 400: the body could not be read.
    pub const UNREADABLE_BODY: &str = "unreadable_body";
    /// 401: no `x-support-signature` header.
    pub const MISSING_SIGNATURE: &str = "missing_signature";
    /// 401: the header is not `t=<unix seconds>,v1=<hex>`.
    pub const MALFORMED_SIGNATURE: &str = "malformed_signature";
    /// 401: the signed timestamp is outside the 300 s window (either direction).
    pub const SIGNATURE_EXPIRED: &str = "signature_expired";
    /// 401: no signature matches any of the app's secrets.
    pub const INVALID_SIGNATURE: &str = "invalid_signature";
    /// 400: the body is not JSON.
    pub const INVALID_JSON: &str = "invalid_json";
    /// 400: no `action` field.
    pub const MISSING_ACTION: &str = "missing_action";
    /// 400: `action` names no method of the contract.
    pub const UNKNOWN_ACTION: &str = "unknown_action";
    /// 400: an email parameter is not an email address.
    pub const INVALID_EMAIL: &str = "invalid_email";
    /// 400: parameters missing or of the wrong type, or refused by the app as invalid.
    pub const INVALID_REQUEST: &str = "invalid_request";
    /// 404: the user, purchase ... named by the request does not exist.
    pub const NOT_FOUND: &str = "not_found";
    /// 409: the request is valid but the current state forbids it (e.g. transferring a
    /// refunded purchase, an email already taken).
    pub const CONFLICT: &str = "conflict";
    /// 501: an optional method the app does not implement.
    pub const NOT_IMPLEMENTED: &str = "not_implemented";
    /// 500: the app failed; details are only in the app's logs.
    pub const INTERNAL: &str = "internal";
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

/// `revokeAccess`: the purchase after the call.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RevokeResult {
    pub purchase_id: String,
    /// The purchase's status now: `refunded`.
    pub status: String,
}

/// `transferPurchase`: where the purchase went.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TransferResult {
    /// The recipient's purchase. Apps may keep the id or issue a new purchase (and mark the
    /// original `transferred`), so use this id from now on.
    pub purchase_id: String,
    pub to_user_id: String,
}

/// `generateMagicLink`: a single-use sign-in URL.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MagicLink {
    pub url: String,
    /// Unix seconds after which the link no longer signs anyone in.
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SdkSubscription {
    pub id: String,
    pub product_id: String,
    pub product_name: String,
    /// Stripe's vocabulary: `active`, `trialing`, `past_due`, `canceled`...
    pub status: String,
    /// Unix seconds at which the current paid period ends.
    pub current_period_end: i64,
}

/// One seat of a bulk (team) purchase.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Seat {
    pub id: String,
    /// The bulk purchase the seat belongs to.
    pub purchase_id: String,
    /// Who claimed the seat; `null` while it is unclaimed.
    pub claimed_by: Option<SdkUser>,
}

/// One `searchContent` result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ContentHit {
    pub title: String,
    pub url: String,
    pub snippet: Option<String>,
}

/// `getRefundPolicy`: refunds within `auto_approve_days` of purchase may be approved without
/// a human; up to `manual_approve_days` they need one; after that they are refused.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RefundPolicy {
    pub auto_approve_days: u32,
    pub manual_approve_days: u32,
    pub policy_url: Option<String>,
}

/// `lookupUser` answers `null` when nobody has that email.
pub type LookupUserResponse = Option<SdkUser>;
pub type GetPurchasesResponse = Vec<SdkPurchase>;
pub type RevokeAccessResponse = RevokeResult;
pub type TransferPurchaseResponse = TransferResult;
pub type GenerateMagicLinkResponse = MagicLink;
pub type GetSubscriptionsResponse = Vec<SdkSubscription>;
pub type UpdateEmailResponse = SdkUser;
pub type UpdateNameResponse = SdkUser;
pub type GetClaimedSeatsResponse = Vec<Seat>;
pub type SearchContentResponse = Vec<ContentHit>;
pub type GetRefundPolicyResponse = RefundPolicy;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap()
    }

    /// One request per method, with its exact wire form.
    fn examples() -> Vec<(SdkRequest, serde_json::Value)> {
        vec![
            (
                SdkRequest::LookupUser {
                    email: email("a@b.co"),
                },
                json!({"action": "lookupUser", "email": "a@b.co"}),
            ),
            (
                SdkRequest::GetPurchases {
                    user_id: "u1".into(),
                },
                json!({"action": "getPurchases", "userId": "u1"}),
            ),
            (
                SdkRequest::RevokeAccess {
                    purchase_id: "p1".into(),
                    reason: "refunded".into(),
                    refund_id: "re_1".into(),
                },
                json!({"action": "revokeAccess", "purchaseId": "p1", "reason": "refunded",
                       "refundId": "re_1"}),
            ),
            (
                SdkRequest::TransferPurchase {
                    purchase_id: "p1".into(),
                    from_user_id: "u1".into(),
                    to_email: email("c@d.co"),
                },
                json!({"action": "transferPurchase", "purchaseId": "p1", "fromUserId": "u1",
                       "toEmail": "c@d.co"}),
            ),
            (
                SdkRequest::GenerateMagicLink {
                    email: email("a@b.co"),
                    expires_in: 900,
                },
                json!({"action": "generateMagicLink", "email": "a@b.co", "expiresIn": 900}),
            ),
            (
                SdkRequest::GetSubscriptions {
                    user_id: "u1".into(),
                },
                json!({"action": "getSubscriptions", "userId": "u1"}),
            ),
            (
                SdkRequest::UpdateEmail {
                    user_id: "u1".into(),
                    new_email: email("n@b.co"),
                },
                json!({"action": "updateEmail", "userId": "u1", "newEmail": "n@b.co"}),
            ),
            (
                SdkRequest::UpdateName {
                    user_id: "u1".into(),
                    name: "Ada".into(),
                },
                json!({"action": "updateName", "userId": "u1", "name": "Ada"}),
            ),
            (
                SdkRequest::GetClaimedSeats {
                    bulk_coupon_id: "c1".into(),
                },
                json!({"action": "getClaimedSeats", "bulkCouponId": "c1"}),
            ),
            (
                SdkRequest::SearchContent {
                    query: "refunds".into(),
                },
                json!({"action": "searchContent", "query": "refunds"}),
            ),
            (
                SdkRequest::GetRefundPolicy,
                json!({"action": "getRefundPolicy"}),
            ),
        ]
    }

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

    #[test]
    fn every_method_round_trips_and_names_itself() {
        let examples = examples();
        assert_eq!(examples.len(), SdkMethod::ALL.len());
        for (method, (req, wire)) in SdkMethod::ALL.iter().zip(&examples) {
            assert_eq!(req.method(), *method);
            assert_eq!(serde_json::to_value(req).unwrap(), *wire);
            assert_eq!(
                serde_json::from_value::<SdkRequest>(wire.clone()).unwrap(),
                *req
            );
            assert_eq!(wire["action"], req.method_name());
            assert_eq!(SdkMethod::from_name(req.method_name()), Some(*method));
            assert_eq!(method.to_string(), method.name());
        }
        assert_eq!(SdkMethod::from_name("LookupUser"), None);
        // Unknown fields are ignored, also on the parameterless method.
        let req: SdkRequest =
            serde_json::from_value(json!({"action": "getRefundPolicy", "pad": "x"})).unwrap();
        assert_eq!(req, SdkRequest::GetRefundPolicy);
    }

    #[test]
    fn required_optional_and_read_only_split() {
        let required: Vec<_> = SdkMethod::ALL
            .into_iter()
            .filter(|m| !m.is_optional())
            .collect();
        assert_eq!(required, SdkMethod::REQUIRED);
        let writes: Vec<_> = SdkMethod::ALL
            .into_iter()
            .filter(|m| !m.is_read_only())
            .map(SdkMethod::name)
            .collect();
        assert_eq!(
            writes,
            [
                "revokeAccess",
                "transferPurchase",
                "generateMagicLink",
                "updateEmail",
                "updateName"
            ]
        );
        assert!(SdkRequest::GetRefundPolicy.is_optional());
        assert!(SdkRequest::GetRefundPolicy.is_read_only());
    }

    #[test]
    fn invalid_parameters_are_refused() {
        for bad in [
            json!({"action": "generateMagicLink", "email": "a@b.co", "expiresIn": -5}),
            json!({"action": "generateMagicLink", "email": "a@b.co"}),
            json!({"action": "transferPurchase", "purchaseId": "p", "fromUserId": "u",
                   "toEmail": "nope"}),
            json!({"action": "revokeAccess", "purchaseId": "p", "reason": "r"}),
        ] {
            assert!(
                serde_json::from_value::<SdkRequest>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn responses_are_camel_case() {
        let seat = Seat {
            id: "s1".into(),
            purchase_id: "p1".into(),
            claimed_by: None,
        };
        assert_eq!(
            serde_json::to_value(&seat).unwrap(),
            json!({"id": "s1", "purchaseId": "p1", "claimedBy": null})
        );
        let policy = RefundPolicy {
            auto_approve_days: 30,
            manual_approve_days: 45,
            policy_url: None,
        };
        assert_eq!(
            serde_json::to_value(&policy).unwrap(),
            json!({"autoApproveDays": 30, "manualApproveDays": 45, "policyUrl": null})
        );
        assert_eq!(
            serde_json::to_value(MagicLink {
                url: "u".into(),
                expires_at: 5
            })
            .unwrap(),
            json!({"url": "u", "expiresAt": 5})
        );
    }
}
