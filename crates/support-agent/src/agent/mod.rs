//! The model brain as a bounded tool-using loop: the model reads what it needs (the sender's
//! account and purchases, the conversation, a search), may propose one write, and ends by
//! calling `triage` (see [`crate::llm_brain`]). Each model turn and each tool call is its own
//! journaled step ([`Journal`]), so a replay re-reads the model's answers instead of asking
//! again. Bounds: turns, tool calls and tokens ([`AgentLimits`]); past any of them the loop
//! stops and a human takes the conversation.
//!
//! What comes out is a [`ModelOpinion`], the same as from a one-call model: the pure
//! [`crate::decide::decide`] grounds its object against the message again and the app's
//! policy judges it. The write tools propose only; nothing the model calls moves anything.

pub mod tools;

use std::future::Future;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use support_llm::{
    ChatRequest, ChatResponse, LlmClient, Message, ToolChoice, ToolResultContent, Usage,
};

use crate::app_tools::AppDirectory;
use crate::context::{BuiltContext, Preview};
use crate::decide::{Facts, ModelOpinion, Snippet};
use crate::llm_brain;
use tools::{CallOutcome, Executed, Pick, Reads};

/// How far one decision's loop may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentLimits {
    /// Model calls per decision; the last one must be `triage`.
    pub max_turns: u32,
    /// Tool calls per decision (beyond them a call is answered with an error).
    pub max_tool_calls: u32,
    /// Input plus output tokens over all turns, as the provider reports them.
    pub max_tokens: u64,
}

impl Default for AgentLimits {
    fn default() -> Self {
        AgentLimits {
            max_turns: 6,
            max_tool_calls: 12,
            max_tokens: 40_000,
        }
    }
}

/// Tokens one turn may generate.
const TURN_MAX_TOKENS: u32 = 1_024;

/// One tool call as the decision record shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallTrace {
    pub turn: u32,
    pub name: String,
    pub arguments: Value,
    pub outcome: CallOutcome,
    /// The result's first characters (a refusal's reason, an error).
    pub note: String,
}

/// What the loop did, journaled through its steps and recorded with the decision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentRun {
    pub opinion: Option<ModelOpinion>,
    /// Why there is no opinion (a failed call, an invalid answer, a bound reached).
    pub error: Option<String>,
    pub turns: u32,
    pub usage: Usage,
    /// Time spent waiting for the model, over all turns.
    pub elapsed_ms: i64,
    pub calls: Vec<CallTrace>,
}

/// Where each step's result is kept: the workflow's journal (a replay reads it back), or
/// nowhere (a dry run).
pub trait Journal: Sync {
    type Error;
    fn step<T, Fut>(
        &self,
        name: String,
        fut: Fut,
    ) -> impl Future<Output = Result<T, Self::Error>> + Send
    where
        T: Serialize + DeserializeOwned + Send,
        Fut: Future<Output = T> + Send;
}

/// No journal: every step runs (dry runs, `skill agent`).
pub struct Unjournaled;

impl Journal for Unjournaled {
    type Error = std::convert::Infallible;
    async fn step<T, Fut>(&self, _name: String, fut: Fut) -> Result<T, Self::Error>
    where
        T: Serialize + DeserializeOwned + Send,
        Fut: Future<Output = T> + Send,
    {
        Ok(fut.await)
    }
}

/// Where `search_knowledge` looks: the platform's index, else the app's own search.
#[derive(Clone)]
pub struct Search {
    pub index: Option<Arc<dyn support_retrieval::VectorStore>>,
    pub apps: Arc<dyn AppDirectory>,
    pub app_id: Option<String>,
}

impl Search {
    async fn run(&self, query: &str, sender: &str) -> Result<Vec<Snippet>, String> {
        let Some(app_id) = self.app_id.as_deref() else {
            return Ok(Vec::new());
        };
        if let Some(index) = &self.index {
            let r = crate::retrieve::retrieve(index.as_ref(), app_id, query, &[sender.to_owned()])
                .await;
            if r.knowledge.is_empty() && r.similar.is_empty() && !r.notes.is_empty() {
                return Err(r.notes.join("; "));
            }
            return Ok(r
                .knowledge
                .into_iter()
                .chain(r.responses)
                .chain(r.similar)
                .collect());
        }
        let api = self.apps.app_api(app_id).await.map_err(|e| e.to_string())?;
        let hits = api.search_content(query).await.map_err(|e| e.to_string())?;
        Ok(hits
            .unwrap_or_default()
            .into_iter()
            .map(|h| Snippet {
                id: h.url,
                title: h.title,
                text: h.snippet.unwrap_or_default(),
                score: 0.0,
                kind: None,
                source: None,
            })
            .collect())
    }
}

/// One model turn as journaled.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Turn {
    response: Result<ChatResponse, String>,
    elapsed_ms: i64,
}

/// The loop's input.
pub struct AgentInput<'a> {
    pub facts: &'a Facts,
    pub context: &'a BuiltContext,
    pub earlier: &'a [Preview],
    pub search: &'a Search,
    pub limits: AgentLimits,
}

fn note(content: &str) -> String {
    content.chars().take(200).collect()
}

