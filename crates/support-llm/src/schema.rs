//! A small JSON Schema validator for tool arguments, hand-written so that exactly what it
//! enforces is visible here.
//!
//! This is a security boundary: the model's tool arguments reach the policy engine only after
//! passing the tool's schema. So the validator **fails closed**: a keyword it does not
//! implement is never ignored, it is reported as a violation and the value is rejected (an
//! ignored `pattern` or `format` would let through what the schema author meant to refuse).
//! Tool schemas must therefore stay inside the supported subset; [`check_schema`] lets the
//! code that defines them assert that in a test.
//!
//! Supported keywords (draft 2020-12 meaning unless noted):
//! - `type`: `object`, `string`, `integer`, `number`, `boolean`, `array`, `null`, or an array
//!   of those. **`integer` is strict**: only numbers written without a fraction or exponent
//!   (`3`, not `3.0`), because that is what `Value::as_i64` downstream can read;
//! - `properties`, `required`, `additionalProperties` (`false`, `true` or a schema);
//! - `enum`, `const` (numbers compare by value: `1` equals `1.0`);
//! - `minimum`, `maximum` (inclusive);
//! - `minLength`, `maxLength` (counted in Unicode code points);
//! - `items` (one schema for every element), `minItems`, `maxItems`;
//! - boolean schemas `true` / `false`.
//!
//! Annotations, accepted and ignored: `title`, `description`, `default`, `examples`,
//! `$comment`, `$schema`.
//!
//! Not supported (reject every value): everything else, including `pattern`, `format`,
//! `$ref`, `anyOf`/`oneOf`/`allOf`/`not`, `if`/`then`/`else`, `patternProperties`,
//! `exclusiveMinimum`/`exclusiveMaximum`, `multipleOf`, `uniqueItems`, `prefixItems`.
//! (`pattern` is left out because the workspace has no regex engine; add it with one.)
//!
//! As in JSON Schema, type-specific keywords only constrain values of their type: `minimum`
//! says nothing about a string. Say `type` explicitly in tool schemas.

use std::fmt;

use serde_json::{Map, Value};

/// One reason a value (or a schema) was rejected. `path` points into the value (`$`,
/// `$.refund.amount`, `$.items[2]`); messages describe the rule, never echo the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    pub path: String,
    pub message: String,
}

impl fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Keywords the validator enforces.
pub const SUPPORTED_KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "enum",
    "const",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "items",
    "minItems",
    "maxItems",
];

/// Keywords accepted and ignored because they never constrain a value.
pub const ANNOTATION_KEYWORDS: &[&str] = &[
    "title",
    "description",
    "default",
    "examples",
    "$comment",
    "$schema",
];

const TYPE_NAMES: &[&str] = &[
    "object", "string", "integer", "number", "boolean", "array", "null",
];

/// Stop collecting after this many violations (an array of 10 000 bad items needs no 10 000
/// messages).
const MAX_VIOLATIONS: usize = 50;

/// Check `value` against `schema`. Every violation found (up to a cap) is returned; an
/// unsupported or malformed keyword in `schema` is a violation too, so a broken schema
/// rejects everything instead of accepting everything.
pub fn validate(schema: &Value, value: &Value) -> Result<(), Vec<SchemaViolation>> {
    let mut v = Validator { out: Vec::new() };
    v.node(schema, value, &mut Path::root());
    if v.out.is_empty() { Ok(()) } else { Err(v.out) }
}

/// Check that `schema` only uses supported keywords, with well-formed values. Paths here
/// point into the schema (`#/properties/amount`). For tests of the code that defines tool
/// schemas: a schema that passes this never rejects a value because of the schema itself.
pub fn check_schema(schema: &Value) -> Result<(), Vec<SchemaViolation>> {
    let mut out = Vec::new();
    check_node(schema, "#", &mut out);
    if out.is_empty() { Ok(()) } else { Err(out) }
}

// ---------------------------------------------------------------------------------------
// Paths.

/// A JSONPath-like location in the value, built as the validator descends.
struct Path(String);

impl Path {
    fn root() -> Self {
        Path("$".to_owned())
    }

    fn with_key<R>(&mut self, key: &str, f: impl FnOnce(&mut Path) -> R) -> R {
        let len = self.0.len();
        let simple = !key.is_empty()
            && key.len() <= 64
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if simple {
            self.0.push('.');
            self.0.push_str(key);
        } else {
            let shown: String = key.chars().take(64).collect();
            self.0.push_str(&format!("[{shown:?}]"));
        }
        let r = f(self);
        self.0.truncate(len);
        r
    }

