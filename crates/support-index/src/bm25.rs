//! The sparse half: the tantivy schema, documents in and out, lookups by id and BM25
//! search with filter re-checking.

use serde_json::Value;
use support_retrieval::{Document, Filter, Metadata};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value as _,
};
use tantivy::{DocAddress, DocSet, Searcher, TERMINATED, TantivyDocument, Term};

use crate::narrow::{self, Conjunct};

/// The tokenizer of `data`: tantivy's default one, lower-cased, plus the English stemmer.
pub(crate) const TOKENIZER: &str = "en_stem";

/// The fields, resolved once.
#[derive(Clone, Copy)]
pub(crate) struct Fields {
    /// The unique key: a raw term for lookups and deletes, stored for hits.
    pub id: Field,
    /// The searched text, stored so hits and `fetch` can return it.
    pub data: Field,
    /// `type`, `appId`, `category` as raw terms, for pre-narrowing (not stored: `meta` is).
    pub doc_type: Field,
    pub app_id: Field,
    pub category: Field,
    /// The whole metadata as JSON (`Metadata::to_value`), stored only.
    pub meta: Field,
}

pub(crate) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let id = b.add_text_field("id", STRING | STORED);
    // Frequencies but no positions: BM25 needs the former, and there are no phrase queries.
    let data = b.add_text_field(
        "data",
        TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(TOKENIZER)
                    .set_index_option(IndexRecordOption::WithFreqs),
            )
            .set_stored(),
    );
    let doc_type = b.add_text_field("type", STRING);
    let app_id = b.add_text_field("appId", STRING);
    let category = b.add_text_field("category", STRING);
    let meta = b.add_text_field("meta", STORED);
    let fields = Fields {
        id,
        data,
        doc_type,
        app_id,
        category,
        meta,
    };
    (b.build(), fields)
}

impl Fields {
    fn term_field(&self, name: &str) -> Field {
        match name {
            "appId" => self.app_id,
            "type" => self.doc_type,
            _ => self.category,
        }
    }
}

/// Makes `extra` unable to shadow a typed field, so the stored JSON (`to_value`) reads back
/// into the same `Metadata` and a filter sees exactly what a caller would compute from it.
pub(crate) fn sanitize(mut m: Metadata) -> Metadata {
    for key in [
        "type",
        "appId",
        "category",
        "resolution",
        "sentiment",
        "trustScore",
        "source",
        "title",
    ] {
        m.extra.remove(key);
    }
    m
}

/// The tantivy document for `doc` (already sanitized); `value` is its `to_value()`.
pub(crate) fn to_tantivy(f: &Fields, doc: &Document, value: &Value) -> TantivyDocument {
    let mut t = TantivyDocument::new();
    t.add_text(f.id, &doc.id);
    t.add_text(f.data, &doc.data);
    // The raw terms come from the same JSON the filter reads, so narrowing by them agrees
    // with `Filter::matches` by construction.
    for name in narrow::TERM_FIELDS {
        if let Some(Value::String(s)) = value.get(name) {
            t.add_text(f.term_field(name), s);
        }
    }
    t.add_text(f.meta, value.to_string());
    t
}

/// A stored document, as read back.
pub(crate) struct Stored {
    pub id: String,
    pub data: String,
    pub value: Value,
}

impl Stored {
    pub fn read(f: &Fields, t: &TantivyDocument) -> Result<Self, String> {
        let text = |field: Field| {
            t.get_first(field)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let id = text(f.id).ok_or("stored document without an id")?;
        let data = text(f.data).unwrap_or_default();
        let meta = text(f.meta).ok_or("stored document without metadata")?;
        let value = serde_json::from_str(&meta).map_err(|e| format!("stored metadata: {e}"))?;
        Ok(Self { id, data, value })
    }

    pub fn metadata(&self) -> Result<Metadata, String> {
        serde_json::from_value(self.value.clone()).map_err(|e| format!("stored metadata: {e}"))
    }

    pub fn into_document(self) -> Result<Document, String> {
        let metadata = self.metadata()?;
        Ok(Document {
            id: self.id,
            data: self.data,
            metadata,
        })
    }
}

/// Where the live document with this id is, reading the id's postings directly (cheaper than
/// a query and collector for a unique key). Deleted copies are skipped.
pub(crate) fn find(
    searcher: &Searcher,
    f: &Fields,
    id: &str,
) -> tantivy::Result<Option<DocAddress>> {
    let term = Term::from_field_text(f.id, id);
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let inverted = segment.inverted_index(f.id)?;
        let Some(mut postings) = inverted.read_postings(&term, IndexRecordOption::Basic)? else {
            continue;
        };
        let mut doc = postings.doc();
        while doc != TERMINATED {
            if !segment.is_deleted(doc) {
                return Ok(Some(DocAddress::new(ord as u32, doc)));
            }
            doc = postings.advance();
        }
    }
    Ok(None)
}

