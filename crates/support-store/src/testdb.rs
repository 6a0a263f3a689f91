//! Fresh databases for tests: a new SQLite file, or a new Postgres database on the server
//! named by `PG_TEST_URL` (default: the local server, trust auth).
//!
//! Without a reachable Postgres the Postgres variants return `None` and say so on stderr,
//! unless `CI` is set, in which case they panic: CI must never skip them silently.

use std::str::FromStr;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn admin_url() -> String {
    std::env::var("PG_TEST_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// A throwaway Postgres database; dropped by [`PgTestDb::drop_db`].
#[derive(Debug)]
pub struct PgTestDb {
    pub name: String,
    pub url: String,
}

/// Creates an empty database and returns its URL.
pub async fn create_postgres() -> Option<PgTestDb> {
    let admin = admin_url();
    let mut conn = match PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
                panic!("CI is set but Postgres at {admin} is unreachable: {e}");
            }
            eprintln!("SKIPPED: Postgres at {admin} is unreachable ({e}); set PG_TEST_URL");
            return None;
        }
    };
    let name = format!("support_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let _ = conn.close().await;
    let opts = PgConnectOptions::from_str(&admin).expect("admin url parses");
    let user = opts.get_username().to_owned();
    let host = opts.get_host().to_owned();
    let port = opts.get_port();
    let url = format!("postgres://{user}@{host}:{port}/{name}");
    Some(PgTestDb { name, url })
}

impl PgTestDb {
    /// Drops the database, closing any connection still open to it.
    pub async fn drop_db(self) {
        if let Ok(mut conn) = PgConnection::connect(&admin_url()).await {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut conn)
            .await;
            let _ = conn.close().await;
        }
    }
}
