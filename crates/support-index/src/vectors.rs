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

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::Value;
use support_retrieval::Filter;

use crate::narrow::{self, Conjunct};

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

/// Every vector, in one contiguous matrix per partition, so a query is a pass of dot
/// products over the partitions its filter can reach, with the document's metadata (as the
/// filter sees it) beside each vector, so a filter is exact without touching the BM25 index.
///
/// A partition holds the documents of one `appId` and `type` (as strings in the metadata;
/// absent or not a string is a partition of its own). Every query the platform makes names
/// its tenant and usually the type (`appId = 'x' AND type = 'y' AND …`), so the scan reads
/// only that tenant's vectors. Pre-narrowing reads the filter's top-level conjuncts as the
/// BM25 side does ([`narrow::conjuncts`]) and never drops a partition the filter could
/// accept; every candidate is still checked with [`Filter::matches`].
#[derive(Clone, Default)]
pub(crate) struct VectorSet {
    dim: usize,
    parts: Vec<Part>,
    part_of: HashMap<PartKey, usize>,
    /// id → (partition, row).
    slots: HashMap<String, (usize, usize)>,
}

/// A partition's key: the metadata's `appId` and `type`, when they are strings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct PartKey {
    app: Option<String>,
    doc_type: Option<String>,
}

impl PartKey {
    fn of(meta: &Value) -> Self {
        let text = |key: &str| match meta.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        Self {
            app: text("appId"),
            doc_type: text("type"),
        }
    }

    /// Whether a document of this partition can satisfy every conjunct (each one says
    /// "this string field is one of these strings"; `category` is not partitioned on and
    /// is left to the re-check).
    fn admits(&self, conjuncts: &[Conjunct]) -> bool {
        conjuncts.iter().all(|c| {
            let have = match c.field {
                "appId" => &self.app,
                "type" => &self.doc_type,
                _ => return true,
            };
            have.as_ref().is_some_and(|v| c.values.contains(v))
        })
    }
}

/// One partition's rows: `ids[i]`, `meta[i]` and `data[i * dim..(i + 1) * dim]`.
#[derive(Clone, Default)]
struct Part {
    key: PartKey,
    ids: Vec<String>,
    data: Vec<f32>,
    meta: Vec<Arc<Value>>,
}

/// A scan of more rows than this is split over two threads (when there are two cores):
/// below it, starting a thread costs more than it saves.
const SPLIT_ROWS: usize = 32 * 1024;

/// A scored row; "greater" is better: a higher score, then the smaller id.
#[derive(PartialEq)]
struct Cand<'a>(f32, &'a str);

impl Eq for Cand<'_> {}

impl Ord for Cand<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then_with(|| other.1.cmp(self.1))
    }
}

impl PartialOrd for Cand<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A contiguous run of rows of one partition.
struct Span<'a> {
    part: &'a Part,
    rows: Range<usize>,
}

impl VectorSet {
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            ..Self::default()
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    #[cfg(test)]
    pub fn get(&self, id: &str) -> Option<&[f32]> {
        let (p, row) = *self.slots.get(id)?;
        Some(&self.parts[p].data[row * self.dim..(row + 1) * self.dim])
    }

    pub fn put(&mut self, id: &str, vector: &[f32], meta: Arc<Value>) {
        debug_assert_eq!(vector.len(), self.dim);
        let key = PartKey::of(&meta);
        let p = match self.part_of.get(&key) {
            Some(&p) => p,
            None => {
                self.parts.push(Part {
                    key: key.clone(),
                    ..Part::default()
                });
                self.part_of.insert(key, self.parts.len() - 1);
                self.parts.len() - 1
            }
        };
        match self.slots.get(id).copied() {
            Some((old, row)) if old == p => {
                let part = &mut self.parts[p];
                part.data[row * self.dim..(row + 1) * self.dim].copy_from_slice(vector);
                part.meta[row] = meta;
                return;
            }
            // Its appId or type changed: it moves to another partition.
            Some(_) => self.remove(id),
            None => {}
        }
        let part = &mut self.parts[p];
        self.slots.insert(id.to_owned(), (p, part.ids.len()));
        part.ids.push(id.to_owned());
        part.data.extend_from_slice(vector);
        part.meta.push(meta);
    }

    pub fn remove(&mut self, id: &str) {
        let Some((p, row)) = self.slots.remove(id) else {
            return;
        };
        let dim = self.dim;
        let part = &mut self.parts[p];
        let last = part.ids.len() - 1;
        if row != last {
            part.ids.swap(row, last);
            part.meta.swap(row, last);
            let (head, tail) = part.data.split_at_mut(last * dim);
            head[row * dim..(row + 1) * dim].copy_from_slice(&tail[..dim]);
            self.slots.insert(part.ids[row].clone(), (p, row));
        }
        part.ids.pop();
        part.meta.pop();
        part.data.truncate(last * dim);
    }

