//! The officers' OpenID Connect sign-in against a provider that behaves as Cognito's
//! (`oidc_provider`): the whole flow (authorization code with PKCE, the session, sign-out), and
//! every token the web function must refuse (forged, expired, for another client, for another
//! sign-in, an access token), a replayed callback, and a person who is not staff.

use super::officer_browser::{csrf, Answer, Browser};
use super::oidc_provider::{OidcProvider, Tamper, User, CLIENT_ID, CLIENT_SECRET};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use lapor::web::oidc::{OidcSettings, SESSION_LIFETIME};
use lapor::web::{officer, Settings, Web};
use lapor_tests::{embedded, Harness};

const CALLBACK: &str = "http://127.0.0.1:9/masuk/callback";
const SIGNED_OUT: &str = "http://127.0.0.1:9/";

async fn web_with_provider(h: &Harness) -> (Web, OidcProvider) {
    let provider = OidcProvider::start(h.app.clock.now(), CALLBACK).await;
    let settings = OidcSettings {
        issuer: provider.url(),
        client_id: CLIENT_ID.into(),
        client_secret: Some(CLIENT_SECRET.into()),
        hosted_ui: provider.url(),
        callback_url: CALLBACK.into(),
        signed_out_url: SIGNED_OUT.into(),
    };
    let web = Web::new(
        h.app.clone(),
        h.directory_api().await,
        Settings {
            insecure_cookies: false,
            officer: officer::Settings::oidc(settings).unwrap(),
        },
    );
    (web, provider)
}

/// A GET to the provider (the hosted UI "signs the user in" at once): its redirect.
async fn provider_redirect(url: &str) -> String {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Empty<Bytes>>();
    let response = client.get(url.parse().unwrap()).await.unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let _ = response.into_body().collect().await;
    location.unwrap_or_else(|| panic!("the provider did not redirect from {url}"))
}

/// `/masuk` -> the provider -> the callback's path and query (not yet sent).
async fn to_callback(web: &Web, browser: &mut Browser, return_to: &str) -> String {
    let start = browser
        .get(web, &format!("/masuk?kembali={return_to}"))
        .await;
    assert_eq!(start.status, 303, "{}", start.html);
    let authorize = start.location.unwrap();
    assert!(authorize.contains("/oauth2/authorize?"), "{authorize}");
    let back = provider_redirect(&authorize).await;
    back.strip_prefix("http://127.0.0.1:9")
        .unwrap_or_else(|| panic!("{back} is not the callback"))
        .to_string()
}

fn assert_no_session(answer: &Answer) {
    let set = answer.cookie(officer::SESSION_COOKIE);
    assert!(
        set.is_none() || set.is_some_and(|c| c.contains("Max-Age=0")),
        "a refused sign-in set a session: {set:?}"
    );
}

