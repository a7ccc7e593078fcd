//! The LocalStack deployment puts the routes on a REST API (payload 1.0, `lapor-local
//! rest-template`) instead of the HTTP API (payload 2.0). Each request here is built once as the
//! HTTP API delivers it and turned into its REST twin, and both go through the same handler: the
//! answers must be the same. The REST API has no JWT authorizer, so the twin carries a staff
//! token the agency function checks itself (`lambda::rest::RestAuthorizer`).

use lambda_http::{Request, RequestExt};
use lapor::auth::{StaffClaims, StaffRole};
use lapor::lambda::http::route_key;
use lapor::lambda::rest::RestAuthorizer;
use lapor::staff_tokens::SharedKeyTokens;
use lapor_tests::{answer, api_request, embedded, sample_report, HttpAnswer, Staff};
use serde_json::{json, Map, Value};

const KEY: [u8; 32] = [9; 32];
const BANDUNG: &str = "pemda-32.73";

/// `req` (payload 2.0) as a REST API would deliver it (payload 1.0): the same method, path,
/// query, headers and body; the route as `resource`; the stage in the context. `token` goes in
/// `Authorization` (the REST API passes the header on and checks nothing).
fn rest_twin(req: &Request, token: Option<&str>) -> Request {
    let route = route_key(req);
    let (method, resource) = route.split_once(' ').expect("a route key");
    let mut headers = Map::new();
    for (name, value) in req.headers() {
        headers.insert(name.to_string(), value.to_str().unwrap().into());
    }
    headers.remove("authorization");
    if let Some(token) = token {
        headers.insert("authorization".into(), format!("Bearer {token}").into());
    }
    let multi = |m: &Map<String, Value>| -> Map<String, Value> {
        m.iter().map(|(k, v)| (k.clone(), json!([v]))).collect()
    };
    let query: Map<String, Value> = req
        .query_string_parameters_ref()
        .map(|q| {
            q.iter()
                .map(|(k, v)| (k.to_string(), Value::from(v)))
                .collect()
        })
        .unwrap_or_default();
    let path_parameters: Map<String, Value> = req
        .path_parameters_ref()
        .map(|p| {
            p.iter()
                .map(|(k, v)| (k.to_string(), Value::from(v)))
                .collect()
        })
        .unwrap_or_default();
    let path = req.uri().path().trim_start_matches("/dev").to_string();
    let body = match req.body() {
        lambda_http::Body::Text(t) => Value::from(t.as_str()),
        lambda_http::Body::Empty => Value::Null,
        lambda_http::Body::Binary(b) => Value::from(String::from_utf8(b.to_vec()).unwrap()),
        _ => Value::Null,
    };
    let event = json!({
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": multi(&headers),
        "queryStringParameters": if query.is_empty() { Value::Null } else { Value::Object(query.clone()) },
        "multiValueQueryStringParameters": if query.is_empty() { Value::Null } else { Value::Object(multi(&query)) },
        "pathParameters": if path_parameters.is_empty() { Value::Null } else { Value::Object(path_parameters) },
        "stageVariables": null,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "restapi01",
            "resourceId": "abc123",
            "resourcePath": resource,
            "httpMethod": method,
            "path": format!("/dev{path}"),
            "stage": "dev",
            "protocol": "HTTP/1.1",
            "requestId": "4e0c6f5a-1b2c-4d3e-8f9a-0b1c2d3e4f5a",
            "requestTimeEpoch": 1768188037905u64,
            "identity": { "sourceIp": "198.51.100.23" },
        },
        "body": body,
        "isBase64Encoded": false,
    });
    let twin = lambda_http::request::from_str(&event.to_string()).expect("a valid REST event");
    assert_eq!(route_key(&twin), route, "the twin names the same route");
    twin
}

fn officer_claims() -> StaffClaims {
    StaffClaims::new("staff-7", StaffRole::Officer, Some(BANDUNG.into())).unwrap()
}

fn same(what: &str, http: &HttpAnswer, rest: &HttpAnswer) {
    assert_eq!(
        (http.status, &http.text),
        (rest.status, &rest.text),
        "{what}: HTTP API vs REST API"
    );
}

