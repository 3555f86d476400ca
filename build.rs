//! Generates the Rust client from `openapi.json`.
//!
//! Two outputs land in `OUT_DIR/codegen.rs` (never committed, never edited):
//! - progenitor's client (types, builders, `Client`), from the operations that
//!   use the API host's bearer auth (the token endpoint belongs to `src/auth.rs`),
//!   plus a builder of the same shape for each `multipart/form-data` operation,
//!   which progenitor cannot generate (sent by `src/multipart.rs`);
//! - `dispatch`, a table from every generated operation id to its builder,
//!   read back from progenitor's own output so the argument types always match.
//!   The Python and Node bindings call operations through it.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

fn main() {
    // BSA_LMS_OPENAPI builds the SDK from another revision of the spec (tests of
    // spec changes use it); normally the committed openapi.json is used.
    println!("cargo:rerun-if-env-changed=BSA_LMS_OPENAPI");
    let path = std::env::var("BSA_LMS_OPENAPI").unwrap_or_else(|_| "openapi.json".to_owned());
    println!("cargo:rerun-if-changed={path}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let mut doc: Value = serde_json::from_str(&text).expect("openapi.json is not valid JSON");
    check_rules(&doc);
    let multipart = multipart_operations(&doc);
    keep_generated_operations(&mut doc);
    confine_path_parameters(&mut doc);
    let routes = route_table(&doc);
    let pages = page_impls(&doc);
    let checks = number_checks(&doc);
    let replay = replay_table(&doc);

    let spec = serde_json::from_value(doc).expect("openapi.json is not an OpenAPI 3.0 document");
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        .with_inner_type("crate::transport::Shared".parse().unwrap())
        .with_derive("PartialEq");
    let tokens = Generator::new(&settings)
        .generate_tokens(&spec)
        .unwrap_or_else(|e| panic!("progenitor rejected openapi.json: {e}"));
    let mut file: syn::File = syn::parse2(tokens).expect("progenitor output parses");
    lenient_integers(&mut file);
    add_multipart(&mut file, &multipart);
    let dispatch = dispatch_source(&file, &routes);
    let extra: syn::File = syn::parse_str(&format!("{dispatch}\n{pages}\n{checks}\n{replay}"))
        .expect("dispatch code parses");
    let client = optional_bodies(prettyplease::unparse(&file), &empty_body_builders(&text));
    let code = format!("{client}\n{}", prettyplease::unparse(&extra));
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("codegen.rs");
    std::fs::write(out, code).expect("write codegen.rs");
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths").iter() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                ops.push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    ops
}

/// progenitor panics without naming the operation on some constructs
/// (TOOLCHAIN.md §2.3); fail first with a message that names it.
fn check_rules(doc: &Value) {
    assert_eq!(
        doc["openapi"].as_str().map(|v| &v[..4]),
        Some("3.0."),
        "openapi.json must be 3.0.x"
    );
    let mut seen = BTreeSet::new();
    for (method, path, op) in operations(doc) {
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path}: missing operationId"));
        assert!(seen.insert(id.to_owned()), "duplicate operationId {id}");
        let responses = op["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{id}: no responses"));
        assert!(
            !responses.contains_key("default"),
            "{id}: use 4XX/5XX, not default"
        );
        let successes: Vec<_> = responses.keys().filter(|k| k.starts_with('2')).collect();
        assert_eq!(
            successes.len(),
            1,
            "{id}: exactly one success response, found {successes:?}"
        );
        if let Some(content) = op["requestBody"]["content"].as_object() {
            let types: Vec<_> = content.keys().collect();
            assert!(
                types == ["application/json"] || types == ["multipart/form-data"],
                "{id}: request bodies are application/json or multipart/form-data, found {types:?}"
            );
        }
    }
}