/// Runs the loop to an opinion, or to the reason there is none. Only the journal's own
/// failure is an `Err`; everything the model does wrong is in [`AgentRun::error`].
pub async fn run<J: Journal>(
    client: Arc<dyn LlmClient>,
    input: AgentInput<'_>,
    journal: &J,
) -> Result<AgentRun, J::Error> {
    let limits = input.limits;
    let mut offered = tools::specs();
    offered.push(llm_brain::triage_tool());
    let model_name = llm_brain::model_name(client.as_ref());
    let reads = Reads {
        facts: input.facts,
        earlier: input.earlier,
    };
    let sender = input
        .facts
        .user
        .as_ref()
        .map_or(input.facts.from.clone(), |u| u.email.as_str().to_owned());
    let mut messages = vec![Message::user(input.context.text.clone())];
    let mut out = AgentRun::default();
    let mut pick: Option<Pick> = None;
    for turn in 0..limits.max_turns.max(1) {
        let last = turn + 1 >= limits.max_turns;
        let request = ChatRequest {
            system: llm_brain::system_prompt(),
            messages: messages.clone(),
            tools: offered.clone(),
            max_tokens: TURN_MAX_TOKENS,
            temperature: Some(0.0),
            // The model must always act through a tool; on the last turn, finish.
            tool_choice: if last {
                ToolChoice::Tool(llm_brain::TRIAGE.into())
            } else {
                ToolChoice::Required
            },
        };
        let c = client.clone();
        let answered: Turn = journal
            .step(format!("llm:{turn}"), async move {
                let t = std::time::Instant::now();
                let response = c.complete(&request).await.map_err(|e| e.to_string());
                Turn {
                    response,
                    elapsed_ms: i64::try_from(t.elapsed().as_millis()).unwrap_or(i64::MAX),
                }
            })
            .await?;
        out.turns += 1;
        out.elapsed_ms += answered.elapsed_ms;
        let response = match answered.response {
            Ok(r) => r,
            Err(e) => {
                out.error = Some(format!("the model call failed: {e}"));
                return Ok(out);
            }
        };
        out.usage.input_tokens += response.usage.input_tokens;
        out.usage.output_tokens += response.usage.output_tokens;
        if response.tool_calls.is_empty() {
            out.error = Some("the model's answer was refused: the model made no tool call".into());
            return Ok(out);
        }
        if out.usage.input_tokens + out.usage.output_tokens > limits.max_tokens {
            out.error = Some(format!(
                "the model used more than {} tokens without finishing",
                limits.max_tokens
            ));
            return Ok(out);
        }
        messages.push(Message::Assistant {
            text: response.text.clone(),
            tool_calls: response.tool_calls.clone(),
        });
        let mut finished = None;
        for (n, call) in response.tool_calls.iter().enumerate() {
            if call.name == llm_brain::TRIAGE {
                finished.get_or_insert(call);
                continue;
            }
            let over = out.calls.len() >= limits.max_tool_calls as usize;
            let executed: Executed = match (over, call.validate(&offered)) {
                (true, _) => Executed {
                    outcome: CallOutcome::Error,
                    content: format!(
                        "the limit of {} tool calls is reached; call triage",
                        limits.max_tool_calls
                    ),
                    pick: None,
                },
                (false, Err(e)) => Executed {
                    outcome: CallOutcome::Error,
                    content: e.to_string(),
                    pick: None,
                },
                (false, Ok(valid)) if valid.name() == tools::SEARCH_KNOWLEDGE => {
                    let query = valid
                        .arguments()
                        .get("query")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    let (search, sender) = (input.search.clone(), sender.clone());
                    journal
                        .step(format!("llm:{turn}:call:{n}"), async move {
                            tools::search_result(search.run(&query, &sender).await)
                        })
                        .await?
                }
                (false, Ok(valid)) => {
                    let executed = tools::execute(call, valid.arguments(), &reads, pick.as_ref());
                    journal
                        .step(format!("llm:{turn}:call:{n}"), async move { executed })
                        .await?
                }
            };
            if let Some(p) = &executed.pick {
                pick = Some(p.clone());
            }
            out.calls.push(CallTrace {
                turn,
                name: call.name.chars().take(64).collect(),
                arguments: call.arguments.clone(),
                outcome: executed.outcome,
                note: note(&executed.content),
            });
            messages.push(Message::ToolResult {
                tool_call_id: call.id.clone(),
                content: ToolResultContent::Text(executed.content),
                is_error: executed.outcome != CallOutcome::Ok,
            });
        }
        if let Some(call) = finished {
            match call
                .validate(&offered)
                .map_err(llm_brain::LlmBrainError::from)
                .and_then(|v| llm_brain::opinion_from_call(&v, &model_name))
            {
                Ok(mut opinion) => {
                    // A proposal the grounding accepted is the model's action unless its
                    // triage names one of its own (which `decide` grounds again).
                    if opinion.action.is_none()
                        && let Some(p) = pick
                    {
                        opinion.action = Some(p.action);
                        opinion.purchase_id = p.purchase_id;
                        opinion.transfer_to = p.transfer_to;
                    }
                    out.opinion = Some(opinion);
                }
                Err(e) => out.error = Some(e.to_string()),
            }
            return Ok(out);
        }
    }
    out.error = Some(format!(
        "the model did not finish within {} turns",
        limits.max_turns
    ));
    Ok(out)
}
