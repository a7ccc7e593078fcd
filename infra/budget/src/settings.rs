//! What template.yaml says about each function (binary, memory, timeout, environment), and the
//! value the budget gives every variable the template sets.

use crate::fake_aws::dynamodb::{Index, Table, Tables};
use crate::fake_aws::{sms_gateway, FakeAws};
use anyhow::{ensure, Context, Result};
use lapor::template::Template;
use std::collections::HashMap;
use std::time::Duration;

pub const REGION: &str = "ap-southeast-3";
pub const ACCOUNT: &str = "123456789012";
pub const PREFIX: &str = "lapor-budget";

/// The SMS gateway's webhook secret (`sms_webhook_secret` in the channels' secret, at least 32
/// bytes): the budget signs the channels subject's posts with it, as the gateway does.
pub const SMS_WEBHOOK_SECRET: &str = "lapor-budget-sms-gateway-webhook-secret";

/// The secrets the functions read at cold start, by name (the template's `PiiKeySecretName` and
/// `ChannelSecretsName`).
const PII_KEY_SECRET: &str = "lapor/budget/pii-key";
const CHANNEL_SECRETS: &str = "lapor/budget/channels";

/// The template's default `NotifyDailyCap`: notices per recipient per day. The notifier subject
/// sends 3 a day to one recipient (its counts are put back before each invocation).
const NOTIFY_DAILY_CAP: &str = "20";

/// The notifier's `NOTIFY_RATES`: every provider limited (the limiter's bookkeeping is on the
/// measured path) at a rate no run comes near, so no send waits for its slot. The template's
/// rates (`sms=20`, a burst of 1) would make every warm invocation wait up to 50 ms per send:
/// that sleep is the throttle working, not a cost.
const NOTIFY_RATES: &str =
    "sms=100000:1000,x=100000:1000,messenger=100000:1000,whatsapp=100000:1000,email=100000:1000";

/// Every function of template.yaml, in the order measured (later ones read what earlier ones
/// wrote).
pub const MEASURED: [&str; 11] = [
    "IntakeFunction",
    "StatusFunction",
    "RouterFunction",
    "WebFunction",
    "Open311Function",
    "DirectoryFunction",
    "AgencyFunction",
    "ReporterFunction",
    "EscalationFunction",
    "ChannelsFunction",
    "NotifierFunction",
];

/// Functions not measured yet, each with the reason: a debt to pay, listed where it is seen.
pub const NOT_MEASURED: [(&str, &str); 1] = [(
    "AttachmentsFunction",
    "its subject needs an S3 imitation in FakeAws (the uploads it checks live in the bucket)",
)];

/// Every function template.yaml declares must be measured (or listed in [`NOT_MEASURED`]).
pub fn check_coverage(template: &Template) -> Result<()> {
    let missing: Vec<&str> = template
        .functions
        .iter()
        .map(|f| f.logical_id.as_str())
        .filter(|id| !MEASURED.contains(id) && !NOT_MEASURED.iter().any(|(n, _)| n == id))
        .collect();
    ensure!(
        missing.is_empty(),
        "template.yaml declares {missing:?}, which lapor-budget does not measure: give it a \
         subject in src/scenario"
    );
    Ok(())
}

/// A function's Lambda settings, from template.yaml.
pub struct FunctionSettings {
    pub binary: String,
    pub memory_mb: u32,
    pub timeout: Duration,
    /// The function's own environment, as template.yaml sets it.
    pub env: Vec<(String, String)>,
}

/// What the budget knows of template.yaml: its functions and what their variables are set to.
pub struct Setup {
    template: Template,
    yaml: serde_norway::Value,
    /// Variable -> the value the budget gives it.
    pub values: HashMap<String, String>,
}

impl Setup {
    pub fn new(values: HashMap<String, String>) -> Result<Setup> {
        Ok(Setup {
            template: Template::builtin(),
            yaml: serde_norway::from_str(lapor::template::TEMPLATE_YAML)
                .context("template.yaml")?,
            values,
        })
    }