    /// The id → vector map, for compaction.
    pub fn to_map(&self) -> HashMap<String, Vec<f32>> {
        self.parts
            .iter()
            .flat_map(|part| part.ids.iter().zip(part.data.chunks_exact(self.dim.max(1))))
            .map(|(id, v)| (id.clone(), v.to_vec()))
            .collect()
    }

    /// The `k` best vectors by dot product among those whose metadata `filter` accepts,
    /// best first; equal scores in id order, so results depend neither on insertion
    /// history nor on how the scan was divided.
    pub fn top_k(&self, query: &[f32], k: usize, filter: Option<&Filter>) -> Vec<(&str, f32)> {
        self.top_k_split(query, k, filter, SPLIT_ROWS)
    }

    /// [`Self::top_k`], splitting scans of more than `split_rows` rows over two threads.
    fn top_k_split(
        &self,
        query: &[f32],
        k: usize,
        filter: Option<&Filter>,
        split_rows: usize,
    ) -> Vec<(&str, f32)> {
        if k == 0 || query.len() != self.dim || self.dim == 0 {
            return Vec::new();
        }
        let conjuncts = filter.map(narrow::conjuncts).unwrap_or_default();
        let spans: Vec<Span<'_>> = self
            .parts
            .iter()
            .filter(|p| !p.ids.is_empty() && p.key.admits(&conjuncts))
            .map(|part| Span {
                part,
                rows: 0..part.ids.len(),
            })
            .collect();
        let rows: usize = spans.iter().map(|s| s.rows.len()).sum();
        let keep = |v: &Value| filter.is_none_or(|f| f.matches(v));
        let mut best = if rows > split_rows && cores() > 1 {
            let (first, second) = halve(spans, rows);
            std::thread::scope(|scope| {
                let other = scope.spawn(|| self.scan(&second, query, k, &keep));
                let mut mine = self.scan(&first, query, k, &keep);
                // A panic in the other half is a bug; surface it rather than lose rows.
                match other.join() {
                    Ok(theirs) => mine.extend(theirs),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
                mine
            })
        } else {
            self.scan(&spans, query, k, &keep)
        };
        best.sort_by(|a, b| b.cmp(a));
        best.truncate(k);
        best.into_iter().map(|c| (c.1, c.0)).collect()
    }

    /// The `k` best accepted rows of `spans`, in no particular order.
    fn scan<'a>(
        &'a self,
        spans: &[Span<'a>],
        query: &[f32],
        k: usize,
        keep: &(impl Fn(&Value) -> bool + Sync),
    ) -> Vec<Cand<'a>> {
        let mut heap: BinaryHeap<Reverse<Cand<'a>>> = BinaryHeap::with_capacity(k + 1);
        let dim = self.dim;
        for span in spans {
            let part = span.part;
            let data = &part.data[span.rows.start * dim..span.rows.end * dim];
            for (i, row) in data.chunks_exact(dim).enumerate() {
                let slot = span.rows.start + i;
                let cand = Cand(dot(row, query), &part.ids[slot]);
                let full = heap.len() >= k;
                // The filter runs only on a vector good enough to enter the heap: after
                // the first few, that is rare, and a dot product is far cheaper than
                // walking a filter.
                if full && heap.peek().is_some_and(|Reverse(worst)| cand <= *worst) {
                    continue;
                }
                if !keep(&part.meta[slot]) {
                    continue;
                }
                if full {
                    heap.pop();
                }
                heap.push(Reverse(cand));
            }
        }
        heap.into_iter().map(|Reverse(c)| c).collect()
    }
}

/// Splits `spans` (holding `rows` rows) into two lists of about half the rows each,
/// cutting one partition in two if needed.
fn halve(spans: Vec<Span<'_>>, rows: usize) -> (Vec<Span<'_>>, Vec<Span<'_>>) {
    let mut want = rows / 2;
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for span in spans {
        let n = span.rows.len();
        if want == 0 {
            second.push(span);
        } else if n <= want {
            want -= n;
            first.push(span);
        } else {
            let cut = span.rows.start + want;
            first.push(Span {
                part: span.part,
                rows: span.rows.start..cut,
            });
            second.push(Span {
                part: span.part,
                rows: cut..span.rows.end,
            });
            want = 0;
        }
    }
    (first, second)
}

