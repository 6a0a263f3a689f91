//! [`ValidatedCall`]: the only form in which a model's tool call may reach the policy engine.
//! It can only be built by checking a [`ToolCall`] against the tools that were offered.

use serde_json::{Map, Value};

use crate::schema::{self, SchemaViolation};
use crate::types::{ChatResponse, ToolCall, ToolSpec};

/// A tool call whose tool was offered and whose arguments pass that tool's schema. Fields
/// are private so one cannot be made without the check.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedCall {
    id: String,
    name: String,
    arguments: Map<String, Value>,
}

impl ValidatedCall {
    /// The provider's call id, to answer with a tool result.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The tool's name (one of the offered [`ToolSpec`]s).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The arguments, valid against the tool's `input_schema`.
    pub fn arguments(&self) -> &Map<String, Value> {
        &self.arguments
    }

    /// Take the arguments (e.g. to deserialize them into the tool's typed parameters).
    pub fn into_arguments(self) -> Map<String, Value> {
        self.arguments
    }
}

/// Why a tool call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolCallError {
    /// A single call was expected and the model made none.
    #[error("the model made no tool call")]
    NoToolCall,
    /// A single call was expected and the model made several.
    #[error("the model made {count} tool calls where one was expected")]
    MultipleToolCalls { count: usize },
    /// The model called a tool that was not offered.
    #[error("the model called tool {name:?}, which was not offered")]
    UnknownTool { name: String },
    /// The arguments do not pass the tool's schema.
    #[error(
        "arguments for tool {name:?} do not match its schema: {}",
        join(violations)
    )]
    InvalidArguments {
        name: String,
        violations: Vec<SchemaViolation>,
    },
    /// The tool's own schema uses keywords the validator does not support: a programming
    /// error in the tool definition, reported apart from model mistakes.
    #[error("tool {name:?} has an unsupported input schema: {}", join(violations))]
    UnsupportedSchema {
        name: String,
        violations: Vec<SchemaViolation>,
    },
}

