//! The contract as an OpenAPI 3.0 document, written by hand so it reads like documentation,
//! and checked against the Rust types by the crate's tests (every request and response
//! schema lists exactly the fields serde writes).

use serde_json::{Map, Value, json};

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn string(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

fn unix_seconds(description: &str) -> Value {
    json!({ "type": "integer", "format": "int64", "description": description })
}

fn nullable_string(description: &str) -> Value {
    json!({ "type": "string", "nullable": true, "description": description })
}

/// An object schema whose fields are all required (nullable ones included: the field is
/// always present, possibly `null`).
fn object(description: &str, fields: &[(&str, Value)]) -> Value {
    let mut properties = Map::new();
    for (name, schema) in fields {
        properties.insert((*name).to_owned(), schema.clone());
    }
    json!({
        "type": "object",
        "description": description,
        "required": fields.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        "properties": properties,
    })
}

/// One request body schema: `action` fixed to the method name, then its parameters.
fn request(action: &str, description: &str, params: &[(&str, Value)]) -> Value {
    let mut fields = vec![("action", json!({ "type": "string", "enum": [action] }))];
    fields.extend(params.iter().cloned());
    object(description, &fields)
}

/// `(action, request schema name, response schema name, optional)` for every method.
const METHODS: [(&str, &str, &str, bool); 11] = [
    (
        "lookupUser",
        "LookupUserRequest",
        "LookupUserResponse",
        false,
    ),
    (
        "getPurchases",
        "GetPurchasesRequest",
        "GetPurchasesResponse",
        false,
    ),
    ("revokeAccess", "RevokeAccessRequest", "RevokeResult", false),
    (
        "transferPurchase",
        "TransferPurchaseRequest",
        "TransferResult",
        false,
    ),
    (
        "generateMagicLink",
        "GenerateMagicLinkRequest",
        "MagicLink",
        false,
    ),
    (
        "getSubscriptions",
        "GetSubscriptionsRequest",
        "GetSubscriptionsResponse",
        true,
    ),
    ("updateEmail", "UpdateEmailRequest", "SdkUser", true),
    ("updateName", "UpdateNameRequest", "SdkUser", true),
    (
        "getClaimedSeats",
        "GetClaimedSeatsRequest",
        "GetClaimedSeatsResponse",
        true,
    ),
    (
        "searchContent",
        "SearchContentRequest",
        "SearchContentResponse",
        true,
    ),
    (
        "getRefundPolicy",
        "GetRefundPolicyRequest",
        "RefundPolicy",
        true,
    ),
];

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": schema_ref("Error") } },
    })
}

