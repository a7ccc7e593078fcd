//! Reads `template.yaml`, the single source of truth for tables, indexes and queues, so that the
//! tests, the local tools and the embedded queue build theirs from it and cannot drift.
//!
//! What the template describes (tables, queues, functions) is always here, for whoever is handed
//! a [`Template`] (`adapters::aws::provision`). Reading it from YAML (`Template::parse`,
//! `Template::builtin`, `TEMPLATE_YAML`) needs the `template` feature: the tests, the local
//! runner and the tools turn it on; the function crates do not, so no Lambda binary carries a
//! YAML parser.

use crate::adapters::QueueSettings;
use crate::ports::QueueName;
use std::collections::HashMap;
use std::time::Duration;

#[cfg(feature = "template")]
pub use yaml::{TemplateError, TEMPLATE_YAML};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    pub name: String,
    /// `S`, `N` or `B`.
    pub attribute_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    pub name: String,
    pub hash: KeySpec,
    pub range: Option<KeySpec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    pub logical_id: String,
    pub hash: KeySpec,
    pub range: Option<KeySpec>,
    pub global_indexes: Vec<IndexSpec>,
    pub ttl_attribute: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    pub logical_id: String,
    pub fifo: bool,
    pub visibility_timeout_seconds: u32,
    /// The dead-letter queue's logical id and the receives before a message moves there.
    pub dead_letter: Option<(String, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsEventSpec {
    pub queue_logical_id: String,
    pub batch_size: u32,
    pub function_response_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpEventSpec {
    pub method: String,
    pub path: String,
    /// The authorizer API Gateway runs before invoking the function (e.g. `OfficerJwt`): the
    /// route's own `Auth.Authorizer`, else its API's `DefaultAuthorizer`; `None` for a public
    /// route (SAM's `NONE` included).
    pub authorizer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    pub logical_id: String,
    pub binary: Option<String>,
    pub runtime: Option<String>,
    pub timeout_seconds: u32,
    pub environment: Vec<String>,
    pub sqs_events: Vec<SqsEventSpec>,
    /// `(method, path)` of each of `http_events`, for callers that need no more.
    pub http_routes: Vec<(String, String)>,
    pub http_events: Vec<HttpEventSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub tables: Vec<TableSpec>,
    pub queues: Vec<QueueSpec>,
    pub functions: Vec<FunctionSpec>,
}

impl Template {
    pub fn table(&self, logical_id: &str) -> Option<&TableSpec> {
        self.tables.iter().find(|t| t.logical_id == logical_id)
    }

    pub fn queue(&self, logical_id: &str) -> Option<&QueueSpec> {
        self.queues.iter().find(|q| q.logical_id == logical_id)
    }

    pub fn function(&self, logical_id: &str) -> Option<&FunctionSpec> {
        self.functions.iter().find(|f| f.logical_id == logical_id)
    }

    /// Each queue's behaviour as the template defines it, for the embedded queue.
    pub fn queue_settings(&self) -> HashMap<QueueName, QueueSettings> {
        QueueName::ALL
            .iter()
            .filter_map(|&name| {
                let spec = self.queue(name.template_resource())?;
                Some((
                    name,
                    QueueSettings {
                        visibility_timeout: Duration::from_secs(
                            spec.visibility_timeout_seconds.into(),
                        ),
                        max_receive_count: spec.dead_letter.as_ref().map_or(u32::MAX, |d| d.1),
                    },
                ))
            })
            .collect()
    }
}

/// Reading the template from YAML.
#[cfg(feature = "template")]
mod yaml {
    use super::*;
    use serde_norway::Value;

    /// The template, compiled in so a binary carries the definitions it was built with.
    pub const TEMPLATE_YAML: &str = include_str!("../../template.yaml");

    #[derive(Debug, thiserror::Error)]
    #[error("template.yaml: {0}")]
    pub struct TemplateError(String);

    fn err(msg: impl Into<String>) -> TemplateError {
        TemplateError(msg.into())
    }

    impl Template {
        pub fn builtin() -> Template {
            Template::parse(TEMPLATE_YAML).expect("the compiled-in template parses")
        }

        pub fn parse(yaml: &str) -> Result<Template, TemplateError> {
            let doc: Value = serde_norway::from_str(yaml).map_err(|e| err(e.to_string()))?;
            let globals = &doc["Globals"]["Function"];
            let resources = doc["Resources"]
                .as_mapping()
                .ok_or_else(|| err("no Resources"))?;
            // Routes without their own `Auth` get their API's default authorizer, so read those first.
            let mut default_authorizers = HashMap::new();
            for (id, resource) in resources {
                if resource["Type"].as_str() == Some("AWS::Serverless::HttpApi") {
                    if let (Some(id), Some(default)) = (
                        id.as_str(),
                        resource["Properties"]["Auth"]["DefaultAuthorizer"].as_str(),
                    ) {
                        default_authorizers.insert(id.to_string(), default.to_string());
                    }
                }
            }
            let mut template = Template {
                tables: Vec::new(),
                queues: Vec::new(),
                functions: Vec::new(),
            };
            for (id, resource) in resources {
                let id = id.as_str().ok_or_else(|| err("resource id"))?.to_string();
                let props = &resource["Properties"];
                match resource["Type"].as_str() {
                    Some("AWS::DynamoDB::Table") => template.tables.push(parse_table(id, props)?),
                    Some("AWS::SQS::Queue") => template.queues.push(parse_queue(id, props)?),
                    Some("AWS::Serverless::Function") => template.functions.push(parse_function(
                        id,
                        resource,
                        props,
                        globals,
                        &default_authorizers,
                    )?),
                    _ => {}
                }
            }
            Ok(template)
        }
    }

    fn string(v: &Value, what: &str) -> Result<String, TemplateError> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| err(format!("{what} is not a string")))
    }

    fn number(v: &Value) -> Option<u32> {
        match v {
            Value::Number(n) => n.as_u64().map(|n| n as u32),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    fn key_schema(
        schema: &Value,
        types: &HashMap<String, String>,
    ) -> Result<(KeySpec, Option<KeySpec>), TemplateError> {
        let mut hash = None;
        let mut range = None;
        for key in schema.as_sequence().ok_or_else(|| err("KeySchema"))? {
            let name = string(&key["AttributeName"], "AttributeName")?;
            let spec = KeySpec {
                attribute_type: types
                    .get(&name)
                    .cloned()
                    .ok_or_else(|| err(format!("key {name} has no AttributeDefinition")))?,
                name,
            };
            match key["KeyType"].as_str() {
                Some("HASH") => hash = Some(spec),
                Some("RANGE") => range = Some(spec),
                _ => return Err(err("KeyType")),
            }
        }
        Ok((hash.ok_or_else(|| err("no HASH key"))?, range))
    }

    fn parse_table(logical_id: String, props: &Value) -> Result<TableSpec, TemplateError> {
        let mut types = HashMap::new();
        for def in props["AttributeDefinitions"]
            .as_sequence()
            .ok_or_else(|| err(format!("{logical_id}: AttributeDefinitions")))?
        {
            types.insert(
                string(&def["AttributeName"], "AttributeName")?,
                string(&def["AttributeType"], "AttributeType")?,
            );
        }
        let (hash, range) = key_schema(&props["KeySchema"], &types)?;
        let mut global_indexes = Vec::new();
        if let Some(indexes) = props["GlobalSecondaryIndexes"].as_sequence() {
            for index in indexes {
                let (hash, range) = key_schema(&index["KeySchema"], &types)?;
                global_indexes.push(IndexSpec {
                    name: string(&index["IndexName"], "IndexName")?,
                    hash,
                    range,
                });
            }
        }
        let ttl = &props["TimeToLiveSpecification"];
        let ttl_attribute = (ttl["Enabled"].as_bool() == Some(true))
            .then(|| ttl["AttributeName"].as_str().map(str::to_string))
            .flatten();
        Ok(TableSpec {
            logical_id,
            hash,
            range,
            global_indexes,
            ttl_attribute,
        })
    }

    /// `!GetAtt X.Arn` (or the long form) -> `X`.
    fn get_att_target(v: &Value) -> Option<String> {
        let inner = match v {
            Value::Tagged(tagged) if tagged.tag == "GetAtt" => tagged.value.clone(),
            Value::Mapping(m) => m.get("Fn::GetAtt")?.clone(),
            _ => return None,
        };
        match inner {
            Value::String(s) => s.split('.').next().map(str::to_string),
            Value::Sequence(parts) => parts.first()?.as_str().map(str::to_string),
            _ => None,
        }
    }

    /// `!Ref X` (or the long form) -> `X`.
    fn ref_target(v: &Value) -> Option<&str> {
        match v {
            Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
            Value::Mapping(m) => m.get("Ref")?.as_str(),
            _ => None,
        }
    }

    fn parse_queue(logical_id: String, props: &Value) -> Result<QueueSpec, TemplateError> {
        let redrive = &props["RedrivePolicy"];
        let dead_letter = if redrive.is_null() {
            None
        } else {
            let target = get_att_target(&redrive["deadLetterTargetArn"])
                .ok_or_else(|| err(format!("{logical_id}: deadLetterTargetArn")))?;
            let max = number(&redrive["maxReceiveCount"])
                .ok_or_else(|| err(format!("{logical_id}: maxReceiveCount")))?;
            Some((target, max))
        };
        Ok(QueueSpec {
            fifo: props["FifoQueue"].as_bool().unwrap_or(false),
            // SQS's default when the template says nothing.
            visibility_timeout_seconds: number(&props["VisibilityTimeout"]).unwrap_or(30),
            dead_letter,
            logical_id,
        })
    }

    fn parse_function(
        logical_id: String,
        resource: &Value,
        props: &Value,
        globals: &Value,
        default_authorizers: &HashMap<String, String>,
    ) -> Result<FunctionSpec, TemplateError> {
        let mut environment: Vec<String> = Vec::new();
        for source in [
            &globals["Environment"]["Variables"],
            &props["Environment"]["Variables"],
        ] {
            if let Some(vars) = source.as_mapping() {
                environment.extend(vars.keys().filter_map(|k| k.as_str().map(str::to_string)));
            }
        }
        let mut sqs_events = Vec::new();
        let mut http_events = Vec::new();
        if let Some(events) = props["Events"].as_mapping() {
            for event in events.values() {
                let p = &event["Properties"];
                match event["Type"].as_str() {
                    Some("SQS") => sqs_events.push(SqsEventSpec {
                        queue_logical_id: get_att_target(&p["Queue"])
                            .ok_or_else(|| err(format!("{logical_id}: SQS Queue")))?,
                        batch_size: number(&p["BatchSize"]).unwrap_or(10),
                        function_response_types: p["FunctionResponseTypes"]
                            .as_sequence()
                            .map(|s| {
                                s.iter()
                                    .filter_map(|v| v.as_str().map(str::to_string))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    }),
                    // `Api`: a REST API's route (the LocalStack variant, `rest_variant`).
                    Some("HttpApi" | "Api") => {
                        let authorizer = match p["Auth"]["Authorizer"].as_str() {
                            Some("NONE") => None,
                            Some(name) => Some(name.to_string()),
                            None => ref_target(&p["ApiId"])
                                .and_then(|api| default_authorizers.get(api))
                                .cloned(),
                        };
                        http_events.push(HttpEventSpec {
                            method: string(&p["Method"], "Method")?,
                            path: string(&p["Path"], "Path")?,
                            authorizer,
                        })
                    }
                    _ => {}
                }
            }
        }
        Ok(FunctionSpec {
            binary: resource["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .map(str::to_string),
            runtime: props["Runtime"]
                .as_str()
                .or(globals["Runtime"].as_str())
                .map(str::to_string),
            timeout_seconds: number(&props["Timeout"])
                .or(number(&globals["Timeout"]))
                .unwrap_or(3),
            environment,
            sqs_events,
            http_routes: http_events
                .iter()
                .map(|e| (e.method.clone(), e.path.clone()))
                .collect(),
            http_events,
            logical_id,
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn routes_get_their_own_authorizer_else_their_apis_default() {
            let yaml = r#"
    Resources:
      Api:
        Type: AWS::Serverless::HttpApi
        Properties:
          Auth:
            DefaultAuthorizer: Jwt
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          Events:
            Defaulted:
              Type: HttpApi
              Properties: {ApiId: !Ref Api, Method: GET, Path: /a}
            OptedOut:
              Type: HttpApi
              Properties: {ApiId: !Ref Api, Method: GET, Path: /b, Auth: {Authorizer: NONE}}
            Named:
              Type: HttpApi
              Properties: {ApiId: !Ref Api, Method: POST, Path: /c, Auth: {Authorizer: Other}}
            ImplicitApi:
              Type: HttpApi
              Properties: {Method: GET, Path: /d}
    "#;
            let t = Template::parse(yaml).unwrap();
            let f = t.function("Fn").unwrap();
            let auth: Vec<(&str, Option<&str>)> = f
                .http_events
                .iter()
                .map(|e| (e.path.as_str(), e.authorizer.as_deref()))
                .collect();
            assert_eq!(
                auth,
                [
                    ("/a", Some("Jwt")),
                    ("/b", None),
                    ("/c", Some("Other")),
                    ("/d", None)
                ]
            );
            assert_eq!(f.http_routes[2], ("POST".to_string(), "/c".to_string()));
        }
    }
}
