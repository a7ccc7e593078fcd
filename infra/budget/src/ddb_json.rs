//! JSON documents as DynamoDB JSON items (`{"attr": {"S": "..."}}`), the wire form of the
//! DynamoDB JSON 1.0 protocol. The same mapping as `lapor::adapters::aws::attributes` (maps,
//! lists, numbers as `N` strings, null as `NULL`), so what the fake endpoint answers is what the
//! functions' own adapter would have written.

use serde_json::{json, Map, Number, Value};
use std::cmp::Ordering;

pub fn to_attribute(value: &Value) -> Value {
    match value {
        Value::Null => json!({ "NULL": true }),
        Value::Bool(b) => json!({ "BOOL": b }),
        Value::Number(n) => json!({ "N": n.to_string() }),
        Value::String(s) => json!({ "S": s }),
        Value::Array(items) => json!({ "L": items.iter().map(to_attribute).collect::<Vec<_>>() }),
        Value::Object(map) => json!({ "M": to_item(map) }),
    }
}

/// A JSON object as an item (the attribute map itself, no `M` wrapper).
pub fn to_item(map: &Map<String, Value>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), to_attribute(v)))
            .collect(),
    )
}

pub fn from_attribute(attribute: &Value) -> Result<Value, String> {
    let Some((kind, inner)) = attribute.as_object().and_then(|o| o.iter().next()) else {
        return Err(format!("not an attribute value: {attribute}"));
    };
    Ok(match kind.as_str() {
        "NULL" => Value::Null,
        "BOOL" => inner.clone(),
        "S" => inner.clone(),
        "N" => Value::Number(parse_number(inner.as_str().unwrap_or_default())?),
        "L" => Value::Array(
            inner
                .as_array()
                .map(|items| items.iter().map(from_attribute).collect())
                .transpose()?
                .unwrap_or_default(),
        ),
        "M" => from_item(inner)?,
        other => return Err(format!("unexpected attribute type {other}")),
    })
}

pub fn from_item(item: &Value) -> Result<Value, String> {
    let map = item
        .as_object()
        .ok_or_else(|| format!("not an item: {item}"))?;
    Ok(Value::Object(
        map.iter()
            .map(|(k, v)| Ok((k.clone(), from_attribute(v)?)))
            .collect::<Result<_, String>>()?,
    ))
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

/// Orders two scalar attribute values as DynamoDB orders key values: strings by their bytes,
/// numbers by value. `None` for values of different or non-scalar types.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    if let (Some(a), Some(b)) = (a["S"].as_str(), b["S"].as_str()) {
        return Some(a.cmp(b));
    }
    if let (Some(a), Some(b)) = (a["N"].as_str(), b["N"].as_str()) {
        if let (Ok(a), Ok(b)) = (a.parse::<i128>(), b.parse::<i128>()) {
            return Some(a.cmp(&b));
        }
        return a.parse::<f64>().ok()?.partial_cmp(&b.parse::<f64>().ok()?);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip() {
        let doc = json!({
            "a": 1, "b": -2.5, "c": "teks", "d": [true, null, {"e": []}], "f": {}, "g": "",
            "h": u64::MAX
        });
        let item = to_item(doc.as_object().unwrap());
        assert_eq!(item["a"], json!({"N": "1"}));
        assert_eq!(item["d"]["L"][2]["M"]["e"], json!({"L": []}));
        assert_eq!(from_item(&item).unwrap(), doc);
    }

    #[test]
    fn numbers_compare_by_value_and_strings_by_bytes() {
        let n = |s: &str| json!({ "N": s });
        assert_eq!(compare(&n("9"), &n("10")), Some(Ordering::Less));
        assert_eq!(
            compare(&n("1768187743456"), &n("1768187743456")),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare(&json!({"S": "b"}), &json!({"S": "a"})),
            Some(Ordering::Greater)
        );
        assert_eq!(compare(&n("1"), &json!({"S": "1"})), None);
    }
}