/// Operations on the API host with bearer auth go to progenitor. The token
/// endpoint (Basic auth, other host) belongs to the token manager, and
/// multipart operations (with the schemas only their bodies use) get builders
/// of their own ([`add_multipart`]).
fn keep_generated_operations(doc: &mut Value) {
    let forms: Vec<String> = operations(doc)
        .iter()
        .filter_map(|(_, _, op)| multipart_schema(op))
        .map(|s| s.rsplit('/').next().unwrap().to_owned())
        .collect();
    let default_security = doc["security"].clone();
    for item in doc["paths"].as_object_mut().unwrap().values_mut() {
        let item = item.as_object_mut().unwrap();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let security = op.get("security").unwrap_or(&default_security);
            let bearer = security
                .as_array()
                .is_some_and(|s| s.iter().any(|req| req.get("bearerAuth").is_some()));
            if !bearer || multipart_schema(op).is_some() {
                item.remove(method);
            }
        }
    }
    doc["paths"].as_object_mut().unwrap().retain(|_, item| {
        item.as_object()
            .unwrap()
            .keys()
            .any(|k| METHODS.contains(&k.as_str()))
    });
    let text = doc["paths"].to_string();
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        for name in forms {
            if !text.contains(&format!("#/components/schemas/{name}\"")) {
                schemas.remove(&name);
            }
        }
    }
}

/// What a path parameter may hold: one non-empty segment that URL parsing
/// leaves alone. `\` becomes `/` and `.`/`..` are resolved as dot segments by
/// the URL parser, so such a value could send the call to another resource
/// (`..\2` would post a repayment to loan 2). Checked when the argument is
/// set, before anything is sent; `/ ? # %` are percent-encoded by the client.
const PATH_SEGMENT_PATTERN: &str = concat!(
    r"^(?:[^\\\u0000-\u001F\u007F.][^\\\u0000-\u001F\u007F]*",
    r"|\.[^\\\u0000-\u001F\u007F.][^\\\u0000-\u001F\u007F]*",
    r"|\.\.[^\\\u0000-\u001F\u007F]+)$"
);

/// Gives every string path parameter [`PATH_SEGMENT_PATTERN`], so that the
/// generated argument types refuse values that would change the route.
fn confine_path_parameters(doc: &mut Value) {
    let confine = |param: &mut Value, owner: &str| {
        if param["in"] != "path" {
            return;
        }
        let name = param["name"].as_str().unwrap_or("?").to_owned();
        let schema = &mut param["schema"];
        if schema["type"] != "string" {
            return;
        }
        assert!(
            schema.get("pattern").is_none(),
            "{owner}: path parameter {name} declares a pattern; the SDK gives every string \
             path parameter its own one-segment pattern, so remove it from openapi.json"
        );
        schema["pattern"] = Value::from(PATH_SEGMENT_PATTERN);
    };
    if let Some(params) = doc["components"]["parameters"].as_object_mut() {
        for (name, param) in params.iter_mut() {
            confine(param, &format!("components.parameters.{name}"));
        }
    }
    for item in doc["paths"].as_object_mut().unwrap().values_mut() {
        for (key, entry) in item.as_object_mut().unwrap().iter_mut() {
            let owner = match entry.get("operationId").and_then(Value::as_str) {
                Some(id) => format!("operation {id}"),
                None => format!("path item {key}"),
            };
            let params = if key == "parameters" {
                entry.as_array_mut()
            } else {
                entry.get_mut("parameters").and_then(Value::as_array_mut)
            };
            for param in params.into_iter().flatten() {
                confine(param, &owner);
            }
        }
    }
}

/// Each generated operation's snake_case id, path template and path parameter names.
struct Route {
    operation: String,
    template: String,
    parameters: Vec<String>,
}

fn route_table(doc: &Value) -> Vec<Route> {
    operations(doc)
        .into_iter()
        .map(|(_, path, op)| Route {
            operation: snake_case(op["operationId"].as_str().unwrap()),
            parameters: path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
                .map(str::to_owned)
                .collect(),
            template: path,
        })
        .collect()
}

