//! Configuration from the environment, read once at start-up; a missing or bad value stops the
//! process with a message naming the variable.
//!
//! Every name here must be set by `template.yaml` for the functions that read it (a test checks).

pub mod env {
    pub const REPORTS_TABLE: &str = "REPORTS_TABLE";
    pub const IDEMPOTENCY_TABLE: &str = "IDEMPOTENCY_TABLE";
    /// The statistics' counters, moved by every write of a report (`crate::stats`).
    pub const STATS_TABLE: &str = "STATS_TABLE";
    pub const INTAKE_QUEUE_URL: &str = "INTAKE_QUEUE_URL";
    pub const NOTIFICATION_QUEUE_URL: &str = "NOTIFICATION_QUEUE_URL";
    /// Read by a consumer that dead-letters messages itself, with a reason (the notifier).
    pub const NOTIFICATION_DEAD_LETTER_QUEUE_URL: &str = "NOTIFICATION_DEAD_LETTER_QUEUE_URL";
    pub const INTAKE_DEAD_LETTER_QUEUE_URL: &str = "INTAKE_DEAD_LETTER_QUEUE_URL";
    /// The bucket's upload events (S3 notifications) -> the attachments function.
    pub const UPLOAD_QUEUE_URL: &str = "UPLOAD_QUEUE_URL";
    pub const UPLOAD_DEAD_LETTER_QUEUE_URL: &str = "UPLOAD_DEAD_LETTER_QUEUE_URL";
    /// The private bucket of attachments (`attachments::keys`).
    pub const ATTACHMENTS_BUCKET: &str = "ATTACHMENTS_BUCKET";
    /// The largest file an attachment may be, in bytes (default 10 MiB).
    pub const ATTACHMENT_MAX_BYTES: &str = "ATTACHMENT_MAX_BYTES";
    /// Sent notifications and the parts of long SMS (`ports::ChannelState`).
    pub const CHANNEL_STATE_TABLE: &str = "CHANNEL_STATE_TABLE";
    /// The SMS gateway's shared secret: signs its webhook posts (`channels::sms`).
    pub const SMS_WEBHOOK_SECRET: &str = "SMS_WEBHOOK_SECRET";
    /// The X app's consumer secret: the CRC challenge and the webhook signatures.
    pub const X_CONSUMER_SECRET: &str = "X_CONSUMER_SECRET";
    /// The Meta app secret: `X-Hub-Signature-256` of Messenger and WhatsApp webhooks.
    pub const META_APP_SECRET: &str = "META_APP_SECRET";
    /// The token Meta echoes in the webhook verification handshake.
    pub const META_VERIFY_TOKEN: &str = "META_VERIFY_TOKEN";
    /// The X account's own numeric user id: the X webhook acts only on events for it.
    pub const X_ACCOUNT_ID: &str = "X_ACCOUNT_ID";
    /// The notifier's provider credentials (secrets, like the webhooks' above).
    pub use crate::outbound::env::{
        MESSENGER_PAGE_TOKEN, SMS_API_KEY, WHATSAPP_TOKEN, X_ACCESS_TOKEN,
    };
    /// 32 bytes, standard base64: seals reporters' contacts at rest. Set directly only for the
    /// local runner and tests; deployed functions read the key from [`PII_KEY_SECRET_ID`].
    pub const PII_KEY: &str = "LAPOR_PII_KEY";
    /// The Secrets Manager secret (name or ARN) holding the PII key, read at cold start.
    pub const PII_KEY_SECRET_ID: &str = "PII_KEY_SECRET_ID";
    /// The Secrets Manager secret (name or ARN) holding the channels' secrets as JSON
    /// ([`super::ChannelSecrets`]), read at cold start.
    pub const CHANNEL_SECRETS_ID: &str = "CHANNEL_SECRETS_ID";
    /// The agency directory (reference data, loaded by `lapor-local seed`).
    pub const AGENCIES_TABLE: &str = "AGENCIES_TABLE";
    /// Humans' routing decisions, kept as labelled examples for retraining.
    pub const ROUTING_EXAMPLES_TABLE: &str = "ROUTING_EXAMPLES_TABLE";
    /// Published routing model artifacts (chunked) and the `current` pointer.
    pub const ROUTING_MODELS_TABLE: &str = "ROUTING_MODELS_TABLE";
    /// The Secrets Manager secret holding the key of HS256 staff tokens (32+ bytes, standard
    /// base64), for a deployment whose API has no JWT authorizer (the LocalStack REST API); `-`
    /// behind the HTTP API, whose authorizer checks the identity provider's tokens.
    pub const STAFF_TOKEN_KEY_SECRET_ID: &str = "STAFF_TOKEN_KEY_SECRET_ID";
}

