//! The local runner's sign-in page for the officers' console, `/lokal/masuk`: pick a role, an
//! institution (or work unit) and a staff id, and the runner mints the same token
//! `lapor-local mint-token` mints, then hands it to the web function's `POST /masuk/token`,
//! which checks it with the runner's key ([`LocalTokens`]) and sets the same session cookie the
//! OpenID Connect callback sets in AWS. Only `lapor-local` has this page and that verifier: the
//! Lambda build signs officers in through the Cognito hosted UI alone.
//!
//! There is no password: whoever reaches the runner may act as anyone. It listens on
//! 127.0.0.1 by default for that reason.

use crate::tokens::{LocalSigner, TokenError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lambda_http::{Body, Response};
use lapor::auth::{AuthError, StaffClaims, StaffRole};
use lapor::web::oidc::{SignInError, StaffTokenVerifier, TokenRefusal, SESSION_LIFETIME};
use lapor::web::page::secured;
use lapor::web::Web;
use std::collections::HashMap;
use std::sync::Arc;

/// The page's path (outside `/v1/`, before the web function's catch-all route).
pub const PAGE: &str = "/lokal/masuk";

/// The local runner's sign-in: its page, and the web function's verifier of its tokens.
#[derive(Clone)]
pub struct LocalSignIn {
    signer: Arc<LocalSigner>,
}

impl LocalSignIn {
    pub fn new(signer: LocalSigner) -> LocalSignIn {
        LocalSignIn {
            signer: Arc::new(signer),
        }
    }

    /// The web's officer settings: `/masuk` sends to [`PAGE`], tokens checked with the key.
    pub fn web_settings(&self) -> lapor::web::officer::Settings {
        lapor::web::officer::Settings::local(PAGE, Arc::new(LocalTokens(self.signer.clone())))
    }

    /// A request to [`PAGE`]: the form (`GET`), or a sign-in (`POST`) answered with the web
    /// function's own answer to the minted token (the session cookie and a redirect).
    pub async fn answer(
        &self,
        web: &Web,
        method: &http::Method,
        query: Option<&str>,
        body: &[u8],
    ) -> Response<Body> {
        let query: HashMap<String, String> =
            serde_urlencoded::from_str(query.unwrap_or("")).unwrap_or_default();
        match *method {
            http::Method::GET | http::Method::HEAD => page(web, &query, None, 200),
            http::Method::POST => {
                let form: HashMap<String, String> =
                    serde_urlencoded::from_bytes(body).unwrap_or_default();
                self.sign_in(web, &form).await
            }
            _ => page(web, &query, Some("Metode tidak diizinkan."), 405),
        }
    }

    async fn sign_in(&self, web: &Web, form: &HashMap<String, String>) -> Response<Body> {
        let text = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let role = match text("role").and_then(StaffRole::parse) {
            Some(role) => role,
            None => {
                return page(
                    web,
                    form,
                    Some("Pilih peran: petugas atau verifikator."),
                    400,
                )
            }
        };
        let agency = match role {
            StaffRole::Officer => text("agency").or(text("agency_manual")).map(str::to_string),
            StaffRole::Verifier => None,
        };
        if let Some(agency) = &agency {
            if web.app.directory.now().get(agency).is_none() {
                return page(web, form, Some("Instansi itu tidak ada di direktori."), 400);
            }
        }
        let sub = text("sub").unwrap_or("petugas-lokal");
        let staff = match StaffClaims::new(sub, role, agency) {
            Ok(staff) => staff,
            Err(AuthError::OfficerWithoutAgency) => {
                return page(web, form, Some("Petugas harus memilih instansinya."), 400)
            }
            Err(_) => return page(web, form, Some("Isian tidak sah."), 400),
        };
        let now = web.app.clock.now();
        let lifetime = std::time::Duration::from_secs(SESSION_LIFETIME.num_seconds() as u64);
        let token = self.signer.mint(&staff, now, lifetime);
        // The web function takes it from here, as it takes the provider's token in AWS.
        let body = serde_urlencoded::to_string([
            ("id_token", token.as_str()),
            ("kembali", text("kembali").unwrap_or("/petugas")),
        ])
        .expect("strings encode");
        let request = lambda_http::http::Request::builder()
            .method("POST")
            .uri("/masuk/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("a valid request");
        lapor::web::handle(web, request).await
    }
}

/// The web function's check of the runner's tokens: the same HS256 key and rules as the local
/// authorizer of the JSON API (`tokens::LocalSigner::verify`).
struct LocalTokens(Arc<LocalSigner>);

#[async_trait]
impl StaffTokenVerifier for LocalTokens {
    async fn verify(
        &self,
        token: &str,
        _nonce: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<StaffClaims, SignInError> {
        self.0.verify(token, now).map_err(|e| match e {
            TokenError::Claims(e) => SignInError::NotStaff(e),
            TokenError::Expired => TokenRefusal::Expired.into(),
            TokenError::NotYetValid => TokenRefusal::NotYetValid.into(),
            TokenError::BadSignature => TokenRefusal::BadSignature.into(),
            TokenError::WrongAlgorithm => TokenRefusal::WrongAlgorithm.into(),
            TokenError::WrongIssuer => TokenRefusal::WrongIssuer.into(),
            TokenError::WrongAudience => TokenRefusal::WrongAudience.into(),
            TokenError::Missing | TokenError::Malformed(_) | TokenError::MissingClaim(_) => {
                TokenRefusal::Malformed("not a local staff token").into()
            }
        })
    }
}

/// The form, with `problem` above it when a post was refused.
fn page(
    web: &Web,
    values: &HashMap<String, String>,
    problem: Option<&str>,
    status: u16,
) -> Response<Body> {
    let value = |k: &str| escape(values.get(k).map(String::as_str).unwrap_or(""));
    let search = values.get("cari").map(|s| s.trim()).unwrap_or("");
    let directory = web.app.directory.now();
    let matches = if search.is_empty() {
        String::new()
    } else {
        let (found, _) = directory.search(search, 15, 0);
        let mut out = String::from("<fieldset><legend>Hasil pencarian</legend>");
        if found.is_empty() {
            out.push_str("<p>Tidak ada instansi yang cocok.</p>");
        }
        for (i, agency) in found.iter().enumerate() {
            out.push_str(&format!(
                "<div class=\"choice\"><input type=\"radio\" id=\"instansi-{i}\" name=\"agency\" \
                 value=\"{id}\"{checked}><label for=\"instansi-{i}\">{name} \
                 <span class=\"hint\">{id}</span></label></div>",
                id = escape(&agency.id),
                name = escape(&agency.name),
                checked = if i == 0 { " checked" } else { "" },
            ));
        }
        out.push_str("</fieldset>");
        out
    };
    let problem = problem
        .map(|p| {
            format!(
                "<p class=\"notice danger\" role=\"alert\">{}</p>",
                escape(p)
            )
        })
        .unwrap_or_default();
    let kembali = value("kembali");
    let html = format!(
        r#"<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Masuk (lokal) - LAPOR!</title>
<link rel="stylesheet" href="{css}">
</head>
<body>
<main id="isi" class="wrap">
<h1>Masuk ke konsol petugas (lapor-local)</h1>
<p class="notice">Halaman ini hanya ada di <code>lapor-local</code>, untuk mencoba konsol tanpa penyedia identitas. Di AWS petugas masuk melalui Cognito.</p>
{problem}
<form method="get" action="{page}" class="card">
<input type="hidden" name="kembali" value="{kembali}">
<label for="cari">Cari instansi atau unit kerja</label>
<div class="row">
<input type="search" id="cari" name="cari" value="{cari}" placeholder="mis. Kota Bandung, Kemenkes">
<button type="submit" class="secondary">Cari</button>
</div>
</form>
<form method="post" action="{page}" class="card">
<input type="hidden" name="kembali" value="{kembali}">
<fieldset>
<legend>Peran</legend>
<div class="choice"><input type="radio" id="peran-petugas" name="role" value="officer" checked><label for="peran-petugas">Petugas instansi</label></div>
<div class="choice"><input type="radio" id="peran-verifikator" name="role" value="verifier"><label for="peran-verifikator">Verifikator nasional</label></div>
</fieldset>
{matches}
<label for="agency_manual">Atau tulis ID instansi <span class="hint">(mis. pemda-32.73, komdigi; untuk petugas)</span></label>
<input type="text" id="agency_manual" name="agency_manual" value="{agency_manual}" autocomplete="off">
<label for="sub">ID petugas</label>
<input type="text" id="sub" name="sub" value="{sub}" autocomplete="off">
<p><button type="submit">Masuk</button></p>
</form>
</main>
</body>
</html>
"#,
        css = lapor::web::assets::css_path(),
        page = PAGE,
        cari = escape(search),
        agency_manual = value("agency_manual"),
        sub = if values.contains_key("sub") {
            value("sub")
        } else {
            "petugas-lokal".into()
        },
    );
    secured(Response::builder().status(status))
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .body(Body::Text(html))
        .expect("status and headers are valid")
}

/// HTML-escapes text for an element or a quoted attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
