//! The dense half: an append-only vector log on disk and the in-memory matrix searched
//! by exact dot product.
//!
//! # File format (`vectors.log`)
//!
//! All integers little-endian.
//!
//! ```text
//! header  := magic "SIXVEC01" | dim u32 | model_len u32 | model (UTF-8) | crc32 u32 (of all before)
//! record  := len u32 | crc32 u32 (of body) | body (len bytes)
//! body    := 1 | id_len u32 | id | dim × f32        PUT: the vector of `id`
//!          | 2 | id_len u32 | id                    CLEAR: `id` has no vector (deleted, or waiting for one)
//!          | 3 | seq u64 | count u32                COMMIT: closes the `count` records before it
//! ```
//!
//! Records only count once a COMMIT closes their batch, and a batch only counts when its
//! `seq` is not newer than the sequence number tantivy's last commit carries in its payload
//! (see the crate docs for the commit protocol). Replay stops at the first torn, corrupt or
//! too-new batch and the file is cut back there, so the log never holds anything tantivy
//! does not. The header names the embedding model: vectors of another model are never read.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

const MAGIC: &[u8; 8] = b"SIXVEC01";
const PUT: u8 = 1;
const CLEAR: u8 = 2;
const COMMIT: u8 = 3;
/// A record larger than this is corruption, not data (an id plus a vector of 16k dims is
/// far below it); checked before allocating.
const MAX_RECORD: usize = 64 << 20;

/// Which model wrote the vectors; a different one at open means start over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ModelKey {
    pub model: String,
    pub dim: usize,
}

/// One change to the vector set, as logged.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    Put(String, Vec<f32>),
    Clear(String),
}

/// What replaying the log found, for [`crate::IndexStats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Batches written but never committed by tantivy (a crash between the two), dropped.
    pub dropped_batches: u64,
    /// Bytes cut from the end of the log: those batches and any torn tail.
    pub truncated_bytes: u64,
    /// The log named another model (or none could be read): every vector was discarded.
    pub model_changed: bool,
    /// The log was rewritten without its dead records.
    pub compacted: bool,
}

/// The open log: appends go to the end, each batch fsynced before it returns.
pub(crate) struct VectorLog {
    path: PathBuf,
    file: File,
    len: u64,
    key: ModelKey,
}

