//! Secrets Manager's `GetSecretValue` (JSON 1.1), for the secrets the functions read once at
//! cold start (`lapor::adapters::aws::secrets`: the PII key, the channels' secrets).

use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GetSecretValue {
    secret_id: String,
}

/// The answer for the secret named `SecretId` among `secrets` (name -> `SecretString`), shaped
/// like Secrets Manager's.
pub fn get_secret_value(
    secrets: &HashMap<String, String>,
    request: GetSecretValue,
) -> Result<String> {
    let name = request.secret_id;
    let value = secrets
        .get(&name)
        .with_context(|| format!("no secret {name:?} (the budget holds {:?})", secrets.keys()))?;
    let answer = serde_json::json!({
        "ARN": format!("arn:aws:secretsmanager:{}:{}:secret:{name}-AbCdEf", crate::settings::REGION, crate::settings::ACCOUNT),
        "Name": name,
        "VersionId": "00000000-0000-4000-8000-000000000001",
        "SecretString": value,
        "VersionStages": ["AWSCURRENT"],
        "CreatedDate": 1_768_000_000.0,
    });
    Ok(answer.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_secret_is_answered_and_another_refused() {
        let secrets = HashMap::from([("lapor/k".to_string(), "s3cret".to_string())]);
        let read = |json: &str| serde_json::from_str::<GetSecretValue>(json).unwrap();
        let answer = get_secret_value(&secrets, read(r#"{"SecretId": "lapor/k"}"#)).unwrap();
        let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(
            (answer["Name"].as_str(), answer["SecretString"].as_str()),
            (Some("lapor/k"), Some("s3cret"))
        );
        assert!(get_secret_value(&secrets, read(r#"{"SecretId": "other"}"#)).is_err());
        assert!(serde_json::from_str::<GetSecretValue>(
            r#"{"SecretId": "k", "VersionStage": "AWSPREVIOUS"}"#
        )
        .is_err());
    }
}