/// What a function needs from the outside world. Its cold start builds exactly these
/// (`adapters::aws::wiring`), the environment variables it checks at start-up are derived from
/// them ([`Needs::variables`]), and a test checks that `template.yaml` sets each for that
/// function: one list, read three ways.
#[derive(Debug, Clone, Copy, Default)]
pub struct Needs {
    /// The reports, idempotency and statistics tables (a write of a report moves its counters).
    pub reports: bool,
    /// The queues it sends to.
    pub queues: &'static [crate::ports::QueueName],
    /// The queues whose dead-letter queue it writes to itself, with a reason.
    pub dead_letters: &'static [crate::ports::QueueName],
    /// The agencies table: the published directory (else the compiled-in one).
    pub agencies: bool,
    /// Where human routing decisions are kept for retraining.
    pub examples: bool,
    /// The published routing models.
    pub models: bool,
    /// Sent notifications, waiting SMS parts, notice counts.
    pub channel_state: bool,
    /// The PII key (a Secrets Manager secret).
    pub pii: bool,
    /// The channels' secrets (a Secrets Manager secret).
    pub channel_secrets: bool,
    /// The shared key of staff tokens where no JWT authorizer checks them (a Secrets Manager
    /// secret, or `-`).
    pub staff_token_key: bool,
    /// The attachments' bucket and their size limit.
    pub attachments: bool,
    /// The function's own settings, beyond what the parts above need.
    pub own: &'static [&'static str],
}

impl Needs {
    /// Every environment variable these needs read.
    pub fn variables(&self) -> Vec<&'static str> {
        use crate::ports::QueueName;
        use env::*;
        let mut out = Vec::new();
        if self.reports {
            out.extend([REPORTS_TABLE, IDEMPOTENCY_TABLE, STATS_TABLE]);
        }
        for queue in self.queues {
            out.push(match queue {
                QueueName::Intake => INTAKE_QUEUE_URL,
                QueueName::Notifications => NOTIFICATION_QUEUE_URL,
                QueueName::Uploads => UPLOAD_QUEUE_URL,
            });
        }
        for queue in self.dead_letters {
            out.push(match queue {
                QueueName::Intake => INTAKE_DEAD_LETTER_QUEUE_URL,
                QueueName::Notifications => NOTIFICATION_DEAD_LETTER_QUEUE_URL,
                QueueName::Uploads => UPLOAD_DEAD_LETTER_QUEUE_URL,
            });
        }
        let parts = [
            (self.agencies, AGENCIES_TABLE),
            (self.examples, ROUTING_EXAMPLES_TABLE),
            (self.models, ROUTING_MODELS_TABLE),
            (self.channel_state, CHANNEL_STATE_TABLE),
            (self.pii, PII_KEY_SECRET_ID),
            (self.channel_secrets, CHANNEL_SECRETS_ID),
            (self.staff_token_key, STAFF_TOKEN_KEY_SECRET_ID),
        ];
        out.extend(parts.iter().filter(|(needed, _)| *needed).map(|(_, v)| *v));
        if self.attachments {
            out.extend([ATTACHMENTS_BUCKET, ATTACHMENT_MAX_BYTES]);
        }
        out.extend(self.own);
        out
    }
}

/// Each function's needs.
pub mod needs {
    use super::Needs;
    use crate::ports::QueueName::{Intake, Notifications};