    fn with_index<R>(&mut self, i: usize, f: impl FnOnce(&mut Path) -> R) -> R {
        let len = self.0.len();
        self.0.push_str(&format!("[{i}]"));
        let r = f(self);
        self.0.truncate(len);
        r
    }
}

// ---------------------------------------------------------------------------------------
// Validation.

struct Validator {
    out: Vec<SchemaViolation>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn matches_type(name: &str, v: &Value) -> bool {
    match name {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => false,
    }
}

/// JSON equality with numbers compared by value (`1 == 1.0`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (int_of(x), int_of(y)) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| json_eq(p, q)))
        }
        _ => a == b,
    }
}

fn int_of(n: &serde_json::Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// `a < b` for two JSON numbers, exactly for integers.
fn num_lt(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    match (int_of(a), int_of(b)) {
        (Some(i), Some(j)) => i < j,
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x < y,
            _ => false,
        },
    }
}

fn non_negative_int(v: &Value) -> Option<u64> {
    v.as_u64()
}

impl Validator {
    fn push(&mut self, path: &Path, message: impl Into<String>) {
        if self.out.len() < MAX_VIOLATIONS {
            self.out.push(SchemaViolation {
                path: path.0.clone(),
                message: message.into(),
            });
        }
    }

    fn full(&self) -> bool {
        self.out.len() >= MAX_VIOLATIONS
    }

    fn bad_schema(&mut self, path: &Path, keyword: &str, expected: &str) {
        self.push(
            path,
            format!("invalid schema: `{keyword}` must be {expected}"),
        );
    }

