//! The store's behaviour, run once on SQLite and once on Postgres: each check is written
//! once and the `both!` macro instantiates it for each backend on a fresh database.

use support_store::ingest::{Inbound, NewInboundEvent};
use support_store::{NewApp, NewAuditEntry, NewMessage, Store, StoreError, testdb};

async fn sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/data/support.db", dir.path().display());
    let store = Store::connect(&url).await.expect("connect sqlite");
    store.migrate().await.expect("migrate sqlite");
    (store, dir)
}

macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let (store, _dir) = super::sqlite().await;
                super::$name(store).await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(db) = support_store::testdb::create_postgres().await else {
                    return;
                };
                let store = support_store::Store::connect(&db.url)
                    .await
                    .expect("connect pg");
                store.migrate().await.expect("migrate pg");
                super::$name(store.clone()).await;
                store.close().await;
                db.drop_db().await;
            }
        }
    };
}

both!(migrations_are_idempotent_and_versioned);
async fn migrations_are_idempotent_and_versioned(store: Store) {
    let v = store.schema_version().await.expect("version");
    assert_eq!(v, support_store::migrate::latest_version());
    store.migrate().await.expect("second migrate is a no-op");
    assert_eq!(store.schema_version().await.expect("version"), v);
    store.ping().await.expect("ping");
}

fn event(key: &str) -> NewInboundEvent {
    NewInboundEvent {
        source: "front".into(),
        dedupe_key: key.into(),
        version: 1,
        event_type: "inbound".into(),
        occurred_at: 1_767_225_600_000,
        trust: "verified".into(),
        payload: format!(r#"{{"id":"{key}"}}"#),
    }
}

both!(inbound_events_dedupe_and_queue_once);
async fn inbound_events_dedupe_and_queue_once(store: Store) {
    let first = store
        .record_inbound(&event("evt_1"), "front.inbound")
        .await
        .expect("store");
    let Inbound::Stored { event_id } = first else {
        panic!("first delivery must be stored")
    };
    assert_eq!(
        store
            .record_inbound(&event("evt_1"), "front.inbound")
            .await
            .expect("dup"),
        Inbound::Duplicate
    );
    // Same id from another source is a different event.
    let mut other = event("evt_1");
    other.source = "stripe".into();
    assert!(matches!(
        store
            .record_inbound(&other, "stripe.event")
            .await
            .expect("other source"),
        Inbound::Stored { .. }
    ));
    assert_eq!(store.outbox_pending().await.expect("pending"), 2);

    let (ty, payload) = store
        .inbound_payload(&event_id)
        .await
        .expect("payload")
        .expect("found");
    assert_eq!(ty, "inbound");
    assert!(payload.contains("evt_1"));

    let claimed = store.claim_outbox(10, 60_000).await.expect("claim");
    assert_eq!(claimed.len(), 2);
    assert!(claimed.iter().all(|c| c.attempts == 1));
    // Leased rows are not handed out twice.
    assert!(
        store
            .claim_outbox(10, 60_000)
            .await
            .expect("claim again")
            .is_empty()
    );

    let front = claimed
        .iter()
        .find(|c| c.topic == "front.inbound")
        .expect("front row");
    assert_eq!(front.key, event_id);
    store.complete_outbox(&front.id).await.expect("complete");
    let stripe = claimed
        .iter()
        .find(|c| c.topic == "stripe.event")
        .expect("stripe row");
    store
        .fail_outbox(&stripe.id, "boom", 0)
        .await
        .expect("fail");
    assert_eq!(store.outbox_pending().await.expect("pending"), 1);
    let again = store.claim_outbox(10, 60_000).await.expect("reclaim");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, stripe.id);
    assert_eq!(again[0].attempts, 2);
}

both!(expired_leases_are_reclaimed);
async fn expired_leases_are_reclaimed(store: Store) {
    store
        .record_inbound(&event("evt_lease"), "front.inbound")
        .await
        .expect("store");
    let first = store
        .claim_outbox(1, -1)
        .await
        .expect("claim with an already-expired lease");
    assert_eq!(first.len(), 1);
    let second = store.claim_outbox(1, 60_000).await.expect("reclaim");
    assert_eq!(second.len(), 1, "a crashed worker's row must come back");
    assert_eq!(second[0].attempts, 2);
}