    /// `POST /v1/reports`: stores, queues for routing, sends a typed contact its receipt.
    pub const INTAKE: Needs = Needs {
        reports: true,
        queues: &[Intake, Notifications],
        agencies: true,
        pii: true,
        ..NOTHING
    };
    /// The views and the public feed.
    pub const STATUS: Needs = Needs {
        reports: true,
        agencies: true,
        pii: true,
        attachments: true,
        ..NOTHING
    };
    /// Routes queued reports; tells the reporter (their contact stays sealed: no PII key).
    pub const ROUTER: Needs = Needs {
        reports: true,
        queues: &[Notifications],
        agencies: true,
        models: true,
        ..NOTHING
    };
    /// The directory and routing suggestions, with a draft's possible duplicates (it reads the
    /// reports' agency index).
    pub const DIRECTORY: Needs = Needs {
        reports: true,
        agencies: true,
        models: true,
        ..NOTHING
    };
    /// The officers' and verifiers' API; their routing decisions are kept for retraining. Behind
    /// a REST API (LocalStack) it checks staff tokens itself, with the staff token key.
    pub const AGENCY: Needs = Needs {
        reports: true,
        queues: &[Notifications],
        agencies: true,
        examples: true,
        pii: true,
        staff_token_key: true,
        attachments: true,
        ..NOTHING
    };
    /// The escalation pass; it also re-queues reports the router never got.
    pub const ESCALATION: Needs = Needs {
        reports: true,
        queues: &[Intake, Notifications],
        agencies: true,
        pii: true,
        ..NOTHING
    };
    /// The reporter's actions.
    pub const REPORTER: Needs = Needs {
        reports: true,
        queues: &[Notifications],
        agencies: true,
        pii: true,
        attachments: true,
        ..NOTHING
    };
    /// The channels' webhooks: a channel without its secret is disabled; `X_ACCOUNT_ID` may be
    /// `-` when X is not used.
    pub const CHANNELS: Needs = Needs {
        reports: true,
        queues: &[Intake, Notifications],
        agencies: true,
        channel_state: true,
        pii: true,
        channel_secrets: true,
        own: &[super::env::X_ACCOUNT_ID],
        attachments: true,
        ..NOTHING
    };
    /// The notifier: it dead-letters with a reason, so it needs the dead-letter queue's URL;
    /// `NOTIFICATION_MAX_ATTEMPTS` is its own. The providers' settings are optional.
    pub const NOTIFIER: Needs = Needs {
        dead_letters: &[Notifications],
        queues: &[Notifications],
        channel_state: true,
        pii: true,
        channel_secrets: true,
        own: &["NOTIFICATION_MAX_ATTEMPTS"],
        ..NOTHING
    };

    /// Checks uploaded attachments (the bucket's upload events): reads the upload, writes the
    /// cleaned file and preview, marks the attachment on its report.
    pub const ATTACHMENTS: Needs = Needs {
        reports: true,
        agencies: true,
        attachments: true,
        ..NOTHING
    };

    /// The web pages: the citizens' (submit, track, reply, rate, withdraw, the feed, routing
    /// suggestions) and the officers' (inbox and actions, whose routing decisions are kept).
    /// `LAPOR_WEB_INSECURE_COOKIES` is read but never set in AWS: only the local plain-HTTP
    /// runner sets it.
    pub const WEB: Needs = Needs {
        reports: true,
        queues: &[Intake, Notifications],
        agencies: true,
        examples: true,
        models: true,
        pii: true,
        attachments: true,
        ..NOTHING
    };

    /// Open311 GeoReport v2: the public feed and views as service requests, and submission by
    /// institutions' systems with an API key (kept in the idempotency table), through the same
    /// intake as `POST /v1/reports`.
    pub const OPEN311: Needs = Needs {
        reports: true,
        queues: &[Intake, Notifications],
        agencies: true,
        pii: true,
        ..NOTHING
    };

    const NOTHING: Needs = Needs {
        reports: false,
        queues: &[],
        dead_letters: &[],
        agencies: false,
        examples: false,
        models: false,
        channel_state: false,
        pii: false,
        channel_secrets: false,
        staff_token_key: false,
        attachments: false,
        own: &[],
    };
}

/// Key and index attribute names the code reads and writes; each must be defined in
/// `template.yaml` on its table (a test checks).
pub mod attributes {
    pub const REPORTS_KEY: &str = "tracking_id";
    pub const IDEMPOTENCY_KEY: &str = "key_hash";
    pub const IDEMPOTENCY_TTL: &str = "expires_at";
    pub const DUE_SHARD: &str = "due_shard";
    pub const DUE_MS: &str = "due_ms";
    /// Reports table: `created_at` in Unix milliseconds, the sort key of every list index.
    pub const CREATED_MS: &str = "created_ms";
    /// Reports table: the handling institution (partition of `by-agency`).
    pub const AGENCY_ID: &str = "agency_id";
    /// Reports table: the assigned work unit (partition of `by-work-unit`).
    pub const WORK_UNIT: &str = "work_unit";
    /// Reports table: set (to `triage`) only while the report waits for verifiers.
    pub const TRIAGE_QUEUE: &str = "triage_queue";
    /// Reports table: set (to `public`) only while the public feed may list the report.
    pub const PUBLIC_FEED: &str = "public_feed";
    pub const AGENCIES_KEY: &str = "agency_id";
    pub const EXAMPLES_KEY: &str = "tracking_id";
    pub const EXAMPLES_SORT: &str = "decided_version";
    pub const MODELS_KEY: &str = "model_version";
    pub const MODELS_SORT: &str = "chunk";
    /// Reports table: [`crate::domain::Report::reporter_ref`] (partition of `by-reporter`).
    pub const REPORTER_REF: &str = "reporter_ref";
    /// Reports table: [`crate::domain::Report::supervision_key`] (partition of `by-supervisor`).
    pub const SUPERVISOR: &str = "supervisor";
    /// Statistics table, item (`report:<id>`, `facts`): what the report contributes to the
    /// statistics (`crate::stats::Facts`, JSON), written with each counted write of the report
    /// so the next one subtracts exactly that.
    pub const STATS_FACTS: &str = "facts";
    /// Statistics table: partition `scope` (`national`, `agency:ID`, `province:32`,
    /// `regency:32.73`; `report:<id>` for a report's facts), sort `period` (`YYYY-MM`; `facts`);
    /// every other attribute of a scope's month is a counter.
    pub const STATS_SCOPE: &str = "scope";
    pub const STATS_PERIOD: &str = "period";
    pub const CHANNEL_STATE_KEY: &str = "state_key";
    pub const CHANNEL_STATE_TTL: &str = "expires_at";
}

