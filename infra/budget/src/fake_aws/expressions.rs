//! The condition and key condition expressions the measured functions send, and no others.
//!
//! The fake endpoint does not parse DynamoDB's expression language: it recognises each
//! expression the adapters (`lapor::adapters::aws`) send on a measured path by its text
//! (whitespace aside) and evaluates it in Rust. An expression that is not in this file is
//! refused with its text, so a function that starts sending a new one fails the run instead of
//! being measured on a path the fake endpoint only pretends to answer.

use anyhow::{bail, ensure, Context, Result};
use serde_dynamo::{AttributeValue, Item};
use std::collections::HashMap;

/// `DynamoStore::insert` (alone and in its transaction): a new report.
const NEW_REPORT: &str = "attribute_not_exists(tracking_id)";
/// `DynamoStore::update`: the version the writer read is still the stored one.
const SAME_VERSION: &str = "version = :expected";
/// `DynamoChannelState::claim_delivery`: nothing there, a claim whose lease lapsed, or a record
/// TTL has not removed yet.
const FREE_CLAIM: &str =
    "attribute_not_exists(#key) OR (#state = :claimed AND lease_until < :now) \
                          OR #ttl < :now_s";
/// `DynamoChannelState::count_notice`: the recipient's notices of the day are under the cap, or
/// this one is among them already.
const UNDER_CAP: &str = "attribute_not_exists(ids) OR size(ids) < :cap OR contains(ids, :id)";
/// `DynamoChannelState::count_notice`: the notice counted, the record's expiry pushed on.
const COUNT_NOTICE: &str = "ADD ids :ids SET #ttl = :ttl";
/// `DynamoStore::list`: one partition of a list index.
const LIST_PARTITION: &str = "#partition = :partition";
/// `DynamoStore::due`: what is due by `:now` in the due index.
const DUE_BY: &str = "due_shard = :shard AND due_ms <= :now";

/// A request's `ExpressionAttributeNames` and `ExpressionAttributeValues`.
pub struct Operands<'a> {
    pub names: &'a HashMap<String, String>,
    pub values: &'a HashMap<String, AttributeValue>,
}

impl Operands<'_> {
    /// `#name` resolved; a plain attribute name as it is.
    fn name<'t>(&'t self, token: &'t str) -> Result<&'t str> {
        if token.starts_with('#') {
            self.names
                .get(token)
                .map(String::as_str)
                .with_context(|| format!("{token} is not in ExpressionAttributeNames"))
        } else {
            Ok(token)
        }
    }

    fn value(&self, token: &str) -> Result<&AttributeValue> {
        self.values
            .get(token)
            .with_context(|| format!("{token} is not in ExpressionAttributeValues"))
    }

    /// The attribute `token` names in `item`.
    fn attribute<'i>(
        &self,
        item: Option<&'i Item>,
        token: &str,
    ) -> Result<Option<&'i AttributeValue>> {
        let name = self.name(token)?;
        Ok(item.and_then(|i| i.get(name)))
    }

    /// `attribute < :value` for numbers; false when the attribute is missing or not a number,
    /// as in DynamoDB.
    fn less(&self, item: Option<&Item>, attribute: &str, value: &str) -> Result<bool> {
        let bound = number(self.value(value)?)?;
        Ok(self
            .attribute(item, attribute)?
            .and_then(|a| number(a).ok())
            .is_some_and(|n| n < bound))
    }
}

