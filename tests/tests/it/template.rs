//! `template.yaml` is the single source of truth: what the code expects must be there, and the
//! rules AWS enforces only at deploy time (which cfn-lint and `sam validate` miss) hold.

use lapor::config::{attributes, indexes, needs};
use lapor::outbound::env as notify_env;
use lapor::ports::QueueName;
use lapor::template::Template;

/// The notifier's copy of the notification queue's `maxReceiveCount` (`functions/notifier`).
const NOTIFICATION_MAX_ATTEMPTS: &str = "NOTIFICATION_MAX_ATTEMPTS";

fn template() -> Template {
    Template::builtin()
}

#[test]
fn the_tables_have_the_keys_and_indexes_the_code_uses() {
    let t = template();
    let reports = t.table("ReportsTable").expect("ReportsTable");
    assert_eq!(reports.hash.name, attributes::REPORTS_KEY);
    assert_eq!(reports.hash.attribute_type, "S");
    assert!(
        reports.range.is_none(),
        "the code reads reports by tracking id alone"
    );
    let due = reports
        .global_indexes
        .iter()
        .find(|i| i.name == indexes::REPORTS_BY_DUE)
        .expect("the due index the sweep and escalation query");
    assert_eq!(due.hash.name, attributes::DUE_SHARD);
    assert_eq!(due.hash.attribute_type, "S");
    let range = due.range.as_ref().expect("due index sorts by time");
    assert_eq!(
        (range.name.as_str(), range.attribute_type.as_str()),
        (attributes::DUE_MS, "N")
    );

    let idempotency = t.table("IdempotencyTable").expect("IdempotencyTable");
    assert_eq!(idempotency.hash.name, attributes::IDEMPOTENCY_KEY);
    assert_eq!(
        idempotency.ttl_attribute.as_deref(),
        Some(attributes::IDEMPOTENCY_TTL),
        "idempotency records expire through TTL"
    );
}

#[test]
fn the_channel_tables_and_index_have_the_keys_the_code_uses() {
    let t = template();
    let reports = t.table("ReportsTable").expect("ReportsTable");
    let by_reporter = reports
        .global_indexes
        .iter()
        .find(|i| i.name == indexes::REPORTS_BY_REPORTER)
        .expect("the index a channel sender's next message is matched through");
    assert_eq!(
        (
            by_reporter.hash.name.as_str(),
            by_reporter.hash.attribute_type.as_str()
        ),
        (attributes::REPORTER_REF, "S")
    );
    let range = by_reporter.range.as_ref().expect("newest first");
    assert_eq!(
        (range.name.as_str(), range.attribute_type.as_str()),
        (attributes::CREATED_MS, "N")
    );

    let state = t.table("ChannelStateTable").expect("ChannelStateTable");
    assert_eq!(
        (state.hash.name.as_str(), state.hash.attribute_type.as_str()),
        (attributes::CHANNEL_STATE_KEY, "S")
    );
    assert!(state.range.is_none(), "channel state is read by key alone");
    assert_eq!(
        state.ttl_attribute.as_deref(),
        Some(attributes::CHANNEL_STATE_TTL),
        "claims and SMS parts expire through TTL"
    );
}

#[test]
fn the_directory_and_learning_tables_have_the_keys_the_code_uses() {
    let t = template();
    let agencies = t.table("AgenciesTable").expect("AgenciesTable");
    assert_eq!(
        (
            agencies.hash.name.as_str(),
            agencies.hash.attribute_type.as_str()
        ),
        (attributes::AGENCIES_KEY, "S")
    );
    assert!(agencies.range.is_none());
    for (table, hash, range) in [
        (
            "RoutingExamplesTable",
            attributes::EXAMPLES_KEY,
            attributes::EXAMPLES_SORT,
        ),
        (
            "RoutingModelsTable",
            attributes::MODELS_KEY,
            attributes::MODELS_SORT,
        ),
    ] {
        let spec = t.table(table).unwrap_or_else(|| panic!("{table} missing"));
        assert_eq!(
            (spec.hash.name.as_str(), spec.hash.attribute_type.as_str()),
            (hash, "S"),
            "{table}"
        );
        let r = spec
            .range
            .as_ref()
            .unwrap_or_else(|| panic!("{table} sort key"));
        assert_eq!(
            (r.name.as_str(), r.attribute_type.as_str()),
            (range, "N"),
            "{table}"
        );
    }
}

