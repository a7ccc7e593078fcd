//! The API's contract: the OpenAPI document (`lapor::openapi`, `GET /v1/openapi.json`) against the
//! template's routes, the code's limits and the README, and schemathesis against the real
//! `lapor-local` with that document.
//!
//! schemathesis comes from the test venv (`$LAPOR_TOOLS_BIN/schemathesis`, installed by
//! `infra/scripts/lib-test-servers.sh`); without it the fuzzing test says so and passes, except
//! under `CI=true`.

use crate::local_runner::{exchange, Runner};
use crate::runner_binary;
use lapor::api::limits;
use lapor::lifecycle::{ActionKind, Role};
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;
use strum::IntoEnumIterator;

fn document() -> Value {
    lapor::openapi::document_json()
}

/// `(METHOD, path)` of every operation of the document.
fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn the_document_covers_exactly_the_templates_api_routes() {
    let template = lapor::template::Template::builtin();
    let routes: BTreeSet<(String, String)> = template
        .functions
        .iter()
        .flat_map(|f| f.http_events.iter())
        .filter(|e| e.path.starts_with("/v1/") || e.path.starts_with("/open311/"))
        .map(|e| (e.method.to_uppercase(), e.path.clone()))
        .collect();
    let documented = documented_operations(&document());
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    let not_served: Vec<_> = documented.difference(&routes).collect();
    assert!(
        undocumented.is_empty() && not_served.is_empty(),
        "routes without an operation: {undocumented:?}; operations without a route: {not_served:?}"
    );
    assert!(routes.contains(&("GET".into(), "/v1/openapi.json".into())));
}

#[test]
fn every_error_answer_is_documented_with_the_error_body() {
    let doc = document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path}");
            for (status, response) in responses {
                let code: u16 = status.parse().unwrap();
                if code >= 400 && path.starts_with("/v1/") {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/Error",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
    let codes = &doc["components"]["schemas"]["ErrorCode"]["enum"];
    for code in [
        "invalid_query",
        "validation_failed",
        "malformed_payload",
        "unavailable",
    ] {
        assert!(
            codes.as_array().unwrap().iter().any(|c| c == code),
            "{code}"
        );
    }
}

/// The README's table of errors and the document's `ErrorCode` name the same codes.
#[test]
fn the_documented_error_codes_are_the_readmes() {
    let readme = std::fs::read_to_string(lapor_tests::workspace_root().join("README.md")).unwrap();
    let mut in_readme = BTreeSet::new();
    for line in readme.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 5 || cells[1].len() != 3 || !cells[1].starts_with(['4', '5']) {
            continue;
        }
        for (i, code) in cells[2].split('`').enumerate() {
            if i % 2 == 1 {
                in_readme.insert(code.to_string());
            }
        }
    }
    let doc = document();
    let documented: BTreeSet<String> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    // `internal` is the answer to a bug: documented in the body's codes, not in the README's table.
    let missing: Vec<_> = in_readme.difference(&documented).collect();
    let unlisted: Vec<_> = documented
        .difference(&in_readme)
        .filter(|c| *c != "internal")
        .collect();
    assert!(
        missing.is_empty() && unlisted.is_empty(),
        "codes of the README the document lacks: {missing:?}; codes the README lacks: {unlisted:?}"
    );
}

#[test]
fn the_documented_limits_and_closed_objects_are_the_codes() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    let submission = &schemas["Submission"]["properties"];
    assert_eq!(
        submission["title"]["minLength"],
        *limits::TITLE_CHARS.start()
    );
    assert_eq!(submission["title"]["maxLength"], *limits::TITLE_CHARS.end());
    assert_eq!(submission["body"]["minLength"], *limits::BODY_CHARS.start());
    assert_eq!(submission["body"]["maxLength"], *limits::BODY_CHARS.end());
    // Trimmed before it is checked: the pattern says so.
    let category = submission["category"]["pattern"].as_str().unwrap();
    assert!(
        category.contains(&format!("{{0,{}}}", limits::CATEGORY_CHARS)),
        "{category}"
    );
    assert_eq!(
        submission["location_text"]["maxLength"],
        limits::LOCATION_TEXT_CHARS
    );
    let reporter = &schemas["ReporterInput"]["properties"];
    assert_eq!(reporter["name"]["maxLength"], limits::NAME_CHARS);
    assert_eq!(reporter["email"]["maxLength"], limits::EMAIL_CHARS);
    let accept = schemas["ActionRequest"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["properties"]["action"]["enum"][0] == "accept")
        .unwrap();
    assert_eq!(accept["additionalProperties"], false);
    let action_id = &accept["properties"]["action_id"];
    let ids = lapor::service::actions::ACTION_ID_CHARS;
    assert_eq!(action_id["minLength"], *ids.start());
    assert_eq!(action_id["maxLength"], *ids.end());
    let search = doc["paths"]["/v1/agencies"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()["schema"]
        .clone();
    assert_eq!(search["maximum"], lapor::service::agencies::MAX_LIMIT);
    // Every request body the service reads with `deny_unknown_fields` refuses unknown fields in
    // the document too.
    for closed in [
        "Submission",
        "ReporterInput",
        "ReplyBody",
        "RateBody",
        "WithdrawBody",
        "ConfirmBody",
    ] {
        assert_eq!(
            schemas[closed]["additionalProperties"], false,
            "{closed}: {}",
            schemas[closed]
        );
    }
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    for scheme in [
        "reporter_token",
        "staff_token",
        "sms_signature",
        "x_signature",
        "meta_signature",
    ] {
        assert!(schemes.contains_key(scheme), "{scheme}");
    }
}