/// Collapses runs of whitespace, so that an expression reads the same however it was wrapped.
fn normalise(expression: &str) -> String {
    expression.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An `N` attribute as an integer (every number the measured expressions compare is one:
/// versions and milliseconds or seconds since the epoch).
pub fn number(value: &AttributeValue) -> Result<i128> {
    match value {
        AttributeValue::N(n) => n
            .parse()
            .with_context(|| format!("{n:?} is not an integer")),
        other => bail!("{other:?} is not a number"),
    }
}

/// Whether the `ConditionExpression` of a write holds for the item stored under its key
/// (`None`: no item).
pub fn condition_holds(
    expression: &str,
    stored: Option<&Item>,
    operands: &Operands,
) -> Result<bool> {
    let expression = normalise(expression);
    if expression == NEW_REPORT {
        Ok(operands.attribute(stored, "tracking_id")?.is_none())
    } else if expression == SAME_VERSION {
        let expected = number(operands.value(":expected")?)?;
        let version = operands.attribute(stored, "version")?;
        Ok(version.map(number).transpose()? == Some(expected))
    } else if expression == normalise(FREE_CLAIM) {
        let free = operands.attribute(stored, "#key")?.is_none();
        let claimed = operands.attribute(stored, "#state")? == Some(operands.value(":claimed")?);
        let lapsed = operands.less(stored, "lease_until", ":now")?;
        let expired = operands.less(stored, "#ttl", ":now_s")?;
        Ok(free || (claimed && lapsed) || expired)
    } else if expression == UNDER_CAP {
        let cap = usize::try_from(number(operands.value(":cap")?)?)?;
        let AttributeValue::S(id) = operands.value(":id")? else {
            bail!(":id is not a string");
        };
        Ok(match operands.attribute(stored, "ids")? {
            None => true,
            Some(AttributeValue::Ss(ids)) => ids.len() < cap || ids.contains(id),
            Some(other) => bail!("ids is {other:?}, not a string set"),
        })
    } else {
        bail!(
            "the condition {expression:?} is not one a measured function sends \
             (fake_aws/expressions.rs knows {:?})",
            [NEW_REPORT, SAME_VERSION, FREE_CLAIM, UNDER_CAP]
        )
    }
}

/// Applies an `UpdateExpression` to `item` (the stored item, or its key alone when there is
/// none).
pub fn update(expression: &str, item: &mut Item, operands: &Operands) -> Result<()> {
    let expression = normalise(expression);
    ensure!(
        expression == COUNT_NOTICE,
        "the update {expression:?} is not one a measured function sends \
         (fake_aws/expressions.rs knows {COUNT_NOTICE:?})"
    );
    let AttributeValue::Ss(added) = operands.value(":ids")? else {
        bail!(":ids is not a string set");
    };
    let ids = item
        .entry("ids".to_string())
        .or_insert_with(|| AttributeValue::Ss(Vec::new()));
    let AttributeValue::Ss(ids) = ids else {
        bail!("ids is {ids:?}, not a string set");
    };
    for id in added {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    let ttl = operands.name("#ttl")?.to_string();
    item.insert(ttl, operands.value(":ttl")?.clone());
    Ok(())
}

/// A `Query`'s key condition: the partition attribute and its value, and for the due index the
/// sort attribute with its inclusive upper bound.
#[derive(Debug, PartialEq)]
pub struct KeyCondition {
    pub partition: (String, AttributeValue),
    pub sort_at_most: Option<(String, i128)>,
}

impl KeyCondition {
    pub fn read(expression: &str, operands: &Operands) -> Result<KeyCondition> {
        let expression = normalise(expression);
        let partition = |name: &str, value: &str| -> Result<(String, AttributeValue)> {
            Ok((
                operands.name(name)?.to_string(),
                operands.value(value)?.clone(),
            ))
        };
        if expression == LIST_PARTITION {
            Ok(KeyCondition {
                partition: partition("#partition", ":partition")?,
                sort_at_most: None,
            })
        } else if expression == DUE_BY {
            Ok(KeyCondition {
                partition: partition("due_shard", ":shard")?,
                sort_at_most: Some(("due_ms".into(), number(operands.value(":now")?)?)),
            })
        } else {
            bail!(
                "the key condition {expression:?} is not one a measured function sends \
                 (fake_aws/expressions.rs knows {:?})",
                [LIST_PARTITION, DUE_BY]
            )
        }
    }

    /// Checks the condition is on the index's own key attributes.
    pub fn check_index(&self, partition: &str, sort: Option<&str>) -> Result<()> {
        ensure!(
            self.partition.0 == partition,
            "a key condition on {} for an index partitioned on {partition}",
            self.partition.0
        );
        if let Some((attribute, _)) = &self.sort_at_most {
            ensure!(
                Some(attribute.as_str()) == sort,
                "a key condition on {attribute} for an index sorted on {sort:?}"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    fn n(v: i64) -> AttributeValue {
        AttributeValue::N(v.to_string())
    }

    fn item(attributes: &[(&str, AttributeValue)]) -> Item {
        attributes
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<HashMap<_, _>>()
            .into()
    }

    #[test]
    fn a_new_report_and_an_update_are_conditional_on_what_is_stored() {
        let no_operands = Operands {
            names: &HashMap::new(),
            values: &HashMap::new(),
        };
        let stored = item(&[("tracking_id", s("A")), ("version", n(2))]);
        assert!(condition_holds(NEW_REPORT, None, &no_operands).unwrap());
        assert!(!condition_holds(NEW_REPORT, Some(&stored), &no_operands).unwrap());
        let expected = |v: i64| HashMap::from([(":expected".to_string(), n(v))]);
        let names = HashMap::new();
        for (version, holds) in [(2, true), (1, false)] {
            let values = expected(version);
            let operands = Operands {
                names: &names,
                values: &values,
            };
            assert_eq!(
                condition_holds(SAME_VERSION, Some(&stored), &operands).unwrap(),
                holds
            );
            assert!(!condition_holds(SAME_VERSION, None, &operands).unwrap());
        }
    }

    #[test]
    fn a_claim_is_free_when_absent_lapsed_or_expired() {
        let names = HashMap::from(
            [
                ("#key", "state_key"),
                ("#state", "state"),
                ("#ttl", "expires_at"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let values = HashMap::from(
            [
                (":claimed", s("claimed")),
                (":now", n(1_000)),
                (":now_s", n(1)),
            ]
            .map(|(k, v)| (k.to_string(), v)),
        );
        let operands = Operands {
            names: &names,
            values: &values,
        };
        // The adapter's text, wrapped as it is in the source.
        let claim = "attribute_not_exists(#key) OR (#state = :claimed AND lease_until < :now) \
                     OR #ttl < :now_s";
        let record = |state: &str, lease_until: i64, expires_at: i64| {
            item(&[
                ("state_key", s("delivery#n-1")),
                ("state", s(state)),
                ("lease_until", n(lease_until)),
                ("expires_at", n(expires_at)),
            ])
        };
        let holds = |stored: Option<&Item>| condition_holds(claim, stored, &operands).unwrap();
        assert!(holds(None));
        assert!(!holds(Some(&record("claimed", 2_000, 100))));
        assert!(holds(Some(&record("claimed", 999, 100))));
        assert!(!holds(Some(&record("sent", 999, 100))));
        assert!(holds(Some(&record("sent", 999, 0))));
    }

    #[test]
    fn a_notice_is_counted_once_up_to_the_cap() {
        let names = HashMap::from([("#ttl".to_string(), "expires_at".to_string())]);
        let values = |id: &str| {
            HashMap::from(
                [
                    (":ids", AttributeValue::Ss(vec![id.into()])),
                    (":id", s(id)),
                    (":cap", n(2)),
                    (":ttl", n(99)),
                ]
                .map(|(k, v)| (k.to_string(), v)),
            )
        };
        let mut record = item(&[("state_key", s("recipient#r#2026-01-12"))]);
        for id in ["a", "b", "b"] {
            let values = values(id);
            let operands = Operands {
                names: &names,
                values: &values,
            };
            assert!(
                condition_holds(UNDER_CAP, Some(&record), &operands).unwrap(),
                "{id}"
            );
            update(COUNT_NOTICE, &mut record, &operands).unwrap();
        }
        assert_eq!(
            record["ids"],
            AttributeValue::Ss(vec!["a".into(), "b".into()])
        );
        assert_eq!(record["expires_at"], n(99));
        let values = values("c");
        let operands = Operands {
            names: &names,
            values: &values,
        };
        assert!(!condition_holds(UNDER_CAP, Some(&record), &operands).unwrap());
        assert!(update("SET ids = :ids", &mut record, &operands).is_err());
    }

    #[test]
    fn key_conditions_name_their_index_keys() {
        let names = HashMap::from([("#partition".to_string(), "agency_id".to_string())]);
        let values = HashMap::from([
            (":partition".to_string(), s("pln")),
            (":shard".to_string(), s("due")),
            (":now".to_string(), n(30)),
        ]);
        let operands = Operands {
            names: &names,
            values: &values,
        };
        let list = KeyCondition::read("#partition = :partition", &operands).unwrap();
        assert_eq!(list.partition, ("agency_id".into(), s("pln")));
        list.check_index("agency_id", Some("created_ms")).unwrap();
        assert!(list.check_index("public_feed", Some("created_ms")).is_err());
        let due = KeyCondition::read("due_shard = :shard AND  due_ms <= :now", &operands).unwrap();
        assert_eq!(due.sort_at_most, Some(("due_ms".into(), 30)));
        due.check_index("due_shard", Some("due_ms")).unwrap();
        assert!(due.check_index("due_shard", Some("created_ms")).is_err());
    }

    #[test]
    fn any_other_expression_is_refused_with_its_text() {
        let names = HashMap::new();
        let values = HashMap::from([(":p".to_string(), s("pln"))]);
        let operands = Operands {
            names: &names,
            values: &values,
        };
        for other in [
            "attribute_exists(tracking_id)",
            "version = :expected OR version = :other",
            "begins_with(a, :p)",
            "a = :p",
        ] {
            let e = condition_holds(other, None, &operands).unwrap_err();
            assert!(e.to_string().contains(other), "{e}");
            assert!(KeyCondition::read(other, &operands).is_err(), "{other}");
        }
        // A known text with an operand missing is refused too.
        assert!(KeyCondition::read(DUE_BY, &operands).is_err());
    }
}