    fn node(&mut self, schema: &Value, value: &Value, path: &mut Path) {
        if self.full() {
            return;
        }
        let s = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => {
                self.push(path, "no value is allowed here");
                return;
            }
            Value::Object(s) => s,
            _ => {
                self.push(path, "invalid schema: must be an object or a boolean");
                return;
            }
        };
        for key in s.keys() {
            if !SUPPORTED_KEYWORDS.contains(&key.as_str())
                && !ANNOTATION_KEYWORDS.contains(&key.as_str())
            {
                self.push(
                    path,
                    format!("schema uses unsupported keyword `{key}`, so nothing can pass"),
                );
            }
        }
        if let Some(t) = s.get("type")
            && !self.check_type(t, value, path)
        {
            // The other keywords would only add noise about a value of the wrong type.
            return;
        }
        if let Some(allowed) = s.get("enum") {
            match allowed.as_array() {
                Some(list) if !list.is_empty() => {
                    if !list.iter().any(|a| json_eq(a, value)) {
                        let shown: Vec<String> =
                            list.iter().take(10).map(Value::to_string).collect();
                        self.push(path, format!("must be one of {}", shown.join(", ")));
                    }
                }
                _ => self.bad_schema(path, "enum", "a non-empty array"),
            }
        }
        if let Some(c) = s.get("const")
            && !json_eq(c, value)
        {
            self.push(path, format!("must be {c}"));
        }
        match value {
            Value::Number(n) => self.number(s, n, path),
            Value::String(text) => self.string(s, text, path),
            Value::Array(items) => self.array(s, items, path),
            Value::Object(obj) => self.object(s, obj, path),
            Value::Null | Value::Bool(_) => {}
        }
        // Keyword values are checked even when the value's type skips them, so a malformed
        // schema is reported whatever the model sends.
        self.check_keyword_shapes(s, value, path);
    }

    /// True when `value` has one of the allowed types.
    fn check_type(&mut self, t: &Value, value: &Value, path: &Path) -> bool {
        let names: Vec<&str> = match t {
            Value::String(n) => vec![n.as_str()],
            Value::Array(list) if !list.is_empty() => {
                let names: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
                if names.len() != list.len() {
                    self.bad_schema(path, "type", "a type name or an array of type names");
                    return false;
                }
                names
            }
            _ => {
                self.bad_schema(path, "type", "a type name or an array of type names");
                return false;
            }
        };
        if let Some(unknown) = names.iter().find(|n| !TYPE_NAMES.contains(n)) {
            self.push(path, format!("invalid schema: unknown type `{unknown}`"));
            return false;
        }
        if names.iter().any(|n| matches_type(n, value)) {
            true
        } else {
            self.push(
                path,
                format!("expected {}, got {}", names.join(" or "), type_name(value)),
            );
            false
        }
    }

    /// Shapes of keywords that apply to other types than `value`'s (those of `value`'s own
    /// type were checked while applying them).
    fn check_keyword_shapes(&mut self, s: &Map<String, Value>, value: &Value, path: &Path) {
        if !value.is_number() {
            for k in ["minimum", "maximum"] {
                if s.get(k).is_some_and(|v| !v.is_number()) {
                    self.bad_schema(path, k, "a number");
                }
            }
        }
        let mut counts: Vec<&str> = Vec::new();
        if !value.is_string() {
            counts.extend(["minLength", "maxLength"]);
        }
        if !value.is_array() {
            counts.extend(["minItems", "maxItems"]);
        }
        for k in counts {
            if s.get(k).is_some_and(|v| non_negative_int(v).is_none()) {
                self.bad_schema(path, k, "a non-negative integer");
            }
        }
        if !value.is_array()
            && s.get("items")
                .is_some_and(|i| !(i.is_object() || i.is_boolean()))
        {
            self.bad_schema(path, "items", "a schema (an object or a boolean)");
        }
        if !value.is_object() {
            let mut shape = Vec::new();
            check_object_keywords(s, "", &mut shape);
            if let Some(first) = shape.into_iter().next() {
                self.push(path, format!("invalid schema: {}", first.message));
            }
        }
    }

    fn number(&mut self, s: &Map<String, Value>, n: &serde_json::Number, path: &Path) {
        if let Some(min) = s.get("minimum") {
            match min {
                Value::Number(m) if num_lt(n, m) => self.push(path, format!("must be >= {m}")),
                Value::Number(_) => {}
                _ => self.bad_schema(path, "minimum", "a number"),
            }
        }
        if let Some(max) = s.get("maximum") {
            match max {
                Value::Number(m) if num_lt(m, n) => self.push(path, format!("must be <= {m}")),
                Value::Number(_) => {}
                _ => self.bad_schema(path, "maximum", "a number"),
            }
        }
    }

    fn string(&mut self, s: &Map<String, Value>, text: &str, path: &Path) {
        let len = text.chars().count() as u64;
        if let Some(min) = s.get("minLength") {
            match non_negative_int(min) {
                Some(m) if len < m => self.push(path, format!("must be at least {m} characters")),
                Some(_) => {}
                None => self.bad_schema(path, "minLength", "a non-negative integer"),
            }
        }
        if let Some(max) = s.get("maxLength") {
            match non_negative_int(max) {
                Some(m) if len > m => self.push(path, format!("must be at most {m} characters")),
                Some(_) => {}
                None => self.bad_schema(path, "maxLength", "a non-negative integer"),
            }
        }
    }

    fn array(&mut self, s: &Map<String, Value>, items: &[Value], path: &mut Path) {
        let len = items.len() as u64;
        if let Some(min) = s.get("minItems") {
            match non_negative_int(min) {
                Some(m) if len < m => self.push(path, format!("must have at least {m} items")),
                Some(_) => {}
                None => self.bad_schema(path, "minItems", "a non-negative integer"),
            }
        }
        if let Some(max) = s.get("maxItems") {
            match non_negative_int(max) {
                Some(m) if len > m => self.push(path, format!("must have at most {m} items")),
                Some(_) => {}
                None => self.bad_schema(path, "maxItems", "a non-negative integer"),
            }
        }
        if let Some(item_schema) = s.get("items") {
            if !(item_schema.is_object() || item_schema.is_boolean()) {
                self.bad_schema(path, "items", "a schema (an object or a boolean)");
                return;
            }
            for (i, item) in items.iter().enumerate() {
                if self.full() {
                    return;
                }
                path.with_index(i, |p| self.node(item_schema, item, p));
            }
        }
    }

    fn object(&mut self, s: &Map<String, Value>, obj: &Map<String, Value>, path: &mut Path) {
        let mut shape = Vec::new();
        check_object_keywords(s, "", &mut shape);
        if !shape.is_empty() {
            for v in shape {
                self.push(path, format!("invalid schema: {}", v.message));
            }
            return;
        }
        let empty = Map::new();
        let props = s
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        if let Some(required) = s.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !obj.contains_key(name) {
                    self.push(path, format!("missing required property `{name}`"));
                }
            }
        }
        for (key, val) in obj {
            if self.full() {
                return;
            }
            if let Some(sub) = props.get(key) {
                path.with_key(key, |p| self.node(sub, val, p));
                continue;
            }
            match s.get("additionalProperties") {
                None | Some(Value::Bool(true)) => {}
                Some(Value::Bool(false)) => {
                    path.with_key(key, |p| self.push(p, "property is not allowed"));
                }
                Some(extra) => path.with_key(key, |p| self.node(extra, val, p)),
            }
        }
    }
}