pub(crate) fn load(searcher: &Searcher, f: &Fields, id: &str) -> Result<Option<Stored>, String> {
    let Some(addr) = find(searcher, f, id).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let t: TantivyDocument = searcher.doc(addr).map_err(|e| e.to_string())?;
    Stored::read(f, &t).map(Some)
}

/// Every live stored document, segment by segment (used once, at open).
pub(crate) fn scan_all(
    searcher: &Searcher,
    f: &Fields,
    mut each: impl FnMut(Stored),
) -> Result<(), String> {
    for segment in searcher.segment_readers() {
        let store = segment.get_store_reader(1).map_err(|e| e.to_string())?;
        for doc in store.iter::<TantivyDocument>(segment.alive_bitset()) {
            let doc = doc.map_err(|e| e.to_string())?;
            each(Stored::read(f, &doc)?);
        }
    }
    Ok(())
}

/// The query's text as `data` terms, through the field's own analyzer; each term once.
/// Built by hand rather than by tantivy's query parser so a customer's quotes, colons or
/// `AND` are just words.
pub(crate) fn terms(index: &tantivy::Index, f: &Fields, text: &str) -> tantivy::Result<Vec<Term>> {
    let mut analyzer = index.tokenizer_for_field(f.data)?;
    let mut stream = analyzer.token_stream(text);
    let mut words: Vec<String> = Vec::new();
    stream.process(&mut |token| {
        if !words.contains(&token.text) {
            words.push(token.text.clone());
        }
    });
    Ok(words
        .into_iter()
        .map(|w| Term::from_field_text(f.data, &w))
        .collect())
}

/// The BM25 query: any of the words (summed BM25), and, when the filter has them, the raw
/// term conjuncts with a zero score so they narrow without changing the ranking.
fn query(f: &Fields, words: &[Term], conjuncts: &[Conjunct]) -> Box<dyn Query> {
    let text: Vec<(Occur, Box<dyn Query>)> = words
        .iter()
        .map(|t| {
            let q: Box<dyn Query> =
                Box::new(TermQuery::new(t.clone(), IndexRecordOption::WithFreqs));
            (Occur::Should, q)
        })
        .collect();
    let mut must: Vec<(Occur, Box<dyn Query>)> =
        vec![(Occur::Must, Box::new(BooleanQuery::new(text)))];
    for c in conjuncts {
        let field = f.term_field(c.field);
        let any: Vec<(Occur, Box<dyn Query>)> = c
            .values
            .iter()
            .map(|v| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(field, v),
                    IndexRecordOption::Basic,
                ));
                (Occur::Should, q)
            })
            .collect();
        must.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::new(any)), 0.0)),
        ));
    }
    Box::new(BooleanQuery::new(must))
}

/// A BM25 candidate that passed the filter.
pub(crate) struct SparseHit {
    pub score: f32,
    pub doc: Stored,
}

/// The `want` best BM25 hits that pass `filter`, best first.
///
/// Tantivy narrows by the filter's raw-term conjuncts; every candidate is then re-checked
/// with [`Filter::matches`]. When the re-check rejects some, the candidate list is grown
/// (×4 each round) until `want` pass or tantivy has no more matches, so a filter tantivy
/// cannot express (an `OR`, `trustScore > 0.85`) is still exact, just slower.
pub(crate) fn search(
    index: &tantivy::Index,
    searcher: &Searcher,
    f: &Fields,
    text: &str,
    filter: Option<&Filter>,
    want: usize,
) -> Result<Vec<SparseHit>, String> {
    let words = terms(index, f, text).map_err(|e| e.to_string())?;
    if words.is_empty() || want == 0 {
        return Ok(Vec::new());
    }
    let conjuncts = filter.map(narrow::conjuncts).unwrap_or_default();
    let q = query(f, &words, &conjuncts);
    let total = searcher.num_docs() as usize;
    let mut limit = want.max(10);
    loop {
        let top = searcher
            .search(&q, &TopDocs::with_limit(limit).order_by_score())
            .map_err(|e| e.to_string())?;
        let exhausted = top.len() < limit || limit >= total;
        let mut hits = Vec::with_capacity(want);
        for (score, addr) in &top {
            let t: TantivyDocument = searcher.doc(*addr).map_err(|e| e.to_string())?;
            let doc = Stored::read(f, &t)?;
            if filter.is_none_or(|flt| flt.matches(&doc.value)) {
                hits.push(SparseHit { score: *score, doc });
                if hits.len() == want {
                    break;
                }
            }
        }
        if hits.len() == want || exhausted {
            return Ok(hits);
        }
        limit = limit.saturating_mul(4).min(total.max(1));
    }
}
