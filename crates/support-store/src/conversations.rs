//! Conversations and messages mirrored from Front, keyed by Front's ids so re-processing an
//! event converges on the same rows.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Result, Store, new_id, now_ms, on_pool};

#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub id: String,
    pub app_id: Option<String>,
    pub app_slug: Option<String>,
    pub front_conversation_id: String,
    pub subject: String,
    pub customer_email: Option<String>,
    pub status: String,
    pub message_count: i64,
    pub updated_at: i64,
    /// When Front last reported it archived; `None` while open.
    pub resolved_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: String,
    pub front_message_id: String,
    pub direction: String,
    pub author: Option<String>,
    /// The sender's display name as Front gave it (untrusted text).
    pub author_name: Option<String>,
    pub body: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub app_id: Option<String>,
    pub front_conversation_id: String,
    pub subject: String,
    pub customer_email: Option<String>,
    pub front_message_id: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    pub author: Option<String>,
    pub author_name: Option<String>,
    pub body: String,
    pub created_at: i64,
}

const CONVERSATION_SELECT: &str = "SELECT c.id, c.app_id, a.slug AS app_slug, c.front_conversation_id, c.subject, c.customer_email, c.status, c.updated_at, c.resolved_at,
        (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count
 FROM conversations c LEFT JOIN apps a ON a.id = c.app_id";

macro_rules! conversation_from_row {
    ($row:expr) => {{
        let row = $row;
        crate::from_columns! {
            row, Conversation {
                id, app_id, app_slug, front_conversation_id, subject, customer_email, status, message_count,
                updated_at, resolved_at,
            }
        }
    }};
}

macro_rules! message_from_row {
    ($row:expr) => {{
        let r = $row;
        crate::from_columns! {
            r, Message {
                id, front_message_id, direction, author, author_name, body, created_at,
            }
        }
    }};
}

impl Store {
    /// Upserts the conversation and inserts the message once (by Front message id), in one
    /// transaction. Returns the conversation id and whether the message was new.
    pub async fn record_message(&self, m: &NewMessage) -> Result<(String, bool)> {
        let now = now_ms();
        let digest = hex::encode(Sha256::digest(m.body.as_bytes()));
        crate::on_writer!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO conversations (id, app_id, front_conversation_id, subject, customer_email, status, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, 'open', $6, $6)
                 ON CONFLICT (front_conversation_id) DO UPDATE SET updated_at = excluded.updated_at,
                    app_id = COALESCE(conversations.app_id, excluded.app_id),
                    customer_email = COALESCE(conversations.customer_email, excluded.customer_email),
                    status = CASE WHEN $7 THEN 'open' ELSE conversations.status END,
                    resolved_at = CASE WHEN $7 THEN NULL ELSE conversations.resolved_at END",
            )
            .bind(new_id())
            .bind(&m.app_id)
            .bind(&m.front_conversation_id)
            .bind(&m.subject)
            .bind(&m.customer_email)
            .bind(now)
            // The customer writing again reopens a resolved conversation, as Front does.
            .bind(m.direction == "inbound")
            .execute(&mut *tx)
            .await?;
            let conv_id: String =
                sqlx::query("SELECT id FROM conversations WHERE front_conversation_id = $1")
                    .bind(&m.front_conversation_id)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
            let inserted = sqlx::query(
                "INSERT INTO messages (id, conversation_id, front_message_id, direction, author, author_name, body, body_sha256, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (front_message_id) DO NOTHING",
            )
            .bind(new_id())
            .bind(&conv_id)
            .bind(&m.front_message_id)
            .bind(&m.direction)
            .bind(&m.author)
            .bind(&m.author_name)
            .bind(&m.body)
            .bind(&digest)
            .bind(m.created_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok((conv_id, inserted == 1))
        })
    }

    /// Most recently updated first.
    pub async fn list_conversations(&self, limit: i64) -> Result<Vec<Conversation>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{CONVERSATION_SELECT} ORDER BY c.updated_at DESC, c.id DESC LIMIT $1"
        ));
        crate::read_rows!(self, sql, [limit], conversation_from_row)
    }

    /// The app's most recently updated conversation with this customer (email compared
    /// case-insensitively).
    pub async fn latest_conversation_for_customer(
        &self,
        app_id: &str,
        email: &str,
    ) -> Result<Option<Conversation>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{CONVERSATION_SELECT} WHERE c.app_id = $1 AND LOWER(c.customer_email) = LOWER($2)
             ORDER BY c.updated_at DESC, c.id DESC LIMIT 1"
        ));
        crate::read_row!(self, sql, [app_id, email], conversation_from_row)
    }

    /// A conversation by our id or by Front's id, with its messages oldest first.
    pub async fn conversation(&self, id: &str) -> Result<Option<(Conversation, Vec<Message>)>> {
        let sql = format!("{CONVERSATION_SELECT} WHERE c.id = $1 OR c.front_conversation_id = $1");
        on_pool!(self.read_pool(), |p| {
            let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(p)
                .await?
            else {
                return Ok(None);
            };
            let conv = conversation_from_row!(row);
            let rows = sqlx::query(
                "SELECT id, front_message_id, direction, author, author_name, body, created_at FROM messages
                 WHERE conversation_id = $1 ORDER BY created_at, id",
            )
            .bind(&conv.id)
            .fetch_all(p)
            .await?;
            Ok(Some((conv, crate::map_rows!(rows, message_from_row))))
        })
    }

    /// Records that Front archived (`Some(at)`) or reopened (`None`) the conversation, by our
    /// id or Front's. Returns our id, or `None` for a conversation we never stored.
    pub async fn set_conversation_resolved(
        &self,
        id: &str,
        resolved_at: Option<i64>,
    ) -> Result<Option<String>> {
        let now = now_ms();
        let status = if resolved_at.is_some() {
            "archived"
        } else {
            "open"
        };
        crate::on_writer!(self, |p| {
            let row = sqlx::query(
                "UPDATE conversations SET resolved_at = $1, status = $2, updated_at = $3
                 WHERE id = $4 OR front_conversation_id = $4 RETURNING id",
            )
            .bind(resolved_at)
            .bind(status)
            .bind(now)
            .bind(id)
            .fetch_optional(p)
            .await?;
            Ok(match row {
                Some(r) => Some(r.try_get(0)?),
                None => None,
            })
        })
    }

    /// Conversation ids in id order after `after`, of one app or of every app: the pages of
    /// an index backfill.
    pub async fn conversation_ids_after(
        &self,
        app_id: Option<&str>,
        after: &str,
        limit: i64,
    ) -> Result<Vec<String>> {
        on_pool!(self.read_pool(), |p| {
            let rows = sqlx::query(
                "SELECT id FROM conversations WHERE ($1 IS NULL OR app_id = $1) AND id > $2
                 ORDER BY id LIMIT $3",
            )
            .bind(app_id)
            .bind(after)
            .bind(limit)
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| r.try_get::<String, _>(0).map_err(Into::into))
                .collect()
        })
    }

    /// How many conversations one app (or every app) has.
    pub async fn count_conversations(&self, app_id: Option<&str>) -> Result<i64> {
        crate::read_value!(
            self,
            "SELECT COUNT(*) FROM conversations WHERE ($1 IS NULL OR app_id = $1)",
            [app_id]
        )
    }
}
