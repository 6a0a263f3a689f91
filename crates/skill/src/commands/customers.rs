//! `skill lookup` and `skill purchases`: a customer in a product app, through its signed SDK
//! route.

use super::path_id;
use crate::Cli;
use crate::client::ApiClient;
use crate::exit::{self, CliError};
use crate::output::{emit, ms};

/// `skill lookup` (the customer and their purchases), or `skill purchases` with
/// `purchases_only`.
pub async fn lookup(
    cli: &Cli,
    api: &ApiClient,
    email: &str,
    app: &str,
    purchases_only: bool,
) -> Result<(), CliError> {
    let email = support_types::Email::parse(email)
        .map_err(|e| CliError::new(exit::INVALID, e.to_string()))?;
    let v: serde_json::Value = api
        .get(&format!(
            "/api/v1/apps/{}/customers/{}",
            path_id(app)?,
            email
        ))
        .await?;
    if cli.json {
        let doc = if purchases_only {
            v["purchases"].clone()
        } else {
            v.clone()
        };
        return emit(cli, &doc, |_| {});
    }
    if v["user"].is_null() {
        println!("no customer {email} in {app}");
        return Ok(());
    }
    if !purchases_only {
        println!(
            "{} <{}>  id {}",
            v["user"]["name"].as_str().unwrap_or("-"),
            email,
            v["user"]["id"].as_str().unwrap_or("-")
        );
    }
    for p in v["purchases"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        println!(
            "{:<22} {:<28} {:>10} {:<4} {:<11} {}",
            p["id"].as_str().unwrap_or("-"),
            p["productName"].as_str().unwrap_or("-"),
            p["amount"]["amount"]
                .as_i64()
                .map(|a| format!("{}.{:02}", a / 100, a % 100))
                .unwrap_or_default(),
            p["amount"]["currency"].as_str().unwrap_or(""),
            p["status"].as_str().unwrap_or("-"),
            p["purchasedAt"]
                .as_i64()
                .map(|t| ms(t * 1000))
                .unwrap_or_default()
        );
    }
    Ok(())
}
