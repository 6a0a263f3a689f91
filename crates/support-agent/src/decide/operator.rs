//! An operator's own action (`skill refund`, `transfer`, `magic-link`, `cancel-subscription`):
//! the same facts and the same policy as the agent's proposals. [`gather`] resolves the facts
//! itself (the customer and purchase from the app's SDK, the charge from the app's connected
//! Stripe account) into a typed [`OperatorCase`]; [`decide`] asks the app's policy with
//! category `operator`. The HTTP route only maps the request and the errors.

use support_core::policy::{self, ActionKind, PolicyConfig, PurchaseFacts};
use support_sdk::{AppApi, SdkError};
use support_store::App;
use support_stripe::{StripeApi, StripeError};
use support_types::Email;
use support_types::cli_api::{OperatorActionRequest, OperatorFacts, OperatorKind};

use super::{CHARGE_ACCOUNT_MISMATCH, Verdict, purchase_facts};
use crate::app_tools::AppDirectory;
use crate::request::{ActionRequest, MagicLinkParams, RefundParams, TransferParams};

/// Why an operator's request cannot be decided. Each maps to one HTTP status at the edge.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// The request itself is wrong (400).
    #[error("{0}")]
    Invalid(String),
    /// The customer, purchase or charge does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The request is well formed but cannot be done here (422, with a stable code).
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    /// The app's SDK failed in a way the operator cannot fix (500, logged).
    #[error("app {app} answered: {source}")]
    App {
        app: String,
        #[source]
        source: SdkError,
    },
    /// Stripe failed (500, logged).
    #[error("stripe: retrieving charge {charge}: {source}")]
    Stripe {
        charge: String,
        #[source]
        source: StripeError,
    },
}

fn bad(m: impl Into<String>) -> OperatorError {
    OperatorError::Invalid(m.into())
}

fn refuse(code: &'static str, m: impl Into<String>) -> OperatorError {
    OperatorError::Refused {
        code,
        message: m.into(),
    }
}

/// What the platform worked out before asking the policy.
#[derive(Debug, Clone)]
pub struct OperatorCase {
    pub request: ActionRequest,
    /// What the operator is shown (and the audit entry records).
    pub facts: OperatorFacts,
    /// A check before the policy that already decided (a charge on another account, a
    /// refund beyond what Stripe still holds), with its rule.
    pub preset: Option<(Verdict, &'static str)>,
    pub policy_facts: policy::Facts,
}

/// The policy's verdict on the case and the rule that gave it.
pub fn decide(case: &OperatorCase, policy_cfg: &PolicyConfig) -> (Verdict, String) {
    match &case.preset {
        Some((v, rule)) => (v.clone(), (*rule).to_owned()),
        None => {
            let e = policy::evaluate_detailed(policy_cfg, &case.policy_facts);
            (e.verdict, e.rule.to_string())
        }
    }
}

/// Stripe's refund reasons; anything else the operator writes is `requested_by_customer`.
fn stripe_reason(text: Option<&str>) -> &'static str {
    match text.map(|t| t.trim().to_ascii_lowercase()).as_deref() {
        Some("duplicate") => "duplicate",
        Some("fraudulent") => "fraudulent",
        _ => "requested_by_customer",
    }
}

fn base_facts(action: ActionKind, now: i64) -> policy::Facts {
    policy::Facts {
        action,
        now,
        purchase: None,
        purchase_known: false,
        requested_amount_cents: None,
        category: "operator".into(),
        confidence: 1.0,
        signals: Vec::new(),
        approvers: Vec::new(),
        order: None,
        grounding: Default::default(),
    }
}

fn parse_email(what: &str, raw: Option<&str>) -> Result<Email, OperatorError> {
    let raw = raw.ok_or_else(|| bad(format!("{what} is required")))?;
    Email::parse(raw).map_err(|e| bad(format!("{what}: {e}")))
}

/// The app's SDK client, or a refusal naming why the platform cannot reach the app.
pub async fn sdk(
    apps: &dyn AppDirectory,
    app: &App,
) -> Result<std::sync::Arc<dyn AppApi>, OperatorError> {
    if app.integration_url.is_none() {
        return Err(refuse(
            "no_integration",
            format!(
                "app {} has no integration URL: the platform cannot look its customers up",
                app.slug
            ),
        ));
    }
    apps.app_api(&app.id)
        .await
        .map_err(|e| refuse("no_integration", format!("app {}: {e}", app.slug)))
}

fn sdk_error(app: &App, e: SdkError) -> OperatorError {
    match e {
        SdkError::NotFound(m) => OperatorError::NotFound(m),
        SdkError::BadRequest(m) => OperatorError::Invalid(m),
        other => OperatorError::App {
            app: app.slug.clone(),
            source: other,
        },
    }
}