impl VectorLog {
    /// Opens (or creates) the log and replays it up to `committed_seq`.
    ///
    /// `expected` is the embedder's model: when the header names another one, the log is
    /// replaced by an empty one for `expected`. Without an embedder (`None`) the header is
    /// kept as it is so a later open with the model still finds its vectors.
    pub fn open(
        path: &Path,
        committed_seq: u64,
        expected: Option<&ModelKey>,
    ) -> io::Result<(Self, HashMap<String, Vec<f32>>, Recovery)> {
        let mut recovery = Recovery::default();
        let _ = fs::remove_file(tmp_path(path));
        let bytes = match fs::read(path) {
            Ok(b) => Some(b),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let parsed = bytes.as_deref().and_then(parse_header);
        let Some((key, header_len)) = parsed else {
            // No log, or a header that does not read: nothing in it can be trusted.
            recovery.model_changed = bytes.is_some();
            let key = expected.cloned().unwrap_or(ModelKey {
                model: String::new(),
                dim: 0,
            });
            let log = Self::rewrite(path, key, &HashMap::new(), committed_seq)?;
            return Ok((log, HashMap::new(), recovery));
        };
        if let Some(want) = expected
            && *want != key
        {
            recovery.model_changed = true;
            let log = Self::rewrite(path, want.clone(), &HashMap::new(), committed_seq)?;
            return Ok((log, HashMap::new(), recovery));
        }
        let bytes = bytes.unwrap_or_default();
        let replay = replay(&bytes, header_len, key.dim, committed_seq);
        recovery.dropped_batches = replay.dropped_batches;
        recovery.truncated_bytes = bytes.len() as u64 - replay.good_len;
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        if replay.good_len < bytes.len() as u64 {
            file.set_len(replay.good_len)?;
            file.sync_all()?;
        }
        let log = Self {
            path: path.to_owned(),
            file,
            len: replay.good_len,
            key,
        };
        Ok((log, replay.vectors, recovery))
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    /// Appends one batch closed by a COMMIT record with `seq`, and fsyncs it. On failure the
    /// file is cut back to where it was; if even that fails the caller must stop writing.
    pub fn append(&mut self, changes: &[Change], seq: u64) -> Result<(), AppendError> {
        let buf = encode_batch(changes, seq, self.key.dim);
        let start = self.len;
        let result = (|| {
            use std::io::{Seek, SeekFrom};
            self.file.seek(SeekFrom::Start(start))?;
            self.file.write_all(&buf)?;
            self.file.sync_data()
        })();
        match result {
            Ok(()) => {
                self.len = start + buf.len() as u64;
                Ok(())
            }
            Err(e) => match self.file.set_len(start).and_then(|()| self.file.sync_all()) {
                Ok(()) => Err(AppendError::RolledBack(e)),
                Err(_) => Err(AppendError::Broken(e)),
            },
        }
    }

    /// Replaces the log, atomically, by one holding only `vectors` as a single batch at
    /// `seq`: written to a temporary file, fsynced, renamed over, directory fsynced. A crash
    /// leaves either the old log or the new one.
    pub fn rewrite(
        path: &Path,
        key: ModelKey,
        vectors: &HashMap<String, Vec<f32>>,
        seq: u64,
    ) -> io::Result<Self> {
        let tmp = tmp_path(path);
        let len = {
            let mut f = File::create(&tmp)?;
            let mut buf = encode_header(&key);
            if !vectors.is_empty() {
                let mut ids: Vec<&String> = vectors.keys().collect();
                ids.sort();
                let changes: Vec<Change> = ids
                    .into_iter()
                    .map(|id| Change::Put(id.clone(), vectors[id].clone()))
                    .collect();
                buf.extend(encode_batch(&changes, seq, key.dim));
            }
            f.write_all(&buf)?;
            f.sync_all()?;
            buf.len() as u64
        };
        fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        Ok(Self {
            path: path.to_owned(),
            file,
            len,
            key,
        })
    }

    /// Rewrites this log in place (see [`VectorLog::rewrite`]).
    pub fn compact(&mut self, vectors: &HashMap<String, Vec<f32>>, seq: u64) -> io::Result<()> {
        *self = Self::rewrite(&self.path, self.key.clone(), vectors, seq)?;
        Ok(())
    }
}

/// Why an append failed, and whether the log is still as it was.
#[derive(Debug)]
pub(crate) enum AppendError {
    /// Nothing was kept; writing may go on.
    RolledBack(io::Error),
    /// The file may hold part of the batch; no more writes until a reopen replays it.
    Broken(io::Error),
}

fn tmp_path(path: &Path) -> PathBuf {
    path.with_extension("log.tmp")
}

fn encode_header(key: &ModelKey) -> Vec<u8> {
    let mut buf = Vec::with_capacity(20 + key.model.len());
    buf.extend_from_slice(MAGIC);
    buf.extend_from_slice(&(key.dim as u32).to_le_bytes());
    buf.extend_from_slice(&(key.model.len() as u32).to_le_bytes());
    buf.extend_from_slice(key.model.as_bytes());
    let crc = crc32fast::hash(&buf);
    buf.extend_from_slice(&crc.to_le_bytes());
    buf
}

fn parse_header(bytes: &[u8]) -> Option<(ModelKey, usize)> {
    if bytes.len() < 20 || &bytes[..8] != MAGIC {
        return None;
    }
    let dim = u32_at(bytes, 8)? as usize;
    let model_len = u32_at(bytes, 12)? as usize;
    let end = 16usize.checked_add(model_len)?;
    let crc = u32_at(bytes, end)?;
    if crc32fast::hash(&bytes[..end]) != crc {
        return None;
    }
    let model = std::str::from_utf8(&bytes[16..end]).ok()?.to_owned();
    Some((ModelKey { model, dim }, end + 4))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(b.try_into().ok()?))
}

fn encode_batch(changes: &[Change], seq: u64, dim: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut body = Vec::new();
    for change in changes {
        body.clear();
        match change {
            Change::Put(id, v) => {
                debug_assert_eq!(v.len(), dim);
                body.push(PUT);
                body.extend_from_slice(&(id.len() as u32).to_le_bytes());
                body.extend_from_slice(id.as_bytes());
                for x in v {
                    body.extend_from_slice(&x.to_le_bytes());
                }
            }
            Change::Clear(id) => {
                body.push(CLEAR);
                body.extend_from_slice(&(id.len() as u32).to_le_bytes());
                body.extend_from_slice(id.as_bytes());
            }
        }
        push_record(&mut buf, &body);
    }
    body.clear();
    body.push(COMMIT);
    body.extend_from_slice(&seq.to_le_bytes());
    body.extend_from_slice(&(changes.len() as u32).to_le_bytes());
    push_record(&mut buf, &body);
    buf
}

fn push_record(buf: &mut Vec<u8>, body: &[u8]) {
    buf.extend_from_slice(&(body.len() as u32).to_le_bytes());
    buf.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    buf.extend_from_slice(body);
}

struct Replay {
    vectors: HashMap<String, Vec<f32>>,
    /// Where the last batch that counts ends.
    good_len: u64,
    dropped_batches: u64,
}

/// Applies every complete batch with `seq <= committed_seq`, in order, and stops at the
/// first record that is torn or fails its checksum, or the first batch that is too new.
fn replay(bytes: &[u8], start: usize, dim: usize, committed_seq: u64) -> Replay {
    let mut vectors = HashMap::new();
    let mut batch: Vec<Change> = Vec::new();
    let mut pos = start;
    let mut good_len = start as u64;
    let mut dropped_batches = 0;
    let mut last_seq = 0u64;
    while let Some((body, next)) = read_record(bytes, pos) {
        pos = next;
        match decode(body, dim) {
            Some(Decoded::Change(c)) => batch.push(c),
            Some(Decoded::Commit { seq, count }) => {
                if count as usize != batch.len() || seq < last_seq {
                    break;
                }
                if seq > committed_seq {
                    // Written, fsynced, but tantivy never committed it: the whole
                    // batch is dropped, and so is anything after it.
                    dropped_batches += 1;
                    let mut p = pos;
                    while let Some((body, next)) = read_record(bytes, p) {
                        p = next;
                        if matches!(decode(body, dim), Some(Decoded::Commit { .. })) {
                            dropped_batches += 1;
                        }
                    }
                    break;
                }
                last_seq = seq;
                for c in batch.drain(..) {
                    match c {
                        Change::Put(id, v) => {
                            vectors.insert(id, v);
                        }
                        Change::Clear(id) => {
                            vectors.remove(&id);
                        }
                    }
                }
                good_len = pos as u64;
            }
            None => break,
        }
    }
    Replay {
        vectors,
        good_len,
        dropped_batches,
    }
}

fn read_record(bytes: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let len = u32_at(bytes, pos)? as usize;
    let crc = u32_at(bytes, pos + 4)?;
    if len > MAX_RECORD {
        return None;
    }
    let body = bytes.get(pos + 8..(pos + 8).checked_add(len)?)?;
    (crc32fast::hash(body) == crc).then_some((body, pos + 8 + len))
}

enum Decoded {
    Change(Change),
    Commit { seq: u64, count: u32 },
}

fn decode(body: &[u8], dim: usize) -> Option<Decoded> {
    let (&kind, rest) = body.split_first()?;
    match kind {
        PUT | CLEAR => {
            let id_len = u32_at(rest, 0)? as usize;
            let id = rest.get(4..4usize.checked_add(id_len)?)?;
            let id = std::str::from_utf8(id).ok()?.to_owned();
            let tail = &rest[4 + id_len..];
            if kind == CLEAR {
                return tail
                    .is_empty()
                    .then_some(Decoded::Change(Change::Clear(id)));
            }
            if tail.len() != dim * 4 {
                return None;
            }
            let v = tail
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            Some(Decoded::Change(Change::Put(id, v)))
        }
        COMMIT if rest.len() == 12 => {
            let seq = u64::from_le_bytes(rest[..8].try_into().ok()?);
            let count = u32_at(rest, 8)?;
            Some(Decoded::Commit { seq, count })
        }
        _ => None,
    }
}

/// Every vector in one contiguous matrix, so a query is one pass of dot products, with the
/// document's metadata (as the filter sees it) beside it, so a filter is exact over every
/// vector without touching the BM25 index.
#[derive(Clone, Default)]
pub(crate) struct VectorSet {
    dim: usize,
    ids: Vec<String>,
    data: Vec<f32>,
    meta: Vec<std::sync::Arc<Value>>,
    slots: HashMap<String, usize>,
}

impl VectorSet {
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            ..Self::default()
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    #[cfg(test)]
    pub fn get(&self, id: &str) -> Option<&[f32]> {
        let slot = *self.slots.get(id)?;
        Some(&self.data[slot * self.dim..(slot + 1) * self.dim])
    }

