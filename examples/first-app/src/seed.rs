//! Deterministic demo data. Purchase ages straddle a 30-day refund window on purpose (29 d 23 h
//! and 30 d 1 h) so policy rules can be exercised against a real app, and the ids are fixed
//! so seeding twice cannot duplicate anything.

use anyhow::Context as _;
use sqlx::SqlitePool;
use support_types::{Email, Money};

const HOUR: i64 = 3_600;
const DAY: i64 = 24 * HOUR;

struct Product {
    id: &'static str,
    name: &'static str,
    price_cents: i64,
    currency: &'static str,
}

const PRODUCTS: &[Product] = &[
    Product {
        id: "prd_total_typescript",
        name: "Total TypeScript",
        price_cents: 49_900,
        currency: "usd",
    },
    Product {
        id: "prd_ts_essentials",
        name: "TypeScript Essentials",
        price_cents: 14_900,
        currency: "usd",
    },
    Product {
        id: "prd_react_ts",
        name: "React with TypeScript",
        price_cents: 24_900,
        currency: "usd",
    },
    Product {
        id: "prd_pro_monthly",
        name: "Total TypeScript Pro (monthly)",
        price_cents: 2_900,
        currency: "usd",
    },
];

struct User {
    id: &'static str,
    email: &'static str,
    name: &'static str,
    joined_ago: i64,
    situation: &'static str,
}

const USERS: &[User] = &[
    User {
        id: "usr_maya",
        email: "maya.patel@example.com",
        name: "Maya Patel",
        joined_ago: 3 * DAY,
        situation: "Bought Total TypeScript at full price 2 days ago; a fresh purchase.",
    },
    User {
        id: "usr_jonas",
        email: "jonas.becker@example.org",
        name: "Jonas Becker",
        joined_ago: 12 * DAY,
        situation: "Bought TypeScript Essentials 10 days ago.",
    },
    User {
        id: "usr_sofia",
        email: "sofia.alvarez@example.com",
        name: "Sofía Álvarez",
        joined_ago: 25 * DAY,
        situation: "Bought React with TypeScript 20 days ago with a 60% regional (PPP) discount, \
                    and has an active Total TypeScript Pro monthly subscription.",
    },
    User {
        id: "usr_liam",
        email: "liam.oconnor@example.com",
        name: "Liam O'Connor",
        joined_ago: 31 * DAY,
        situation: "Bought Total TypeScript 29 days 23 hours ago: one hour inside a 30-day \
                    refund window.",
    },
    User {
        id: "usr_chen",
        email: "chen.wei@example.org",
        name: "Chen Wei",
        joined_ago: 33 * DAY,
        situation: "Bought Total TypeScript with a 20% launch discount 30 days 1 hour ago: one \
                    hour past a 30-day refund window.",
    },
    User {
        id: "usr_priya",
        email: "priya.raman@example.com",
        name: "Priya Raman",
        joined_ago: 45 * DAY,
        situation: "Bought a 5-seat Total TypeScript team licence 40 days ago; she and Tom \
                    Fischer have claimed seats, three are unclaimed.",
    },
    User {
        id: "usr_tom",
        email: "tom.fischer@example.org",
        name: "Tom Fischer",
        joined_ago: 35 * DAY,
        situation: "Has no purchase of his own: he claimed a seat on Priya Raman's team \
                    licence.",
    },
    User {
        id: "usr_emily",
        email: "emily.nguyen@example.com",
        name: "Emily Nguyen",
        joined_ago: 210 * DAY,
        situation: "Bought TypeScript Essentials 200 days ago, and React with TypeScript 60 \
                    days ago, which was refunded.",
    },
];

struct Purchase {
    id: &'static str,
    user_id: &'static str,
    product_id: &'static str,
    amount_cents: i64,
    currency: &'static str,
    age: i64,
    status: &'static str,
    charge: &'static str,
}