/// `getLoanByExternalId` -> `get_loan_by_external_id`, as progenitor names methods.
fn snake_case(id: &str) -> String {
    let mut out = String::new();
    for c in id.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Every schema shaped like the pagination envelope (`items` array + `total`)
/// gets a `Page` impl, so `paginate` works on every list the spec declares.
fn page_impls(doc: &Value) -> String {
    let mut out = String::new();
    let Some(schemas) = doc["components"]["schemas"].as_object() else {
        return out;
    };
    for (name, schema) in schemas {
        let props = &schema["properties"];
        let Some(item_ref) = props["items"]["items"]["$ref"].as_str() else {
            continue;
        };
        if props.get("total").is_none() {
            continue;
        }
        let item = item_ref.rsplit('/').next().unwrap();
        let required = |field: &str| {
            schema["required"]
                .as_array()
                .is_some_and(|r| r.iter().any(|v| v == field))
        };
        let number = |json: &str, rust: &str| match (props.get(json).is_some(), required(json)) {
            (false, _) => "None".to_owned(),
            (true, true) => format!("i64::try_from(self.{rust}).ok()"),
            (true, false) => format!("self.{rust}.and_then(|v| i64::try_from(v).ok())"),
        };
        writeln!(
            out,
            "impl crate::pagination::Page for types::{name} {{\n\
             type Item = types::{item};\n\
             fn into_items(self) -> Vec<Self::Item> {{ self.items{} }}\n\
             fn total(&self) -> Option<i64> {{ {} }}\n\
             fn rows_per_page(&self) -> Option<i64> {{ {} }}\n\
             fn page_number(&self) -> Option<i64> {{ {} }}\n}}",
            // `nullable` items: a `null` list is an empty page.
            if props["items"]["nullable"] == true {
                ".unwrap_or_default()"
            } else {
                ""
            },
            number("total", "total"),
            number("rowsPerPage", "rows_per_page"),
            number("page", "page"),
        )
        .unwrap();
    }
    out
}

/// `minimum`/`maximum` of request fields become checks run before sending,
/// so that e.g. a negative amount fails with the field named.
fn number_checks(doc: &Value) -> String {
    let mut arms = String::new();
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            let Some(props) = schema["properties"].as_object() else {
                continue;
            };
            let mut lines = String::new();
            for (field, prop) in props {
                let bound = |key: &str| {
                    prop[key]
                        .as_f64()
                        .map_or("None".to_owned(), |v| format!("Some({v:?})"))
                };
                let (min, max) = (bound("minimum"), bound("maximum"));
                if min == "None" && max == "None" {
                    continue;
                }
                let exclusive = |key: &str| prop[key].as_bool().unwrap_or(false);
                writeln!(
                    lines,
                    "crate::dispatch::check_number(body, {field:?}, {min}, {}, {max}, {})?;",
                    exclusive("exclusiveMinimum"),
                    exclusive("exclusiveMaximum")
                )
                .unwrap();
            }
            if !lines.is_empty() {
                writeln!(arms, "{name:?} => {{ {lines} }}").unwrap();
            }
        }
    }
    format!(
        "#[allow(clippy::match_single_binding)]\n\
         fn check_numbers(schema: &str, body: &serde_json::Value) -> Result<(), crate::Error> {{\n\
         match schema {{ {arms} _ => {{}} }}\nOk(())\n}}"
    )
}

