//! Secrets from Secrets Manager, read once at cold start and kept in the process's memory.
//!
//! The template passes each function the secret's *name* (`PII_KEY_SECRET_ID`,
//! `CHANNEL_SECRETS_ID`), never its value: a value resolved into an environment variable would
//! be readable by anyone allowed `lambda:GetFunctionConfiguration`. Only the function's role may
//! read the secret (`secretsmanager:GetSecretValue` on it alone).

use crate::config::{self, env, ChannelSecrets, ConfigError};
use crate::crypto::Sealer;

/// The PII key: the secret named by `PII_KEY_SECRET_ID` holds it as 32 bytes of standard
/// base64 (its whole `SecretString`).
pub async fn pii_sealer(aws: &aws_config::SdkConfig) -> Result<Sealer, ConfigError> {
    pii_sealer_from_secret(aws, &config::required(env::PII_KEY_SECRET_ID)?).await
}

/// [`pii_sealer`] from the secret `secret_id` (a name or an ARN).
pub async fn pii_sealer_from_secret(
    aws: &aws_config::SdkConfig,
    secret_id: &str,
) -> Result<Sealer, ConfigError> {
    let text = secret_string(aws, env::PII_KEY_SECRET_ID, secret_id).await?;
    config::pii_sealer_from(env::PII_KEY_SECRET_ID, &text)
}

/// The channels' secrets: the secret named by `CHANNEL_SECRETS_ID`, a JSON object
/// ([`ChannelSecrets`]).
pub async fn channel_secrets(aws: &aws_config::SdkConfig) -> Result<ChannelSecrets, ConfigError> {
    channel_secrets_from_secret(aws, &config::required(env::CHANNEL_SECRETS_ID)?).await
}

/// [`channel_secrets`] from the secret `secret_id` (a name or an ARN).
pub async fn channel_secrets_from_secret(
    aws: &aws_config::SdkConfig,
    secret_id: &str,
) -> Result<ChannelSecrets, ConfigError> {
    let text = secret_string(aws, env::CHANNEL_SECRETS_ID, secret_id).await?;
    ChannelSecrets::from_json(env::CHANNEL_SECRETS_ID, &text)
}

/// The shared key of staff tokens, from the secret named by `STAFF_TOKEN_KEY_SECRET_ID` (32+
/// bytes in standard base64, like the local runner's key file); `None` when the variable is `-`:
/// the HTTP API's JWT authorizer checks the tokens.
#[cfg(feature = "lambda")]
pub async fn staff_tokens(
    aws: &aws_config::SdkConfig,
) -> Result<Option<crate::staff_tokens::SharedKeyTokens>, ConfigError> {
    let Some(id) = config::optional(env::STAFF_TOKEN_KEY_SECRET_ID) else {
        return Ok(None);
    };
    let text = secret_string(aws, env::STAFF_TOKEN_KEY_SECRET_ID, &id).await?;
    crate::staff_tokens::SharedKeyTokens::from_base64_key(&text)
        .map(Some)
        .map_err(|problem| ConfigError {
            name: env::STAFF_TOKEN_KEY_SECRET_ID,
            problem: format!("the secret {id:?}: {problem}"),
        })
}

/// The `SecretString` of the secret `id`; errors name the variable `variable` that named it.
async fn secret_string(
    aws: &aws_config::SdkConfig,
    variable: &'static str,
    id: &str,
) -> Result<String, ConfigError> {
    let problem = |problem: String| ConfigError {
        name: variable,
        problem,
    };
    let out = aws_sdk_secretsmanager::Client::new(aws)
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|e| {
            // The error names the secret and what went wrong (not found, access denied), never
            // a value: none was read.
            let e = aws_sdk_secretsmanager::error::DisplayErrorContext(e);
            problem(format!("cannot read the secret {id:?}: {e}"))
        })?;
    out.secret_string()
        .map(str::to_string)
        .ok_or_else(|| problem(format!("the secret {id:?} has no SecretString")))
}
