//! The template's REST API variant, for LocalStack's community edition, which does not serve
//! HTTP APIs (`AWS::ApiGatewayV2::*`) but does serve REST APIs.
//!
//! Derived from `template.yaml` (or a `sam build` output of it) instead of written beside it, so
//! the routes have one source: every `HttpApi` event becomes an `Api` event with the same method
//! and path on one `AWS::Serverless::Api`; the HTTP API, its access log group, and parameters
//! only it used (the JWT authorizer's issuer and audience) go; the outputs name the REST API.
//! The functions read both payloads alike (`lambda::http::route_key`), and without the JWT
//! authorizer the agency function checks staff tokens itself when the stack is deployed with
//! `StaffTokenKeySecretName` (`lambda::rest`).

use serde_norway::value::{Tag, TaggedValue};
use serde_norway::{Mapping, Value};
use std::collections::BTreeSet;

/// The REST API's logical id in the variant.
pub const REST_API: &str = "LocalRestApi";

#[derive(Debug, thiserror::Error)]
#[error("REST variant: {0}")]
pub struct VariantError(String);

fn err(msg: impl Into<String>) -> VariantError {
    VariantError(msg.into())
}

/// `template` (YAML) with its HTTP API replaced by a REST API, as YAML.
pub fn rest_variant(template: &str) -> Result<String, VariantError> {
    let mut doc: Value = serde_norway::from_str(template).map_err(|e| err(e.to_string()))?;
    let resources = doc
        .get_mut("Resources")
        .and_then(Value::as_mapping_mut)
        .ok_or_else(|| err("no Resources"))?;

    let http_apis: Vec<String> = resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::HttpApi"))
        .filter_map(|(id, _)| id.as_str().map(str::to_string))
        .collect();
    let [http_api] = http_apis.as_slice() else {
        return Err(err(format!("expected one HttpApi, found {http_apis:?}")));
    };
    let http_api = http_api.clone();
    let api = resources
        .remove(http_api.as_str())
        .expect("the id was read from the mapping");
    let stage = api["Properties"]["StageName"].clone();
    let mut removed = vec![http_api.clone()];
    // The access log group, if only the HTTP API wrote to it.
    if let Some(log_group) =
        get_att_target(&api["Properties"]["AccessLogSettings"]["DestinationArn"])
    {
        if !references(&Value::Mapping(resources.clone())).contains(&log_group) {
            resources.remove(log_group.as_str());
            removed.push(log_group);
        }
    }

    let mut routes = 0;
    for (_, resource) in resources.iter_mut() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let Some(events) = resource
            .get_mut("Properties")
            .and_then(|p| p.get_mut("Events"))
            .and_then(Value::as_mapping_mut)
        else {
            continue;
        };
        for (_, event) in events.iter_mut() {
            if event["Type"].as_str() != Some("HttpApi") {
                continue;
            }
            let props = &event["Properties"];
            let mut rest = Mapping::new();
            rest.insert("RestApiId".into(), tagged("Ref", REST_API.into()));
            rest.insert("Path".into(), props["Path"].clone());
            rest.insert("Method".into(), props["Method"].clone());
            let mut converted = Mapping::new();
            converted.insert("Type".into(), "Api".into());
            converted.insert("Properties".into(), Value::Mapping(rest));
            *event = Value::Mapping(converted);
            routes += 1;
        }
    }
    if routes == 0 {
        return Err(err("no HttpApi events to move"));
    }

    let mut rest_props = Mapping::new();
    rest_props.insert("StageName".into(), stage);
    rest_props.insert(
        "Description".into(),
        "The public API as a REST API (payload 1.0), for LocalStack's community edition: the \
         same routes as the HTTP API of template.yaml. No JWT authorizer: the agency function \
         checks staff tokens itself (StaffTokenKeySecretName)."
            .into(),
    );
    let mut rest_api = Mapping::new();
    rest_api.insert("Type".into(), "AWS::Serverless::Api".into());
    rest_api.insert("Properties".into(), Value::Mapping(rest_props));
    resources.insert(REST_API.into(), Value::Mapping(rest_api));

    // Outputs about the HTTP API now name the REST API; LocalStack serves it under its id.
    if let Some(outputs) = doc.get_mut("Outputs").and_then(Value::as_mapping_mut) {
        outputs.retain(|_, output| references(output).iter().all(|r| !removed.contains(r)));
        outputs.insert(
            "ApiId".into(),
            output("Id of the REST API.", tagged("Ref", REST_API.into())),
        );
        outputs.insert(
            "ApiUrl".into(),
            output(
                "Base URL of the public API as LocalStack serves it (path style, no DNS needed).",
                tagged(
                    "Sub",
                    format!(
                        "http://localhost:4566/restapis/${{{REST_API}}}/${{Stage}}/_user_request_"
                    )
                    .into(),
                ),
            ),
        );
    }

    // Parameters nothing refers to any more (the authorizer's issuer and audience).
    let mut rest_of_doc = doc.clone();
    if let Some(map) = rest_of_doc.as_mapping_mut() {
        map.remove("Parameters");
    }
    let used = references(&rest_of_doc);
    if let Some(parameters) = doc.get_mut("Parameters").and_then(Value::as_mapping_mut) {
        parameters.retain(|name, _| name.as_str().is_some_and(|n| used.contains(n)));
    }

    let left = references(&doc);
    if let Some(dangling) = removed.iter().find(|r| left.contains(*r)) {
        return Err(err(format!("{dangling} is still referred to")));
    }
    if let Some(map) = doc.as_mapping_mut() {
        map.insert(
            "Description".into(),
            "LAPOR with a REST API for LocalStack's community edition. Generated from \
             template.yaml by `lapor-local rest-template`: edit template.yaml, not this."
                .into(),
        );
    }
    let text = serde_norway::to_string(&doc).map_err(|e| err(e.to_string()))?;
    // The emitter leaves `2010-09-09` bare, which YAML 1.1 loaders read as a date; CloudFormation
    // wants the string.
    Ok(text.replacen(
        "AWSTemplateFormatVersion: 2010-09-09",
        "AWSTemplateFormatVersion: '2010-09-09'",
        1,
    ))
}

