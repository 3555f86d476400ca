//! A language-neutral view of `openapi.json`: the operations the bindings
//! expose and the schemas they use. Both surface generators read only this.

use std::collections::BTreeMap;

use serde_json::Value;

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// The parts of the spec the bindings are generated from.
pub struct Api {
    pub title: String,
    pub version: String,
    pub operations: Vec<Operation>,
    pub schemas: BTreeMap<String, Schema>,
}

pub struct Operation {
    /// operationId as written in the spec (camelCase).
    pub id: String,
    /// snake_case id: the name `Client::call` dispatches on (progenitor's naming).
    pub snake: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub tag: Option<String>,
    pub source: Option<String>,
    /// `x-bsa-source` of the request body and of the success response, when
    /// only they (not the operation) come from another revision.
    pub body_source: Option<String>,
    /// Path parameters in path order, then query parameters in spec order.
    pub params: Vec<Param>,
    pub body: Option<Body>,
    /// Name of the success response schema, `None` for an empty success body.
    pub response: Option<String>,
    /// Item schema when the response is a pagination envelope and the
    /// operation takes a `page` parameter.
    pub list_item: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    /// A part of a `multipart/form-data` body.
    Form,
}

pub struct Param {
    /// Name on the wire.
    pub name: String,
    /// snake_case: the argument key `Client::call` expects.
    pub snake: String,
    pub camel: String,
    pub location: Location,
    pub required: bool,
    pub ty: Type,
    pub description: String,
}

pub struct Body {
    pub schema: String,
    pub required: bool,
}

pub struct Schema {
    pub name: String,
    pub description: String,
    pub properties: Vec<Property>,
    /// Whether unknown fields are kept (`additionalProperties: {}` or `true`).
    pub open: bool,
    /// No `type` and no properties: any JSON value (an object, an array, `null`).
    pub any: bool,
}

pub struct Property {
    /// Name on the wire (camelCase).
    pub json: String,
    pub snake: String,
    pub required: bool,
    pub ty: Type,
    /// `nullable: true`: the field may be present with the value `null`.
    pub nullable: bool,
    pub description: String,
    pub source: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    String,
    /// `format: date` (requests only; responses carry plain strings).
    Date,
    Integer,
    Number,
    Boolean,
    /// A named schema.
    Ref(String),
    Array(Box<Type>),
    /// `oneOf` / `anyOf`.
    Union(Vec<Type>),
    /// String with a closed set of values (request parameters only).
    Enum(Vec<String>),
    /// Any JSON (an empty schema or a free-form object).
    Any,
    /// A file (`format: binary`, a multipart part).
    Binary,
}

impl Api {
    pub fn from_json(doc: &Value) -> Result<Self, String> {
        let mut schemas = BTreeMap::new();
        if let Some(map) = doc["components"]["schemas"].as_object() {
            for (name, schema) in map {
                schemas.insert(name.clone(), parse_schema(doc, name, schema));
            }
        }
        let mut operations = Vec::new();
        let default_security = &doc["security"];
        let paths = doc["paths"]
            .as_object()
            .ok_or("openapi.json has no paths")?;
        for (path, item) in paths {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                // Same rule as build.rs: only bearer-auth operations are
                // generated (and so reachable through `call`).
                let security = op.get("security").unwrap_or(default_security);
                let bearer = security
                    .as_array()
                    .is_some_and(|s| s.iter().any(|req| req.get("bearerAuth").is_some()));
                if !bearer {
                    continue;
                }
                operations.push(parse_operation(doc, path, method, item, op)?);
            }
        }
        Ok(Self {
            title: doc["info"]["title"].as_str().unwrap_or_default().to_owned(),
            version: doc["info"]["version"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            operations,
            schemas,
        })
    }

    /// Schemas reachable from the operations (bodies, responses and their fields).
    pub fn used_schemas(&self) -> Vec<&Schema> {
        let mut seen = std::collections::BTreeSet::new();
        let mut stack: Vec<String> = Vec::new();
        for op in &self.operations {
            stack.extend(op.body.as_ref().map(|b| b.schema.clone()));
            stack.extend(op.response.clone());
        }
        while let Some(name) = stack.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(schema) = self.schemas.get(&name) {
                for p in &schema.properties {
                    p.ty.refs(&mut stack);
                }
            }
        }
        seen.iter().filter_map(|n| self.schemas.get(n)).collect()
    }
}

impl Type {
    fn refs(&self, out: &mut Vec<String>) {
        match self {
            Type::Ref(name) => out.push(name.clone()),
            Type::Array(inner) => inner.refs(out),
            Type::Union(types) => types.iter().for_each(|t| t.refs(out)),
            _ => {}
        }
    }
}

fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            resolve(doc, doc.pointer(pointer).unwrap_or(&Value::Null))
        }
        None => value,
    }
}

fn ref_name(value: &Value) -> Option<String> {
    value
        .get("$ref")?
        .as_str()?
        .rsplit('/')
        .next()
        .map(str::to_owned)
}

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().trim().to_owned()
}

fn parse_type(schema: &Value) -> Type {
    if let Some(name) = ref_name(schema) {
        return Type::Ref(name);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(variants) = schema[key].as_array() {
            return Type::Union(variants.iter().map(parse_type).collect());
        }
    }
    match schema["type"].as_str() {
        Some("string") if schema["format"] == "binary" => Type::Binary,
        Some("string") => match (schema["format"].as_str(), schema["enum"].as_array()) {
            (Some("date"), _) => Type::Date,
            (_, Some(values)) => Type::Enum(
                values
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            ),
            _ => Type::String,
        },
        Some("integer") => Type::Integer,
        Some("number") => Type::Number,
        Some("boolean") => Type::Boolean,
        Some("array") => Type::Array(Box::new(parse_type(&schema["items"]))),
        _ => Type::Any,
    }
}