#[tokio::test]
async fn an_officer_signs_in_through_the_identity_provider_works_and_signs_out() {
    let h = embedded().await;
    let (web, provider) = web_with_provider(&h).await;
    provider.sign_in_as(User::officer("cognito-sub-1", "pemda-32.73"));
    let mut browser = Browser::new();

    // Without a session the console sends to the sign-in, remembering where it was.
    let inbox = browser.get(&web, "/petugas?status=diproses").await;
    assert_eq!(inbox.status, 303);
    assert_eq!(
        inbox.location.as_deref(),
        Some("/masuk?kembali=%2Fpetugas%3Fstatus%3Ddiproses")
    );

    let start = browser
        .get(&web, "/masuk?kembali=%2Fpetugas%3Fstatus%3Ddiproses")
        .await;
    assert_eq!(start.status, 303);
    let pending = start.cookie(officer::PENDING_COOKIE).unwrap();
    assert!(
        pending.contains("HttpOnly")
            && pending.contains("Secure")
            && pending.contains("SameSite=Lax"),
        "{pending}"
    );
    let authorize = start.location.unwrap();
    assert!(authorize.starts_with(&format!("{}/oauth2/authorize?", provider.url())));
    assert!(authorize.contains("code_challenge_method=S256"));
    let callback = provider_redirect(&authorize).await;
    let callback = callback.strip_prefix("http://127.0.0.1:9").unwrap();

    let signed_in = browser.get(&web, callback).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.html);
    assert_eq!(
        signed_in.location.as_deref(),
        Some("/petugas?status=diproses")
    );
    let session = signed_in.cookie(officer::SESSION_COOKIE).unwrap();
    assert!(
        session.contains("HttpOnly")
            && session.contains("Secure")
            && session.contains("SameSite=Lax"),
        "{session}"
    );
    assert!(session.contains(&format!("Max-Age={}", SESSION_LIFETIME.num_seconds())));
    assert!(signed_in
        .cookie(officer::PENDING_COOKIE)
        .is_some_and(|c| c.contains("Max-Age=0")));
    // The code went back with the PKCE verifier and the client's credentials.
    let exchange = &provider.token_requests()[0];
    assert_eq!(exchange["grant_type"], "authorization_code");
    assert_eq!(exchange["code_verifier"].len(), 43);
    assert_eq!(exchange["redirect_uri"], CALLBACK);

    let inbox = browser.get(&web, "/petugas").await;
    assert_eq!(inbox.status, 200, "{}", inbox.html);
    assert!(
        inbox.html.contains("Pemerintah Kota Bandung"),
        "{}",
        inbox.html
    );
    // The session names no token and no one: it is sealed.
    assert!(!browser.jar[officer::SESSION_COOKIE].contains("cognito-sub-1"));

    // Signing out: the session goes, and so does the provider's own.
    let token = csrf(&inbox.html);
    let out = browser.get(&web, &format!("/keluar?csrf={token}")).await;
    assert_eq!(out.status, 303);
    let logout = out.location.unwrap();
    assert!(
        logout.starts_with(&format!("{}/logout?client_id={CLIENT_ID}", provider.url())),
        "{logout}"
    );
    assert!(!browser.jar.contains_key(officer::SESSION_COOKIE));
    assert_eq!(provider_redirect(&logout).await, SIGNED_OUT);
    assert_eq!(browser.get(&web, "/petugas").await.status, 303);

    // A second sign-in reuses the cached signing keys.
    provider.sign_in_as(User::verifier("cognito-sub-2"));
    let callback = to_callback(&web, &mut browser, "/petugas").await;
    assert_eq!(browser.get(&web, &callback).await.status, 303);
    let queue = browser.get(&web, "/petugas").await;
    assert!(queue.html.contains("Antrean verifikasi"), "{}", queue.html);
    assert_eq!(provider.jwks_fetches(), 1);
}

#[tokio::test]
async fn sign_out_without_the_browsers_token_only_offers_the_link() {
    let h = embedded().await;
    let (web, provider) = web_with_provider(&h).await;
    provider.sign_in_as(User::officer("s-1", "komdigi"));
    let mut browser = Browser::new();
    let callback = to_callback(&web, &mut browser, "/petugas").await;
    browser.get(&web, &callback).await;
    // A link on another site cannot sign anyone out.
    let out = browser.get(&web, "/keluar?csrf=0123456789abcdef").await;
    assert_eq!(out.status, 200);
    assert!(browser.jar.contains_key(officer::SESSION_COOKIE));
    assert_eq!(browser.get(&web, "/petugas").await.status, 200);
}

#[tokio::test]
async fn forged_expired_foreign_and_misdirected_tokens_are_refused_with_a_clear_page() {
    let h = embedded().await;
    let (web, provider) = web_with_provider(&h).await;
    provider.sign_in_as(User::officer("s-1", "pemda-32.73"));
    for tamper in [
        Tamper::Forged,
        Tamper::Expired,
        Tamper::WrongAudience,
        Tamper::WrongNonce,
        Tamper::AccessToken,
    ] {
        let mut browser = Browser::new();
        let callback = to_callback(&web, &mut browser, "/petugas").await;
        provider.tamper_next(tamper);
        let refused = browser.get(&web, &callback).await;
        assert_eq!(refused.status, 401, "{tamper:?}: {}", refused.html);
        assert!(
            refused.html.contains("Tanda masuk Anda tidak sah"),
            "{tamper:?}: {}",
            refused.html
        );
        assert_no_session(&refused);
        assert_eq!(
            browser.get(&web, "/petugas").await.status,
            303,
            "{tamper:?}"
        );
    }
}