const PURCHASES: &[Purchase] = &[
    Purchase {
        id: "pur_maya_tt",
        user_id: "usr_maya",
        product_id: "prd_total_typescript",
        amount_cents: 49_900,
        currency: "usd",
        age: 2 * DAY,
        status: "active",
        charge: "ch_seed_maya_tt",
    },
    Purchase {
        id: "pur_jonas_ess",
        user_id: "usr_jonas",
        product_id: "prd_ts_essentials",
        amount_cents: 14_900,
        currency: "usd",
        age: 10 * DAY,
        status: "active",
        charge: "ch_seed_jonas_ess",
    },
    Purchase {
        id: "pur_sofia_react",
        user_id: "usr_sofia",
        product_id: "prd_react_ts",
        amount_cents: 9_960,
        currency: "usd",
        age: 20 * DAY,
        status: "active",
        charge: "ch_seed_sofia_react",
    },
    Purchase {
        id: "pur_liam_tt",
        user_id: "usr_liam",
        product_id: "prd_total_typescript",
        amount_cents: 49_900,
        currency: "usd",
        age: 29 * DAY + 23 * HOUR,
        status: "active",
        charge: "ch_seed_liam_tt",
    },
    Purchase {
        id: "pur_chen_tt",
        user_id: "usr_chen",
        product_id: "prd_total_typescript",
        amount_cents: 39_920,
        currency: "usd",
        age: 30 * DAY + HOUR,
        status: "active",
        charge: "ch_seed_chen_tt",
    },
    Purchase {
        id: "pur_priya_team",
        user_id: "usr_priya",
        product_id: "prd_total_typescript",
        amount_cents: 224_550,
        currency: "usd",
        age: 40 * DAY,
        status: "active",
        charge: "ch_seed_priya_team",
    },
    Purchase {
        id: "pur_emily_react",
        user_id: "usr_emily",
        product_id: "prd_react_ts",
        amount_cents: 24_900,
        currency: "usd",
        age: 60 * DAY,
        status: "refunded",
        charge: "ch_seed_emily_react",
    },
    Purchase {
        id: "pur_emily_ess",
        user_id: "usr_emily",
        product_id: "prd_ts_essentials",
        amount_cents: 14_900,
        currency: "usd",
        age: 200 * DAY,
        status: "active",
        charge: "ch_seed_emily_ess",
    },
];

const TEAM_PURCHASE: &str = "pur_priya_team";
const TEAM_COUPON: &str = "coupon_seed_raman_team";
/// The five seats of the team licence and who claimed each.
const SEATS: &[(&str, Option<&str>)] = &[
    ("seat_raman_1", Some("usr_priya")),
    ("seat_raman_2", Some("usr_tom")),
    ("seat_raman_3", None),
    ("seat_raman_4", None),
    ("seat_raman_5", None),
];

/// One seeded user, as the sandbox needs them to write a believable inbound message.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedCustomer {
    pub user_id: String,
    pub email: Email,
    pub name: String,
    /// One sentence on what this customer bought and what is notable about it.
    pub situation: String,
    /// Their own purchases, newest first, as `getPurchases` returns them.
    pub purchases: Vec<SeedPurchase>,
}

/// A seeded purchase. `age_secs` is relative to the `now_unix` given to [`seed`].
#[derive(Debug, Clone, PartialEq)]
pub struct SeedPurchase {
    pub id: String,
    pub product_id: String,
    pub product_name: String,
    pub amount: Money,
    pub age_secs: i64,
    /// `active`, `refunded` or `transferred`.
    pub status: String,
    pub stripe_charge_id: String,
}

fn product(id: &str) -> &'static Product {
    PRODUCTS
        .iter()
        .find(|p| p.id == id)
        .expect("every seeded purchase names a seeded product")
}