    pub fn put(&mut self, id: &str, vector: &[f32], meta: std::sync::Arc<Value>) {
        debug_assert_eq!(vector.len(), self.dim);
        match self.slots.get(id) {
            Some(&slot) => {
                self.data[slot * self.dim..(slot + 1) * self.dim].copy_from_slice(vector);
                self.meta[slot] = meta;
            }
            None => {
                self.slots.insert(id.to_owned(), self.ids.len());
                self.ids.push(id.to_owned());
                self.data.extend_from_slice(vector);
                self.meta.push(meta);
            }
        }
    }

    pub fn remove(&mut self, id: &str) {
        let Some(slot) = self.slots.remove(id) else {
            return;
        };
        let last = self.ids.len() - 1;
        if slot != last {
            self.ids.swap(slot, last);
            self.meta.swap(slot, last);
            let (head, tail) = self.data.split_at_mut(last * self.dim);
            head[slot * self.dim..(slot + 1) * self.dim].copy_from_slice(&tail[..self.dim]);
            self.slots.insert(self.ids[slot].clone(), slot);
        }
        self.ids.pop();
        self.meta.pop();
        self.data.truncate(last * self.dim);
    }

    /// The id → vector map, for compaction.
    pub fn to_map(&self) -> HashMap<String, Vec<f32>> {
        self.ids
            .iter()
            .enumerate()
            .map(|(slot, id)| {
                (
                    id.clone(),
                    self.data[slot * self.dim..(slot + 1) * self.dim].to_vec(),
                )
            })
            .collect()
    }

