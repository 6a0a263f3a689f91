//! Users, API tokens and dashboard sessions. Only hashes of tokens are stored: a leaked
//! database does not hand out working credentials.

use crate::apps::conflict;
use crate::{Result, Store, new_id, now_ms};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: String,
}

macro_rules! user_from_row {
    ($row:expr) => {{
        let row = $row;
        crate::from_columns! { row, User { id, email, name, role, password_hash } }
    }};
}

impl Store {
    pub async fn count_users(&self) -> Result<i64> {
        crate::read_value!(self, "SELECT COUNT(*) FROM users", [])
    }

    /// Creates a user and, in the same transaction, an API token for it, so a first start
    /// killed half-way never leaves an admin nobody can log in as.
    pub async fn create_user_with_token(
        &self,
        email: &str,
        name: &str,
        role: &str,
        password_hash: &str,
        token_name: &str,
        token_hash: &str,
    ) -> Result<User> {
        let id = new_id();
        let now = now_ms();
        let res: Result<()> = crate::on_writer!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&id)
            .bind(email)
            .bind(name)
            .bind(role)
            .bind(password_hash)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict(e, format!("user {email:?}")))?;
            sqlx::query(
                "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(new_id())
            .bind(&id)
            .bind(token_name)
            .bind(token_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        });
        res?;
        Ok(User {
            id,
            email: email.to_owned(),
            name: name.to_owned(),
            role: role.to_owned(),
            password_hash: password_hash.to_owned(),
        })
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let sql = "SELECT id, email, name, role, password_hash FROM users WHERE email = $1";
        crate::read_row!(self, sql, [email], user_from_row)
    }

    /// The user behind an unrevoked API token (by the token's SHA-256 hex).
    pub async fn user_for_token(&self, token_hash: &str) -> Result<Option<User>> {
        let sql = "SELECT u.id, u.email, u.name, u.role, u.password_hash FROM api_tokens t
                 JOIN users u ON u.id = t.user_id
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL";
        crate::read_row!(self, sql, [token_hash], user_from_row)
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        expires_at: i64,
    ) -> Result<()> {
        crate::on_writer!(self, |p| {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(now_ms())
            .bind(expires_at)
            .execute(p)
            .await?;
            Ok(())
        })
    }

    /// The user of a live (unexpired) session.
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<User>> {
        let sql = "SELECT u.id, u.email, u.name, u.role, u.password_hash FROM sessions s
                 JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = $1 AND s.expires_at > $2";
        let now = now_ms();
        crate::read_row!(self, sql, [token_hash, now], user_from_row)
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        crate::on_writer!(self, |p| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(p)
                .await?;
            Ok(())
        })
    }
}