/// Shape errors of `properties`, `required` and `additionalProperties` (not their
/// subschemas), with paths relative to `at`.
fn check_object_keywords(s: &Map<String, Value>, at: &str, out: &mut Vec<SchemaViolation>) {
    let mut bad = |keyword: &str, expected: &str| {
        out.push(SchemaViolation {
            path: at.to_owned(),
            message: format!("`{keyword}` must be {expected}"),
        });
    };
    if s.get("properties").is_some_and(|p| !p.is_object()) {
        bad("properties", "an object of schemas");
    }
    if let Some(r) = s.get("required") {
        let ok = r
            .as_array()
            .is_some_and(|list| list.iter().all(Value::is_string));
        if !ok {
            bad("required", "an array of property names");
        }
    }
    if s.get("additionalProperties")
        .is_some_and(|a| !(a.is_boolean() || a.is_object()))
    {
        bad("additionalProperties", "a boolean or a schema");
    }
}

// ---------------------------------------------------------------------------------------
// Schema checking.

fn check_node(schema: &Value, at: &str, out: &mut Vec<SchemaViolation>) {
    let s = match schema {
        Value::Bool(_) => return,
        Value::Object(s) => s,
        _ => {
            out.push(SchemaViolation {
                path: at.to_owned(),
                message: "a schema must be an object or a boolean".to_owned(),
            });
            return;
        }
    };
    let mut bad = |message: String| {
        out.push(SchemaViolation {
            path: at.to_owned(),
            message,
        });
    };
    for key in s.keys() {
        if !SUPPORTED_KEYWORDS.contains(&key.as_str())
            && !ANNOTATION_KEYWORDS.contains(&key.as_str())
        {
            bad(format!("unsupported keyword `{key}`"));
        }
    }
    if let Some(t) = s.get("type") {
        let names: Option<Vec<&str>> = match t {
            Value::String(n) => Some(vec![n.as_str()]),
            Value::Array(list) if !list.is_empty() => list.iter().map(Value::as_str).collect(),
            _ => None,
        };
        match names {
            Some(names) if names.iter().all(|n| TYPE_NAMES.contains(n)) => {}
            _ => bad("`type` must be a known type name or a non-empty array of them".to_owned()),
        }
    }
    if s.get("enum")
        .is_some_and(|e| e.as_array().is_none_or(Vec::is_empty))
    {
        bad("`enum` must be a non-empty array".to_owned());
    }
    for k in ["minimum", "maximum"] {
        if s.get(k).is_some_and(|v| !v.is_number()) {
            bad(format!("`{k}` must be a number"));
        }
    }
    for k in ["minLength", "maxLength", "minItems", "maxItems"] {
        if s.get(k).is_some_and(|v| non_negative_int(v).is_none()) {
            bad(format!("`{k}` must be a non-negative integer"));
        }
    }
    check_object_keywords(s, at, out);
    if let Some(Value::Object(props)) = s.get("properties") {
        for (name, sub) in props {
            check_node(sub, &format!("{at}/properties/{name}"), out);
        }
    }
    if let Some(extra @ Value::Object(_)) = s.get("additionalProperties") {
        check_node(extra, &format!("{at}/additionalProperties"), out);
    }
    if let Some(items) = s.get("items") {
        check_node(items, &format!("{at}/items"), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refund_schema() -> Value {
        json!({
            "type": "object",
            "description": "Refund a purchase",
            "properties": {
                "purchase_id": {"type": "string", "minLength": 3, "maxLength": 40},
                "amount_cents": {"type": "integer", "minimum": 1, "maximum": 50000},
                "reason": {"enum": ["duplicate", "requested_by_customer"]},
                "notify": {"type": "boolean"},
                "note": {"type": ["string", "null"]},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
                "currency": {"const": "usd"},
                "ratio": {"type": "number", "minimum": 0, "maximum": 1},
            },
            "required": ["purchase_id", "amount_cents", "reason"],
            "additionalProperties": false,
        })
    }

    fn errors(schema: &Value, value: Value) -> Vec<String> {
        match validate(schema, &value) {
            Ok(()) => vec![],
            Err(v) => v.into_iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn a_good_value_passes() {
        let s = refund_schema();
        assert!(check_schema(&s).is_ok());
        assert_eq!(
            errors(
                &s,
                json!({"purchase_id": "pur_1", "amount_cents": 2500, "reason": "duplicate",
                       "notify": true, "note": null, "tags": ["a"], "currency": "usd", "ratio": 0.5})
            ),
            Vec::<String>::new()
        );
        assert!(
            validate(
                &s,
                &json!({"purchase_id": "pur_1", "amount_cents": 1, "reason": "duplicate", "note": "x"})
            )
            .is_ok()
        );
    }

    #[test]
    fn wrong_types() {
        let s = refund_schema();
        let e = errors(
            &s,
            json!({"purchase_id": 7, "amount_cents": "2500", "reason": "duplicate",
                   "notify": "yes", "note": 1, "ratio": "half"}),
        );
        assert_eq!(
            e,
            vec![
                "$.amount_cents: expected integer, got string",
                "$.note: expected string or null, got integer",
                "$.notify: expected boolean, got string",
                "$.purchase_id: expected string, got integer",
                "$.ratio: expected number, got string",
            ]
        );
        assert_eq!(
            errors(&s, json!("not an object")),
            vec!["$: expected object, got string"]
        );
        assert_eq!(
            errors(&s, json!(null)),
            vec!["$: expected object, got null"]
        );
    }

    #[test]
    fn integer_is_strict() {
        let s = json!({"type": "integer"});
        assert!(validate(&s, &json!(3)).is_ok());
        assert!(validate(&s, &json!(u64::MAX)).is_ok());
        assert_eq!(
            errors(&s, json!(3.0)),
            vec!["$: expected integer, got number"]
        );
        assert_eq!(
            errors(&s, json!(2.5)),
            vec!["$: expected integer, got number"]
        );
        // `number` takes integers too.
        assert!(validate(&json!({"type": "number"}), &json!(3)).is_ok());
    }

    #[test]
    fn missing_required_and_extra_properties() {
        let s = refund_schema();
        assert_eq!(
            errors(
                &s,
                json!({"purchase_id": "pur_1", "admin": true, "weird key!": 1})
            ),
            vec![
                "$: missing required property `amount_cents`",
                "$: missing required property `reason`",
                "$.admin: property is not allowed",
                "$[\"weird key!\"]: property is not allowed",
            ]
        );
        // Without `additionalProperties: false`, extras are allowed.
        let open = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        assert!(validate(&open, &json!({"a": "x", "b": 1})).is_ok());
        // A schema for extras is applied to them.
        let typed = json!({"type": "object", "additionalProperties": {"type": "integer"}});
        assert!(validate(&typed, &json!({"x": 1})).is_ok());
        assert_eq!(
            errors(&typed, json!({"x": "1"})),
            vec!["$.x: expected integer, got string"]
        );
    }

    #[test]
    fn enum_const_and_ranges() {
        let s = refund_schema();
        let base = |k: &str, v: Value| {
            let mut o = json!({"purchase_id": "pur_1", "amount_cents": 10, "reason": "duplicate"});
            o[k] = v;
            o
        };
        assert_eq!(
            errors(&s, base("reason", json!("because I said so"))),
            vec!["$.reason: must be one of \"duplicate\", \"requested_by_customer\""]
        );
        assert_eq!(
            errors(&s, base("currency", json!("eur"))),
            vec!["$.currency: must be \"usd\""]
        );
        assert_eq!(
            errors(&s, base("amount_cents", json!(0))),
            vec!["$.amount_cents: must be >= 1"]
        );
        assert_eq!(
            errors(&s, base("amount_cents", json!(50001))),
            vec!["$.amount_cents: must be <= 50000"]
        );
        assert_eq!(
            errors(
                &s,
                base("amount_cents", json!(-9_223_372_036_854_775_807_i64))
            ),
            vec!["$.amount_cents: must be >= 1"]
        );
        assert_eq!(
            errors(&s, base("ratio", json!(1.0001))),
            vec!["$.ratio: must be <= 1"]
        );
        assert!(validate(&s, &base("ratio", json!(1))).is_ok());
        assert_eq!(
            errors(&s, base("purchase_id", json!("ab"))),
            vec!["$.purchase_id: must be at least 3 characters"]
        );
        assert_eq!(
            errors(&s, base("purchase_id", json!("x".repeat(41)))),
            vec!["$.purchase_id: must be at most 40 characters"]
        );
        // Code points, not bytes: 3 characters, 6 bytes.
        assert!(validate(&s, &base("purchase_id", json!("ééé"))).is_ok());
        // Numbers compare by value in enum/const.
        assert!(validate(&json!({"enum": [1, 2]}), &json!(2.0)).is_ok());
    }

    #[test]
    fn arrays() {
        let s = refund_schema();
        let with_tags = |t: Value| json!({"purchase_id": "pur_1", "amount_cents": 10, "reason": "duplicate", "tags": t});
        assert_eq!(
            errors(&s, with_tags(json!([]))),
            vec!["$.tags: must have at least 1 items"]
        );
        assert_eq!(
            errors(&s, with_tags(json!(["a", "b", "c", "d"]))),
            vec!["$.tags: must have at most 3 items"]
        );
        assert_eq!(
            errors(&s, with_tags(json!(["a", 2]))),
            vec!["$.tags[1]: expected string, got integer"]
        );
    }

    #[test]
    fn unsupported_keywords_fail_closed() {
        for (kw, val) in [
            ("pattern", json!("^pur_")),
            ("format", json!("email")),
            ("anyOf", json!([{"type": "string"}])),
            ("$ref", json!("#/$defs/x")),
            ("exclusiveMaximum", json!(10)),
        ] {
            let mut schema = json!({"type": "string"});
            schema[kw] = val;
            let e = validate(&schema, &json!("pur_ok")).unwrap_err();
            assert_eq!(e.len(), 1, "{kw}");
            assert!(e[0].message.contains(kw), "{kw}: {e:?}");
            let c = check_schema(&schema).unwrap_err();
            assert!(c[0].message.contains(kw), "{c:?}");
        }
        // Nested, too: an unsupported keyword deep inside rejects values that reach it.
        let nested = json!({"type": "object", "properties": {"email": {"type": "string", "format": "email"}}});
        assert!(validate(&nested, &json!({"email": "x"})).is_err());
        assert_eq!(
            check_schema(&nested).unwrap_err()[0].path,
            "#/properties/email"
        );
    }

    #[test]
    fn malformed_schemas_fail_closed() {
        for schema in [
            json!({"type": "strnig"}),
            json!({"type": []}),
            json!({"type": 5}),
            json!({"enum": "a"}),
            json!({"enum": []}),
            json!({"type": "number", "minimum": "1"}),
            json!({"type": "string", "maxLength": -1}),
            json!({"type": "object", "required": "a"}),
            json!({"type": "object", "properties": []}),
            json!({"type": "object", "additionalProperties": "no"}),
            json!({"type": "array", "items": 3}),
            json!("string"),
        ] {
            assert!(check_schema(&schema).is_err(), "{schema}");
        }
        // Validation rejects when the malformed keyword applies to the value's type …
        for (schema, value) in [
            (json!({"type": "strnig"}), json!("x")),
            (json!({"enum": "a"}), json!("a")),
            (json!({"type": "number", "minimum": "1"}), json!(5)),
            (json!({"type": "string", "maxLength": -1}), json!("x")),
            (json!({"type": "object", "required": "a"}), json!({"a": 1})),
            (
                json!({"type": "object", "additionalProperties": "no"}),
                json!({"b": 1}),
            ),
            (json!({"type": "array", "items": 3}), json!([1])),
            (json!("string"), json!("x")),
        ] {
            assert!(validate(&schema, &value).is_err(), "{schema} {value}");
        }
        // … and also when it does not (a broken schema never lets anything through).
        assert!(validate(&json!({"minimum": "1"}), &json!("x")).is_err());
        assert!(validate(&json!({"required": 1}), &json!(3)).is_err());
        assert!(validate(&json!({"maxItems": "2"}), &json!({})).is_err());
        assert!(validate(&json!({"items": 2}), &json!("x")).is_err());
    }

    #[test]
    fn boolean_schemas_and_annotations() {
        assert!(validate(&json!(true), &json!({"anything": [1]})).is_ok());
        assert_eq!(
            errors(&json!(false), json!(1)),
            vec!["$: no value is allowed here"]
        );
        let s = json!({"$schema": "https://json-schema.org/draft/2020-12/schema",
                       "title": "t", "description": "d", "default": 1, "examples": [1],
                       "$comment": "c", "type": "integer"});
        assert!(check_schema(&s).is_ok());
        assert!(validate(&s, &json!(1)).is_ok());
    }

    #[test]
    fn violations_are_capped() {
        let s = json!({"type": "array", "items": {"type": "string"}});
        let e = validate(&s, &json!(vec![1; 1000])).unwrap_err();
        assert_eq!(e.len(), MAX_VIOLATIONS);
    }
}