/// An app with no integration that takes signed (not rule) webhooks.
fn new_app(slug: &str, name: &str, inboxes: &[&str]) -> NewApp {
    NewApp {
        slug: slug.into(),
        name: name.into(),
        front_inbox_ids: inboxes.iter().map(|&i| i.into()).collect(),
        integration_url: None,
        front_rule_webhooks: false,
    }
}

both!(apps_register_and_own_inboxes);
async fn apps_register_and_own_inboxes(store: Store) {
    let app = store
        .create_app(
            &NewApp {
                integration_url: Some("http://127.0.0.1:1/api/support".into()),
                ..new_app("first-app", "First App", &["inb_1", "inb_2"])
            },
            None,
        )
        .await
        .expect("create");
    assert_eq!(
        store.app_by_slug("first-app").await.expect("get"),
        Some(app.clone())
    );
    assert_eq!(
        store
            .app_for_inbox("inb_2")
            .await
            .expect("inbox")
            .map(|a| a.id),
        Some(app.id.clone())
    );
    assert_eq!(store.app_for_inbox("inb_x").await.expect("inbox"), None);

    let dup_slug = store
        .create_app(&new_app("first-app", "Again", &["inb_3"]), None)
        .await;
    assert!(
        matches!(dup_slug, Err(StoreError::Conflict(ref w)) if w.contains("first-app")),
        "{dup_slug:?}"
    );
    // Nothing half-written: inb_3 was not claimed by the failed registration.
    assert_eq!(store.app_for_inbox("inb_3").await.expect("inbox"), None);

    let dup_inbox = store
        .create_app(&new_app("second-app", "Second", &["inb_1"]), None)
        .await;
    assert!(
        matches!(dup_inbox, Err(StoreError::Conflict(ref w)) if w.contains("inb_1")),
        "{dup_inbox:?}"
    );
    assert_eq!(store.app_by_slug("second-app").await.expect("get"), None);
    assert_eq!(store.list_apps().await.expect("list").len(), 1);
}

both!(users_tokens_and_sessions);
async fn users_tokens_and_sessions(store: Store) {
    assert_eq!(store.count_users().await.expect("count"), 0);
    let user = store
        .create_user_with_token("admin@localhost", "Admin", "admin", "phc", "cli", "tokhash")
        .await
        .expect("create");
    assert_eq!(store.count_users().await.expect("count"), 1);
    assert_eq!(
        store.user_for_token("tokhash").await.expect("tok"),
        Some(user.clone())
    );
    assert_eq!(store.user_for_token("nope").await.expect("tok"), None);
    assert_eq!(
        store
            .user_by_email("admin@localhost")
            .await
            .expect("by email"),
        Some(user.clone())
    );
    let dup = store
        .create_user_with_token(
            "admin@localhost",
            "Admin",
            "admin",
            "phc",
            "cli",
            "tokhash2",
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))));
    // The failed user's token was not written either.
    assert_eq!(store.user_for_token("tokhash2").await.expect("tok"), None);

    let future = support_store::now_ms() + 60_000;
    store
        .create_session("sess", &user.id, future)
        .await
        .expect("session");
    assert_eq!(
        store
            .session_user("sess")
            .await
            .expect("sess")
            .map(|u| u.id),
        Some(user.id.clone())
    );
    store
        .create_session("old", &user.id, 1)
        .await
        .expect("expired session");
    assert_eq!(store.session_user("old").await.expect("old"), None);
    store.delete_session("sess").await.expect("logout");
    assert_eq!(store.session_user("sess").await.expect("sess"), None);
}

fn message(conv: &str, msg: &str, body: &str) -> NewMessage {
    NewMessage {
        app_id: None,
        front_conversation_id: conv.into(),
        subject: "Refund please".into(),
        customer_email: Some("ada@example.com".into()),
        front_message_id: msg.into(),
        direction: "inbound".into(),
        author: Some("ada@example.com".into()),
        author_name: Some("Ada Lovelace".into()),
        body: body.into(),
        created_at: 1_000,
    }
}