fn role_name(role: &Role) -> &'static str {
    match role {
        Role::Verifier => "verifier",
        Role::Officer => "officer",
        Role::Reporter => "reporter",
        Role::System => "system",
        Role::Supervisor => "supervisor",
    }
}

/// The README's lifecycle table says, status by status, who may do what: exactly the code's
/// table (`ActionKind::rule`), with "the reporter may `reply` and `withdraw` in any open status".
/// A rule's `also` roles act on a report an institution holds (not before it is verified), and
/// the README may name them in a remark ("a supervising level may forward too").
#[test]
fn the_readme_lifecycle_table_is_the_codes() {
    use lapor::domain::Status;
    let readme = std::fs::read_to_string(lapor_tests::workspace_root().join("README.md")).unwrap();
    let names: BTreeSet<&str> = ActionKind::iter().map(|k| k.rule().name).collect();
    let mut readme_rules: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut rows: std::collections::BTreeMap<String, String> = Default::default();
    for line in readme.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 5 || !cells[1].starts_with('`') {
            continue;
        }
        let Some(status) = Status::parse(cells[1].trim_matches('`')) else {
            continue;
        };
        if cells[2].is_empty() || cells[2].starts_with('`') {
            continue; // another table naming statuses first
        }
        rows.insert(status.as_str().into(), cells[3].to_string());
        for part in cells[3].split(';') {
            let Some((who, actions)) = part.split_once(':') else {
                continue;
            };
            // "verifier (and the holding institution's officers)" names two roles.
            let roles: Vec<&str> = ["supervisor", "verifier", "officer", "reporter", "system"]
                .into_iter()
                .filter(|role| who.contains(role))
                .collect();
            for (i, quoted) in actions.split('`').enumerate() {
                let name = quoted.split([' ', '{']).next().unwrap_or_default();
                if i % 2 == 1 && names.contains(name) {
                    for role in &roles {
                        readme_rules.insert((status.as_str().into(), (*role).into(), name.into()));
                    }
                }
            }
        }
        if !matches!(status, Status::Closed | Status::Archived) {
            for name in ["reply", "withdraw"] {
                readme_rules.insert((status.as_str().into(), "reporter".into(), name.into()));
            }
        }
    }
    assert_eq!(
        rows.len(),
        8,
        "the README's lifecycle table has a row per status"
    );
    let mut code_rules = BTreeSet::new();
    let mut also_rules = BTreeSet::new();
    for kind in ActionKind::iter() {
        let rule = kind.rule();
        for status in rule.allowed_in {
            let key = |role: &Role| {
                (
                    status.as_str().into(),
                    role_name(role).into(),
                    rule.name.into(),
                )
            };
            code_rules.insert(key(&rule.role));
            if !matches!(status, Status::Received | Status::NeedsTriage) {
                for role in rule.also {
                    also_rules.insert(key(role));
                }
            }
        }
    }
    let allowed: BTreeSet<_> = code_rules.union(&also_rules).cloned().collect();
    let extra: Vec<_> = readme_rules.difference(&allowed).collect();
    let mut missing: Vec<_> = code_rules.difference(&readme_rules).collect();
    // An `also` role is listed, or named in a remark of its row beside the action.
    missing.extend(
        also_rules
            .difference(&readme_rules)
            .filter(|(status, role, name)| {
                let row = &rows[status];
                let word = &role[..role.len().min(8)]; // "supervis(ing)", "officer(s)"
                !(row.contains(&format!("`{name}")) && row.contains(word))
            }),
    );
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the README does not list {missing:?}; it lists what the code does not allow: {extra:?}"
    );
}

// ================================================================ schemathesis against the runner

