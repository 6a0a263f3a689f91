//! Documents, hits and queries, shaped like Upstash Vector's JSON (camelCase)
//! so the remote client sends them as they are and the local index speaks the
//! same words.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::filter::Filter;

/// What a document is, so a query can ask for one kind only (`type = '…'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocType {
    /// A past support conversation.
    Conversation,
    /// A knowledge-base article.
    Knowledge,
    /// A canned or approved response.
    Response,
}

impl DocType {
    /// The wire name, as a filter compares it.
    pub fn as_str(self) -> &'static str {
        match self {
            DocType::Conversation => "conversation",
            DocType::Knowledge => "knowledge",
            DocType::Response => "response",
        }
    }
}

/// A document's metadata: the fields every filter relies on are typed, the
/// rest rides along in `extra` so nothing a store returns is lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    #[serde(rename = "type")]
    pub doc_type: DocType,
    /// The tenant; every query filters on it.
    pub app_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Any other field, kept as JSON (tags, nested objects, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Metadata {
    /// A minimal metadata record, the optional fields empty.
    pub fn new(doc_type: DocType, app_id: impl Into<String>) -> Self {
        Self {
            doc_type,
            app_id: app_id.into(),
            category: None,
            resolution: None,
            sentiment: None,
            trust_score: None,
            source: None,
            title: None,
            extra: Map::new(),
        }
    }

    /// The JSON object a [`Filter`] evaluates against, with the same keys as
    /// on the wire. Typed fields win over an `extra` entry of the same name,
    /// so `extra` cannot forge `appId` or `type`. A non-finite `trustScore`
    /// becomes `null`, as serde_json writes it.
    pub fn to_value(&self) -> Value {
        let mut map = self.extra.clone();
        map.insert("type".to_owned(), Value::from(self.doc_type.as_str()));
        map.insert("appId".to_owned(), Value::from(self.app_id.as_str()));
        let optional = [
            ("category", &self.category),
            ("resolution", &self.resolution),
            ("sentiment", &self.sentiment),
            ("source", &self.source),
            ("title", &self.title),
        ];
        for (key, value) in optional {
            if let Some(v) = value {
                map.insert(key.to_owned(), Value::from(v.as_str()));
            }
        }
        if let Some(score) = self.trust_score {
            map.insert("trustScore".to_owned(), Value::from(score));
        }
        Value::Object(map)
    }
}

/// A document as indexed: `data` is the text that is embedded and searched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    pub data: String,
    pub metadata: Metadata,
}

/// One result of a query; `data` and `metadata` are there only when asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub id: String,
    /// Higher is more similar; its scale depends on the store and the mode.
    pub score: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// Which half of a hybrid index answers; Upstash's `queryMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum QueryMode {
    /// Embeddings only.
    Dense,
    /// Keywords only.
    Sparse,
    /// Both, fused; Upstash's default too.
    #[default]
    Hybrid,
}

fn default_top_k() -> usize {
    10
}

/// A text query, as Upstash's `query-data` takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Query {
    /// The text to search for.
    pub data: String,
    /// At most this many hits; Upstash's default, 10.
    #[serde(default = "default_top_k")]
    pub top_k: usize,
    /// Sent as its source string. Upstash's "no filter" is the empty string,
    /// so an empty or blank one reads as `None`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "filter_or_blank"
    )]
    pub filter: Option<Filter>,
    #[serde(default)]
    pub include_data: bool,
    #[serde(default)]
    pub include_metadata: bool,
    #[serde(default, rename = "queryMode")]
    pub mode: QueryMode,
}

impl Query {
    /// A query with Upstash's defaults: 10 hits, no filter, hybrid, ids and
    /// scores only.
    pub fn new(data: impl Into<String>) -> Self {
        Self {
            data: data.into(),
            top_k: default_top_k(),
            filter: None,
            include_data: false,
            include_metadata: false,
            mode: QueryMode::default(),
        }
    }
}

fn filter_or_blank<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Filter>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => Filter::parse(&s)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_wire_names_and_extra() {
        let raw = json!({
            "type": "knowledge", "appId": "acme", "trustScore": 0.9,
            "category": "billing", "tags": ["refund"], "author": {"name": "Ana"}
        });
        let m: Metadata = serde_json::from_value(raw.clone()).expect("parses");
        assert_eq!(m.doc_type, DocType::Knowledge);
        assert_eq!(m.trust_score, Some(0.9));
        assert_eq!(m.extra.get("tags"), Some(&json!(["refund"])));
        assert_eq!(m.to_value(), raw);
        assert_eq!(serde_json::to_value(&m).expect("serializes"), raw);
    }

    #[test]
    fn typed_fields_win_over_extra() {
        let mut m = Metadata::new(DocType::Response, "acme");
        m.extra.insert("appId".into(), json!("other"));
        assert_eq!(m.to_value()["appId"], json!("acme"));
    }

    #[test]
    fn query_defaults_and_wire() {
        let q: Query = serde_json::from_value(json!({"data": "refund"})).expect("parses");
        assert_eq!(q, Query::new("refund"));
        let q: Query = serde_json::from_value(json!({
            "data": "x", "topK": 3, "filter": "appId = 'acme'",
            "includeData": true, "includeMetadata": true, "queryMode": "SPARSE"
        }))
        .expect("parses");
        assert_eq!(q.top_k, 3);
        assert_eq!(q.mode, QueryMode::Sparse);
        assert_eq!(
            q.filter.as_ref().map(Filter::as_str),
            Some("appId = 'acme'")
        );
        let back = serde_json::to_value(&q).expect("serializes");
        assert_eq!(back["filter"], json!("appId = 'acme'"));
        assert_eq!(back["queryMode"], json!("SPARSE"));
        assert_eq!(back["topK"], json!(3));
    }

    #[test]
    fn query_blank_filter_is_none_and_bad_filter_is_refused() {
        let q: Query = serde_json::from_value(json!({"data": "x", "filter": ""})).expect("parses");
        assert_eq!(q.filter, None);
        let err = serde_json::from_value::<Query>(json!({"data": "x", "filter": "appId ="}))
            .expect_err("bad filter");
        assert!(err.to_string().contains("position 7"), "{err}");
    }

    #[test]
    fn hit_without_optional_parts() {
        let h: Hit = serde_json::from_value(json!({"id": "a", "score": 0.5, "vector": [0.1]}))
            .expect("parses");
        assert_eq!(h.data, None);
        assert_eq!(h.metadata, None);
    }
}