both!(conversations_converge_on_front_ids);
async fn conversations_converge_on_front_ids(store: Store) {
    let (c1, new1) = store
        .record_message(&message("cnv_1", "msg_1", "hello"))
        .await
        .expect("m1");
    assert!(new1);
    let (c1b, new1b) = store
        .record_message(&message("cnv_1", "msg_1", "hello"))
        .await
        .expect("again");
    assert_eq!(c1, c1b);
    assert!(!new1b, "a re-processed message is not stored twice");
    let (c1c, _) = store
        .record_message(&message("cnv_1", "msg_2", "more"))
        .await
        .expect("m2");
    assert_eq!(c1, c1c);
    store
        .record_message(&message("cnv_2", "msg_3", "other"))
        .await
        .expect("m3");

    let list = store.list_conversations(10).await.expect("list");
    assert_eq!(list.len(), 2);
    let conv = list
        .iter()
        .find(|c| c.front_conversation_id == "cnv_1")
        .expect("cnv_1");
    assert_eq!(conv.message_count, 2);
    let (detail, msgs) = store
        .conversation("cnv_1")
        .await
        .expect("get")
        .expect("found");
    assert_eq!(detail.id, c1);
    assert_eq!(
        msgs.iter()
            .map(|m| m.front_message_id.as_str())
            .collect::<Vec<_>>(),
        ["msg_1", "msg_2"]
    );
    assert!(
        store
            .conversation("cnv_missing")
            .await
            .expect("get")
            .is_none()
    );
    assert_eq!(msgs[0].author_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(detail.resolved_at, None);

    // Archived in Front, then reopened: by Front's id or ours.
    let id = store
        .set_conversation_resolved("cnv_1", Some(5_000))
        .await
        .expect("archive");
    assert_eq!(id.as_deref(), Some(c1.as_str()));
    let (detail, _) = store.conversation(&c1).await.expect("get").expect("found");
    assert_eq!(
        (detail.resolved_at, detail.status.as_str()),
        (Some(5_000), "archived")
    );
    store
        .set_conversation_resolved(&c1, None)
        .await
        .expect("reopen");
    let (detail, _) = store.conversation(&c1).await.expect("get").expect("found");
    assert_eq!((detail.resolved_at, detail.status.as_str()), (None, "open"));
    // Archived again, then the customer writes: open again.
    store
        .set_conversation_resolved(&c1, Some(6_000))
        .await
        .expect("archive");
    store
        .record_message(&message("cnv_1", "msg_9", "one more thing"))
        .await
        .expect("m9");
    let (detail, _) = store.conversation(&c1).await.expect("get").expect("found");
    assert_eq!((detail.resolved_at, detail.status.as_str()), (None, "open"));
    assert_eq!(
        store
            .set_conversation_resolved("cnv_missing", Some(1))
            .await
            .expect("unknown"),
        None
    );

    // Pages of a backfill, in id order.
    let mut all = [
        c1.clone(),
        store
            .conversation("cnv_2")
            .await
            .expect("get")
            .expect("c2")
            .0
            .id,
    ];
    all.sort();
    assert_eq!(store.count_conversations(None).await.expect("count"), 2);
    assert_eq!(
        store
            .conversation_ids_after(None, "", 1)
            .await
            .expect("page"),
        all[..1]
    );
    assert_eq!(
        store
            .conversation_ids_after(None, &all[0], 10)
            .await
            .expect("page"),
        all[1..]
    );
    assert!(
        store
            .conversation_ids_after(Some("app_none"), "", 10)
            .await
            .expect("page")
            .is_empty()
    );
}

both!(index_rebuild_progress_moves_once_per_page);
async fn index_rebuild_progress_moves_once_per_page(store: Store) {
    assert_eq!(store.index_rebuild("*").await.expect("none"), None);
    store.start_index_rebuild("*").await.expect("start");
    assert!(
        store
            .advance_index_rebuild("*", "", "c1", 1, 2, false)
            .await
            .expect("page 1")
    );
    // A second rebuild that read the same page cannot count it again.
    assert!(
        !store
            .advance_index_rebuild("*", "", "c1", 1, 2, false)
            .await
            .expect("stale")
    );
    assert!(
        store
            .advance_index_rebuild("*", "c1", "c2", 1, 0, true)
            .await
            .expect("last")
    );
    let r = store.index_rebuild("*").await.expect("get").expect("row");
    assert_eq!(
        (r.cursor.as_str(), r.conversations, r.documents),
        ("c2", 2, 2)
    );
    assert!(r.finished_at.is_some());
    // Finished: nothing moves until a new start.
    assert!(
        !store
            .advance_index_rebuild("*", "c2", "c3", 1, 1, false)
            .await
            .expect("done")
    );
    let again = store.start_index_rebuild("*").await.expect("restart");
    assert_eq!((again.cursor.as_str(), again.finished_at), ("", None));
}

fn audit(action: &str) -> NewAuditEntry {
    NewAuditEntry {
        actor: "system".into(),
        action: action.into(),
        subject: "app:first-app".into(),
        trace_id: Some("trace-1".into()),
        data: serde_json::json!({"n": action}),
    }
}

both!(audit_log_is_a_hash_chain);
async fn audit_log_is_a_hash_chain(store: Store) {
    assert_eq!(store.verify_audit().await.expect("verify empty"), (0, None));
    let a = store.append_audit(&audit("one")).await.expect("a");
    let b = store.append_audit(&audit("two")).await.expect("b");
    assert_eq!(a.seq, 1);
    assert_eq!(a.prev_hash, support_store::audit::GENESIS);
    assert_eq!(b.prev_hash, a.hash);
    assert_eq!(store.verify_audit().await.expect("verify"), (2, None));
    let listed = store.list_audit(10).await.expect("list");
    assert_eq!(listed.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 1]);
}