    /// The `k` best vectors by dot product among those whose metadata `keep` accepts, best
    /// first; equal scores in id order, so results do not depend on insertion history.
    pub fn top_k(
        &self,
        query: &[f32],
        k: usize,
        keep: impl Fn(&Value) -> bool,
    ) -> Vec<(&str, f32)> {
        use std::cmp::{Ordering, Reverse};
        use std::collections::BinaryHeap;

        #[derive(PartialEq)]
        struct Cand<'a>(f32, &'a str);
        impl Eq for Cand<'_> {}
        impl Ord for Cand<'_> {
            // "Greater" is better: higher score, then the smaller id.
            fn cmp(&self, other: &Self) -> Ordering {
                self.0.total_cmp(&other.0).then_with(|| other.1.cmp(self.1))
            }
        }
        impl PartialOrd for Cand<'_> {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }

        if k == 0 || query.len() != self.dim {
            return Vec::new();
        }
        let mut heap: BinaryHeap<Reverse<Cand<'_>>> = BinaryHeap::with_capacity(k + 1);
        // The filter runs only on a vector good enough to enter the heap: after the first
        // few, that is rare, and a dot product is far cheaper than walking a filter.
        for (slot, row) in self.data.chunks_exact(self.dim.max(1)).enumerate() {
            let cand = Cand(dot(row, query), &self.ids[slot]);
            let full = heap.len() >= k;
            if full && heap.peek().is_some_and(|Reverse(worst)| cand <= *worst) {
                continue;
            }
            if !keep(&self.meta[slot]) {
                continue;
            }
            if full {
                heap.pop();
            }
            heap.push(Reverse(cand));
        }
        let mut out: Vec<Cand<'_>> = heap.into_iter().map(|Reverse(c)| c).collect();
        out.sort_by(|a, b| b.cmp(a));
        out.into_iter().map(|c| (c.1, c.0)).collect()
    }
}

