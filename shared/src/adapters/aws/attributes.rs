//! Documents as native DynamoDB attributes (maps, lists, numbers) through `serde_dynamo`, so
//! items stay readable in the console and queryable, with one codec for item <-> struct.

use crate::ports::StoreError;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

/// A stored document as an item. Our documents always serialise (no maps with non-string keys).
pub fn to_item<T: serde::Serialize>(document: &T) -> Item {
    serde_dynamo::to_item(document).expect("a stored document serialises to an item")
}

/// An item as the document `what` names; one that does not decode is corrupt (not worth a
/// retry).
pub fn from_item<T: serde::de::DeserializeOwned>(what: &str, item: &Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item.clone()).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
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
        assert!(matches!(item.get("c"), Some(AttributeValue::S(s)) if s == "teks"));
        assert!(matches!(item.get("a"), Some(AttributeValue::N(n)) if n == "1"));
        let back: serde_json::Value = from_item("doc", &item).unwrap();
        assert_eq!(back, doc);
    }
}
