//! The functions' own cold start, as Lambda runs it: `adapters::aws::wiring::wire` reading the
//! environment the template sets, against DynamoDB Local and the SQS/Secrets Manager server.
//! The other tests build their `App` by hand; this one proves the wiring itself: that intake's
//! store publishes what it writes (a submission answered 201 is on the intake queue) and that a
//! function which sends nothing (status) still starts.

use lapor::adapters::aws::provision::{provision_with, Expiry};
use lapor::adapters::aws::wiring::wire;
use lapor::config::{env, needs};
use lapor::ports::QueueName;
use lapor::template::Template;
use lapor_tests::{answer, post_report_request, sample_report};

#[tokio::test]
async fn functions_wired_as_in_lambda_start_and_intake_publishes_what_it_stores() {
    let (Ok(_), Ok(sqs_endpoint)) = (
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB"),
        std::env::var("AWS_ENDPOINT_URL_SQS"),
    ) else {
        assert!(
            !lapor_tests::servers_required(),
            "the test servers are required"
        );
        eprintln!("skipping: no test servers (run infra/scripts/test-all.sh)");
        return;
    };
    // Secrets Manager is the SQS server's (moto) in the test set-up. One process per test
    // (nextest), so the environment is this test's own.
    std::env::set_var("AWS_ENDPOINT_URL_SECRETS_MANAGER", &sqs_endpoint);
    let config = lapor::adapters::aws::load_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let template = Template::builtin();
    let prefix = format!(
        "cold{}x{}-",
        std::process::id(),
        chrono::Utc::now().timestamp_subsec_micros()
    );
    let made = provision_with(&template, &dynamodb, &sqs, &prefix, Expiry::CodeOnly)
        .await
        .expect("provisioning on the test servers");
    let secret = format!("{prefix}pii");
    aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name(&secret)
        .secret_string(lapor::crypto::Sealer::generate_key_base64())
        .send()
        .await
        .expect("creating the PII key's secret");
    let intake_queue = made.queue(&template, QueueName::Intake);
    let notification_queue = made.queue(&template, QueueName::Notifications);
    for (name, value) in [
        (env::REPORTS_TABLE, made.table("ReportsTable").to_string()),
        (
            env::IDEMPOTENCY_TABLE,
            made.table("IdempotencyTable").to_string(),
        ),
        (env::STATS_TABLE, made.table("StatsTable").to_string()),
        (env::AGENCIES_TABLE, made.table("AgenciesTable").to_string()),
        (env::INTAKE_QUEUE_URL, intake_queue.url.clone()),
        (env::NOTIFICATION_QUEUE_URL, notification_queue.url.clone()),
        (env::PII_KEY_SECRET_ID, secret),
        (env::ATTACHMENTS_BUCKET, format!("{prefix}attachments")),
        (env::ATTACHMENT_MAX_BYTES, "10485760".to_string()),
    ] {
        std::env::set_var(name, value);
    }

    // The attachments function: the reports and the bucket, without the PII key.
    let checker = attachments::from_wired(
        wire("attachments", &needs::ATTACHMENTS)
            .await
            .expect("attachments wires"),
    )
    .expect("the attachments function has its parts");
    assert_eq!(checker.attachments.max_bytes, 10_485_760);

    // status sends nothing, and starts.
    let status = wire("status", &needs::STATUS).await.expect("status wires");
    status.app().expect("status has its app");

    // intake stores, and publishes the router's message with it.
    let intake = wire("intake", &needs::INTAKE).await.expect("intake wires");
    let app = intake.app().expect("intake has its app");
    let submitted = answer(
        intake::handle(&app, post_report_request(&sample_report().to_string(), &[]))
            .await
            .unwrap(),
    );
    assert_eq!(submitted.status, 201, "{}", submitted.text);
    let id = submitted.body["tracking_id"].as_str().unwrap();
    let received = sqs
        .receive_message()
        .queue_url(&intake_queue.url)
        .max_number_of_messages(10)
        .wait_time_seconds(2)
        .send()
        .await
        .expect("receiving from the intake queue");
    let bodies: Vec<&str> = received
        .messages()
        .iter()
        .filter_map(|m| m.body())
        .collect();
    assert!(
        bodies.iter().any(|b| b.contains(id)),
        "the router's message for {id} is on the intake queue: {bodies:?}"
    );
}