    pub fn function(&self, logical_id: &str) -> Result<FunctionSettings> {
        let spec = self
            .template
            .function(logical_id)
            .with_context(|| format!("template.yaml has no {logical_id}"))?;
        let properties = &self.yaml["Resources"][logical_id]["Properties"];
        let memory = properties["MemorySize"]
            .as_u64()
            .or(self.yaml["Globals"]["Function"]["MemorySize"].as_u64())
            .unwrap_or(128);
        let variables = &properties["Environment"]["Variables"];
        let env = spec
            .environment
            .iter()
            .map(|name| {
                Ok((
                    name.clone(),
                    self.variable(logical_id, name, &variables[name])?,
                ))
            })
            .collect::<Result<_>>()?;
        Ok(FunctionSettings {
            binary: spec
                .binary
                .clone()
                .with_context(|| format!("{logical_id} names no Binary"))?,
            memory_mb: memory.try_into()?,
            timeout: Duration::from_secs(spec.timeout_seconds.into()),
            env,
        })
    }

    /// A value the template states (`NOTIFICATION_MAX_ATTEMPTS: "5"`) as it is; a reference
    /// (`!Ref`, `!Sub`) gets the budget's value.
    fn variable(
        &self,
        logical_id: &str,
        name: &str,
        stated: &serde_norway::Value,
    ) -> Result<String> {
        let literal = match stated {
            serde_norway::Value::String(s) => Some(s.clone()),
            serde_norway::Value::Number(n) => Some(n.to_string()),
            serde_norway::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        literal
            .or_else(|| self.values.get(name).cloned())
            .with_context(|| {
                format!(
                "template.yaml gives {logical_id} the variable {name}, which lapor-budget has no \
                 value for (add it to `settings::variable_values`)"
            )
            })
    }

    /// The Globals variables alone (for the hello-world floor, which reads none of them).
    pub fn global_env(&self) -> Vec<(String, String)> {
        let globals = self.yaml["Globals"]["Function"]["Environment"]["Variables"].as_mapping();
        let names = globals
            .into_iter()
            .flat_map(|vars| vars.keys())
            .filter_map(|k| k.as_str());
        names
            .filter_map(|k| Some((k.to_string(), self.values.get(k)?.clone())))
            .collect()
    }
}

pub fn table_name(logical_id: &str) -> String {
    format!("{PREFIX}-{logical_id}")
}

fn queue_url(aws: &FakeAws, logical_id: &str) -> String {
    format!("{}/{ACCOUNT}/{PREFIX}-{logical_id}", aws.url())
}

/// A fresh PII key: 32 random bytes, standard base64.
pub fn pii_key() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    base64::engine::general_purpose::STANDARD.encode(key)
}

/// Secrets Manager's secrets (name -> `SecretString`): the PII key (`pii_key`), and the
/// channels' secrets of a deployment that uses the SMS gateway only: its webhook secret and API
/// key, every other channel `-` (not used).
pub fn secrets(pii_key: &str) -> HashMap<String, String> {
    let unused = "-";
    let channels = serde_json::json!({
        "sms_webhook_secret": SMS_WEBHOOK_SECRET,
        "sms_api_key": sms_gateway::API_KEY,
        "x_consumer_secret": unused,
        "meta_app_secret": unused,
        "meta_verify_token": unused,
        "x_access_token": unused,
        "messenger_page_token": unused,
        "whatsapp_token": unused,
    });
    HashMap::from([
        (PII_KEY_SECRET.to_string(), pii_key.to_string()),
        (CHANNEL_SECRETS.to_string(), channels.to_string()),
    ])
}