/// The machine's cores, asked once.
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
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
        let m = Arc::new(Value::Null);
        set.put("a", &[1.0, 0.0], m.clone());
        set.put("b", &[0.0, 1.0], m.clone());
        set.put("c", &[0.6, 0.8], m.clone());
        let top = set.top_k(&[0.0, 1.0], 2, None);
        assert_eq!(top.iter().map(|t| t.0).collect::<Vec<_>>(), ["b", "c"]);
        set.remove("b");
        assert_eq!(set.len(), 2);
        assert_eq!(set.get("c"), Some(&[0.6, 0.8][..]));
        let top = set.top_k(&[0.0, 1.0], 5, None);
        assert_eq!(top.iter().map(|t| t.0).collect::<Vec<_>>(), ["c", "a"]);
    }

    /// Every vector checked against the filter, sorted: what `top_k` must equal.
    fn brute_force<'a>(
        rows: &'a HashMap<String, (Vec<f32>, Arc<Value>)>,
        query: &[f32],
        k: usize,
        filter: Option<&Filter>,
    ) -> Vec<(&'a str, f32)> {
        let mut all: Vec<Cand<'a>> = rows
            .iter()
            .filter(|(_, (_, m))| filter.is_none_or(|f| f.matches(m)))
            .map(|(id, (v, _))| Cand(dot(v, query), id.as_str()))
            .collect();
        all.sort_by(|a, b| b.cmp(a));
        all.truncate(k);
        all.into_iter().map(|c| (c.1, c.0)).collect()
    }

    #[test]
    fn narrowed_and_split_scans_equal_a_filtered_brute_force() {
        // xorshift, so the test needs no dependency and is the same everywhere.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let dim = 8;
        let apps = ["a0", "a1", "a2"];
        let types = ["knowledge", "conversation", "response"];
        let mut set = VectorSet::new(dim);
        let mut model: HashMap<String, (Vec<f32>, Arc<Value>)> = HashMap::new();
        for round in 0..6000 {
            let id = format!("d{:04}", next(2500));
            if next(10) == 0 {
                set.remove(&id);
                model.remove(&id);
                continue;
            }
            // Few distinct values, so many scores tie and the id order is tested too.
            let v: Vec<f32> = (0..dim).map(|_| next(3) as f32 - 1.0).collect();
            let meta = match next(20) {
                // Odd metadata: no appId, a number for appId, not an object at all.
                0 => serde_json::json!({ "type": "knowledge" }),
                1 => serde_json::json!({ "appId": 1, "type": "response" }),
                2 => Value::Null,
                _ => serde_json::json!({
                    "appId": apps[next(3) as usize],
                    "type": types[next(3) as usize],
                    "category": if round % 2 == 0 { "billing" } else { "access" },
                    "trustScore": next(100) as f64 / 100.0,
                }),
            };
            let meta = Arc::new(meta);
            set.put(&id, &v, meta.clone());
            model.insert(id, (v, meta));
        }
        assert_eq!(set.len(), model.len());
        let filters = [
            None,
            Some("appId = 'a1'"),
            Some("appId = 'a1' AND type = 'knowledge'"),
            Some("type = 'response' AND appId IN ('a0', 'a2')"),
            Some("appId = 'a2' AND type = 'conversation' AND trustScore > 0.5"),
            Some("appId = 'a0' AND category = 'billing'"),
            Some("appId = 'a0' AND appId = 'a1'"),
            Some("appId = 'nobody'"),
            // Not narrowable: every partition is scanned and the filter decides.
            Some("appId = 'a1' OR type = 'response'"),
            Some("appId != 'a1'"),
            Some("appId NOT IN ('a0') AND type = 'knowledge'"),
            Some("trustScore > 0.9"),
            Some("appId = 1"),
            Some("HAS NOT FIELD appId"),
            Some("type = 'knowledge' AND (appId = 'a0' OR appId GLOB 'a[12]')"),
        ];
        for text in filters {
            let filter = text.map(|t| Filter::parse(t).expect("filter parses"));
            for q in 0..20 {
                let query: Vec<f32> = (0..dim).map(|_| next(5) as f32 - 2.0).collect();
                let k = [1, 5, 10, 50, 5000][q % 5];
                let want = brute_force(&model, &query, k, filter.as_ref());
                assert_eq!(
                    set.top_k(&query, k, filter.as_ref()),
                    want,
                    "{text:?} k {k}"
                );
                // Split over two threads at any size: the same answer.
                for split in [0, 100, 1000] {
                    assert_eq!(
                        set.top_k_split(&query, k, filter.as_ref(), split),
                        want,
                        "{text:?} k {k} split {split}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_document_whose_app_changes_moves_partition() {
        let mut set = VectorSet::new(2);
        let app = |a: &str| Arc::new(serde_json::json!({ "appId": a, "type": "knowledge" }));
        set.put("x", &[1.0, 0.0], app("a"));
        set.put("y", &[0.0, 1.0], app("a"));
        set.put("x", &[0.6, 0.8], app("b"));
        assert_eq!(set.len(), 2);
        assert_eq!(set.get("x"), Some(&[0.6, 0.8][..]));
        let only = |a: &str| Filter::parse(&format!("appId = '{a}'")).expect("filter");
        let ids =
            |hits: Vec<(&str, f32)>| hits.into_iter().map(|h| h.0.to_owned()).collect::<Vec<_>>();
        assert_eq!(ids(set.top_k(&[1.0, 0.0], 5, Some(&only("a")))), ["y"]);
        assert_eq!(ids(set.top_k(&[1.0, 0.0], 5, Some(&only("b")))), ["x"]);
        assert_eq!(set.to_map().len(), 2);
        set.remove("y");
        assert!(set.top_k(&[1.0, 0.0], 5, Some(&only("a"))).is_empty());
    }
}
