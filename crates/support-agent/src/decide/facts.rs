//! What a decision is made on, and how it is gathered: the customer and their purchases
//! from the app's SDK, each active purchase's charge from the app's connected Stripe
//! account, and the app's knowledge for the message. Gathering is the only IO of a decision;
//! the inbound workflow journals what it returns, so a replay decides on the same facts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use support_engine::StepError;
use support_retrieval::VectorStore;
use support_sdk::SdkError;
use support_store::{App, Store, StoreError};
use support_stripe::StripeApi;
use support_types::sdk::{SdkPurchase, SdkUser};

use crate::app_tools::AppDirectory;
use crate::tools::ToolError;

/// What the brain sees.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Facts {
    pub subject: String,
    /// The burst's messages, oldest first, joined.
    pub body: String,
    pub from: String,
    /// The customer as the app knows them, and their purchases (newest first).
    pub user: Option<SdkUser>,
    pub purchases: Vec<SdkPurchase>,
    /// What Stripe says about the purchases' charges, by charge id (absent: not looked up).
    #[serde(default)]
    pub charges: BTreeMap<String, ChargeFacts>,
    /// Knowledge retrieved for the message; drafts may only claim what these say.
    #[serde(default)]
    pub knowledge: Vec<Snippet>,
    /// Similar resolved conversations of the same app (redacted).
    #[serde(default)]
    pub similar: Vec<Snippet>,
    /// Replies humans sent unchanged and trust (redacted).
    #[serde(default)]
    pub responses: Vec<Snippet>,
    /// Where the conversation stands (replies sent, the customer confirming a fix).
    #[serde(default)]
    pub thread: support_core::routing::Thread,
    /// What the learned classifier read in the message, when the embedding model is loaded.
    #[serde(default)]
    pub learned: Option<support_core::learned::LearnedOpinion>,
    /// Unix seconds.
    pub now: i64,
}

/// A purchase's charge as the app's connected Stripe account reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeFacts {
    /// False when the connected account has no such charge (it belongs to another account).
    pub on_account: bool,
    /// What Stripe still allows refunding (amount − amount_refunded).
    pub refundable_cents: i64,
}

/// A snippet retrieved for the message: from the platform's index (knowledge articles,
/// similar tickets, trusted responses) or the app's `searchContent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snippet {
    pub id: String,
    pub title: String,
    pub text: String,
    pub score: f64,
    /// The index's document type (`knowledge`, `conversation`, `response`); none for the
    /// app's own search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Where an article lives (its link or file), for a citation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// What the app and Stripe know about the customer (journaled with the run).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AppFacts {
    pub user: Option<SdkUser>,
    pub purchases: Vec<SdkPurchase>,
    /// Stripe's view of the active purchases' charges on the app's connected account.
    #[serde(default)]
    pub charges: BTreeMap<String, ChargeFacts>,
    /// The app's knowledge for the message: the platform's index first, then what the app's
    /// `searchContent` returned.
    #[serde(default)]
    pub knowledge: Vec<Snippet>,
    #[serde(default)]
    pub similar: Vec<Snippet>,
    #[serde(default)]
    pub responses: Vec<Snippet>,
    /// What could not be looked up, for the decision record.
    pub note: Option<String>,
}

