//! The one writer: a thread that owns tantivy's `IndexWriter` and the vector log, takes
//! jobs from a channel and commits whatever has queued up meanwhile as one batch (group
//! commit). A tantivy commit costs some 17 fsyncs, so concurrent upserts share one instead
//! of queueing for one each. Each job is all-or-none because the batch holding it is.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, RwLock, RwLockReadGuard};

use serde_json::Value;
use support_retrieval::{Document, StoreError};
use tantivy::{Index, IndexReader, IndexWriter, Searcher, Term};
use tokio::sync::oneshot;

use crate::bm25::{self, Fields, Stored};
use crate::storage;
use crate::vectors::{AppendError, Change, VectorLog, VectorSet};

/// A group stops growing at this many documents, to bound the memory of one batch.
const MAX_GROUP_DOCS: usize = 10_000;

/// What the query side and the writer thread share.
pub(crate) struct Shared {
    pub index: Index,
    pub fields: Fields,
    pub reader: IndexReader,
    /// What queries see; replaced only after a commit, searcher and vectors together.
    pub state: RwLock<State>,
    /// Set when a write failed half-way: no more writes until a reopen.
    pub poisoned: AtomicBool,
    /// Whether there is an embedder, so documents without a vector count as pending.
    pub has_model: bool,
}

impl Shared {
    pub fn read_state(&self) -> Result<RwLockReadGuard<'_, State>, StoreError> {
        self.state
            .read()
            .map_err(|_| storage("index state lock poisoned"))
    }
}

pub(crate) struct State {
    pub searcher: Searcher,
    /// Every live id, in id order: `range`, `delete`'s count and `pending` come from it.
    pub ids: BTreeSet<String>,
    pub vectors: VectorSet,
    /// Documents without a vector for the current model (only with an embedder).
    pub pending: BTreeSet<String>,
    pub seq: u64,
}

/// A validated document on its way in, with its metadata as the filter sees it.
pub(crate) struct Prepared {
    pub doc: Document,
    pub value: Arc<Value>,
}

pub(crate) enum Job {
    Upsert {
        docs: Vec<Prepared>,
        /// One per document; `None` when it could not be embedded (it becomes pending).
        embedded: Vec<Option<Vec<f32>>>,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    Delete {
        ids: Vec<String>,
        reply: oneshot::Sender<Result<u64, StoreError>>,
    },
    /// Vectors for pending documents, with the text they were computed from.
    Reembed {
        ready: Vec<(Stored, Vec<f32>)>,
        reply: oneshot::Sender<Result<u64, StoreError>>,
    },
}

impl Job {
    fn size(&self) -> usize {
        match self {
            Job::Upsert { docs, .. } => docs.len(),
            Job::Delete { ids, .. } => ids.len(),
            Job::Reembed { ready, .. } => ready.len(),
        }
    }
}

/// One change of a batch, in order.
enum Op {
    Put(Box<Prepared>, Option<Vec<f32>>),
    Del(String),
}

enum Reply {
    Upsert(oneshot::Sender<Result<(), StoreError>>),
    Delete(oneshot::Sender<Result<u64, StoreError>>, u64),
}

pub(crate) struct Writer {
    pub tantivy: IndexWriter,
    pub log: VectorLog,
    pub seq: u64,
    pub shared: Arc<Shared>,
}

impl Writer {
    /// Runs until every sender is gone (the index was dropped), then drops the
    /// `IndexWriter`, which releases the directory lock.
    pub fn run(mut self, jobs: Receiver<Job>) {
        while let Ok(first) = jobs.recv() {
            let mut size = first.size();
            let mut group = vec![first];
            while size < MAX_GROUP_DOCS {
                match jobs.try_recv() {
                    Ok(job) => {
                        size += job.size();
                        group.push(job);
                    }
                    Err(_) => break,
                }
            }
            self.handle(group);
        }
    }

    fn handle(&mut self, group: Vec<Job>) {
        let mut writes = Vec::new();
        for job in group {
            match job {
                // Re-embedding checks the state the writes before it left, so those are
                // committed first.
                Job::Reembed { ready, reply } => {
                    self.commit_writes(std::mem::take(&mut writes));
                    let _ = reply.send(self.reembed(ready));
                }
                other => writes.push(other),
            }
        }
        self.commit_writes(writes);
    }

    fn poisoned(&self) -> bool {
        self.shared.poisoned.load(Ordering::SeqCst)
    }

    fn poison(&self, why: impl std::fmt::Display) -> String {
        self.shared.poisoned.store(true, Ordering::SeqCst);
        format!("{why}; writes are refused until the index is reopened")
    }