/// The users [`seed`] writes, with their purchases. Built from the same tables as the seed,
/// so it cannot drift from what is in the database.
pub fn seeded_customers() -> Vec<SeedCustomer> {
    USERS
        .iter()
        .map(|u| {
            let mut purchases: Vec<SeedPurchase> = PURCHASES
                .iter()
                .filter(|p| p.user_id == u.id)
                .map(|p| SeedPurchase {
                    id: p.id.into(),
                    product_id: p.product_id.into(),
                    product_name: product(p.product_id).name.into(),
                    amount: Money::new(p.amount_cents, p.currency)
                        .expect("seeded currencies are ISO codes"),
                    age_secs: p.age,
                    status: p.status.into(),
                    stripe_charge_id: p.charge.into(),
                })
                .collect();
            purchases.sort_by_key(|p| p.age_secs);
            SeedCustomer {
                user_id: u.id.into(),
                email: Email::parse(u.email).expect("seeded emails are valid"),
                name: u.name.into(),
                situation: u.situation.into(),
                purchases,
            }
        })
        .collect()
}

/// Writes the demo data with timestamps relative to `now_unix`. Ids are fixed and every
/// insert is `OR IGNORE`, so running it on an already seeded database changes nothing.
pub async fn seed(pool: &SqlitePool, now_unix: i64) -> anyhow::Result<()> {
    let mut tx = pool.begin().await.context("starting seed transaction")?;
    for p in PRODUCTS {
        sqlx::query(
            "INSERT OR IGNORE INTO products (id, name, price_cents, currency) VALUES (?, ?, ?, ?)",
        )
        .bind(p.id)
        .bind(p.name)
        .bind(p.price_cents)
        .bind(p.currency)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("seeding product {}", p.id))?;
    }
    for u in USERS {
        sqlx::query(
            "INSERT OR IGNORE INTO users (id, email, name, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(u.id)
        .bind(u.email)
        .bind(u.name)
        .bind(now_unix - u.joined_ago)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("seeding user {}", u.id))?;
    }
    for p in PURCHASES {
        sqlx::query(
            "INSERT OR IGNORE INTO purchases \
             (id, user_id, product_id, amount_cents, currency, purchased_at, status, stripe_charge_id) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(p.id)
        .bind(p.user_id)
        .bind(p.product_id)
        .bind(p.amount_cents)
        .bind(p.currency)
        .bind(now_unix - p.age)
        .bind(p.status)
        .bind(p.charge)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("seeding purchase {}", p.id))?;
    }
    for (id, claimed_by) in SEATS {
        sqlx::query(
            "INSERT OR IGNORE INTO seats (id, bulk_coupon_id, purchase_id, claimed_by_user_id) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(TEAM_COUPON)
        .bind(TEAM_PURCHASE)
        .bind(claimed_by)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("seeding seat {id}"))?;
    }
    sqlx::query(
        "INSERT OR IGNORE INTO subscriptions (id, user_id, product_id, status, current_period_end) \
         VALUES ('sub_seed_sofia_pro', 'usr_sofia', 'prd_pro_monthly', 'active', ?)",
    )
    .bind(now_unix + 10 * DAY)
    .execute(&mut *tx)
    .await
    .context("seeding subscription")?;
    tx.commit().await.context("committing seed")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_tables_are_consistent() {
        let customers = seeded_customers();
        assert_eq!(customers.len(), 8);
        let all: Vec<_> = customers.iter().flat_map(|c| &c.purchases).collect();
        assert_eq!(
            all.len(),
            PURCHASES.len(),
            "every purchase belongs to a seeded user"
        );
        assert_eq!(all.iter().filter(|p| p.status == "refunded").count(), 1);
        for c in &customers {
            assert!(
                c.email.as_str().ends_with("@example.com")
                    || c.email.as_str().ends_with("@example.org")
            );
            assert!(
                c.purchases
                    .windows(2)
                    .all(|w| w[0].age_secs <= w[1].age_secs)
            );
        }
        for (_, claimed) in SEATS {
            assert!(claimed.is_none_or(|u| USERS.iter().any(|x| x.id == u)));
        }
    }
}