/// Eight independent accumulators, so the compiler vectorises the loop.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Scales `v` to unit length; `None` if it has no direction or holds a NaN or infinity.
pub(crate) fn normalize(mut v: Vec<f32>) -> Option<Vec<f32>> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if !norm.is_finite() || norm == 0.0 {
        return None;
    }
    for x in &mut v {
        *x /= norm;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ModelKey {
        ModelKey {
            model: "m".into(),
            dim: 2,
        }
    }

    #[test]
    fn replays_committed_batches_and_cuts_the_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("vectors.log");
        let (mut log, v, _) = VectorLog::open(&path, 0, Some(&key())).expect("open");
        assert!(v.is_empty());
        log.append(&[Change::Put("a".into(), vec![1.0, 0.0])], 1)
            .expect("append");
        log.append(
            &[
                Change::Put("b".into(), vec![0.0, 1.0]),
                Change::Clear("a".into()),
            ],
            2,
        )
        .expect("append");
        let len_after_2 = log.len();
        log.append(&[Change::Put("c".into(), vec![0.6, 0.8])], 3)
            .expect("append");
        drop(log);
        // Tantivy committed up to 2: batch 3 is dropped and cut.
        let (log, v, rec) = VectorLog::open(&path, 2, Some(&key())).expect("reopen");
        assert_eq!(rec.dropped_batches, 1);
        assert_eq!(log.len(), len_after_2);
        assert_eq!(v.len(), 1);
        assert_eq!(v["b"], vec![0.0, 1.0]);
        drop(log);
        // A torn tail (half a record) is cut too.
        let mut bytes = fs::read(&path).expect("read");
        bytes.extend_from_slice(&[9, 0, 0, 0, 1, 2]);
        fs::write(&path, &bytes).expect("write");
        let (log, v, rec) = VectorLog::open(&path, 2, Some(&key())).expect("reopen");
        assert_eq!(rec.truncated_bytes, 6);
        assert_eq!(log.len(), len_after_2);
        assert_eq!(v.len(), 1);
        drop(log);
        // Another model: everything discarded.
        let other = ModelKey {
            model: "n".into(),
            dim: 2,
        };
        let (_, v, rec) = VectorLog::open(&path, 2, Some(&other)).expect("reopen");
        assert!(rec.model_changed);
        assert!(v.is_empty());
    }

    #[test]
    fn a_flipped_byte_stops_replay_at_that_batch() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("vectors.log");
        let (mut log, _, _) = VectorLog::open(&path, 0, Some(&key())).expect("open");
        log.append(&[Change::Put("a".into(), vec![1.0, 0.0])], 1)
            .expect("append");
        let good = log.len();
        log.append(&[Change::Put("b".into(), vec![0.0, 1.0])], 2)
            .expect("append");
        drop(log);
        let mut bytes = fs::read(&path).expect("read");
        let at = good as usize + 12;
        bytes[at] ^= 0xff;
        fs::write(&path, &bytes).expect("write");
        let (_, v, _) = VectorLog::open(&path, 2, Some(&key())).expect("reopen");
        assert_eq!(v.keys().collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn vector_set_top_k_and_remove() {
        let mut set = VectorSet::new(2);
        let m = std::sync::Arc::new(Value::Null);
        set.put("a", &[1.0, 0.0], m.clone());
        set.put("b", &[0.0, 1.0], m.clone());
        set.put("c", &[0.6, 0.8], m.clone());
        let top = set.top_k(&[0.0, 1.0], 2, |_| true);
        assert_eq!(top.iter().map(|t| t.0).collect::<Vec<_>>(), ["b", "c"]);
        set.remove("b");
        assert_eq!(set.len(), 2);
        assert_eq!(set.get("c"), Some(&[0.6, 0.8][..]));
        let top = set.top_k(&[0.0, 1.0], 5, |_| true);
        assert_eq!(top.iter().map(|t| t.0).collect::<Vec<_>>(), ["c", "a"]);
    }
}