/// Index names the code queries; each must exist in `template.yaml` on its table.
pub mod indexes {
    /// Reports table, sparse: partition `due_shard`, sort `due_ms`; only reports with a `due_at`.
    pub const REPORTS_BY_DUE: &str = "by-due";
    /// Partition `agency_id`, sort `created_ms`: an institution's inbox.
    pub const REPORTS_BY_AGENCY: &str = "by-agency";
    /// Partition `work_unit`, sort `created_ms`: a work unit's inbox.
    pub const REPORTS_BY_WORK_UNIT: &str = "by-work-unit";
    /// Sparse, partition `triage_queue`, sort `created_ms`: the verifiers' queue.
    pub const REPORTS_BY_TRIAGE: &str = "by-triage";
    /// Sparse, partition `public_feed`, sort `created_ms`: the public feed.
    pub const REPORTS_BY_PUBLIC: &str = "by-public";
    /// Sparse, partition `reporter_ref`, sort `created_ms`: one channel sender's reports.
    pub const REPORTS_BY_REPORTER: &str = "by-reporter";
    /// Sparse, partition `supervisor`, sort `created_ms`: a supervisor's overdue reports.
    pub const REPORTS_BY_SUPERVISOR: &str = "by-supervisor";
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

/// Fails with every missing variable named at once, so a misconfigured deploy is fixed in one go.
pub fn check(names: &[&'static str]) -> Result<(), ConfigError> {
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| std::env::var(n).map_or(true, |v| v.trim().is_empty()))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ConfigError {
            name: "environment",
            problem: format!("not set: {}", missing.join(", ")),
        })
    }
}

pub fn required(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError {
            name,
            problem: "is not set".into(),
        }),
    }
}

/// A setting's value, or `None` when it is unset, empty or `-` (what a deployment's channel
/// secret holds for a channel it does not use: a secret's keys cannot be left empty).
pub fn configured(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty() && v != "-")
}

/// The environment variable `name` as [`configured`] reads it.
pub fn optional(name: &str) -> Option<String> {
    configured(std::env::var(name).ok())
}

/// The PII key from `LAPOR_PII_KEY` (the local runner and tests; deployed functions read it
/// from Secrets Manager: `adapters::aws::secrets`).
pub fn pii_sealer() -> Result<crate::crypto::Sealer, ConfigError> {
    pii_sealer_from(env::PII_KEY, &required(env::PII_KEY)?)
}

/// A PII key (32 bytes, standard base64) as a sealer; `name` says where it came from.
pub fn pii_sealer_from(
    name: &'static str,
    key_base64: &str,
) -> Result<crate::crypto::Sealer, ConfigError> {
    crate::crypto::Sealer::from_base64_key(key_base64.trim()).map_err(|e| ConfigError {
        name,
        problem: e.to_string(),
    })
}

/// The channels' secrets: the webhooks' (checking what providers post) and the notifier's
/// (sending through the providers). In AWS they are one Secrets Manager secret, a JSON object
/// with these keys, read once at cold start ([`env::CHANNEL_SECRETS_ID`]); the local runner
/// and tests take them from environment variables named like the keys in capitals. A value
/// that is empty or `-` means "not used" ([`configured`]).
#[derive(Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSecrets {
    #[serde(default)]
    pub sms_webhook_secret: Option<String>,
    #[serde(default)]
    pub x_consumer_secret: Option<String>,
    #[serde(default)]
    pub meta_app_secret: Option<String>,
    #[serde(default)]
    pub meta_verify_token: Option<String>,
    #[serde(default)]
    pub sms_api_key: Option<String>,
    #[serde(default)]
    pub x_access_token: Option<String>,
    #[serde(default)]
    pub messenger_page_token: Option<String>,
    #[serde(default)]
    pub whatsapp_token: Option<String>,
}