both!(audit_appends_race_safely);
async fn audit_appends_race_safely(store: Store) {
    let mut handles = Vec::new();
    for i in 0..16 {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            s.append_audit(&audit(&format!("c{i}"))).await
        }));
    }
    for h in handles {
        h.await.expect("join").expect("append");
    }
    assert_eq!(store.verify_audit().await.expect("verify"), (16, None));
}

/// SQLite file: every write waits for a sync of the log (shared by the writers that
/// committed while one ran), and what they wrote is there after closing and opening again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writes_wait_for_a_log_sync_and_persist() {
    let (store, dir) = sqlite().await;
    let before = store.wal_syncs().expect("a SQLite file syncs its log");
    let handles: Vec<_> = (0..64)
        .map(|i| {
            let s = store.clone();
            tokio::spawn(async move { s.append_audit(&audit(&format!("g{i}"))).await })
        })
        .collect();
    for h in handles {
        h.await.expect("join").expect("append");
    }
    let syncs = store.wal_syncs().expect("syncs") - before;
    assert!(
        (1..=64).contains(&syncs),
        "64 concurrent appends took {syncs} log syncs"
    );
    store.close().await;
    let url = format!("sqlite://{}/data/support.db", dir.path().display());
    let again = Store::connect(&url).await.expect("reopen");
    assert_eq!(again.verify_audit().await.expect("verify"), (64, None));
}

both!(audit_rows_cannot_be_changed_in_the_database);
async fn audit_rows_cannot_be_changed_in_the_database(store: Store) {
    store.append_audit(&audit("one")).await.expect("append");
    let pool = store.pool().clone();
    let update = support_store::on_pool!(&pool, |p| sqlx::query(
        "UPDATE audit_entries SET actor = 'mallory'"
    )
    .execute(p)
    .await
    .map(|_| ()));
    assert!(update.is_err(), "an UPDATE must be refused by the database");
    let delete = support_store::on_pool!(&pool, |p| sqlx::query("DELETE FROM audit_entries")
        .execute(p)
        .await
        .map(|_| ()));
    assert!(delete.is_err(), "a DELETE must be refused by the database");
    assert_eq!(store.verify_audit().await.expect("verify"), (1, None));
}