/// The `x-bsa-replay` facts of every POST operation, checked against the
/// spec (fields named must exist, a recovery lookup must be a GET by one path
/// parameter), as `replay::facts`: the transport decides what it may replay
/// from this table alone, so no operation is named in hand-written code. A
/// POST without facts (say, one just added to the spec) is never replayed
/// once sent; the spec's tests require facts on every committed POST.
fn replay_table(doc: &Value) -> String {
    let schema_of = |schema: &Value| -> Value {
        match schema["$ref"].as_str() {
            Some(r) => doc["components"]["schemas"][r.rsplit('/').next().unwrap()].clone(),
            None => schema.clone(),
        }
    };
    let has_property = |schema: &Value, field: &str| schema["properties"].get(field).is_some();
    let ops = operations(doc);
    let mut arms = String::new();
    let mut writes = Vec::new();
    for (method, path, op) in &ops {
        let id = op["operationId"].as_str().unwrap();
        if method != "GET" {
            writes.push(format!("{:?}", snake_case(id)));
        }
        let ext = &op["x-bsa-replay"];
        if method != "POST" {
            assert!(
                ext.is_null(),
                "{id}: x-bsa-replay belongs on POST operations only ({method} is replayed by method)"
            );
            continue;
        }
        let fail = |rule: &str| -> ! { panic!("{id} ({method} {path}): x-bsa-replay {rule}") };
        if ext.is_null() {
            continue;
        }
        if !ext.is_object() {
            fail("must be an object");
        }
        let body = schema_of(&op["requestBody"]["content"]["application/json"]["schema"]);
        let moves_money = ext["movesMoney"]
            .as_bool()
            .unwrap_or_else(|| fail("needs movesMoney: true or false"));
        let source = |fact: &Value, what: &str| {
            if fact["source"].as_str().is_none_or(str::is_empty) {
                fail(&format!("{what} needs a source (its provenance)"));
            }
        };
        let key = match &ext["idempotencyKey"] {
            Value::Null => "None".to_owned(),
            fact => {
                source(fact, "idempotencyKey");
                let field = fact["field"]
                    .as_str()
                    .unwrap_or_else(|| fail("idempotencyKey needs a field"));
                if !has_property(&body, field) {
                    fail(&format!(
                        "idempotencyKey.field {field:?} is not a request body field"
                    ));
                }
                let documented = match fact["honoured"].as_str() {
                    Some("documented") => true,
                    Some("inferred") => false,
                    _ => fail("idempotencyKey.honoured must be \"documented\" or \"inferred\""),
                };
                format!(
                    "Some(crate::dispatch::IdempotencyKey {{ field: {field:?}, documented: {documented} }})"
                )
            }
        };
        let recovery = match &ext["recovery"] {
            Value::Null => "None".to_owned(),
            fact => {
                source(fact, "recovery");
                let field = fact["key"]
                    .as_str()
                    .unwrap_or_else(|| fail("recovery needs a key"));
                if !has_property(&body, field) {
                    fail(&format!(
                        "recovery.key {field:?} is not a request body field"
                    ));
                }
                let lookup = fact["lookup"]
                    .as_str()
                    .unwrap_or_else(|| fail("recovery needs a lookup"));
                let Some((lookup_method, lookup_path, lookup_op)) =
                    ops.iter().find(|(_, _, o)| o["operationId"] == lookup)
                else {
                    fail(&format!(
                        "recovery.lookup {lookup:?} is not a generated operation"
                    ))
                };
                if lookup_method != "GET" || lookup_path.matches('{').count() != 1 {
                    fail(&format!(
                        "recovery.lookup {lookup:?} must be a GET by one path parameter"
                    ));
                }
                let answer = |o: &Value| {
                    o["responses"]["200"]["content"]["application/json"]["schema"].clone()
                };
                if answer(lookup_op) != answer(op) {
                    fail(&format!(
                        "recovery.lookup {lookup:?} must answer the same schema as the create"
                    ));
                }
                let found = schema_of(&answer(lookup_op));
                let mut pairs = String::new();
                for (asked, got) in fact["match"]
                    .as_object()
                    .unwrap_or_else(|| fail("recovery needs a match object"))
                {
                    let got = got
                        .as_str()
                        .unwrap_or_else(|| fail("recovery.match values name response fields"));
                    if !has_property(&body, asked) || !has_property(&found, got) {
                        fail(&format!(
                            "recovery.match {asked:?} -> {got:?} names a field that does not exist"
                        ));
                    }
                    write!(pairs, "({asked:?}, {got:?}),").unwrap();
                }
                format!(
                    "Some(crate::dispatch::Recovery {{ key: {field:?}, lookup: {:?}, route: {lookup_path:?}, matches: &[{pairs}] }})",
                    snake_case(lookup)
                )
            }
        };
        writeln!(
            arms,
            "{:?} => Some(&crate::dispatch::ReplayFacts {{ moves_money: {moves_money}, idempotency_key: {key}, recovery: {recovery} }}),",
            snake_case(id)
        )
        .unwrap();
    }
    format!(
        "/// Per-operation replay facts (`x-bsa-replay` in openapi.json).\n\
         pub mod replay {{\n\
         /// The facts of a POST operation; `None` for other methods.\n\
         pub(crate) fn facts(operation: &str) -> Option<&'static crate::dispatch::ReplayFacts> {{\n\
         match operation {{ {arms} _ => None }}\n}}\n\
         /// Whether the operation can change server state (any method but GET).\n\
         pub(crate) fn writes(operation: &str) -> bool {{\n\
         matches!(operation, {})\n}}\n}}",
        writes.join(" | ")
    )
}

/// One builder setter: the argument name and the Rust type it converts into.
struct Setter {
    name: String,
    target: String,
}