impl std::fmt::Debug for ChannelSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Which are set, never their values.
        let mut d = f.debug_struct("ChannelSecrets");
        for (name, value) in self.by_variable() {
            d.field(name, &value.map(|_| "<set>"));
        }
        d.finish()
    }
}

impl ChannelSecrets {
    /// Each secret with the environment variable name it goes by.
    fn by_variable(&self) -> [(&'static str, Option<&String>); 8] {
        [
            (env::SMS_WEBHOOK_SECRET, self.sms_webhook_secret.as_ref()),
            (env::X_CONSUMER_SECRET, self.x_consumer_secret.as_ref()),
            (env::META_APP_SECRET, self.meta_app_secret.as_ref()),
            (env::META_VERIFY_TOKEN, self.meta_verify_token.as_ref()),
            (env::SMS_API_KEY, self.sms_api_key.as_ref()),
            (env::X_ACCESS_TOKEN, self.x_access_token.as_ref()),
            (
                env::MESSENGER_PAGE_TOKEN,
                self.messenger_page_token.as_ref(),
            ),
            (env::WHATSAPP_TOKEN, self.whatsapp_token.as_ref()),
        ]
    }

    /// From environment variables (`SMS_WEBHOOK_SECRET`, ...): the local runner and tests.
    pub fn from_env() -> ChannelSecrets {
        ChannelSecrets::from_lookup(|name| std::env::var(name).ok())
    }

    /// From any lookup by environment-variable name.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> ChannelSecrets {
        let read = |name: &str| configured(lookup(name));
        ChannelSecrets {
            sms_webhook_secret: read(env::SMS_WEBHOOK_SECRET),
            x_consumer_secret: read(env::X_CONSUMER_SECRET),
            meta_app_secret: read(env::META_APP_SECRET),
            meta_verify_token: read(env::META_VERIFY_TOKEN),
            sms_api_key: read(env::SMS_API_KEY),
            x_access_token: read(env::X_ACCESS_TOKEN),
            messenger_page_token: read(env::MESSENGER_PAGE_TOKEN),
            whatsapp_token: read(env::WHATSAPP_TOKEN),
        }
    }

    /// From the secret's JSON text (Secrets Manager's `SecretString`); `name` names the secret
    /// in errors, which never quote the text (it is a secret). Unknown keys are refused, so a
    /// misspelt key is found at start-up.
    pub fn from_json(name: &'static str, text: &str) -> Result<ChannelSecrets, ConfigError> {
        let parsed: ChannelSecrets = serde_json::from_str(text).map_err(|e| {
            let problem = if e.to_string().starts_with("unknown field") {
                // Names the key, which is no secret.
                e.to_string()
            } else {
                format!(
                    "is not a JSON object of strings (line {}, column {})",
                    e.line(),
                    e.column()
                )
            };
            ConfigError { name, problem }
        })?;
        Ok(ChannelSecrets::from_lookup(|variable| {
            parsed.get_raw(variable)
        }))
    }

    fn get_raw(&self, name: &str) -> Option<String> {
        self.by_variable()
            .into_iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.cloned())
    }

    /// The secret that goes by the environment variable `name`, if it is one and is set.
    pub fn get(&self, name: &str) -> Option<String> {
        self.get_raw(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_secrets_read_json_and_never_show_a_value() {
        let secrets = ChannelSecrets::from_json(
            "CHANNEL_SECRETS_ID",
            r#"{"sms_webhook_secret":" s3cret-value ","x_consumer_secret":"-","meta_app_secret":""}"#,
        )
        .unwrap();
        assert_eq!(
            secrets.get(env::SMS_WEBHOOK_SECRET).as_deref(),
            Some("s3cret-value")
        );
        assert_eq!(secrets.get(env::X_CONSUMER_SECRET), None, "`-` is not used");
        assert_eq!(secrets.get(env::META_APP_SECRET), None, "empty is not used");
        assert_eq!(secrets.get("REPORTS_TABLE"), None);
        assert!(!format!("{secrets:?}").contains("s3cret"));

        let typo = ChannelSecrets::from_json("CHANNEL_SECRETS_ID", r#"{"sms_webhok_secret":"x"}"#)
            .unwrap_err();
        assert!(typo.problem.contains("sms_webhok_secret"), "{typo}");
        let wrong = ChannelSecrets::from_json("CHANNEL_SECRETS_ID", r#"{"sms_api_key": 12345678}"#)
            .unwrap_err();
        assert!(!wrong.to_string().contains("12345678"), "{wrong}");
    }
}
