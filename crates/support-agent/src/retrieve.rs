//! The brain's searches over the platform's own index: the app's knowledge articles, similar
//! resolved tickets and responses humans trusted, each filtered by app. The query text is
//! redacted first, as everything the index holds is.

use support_retrieval::{DocType, Filter, Hit, Query, QueryMode, VectorStore};

use crate::decide::Snippet;

/// Knowledge articles offered to the brain.
pub const KNOWLEDGE_TOP_K: usize = 5;
/// Similar resolved conversations.
pub const SIMILAR_TOP_K: usize = 3;
/// Responses sent unchanged whose trust is above this.
pub const TRUSTED_RESPONSE: f64 = 0.85;

/// What the searches found; a failed search is a note, never a failed decision.
#[derive(Debug, Default)]
pub struct Retrieved {
    pub knowledge: Vec<Snippet>,
    pub similar: Vec<Snippet>,
    pub responses: Vec<Snippet>,
    pub notes: Vec<String>,
}

/// `appId = '…' AND …`. App ids are ours (no quotes in them); one that had both quote kinds
/// could not be written in the filter language, so it finds nothing rather than anything.
fn app_filter(app_id: &str, rest: &str) -> Option<Filter> {
    let quoted = if !app_id.contains('\'') {
        format!("'{app_id}'")
    } else if !app_id.contains('"') {
        format!("\"{app_id}\"")
    } else {
        return None;
    };
    Filter::parse(&format!("appId = {quoted} AND {rest}")).ok()
}

fn snippet(kind: DocType, hit: Hit) -> Snippet {
    let metadata = hit.metadata;
    let title = metadata
        .as_ref()
        .and_then(|m| m.title.clone())
        .unwrap_or_default();
    let source = metadata.as_ref().and_then(|m| m.source.clone());
    Snippet {
        id: hit.id,
        title,
        text: hit.data.unwrap_or_default(),
        score: hit.score,
        kind: Some(kind.as_str().to_owned()),
        source,
    }
}

async fn search(
    store: &dyn VectorStore,
    kind: DocType,
    filter: Option<Filter>,
    text: &str,
    top_k: usize,
    notes: &mut Vec<String>,
) -> Vec<Snippet> {
    let Some(filter) = filter else {
        return Vec::new();
    };
    let query = Query {
        top_k,
        filter: Some(filter),
        include_data: true,
        include_metadata: true,
        mode: QueryMode::Hybrid,
        ..Query::new(text)
    };
    match store.query(&query).await {
        Ok(hits) => hits.into_iter().map(|h| snippet(kind, h)).collect(),
        Err(e) => {
            notes.push(format!("{} search: {e}", kind.as_str()));
            Vec::new()
        }
    }
}

/// The three searches for a message to `app_id`. `known_names` (the customer's name and
/// address) are redacted from the query with everything else.
pub async fn retrieve(
    store: &dyn VectorStore,
    app_id: &str,
    text: &str,
    known_names: &[String],
) -> Retrieved {
    let text = support_core::redact::Redactor::new(known_names).redact(text);
    let mut notes = Vec::new();
    let knowledge = search(
        store,
        DocType::Knowledge,
        app_filter(app_id, "type = 'knowledge'"),
        &text,
        KNOWLEDGE_TOP_K,
        &mut notes,
    )
    .await;
    let similar = search(
        store,
        DocType::Conversation,
        app_filter(
            app_id,
            "type = 'conversation' AND resolution != 'escalated'",
        ),
        &text,
        SIMILAR_TOP_K,
        &mut notes,
    )
    .await;
    let responses = search(
        store,
        DocType::Response,
        app_filter(
            app_id,
            &format!("type = 'response' AND trustScore > {TRUSTED_RESPONSE}"),
        ),
        &text,
        SIMILAR_TOP_K,
        &mut notes,
    )
    .await;
    Retrieved {
        knowledge,
        similar,
        responses,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use support_retrieval::{Capabilities, Document, RangePage, StoreError, StoreInfo};

    /// Records every query it is asked; finds nothing.
    #[derive(Default)]
    struct Spy(Mutex<Vec<Query>>);

    #[async_trait::async_trait]
    impl VectorStore for Spy {
        async fn upsert(&self, _: Vec<Document>) -> Result<(), StoreError> {
            Ok(())
        }
        async fn query(&self, q: &Query) -> Result<Vec<Hit>, StoreError> {
            self.0.lock().unwrap().push(q.clone());
            Ok(Vec::new())
        }
        async fn fetch(&self, ids: &[String]) -> Result<Vec<Option<Document>>, StoreError> {
            Ok(vec![None; ids.len()])
        }
        async fn delete(&self, _: &[String]) -> Result<u64, StoreError> {
            Ok(0)
        }
        async fn range(&self, _: &str, _: usize) -> Result<RangePage, StoreError> {
            Ok(RangePage {
                documents: Vec::new(),
                next_cursor: None,
            })
        }
        async fn info(&self) -> Result<StoreInfo, StoreError> {
            Ok(StoreInfo::default())
        }
        fn capabilities(&self) -> Capabilities {
            Capabilities {
                dense: false,
                sparse: true,
            }
        }
    }

    #[tokio::test]
    async fn queries_are_redacted_and_each_filtered_by_app_and_type() {
        let spy = Spy::default();
        let text = "I'm Jane Doe (jane.doe@example.com, +1 555 123 4567), card 4532 1234 5678 9012";
        retrieve(&spy, "app_1", text, &["jane.doe@example.com".into()]).await;
        let queries = spy.0.lock().unwrap().clone();
        assert_eq!(queries.len(), 3);
        for q in &queries {
            for leak in ["jane", "Jane", "Doe", "example.com", "4567", "9012"] {
                assert!(!q.data.contains(leak), "{leak} in {:?}", q.data);
            }
            let filter = q.filter.as_ref().unwrap().as_str();
            assert!(
                filter.starts_with("appId = 'app_1' AND type = '"),
                "{filter}"
            );
        }
        assert!(
            queries[2]
                .filter
                .as_ref()
                .unwrap()
                .as_str()
                .contains("trustScore > 0.85")
        );
    }
}
