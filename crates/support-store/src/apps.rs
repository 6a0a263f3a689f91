//! The app registry: one row per product (tenant) and one row per Front inbox it owns, so an
//! inbound event maps to its app by a primary-key lookup.

use crate::secrets::NewSecret;
use crate::{Result, Store, StoreError, json_list, new_id, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct App {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub front_inbox_ids: Vec<String>,
    pub integration_url: Option<String>,
    /// Accept Front rule webhooks (SHA-1, no timestamp) for this app's inboxes.
    pub front_rule_webhooks: bool,
    /// The Stripe connected account refunds run on.
    pub stripe_account_id: Option<String>,
    /// The platform may act on `stripe_account_id` (connected by OAuth or configured, and
    /// not deauthorized since).
    pub stripe_connected: bool,
    /// Slack channel for escalations.
    pub escalation_slack_channel: Option<String>,
    /// The app's policy (TOML); the defaults apply when absent.
    pub policy: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewApp {
    pub slug: String,
    pub name: String,
    pub front_inbox_ids: Vec<String>,
    pub integration_url: Option<String>,
    pub front_rule_webhooks: bool,
}

const COLUMNS: &str = "id, slug, name, front_inbox_ids, integration_url, front_rule_webhooks, stripe_account_id, stripe_connected, escalation_slack_channel, policy, created_at";

macro_rules! app_from_row {
    ($row:expr) => {{
        let row = $row;
        crate::from_columns! {
            row, App {
                id, slug, name,
                front_inbox_ids: json_list(&row.try_get::<String, _>("front_inbox_ids")?)?,
                integration_url, front_rule_webhooks, stripe_account_id, stripe_connected,
                escalation_slack_channel, policy, created_at,
            }
        }
    }};
}

impl Store {
    /// Registers an app, claims its inboxes and stores its first sealed secret in one
    /// transaction. A taken slug or an inbox already owned by another app is a
    /// [`StoreError::Conflict`] and nothing is written.
    pub async fn create_app(&self, new: &NewApp, secret: Option<&NewSecret>) -> Result<App> {
        self.create_app_with_id(&new_id(), new, secret).await
    }

    /// [`Store::create_app`] with a caller-chosen id (the id is bound into sealed secrets).
    pub async fn create_app_with_id(
        &self,
        id: &str,
        new: &NewApp,
        secret: Option<&NewSecret>,
    ) -> Result<App> {
        let id = id.to_owned();
        let now = now_ms();
        let inboxes = serde_json::to_string(&new.front_inbox_ids)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let res: Result<()> = crate::on_writer!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO apps (id, slug, name, front_inbox_ids, integration_url, front_rule_webhooks, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            )
            .bind(&id)
            .bind(&new.slug)
            .bind(&new.name)
            .bind(&inboxes)
            .bind(&new.integration_url)
            .bind(new.front_rule_webhooks)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict(e, format!("app {:?}", new.slug)))?;
            if let Some(s) = secret {
                crate::secrets::insert_secret!(tx, &id, s, now)?;
            }
            for inbox in &new.front_inbox_ids {
                sqlx::query("INSERT INTO app_inboxes (inbox_id, app_id) VALUES ($1, $2)")
                    .bind(inbox)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| conflict(e, format!("inbox {inbox:?}")))?;
            }
            tx.commit().await?;
            Ok(())
        });
        res?;
        Ok(App {
            id,
            slug: new.slug.clone(),
            name: new.name.clone(),
            front_inbox_ids: new.front_inbox_ids.clone(),
            integration_url: new.integration_url.clone(),
            front_rule_webhooks: new.front_rule_webhooks,
            stripe_account_id: None,
            stripe_connected: false,
            escalation_slack_channel: None,
            policy: None,
            created_at: now,
        })
    }

    pub async fn app_by_slug(&self, slug: &str) -> Result<Option<App>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM apps WHERE slug = $1"));
        crate::read_row!(self, sql, [slug], app_from_row)
    }

    /// Sets the app's Stripe account, escalation channel and policy (each only when given).
    /// An account set here (configured by hand, as the sandbox does) counts as connected.
    pub async fn update_app_settings(
        &self,
        app_id: &str,
        stripe_account_id: Option<&str>,
        escalation_slack_channel: Option<&str>,
        policy: Option<&str>,
    ) -> Result<()> {
        crate::on_writer!(self, |p| {
            sqlx::query(
                "UPDATE apps SET stripe_account_id = COALESCE($1, stripe_account_id),
                    stripe_connected = stripe_connected OR $1 IS NOT NULL,
                    escalation_slack_channel = COALESCE($2, escalation_slack_channel),
                    policy = COALESCE($3, policy), updated_at = $4 WHERE id = $5",
            )
            .bind(stripe_account_id)
            .bind(escalation_slack_channel)
            .bind(policy)
            .bind(now_ms())
            .bind(app_id)
            .execute(p)
            .await?;
            Ok(())
        })
    }

    pub async fn app_by_id(&self, id: &str) -> Result<Option<App>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM apps WHERE id = $1"));
        crate::read_row!(self, sql, [id], app_from_row)
    }

    /// The app that owns a Front inbox, if any.
    pub async fn app_for_inbox(&self, inbox_id: &str) -> Result<Option<App>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM apps WHERE id = (SELECT app_id FROM app_inboxes WHERE inbox_id = $1)"
        ));
        crate::read_row!(self, sql, [inbox_id], app_from_row)
    }

    pub async fn list_apps(&self) -> Result<Vec<App>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM apps ORDER BY slug"));
        crate::read_rows!(self, sql, [], app_from_row)
    }
}

/// Maps a unique violation to [`StoreError::Conflict`] naming `what`.
pub(crate) fn conflict(e: sqlx::Error, what: String) -> StoreError {
    let err = StoreError::Database(e);
    if err.is_unique_violation() {
        StoreError::Conflict(what)
    } else {
        err
    }
}
