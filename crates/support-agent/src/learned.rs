//! The learned classifier at decision time: the message's embedding (from the platform's
//! embedding queue) through the bundled head (`brain/head.json`, written by `skill brain
//! train`). Its opinion is journaled with the run's facts; `decide` combines it with the
//! rules, only ever towards a human (`decide/learned.rs`).

use std::sync::Arc;

use support_core::learned::{Head, HeadError, LearnedOpinion};
use support_retrieval::{Embed, EmbedFailure};

/// The head built into this binary.
pub const BUNDLED_HEAD: &str = include_str!("../brain/head.json");

/// How much of a message is embedded: the model reads 256 tokens at most.
const MAX_CHARS: usize = 2_000;

/// The head and the embedder it was trained for.
pub struct LearnedBrain {
    head: Head,
    embed: Arc<dyn Embed>,
}

#[derive(Debug, thiserror::Error)]
pub enum LearnedError {
    #[error(transparent)]
    Head(#[from] HeadError),
    #[error("the head was trained on {head}, the embedder is {embedder}")]
    WrongModel { head: String, embedder: String },
}

impl LearnedBrain {
    /// The bundled head over `embed`; refused when the embedder is not the head's model (its
    /// vectors would mean nothing to the head).
    pub fn bundled(embed: Arc<dyn Embed>) -> Result<Self, LearnedError> {
        Self::new(Head::from_json(BUNDLED_HEAD)?, embed)
    }

    pub fn new(head: Head, embed: Arc<dyn Embed>) -> Result<Self, LearnedError> {
        if head.model != embed.model_id() || head.dim != embed.dim() {
            return Err(LearnedError::WrongModel {
                head: head.model.clone(),
                embedder: embed.model_id().to_owned(),
            });
        }
        Ok(Self { head, embed })
    }

    /// The opinion on a message (subject and the customer's own lines).
    pub async fn opinion(&self, subject: &str, body: &str) -> Result<LearnedOpinion, EmbedFailure> {
        let text = support_core::grounding::own_text(subject, body);
        let text: String = text.chars().take(MAX_CHARS).collect();
        let mut v = self.embed.embed(vec![text]).await?;
        let x = v.pop().unwrap_or_default();
        Ok(self.head.predict(&x))
    }
}