fn parse_schema(doc: &Value, name: &str, schema: &Value) -> Schema {
    let schema = resolve(doc, schema);
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let properties: Vec<Property> = schema["properties"]
        .as_object()
        .map(|props| {
            props
                .iter()
                .map(|(json, prop)| Property {
                    json: json.clone(),
                    snake: snake_case(json),
                    required: required.contains(&json.as_str()),
                    ty: parse_type(prop),
                    nullable: prop["nullable"].as_bool().unwrap_or(false),
                    description: text(resolve(doc, prop), "description"),
                    source: prop["x-bsa-source"].as_str().map(str::to_owned),
                })
                .collect()
        })
        .unwrap_or_default();
    let open = match schema.get("additionalProperties") {
        Some(Value::Bool(b)) => *b,
        Some(Value::Object(_)) => true,
        _ => false,
    };
    Schema {
        name: name.to_owned(),
        description: text(schema, "description"),
        any: schema.get("type").is_none() && properties.is_empty() && !open,
        properties,
        open,
    }
}

fn parse_operation(
    doc: &Value,
    path: &str,
    method: &str,
    item: &Value,
    op: &Value,
) -> Result<Operation, String> {
    let id = op["operationId"]
        .as_str()
        .ok_or_else(|| format!("{method} {path}: no operationId"))?
        .to_owned();
    let mut raw_params: Vec<&Value> = Vec::new();
    for list in [&item["parameters"], &op["parameters"]] {
        if let Some(list) = list.as_array() {
            raw_params.extend(list.iter().map(|p| resolve(doc, p)));
        }
    }
    let mut params: Vec<Param> = raw_params
        .iter()
        .filter_map(|p| {
            let location = match p["in"].as_str()? {
                "path" => Location::Path,
                "query" => Location::Query,
                _ => return None,
            };
            let name = p["name"].as_str()?.to_owned();
            Some(Param {
                snake: snake_case(&name),
                camel: camel_case(&name),
                location,
                required: p["required"].as_bool().unwrap_or(false) || location == Location::Path,
                ty: parse_type(&p["schema"]),
                description: text(p, "description"),
                name,
            })
        })
        .collect();
    // Path parameters in the order they appear in the path.
    params.sort_by_key(|p| match p.location {
        Location::Path => path.find(&format!("{{{}}}", p.name)).unwrap_or(0),
        Location::Query | Location::Form => usize::MAX,
    });
    let request = op.get("requestBody").map(|rb| resolve(doc, rb));
    // A multipart body's parts are arguments of their own, like query parameters.
    let form = request.map(|rb| resolve(doc, &rb["content"]["multipart/form-data"]["schema"]));
    if let Some(form) = form.filter(|f| f.is_object()) {
        let required: Vec<&str> = form["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, part) in form["properties"].as_object().into_iter().flatten() {
            params.push(Param {
                snake: snake_case(name),
                camel: camel_case(&snake_case(name)),
                location: Location::Form,
                required: required.contains(&name.as_str()),
                ty: parse_type(part),
                description: text(part, "description"),
                name: name.clone(),
            });
        }
    }
    let body = request
        .filter(|rb| rb["content"].get("application/json").is_some())
        .map(|rb| Body {
            schema: ref_name(&rb["content"]["application/json"]["schema"]).unwrap_or_default(),
            required: rb["required"].as_bool().unwrap_or(false),
        });
    let responses = op["responses"]
        .as_object()
        .ok_or_else(|| format!("{id}: no responses"))?;
    let success = responses
        .iter()
        .find(|(code, _)| code.starts_with('2'))
        .map(|(_, r)| resolve(doc, r));
    let response = success.and_then(|r| ref_name(&r["content"]["application/json"]["schema"]));
    let list_item = response.as_ref().and_then(|name| {
        let schema = resolve(doc, &doc["components"]["schemas"][name]);
        let item = ref_name(&schema["properties"]["items"]["items"])?;
        let paged =
            schema["properties"].get("total").is_some() && params.iter().any(|p| p.name == "page");
        paged.then_some(item)
    });
    Ok(Operation {
        snake: snake_case(&id),
        id,
        method: method.to_uppercase(),
        path: path.to_owned(),
        summary: text(op, "summary"),
        description: text(op, "description"),
        tag: op["tags"][0].as_str().map(str::to_owned),
        source: op["x-bsa-source"].as_str().map(str::to_owned),
        body_source: request
            .and_then(|rb| rb["x-bsa-source"].as_str())
            .or_else(|| success.and_then(|r| r["x-bsa-source"].as_str()))
            .map(str::to_owned),
        params,
        body,
        response,
        list_item,
    })
}

/// `getLoanByExternalId` → `get_loan_by_external_id`, `loan_id` → `loan_id`.
pub fn snake_case(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '-' || c == ' ' {
            out.push('_');
        } else if c.is_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `loan_external_id` → `loanExternalId`; camelCase input is kept.
pub fn camel_case(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' || c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `loan` → `Loan`, `get_loan` → `GetLoan`.
pub fn pascal_case(name: &str) -> String {
    let camel = camel_case(name);
    let mut chars = camel.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake_case("getLoanByExternalId"), "get_loan_by_external_id");
        assert_eq!(snake_case("rowsPerPage"), "rows_per_page");
        assert_eq!(snake_case("loan_id"), "loan_id");
        assert_eq!(snake_case("createCreditBoost"), "create_credit_boost");
        assert_eq!(camel_case("loan_external_id"), "loanExternalId");
        assert_eq!(camel_case("customerExternalId"), "customerExternalId");
        assert_eq!(pascal_case("get_loan"), "GetLoan");
    }
}