fn dispatch_source(file: &syn::File, routes: &[Route]) -> String {
    // `impl Client { pub fn get_loan(&self) -> builder::GetLoan<'_> }`
    let mut ops: Vec<(String, String)> = Vec::new();
    for item in &file.items {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || !type_is(&imp.self_ty, "Client") {
            continue;
        }
        for it in &imp.items {
            let syn::ImplItem::Fn(f) = it else { continue };
            if let syn::ReturnType::Type(_, ty) = &f.sig.output {
                let ret = quote_type(ty);
                if let Some(rest) = ret.strip_prefix("builder::") {
                    let builder = rest.split('<').next().unwrap().to_owned();
                    ops.push((f.sig.ident.to_string(), builder));
                }
            }
        }
    }
    let setters = builder_setters(file);

    let mut out = String::from(
        "/// Calls an operation by its snake_case id with JSON arguments (generated from openapi.json).\n\
         pub mod dispatch {\n\
         #[allow(unused_imports)]\n\
         use super::{types, Client};\n\
         use crate::dispatch::{respond, unknown_operation, Args};\n\n\
         /// Every operation `call` knows, in spec order.\n\
         pub const OPERATIONS: &[&str] = &[\n",
    );
    for (name, _) in &ops {
        writeln!(out, "    {name:?},").unwrap();
    }
    out.push_str(
        "];\n\n\
         pub async fn call(client: &Client, operation: &str, mut args: Args) \
         -> Result<Box<serde_json::value::RawValue>, crate::Error> {\n\
         match operation {\n",
    );
    for (name, builder) in &ops {
        let path_parameters = routes
            .iter()
            .find(|r| &r.operation == name)
            .map_or(&[][..], |r| &r.parameters[..]);
        let own: Vec<&Setter> = setters
            .iter()
            .filter(|(b, _)| b == builder)
            .flat_map(|(_, s)| s)
            .collect();
        let binding = if own.is_empty() { "b" } else { "mut b" };
        writeln!(
            out,
            "    {name:?} => {{\n        let {binding} = client.{name}();"
        )
        .unwrap();
        for s in own {
            // Bodies also get the numeric bounds typify does not enforce.
            let take = match s.target.strip_prefix("types::") {
                Some(schema) if s.name == "body" => {
                    format!(
                        "take_with::<{}>(\"body\", |v| super::check_numbers({schema:?}, v))",
                        s.target
                    )
                }
                // Path parameters reach the setter as text, whose conversion
                // applies the one-segment rule and names the parameter.
                _ if path_parameters.contains(&s.name) => format!("take::<String>({:?})", s.name),
                _ => format!("take::<{}>({:?})", s.target, s.name),
            };
            writeln!(
                out,
                "        if let Some(v) = args.{take}? {{ b = b.{}(v); }}",
                s.name
            )
            .unwrap();
        }
        out.push_str("        args.finish()?;\n        respond(b.send().await)\n    }\n");
    }
    out.push_str("    _ => Err(unknown_operation(operation)),\n}\n}\n\n");
    out.push_str(
        "/// The path template of an operation, for the check that a request kept its route.\n\
         pub(crate) fn route(operation: &str) -> Option<&'static str> {\nmatch operation {\n",
    );
    for route in routes {
        writeln!(
            out,
            "    {:?} => Some({:?}),",
            route.operation, route.template
        )
        .unwrap();
    }
    out.push_str("    _ => None,\n}\n}\n\n/// Names of every path parameter.\npub(crate) const PATH_PARAMETERS: &[&str] = &[\n");
    let names: BTreeSet<&String> = routes.iter().flat_map(|r| &r.parameters).collect();
    for name in names {
        writeln!(out, "    {name:?},").unwrap();
    }
    out.push_str("];\n}\n");
    // Callers hold ids as `String`s (a model's `id`): `.loan_id(&loan.id)` keeps
    // working now that path parameters have types of their own.
    let confined: BTreeSet<&String> = ops
        .iter()
        .flat_map(|(name, builder)| {
            let route = routes.iter().find(|r| &r.operation == name);
            setters
                .iter()
                .filter(move |(b, _)| b == builder)
                .flat_map(|(_, s)| s)
                .filter(move |s| route.is_some_and(|r| r.parameters.contains(&s.name)))
                .map(|s| &s.target)
        })
        .filter(|target| target.starts_with("types::"))
        .collect();
    for target in confined {
        writeln!(
            out,
            "impl TryFrom<&String> for {target} {{\n\
             type Error = types::error::ConversionError;\n\
             fn try_from(value: &String) -> Result<Self, Self::Error> {{ value.parse() }}\n}}"
        )
        .unwrap();
    }
    out
}