#[test]
fn every_queue_the_code_uses_has_a_dead_letter_queue() {
    let t = template();
    for name in QueueName::ALL {
        let queue = t
            .queue(name.template_resource())
            .unwrap_or_else(|| panic!("{name:?} is not in the template"));
        let (dlq, max) = queue
            .dead_letter
            .as_ref()
            .unwrap_or_else(|| panic!("{name:?} has no dead-letter queue"));
        assert!(
            t.queue(dlq).is_some(),
            "{dlq} is not a queue of the template"
        );
        assert!((1..=10).contains(max), "maxReceiveCount {max}");
    }
}

#[test]
fn sqs_consumers_follow_the_rules_aws_enforces_at_deploy_time() {
    let t = template();
    let mut consumers = 0;
    for f in &t.functions {
        for event in &f.sqs_events {
            consumers += 1;
            let queue = t
                .queue(&event.queue_logical_id)
                .expect("event queue exists");
            assert!(
                queue.visibility_timeout_seconds >= 6 * f.timeout_seconds,
                "{}: visibility timeout {} s must be at least 6x the consumer's timeout {} s",
                event.queue_logical_id,
                queue.visibility_timeout_seconds,
                f.timeout_seconds
            );
            assert_eq!(
                event.function_response_types,
                ["ReportBatchItemFailures"],
                "{}: partial batch failures need exactly this value",
                f.logical_id
            );
            assert!((1..=10_000).contains(&event.batch_size));
        }
    }
    assert!(
        consumers >= 2,
        "the router and the notifier consume their queues"
    );
}

/// The raw template, for what `Template` does not read (values, scaling).
fn raw_template() -> serde_norway::Value {
    serde_norway::from_str(lapor::template::TEMPLATE_YAML).expect("template.yaml parses")
}

#[test]
fn the_notifier_gives_up_on_the_receive_the_queue_would() {
    let t = template();
    let queue = t
        .queue(QueueName::Notifications.template_resource())
        .expect("the notification queue");
    let (_, max_receive_count) = queue.dead_letter.as_ref().expect("its redrive policy");
    let raw = raw_template();
    let notifier = &raw["Resources"]["NotifierFunction"]["Properties"];
    let attempts = &notifier["Environment"]["Variables"][NOTIFICATION_MAX_ATTEMPTS];
    let attempts: u32 = match attempts {
        serde_norway::Value::String(s) => s.parse().ok(),
        serde_norway::Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        _ => None,
    }
    .unwrap_or_else(|| panic!("{NOTIFICATION_MAX_ATTEMPTS} is not a number: {attempts:?}"));
    assert_eq!(
        attempts, *max_receive_count,
        "NotifierFunction's {NOTIFICATION_MAX_ATTEMPTS} must be NotificationQueue's maxReceiveCount"
    );

    // The per-instance rate limits hold globally only with the instances bounded.
    let events = notifier["Events"]
        .as_mapping()
        .expect("the notifier's events");
    let sqs = events
        .values()
        .find(|e| e["Type"].as_str() == Some("SQS"))
        .expect("the notifier's SQS event");
    assert!(
        sqs["Properties"]["ScalingConfig"]["MaximumConcurrency"]
            .as_u64()
            .is_some_and(|n| (2..=5).contains(&n)),
        "the notifier's SQS event needs a small ScalingConfig.MaximumConcurrency"
    );
}

#[test]
fn every_function_runs_on_the_right_runtime_and_builds_a_workspace_binary() {
    let t = template();
    // Each function crate builds one binary named after its directory.
    let functions = format!("{}/../functions", env!("CARGO_MANIFEST_DIR"));
    let binaries: Vec<String> = std::fs::read_dir(&functions)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| std::path::Path::new(&format!("{functions}/{name}/src/main.rs")).exists())
        .collect();
    assert!(binaries.len() >= 9, "{binaries:?}");
    for function in ["ChannelsFunction", "NotifierFunction"] {
        assert!(t.function(function).is_some(), "{function} missing");
    }
    for f in &t.functions {
        assert_eq!(
            f.runtime.as_deref(),
            Some("provided.al2023"),
            "{}",
            f.logical_id
        );
        let binary = f
            .binary
            .as_deref()
            .unwrap_or_else(|| panic!("{} has no Binary", f.logical_id));
        assert!(
            binaries.iter().any(|b| b == binary),
            "{}: unknown binary {binary}",
            f.logical_id
        );
    }
}