fn join(v: &[SchemaViolation]) -> String {
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl ToolCall {
    /// Check this call against the offered `tools`: the name must be one of them (first match
    /// wins if a list repeats a name) and the arguments must pass its schema.
    pub fn validate(&self, tools: &[ToolSpec]) -> Result<ValidatedCall, ToolCallError> {
        let Some(tool) = tools.iter().find(|t| t.name == self.name) else {
            return Err(ToolCallError::UnknownTool {
                name: self.name.chars().take(64).collect(),
            });
        };
        if let Err(violations) = schema::check_schema(&tool.input_schema) {
            return Err(ToolCallError::UnsupportedSchema {
                name: tool.name.clone(),
                violations,
            });
        }
        let invalid = |violations| ToolCallError::InvalidArguments {
            name: tool.name.clone(),
            violations,
        };
        schema::validate(&tool.input_schema, &self.arguments).map_err(invalid)?;
        // Tool input schemas are `type: object` (checked before sending), so this only
        // fires for a hand-built schema without a type.
        let Value::Object(arguments) = &self.arguments else {
            return Err(invalid(vec![SchemaViolation {
                path: "$".to_owned(),
                message: "tool arguments must be an object".to_owned(),
            }]));
        };
        Ok(ValidatedCall {
            id: self.id.clone(),
            name: tool.name.clone(),
            arguments: arguments.clone(),
        })
    }
}

impl ChatResponse {
    /// The response's one tool call, validated against the tools the request offered. For
    /// a step that asked for exactly one action (e.g. `ToolChoice::Tool`).
    pub fn validated_call(&self, tools: &[ToolSpec]) -> Result<ValidatedCall, ToolCallError> {
        match self.tool_calls.as_slice() {
            [] => Err(ToolCallError::NoToolCall),
            [call] => call.validate(tools),
            calls => Err(ToolCallError::MultipleToolCalls { count: calls.len() }),
        }
    }

    /// Every tool call, validated; the first refusal fails the whole response (acting on
    /// part of a turn the model meant as a whole is worse than asking again).
    pub fn validated_calls(&self, tools: &[ToolSpec]) -> Result<Vec<ValidatedCall>, ToolCallError> {
        self.tool_calls.iter().map(|c| c.validate(tools)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{StopReason, Usage};
    use serde_json::json;

    fn tools() -> Vec<ToolSpec> {
        vec![
            ToolSpec {
                name: "refund".into(),
                description: "Refund a purchase".into(),
                input_schema: json!({
                    "type": "object",
                    "properties": {"amount_cents": {"type": "integer", "minimum": 1}},
                    "required": ["amount_cents"],
                    "additionalProperties": false,
                }),
            },
            ToolSpec {
                name: "escalate".into(),
                description: "Hand to a human".into(),
                input_schema: json!({"type": "object", "properties": {}, "additionalProperties": false}),
            },
        ]
    }

    fn response(calls: Vec<(&str, Value)>) -> ChatResponse {
        ChatResponse {
            text: None,
            tool_calls: calls
                .into_iter()
                .enumerate()
                .map(|(i, (name, arguments))| ToolCall {
                    id: format!("call_{i}"),
                    name: name.into(),
                    arguments,
                })
                .collect(),
            stop_reason: StopReason::ToolUse,
            usage: Usage::default(),
            model: "m".into(),
            attempts: 1,
        }
    }

    #[test]
    fn accepts_an_offered_tool_with_valid_arguments() {
        let r = response(vec![("refund", json!({"amount_cents": 500}))]);
        let v = r.validated_call(&tools()).unwrap();
        assert_eq!(v.id(), "call_0");
        assert_eq!(v.name(), "refund");
        assert_eq!(v.arguments()["amount_cents"], json!(500));
    }

    #[test]
    fn refuses_unknown_tools_bad_arguments_and_wrong_counts() {
        let t = tools();
        assert_eq!(
            response(vec![("delete_account", json!({}))]).validated_call(&t),
            Err(ToolCallError::UnknownTool {
                name: "delete_account".into()
            })
        );
        // A tool that exists elsewhere but was not offered in this request.
        assert!(matches!(
            response(vec![("escalate", json!({}))]).validated_call(&t[..1]),
            Err(ToolCallError::UnknownTool { .. })
        ));
        let e = response(vec![("refund", json!({"amount_cents": 0, "admin": true}))])
            .validated_call(&t)
            .unwrap_err();
        match e {
            ToolCallError::InvalidArguments { name, violations } => {
                assert_eq!(name, "refund");
                assert_eq!(violations.len(), 2, "{violations:?}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            response(vec![]).validated_call(&t),
            Err(ToolCallError::NoToolCall)
        );
        let two = response(vec![
            ("refund", json!({"amount_cents": 1})),
            ("escalate", json!({})),
        ]);
        assert_eq!(
            two.validated_call(&t),
            Err(ToolCallError::MultipleToolCalls { count: 2 })
        );
        assert_eq!(two.validated_calls(&t).unwrap().len(), 2);
        let one_bad = response(vec![
            ("refund", json!({"amount_cents": 1})),
            ("escalate", json!({"x": 1})),
        ]);
        assert!(matches!(
            one_bad.validated_calls(&t),
            Err(ToolCallError::InvalidArguments { .. })
        ));
    }

    #[test]
    fn unsupported_schema_is_reported_as_such() {
        let t = vec![ToolSpec {
            name: "email".into(),
            description: String::new(),
            input_schema: json!({"type": "object", "properties": {"to": {"type": "string", "format": "email"}}}),
        }];
        let e = response(vec![("email", json!({"to": "a@b.c"}))])
            .validated_call(&t)
            .unwrap_err();
        assert!(
            matches!(&e, ToolCallError::UnsupportedSchema { name, .. } if name == "email"),
            "{e:?}"
        );
        assert!(e.to_string().contains("format"), "{e}");
    }
}
