//! The floor, then the public's and the reporter's side: intake, status, the router, the public
//! feed and the directory search.

use super::events::{
    event_bytes, fixture, get_event, public_get_event, sqs_event, POST_REPORT, PUBLIC_FEED,
    SEARCH_AGENCIES,
};
use super::{listing, string, FirstReport, Round};
use crate::settings::FunctionSettings;
use crate::subject::{http_body, no_batch_failures, Events, Subject};
use anyhow::{ensure, Context, Result};
use bytes::Bytes;
use lapor::config::attributes::{AGENCY_ID, PUBLIC_FEED as PUBLIC_FEED_KEY};
use serde_json::Value;
use std::time::Duration;

impl Round<'_> {
    /// The floor: hello world on `lambda_runtime`, with the Globals' environment.
    pub(super) async fn hello(&mut self) -> Result<()> {
        let settings = FunctionSettings {
            binary: "lambda-hello".into(),
            memory_mb: 256,
            timeout: Duration::from_secs(10),
            env: self.setup.global_env(),
        };
        let events = Events::Cycle(vec![Bytes::from_static(POST_REPORT.as_bytes())]);
        let hello = Subject::new(
            "lambda-hello",
            settings,
            events,
            Box::new(|answer| {
                ensure!(answer["message"] == "hello", "unexpected answer {answer}");
                Ok(())
            }),
        );
        self.measure(hello).await.map(drop)
    }

    /// intake stores a report per invocation (kept by the endpoint) and queues it for routing.
    pub(super) async fn intake(&mut self) -> Result<FirstReport> {
        let events = Events::Cycle(vec![Bytes::from_static(POST_REPORT.as_bytes())]);
        let expect = Box::new(|answer: &Value| http_body(answer, 201).map(drop));
        let intake = self.subject("IntakeFunction", "intake", events, expect)?;
        let answers = self.measure(intake).await?;
        let submitted = http_body(&answers[0], 201)?;
        let field = |name: &str| submitted[name].as_str().unwrap_or_default().to_string();
        let first = FirstReport {
            tracking_id: field("tracking_id"),
            token: field("access_token"),
        };
        ensure!(
            self.aws.report(&first.tracking_id).is_some(),
            "intake answered {} but stored no report on the fake endpoint",
            first.tracking_id
        );
        Ok(first)
    }

    /// status: the reporter's view of the first report (opens the sealed contact).
    pub(super) async fn status(&mut self, first: &FirstReport) -> Result<()> {
        let events = Events::Cycle(vec![get_event(&first.tracking_id, &first.token)]);
        let expected = first.tracking_id.clone();
        let expect = Box::new(move |answer: &Value| {
            let body = http_body(answer, 200)?;
            ensure!(
                body["tracking_id"] == expected.as_str(),
                "expected the view of {expected}, got {body}"
            );
            Ok(())
        });
        let status = self.subject("StatusFunction", "status", events, expect)?;
        self.measure(status).await.map(drop)
    }

    /// router: each invocation routes another of the reports intake stored, with the message
    /// intake sent for it. Returns the institution the first report was routed to (`None`: it
    /// went to triage).
    pub(super) async fn router(&mut self, first: &FirstReport) -> Result<Option<String>> {
        let messages = self.queue(lapor::config::env::INTAKE_QUEUE_URL);
        ensure!(
            !messages.is_empty(),
            "intake sent no message to the intake queue"
        );
        let events = Events::Cycle(messages.iter().map(|m| sqs_event(m)).collect());
        let router = self.subject(
            "RouterFunction",
            "router",
            events,
            Box::new(no_batch_failures),
        )?;
        self.measure(router).await?;
        let id = &first.tracking_id;
        let report = self.aws.report(id).context("the first report is gone")?;
        ensure!(
            string(&report, "status") != Some("received"),
            "the router answered success but {id} is still `received`"
        );
        Ok(string(&report, AGENCY_ID).map(str::to_string))
    }

    /// status, the public feed: one page of the reports the router made public.
    pub(super) async fn feed(&mut self) -> Result<()> {
        let reports = self.aws.reports();
        let public = reports.iter().filter(|r| r.contains_key(PUBLIC_FEED_KEY));
        let page = public.count().min(lapor::service::inbox::DEFAULT_PAGE);
        let events = Events::Cycle(vec![event_bytes(&fixture(PUBLIC_FEED))]);
        let feed = self.subject(
            "StatusFunction",
            "status-feed",
            events,
            listing(page, "feed"),
        )?;
        self.measure(feed).await.map(drop)
    }

    /// directory: a search from the report form.
    pub(super) async fn directory(&mut self) -> Result<()> {
        let events = Events::Cycle(vec![event_bytes(&fixture(SEARCH_AGENCIES))]);
        let expect = Box::new(|answer: &Value| {
            let body = http_body(answer, 200)?;
            let found = body["agencies"].as_array().is_some_and(|a| !a.is_empty());
            ensure!(found, "expected agencies found, got {body}");
            Ok(())
        });
        let directory = self.subject("DirectoryFunction", "directory", events, expect)?;
        self.measure(directory).await.map(drop)
    }

    /// web: a citizen following the first report on its tracking page (HTML, public view).
    pub(super) async fn web(&mut self, first: &FirstReport) -> Result<()> {
        let id = first.tracking_id.clone();
        let path = format!("/lacak/{id}");
        let events = Events::Cycle(vec![public_get_event(
            "GET /lacak/{tracking_id}",
            &path,
            ("tracking_id", &id),
        )]);
        let expect = Box::new(move |answer: &Value| {
            let status = answer["statusCode"].as_u64();
            let body = answer["body"].as_str().unwrap_or_default();
            ensure!(
                status == Some(200) && body.contains("<html") && body.contains(&id[..5]),
                "expected the tracking page of {id}, got {answer}"
            );
            Ok(())
        });
        let web = self.subject("WebFunction", "web", events, expect)?;
        self.measure(web).await.map(drop)
    }

    /// open311: the first report as an Open311 service request (`requests/<id>.json`).
    pub(super) async fn open311(&mut self, first: &FirstReport) -> Result<()> {
        let id = first.tracking_id.clone();
        let file = format!("{id}.json");
        let events = Events::Cycle(vec![public_get_event(
            "GET /open311/v2/requests/{file}",
            &format!("/open311/v2/requests/{file}"),
            ("file", &file),
        )]);
        let expect = Box::new(move |answer: &Value| {
            let body = http_body(answer, 200)?;
            ensure!(
                body[0]["service_request_id"] == id.as_str(),
                "expected the service request {id}, got {body}"
            );
            Ok(())
        });
        let open311 = self.subject("Open311Function", "open311", events, expect)?;
        self.measure(open311).await.map(drop)
    }
}