#[tokio::test]
async fn a_bad_url_names_the_problem() {
    let err = Store::connect("mysql://x").await.expect_err("unsupported");
    assert!(err.to_string().contains("mysql://x"), "{err}");
}

#[tokio::test]
async fn the_tester_sees_what_was_skipped() {
    // With CI set, a missing Postgres is a failure rather than a skip.
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        assert!(testdb::create_postgres().await.is_some());
    }
}

fn sealed(id: &str, version: i64) -> support_store::NewSecret {
    support_store::NewSecret {
        id: id.into(),
        purpose: "webhook_signing".into(),
        version,
        key_id: "mk-1".into(),
        wrapped_dek: vec![1, 2, 3],
        nonce: vec![0; 12],
        ciphertext: vec![9; 48],
    }
}

both!(secrets_rotate_with_a_grace_period);
async fn secrets_rotate_with_a_grace_period(store: Store) {
    let app = store
        .create_app(
            &NewApp {
                front_rule_webhooks: true,
                ..new_app("sec-app", "Sec", &[])
            },
            Some(&sealed("s1", 1)),
        )
        .await
        .expect("create");
    assert!(
        store
            .app_by_slug("sec-app")
            .await
            .expect("get")
            .expect("app")
            .front_rule_webhooks
    );
    let now = support_store::now_ms();
    let live = store
        .live_secrets(&app.id, "webhook_signing", now)
        .await
        .expect("live");
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].ciphertext, vec![9; 48]);
    assert_eq!(
        store
            .latest_secret_version(&app.id, "webhook_signing")
            .await
            .expect("v"),
        1
    );

    store
        .rotate_secret(&app.id, &sealed("s2", 2), now + 1_000)
        .await
        .expect("rotate");
    let live = store
        .live_secrets(&app.id, "webhook_signing", now)
        .await
        .expect("live");
    assert_eq!(
        live.iter().map(|s| s.version).collect::<Vec<_>>(),
        [2, 1],
        "old one in grace"
    );
    let later = store
        .live_secrets(&app.id, "webhook_signing", now + 1_001)
        .await
        .expect("live");
    assert_eq!(
        later.iter().map(|s| s.version).collect::<Vec<_>>(),
        [2],
        "grace over"
    );

    // A stale rotation (same version) loses and writes nothing.
    let dup = store
        .rotate_secret(&app.id, &sealed("s3", 2), now + 5_000)
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    let live = store
        .live_secrets(&app.id, "webhook_signing", now)
        .await
        .expect("live");
    assert_eq!(live.iter().map(|s| s.version).collect::<Vec<_>>(), [2, 1]);

    assert!(
        store
            .rewrap_secret("s1", "mk-1", "mk-2", &[7])
            .await
            .expect("rewrap")
    );
    assert!(
        !store
            .rewrap_secret("s1", "mk-1", "mk-2", &[7])
            .await
            .expect("stale rewrap")
    );
    assert_eq!(store.secrets_under_key("mk-1").await.expect("count"), 1);
    assert_eq!(store.all_secrets().await.expect("all").len(), 2);
}

both!(batched_deliveries_dedupe_within_and_across_batches);
async fn batched_deliveries_dedupe_within_and_across_batches(store: Store) {
    let batch: Vec<_> = ["a", "b", "a", "c"]
        .iter()
        .map(|k| (event(k), "front.event".to_owned()))
        .collect();
    let out = store.record_inbound_batch(&batch).await.expect("batch");
    assert!(matches!(out[0], Inbound::Stored { .. }));
    assert!(matches!(out[1], Inbound::Stored { .. }));
    assert_eq!(out[2], Inbound::Duplicate, "second copy in the same batch");
    assert!(matches!(out[3], Inbound::Stored { .. }));
    let again = store
        .record_inbound_batch(&batch[..2])
        .await
        .expect("again");
    assert_eq!(again, [Inbound::Duplicate, Inbound::Duplicate]);
    assert_eq!(store.inbound_counts("front").await.expect("counts"), (3, 3));
    let mut keys = store.inbound_dedupe_keys("front").await.expect("keys");
    keys.sort();
    assert_eq!(keys, ["a", "b", "c"]);
}