/// Resolves an operator's request into a case the policy can judge. `now` is Unix seconds.
pub async fn gather(
    apps: &dyn AppDirectory,
    stripe: &dyn StripeApi,
    app: &App,
    req: &OperatorActionRequest,
    now: i64,
) -> Result<OperatorCase, OperatorError> {
    let target = req.target.trim();
    if target.is_empty() || target.len() > 200 || target.chars().any(char::is_whitespace) {
        return Err(bad(format!("invalid target {:?}", req.target)));
    }
    if req.amount.is_some() && req.kind != OperatorKind::Refund {
        return Err(bad("--amount applies to refunds only"));
    }
    match req.kind {
        OperatorKind::CancelSubscription => {
            if !target.starts_with("sub_") {
                return Err(bad(format!("{target:?} is not a subscription id (sub_…)")));
            }
            Err(refuse(
                "not_supported",
                format!(
                    "cancelling subscription {target} is not supported by the app {}: the SDK contract has no cancelSubscription method, so the platform cannot cancel it; cancel it in the app or in Stripe",
                    app.slug
                ),
            ))
        }
        OperatorKind::MagicLink => {
            let email = parse_email("the customer's email", Some(target))?;
            let api = sdk(apps, app).await?;
            let user = api
                .lookup_user(&email)
                .await
                .map_err(|e| sdk_error(app, e))?
                .ok_or_else(|| {
                    OperatorError::NotFound(format!("no customer {email} in {}", app.slug))
                })?;
            Ok(OperatorCase {
                request: ActionRequest::MagicLink(MagicLinkParams {
                    email: email.clone(),
                    expires_in: Some(3600),
                }),
                facts: OperatorFacts {
                    customer: Some(email.to_string()),
                    user_id: Some(user.id),
                    ..OperatorFacts::default()
                },
                preset: None,
                policy_facts: policy::Facts {
                    purchase_known: true,
                    ..base_facts(ActionKind::MagicLink, now)
                },
            })
        }
        OperatorKind::Transfer => {
            let to = parse_email("--to (the recipient's email)", req.to.as_deref())?;
            let from = parse_email(
                "--email (the purchase owner's email; the SDK has no lookup by purchase id)",
                req.email.as_deref(),
            )?;
            if to == from {
                return Err(bad("the recipient already owns the purchase"));
            }
            let api = sdk(apps, app).await?;
            let user = api
                .lookup_user(&from)
                .await
                .map_err(|e| sdk_error(app, e))?
                .ok_or_else(|| {
                    OperatorError::NotFound(format!("no customer {from} in {}", app.slug))
                })?;
            let purchases = api
                .get_purchases(&user.id)
                .await
                .map_err(|e| sdk_error(app, e))?;
            let purchase = purchases.iter().find(|p| p.id == target);
            let mut facts = OperatorFacts {
                customer: Some(from.to_string()),
                user_id: Some(user.id.clone()),
                purchase_id: Some(target.to_owned()),
                purchase_known: purchase.is_some(),
                ..OperatorFacts::default()
            };
            if let Some(p) = purchase {
                facts.purchase_status = Some(p.status.clone());
                facts.purchased_at = Some(p.purchased_at);
                facts.amount = Some(p.amount.amount);
                facts.currency = Some(p.amount.currency.clone());
            }
            Ok(OperatorCase {
                request: ActionRequest::TransferPurchase(TransferParams {
                    purchase_id: target.to_owned(),
                    from_user_id: user.id,
                    to_email: to,
                }),
                facts,
                preset: None,
                policy_facts: policy::Facts {
                    purchase: purchase.map(purchase_facts),
                    purchase_known: purchase.is_some(),
                    ..base_facts(ActionKind::TransferPurchase, now)
                },
            })
        }
        OperatorKind::Refund => gather_refund(apps, stripe, app, req, target, now).await,
    }
}