/// The OpenAPI 3.0 document of the product-app contract: one signed `POST /api/support`
/// whose body is one of the method requests (discriminated by `action`), the response
/// schema of each method, and the error codes with their statuses.
pub fn openapi() -> Value {
    let email = json!({
        "type": "string",
        "format": "email",
        "description": "Compared case-insensitively; the platform sends it trimmed and lower-cased.",
    });
    let user_id = string("The app's own user id.");
    let purchase_id = string("The app's own purchase id.");

    let mut schemas = Map::new();
    let mut add = |name: &str, schema: Value| {
        schemas.insert(name.to_owned(), schema);
    };

    // Requests.
    add(
        "LookupUserRequest",
        request(
            "lookupUser",
            "Required. The user with this email; answers LookupUserResponse.",
            &[("email", email.clone())],
        ),
    );
    add(
        "GetPurchasesRequest",
        request(
            "getPurchases",
            "Required. The user's purchases, newest first; `[]` for an unknown user. Answers \
             GetPurchasesResponse.",
            &[("userId", user_id.clone())],
        ),
    );
    add(
        "RevokeAccessRequest",
        request(
            "revokeAccess",
            "Required write. Revokes the purchase's access because it was refunded and marks it \
             `refunded`. Idempotent: repeating it with the same refundId answers the same \
             result; a purchase that is not active (or was revoked for another refund) is a \
             409. Answers RevokeResult.",
            &[
                ("purchaseId", purchase_id.clone()),
                ("reason", string("Free text for the app's audit trail.")),
                (
                    "refundId",
                    string(
                        "The refund behind the revocation (e.g. a Stripe `re_…` id); the idempotency key.",
                    ),
                ),
            ],
        ),
    );
    add(
        "TransferPurchaseRequest",
        request(
            "transferPurchase",
            "Required write. Moves an active purchase owned by fromUserId to the user with \
             toEmail, creating that user when needed. A purchase that is not active or not \
             owned by fromUserId is a 409; repeating a transfer that already happened answers \
             its result. Answers TransferResult.",
            &[
                ("purchaseId", purchase_id.clone()),
                (
                    "fromUserId",
                    string("The current owner, as the platform saw it."),
                ),
                ("toEmail", email.clone()),
            ],
        ),
    );
    add(
        "GenerateMagicLinkRequest",
        request(
            "generateMagicLink",
            "Required write. A single-use sign-in link for the user with this email (404 for \
             an unknown email). Answers MagicLink.",
            &[
                ("email", email.clone()),
                (
                    "expiresIn",
                    json!({
                        "type": "integer",
                        "format": "int64",
                        "minimum": 0,
                        "description": "Seconds the link stays valid. Apps may refuse values outside their own bounds with a 400.",
                    }),
                ),
            ],
        ),
    );
    add(
        "GetSubscriptionsRequest",
        request(
            "getSubscriptions",
            "Optional. The user's subscriptions; `[]` for an unknown user. Answers \
             GetSubscriptionsResponse.",
            &[("userId", user_id.clone())],
        ),
    );
    add(
        "UpdateEmailRequest",
        request(
            "updateEmail",
            "Optional write. Changes the user's email (409 if another user has it, 404 for an \
             unknown user). Answers the updated SdkUser.",
            &[("userId", user_id.clone()), ("newEmail", email.clone())],
        ),
    );
    add(
        "UpdateNameRequest",
        request(
            "updateName",
            "Optional write. Changes the user's display name (404 for an unknown user, 400 for \
             an empty name). Answers the updated SdkUser.",
            &[
                ("userId", user_id.clone()),
                ("name", string("The new display name.")),
            ],
        ),
    );
    add(
        "GetClaimedSeatsRequest",
        request(
            "getClaimedSeats",
            "Optional. Every seat of the bulk (team) purchase behind the coupon, claimed or \
             not; `[]` for an unknown coupon. Answers GetClaimedSeatsResponse.",
            &[(
                "bulkCouponId",
                string("The coupon issued for the bulk purchase."),
            )],
        ),
    );
    add(
        "SearchContentRequest",
        request(
            "searchContent",
            "Optional. The app's content matching the query, best first. Answers \
             SearchContentResponse.",
            &[("query", string("Free text."))],
        ),
    );
    add(
        "GetRefundPolicyRequest",
        request(
            "getRefundPolicy",
            "Optional. The app's refund windows. Answers RefundPolicy.",
            &[],
        ),
    );
    let mut mapping = Map::new();
    for (action, request_schema, _, _) in METHODS {
        mapping.insert(
            action.to_owned(),
            Value::String(format!("#/components/schemas/{request_schema}")),
        );
    }
    add(
        "SdkRequest",
        json!({
            "description": "Any contract request; `action` names the method.",
            "oneOf": METHODS.iter().map(|(_, r, _, _)| schema_ref(r)).collect::<Vec<_>>(),
            "discriminator": { "propertyName": "action", "mapping": mapping },
        }),
    );

    // Values.
    add(
        "Money",
        object(
            "An amount in the currency's minor unit; never a float.",
            &[
                (
                    "amount",
                    json!({ "type": "integer", "format": "int64", "description": "Minor units (cents for USD)." }),
                ),
                (
                    "currency",
                    json!({ "type": "string", "pattern": "^[a-z]{3}$", "description": "Lower-case ISO 4217 code, e.g. `usd`." }),
                ),
            ],
        ),
    );
    add(
        "SdkUser",
        object(
            "A user of the app.",
            &[
                ("id", user_id.clone()),
                ("email", email.clone()),
                ("name", string("Display name.")),
            ],
        ),
    );
    add(
        "SdkPurchase",
        object(
            "One purchase.",
            &[
                ("id", purchase_id.clone()),
                ("productId", string("The app's product id.")),
                ("productName", string("Display name of the product.")),
                ("amount", schema_ref("Money")),
                ("purchasedAt", unix_seconds("Unix seconds.")),
                (
                    "status",
                    json!({ "type": "string", "enum": ["active", "refunded", "transferred"] }),
                ),
                (
                    "stripeChargeId",
                    nullable_string("The Stripe charge behind the purchase, when there is one."),
                ),
            ],
        ),
    );
    add(
        "SdkSubscription",
        object(
            "One subscription.",
            &[
                ("id", string("The app's subscription id.")),
                ("productId", string("The app's product id.")),
                ("productName", string("Display name of the product.")),
                (
                    "status",
                    string("Stripe's vocabulary: `active`, `trialing`, `past_due`, `canceled`..."),
                ),
                (
                    "currentPeriodEnd",
                    unix_seconds("Unix seconds at which the current paid period ends."),
                ),
            ],
        ),
    );
    add(
        "RevokeResult",
        object(
            "The purchase after revokeAccess.",
            &[
                ("purchaseId", purchase_id.clone()),
                (
                    "status",
                    json!({ "type": "string", "enum": ["refunded"], "description": "The purchase's status now." }),
                ),
            ],
        ),
    );
    add(
        "TransferResult",
        object(
            "Where transferPurchase moved the purchase.",
            &[
                (
                    "purchaseId",
                    string(
                        "The recipient's purchase; apps may issue a new id (marking the original `transferred`), so use this one from now on.",
                    ),
                ),
                (
                    "toUserId",
                    string("The recipient, possibly created by the transfer."),
                ),
            ],
        ),
    );
    add(
        "MagicLink",
        object(
            "A single-use sign-in link.",
            &[
                ("url", json!({ "type": "string", "format": "uri" })),
                (
                    "expiresAt",
                    unix_seconds("Unix seconds after which the link no longer signs anyone in."),
                ),
            ],
        ),
    );
    add(
        "Seat",
        object(
            "One seat of a bulk purchase.",
            &[
                ("id", string("The app's seat id.")),
                (
                    "purchaseId",
                    string("The bulk purchase the seat belongs to."),
                ),
                (
                    "claimedBy",
                    json!({
                        "nullable": true,
                        "allOf": [schema_ref("SdkUser")],
                        "description": "Who claimed the seat; null while unclaimed.",
                    }),
                ),
            ],
        ),
    );
    add(
        "ContentHit",
        object(
            "One search result.",
            &[
                ("title", string("Title of the page or lesson.")),
                ("url", json!({ "type": "string", "format": "uri" })),
                (
                    "snippet",
                    nullable_string("A short excerpt, when there is one."),
                ),
            ],
        ),
    );
    add(
        "RefundPolicy",
        object(
            "Refunds within autoApproveDays of purchase may be approved without a human; up to \
             manualApproveDays they need one; after that they are refused.",
            &[
                (
                    "autoApproveDays",
                    json!({ "type": "integer", "minimum": 0 }),
                ),
                (
                    "manualApproveDays",
                    json!({ "type": "integer", "minimum": 0 }),
                ),
                (
                    "policyUrl",
                    json!({ "type": "string", "format": "uri", "nullable": true }),
                ),
            ],
        ),
    );
    add(
        "LookupUserResponse",
        json!({
            "nullable": true,
            "allOf": [schema_ref("SdkUser")],
            "description": "The user, or null when nobody has that email.",
        }),
    );
    add(
        "GetPurchasesResponse",
        json!({ "type": "array", "items": schema_ref("SdkPurchase") }),
    );
    add(
        "GetSubscriptionsResponse",
        json!({ "type": "array", "items": schema_ref("SdkSubscription") }),
    );
    add(
        "GetClaimedSeatsResponse",
        json!({ "type": "array", "items": schema_ref("Seat") }),
    );
    add(
        "SearchContentResponse",
        json!({ "type": "array", "items": schema_ref("ContentHit") }),
    );
    add(
        "Error",
        object(
            "Every error answer. `error` is a stable code for programs; `message` is for the \
             human reading the platform's logs and never carries the app's internals.",
            &[
                (
                    "error",
                    json!({
                        "type": "string",
                        "enum": [
                            "body_too_large", "unreadable_body", "missing_signature",
                            "malformed_signature", "signature_expired", "invalid_signature",
                            "invalid_json", "missing_action", "unknown_action", "invalid_email",
                            "invalid_request", "not_found", "conflict", "not_implemented",
                            "internal",
                        ],
                    }),
                ),
                ("message", string("What went wrong, for a human.")),
            ],
        ),
    );

    let mut by_action = Map::new();
    let mut required = Vec::new();
    let mut optional = Vec::new();
    for (action, _, response, is_optional) in METHODS {
        by_action.insert(
            action.to_owned(),
            Value::String(format!("#/components/schemas/{response}")),
        );
        if is_optional {
            optional.push(action);
        } else {
            required.push(action);
        }
    }
    let mut response_schemas: Vec<&str> = METHODS.iter().map(|(_, _, r, _)| *r).collect();
    response_schemas.sort_unstable();
    response_schemas.dedup();

    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Support platform: product-app contract",
            "version": "1.0.0",
            "description": "What a product app serves so the support platform can look up its \
                customers and act for them. One signed POST route takes `{\"action\": <method>, \
                ...params}` (camelCase) and answers the method's result as JSON.\n\n\
                Signing: the platform sends `x-support-signature: t=<unix seconds>,v1=<hex>` \
                where the hex is HMAC-SHA256, keyed with the UTF-8 bytes of the shared \
                secret, over `<t>.<raw request body>`. Verify the raw bytes before parsing; accept a \
                timestamp within 300 s of your clock in either direction; compare in constant \
                time; accept any of several `v1` values and any of your current and previous \
                secrets (rotation).\n\n\
                Order of checks: body size (64 KiB, 413), signature (401), JSON and action \
                (400), then the method. Required methods: lookupUser, getPurchases, \
                revokeAccess, transferPurchase, generateMagicLink. An optional method the app \
                lacks answers 501 `Method not implemented: <action>`; the platform treats that \
                as \"not supported\".\n\n\
                Reads (lookupUser, getPurchases, getSubscriptions, getClaimedSeats, \
                searchContent, getRefundPolicy) may be resent after timeouts and 5xx. Writes \
                are never resent automatically, but the platform may repeat revokeAccess and \
                transferPurchase after an uncertain outcome, so those must be idempotent.",
        },
        "servers": [{ "url": "https://app.example.com", "description": "Your app; the route may live under any path you register." }],
        "security": [{ "supportSignature": [] }],
        "paths": {
            "/api/support": {
                "post": {
                    "operationId": "support",
                    "summary": "Call one contract method",
                    "x-required-actions": required,
                    "x-optional-actions": optional,
                    "requestBody": {
                        "required": true,
                        "content": { "application/json": { "schema": schema_ref("SdkRequest") } },
                    },
                    "responses": {
                        "200": {
                            "description": "The method's result; which schema depends on the action (see `x-response-by-action`).",
                            "x-response-by-action": by_action,
                            "content": {
                                "application/json": {
                                    // anyOf, not oneOf: an SdkUser also satisfies
                                    // LookupUserResponse; the action decides which applies.
                                    "schema": {
                                        "anyOf": response_schemas.iter().map(|r| schema_ref(r)).collect::<Vec<_>>(),
                                    },
                                },
                            },
                        },
                        "400": error_response("`invalid_json`, `missing_action`, `unknown_action` (message `Unknown action: <action>`), `invalid_email`, `invalid_request` (missing or mistyped parameters, or values the app refuses), `unreadable_body`."),
                        "401": error_response("`missing_signature`, `malformed_signature`, `signature_expired` (outside the 300 s window either way) or `invalid_signature`, each with its own message."),
                        "404": error_response("`not_found`: the user, purchase ... named by the request does not exist."),
                        "409": error_response("`conflict`: valid, but the current state forbids it (e.g. transferring a refunded purchase, an email another user has)."),
                        "413": error_response("`body_too_large`: the body exceeds 64 KiB."),
                        "500": error_response("`internal`: the app failed; the message is generic and the details are in the app's logs."),
                        "501": error_response("`not_implemented`: an optional method the app lacks; message `Method not implemented: <action>`."),
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {
                "supportSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "x-support-signature",
                    "description": "`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + \".\" + raw body)>`; several `v1` entries may be sent during a secret rotation.",
                },
            },
            "schemas": schemas,
        },
    })
}