/// `lapor-local mint-token` for the runner's data dir.
fn mint(data_dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(runner_binary())
        .arg("mint-token")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .expect("running lapor-local mint-token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The run's settings: the credentials of each security scheme, bounded examples, and the
/// statuses a schema-valid request may still get where the service's rules go beyond what a
/// schema can say.
fn schemathesis_config(staff_token: &str, reporter_token: &str) -> String {
    format!(
        r#"
# schemathesis settings of tests/tests/it/openapi.rs (written by the test).
[generation]
max-examples = 12
[auth.openapi.staff_token]
bearer = "{staff_token}"
[auth.openapi.reporter_token]
bearer = "{reporter_token}"

# A schema-valid request may still break a rule no schema states: a region code of the
# Kemendagri list, an institution of the directory, a text that is long enough once trimmed, a
# status the lifecycle allows the action in (409). Those answer 422 or 409, never 5xx or 400.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

# A list's cursor is one the service gave out (sealed): any other is 400 invalid_query.
[[operations]]
include-operation-id = "public_feed"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400"]

# `box` is an officer's parameter, `agency` a verifier's: for the other role each is an unknown
# parameter (400 invalid_query); the cursor as above.
[[operations]]
include-operation-id = "staff_list"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403"]

# The providers' handshakes: X's needs its crc_token, Meta's its hub.* parameters and verify
# token, and the SMS gateway has none (400, 403, 404 as documented).
[[operations]]
include-operation-id = "channel_get"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "403", "404"]
"#
    )
}

#[test]
fn schemathesis_finds_no_failure_against_lapor_local() {
    let Some(tools) = std::env::var_os("LAPOR_TOOLS_BIN").map(std::path::PathBuf::from) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI: LAPOR_TOOLS_BIN (schemathesis) must be set by infra/scripts/test-all.sh"
        );
        eprintln!("LAPOR_TOOLS_BIN unset: the API is not fuzzed here");
        return;
    };
    let schemathesis = tools.join("schemathesis");
    assert!(
        schemathesis.exists() || std::env::var("CI").as_deref() != Ok("true"),
        "{} is missing: infra/scripts/lib-test-servers.sh installs it",
        schemathesis.display()
    );
    if !schemathesis.exists() {
        eprintln!(
            "{} missing: the API is not fuzzed here",
            schemathesis.display()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let runner = Runner::start(&data, dir.path().join("serve.log"));
    let base = format!("http://{}", runner.addr);

    // A reporter with a report of their own, for the reporter's routes.
    let body = serde_json::to_string(&lapor_tests::sample_report()).unwrap();
    let submitted = exchange(runner.addr, "POST", "/v1/reports", &[], Some(&body)).unwrap();
    assert_eq!(submitted.status, 201, "{}", submitted.text);
    let reporter_token = submitted.json["access_token"].as_str().unwrap().to_string();

    for (who, staff) in [
        (
            "verifier",
            mint(&data, &["--role", "verifier", "--sub", "fuzz-verifier"]),
        ),
        (
            "officer",
            mint(
                &data,
                &[
                    "--role",
                    "officer",
                    "--agency",
                    "pemda-32.73",
                    "--sub",
                    "fuzz-officer",
                ],
            ),
        ),
    ] {
        let config = dir.path().join(format!("schemathesis-{who}.toml"));
        std::fs::write(&config, schemathesis_config(&staff, &reporter_token)).unwrap();
        let mut command = Command::new(&schemathesis);
        command
            .arg("--no-color")
            .arg("--config-file")
            .arg(&config)
            .arg("run")
            .arg(format!("{base}/v1/openapi.json"))
            // One worker: Python 3.11's AST is not thread-safe, and hypothesis reads lambdas'
            // source while generating ("AST constructor recursion depth mismatch"). A fixed seed
            // makes a run repeatable.
            .args(["--url", &base, "--workers", "1", "--seed", "16"])
            // An undocumented GET on a JSON route reaches the web's catch-all `GET /{proxy+}`,
            // as in API Gateway, and gets its 404 page, not a 405.
            .args(["--exclude-checks", "unsupported_method"])
            .current_dir(dir.path())
            .env("SCHEMATHESIS_HOOKS", "");
        if who == "officer" {
            // The whole API ran with the verifier; the officer's turn is their own routes.
            command.args(["--include-tag", "staff"]);
        }
        let out = command.output().expect("running schemathesis");
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "schemathesis ({who}) found failures:\n{report}\n--- lapor-local:\n{}",
            runner.log_text()
        );
        assert!(
            report.contains("Tested: "),
            "schemathesis ({who}) tested nothing:\n{report}"
        );
    }
    runner.stop();
}