async fn gather_refund(
    apps: &dyn AppDirectory,
    stripe: &dyn StripeApi,
    app: &App,
    req: &OperatorActionRequest,
    target: &str,
    now: i64,
) -> Result<OperatorCase, OperatorError> {
    if req.amount.is_some_and(|a| a <= 0) {
        return Err(bad("--amount must be a positive number of cents"));
    }
    let account = app
        .stripe_account_id
        .clone()
        .filter(|_| app.stripe_connected)
        .ok_or_else(|| {
            refuse(
                "stripe_not_connected",
                format!(
                    "app {} has no connected Stripe account; connect it with `skill stripe connect {}`",
                    app.slug, app.slug
                ),
            )
        })?;
    let by_charge = target.starts_with("ch_") || target.starts_with("py_");
    let email = match req.email.as_deref() {
        Some(e) => Some(Email::parse(e).map_err(|e| bad(format!("--email: {e}")))?),
        None => None,
    };
    if !by_charge && email.is_none() {
        return Err(bad(format!(
            "pass --email with a purchase id: the SDK has no lookup by purchase id, so {target} is found among the customer's purchases"
        )));
    }
    let (user, purchases) = match &email {
        None => (None, Vec::new()),
        Some(email) => {
            let api = sdk(apps, app).await?;
            let user = api
                .lookup_user(email)
                .await
                .map_err(|e| sdk_error(app, e))?
                .ok_or_else(|| {
                    OperatorError::NotFound(format!("no customer {email} in {}", app.slug))
                })?;
            let purchases = api
                .get_purchases(&user.id)
                .await
                .map_err(|e| sdk_error(app, e))?;
            (Some(user), purchases)
        }
    };
    let purchase = purchases.iter().find(|p| {
        if by_charge {
            p.stripe_charge_id.as_deref() == Some(target)
        } else {
            p.id == target
        }
    });
    let charge = match (by_charge, purchase) {
        (true, _) => target.to_owned(),
        (false, Some(p)) => p.stripe_charge_id.clone().ok_or_else(|| {
            refuse(
                "no_charge",
                format!("purchase {} has no Stripe charge to refund", p.id),
            )
        })?,
        (false, None) => {
            return Err(OperatorError::NotFound(format!(
                "purchase {target} is not among {}'s purchases in {}",
                email.as_ref().map(Email::as_str).unwrap_or("-"),
                app.slug
            )));
        }
    };
    let mut facts = OperatorFacts {
        customer: email.as_ref().map(Email::to_string),
        user_id: user.as_ref().map(|u| u.id.clone()),
        purchase_id: purchase.map(|p| p.id.clone()),
        purchase_known: purchase.is_some(),
        purchase_status: purchase.map(|p| p.status.clone()),
        purchased_at: purchase.map(|p| p.purchased_at),
        charge: Some(charge.clone()),
        amount: purchase.map(|p| p.amount.amount),
        currency: purchase.map(|p| p.amount.currency.clone()),
        refundable: None,
        account: Some(account.clone()),
    };
    let mut refund = RefundParams {
        account: account.clone(),
        charge: charge.clone(),
        amount: None,
        reason: Some(stripe_reason(req.reason.as_deref()).to_owned()),
        purchase_id: purchase.map(|p| p.id.clone()),
    };
    let stripe_charge = match stripe.retrieve_charge(&account, &charge).await {
        Ok(c) => c,
        Err(e) if e.code() == Some("resource_missing") => {
            refund.amount = req.amount;
            return Ok(OperatorCase {
                request: ActionRequest::Refund(refund),
                facts,
                preset: Some((
                    Verdict::Escalate {
                        reason: format!(
                            "charge {charge} is not on the app's connected Stripe account {account}"
                        ),
                    },
                    CHARGE_ACCOUNT_MISMATCH,
                )),
                policy_facts: base_facts(ActionKind::Refund, now),
            });
        }
        Err(source) => return Err(OperatorError::Stripe { charge, source }),
    };
    let refundable = stripe_charge.refundable();
    facts.refundable = Some(refundable);
    facts.currency = facts
        .currency
        .or_else(|| Some(stripe_charge.currency.clone()));
    let ceiling = purchase.map_or(refundable, |p| refundable.min(p.amount.amount));
    let amount = req.amount.unwrap_or(ceiling);
    refund.amount = Some(amount);
    let mut policy_facts = policy::Facts {
        purchase: purchase.map(|p| PurchaseFacts {
            refundable_cents: Some(ceiling),
            ..purchase_facts(p)
        }),
        purchase_known: purchase.is_some(),
        requested_amount_cents: Some(amount),
        ..base_facts(ActionKind::Refund, now)
    };
    // Without a known purchase the policy only asks for approval; Stripe's bound still holds.
    let preset = if purchase.is_none() && (ceiling == 0 || amount > ceiling) {
        policy_facts.purchase = None;
        Some((
            Verdict::Deny {
                reason: if ceiling == 0 {
                    format!("charge {charge} has nothing left to refund")
                } else {
                    format!("{amount} is more than the {ceiling} left to refund on charge {charge}")
                },
            },
            if ceiling == 0 {
                policy::rules::NOTHING_TO_REFUND
            } else {
                policy::rules::REFUND_EXCEEDS_REFUNDABLE
            },
        ))
    } else {
        None
    };
    Ok(OperatorCase {
        request: ActionRequest::Refund(refund),
        facts,
        preset,
        policy_facts,
    })
}
