//! Cookies: every one `HttpOnly; Secure; SameSite=Lax; Path=/` (`Secure` dropped only for the
//! local plain-HTTP runner, [`super::INSECURE_COOKIES_ENV`]), and sealed values: encrypted and
//! authenticated with a key derived from the process's PII key, bound to the cookie's name and
//! to an expiry, so a value is neither readable nor forgeable, cannot be moved to another
//! cookie, and stops opening when it expires even if a browser keeps it.

use crate::crypto::Sealer;
use chrono::{DateTime, Utc};
use lambda_http::Request;

/// Makes `Set-Cookie` values and opens sealed cookies.
pub struct Cookies {
    sealer: Sealer,
    secure: bool,
}

impl Cookies {
    /// `pii` is the process's PII sealer: the cookie key is derived from its keyed reference
    /// (128 bits of HMAC under a key derived from the PII key) for this purpose alone.
    pub fn new(pii: &Sealer, secure: bool) -> Cookies {
        let secret = pii.reference("web-cookie-key", "v1");
        Cookies {
            sealer: Sealer::derived_from(&secret, "web-cookie"),
            secure,
        }
    }

    /// Whether the cookies are marked `Secure` (everywhere but the local plain-HTTP runner).
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// `Set-Cookie` for `name=value`, living `max_age` (a session cookie when `None`). `value`
    /// must be cookie-safe (base64url, hex, the sealed form).
    pub fn set(&self, name: &str, value: &str, max_age: Option<chrono::Duration>) -> String {
        debug_assert!(value.bytes().all(is_cookie_octet), "cookie value not safe");
        let mut out = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
        if self.secure {
            out.push_str("; Secure");
        }
        if let Some(age) = max_age {
            out.push_str(&format!("; Max-Age={}", age.num_seconds().max(0)));
        }
        out
    }

    /// `Set-Cookie` that removes `name`.
    pub fn clear(&self, name: &str) -> String {
        self.set(name, "", Some(chrono::Duration::zero()))
    }

    /// `Set-Cookie` for a sealed value, opening until `now + max_age`.
    pub fn set_sealed(
        &self,
        name: &str,
        plaintext: &[u8],
        now: DateTime<Utc>,
        max_age: chrono::Duration,
    ) -> String {
        let value = self.seal(name, plaintext, now + max_age);
        self.set(name, &value, Some(max_age))
    }

    /// The sealed form of `plaintext` for the cookie `name`, valid until `expires`.
    pub fn seal(&self, name: &str, plaintext: &[u8], expires: DateTime<Utc>) -> String {
        let mut bound = format!("{name}\n{}\n", expires.timestamp()).into_bytes();
        bound.extend_from_slice(plaintext);
        self.sealer.seal(&bound)
    }

    /// What [`Cookies::seal`] sealed for `name`, if it opens with this key and has not expired.
    pub fn open(&self, name: &str, sealed: &str, now: DateTime<Utc>) -> Option<Vec<u8>> {
        let bound = self.sealer.open(sealed).ok()?;
        let mut parts = bound.splitn(3, |b| *b == b'\n');
        let (sealed_name, expires, plaintext) = (parts.next()?, parts.next()?, parts.next()?);
        if sealed_name != name.as_bytes() {
            return None;
        }
        let expires: i64 = std::str::from_utf8(expires).ok()?.parse().ok()?;
        (now.timestamp() < expires).then(|| plaintext.to_vec())
    }

    /// The sealed cookie `name` of the request, opened.
    pub fn open_from(&self, req: &Request, name: &str, now: DateTime<Utc>) -> Option<Vec<u8>> {
        self.open(name, super::request::cookie(req, name)?, now)
    }
}

/// RFC 6265's cookie-octet.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn cookies(secure: bool) -> Cookies {
        let pii = Sealer::from_base64_key(&Sealer::generate_key_base64()).unwrap();
        Cookies::new(&pii, secure)
    }

    #[test]
    fn flags_are_strict_and_secure_only_drops_locally() {
        let c = cookies(true).set("a", "b", Some(chrono::Duration::hours(1)));
        assert_eq!(
            c,
            "a=b; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=3600"
        );
        let c = cookies(false).set("a", "b", None);
        assert_eq!(c, "a=b; Path=/; HttpOnly; SameSite=Lax");
    }

    #[test]
    fn sealed_values_are_bound_to_name_key_and_expiry() {
        let c = cookies(true);
        let now = Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap();
        let sealed = c.seal("akses", b"secret", now + chrono::Duration::hours(1));
        assert!(sealed.bytes().all(is_cookie_octet));
        assert_eq!(
            c.open("akses", &sealed, now).as_deref(),
            Some(&b"secret"[..])
        );
        assert_eq!(c.open("sesi", &sealed, now), None, "another cookie's name");
        assert_eq!(
            c.open("akses", &sealed, now + chrono::Duration::hours(1)),
            None
        );
        assert_eq!(
            cookies(true).open("akses", &sealed, now),
            None,
            "another key"
        );
        assert_eq!(c.open("akses", "v1.AAAA", now), None);
    }
}