/// Reads `impl<'a> GetLoan<'a> { pub fn loan_id<V>(self, value: V) -> Self where V: TryInto<T> }`
/// from progenitor's `builder` module.
fn builder_setters(file: &syn::File) -> Vec<(String, Vec<Setter>)> {
    let mut result = Vec::new();
    for item in &file.items {
        let syn::Item::Mod(m) = item else { continue };
        if m.ident != "builder" {
            continue;
        }
        let Some((_, items)) = &m.content else {
            continue;
        };
        for item in items {
            let syn::Item::Impl(imp) = item else { continue };
            if imp.trait_.is_some() {
                continue;
            }
            let builder = quote_type(&imp.self_ty)
                .split('<')
                .next()
                .unwrap()
                .trim()
                .to_owned();
            let mut setters = Vec::new();
            for it in &imp.items {
                let syn::ImplItem::Fn(f) = it else { continue };
                let Some(wc) = &f.sig.generics.where_clause else {
                    continue;
                };
                let target = wc.predicates.iter().find_map(|p| {
                    let syn::WherePredicate::Type(pt) = p else {
                        return None;
                    };
                    pt.bounds.iter().find_map(|b| {
                        let syn::TypeParamBound::Trait(tb) = b else {
                            return None;
                        };
                        let seg = tb.path.segments.last()?;
                        if seg.ident != "TryInto" {
                            return None;
                        }
                        let syn::PathArguments::AngleBracketed(args) = &seg.arguments else {
                            return None;
                        };
                        args.args.iter().find_map(|a| match a {
                            syn::GenericArgument::Type(t) => Some(quote_type(t)),
                            _ => None,
                        })
                    })
                });
                if let Some(target) = target {
                    setters.push(Setter {
                        name: f.sig.ident.to_string(),
                        target,
                    });
                }
            }
            result.push((builder, setters));
        }
    }
    result
}

fn type_is(ty: &syn::Type, name: &str) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.is_ident(name))
}

