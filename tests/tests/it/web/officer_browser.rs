//! A browser for the console's HTTP-level tests: requests straight to the web handler (as API
//! Gateway delivers them), a cookie jar that keeps what `Set-Cookie` sets, and helpers to read
//! a page's forms. The real-browser walk is `browser/`'s.

use lapor::web::Web;
use std::collections::HashMap;

/// One answer of the web handler.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub html: String,
}

impl Answer {
    /// The `Set-Cookie` of `name`, if the answer sets (or clears) it.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(String::as_str)
    }
}

/// A browser: its cookies, kept across requests.
#[derive(Default, Clone)]
pub struct Browser {
    pub jar: HashMap<String, String>,
}

impl Browser {
    pub fn new() -> Browser {
        Browser::default()
    }

    pub async fn get(&mut self, web: &Web, path_and_query: &str) -> Answer {
        self.send(web, "GET", path_and_query, None).await
    }

    /// A form post of `fields`.
    pub async fn post(&mut self, web: &Web, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = serde_urlencoded::to_string(fields).unwrap();
        self.send(web, "POST", path, Some(body)).await
    }

    pub async fn send(
        &mut self,
        web: &Web,
        method: &str,
        path_and_query: &str,
        body: Option<String>,
    ) -> Answer {
        let mut request = lambda_http::http::Request::builder()
            .method(method)
            .uri(format!("https://lapor.example{path_and_query}"))
            .header("host", "lapor.example");
        if !self.jar.is_empty() {
            let cookie = self
                .jar
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            request = request.header("cookie", cookie);
        }
        if body.is_some() {
            request = request.header("content-type", "application/x-www-form-urlencoded");
        }
        let request = request
            .body(match body {
                Some(b) => lambda_http::Body::from(b),
                None => lambda_http::Body::Empty,
            })
            .unwrap();
        let response = lapor::web::handle(web, request).await;
        let (parts, body) = response.into_parts();
        let set_cookies: Vec<String> = parts
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        for cookie in &set_cookies {
            let pair = cookie.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || cookie.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_string(), value.to_string());
            }
        }
        Answer {
            status: parts.status.as_u16(),
            location: parts
                .headers
                .get("location")
                .map(|v| v.to_str().unwrap().to_string()),
            set_cookies,
            html: match body {
                lambda_http::Body::Text(t) => t,
                lambda_http::Body::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                _ => String::new(),
            },
        }
    }
}

/// The value of the first `name="<field>" value="..."` input after `after` in `html`.
pub fn input_after(html: &str, after: &str, field: &str) -> Option<String> {
    let start = html.find(after)?;
    let rest = &html[start..];
    let marker = format!("name=\"{field}\" value=\"");
    let at = rest.find(&marker)? + marker.len();
    let end = rest[at..].find('"')?;
    Some(rest[at..at + end].to_string())
}

/// The CSRF token of a page (its sign-out link carries it, as do its forms).
pub fn csrf(html: &str) -> String {
    let marker = "/keluar?csrf=";
    let at = html
        .find(marker)
        .expect("a console page has the sign-out link")
        + marker.len();
    let end = html[at..].find('"').unwrap();
    html[at..at + end].to_string()
}

/// The action id the form of `action` carries.
pub fn action_id(html: &str, action: &str) -> String {
    input_after(
        html,
        &format!("name=\"action\" value=\"{action}\""),
        "action_id",
    )
    .unwrap_or_else(|| panic!("no {action} form on the page"))
}