#[test]
fn every_environment_variable_the_code_reads_is_set_for_its_function() {
    let t = template();
    let optional: &[&str] = &[
        // Optional for the code, but a deploy should configure them: the notifier's providers
        // (their credentials come from the channels' secret), its attempts and its daily cap.
        NOTIFICATION_MAX_ATTEMPTS,
        notify_env::NOTIFY_RATES,
        notify_env::NOTIFY_DAILY_CAP,
        notify_env::SMS_API_URL,
        notify_env::WHATSAPP_PHONE_NUMBER_ID,
        notify_env::WHATSAPP_TEMPLATE,
        notify_env::SES_FROM_ADDRESS,
    ];
    let functions = [
        ("IntakeFunction", needs::INTAKE),
        ("StatusFunction", needs::STATUS),
        ("RouterFunction", needs::ROUTER),
        ("DirectoryFunction", needs::DIRECTORY),
        ("AgencyFunction", needs::AGENCY),
        ("ReporterFunction", needs::REPORTER),
        ("EscalationFunction", needs::ESCALATION),
        ("ChannelsFunction", needs::CHANNELS),
        ("NotifierFunction", needs::NOTIFIER),
        ("WebFunction", needs::WEB),
        ("Open311Function", needs::OPEN311),
        ("AttachmentsFunction", needs::ATTACHMENTS),
    ];
    // Every function of the template is in the list: a new one cannot be forgotten.
    let mut listed: Vec<&str> = functions.iter().map(|(f, _)| *f).collect();
    let mut defined: Vec<&str> = t.functions.iter().map(|f| f.logical_id.as_str()).collect();
    listed.sort_unstable();
    defined.sort_unstable();
    assert_eq!(listed, defined);
    for (function, needs) in functions {
        let spec = t
            .function(function)
            .unwrap_or_else(|| panic!("{function} missing"));
        let mut vars = needs.variables();
        if function == "NotifierFunction" {
            vars.extend(optional);
        }
        for var in vars {
            assert!(
                spec.environment.iter().any(|e| e == var),
                "{function} reads {var}, which the template does not set"
            );
        }
    }
}

#[test]
fn the_public_routes_are_the_ones_the_handlers_serve() {
    let t = template();
    let routes: Vec<(String, String, String)> = t
        .functions
        .iter()
        .flat_map(|f| {
            f.http_routes
                .iter()
                .map(move |(m, p)| (f.logical_id.clone(), m.clone(), p.clone()))
        })
        .collect();
    for expected in [
        ("IntakeFunction", "POST", "/v1/reports"),
        ("StatusFunction", "GET", "/v1/reports/{tracking_id}"),
        ("DirectoryFunction", "GET", "/v1/agencies"),
        ("DirectoryFunction", "GET", "/v1/agencies/{agency_id}"),
        ("DirectoryFunction", "POST", "/v1/routing/suggestions"),
        ("ChannelsFunction", "GET", "/v1/channels/{channel}"),
        ("ChannelsFunction", "POST", "/v1/channels/{channel}"),
        ("WebFunction", "GET", "/"),
        ("WebFunction", "GET", "/static/{file}"),
        ("WebFunction", "POST", "/kirim"),
        ("WebFunction", "GET", "/lacak/{tracking_id}"),
        ("WebFunction", "POST", "/lacak/{tracking_id}/{aksi}"),
        ("WebFunction", "GET", "/laporan"),
        ("WebFunction", "GET", "/petugas/{proxy+}"),
    ] {
        assert!(
            routes
                .iter()
                .any(|(f, m, p)| (f.as_str(), m.as_str(), p.as_str()) == expected),
            "{expected:?} not in {routes:?}"
        );
    }
}

#[test]
fn a_template_missing_what_the_code_needs_is_caught() {
    // The checks above read the template; this one proves they can fail.
    let broken =
        lapor::template::TEMPLATE_YAML.replace("IndexName: by-due", "IndexName: by-deadline");
    let t = Template::parse(&broken).unwrap();
    let reports = t.table("ReportsTable").unwrap();
    assert!(reports
        .global_indexes
        .iter()
        .all(|i| i.name != indexes::REPORTS_BY_DUE));
}

#[test]
fn only_the_staff_routes_are_behind_the_officer_authorizer() {
    let t = template();
    let mut staff_routes = 0;
    for f in &t.functions {
        for event in &f.http_events {
            let staff = event.path.starts_with("/v1/agency/");
            let route = format!("{} {} ({})", event.method, event.path, f.logical_id);
            if staff {
                staff_routes += 1;
                assert_eq!(
                    event.authorizer.as_deref(),
                    Some(lapor::auth::OFFICER_AUTHORIZER),
                    "{route}: staff routes must be behind the officers' JWT authorizer"
                );
            } else {
                assert_eq!(
                    event.authorizer, None,
                    "{route}: a public route must not require a staff token"
                );
            }
        }
    }
    assert!(staff_routes >= 1, "the template has no /v1/agency/ routes");
}

