//! JSON documents as native DynamoDB attributes (maps, lists, numbers), so items stay readable in
//! the console and queryable, without a second serialisation format.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

pub fn to_attribute(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(items) => AttributeValue::L(items.iter().map(to_attribute).collect()),
        Value::Object(map) => AttributeValue::M(
            map.iter()
                .map(|(k, v)| (k.clone(), to_attribute(v)))
                .collect(),
        ),
    }
}

pub fn to_item(value: &Value) -> HashMap<String, AttributeValue> {
    match to_attribute(value) {
        AttributeValue::M(map) => map,
        _ => panic!("a stored document is a JSON object"),
    }
}

pub fn from_attribute(attribute: &AttributeValue) -> Result<Value, String> {
    Ok(match attribute {
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::N(n) => Value::Number(parse_number(n)?),
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::L(items) => {
            Value::Array(items.iter().map(from_attribute).collect::<Result<_, _>>()?)
        }
        AttributeValue::M(map) => Value::Object(from_map(map)?),
        other => return Err(format!("unexpected attribute type {other:?}")),
    })
}

pub fn from_item(item: &HashMap<String, AttributeValue>) -> Result<Value, String> {
    Ok(Value::Object(from_map(item)?))
}

fn from_map(map: &HashMap<String, AttributeValue>) -> Result<Map<String, Value>, String> {
    map.iter()
        .map(|(k, v)| Ok((k.clone(), from_attribute(v)?)))
        .collect()
}

fn parse_number(n: &str) -> Result<Number, String> {
    if let Ok(i) = n.parse::<i64>() {
        return Ok(i.into());
    }
    if let Ok(u) = n.parse::<u64>() {
        return Ok(u.into());
    }
    n.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .ok_or_else(|| format!("not a number: {n}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip() {
        let doc = serde_json::json!({
            "a": 1, "b": -2.5, "c": "teks", "d": [true, null, {"e": []}], "f": {}, "g": "",
            "h": u64::MAX
        });
        let item = to_item(&doc);
        assert_eq!(from_item(&item).unwrap(), doc);
    }
}