/// The value of every variable template.yaml sets: tables and queues by their logical id, the
/// secrets by the names [`secrets`] holds them under, Globals as the template's defaults (Stage
/// `dev`, no deadline policy or extra holidays). The channels: the SMS gateway is the one
/// configured (the notifier's gateway on the fake endpoint); X is not used (`X_ACCOUNT_ID` `-`),
/// and the others are left empty as the template's parameters default
/// (`WHATSAPP_PHONE_NUMBER_ID`, `WHATSAPP_TEMPLATE`, `SES_FROM_ADDRESS`: no e-mail).
pub fn variable_values(aws: &FakeAws) -> HashMap<String, String> {
    use lapor::config::env;
    use lapor::outbound::env as notify;
    HashMap::from(
        [
            (env::REPORTS_TABLE, table_name("ReportsTable")),
            (env::IDEMPOTENCY_TABLE, table_name("IdempotencyTable")),
            (env::STATS_TABLE, table_name("StatsTable")),
            (env::AGENCIES_TABLE, table_name("AgenciesTable")),
            (
                env::ROUTING_EXAMPLES_TABLE,
                table_name("RoutingExamplesTable"),
            ),
            // No published model there (GetItem answers no item): the compiled-in one is used.
            (env::ROUTING_MODELS_TABLE, table_name("RoutingModelsTable")),
            (env::INTAKE_QUEUE_URL, queue_url(aws, "IntakeQueue")),
            (
                env::NOTIFICATION_QUEUE_URL,
                queue_url(aws, "NotificationQueue"),
            ),
            (
                env::NOTIFICATION_DEAD_LETTER_QUEUE_URL,
                queue_url(aws, "NotificationDeadLetterQueue"),
            ),
            (env::CHANNEL_STATE_TABLE, table_name("ChannelStateTable")),
            (env::PII_KEY_SECRET_ID, PII_KEY_SECRET.to_string()),
            (env::CHANNEL_SECRETS_ID, CHANNEL_SECRETS.to_string()),
            (env::X_ACCOUNT_ID, "-".to_string()),
            // The bucket is never called by the measured requests (no report has attachments):
            // its client is built, nothing is signed.
            (
                env::ATTACHMENTS_BUCKET,
                "lapor-budget-attachments".to_string(),
            ),
            (env::ATTACHMENT_MAX_BYTES, "10485760".to_string()),
            // Staff tokens are checked by the HTTP API's authorizer, and the web's sign-in
            // (`lapor::web::oidc::env`, a feature the budget does not build) is not configured:
            // the budget measures public pages.
            (env::STAFF_TOKEN_KEY_SECRET_ID, "-".to_string()),
            ("OIDC_ISSUER", "-".to_string()),
            ("OIDC_CLIENT_ID", "-".to_string()),
            ("OIDC_HOSTED_UI_URL", "-".to_string()),
            ("OIDC_CALLBACK_URL", "-".to_string()),
            ("OIDC_SIGNED_OUT_URL", "-".to_string()),
            ("OIDC_CLIENT_SECRET_ID", "-".to_string()),
            (notify::NOTIFY_RATES, NOTIFY_RATES.to_string()),
            (notify::NOTIFY_DAILY_CAP, NOTIFY_DAILY_CAP.to_string()),
            (notify::SMS_API_URL, aws.sms_api_url()),
            (notify::WHATSAPP_PHONE_NUMBER_ID, String::new()),
            (notify::WHATSAPP_TEMPLATE, String::new()),
            (notify::SES_FROM_ADDRESS, String::new()),
            ("LAPOR_STAGE", "dev".to_string()),
            ("RUST_LOG", "info".to_string()),
            ("LAPOR_DEADLINE_POLICY", String::new()),
            ("LAPOR_EXTRA_HOLIDAYS", String::new()),
        ]
        .map(|(k, v)| (k.to_string(), v)),
    )
}