/// Why facts could not be gathered. A transient failure retries the gathering step; the
/// others are final (the conversation then goes to a human).
#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    #[error("reading the app: {0}")]
    Store(#[from] StoreError),
    #[error("the app's integration: {0}")]
    Directory(#[source] ToolError),
    #[error("the app's SDK answered: {0}")]
    Sdk(#[from] SdkError),
    #[error("stripe charge {charge}: {source}")]
    Stripe {
        charge: String,
        #[source]
        source: support_stripe::StripeError,
    },
}

impl FactsError {
    pub fn is_transient(&self) -> bool {
        match self {
            FactsError::Store(_) => true,
            FactsError::Directory(e) => matches!(e, ToolError::Retry(_)),
            FactsError::Sdk(e) => matches!(e, SdkError::Server(_) | SdkError::Transport { .. }),
            FactsError::Stripe { source, .. } => {
                source.outcome() == support_stripe::Outcome::RetrySameKey
            }
        }
    }
}

impl From<FactsError> for StepError {
    fn from(e: FactsError) -> Self {
        if e.is_transient() {
            StepError::retryable(e)
        } else {
            StepError::permanent(e)
        }
    }
}

/// How many of the newest active purchases get their Stripe charge looked up.
const CHARGE_LOOKUPS: usize = 5;

/// Asks the app's connected Stripe account about the active purchases' charges. A charge the
/// account does not have is recorded as not on the account; a transient failure is an error
/// (the step retries); any other failure leaves the charge unknown (the policy then goes by
/// the app) and is noted.
async fn charge_facts(
    stripe: &dyn StripeApi,
    account: &str,
    purchases: &[SdkPurchase],
) -> Result<(BTreeMap<String, ChargeFacts>, Option<String>), FactsError> {
    let mut out = BTreeMap::new();
    let mut note = None;
    for ch in purchases
        .iter()
        .filter(|p| p.status == "active")
        .filter_map(|p| p.stripe_charge_id.as_deref())
        .take(CHARGE_LOOKUPS)
    {
        match stripe.retrieve_charge(account, ch).await {
            Ok(c) => {
                out.insert(
                    ch.to_owned(),
                    ChargeFacts {
                        on_account: true,
                        refundable_cents: c.refundable(),
                    },
                );
            }
            Err(e) if e.code() == Some("resource_missing") => {
                out.insert(
                    ch.to_owned(),
                    ChargeFacts {
                        on_account: false,
                        refundable_cents: 0,
                    },
                );
            }
            Err(e) if e.outcome() == support_stripe::Outcome::RetrySameKey => {
                return Err(FactsError::Stripe {
                    charge: ch.to_owned(),
                    source: e,
                });
            }
            Err(e) => note = Some(format!("stripe charge {ch}: {e}")),
        }
    }
    Ok((out, note))
}

fn noted(note: impl Into<String>) -> AppFacts {
    AppFacts {
        note: Some(note.into()),
        ..AppFacts::default()
    }
}

/// Looks the customer up in their app (and the charges on its Stripe account, and its
/// knowledge for `query`). A missing integration is not an error: the policy then treats
/// every purchase as unknown, which means approval at most.
pub async fn gather_facts(
    store: &Store,
    apps: &dyn AppDirectory,
    stripe: &dyn StripeApi,
    search: Option<&dyn VectorStore>,
    app_id: Option<&str>,
    email: Option<&str>,
    query: &str,
) -> Result<AppFacts, FactsError> {
    // Retrieval first: the platform's own index (knowledge, similar tickets, trusted
    // responses), whatever the app's integration can tell.
    let retrieved = match (search, app_id) {
        (Some(index), Some(app)) => {
            let names: Vec<String> = email.map(str::to_owned).into_iter().collect();
            crate::retrieve::retrieve(index, app, query, &names).await
        }
        _ => crate::retrieve::Retrieved::default(),
    };
    let found = |mut facts: AppFacts| {
        let mut knowledge = retrieved.knowledge.clone();
        knowledge.append(&mut facts.knowledge);
        facts.knowledge = knowledge;
        facts.similar = retrieved.similar.clone();
        facts.responses = retrieved.responses.clone();
        let notes: Vec<String> = retrieved
            .notes
            .iter()
            .cloned()
            .chain(facts.note.take())
            .collect();
        facts.note = (!notes.is_empty()).then(|| notes.join("; "));
        facts
    };
    let (Some(app_id), Some(email)) = (app_id, email) else {
        return Ok(found(noted("no app or no customer email")));
    };
    let Ok(email) = support_types::Email::parse(email) else {
        return Ok(found(noted("customer address is not an email")));
    };
    let app: Option<App> = store.app_by_id(app_id).await?;
    if app.as_ref().is_none_or(|a| a.integration_url.is_none()) {
        return Ok(found(noted("the app has no integration")));
    }
    let api = match apps.app_api(app_id).await {
        Ok(api) => api,
        Err(e @ ToolError::Retry(_)) => return Err(FactsError::Directory(e)),
        Err(e) => return Ok(found(noted(e.to_string()))),
    };
    let user = api.lookup_user(&email).await?;
    // The app's own knowledge for the message (an app without `searchContent` answers 501,
    // which is "none"; a failing search is only a note).
    let mut notes = Vec::new();
    let knowledge = match api.search_content(query).await {
        Ok(Some(hits)) => hits
            .into_iter()
            .take(5)
            .enumerate()
            .map(|(rank, h)| Snippet {
                id: h.url.clone(),
                text: h.snippet.unwrap_or_default(),
                title: h.title,
                score: 1.0 / (rank as f64 + 1.0),
                kind: None,
                source: None,
            })
            .collect(),
        Ok(None) => Vec::new(),
        Err(e) => {
            notes.push(format!("searchContent: {e}"));
            Vec::new()
        }
    };
    let purchases = match &user {
        Some(u) => api.get_purchases(&u.id).await?,
        None => Vec::new(),
    };
    let (charges, note) = match app
        .as_ref()
        .filter(|a| a.stripe_connected)
        .and_then(|a| a.stripe_account_id.as_deref())
    {
        Some(account) => charge_facts(stripe, account, &purchases).await?,
        None => (BTreeMap::new(), None),
    };
    notes.extend(note);
    Ok(found(AppFacts {
        user,
        purchases,
        charges,
        knowledge,
        similar: Vec::new(),
        responses: Vec::new(),
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }))
}