fn quote_type(ty: &syn::Type) -> String {
    // prettyplease formats items, not bare types: wrap the type in an alias.
    let file: syn::File = syn::parse_quote!(type T = #ty;);
    let text = prettyplease::unparse(&file);
    let body = text
        .trim()
        .trim_start_matches("type T = ")
        .trim_end_matches(';');
    body.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
}

/// The `$ref` of an operation's `multipart/form-data` body schema, if it has one.
fn multipart_schema(op: &Value) -> Option<&str> {
    op["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].as_str()
}

/// One part of a multipart form, as its builder setter handles it.
struct FormPart {
    name: String,
    setter: String,
    file: bool,
    /// `x-bsa-magic` and the encoding's `contentType` of a file part.
    magic: Option<String>,
    content_type: Option<String>,
    min: Option<u64>,
    max: Option<u64>,
    digits: bool,
}

struct MultipartOp {
    name: String,
    builder: String,
    path: String,
    response: String,
    replay: bool,
    parts: Vec<FormPart>,
}

/// Reads each multipart operation from the spec; what the builder cannot do
/// is refused here with the operation and the rule named.
fn multipart_operations(doc: &Value) -> Vec<MultipartOp> {
    let mut out = Vec::new();
    for (method, path, op) in operations(doc) {
        let Some(schema_ref) = multipart_schema(op) else {
            continue;
        };
        let id = op["operationId"].as_str().unwrap();
        let refuse = |rule: &str| -> ! { panic!("{id}: multipart operations {rule}") };
        if method != "POST" {
            refuse("must be POST");
        }
        if op.get("parameters").is_some() || doc["paths"][&path].get("parameters").is_some() {
            refuse("take no parameters");
        }
        let schema = doc
            .pointer(schema_ref.trim_start_matches('#'))
            .unwrap_or_else(|| refuse("need their body schema under components"));
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let encoding = &op["requestBody"]["content"]["multipart/form-data"]["encoding"];
        let mut parts = Vec::new();
        for (name, prop) in schema["properties"].as_object().into_iter().flatten() {
            if !required.contains(&name.as_str()) {
                refuse("have required parts only");
            }
            if prop["type"] != "string" {
                refuse("have string or binary parts only");
            }
            let digits = match prop["pattern"].as_str() {
                None => false,
                Some("^[0-9]+$" | "^[0-9]*$") => true,
                Some(p) => refuse(&format!("support no pattern but digits-only, found {p:?}")),
            };
            parts.push(FormPart {
                name: name.clone(),
                setter: snake_case(name),
                file: prop["format"] == "binary",
                magic: prop["x-bsa-magic"].as_str().map(str::to_owned),
                content_type: encoding[name]["contentType"].as_str().map(str::to_owned),
                min: prop["minLength"].as_u64(),
                max: prop["maxLength"].as_u64(),
                digits,
            });
        }
        let success = op["responses"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(code, _)| code.starts_with('2'))
            .map(|(_, r)| r)
            .unwrap();
        let response = success["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_else(|| refuse("answer a named JSON schema"))
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        let replay = match op["x-bsa-replay"]["resend"].as_str() {
            None => true,
            Some("never") => false,
            Some(other) => refuse(&format!(
                "take x-bsa-replay.resend: \"never\" or nothing, not {other:?}"
            )),
        };
        let name = snake_case(id);
        out.push(MultipartOp {
            builder: pascal_case(&name),
            name,
            path,
            response,
            replay,
            parts,
        });
    }
    out
}

/// A builder per multipart operation in progenitor's `builder` module, with
/// setters of the same shape (so the dispatch table picks them up), and its
/// constructor on `Client`.
fn add_multipart(file: &mut syn::File, ops: &[MultipartOp]) {
    let mut builders = String::new();
    let mut client = String::from("impl Client {\n");
    for op in ops {
        let (name, builder) = (&op.name, &op.builder);
        let ty = |p: &FormPart| {
            if p.file {
                "crate::FilePart"
            } else {
                "::std::string::String"
            }
        };
        let _ = writeln!(
            client,
            "/// Sends `POST {}` (`multipart/form-data`). Every part is required and \
             checked before anything is sent.{}\n\
             pub fn {name}(&self) -> builder::{builder}<'_> {{ builder::{builder}::new(self) }}",
            op.path,
            if op.replay {
                ""
            } else {
                " Never sent twice: no retry follows any failure."
            }
        );
        let _ = writeln!(
            builders,
            "/// Builder for [`super::Client::{name}`].\n\
             #[derive(Debug, Clone)]\npub struct {builder}<'a> {{\nclient: &'a super::Client,"
        );
        for p in &op.parts {
            let _ = writeln!(builders, "{}: Result<Option<{}>, String>,", p.setter, ty(p));
        }
        let _ = writeln!(
            builders,
            "}}\nimpl<'a> {builder}<'a> {{\npub fn new(client: &'a super::Client) -> Self {{\n\
             Self {{ client, {} }}\n}}",
            op.parts
                .iter()
                .map(|p| format!("{}: Ok(None)", p.setter))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for p in &op.parts {
            let _ = writeln!(
                builders,
                "/// The `{}` part.\n\
                 pub fn {s}<V>(mut self, value: V) -> Self where V: std::convert::TryInto<{t}> {{\n\
                 self.{s} = value.try_into().map(Some).map_err(|_| \"conversion to `{t}` for {s} failed\".to_string());\n\
                 self\n}}",
                p.name,
                s = p.setter,
                t = ty(p)
            );
        }
        let _ = writeln!(
            builders,
            "/// Checks the parts and sends the request.\n\
             pub async fn send(self) -> Result<ResponseValue<types::{}>, crate::Error> {{\n\
             let mut parts = Vec::new();",
            op.response
        );
        for p in &op.parts {
            let opt = |v: Option<u64>| v.map_or("None".to_owned(), |v| format!("Some({v})"));
            let check = if p.file {
                format!(
                    "crate::multipart::check_file({:?}, value, {:?}, {:?})?;\n\
                     parts.push(({:?}, crate::multipart::Part::File(value), {:?}));",
                    p.name,
                    p.magic,
                    p.content_type
                        .as_deref()
                        .and_then(|t| t.rsplit('/').next())
                        .unwrap_or("expected")
                        .to_uppercase(),
                    p.name,
                    p.content_type
                )
            } else {
                format!(
                    "crate::multipart::check_text({:?}, value, {}, {}, {})?;\n\
                     parts.push(({:?}, crate::multipart::Part::Text(value), None));",
                    p.name,
                    opt(p.min),
                    opt(p.max),
                    p.digits,
                    p.name
                )
            };
            let _ = writeln!(
                builders,
                "let value = self.{}.map_err(|e| crate::Error::invalid_request(Some({:?}), e))?;\n\
                 let value = {check}",
                p.setter, p.name
            );
        }
        let _ = writeln!(
            builders,
            "crate::multipart::send(self.client, {:?}, {:?}, parts, {}).await\n}}\n}}",
            op.name, op.path, op.replay
        );
    }
    client.push('}');
    let module = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_mut(),
        _ => None,
    });
    let (_, items) = module.expect("progenitor emits a builder module");
    let extra: syn::File = syn::parse_str(&builders).expect("multipart builders parse");
    items.extend(extra.items);
    let extra: syn::File = syn::parse_str(&client).expect("multipart constructors parse");
    file.items.extend(extra.items);
}

/// Integer fields of the generated types also accept integral floats (`12.0`).
fn lenient_integers(file: &mut syn::File) {
    let module = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut(),
        _ => None,
    });
    let (_, items) = module.expect("progenitor emits a types module");
    for item in items {
        let syn::Item::Struct(s) = item else { continue };
        for field in s.fields.iter_mut() {
            let ty = quote_type(&field.ty);
            let integer = [
                "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "NonZero",
            ]
            .iter()
            .any(|t| {
                ty == *t
                    || ty.ends_with(&format!("::{t}"))
                    || ty.contains(&format!("<{t}>"))
                    || ty.contains(&format!("::{t}>"))
            });
            let (mut decoded, mut defaulted) = (false, false);
            for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
                let _ = attr.parse_nested_meta(|meta| {
                    decoded |= meta.path.is_ident("deserialize_with");
                    defaulted |= meta.path.is_ident("default");
                    if meta.input.peek(syn::Token![=]) {
                        meta.value()?.parse::<syn::Expr>()?;
                    }
                    Ok(())
                });
            }
            if integer && !decoded && !ty.contains("Vec<") && !ty.contains("Map<") {
                field.attrs.push(syn::parse_quote!(
                    #[serde(deserialize_with = "crate::lenient::integer")]
                ));
                // A custom decoder drops serde's "a missing Option is None".
                if ty.contains("Option<") && !defaulted {
                    field.attrs.push(syn::parse_quote!(#[serde(default)]));
                }
            }
        }
    }
}

/// Builders of the operations whose success response may have an empty body
/// (`x-bsa-empty-body: true`).
fn empty_body_builders(text: &str) -> Vec<String> {
    let doc: Value = serde_json::from_str(text).unwrap();
    operations(&doc)
        .into_iter()
        .filter(|(_, _, op)| {
            op["responses"]
                .as_object()
                .unwrap()
                .iter()
                .any(|(code, r)| code.starts_with('2') && r["x-bsa-empty-body"] == true)
        })
        .map(|(_, _, op)| pascal_case(&snake_case(op["operationId"].as_str().unwrap())))
        .collect()
}

/// In those builders' `send`, the success arm decodes an empty body as `null`.
fn optional_bodies(mut code: String, builders: &[String]) -> String {
    const DECODE: &str = "ResponseValue::from_response(response).await";
    for builder in builders {
        let start = code
            .find(&format!("impl<'a> {builder}<'a> {{"))
            .unwrap_or_else(|| panic!("no builder {builder} in progenitor's output"));
        let at = start
            + code[start..]
                .find(&format!("200u16 => {DECODE}"))
                .unwrap_or_else(|| panic!("{builder}: no 200 arm to make lenient"));
        let end = at + "200u16 => ".len();
        code.replace_range(
            end..end + DECODE.len(),
            "crate::lenient::optional_body(response).await",
        );
    }
    code
}

fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}