/// The LocalStack deployment's template (`lapor-local rest-template`, derived from this one)
/// passes the same linters as template.yaml. They come with the test command
/// (`LAPOR_TOOLS_BIN`); without them the test says so and passes, except under CI.
#[test]
fn the_localstack_rest_variant_passes_the_template_linters() {
    let Some(tools) = std::env::var_os("LAPOR_TOOLS_BIN").map(std::path::PathBuf::from) else {
        assert!(
            !matches!(std::env::var("CI").as_deref(), Ok("true") | Ok("1")),
            "CI: LAPOR_TOOLS_BIN (cfn-lint, sam) must be set by infra/scripts/test-all.sh"
        );
        eprintln!("LAPOR_TOOLS_BIN unset: the REST variant is not linted here");
        return;
    };
    let variant = lapor::rest_variant::rest_variant(lapor::template::TEMPLATE_YAML).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("template-rest.yaml");
    std::fs::write(&path, variant).unwrap();
    for (tool, args) in [
        ("cfn-lint", vec![path.to_str().unwrap()]),
        (
            "sam",
            vec!["validate", "--lint", "--template", path.to_str().unwrap()],
        ),
    ] {
        let out = std::process::Command::new(tools.join(tool))
            .args(&args)
            .env("AWS_DEFAULT_REGION", "ap-southeast-3")
            .env("SAM_CLI_TELEMETRY", "0")
            .output()
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(
            out.status.success(),
            "{tool} on the REST variant:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `QueueConsumers=disabled` leaves every queue to another consumer (`lapor-local --backend
/// aws` pointed at a LocalStack stack): every SQS event source follows the parameter.
#[test]
fn every_queue_consumer_follows_the_queue_consumers_parameter() {
    let raw = raw_template();
    let mut consumers = 0;
    for (id, resource) in raw["Resources"].as_mapping().unwrap() {
        for (name, event) in resource["Properties"]["Events"]
            .as_mapping()
            .into_iter()
            .flatten()
        {
            if event["Type"].as_str() != Some("SQS") {
                continue;
            }
            consumers += 1;
            let enabled = serde_norway::to_string(&event["Properties"]["Enabled"]).unwrap();
            assert!(
                enabled.contains("ConsumesQueues"),
                "{id:?} {name:?}: Enabled must follow the ConsumesQueues condition, is {enabled}"
            );
        }
    }
    assert_eq!(
        consumers, 3,
        "the router, the notifier and the attachments function"
    );
}

/// `infra/localstack/deploy.sh` deploys the REST variant: every parameter it sets and every
/// output it reads must exist there (LocalStack is not run in CI; this is what can drift).
#[test]
fn the_localstack_deploy_script_matches_the_rest_variant() {
    let script =
        std::fs::read_to_string(lapor_tests::workspace_root().join("infra/localstack/deploy.sh"))
            .unwrap();
    let variant: serde_norway::Value = serde_norway::from_str(
        &lapor::rest_variant::rest_variant(lapor::template::TEMPLATE_YAML).unwrap(),
    )
    .unwrap();
    let overrides = script
        .split("--parameter-overrides")
        .nth(1)
        .expect("deploy.sh passes parameters");
    let overrides = &overrides[..overrides.find("\n\n").unwrap_or(overrides.len())];
    let mut parameters = 0;
    for word in overrides.split(['"', ' ', '\\', '\n']) {
        if let Some((name, _)) = word.split_once('=') {
            parameters += 1;
            assert!(
                variant["Parameters"].get(name).is_some(),
                "deploy.sh sets {name}, which the REST variant does not have"
            );
        }
    }
    assert!(
        parameters >= 6,
        "parameters read from deploy.sh: {parameters}"
    );
    let mut outputs = 0;
    for part in script.split("$(output ").skip(1) {
        let name = &part[..part.find(')').unwrap()];
        outputs += 1;
        assert!(
            variant["Outputs"].get(name).is_some(),
            "deploy.sh reads the output {name}, which the REST variant does not have"
        );
    }
    assert!(outputs >= 10, "outputs read from deploy.sh: {outputs}");
}
