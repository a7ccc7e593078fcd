//! The CSRF token every form carries: a random value per browser in an `HttpOnly` cookie, and in
//! the form an HMAC of it under a key only the server has. A post is taken only when the form's
//! token is the HMAC of the cookie that came with it (compared in constant time): another site
//! can make a browser post, but can neither read the cookie nor compute the token, and a token
//! copied from one browser is worth nothing with another's cookie.

use super::cookies::Cookies;
use super::page::PageError;
use crate::crypto::{constant_time_eq, random_secret, Sealer};
use lambda_http::Request;
use std::collections::HashMap;

/// The cookie with the browser's random value.
pub const COOKIE: &str = "lapor_csrf";
/// The form field with the token.
pub const FIELD: &str = "csrf";
/// How long a browser keeps its value: a form left open for days still posts.
pub const COOKIE_LIFETIME: chrono::Duration = chrono::Duration::days(30);

pub struct Csrf {
    key: Sealer,
}

/// A form's token, and the cookie to set when the browser had none.
#[derive(Debug, Clone)]
pub struct Token {
    pub value: String,
    pub set_cookie: Option<String>,
}

impl Csrf {
    pub fn new(pii: &Sealer) -> Csrf {
        let secret = pii.reference("web-csrf-key", "v1");
        Csrf {
            key: Sealer::derived_from(&secret, "web-csrf"),
        }
    }

    /// The token for the forms of a page to this browser: from its cookie, or from a new value
    /// the answer sets.
    pub fn token(&self, req: &Request, cookies: &Cookies) -> Token {
        match browser_value(req) {
            Some(value) => Token {
                value: self.token_for(value),
                set_cookie: None,
            },
            None => {
                let value = random_secret();
                Token {
                    value: self.token_for(&value),
                    set_cookie: Some(cookies.set(COOKIE, &value, Some(COOKIE_LIFETIME))),
                }
            }
        }
    }

    /// A post's token against its browser's cookie: [`PageError::Csrf`] (403, nothing done)
    /// when either is missing or they do not match.
    pub fn check(&self, req: &Request, form: &HashMap<String, String>) -> Result<(), PageError> {
        let value = browser_value(req).ok_or(PageError::Csrf)?;
        let presented = form.get(FIELD).ok_or(PageError::Csrf)?;
        if constant_time_eq(presented.as_bytes(), self.token_for(value).as_bytes()) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    fn token_for(&self, browser_value: &str) -> String {
        self.key.reference("csrf", browser_value)
    }
}

/// The browser's value when it has the shape [`random_secret`] gives (43 base64url characters).
fn browser_value(req: &Request) -> Option<&str> {
    super::request::cookie(req, COOKIE).filter(|v| {
        v.len() == 43
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}