fn output(description: &str, value: Value) -> Value {
    let mut map = Mapping::new();
    map.insert("Description".into(), description.into());
    map.insert("Value".into(), value);
    Value::Mapping(map)
}

fn tagged(tag: &str, value: Value) -> Value {
    Value::Tagged(Box::new(TaggedValue {
        tag: Tag::new(tag),
        value,
    }))
}

/// `!GetAtt X.Arn` (or `[X, Arn]`) -> `X`.
fn get_att_target(value: &Value) -> Option<String> {
    let Value::Tagged(t) = value else { return None };
    if t.tag != "GetAtt" {
        return None;
    }
    match &t.value {
        Value::String(s) => s.split('.').next().map(str::to_string),
        Value::Sequence(parts) => parts.first()?.as_str().map(str::to_string),
        _ => None,
    }
}

/// Every logical id or parameter a part of the template refers to: `!Ref X`, `!GetAtt X.Y`,
/// `${X}` and `${X.Y}` in `!Sub`, and the long forms (`Ref:`, `Fn::GetAtt:`, `Fn::Sub:`).
fn references(value: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    collect(value, &mut out);
    out
}

fn collect(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Tagged(t) => {
            match t.tag.to_string().trim_start_matches('!') {
                "Ref" => out.extend(t.value.as_str().map(str::to_string)),
                "GetAtt" => out.extend(get_att_target(value)),
                "Sub" => sub_references(&t.value, out),
                _ => {}
            }
            collect(&t.value, out);
        }
        Value::Mapping(map) => {
            for (key, v) in map {
                match key.as_str() {
                    Some("Ref") => out.extend(v.as_str().map(str::to_string)),
                    Some("Fn::GetAtt") => out.extend(match v {
                        Value::String(s) => s.split('.').next().map(str::to_string),
                        Value::Sequence(p) => {
                            p.first().and_then(|p| p.as_str()).map(str::to_string)
                        }
                        _ => None,
                    }),
                    Some("Fn::Sub") => sub_references(v, out),
                    _ => {}
                }
                collect(v, out);
            }
        }
        Value::Sequence(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

fn sub_references(value: &Value, out: &mut BTreeSet<String>) {
    let text = match value {
        Value::String(s) => s.as_str(),
        Value::Sequence(parts) => parts.first().and_then(Value::as_str).unwrap_or(""),
        _ => "",
    };
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.starts_with('!') {
            out.insert(name.split('.').next().unwrap_or(name).to_string());
        }
        rest = &after[end + 1..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::{Template, TEMPLATE_YAML};

    fn variant() -> String {
        rest_variant(TEMPLATE_YAML).expect("template.yaml has a REST variant")
    }

    #[test]
    fn every_route_of_the_http_api_is_on_the_rest_api_with_the_same_function() {
        let http = Template::builtin();
        let rest = Template::parse(&variant()).unwrap();
        let routes = |t: &Template| {
            let mut all: Vec<(String, String, String)> = t
                .functions
                .iter()
                .flat_map(|f| {
                    f.http_routes
                        .iter()
                        .map(|(m, p)| (f.logical_id.clone(), m.clone(), p.clone()))
                })
                .collect();
            all.sort();
            all
        };
        assert!(routes(&http).len() > 20);
        assert_eq!(routes(&http), routes(&rest));
        // No authorizer on the REST path: the agency function checks tokens itself.
        assert!(rest
            .functions
            .iter()
            .flat_map(|f| &f.http_events)
            .all(|e| e.authorizer.is_none()));
    }

    #[test]
    fn the_variant_has_no_http_api_and_names_the_rest_api() {
        let text = variant();
        let doc: Value = serde_norway::from_str(&text).unwrap();
        let resources = doc["Resources"].as_mapping().unwrap();
        assert!(!resources
            .values()
            .any(|r| r["Type"].as_str() == Some("AWS::Serverless::HttpApi")));
        assert!(!text.contains("HttpApi"), "no HttpApi event left");
        assert_eq!(
            resources[REST_API]["Type"].as_str(),
            Some("AWS::Serverless::Api")
        );
        assert!(!text.contains("OfficerJwt:"), "no JWT authorizer");
        assert!(
            !text.contains("AccessLogGroup"),
            "the HTTP API's log group goes with it"
        );
        assert!(doc["Parameters"].get("StaffTokenKeySecretName").is_some());
        assert!(doc["Parameters"].get("Stage").is_some());
        assert_eq!(
            references(&doc["Outputs"]["ApiId"]),
            BTreeSet::from([REST_API.to_string()])
        );
        // Everything else is kept: tables, queues, secrets' policies, the staff token key.
        let original: Value = serde_norway::from_str(TEMPLATE_YAML).unwrap();
        for (id, resource) in original["Resources"].as_mapping().unwrap() {
            let id = id.as_str().unwrap();
            if resource["Type"].as_str() != Some("AWS::Serverless::HttpApi")
                && id != "AccessLogGroup"
            {
                assert!(resources.contains_key(id), "{id} kept");
            }
        }
    }

    #[test]
    fn references_read_every_form() {
        let doc: Value = serde_norway::from_str(
            r#"
a: !Ref A
b: !GetAtt B.Arn
c: !Sub "${C}/x/${D.Arn}/${!Literal}"
d: {Ref: E}
e: {"Fn::GetAtt": [F, Arn]}
f: {"Fn::Sub": "${G}"}
"#,
        )
        .unwrap();
        let names: Vec<String> = references(&doc).into_iter().collect();
        assert_eq!(names, ["A", "B", "C", "D", "E", "F", "G"]);
    }
}
