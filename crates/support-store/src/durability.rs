//! Group commit for the SQLite file.
//!
//! SQLite commits with `synchronous=NORMAL` (no fsync inside the write lock), and every
//! write function of the store then waits here until its commit is on disk: one `fdatasync`
//! of the write-ahead log covers every commit that finished before it started, so callers
//! that commit while a sync is running share the next one. A write still returns only once
//! it survives power loss (what `synchronous=FULL` gives), but the single writer is no
//! longer held for an fsync per transaction. See docs/decisions/0011-sqlite-group-commit.md.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Result, StoreError};

#[derive(Debug)]
pub(crate) struct WalSync {
    /// `<database>-wal`.
    wal: PathBuf,
    /// Tickets handed out: a caller takes one after its commit.
    issued: AtomicU64,
    /// (tickets covered by the last completed sync, inode whose directory entry was synced).
    synced: tokio::sync::Mutex<(u64, Option<u64>)>,
    /// Syncs performed (fewer than writes under load: that is the point).
    syncs: AtomicU64,
}

impl WalSync {
    pub(crate) fn new(database: PathBuf) -> Self {
        let mut wal = database.into_os_string();
        wal.push("-wal");
        Self {
            wal: PathBuf::from(wal),
            issued: AtomicU64::new(0),
            synced: tokio::sync::Mutex::new((0, None)),
            syncs: AtomicU64::new(0),
        }
    }

    /// Returns once every commit that finished before this call is durable.
    pub(crate) async fn sync(&self) -> Result<()> {
        let ticket = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let mut synced = self.synced.lock().await;
        if synced.0 >= ticket {
            // A sync that started after our commit already covered it.
            return Ok(());
        }
        // Every ticket issued so far belongs to a commit that finished before this sync.
        let upto = self.issued.load(Ordering::SeqCst);
        let wal = self.wal.clone();
        let dir_synced = synced.1;
        let inode = tokio::task::spawn_blocking(move || sync_wal(&wal, dir_synced))
            .await
            .map_err(|e| StoreError::Durability(format!("sync task: {e}")))??;
        *synced = (upto, inode.or(synced.1));
        self.syncs.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    pub(crate) fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }
}

/// `fdatasync` of the log (fsync acts on the file, whichever descriptor wrote it). A log
/// SQLite created since the last sync also gets its directory entry synced, or a power
/// loss could lose the file itself. No log: everything was checkpointed into the database
/// file, which SQLite syncs itself.
fn sync_wal(wal: &std::path::Path, dir_synced: Option<u64>) -> Result<Option<u64>> {
    use std::os::unix::fs::MetadataExt;
    let file = match std::fs::File::open(wal) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(wal, e)),
    };
    file.sync_data().map_err(|e| io(wal, e))?;
    let inode = file.metadata().map_err(|e| io(wal, e))?.ino();
    if dir_synced != Some(inode)
        && let Some(dir) = wal.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io(dir, e))?;
    }
    Ok(Some(inode))
}

fn io(path: &std::path::Path, e: std::io::Error) -> StoreError {
    StoreError::Durability(format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_that_commit_during_a_sync_share_the_next_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("x.db-wal"), b"frames").expect("wal");
        let sync = Arc::new(WalSync::new(dir.path().join("x.db")));
        // A sync is in progress: ten writers commit meanwhile and queue behind it.
        let in_progress = sync.synced.lock().await;
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let s = sync.clone();
                tokio::spawn(async move { s.sync().await })
            })
            .collect();
        while sync.issued.load(Ordering::SeqCst) < 10 {
            tokio::task::yield_now().await;
        }
        drop(in_progress);
        for t in tasks {
            t.await.expect("task").expect("sync");
        }
        assert_eq!(sync.syncs(), 1, "one sync covers all ten");
        // A later write is never covered by an earlier sync.
        sync.sync().await.expect("sync");
        assert_eq!(sync.syncs(), 2);
    }

    #[tokio::test]
    async fn no_log_means_nothing_to_sync() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sync = WalSync::new(dir.path().join("missing.db"));
        sync.sync().await.expect("no log is fine");
    }

    #[tokio::test]
    async fn an_unreadable_log_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A directory where the log should be: opening works, syncing a directory works on
        // Linux too, so use a path under a regular file instead.
        let file = dir.path().join("plain");
        std::fs::write(&file, b"x").expect("file");
        let sync = WalSync::new(file.join("x.db"));
        let err = sync.sync().await.expect_err("not a directory");
        assert!(matches!(err, StoreError::Durability(_)), "{err:?}");
    }
}
