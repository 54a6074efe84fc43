//! The API reference page's data: the OpenAPI document served at `/api/v1/openapi.json`, read into
//! what a person looks up (operations by tag, their parameters, bodies and answers, and each
//! schema's fields). Readable signed out, like the document.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceData {
    pub title: String,
    pub description: String,
    pub groups: Vec<OperationGroup>,
    pub schemas: Vec<SchemaDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationGroup {
    pub tag: String,
    pub description: String,
    pub operations: Vec<OperationDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationDoc {
    pub id: String,
    pub method: String,
    /// With the `/api/v1` prefix, as a client types it.
    pub path: String,
    pub summary: String,
    /// How it authenticates: an API token, an integration token, or none needed.
    pub auth: String,
    pub params: Vec<FieldDoc>,
    pub body: Option<String>,
    /// Status, what it means, and the body's type.
    pub responses: Vec<(String, String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaDoc {
    pub name: String,
    pub description: String,
    /// A string schema's allowed values.
    pub values: Vec<String>,
    pub fields: Vec<FieldDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDoc {
    pub name: String,
    pub kind: String,
    pub required: bool,
    pub description: String,
}

#[server]
pub async fn api_reference() -> Result<ReferenceData, AppError> {
    static DATA: std::sync::LazyLock<Result<ReferenceData, String>> = std::sync::LazyLock::new(|| {
        let doc = serde_json::from_str(super::rest::openapi::json()).map_err(|e| e.to_string())?;
        Ok(read::reference(&doc))
    });
    DATA.clone().map_err(crate::error::internal)
}

#[cfg(feature = "ssr")]
mod read {
    use super::*;
    use serde_json::Value;

    fn text(v: &Value) -> String {
        v.as_str().unwrap_or_default().to_string()
    }

    /// A schema as a short type: `Incident`, `[Incident]`, `string or null`, `string (date-time)`.
    pub fn kind(s: &Value) -> String {
        if let Some(r) = s["$ref"].as_str() {
            return r.rsplit('/').next().unwrap_or(r).to_string();
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            if let Some(all) = s[key].as_array() {
                return all.iter().map(kind).collect::<Vec<_>>().join(" or ");
            }
        }
        let base = match &s["type"] {
            Value::String(t) if t == "array" => format!("[{}]", kind(&s["items"])),
            Value::String(t) => t.clone(),
            Value::Array(ts) => ts
                .iter()
                .map(|t| if t == "array" { format!("[{}]", kind(&s["items"])) } else { text(t) })
                .collect::<Vec<_>>()
                .join(" or "),
            _ if s.get("enum").is_some() => "string".into(),
            _ => "any".into(),
        };
        match s["format"].as_str() {
            Some(f) => format!("{base} ({f})"),
            None => base,
        }
    }

    fn fields(s: &Value) -> Vec<FieldDoc> {
        let required: Vec<&str> =
            s["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        let Some(props) = s["properties"].as_object() else { return vec![] };
        props
            .iter()
            .map(|(name, p)| FieldDoc {
                name: name.clone(),
                kind: kind(p),
                required: required.contains(&name.as_str()),
                description: text(&p["description"]),
            })
            .collect()
    }

    fn auth(op: &Value) -> String {
        match op["security"].as_array() {
            Some(s) if s.iter().any(|r| r.get("integration_token").is_some()) => "Integration token".into(),
            Some(s) if s.iter().any(|r| r.as_object().is_some_and(|o| o.is_empty())) => "None needed".into(),
            _ => "API token".into(),
        }
    }

    fn operation(method: &str, path: &str, op: &Value) -> OperationDoc {
        let params = op["parameters"].as_array().into_iter().flatten();
        let body = op["requestBody"]["content"].as_object().and_then(|c| c.values().next()).map(|c| kind(&c["schema"]));
        let responses = op["responses"].as_object().into_iter().flatten().map(|(status, r)| {
            let body = r["content"].as_object().map(|c| {
                c.iter()
                    .map(|(media, c)| if c["schema"].is_null() { media.clone() } else { kind(&c["schema"]) })
                    .collect::<Vec<_>>()
                    .join(" or ")
            });
            (status.clone(), text(&r["description"]), body.unwrap_or_default())
        });
        OperationDoc {
            id: text(&op["operationId"]),
            method: method.to_uppercase(),
            path: format!("/api/v1{path}"),
            summary: text(&op["summary"]),
            auth: auth(op),
            params: params
                .map(|p| FieldDoc {
                    name: format!("{} ({})", text(&p["name"]), text(&p["in"])),
                    kind: kind(&p["schema"]),
                    required: p["required"].as_bool().unwrap_or(false),
                    description: text(&p["description"]),
                })
                .collect(),
            body,
            responses: responses.collect(),
        }
    }

    pub fn reference(doc: &Value) -> ReferenceData {
        let tags = doc["tags"].as_array().cloned().unwrap_or_default();
        let mut groups: Vec<OperationGroup> = tags
            .iter()
            .map(|t| OperationGroup { tag: text(&t["name"]), description: text(&t["description"]), operations: vec![] })
            .collect();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let tag = text(&op["tags"][0]);
                if let Some(g) = groups.iter_mut().find(|g| g.tag == tag) {
                    g.operations.push(operation(method, path, op));
                }
            }
        }
        let schemas = doc["components"]["schemas"].as_object().into_iter().flatten().map(|(name, s)| SchemaDoc {
            name: name.clone(),
            description: text(&s["description"]),
            values: s["enum"].as_array().map(|v| v.iter().map(text).collect()).unwrap_or_default(),
            fields: fields(s),
        });
        ReferenceData {
            title: text(&doc["info"]["title"]),
            description: text(&doc["info"]["description"]),
            groups,
            schemas: schemas.collect(),
        }
    }
}