/// The reports, agencies and channel state tables' keys and indexes, from template.yaml.
pub fn tables(template: &Template) -> Result<Tables> {
    let table = |logical_id: &str| {
        let spec = template
            .table(logical_id)
            .with_context(|| format!("template.yaml has no {logical_id}"))?;
        let table = Table {
            name: table_name(logical_id),
            key: spec.hash.name.clone(),
        };
        anyhow::Ok((table, spec))
    };
    let (reports, spec) = table("ReportsTable")?;
    let index = |i: &lapor::template::IndexSpec| Index {
        partition: i.hash.name.clone(),
        sort: i.range.as_ref().map(|r| r.name.clone()),
    };
    Ok(Tables {
        reports,
        reports_indexes: spec
            .global_indexes
            .iter()
            .map(|i| (i.name.clone(), index(i)))
            .collect(),
        agencies: table("AgenciesTable")?.0,
        channel_state: table("ChannelStateTable")?.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variable template.yaml sets, with the budget's value for it (`x` here).
    fn setup() -> Setup {
        let known = [
            "REPORTS_TABLE",
            "IDEMPOTENCY_TABLE",
            "STATS_TABLE",
            "AGENCIES_TABLE",
            "ROUTING_EXAMPLES_TABLE",
            "ROUTING_MODELS_TABLE",
            "INTAKE_QUEUE_URL",
            "NOTIFICATION_QUEUE_URL",
            "NOTIFICATION_DEAD_LETTER_QUEUE_URL",
            "CHANNEL_STATE_TABLE",
            "PII_KEY_SECRET_ID",
            "CHANNEL_SECRETS_ID",
            "X_ACCOUNT_ID",
            "ATTACHMENTS_BUCKET",
            "ATTACHMENT_MAX_BYTES",
            "NOTIFY_RATES",
            "NOTIFY_DAILY_CAP",
            "SMS_API_URL",
            "WHATSAPP_PHONE_NUMBER_ID",
            "WHATSAPP_TEMPLATE",
            "SES_FROM_ADDRESS",
            "LAPOR_STAGE",
            "RUST_LOG",
            "LAPOR_DEADLINE_POLICY",
            "LAPOR_EXTRA_HOLIDAYS",
            "STAFF_TOKEN_KEY_SECRET_ID",
            "OIDC_ISSUER",
            "OIDC_CLIENT_ID",
            "OIDC_HOSTED_UI_URL",
            "OIDC_CALLBACK_URL",
            "OIDC_SIGNED_OUT_URL",
            "OIDC_CLIENT_SECRET_ID",
        ];
        Setup::new(
            known
                .iter()
                .map(|k| (k.to_string(), "x".to_string()))
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn every_template_function_is_measured_with_every_variable_set() {
        let setup = setup();
        check_coverage(&setup.template).unwrap();
        let ids: Vec<&str> = setup
            .template
            .functions
            .iter()
            .map(|f| f.logical_id.as_str())
            .collect();
        for id in MEASURED {
            assert!(ids.contains(&id), "{id} is not in template.yaml");
            // `Setup::function` fails on a variable it has no value for.
            setup.function(id).unwrap();
        }
    }

    #[test]
    fn settings_come_from_the_template() {
        let setup = setup();
        let env = |settings: &FunctionSettings| -> HashMap<String, String> {
            settings.env.iter().cloned().collect()
        };
        let agency = setup.function("AgencyFunction").unwrap();
        assert_eq!(agency.binary, "agency");
        assert_eq!(env(&agency)["REPORTS_TABLE"], "x");
        let router = setup.function("RouterFunction").unwrap();
        assert_eq!((router.memory_mb, router.timeout.as_secs()), (512, 30));
        let escalation = setup.function("EscalationFunction").unwrap();
        assert_eq!(escalation.timeout.as_secs(), 120);
        let channels = setup.function("ChannelsFunction").unwrap();
        assert_eq!(channels.binary, "channels");
        let notifier = setup.function("NotifierFunction").unwrap();
        assert_eq!(notifier.binary, "notifier");
        let notifier = env(&notifier);
        for ours in [
            lapor::outbound::env::SMS_API_URL,
            lapor::outbound::env::NOTIFY_RATES,
            lapor::config::env::CHANNEL_SECRETS_ID,
        ] {
            assert_eq!(notifier[ours], "x", "{ours}");
        }
        // The template's own value, not the budget's.
        assert_eq!(notifier["NOTIFICATION_MAX_ATTEMPTS"], "5");
        assert!(setup
            .global_env()
            .iter()
            .any(|(k, _)| k == "LAPOR_DEADLINE_POLICY"));
    }

    #[test]
    fn the_secrets_are_what_the_functions_read() {
        let secrets = secrets(&pii_key());
        lapor::config::pii_sealer_from(
            lapor::config::env::PII_KEY_SECRET_ID,
            &secrets[PII_KEY_SECRET],
        )
        .unwrap();
        let channels = lapor::config::ChannelSecrets::from_json(
            lapor::config::env::CHANNEL_SECRETS_ID,
            &secrets[CHANNEL_SECRETS],
        )
        .unwrap();
        let sms = lapor::config::env::SMS_WEBHOOK_SECRET;
        assert_eq!(channels.get(sms).as_deref(), Some(SMS_WEBHOOK_SECRET));
        assert!(SMS_WEBHOOK_SECRET.len() >= lapor::service::webhooks::MIN_SECRET_BYTES);
        assert_eq!(channels.get(lapor::config::env::META_APP_SECRET), None);
    }

    #[test]
    fn the_tables_and_indexes_are_the_templates() {
        let tables = tables(&Template::builtin()).unwrap();
        assert_eq!(tables.reports.key, "tracking_id");
        assert_eq!(tables.agencies.key, "agency_id");
        let due = &tables.reports_indexes[lapor::config::indexes::REPORTS_BY_DUE];
        assert_eq!(
            (due.partition.as_str(), due.sort.as_deref()),
            ("due_shard", Some("due_ms"))
        );
    }
}