#[tokio::test]
async fn a_replayed_or_foreign_callback_is_refused() {
    let h = embedded().await;
    let (web, provider) = web_with_provider(&h).await;
    provider.sign_in_as(User::officer("s-1", "pemda-32.73"));
    let mut browser = Browser::new();
    let callback = to_callback(&web, &mut browser, "/petugas").await;
    let before = browser.clone();
    assert_eq!(browser.get(&web, &callback).await.status, 303);

    // The same callback again in the same browser: the sign-in is over (403).
    let mut again = browser.clone();
    again.jar.remove(officer::SESSION_COOKIE);
    let replay = again.get(&web, &callback).await;
    assert_eq!(replay.status, 403, "{}", replay.html);
    assert_no_session(&replay);

    // With the sign-in cookie as it was (captured): the provider takes a code once (401).
    let mut captured = before.clone();
    let replay = captured.get(&web, &callback).await;
    assert_eq!(replay.status, 401, "{}", replay.html);
    assert_no_session(&replay);

    // A callback whose state is another browser's sign-in (login CSRF): 403.
    let mut victim = Browser::new();
    let _ = to_callback(&web, &mut victim, "/petugas").await;
    let mut attacker = Browser::new();
    let attackers = to_callback(&web, &mut attacker, "/petugas").await;
    let forced = victim.get(&web, &attackers).await;
    assert_eq!(forced.status, 403, "{}", forced.html);
    assert_no_session(&forced);

    // No cookie at all, or no state.
    assert_eq!(Browser::new().get(&web, &attackers).await.status, 403);
    let mut fresh = Browser::new();
    let _ = to_callback(&web, &mut fresh, "/petugas").await;
    assert_eq!(fresh.get(&web, "/masuk/callback?code=x").await.status, 400);
}

#[tokio::test]
async fn a_cancelled_sign_in_and_a_person_who_is_not_staff_are_refused() {
    let h = embedded().await;
    let (web, provider) = web_with_provider(&h).await;
    provider.cancel_sign_in();
    let mut browser = Browser::new();
    let callback = to_callback(&web, &mut browser, "/petugas").await;
    assert!(callback.contains("error=access_denied"), "{callback}");
    let cancelled = browser.get(&web, &callback).await;
    assert_eq!(cancelled.status, 401, "{}", cancelled.html);

    // Signed in at the pool, but no staff role (or an officer without an institution).
    for user in [
        User {
            sub: "citizen-1".into(),
            role: "citizen".into(),
            agency_id: None,
        },
        User {
            sub: "o-1".into(),
            role: "officer".into(),
            agency_id: None,
        },
    ] {
        provider.sign_in_as(user);
        let mut browser = Browser::new();
        let callback = to_callback(&web, &mut browser, "/petugas").await;
        let refused = browser.get(&web, &callback).await;
        assert_eq!(refused.status, 403, "{}", refused.html);
        assert!(refused.html.contains("belum terdaftar sebagai petugas"));
        assert_no_session(&refused);
    }
}

#[tokio::test]
async fn the_return_path_never_leaves_the_console() {
    let h = embedded().await;
    let (web, provider) = web_with_provider(&h).await;
    provider.sign_in_as(User::officer("s-1", "pemda-32.73"));
    let mut browser = Browser::new();
    let callback = to_callback(&web, &mut browser, "https%3A%2F%2Fevil.example%2F").await;
    let done = browser.get(&web, &callback).await;
    assert_eq!(done.location.as_deref(), Some("/petugas"));
}