    /// Upserts and deletes, in the order they came, as one batch.
    fn commit_writes(&mut self, jobs: Vec<Job>) {
        if jobs.is_empty() {
            return;
        }
        let mut ops = Vec::new();
        let mut replies = Vec::new();
        let built = self.shared.read_state().map(|s| {
            // Whether an id is live at this point of the batch, for delete's count.
            let mut live: HashMap<String, bool> = HashMap::new();
            for job in jobs {
                match job {
                    Job::Upsert {
                        docs,
                        embedded,
                        reply,
                    } => {
                        for (d, v) in docs.into_iter().zip(embedded) {
                            live.insert(d.doc.id.clone(), true);
                            ops.push(Op::Put(Box::new(d), v));
                        }
                        replies.push(Reply::Upsert(reply));
                    }
                    Job::Delete { ids, reply } => {
                        let mut n = 0;
                        for id in ids {
                            let is_live = live
                                .get(&id)
                                .copied()
                                .unwrap_or_else(|| s.ids.contains(&id));
                            if is_live {
                                live.insert(id.clone(), false);
                                ops.push(Op::Del(id));
                                n += 1;
                            }
                        }
                        replies.push(Reply::Delete(reply, n));
                    }
                    Job::Reembed { .. } => unreachable!("re-embedding is committed on its own"),
                }
            }
        });
        let result = match built {
            Err(e) => Err(e.to_string()),
            Ok(()) if self.poisoned() => {
                Err("an earlier write failed half-way; reopen the index to recover".to_owned())
            }
            // Only deletes of ids that do not exist: nothing to commit.
            Ok(()) if ops.is_empty() => Ok(()),
            Ok(()) => self.commit(ops),
        };
        for reply in replies {
            match (reply, &result) {
                (Reply::Upsert(tx), Ok(())) => {
                    let _ = tx.send(Ok(()));
                }
                (Reply::Delete(tx, n), Ok(())) => {
                    let _ = tx.send(Ok(n));
                }
                (Reply::Upsert(tx), Err(e)) => {
                    let _ = tx.send(Err(storage(e.clone())));
                }
                (Reply::Delete(tx, _), Err(e)) => {
                    let _ = tx.send(Err(storage(e.clone())));
                }
            }
        }
    }

    /// The commit protocol (crate docs): log and fsync, tantivy commit with the batch's
    /// sequence number as payload, then publish.
    fn commit(&mut self, ops: Vec<Op>) -> Result<(), String> {
        let changes: Vec<Change> = ops
            .iter()
            .map(|op| match op {
                Op::Put(d, Some(v)) => Change::Put(d.doc.id.clone(), v.clone()),
                Op::Put(d, None) => Change::Clear(d.doc.id.clone()),
                Op::Del(id) => Change::Clear(id.clone()),
            })
            .collect();
        let seq = self.seq + 1;
        match self.log.append(&changes, seq) {
            Ok(()) => {}
            Err(AppendError::RolledBack(e)) => return Err(format!("vector log: {e}")),
            Err(AppendError::Broken(e)) => return Err(self.poison(format!("vector log: {e}"))),
        }
        drop(changes);
        let f = self.shared.fields;
        let committed = (|| {
            for op in &ops {
                match op {
                    Op::Put(d, _) => {
                        self.tantivy
                            .delete_term(Term::from_field_text(f.id, &d.doc.id));
                        self.tantivy
                            .add_document(bm25::to_tantivy(&f, &d.doc, &d.value))?;
                    }
                    Op::Del(id) => {
                        self.tantivy.delete_term(Term::from_field_text(f.id, id));
                    }
                }
            }
            let mut prepared = self.tantivy.prepare_commit()?;
            prepared.set_payload(&crate::payload(seq));
            prepared.commit()
        })();
        if let Err(e) = committed {
            // Whether tantivy's meta.json moved is unknown here; reopening decides it from
            // the payload, so the log is left for that replay.
            return Err(self.poison(format!("tantivy commit: {e}")));
        }
        self.seq = seq;

        if let Err(e) = self.shared.reader.reload() {
            return Err(self.poison(format!("reloading the committed index: {e}")));
        }
        let mut s = self
            .shared
            .state
            .write()
            .map_err(|_| self.poison("index state lock poisoned"))?;
        s.searcher = self.shared.reader.searcher();
        s.seq = seq;
        let has_model = self.shared.has_model;
        for op in ops {
            match op {
                Op::Put(d, Some(v)) if has_model => {
                    s.ids.insert(d.doc.id.clone());
                    s.vectors.put(&d.doc.id, &v, d.value);
                    s.pending.remove(&d.doc.id);
                }
                Op::Put(d, _) => {
                    s.vectors.remove(&d.doc.id);
                    if has_model {
                        s.pending.insert(d.doc.id.clone());
                    }
                    s.ids.insert(d.doc.id);
                }
                Op::Del(id) => {
                    s.vectors.remove(&id);
                    s.pending.remove(&id);
                    s.ids.remove(&id);
                }
            }
        }
        Ok(())
    }

    /// Logs re-embedded vectors for the documents still pending with the same text (one
    /// may have been replaced or deleted meanwhile), as a batch at the current sequence
    /// number and with no tantivy commit: the text they belong to is already committed.
    fn reembed(&mut self, ready: Vec<(Stored, Vec<f32>)>) -> Result<u64, StoreError> {
        if self.poisoned() {
            return Err(storage(
                "an earlier write failed half-way; reopen the index to recover",
            ));
        }
        let current: Vec<(Stored, Vec<f32>)> = {
            let s = self.shared.read_state()?;
            let mut keep = Vec::new();
            for (doc, v) in ready {
                if !s.pending.contains(&doc.id) {
                    continue;
                }
                let now = bm25::load(&s.searcher, &self.shared.fields, &doc.id).map_err(storage)?;
                if now.is_some_and(|n| n.data == doc.data) {
                    keep.push((doc, v));
                }
            }
            keep
        };
        if current.is_empty() {
            return Ok(0);
        }
        let changes: Vec<Change> = current
            .iter()
            .map(|(d, v)| Change::Put(d.id.clone(), v.clone()))
            .collect();
        match self.log.append(&changes, self.seq) {
            Ok(()) => {}
            Err(AppendError::RolledBack(e)) => return Err(storage(e)),
            Err(AppendError::Broken(e)) => {
                return Err(storage(self.poison(format!("vector log: {e}"))));
            }
        }
        let mut s = self
            .shared
            .state
            .write()
            .map_err(|_| storage(self.poison("index state lock poisoned")))?;
        let n = current.len() as u64;
        for (doc, v) in current {
            s.pending.remove(&doc.id);
            s.vectors.put(&doc.id, &v, Arc::new(doc.value));
        }
        Ok(n)
    }
}
