//! Request checks: the rules of the real APIs that a client bug would break.

use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Request checks (the rules of the real APIs that a client bug would break).

fn valid_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

const ANTHROPIC_FIELDS: &[&str] = &[
    "model",
    "messages",
    "max_tokens",
    "system",
    "tools",
    "tool_choice",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "stream",
    "metadata",
    "thinking",
    "service_tier",
];

pub(super) fn check_anthropic(b: &Value) -> Result<(), String> {
    let Some(obj) = b.as_object() else {
        return Err("The request body is not valid JSON.".into());
    };
    if let Some(k) = obj.keys().find(|k| !ANTHROPIC_FIELDS.contains(&k.as_str())) {
        return Err(format!("{k}: Extra inputs are not permitted"));
    }
    if str_field(b, "model").is_none_or(str::is_empty) {
        return Err("model: Field required".into());
    }
    match b.get("max_tokens").map(Value::as_u64) {
        None => return Err("max_tokens: Field required".into()),
        Some(Some(n)) if n >= 1 => {}
        Some(_) => return Err("max_tokens: Input should be greater than or equal to 1".into()),
    }
    if b.get("stream").and_then(Value::as_bool) == Some(true) {
        return Err("stream: this fake does not stream".into());
    }
    if let Some(t) = b.get("temperature") {
        match t.as_f64() {
            Some(x) if (0.0..=1.0).contains(&x) => {}
            _ => return Err("temperature: Input should be between 0 and 1".into()),
        }
    }
    if let Some(sys) = b.get("system")
        && !(sys.is_string() || sys.is_array())
    {
        return Err("system: Input should be a valid string or list of blocks".into());
    }
    let mut tool_names: Vec<&str> = Vec::new();
    if let Some(tools) = b.get("tools") {
        let Some(tools) = tools.as_array() else {
            return Err("tools: Input should be a valid list".into());
        };
        for (i, t) in tools.iter().enumerate() {
            let name = str_field(t, "name").unwrap_or("");
            if !valid_tool_name(name) {
                return Err(format!(
                    "tools.{i}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
                ));
            }
            if tool_names.contains(&name) {
                return Err("tools: Tool names must be unique.".into());
            }
            tool_names.push(name);
            let schema_ok = t
                .get("input_schema")
                .is_some_and(|s| str_field(s, "type") == Some("object"));
            if !schema_ok {
                return Err(format!(
                    "tools.{i}.input_schema: Input should be an object with type 'object'"
                ));
            }
            if t.get("description").is_some_and(|d| !d.is_string()) {
                return Err(format!(
                    "tools.{i}.description: Input should be a valid string"
                ));
            }
        }
    }
    if let Some(choice) = b.get("tool_choice") {
        if tool_names.is_empty() {
            return Err("tool_choice may only be specified while providing tools.".into());
        }
        match str_field(choice, "type") {
            Some("auto" | "any" | "none") => {}
            Some("tool") => {
                let name = str_field(choice, "name").unwrap_or("");
                if !tool_names.contains(&name) {
                    return Err(format!(
                        "tool_choice.name: Tool '{name}' not found in provided tools"
                    ));
                }
            }
            _ => {
                return Err(
                    "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'".into(),
                );
            }
        }
    }
    let Some(messages) = b.get("messages").and_then(Value::as_array) else {
        return Err("messages: Field required".into());
    };
    if messages.is_empty() {
        return Err("messages: at least one message is required".into());
    }
    let mut prev_tool_uses: Vec<String> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let role = str_field(m, "role").unwrap_or("");
        if !matches!(role, "user" | "assistant") {
            return Err(format!(
                "messages.{i}.role: Input should be 'user' or 'assistant'"
            ));
        }
        if i == 0 && role != "user" {
            return Err("messages: first message must use the \"user\" role".into());
        }
        let blocks: Vec<Value> = match m.get("content") {
            Some(Value::String(s)) if !s.is_empty() => vec![json!({"type": "text", "text": s})],
            Some(Value::Array(b)) if !b.is_empty() => b.clone(),
            _ => {
                return Err(format!(
                    "messages.{i}: all messages must have non-empty content"
                ));
            }
        };
        let mut tool_uses = Vec::new();
        let mut results = Vec::new();
        let mut seen_non_result = false;
        for (j, block) in blocks.iter().enumerate() {
            match str_field(block, "type").unwrap_or("") {
                "text" => {
                    if str_field(block, "text").is_none_or(str::is_empty) {
                        return Err(format!(
                            "messages.{i}.content.{j}: text content blocks must be non-empty"
                        ));
                    }
                    seen_non_result = true;
                }
                "tool_use" if role == "assistant" => {
                    let id = str_field(block, "id").unwrap_or("");
                    if id.is_empty()
                        || !valid_tool_name(str_field(block, "name").unwrap_or(""))
                        || !block.get("input").is_some_and(Value::is_object)
                    {
                        return Err(format!(
                            "messages.{i}.content.{j}: tool_use needs id, name and an object input"
                        ));
                    }
                    tool_uses.push(id.to_owned());
                }
                "tool_result" if role == "user" => {
                    if seen_non_result {
                        return Err(format!(
                            "messages.{i}: tool_result blocks must come before any other content"
                        ));
                    }
                    let id = str_field(block, "tool_use_id").unwrap_or("");
                    if !prev_tool_uses.iter().any(|p| p == id) {
                        return Err(format!(
                            "messages.{i}.content.{j}: unexpected `tool_use_id` found in \
                             `tool_result` blocks: {id}. Each `tool_result` block must have a \
                             corresponding `tool_use` block in the previous message."
                        ));
                    }
                    if let Some(c) = block.get("content")
                        && !(c.is_string() || c.is_array())
                    {
                        return Err(format!(
                            "messages.{i}.content.{j}.content: Input should be a string or a list"
                        ));
                    }
                    if block.get("is_error").is_some_and(|e| !e.is_boolean()) {
                        return Err(format!(
                            "messages.{i}.content.{j}.is_error: Input should be a boolean"
                        ));
                    }
                    results.push(id.to_owned());
                }
                "image" | "document" => seen_non_result = true,
                other => {
                    return Err(format!(
                        "messages.{i}.content.{j}: block type '{other}' is not allowed in a \
                         {role} message"
                    ));
                }
            }
        }
        if !prev_tool_uses.is_empty() {
            let missing: Vec<&String> = prev_tool_uses
                .iter()
                .filter(|id| !results.contains(id))
                .collect();
            if role != "user" || !missing.is_empty() {
                return Err(format!(
                    "messages.{}: `tool_use` ids were found without `tool_result` blocks \
                     immediately after: {}",
                    i - 1,
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        prev_tool_uses = tool_uses;
    }
    Ok(())
}

const OPENAI_FIELDS: &[&str] = &[
    "model",
    "messages",
    "tools",
    "tool_choice",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "stream",
    "stream_options",
    "stop",
    "n",
    "seed",
    "user",
    "response_format",
    "parallel_tool_calls",
    "frequency_penalty",
    "presence_penalty",
    "logprobs",
    "top_logprobs",
    "metadata",
    "store",
    "reasoning_effort",
];

pub(super) fn check_openai(b: &Value) -> Result<(), String> {
    let Some(obj) = b.as_object() else {
        return Err("The request body is not valid JSON.".into());
    };
    if let Some(k) = obj.keys().find(|k| !OPENAI_FIELDS.contains(&k.as_str())) {
        return Err(format!("Unrecognized request argument supplied: {k}"));
    }
    if str_field(b, "model").is_none_or(str::is_empty) {
        return Err("you must provide a model parameter".into());
    }
    if b.get("stream").and_then(Value::as_bool) == Some(true) {
        return Err("stream: this fake does not stream".into());
    }
    for k in ["max_tokens", "max_completion_tokens"] {
        if let Some(v) = b.get(k)
            && v.as_u64().is_none_or(|n| n < 1)
        {
            return Err(format!("Invalid '{k}': integer below minimum value."));
        }
    }
    if let Some(t) = b.get("temperature") {
        match t.as_f64() {
            Some(x) if (0.0..=2.0).contains(&x) => {}
            _ => return Err("Invalid 'temperature': must be between 0 and 2.".into()),
        }
    }
    let mut tool_names: Vec<&str> = Vec::new();
    if let Some(tools) = b.get("tools") {
        let Some(tools) = tools.as_array() else {
            return Err("Invalid type for 'tools': expected an array.".into());
        };
        if tools.is_empty() {
            return Err("[] is too short - 'tools'".into());
        }
        for (i, t) in tools.iter().enumerate() {
            let f = t.get("function");
            let name = f.and_then(|f| str_field(f, "name")).unwrap_or("");
            if str_field(t, "type") != Some("function") || !valid_tool_name(name) {
                return Err(format!(
                    "Invalid 'tools[{i}]': expected {{type: 'function', function: {{name}}}} with \
                     a name matching '^[a-zA-Z0-9_-]{{1,64}}$'."
                ));
            }
            if f.and_then(|f| f.get("parameters"))
                .is_some_and(|p| !p.is_object())
            {
                return Err(format!(
                    "Invalid 'tools[{i}].function.parameters': expected an object."
                ));
            }
            tool_names.push(name);
        }
    }
    if let Some(choice) = b.get("tool_choice") {
        if tool_names.is_empty() {
            return Err(
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when \
                        'tools' are specified."
                    .into(),
            );
        }
        let ok = match choice {
            Value::String(s) => matches!(s.as_str(), "none" | "auto" | "required"),
            Value::Object(_) => {
                let name = choice
                    .get("function")
                    .and_then(|f| str_field(f, "name"))
                    .unwrap_or("");
                str_field(choice, "type") == Some("function") && tool_names.contains(&name)
            }
            _ => false,
        };
        if !ok {
            return Err("Invalid value for 'tool_choice'.".into());
        }
    }
    let Some(messages) = b.get("messages").and_then(Value::as_array) else {
        return Err("Missing required parameter: 'messages'.".into());
    };
    if messages.is_empty() {
        return Err("[] is too short - 'messages'".into());
    }
    let mut pending: Vec<String> = Vec::new();
    let unanswered = |pending: &[String]| {
        format!(
            "An assistant message with 'tool_calls' must be followed by tool messages \
             responding to each 'tool_call_id'. The following tool_call_ids did not have \
             response messages: {}",
            pending.join(", ")
        )
    };
    for (i, m) in messages.iter().enumerate() {
        let role = str_field(m, "role").unwrap_or("");
        if role != "tool" && !pending.is_empty() {
            return Err(unanswered(&pending));
        }
        let content = m.get("content");
        let content_ok = |allow_null: bool| match content {
            Some(Value::String(_) | Value::Array(_)) => true,
            Some(Value::Null) | None => allow_null,
            _ => false,
        };
        match role {
            "system" | "developer" | "user" => {
                if !content_ok(false) {
                    return Err(format!(
                        "Invalid 'messages[{i}].content': expected a string or an array."
                    ));
                }
            }
            "assistant" => {
                if !content_ok(true) {
                    return Err(format!(
                        "Invalid 'messages[{i}].content': expected a string, an array or null."
                    ));
                }
                let calls = match m.get("tool_calls") {
                    None | Some(Value::Null) => &[][..],
                    Some(Value::Array(c)) => c.as_slice(),
                    Some(_) => {
                        return Err(format!(
                            "Invalid 'messages[{i}].tool_calls': expected an array."
                        ));
                    }
                };
                if calls.is_empty() && content.is_none_or(Value::is_null) {
                    return Err(format!(
                        "Invalid 'messages[{i}]': an assistant message needs content or \
                         tool_calls."
                    ));
                }
                for (j, c) in calls.iter().enumerate() {
                    let f = c.get("function");
                    let ok = str_field(c, "id").is_some_and(|id| !id.is_empty())
                        && str_field(c, "type") == Some("function")
                        && f.and_then(|f| str_field(f, "name"))
                            .is_some_and(valid_tool_name)
                        && f.and_then(|f| f.get("arguments"))
                            .is_some_and(Value::is_string);
                    if !ok {
                        return Err(format!(
                            "Invalid 'messages[{i}].tool_calls[{j}]': expected {{id, type: \
                             'function', function: {{name, arguments: string}}}}."
                        ));
                    }
                    pending.push(str_field(c, "id").unwrap_or("").to_owned());
                }
            }
            "tool" => {
                let id = str_field(m, "tool_call_id").unwrap_or("");
                let Some(pos) = pending.iter().position(|p| p == id) else {
                    return Err(format!(
                        "Invalid parameter: messages with role 'tool' must be a response to a \
                         preceeding message with 'tool_calls' (messages[{i}], tool_call_id \
                         {id:?})."
                    ));
                };
                pending.remove(pos);
                if !content_ok(false) {
                    return Err(format!(
                        "Invalid 'messages[{i}].content': expected a string or an array."
                    ));
                }
            }
            other => {
                return Err(format!(
                    "Invalid value: '{other}'. Supported values are: 'system', 'developer', \
                     'user', 'assistant' and 'tool'."
                ));
            }
        }
    }
    if !pending.is_empty() {
        return Err(unanswered(&pending));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anthropic_checks_tool_result_pairing() {
        let good = json!({
            "model": "m", "max_tokens": 10,
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "x", "input": {}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"},
                                             {"type": "text", "text": "and?"}]},
            ],
        });
        assert_eq!(check_anthropic(&good), Ok(()));
        let mut wrong_id = good.clone();
        wrong_id["messages"][2]["content"][0]["tool_use_id"] = json!("t2");
        assert!(check_anthropic(&wrong_id).unwrap_err().contains("t2"));
        let mut text_first = good.clone();
        text_first["messages"][2]["content"] = json!([
            {"type": "text", "text": "and?"},
            {"type": "tool_result", "tool_use_id": "t1", "content": "ok"},
        ]);
        assert!(check_anthropic(&text_first).is_err());
        let mut unanswered = good.clone();
        unanswered["messages"][2] = json!({"role": "user", "content": "no result"});
        assert!(check_anthropic(&unanswered).unwrap_err().contains("t1"));
        let mut extra = good.clone();
        extra["bogus"] = json!(1);
        assert!(check_anthropic(&extra).unwrap_err().contains("bogus"));
        let mut no_max = good;
        no_max.as_object_mut().map(|o| o.remove("max_tokens"));
        assert!(check_anthropic(&no_max).is_err());
    }

    #[test]
    fn openai_checks_tool_message_pairing() {
        let good = json!({
            "model": "m",
            "messages": [
                {"role": "system", "content": "s"},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "x", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "ok"},
            ],
            "tools": [{"type": "function", "function": {"name": "x", "parameters": {"type": "object"}}}],
            "tool_choice": "auto",
        });
        assert_eq!(check_openai(&good), Ok(()));
        let mut orphan = good.clone();
        orphan["messages"][3]["tool_call_id"] = json!("c9");
        assert!(check_openai(&orphan).is_err());
        let mut unanswered = good.clone();
        unanswered["messages"][3] = json!({"role": "user", "content": "?"});
        assert!(check_openai(&unanswered).unwrap_err().contains("c1"));
        let mut object_args = good.clone();
        object_args["messages"][2]["tool_calls"][0]["function"]["arguments"] = json!({});
        assert!(check_openai(&object_args).is_err());
        let mut empty_tools = good.clone();
        empty_tools["tools"] = json!([]);
        assert!(check_openai(&empty_tools).is_err());
        let mut choice_unknown = good;
        choice_unknown["tool_choice"] = json!({"type": "function", "function": {"name": "y"}});
        assert!(check_openai(&choice_unknown).is_err());
    }
}