#[tokio::test]
async fn the_rest_api_is_answered_like_the_http_api() {
    let h = embedded().await;
    let tokens = SharedKeyTokens::new(&KEY);
    let edge = RestAuthorizer::new(Some(tokens.clone()));
    let token = tokens.mint(
        &officer_claims(),
        h.app.clock.now(),
        std::time::Duration::from_secs(3600),
    );
    let officer = Staff::officer("staff-7", BANDUNG);
    let s = h.submit_routed(&sample_report()).await;
    assert_eq!(h.stored(&s.id).await.agency_id.as_deref(), Some(BANDUNG));

    // The public routes: the same request, the same answer.
    let reporter_auth = format!("Bearer {}", s.token);
    let reads = [
        (
            "public view",
            api_request(
                "GET /v1/reports/{tracking_id}",
                Some(&s.id),
                "",
                None,
                &[],
                None,
            ),
        ),
        (
            "reporter's view",
            api_request(
                "GET /v1/reports/{tracking_id}",
                Some(&s.id),
                "",
                None,
                &[("authorization", &reporter_auth)],
                None,
            ),
        ),
        (
            "feed",
            api_request("GET /v1/reports", None, "limit=5", None, &[], None),
        ),
        (
            "bad query",
            api_request("GET /v1/reports", None, "limit=nope", None, &[], None),
        ),
    ];
    for (what, req) in reads {
        let rest = rest_twin(&req, req_bearer(&req).as_deref());
        let http = answer(status::handle(&h.app, req).await.unwrap());
        let rest = answer(
            status::handle(&h.app, edge.admit(rest, h.app.clock.now()))
                .await
                .unwrap(),
        );
        same(what, &http, &rest);
    }
    let bad = api_request(
        "POST /v1/reports",
        None,
        "",
        Some(r#"{"kind":"complaint","title":""}"#),
        &[],
        None,
    );
    let rest = rest_twin(&bad, None);
    same(
        "invalid report",
        &answer(intake::handle(&h.app, bad).await.unwrap()),
        &answer(intake::handle(&h.app, rest).await.unwrap()),
    );

    // The officers' routes: claims from the authorizer on one side, the token the function
    // checks itself on the other.
    for (what, route, id) in [
        ("inbox", "GET /v1/agency/reports", None),
        (
            "staff view",
            "GET /v1/agency/reports/{tracking_id}",
            Some(s.id.as_str()),
        ),
    ] {
        let req = api_request(route, id, "", None, &[], Some(&officer));
        let rest = edge.admit(rest_twin(&req, Some(&token)), h.app.clock.now());
        same(
            what,
            &answer(agency::handle(&h.app, req).await.unwrap()),
            &answer(agency::handle(&h.app, rest).await.unwrap()),
        );
    }

    // An action through the REST API acts; its replay through the HTTP API is the same answer.
    let accept = json!({"action_id": "11111111-2222-4333-8444-555555555555", "action": "accept"})
        .to_string();
    let route = "POST /v1/agency/reports/{tracking_id}/actions";
    let req = api_request(route, Some(&s.id), "", Some(&accept), &[], Some(&officer));
    let rest = edge.admit(rest_twin(&req, Some(&token)), h.app.clock.now());
    let by_rest = answer(agency::handle(&h.app, rest).await.unwrap());
    assert_eq!(by_rest.status, 200, "{}", by_rest.text);
    assert_eq!(
        by_rest.body["report"]["status"], "in_progress",
        "{}",
        by_rest.text
    );
    let by_http = answer(agency::handle(&h.app, req).await.unwrap());
    assert_eq!(by_http.status, 200, "{}", by_http.text);
    assert_eq!(by_http.body["report"], by_rest.body["report"]);
}

/// The REST API checks no token, so the function refuses every REST request without a valid
/// one, and ignores any authorizer data the event carries.
#[tokio::test]
async fn without_a_valid_staff_token_a_rest_request_is_refused() {
    let h = embedded().await;
    let tokens = SharedKeyTokens::new(&KEY);
    let now = h.app.clock.now();
    let hour = std::time::Duration::from_secs(3600);
    let officer = Staff::officer("staff-7", BANDUNG);
    let req = || {
        api_request(
            "GET /v1/agency/reports",
            None,
            "",
            None,
            &[],
            Some(&officer),
        )
    };
    let forged = SharedKeyTokens::new(&[8; 32]).mint(&officer_claims(), now, hour);
    let expired = tokens.mint(&officer_claims(), now - chrono::Duration::hours(2), hour);
    let cases: [(&str, Option<&str>, &RestAuthorizer); 4] = [
        ("no token", None, &RestAuthorizer::new(Some(tokens.clone()))),
        (
            "another key",
            Some(&forged),
            &RestAuthorizer::new(Some(tokens.clone())),
        ),
        (
            "expired",
            Some(&expired),
            &RestAuthorizer::new(Some(tokens.clone())),
        ),
        // A stack deployed without the key checks nothing, so it admits no one.
        (
            "no key configured",
            Some(&forged),
            &RestAuthorizer::new(None),
        ),
    ];
    for (what, token, edge) in cases {
        let mut twin = rest_twin(&req(), token);
        // Authorizer data on the event (which a REST API without an authorizer never sets)
        // must not be taken for a check.
        if let Some(lambda_http::request::RequestContext::ApiGatewayV1(mut ctx)) =
            twin.request_context_ref().cloned()
        {
            ctx.authorizer = lapor::auth::jwt_authorizer(
                [
                    ("sub".to_string(), "staff-7".to_string()),
                    ("custom:role".to_string(), "officer".to_string()),
                    ("custom:agency_id".to_string(), BANDUNG.to_string()),
                ]
                .into(),
            );
            twin =
                twin.with_request_context(lambda_http::request::RequestContext::ApiGatewayV1(ctx));
        }
        let a = answer(agency::handle(&h.app, edge.admit(twin, now)).await.unwrap());
        assert_eq!(a.status, 401, "{what}: {}", a.text);
    }
    // The HTTP API's requests pass the edge unchanged: its authorizer already ran.
    let a = answer(
        agency::handle(&h.app, RestAuthorizer::new(None).admit(req(), now))
            .await
            .unwrap(),
    );
    assert_eq!(a.status, 200, "{}", a.text);
}

fn req_bearer(req: &Request) -> Option<String> {
    lapor::lambda::http::bearer_token(req).map(str::to_string)
}
