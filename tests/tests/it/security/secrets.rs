//! Secrets in AWS: read by the function itself from Secrets Manager at cold start, never resolved
//! into its environment (where anyone allowed `lambda:GetFunctionConfiguration` reads them), and
//! readable only by the functions that need them.

use lapor::adapters::aws::secrets::{channel_secrets_from_secret, pii_sealer_from_secret};
use lapor::config::env;
use serde_norway::Value;

const TEMPLATE: &str = include_str!("../../../../template.yaml");

/// Every secret a function uses, by the environment variable the code would read it from.
const SECRET_VARIABLES: [&str; 9] = [
    env::PII_KEY,
    env::SMS_WEBHOOK_SECRET,
    env::X_CONSUMER_SECRET,
    env::META_APP_SECRET,
    env::META_VERIFY_TOKEN,
    env::SMS_API_KEY,
    env::X_ACCESS_TOKEN,
    env::MESSENGER_PAGE_TOKEN,
    env::WHATSAPP_TOKEN,
];

/// A YAML value with CloudFormation's short-form tags (`!Ref`, `!Sub`...) taken off.
fn untagged(value: &Value) -> &Value {
    match value {
        Value::Tagged(tagged) => untagged(&tagged.value),
        other => other,
    }
}

/// The resources `secretsmanager:GetSecretValue` is allowed on in `function`'s policies.
fn readable_secrets(resources: &Value, function: &str) -> Vec<String> {
    let policies = &resources[function]["Properties"]["Policies"];
    let mut out = Vec::new();
    for policy in policies.as_sequence().into_iter().flatten() {
        for statement in policy["Statement"].as_sequence().into_iter().flatten() {
            // `!If [Condition, statement, !Ref AWS::NoValue]`: the statement, where it applies.
            let statement = match statement {
                Value::Tagged(t) if t.tag == "If" => &t.value[1],
                other => other,
            };
            let actions = serde_norway::to_string(&statement["Action"]).unwrap();
            if !actions.contains("secretsmanager:GetSecretValue") {
                continue;
            }
            assert!(
                !actions.contains('*'),
                "{function}: a wildcard action beside GetSecretValue"
            );
            for resource in untagged(&statement["Resource"])
                .as_sequence()
                .into_iter()
                .flatten()
            {
                out.push(untagged(resource).as_str().unwrap_or_default().to_string());
            }
        }
    }
    out
}

#[test]
fn no_secret_is_resolved_into_a_functions_environment() {
    assert!(
        !TEMPLATE.contains("{{resolve:"),
        "a dynamic reference resolves a secret into plain text"
    );
    let template = lapor::template::Template::builtin();
    let doc: Value = serde_norway::from_str(TEMPLATE).unwrap();
    let resources = &doc["Resources"];
    for function in &template.functions {
        let id = &function.logical_id;
        for secret in SECRET_VARIABLES {
            assert!(
                !function.environment.iter().any(|v| v == secret),
                "{id} has the secret {secret} in its environment"
            );
        }
        let readable = readable_secrets(resources, id);
        let has = |var: &str| function.environment.iter().any(|v| v == var);
        // Each function may read exactly the secrets it names, and no other.
        let mut expected = Vec::new();
        if has(env::PII_KEY_SECRET_ID) {
            expected.push("${PiiKeySecretName}-??????");
        }
        if has(env::CHANNEL_SECRETS_ID) {
            expected.push("${ChannelSecretsName}-??????");
        }
        if has(env::STAFF_TOKEN_KEY_SECRET_ID) {
            expected.push("${StaffTokenKeySecretName}-??????");
        }
        if has(lapor::web::oidc::env::OIDC_CLIENT_SECRET_ID) {
            expected.push("${OidcClientSecretName}-??????");
        }
        assert_eq!(readable.len(), expected.len(), "{id}: {readable:?}");
        for (arn, name) in readable.iter().zip(&expected) {
            assert!(
                arn.starts_with(
                    "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
                ) && arn.ends_with(name),
                "{id}: {arn}"
            );
        }
    }
}

#[tokio::test]
async fn deployed_functions_read_their_secrets_from_secrets_manager_at_cold_start() {
    // Secrets Manager is served by the same moto server as SQS in the test set-up.
    let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL_SQS") else {
        assert!(
            !lapor_tests::servers_required(),
            "the test servers are required"
        );
        eprintln!("skipping: no test servers (run infra/scripts/test-all.sh)");
        return;
    };
    let aws = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .load()
        .await;
    let client = aws_sdk_secretsmanager::Client::new(&aws);
    let unique = format!(
        "lapor/test/{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    let key = lapor::crypto::Sealer::generate_key_base64();
    let channel_json = serde_json::json!({
        "sms_webhook_secret": "s".repeat(40), "x_consumer_secret": "-", "meta_app_secret": "",
        "sms_api_key": "gateway-key"
    })
    .to_string();
    for (name, value) in [
        (format!("{unique}/pii"), key.clone()),
        (format!("{unique}/channels"), channel_json),
    ] {
        client
            .create_secret()
            .name(&name)
            .secret_string(value)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "creating {name}: {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(e)
                )
            });
    }

    let sealer = pii_sealer_from_secret(&aws, &format!("{unique}/pii"))
        .await
        .unwrap();
    let expected = lapor::crypto::Sealer::from_base64_key(&key).unwrap();
    assert_eq!(
        expected.open(&sealer.seal(b"Siti")).unwrap(),
        b"Siti",
        "the same key"
    );

    let secrets = channel_secrets_from_secret(&aws, &format!("{unique}/channels"))
        .await
        .unwrap();
    assert_eq!(secrets.get(env::SMS_WEBHOOK_SECRET), Some("s".repeat(40)));
    assert_eq!(secrets.get(env::X_CONSUMER_SECRET), None, "`-` is unused");
    assert_eq!(secrets.get(env::META_APP_SECRET), None, "empty is unused");
    assert_eq!(
        secrets.get(env::SMS_API_KEY).as_deref(),
        Some("gateway-key")
    );

    // A missing secret stops the cold start, naming the variable and the secret, never a value.
    let missing = pii_sealer_from_secret(&aws, &format!("{unique}/nope"))
        .await
        .err()
        .unwrap();
    assert_eq!(missing.name, env::PII_KEY_SECRET_ID);
    assert!(
        missing.to_string().contains(&format!("{unique}/nope")),
        "{missing}"
    );
}
