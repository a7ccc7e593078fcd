//! A browser without a browser: it keeps cookies as `Set-Cookie` says, sends them back, and
//! posts forms as `application/x-www-form-urlencoded` through `web::handle`.

use lambda_http::{Body, Request, Response};
use lapor::web::{Settings, Web};
use lapor_tests::Harness;
use std::collections::HashMap;

/// The web function on a family's stores, with `Secure` cookies as deployed.
pub async fn web(h: &Harness) -> Web {
    let mut settings = Settings::from_env().expect("the web's settings");
    settings.insecure_cookies = false;
    Web::new(h.app.clone(), h.directory_api().await, settings)
}

pub struct Page {
    pub status: u16,
    pub headers: lambda_http::http::HeaderMap,
    pub html: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }

    pub fn location(&self) -> &str {
        self.header("location").unwrap_or_default()
    }

    /// The value of the first `<input|textarea name="name" ... value="...">` (hidden fields).
    pub fn field(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .html
            .find(&marker)
            .unwrap_or_else(|| panic!("no field {name} in:\n{}", self.html))
            + marker.len();
        self.html[start..].split('"').next().unwrap().to_string()
    }
}

#[derive(Default, Clone)]
pub struct Browser {
    pub cookies: HashMap<String, String>,
}

impl Browser {
    pub async fn get(&mut self, web: &Web, path: &str) -> Page {
        self.send(web, "GET", path, None).await
    }

    pub async fn post(&mut self, web: &Web, path: &str, form: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(form).unwrap();
        self.send(web, "POST", path, Some(body)).await
    }

    /// Posts `form` plus the CSRF token of the page at `from`, as a person filling it does.
    pub async fn fill(&mut self, web: &Web, from: &str, path: &str, form: &[(&str, &str)]) -> Page {
        let page = self.get(web, from).await;
        let csrf = page.field("csrf");
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        self.post(web, path, &fields).await
    }

    pub async fn send(
        &mut self,
        web: &Web,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Page {
        let mut builder = lambda_http::http::Request::builder()
            .method(method)
            .uri(format!("https://lapor.example{path}"))
            .header("host", "lapor.example");
        if !self.cookies.is_empty() {
            let cookie: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            builder = builder.header("cookie", cookie.join("; "));
        }
        if body.is_some() {
            builder = builder.header("content-type", "application/x-www-form-urlencoded");
        }
        let req: Request = builder
            .body(body.map(Body::from).unwrap_or(Body::Empty))
            .unwrap();
        let page = page(lapor::web::handle(web, req).await);
        for set in page.set_cookies() {
            let (pair, _) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        page
    }
}

pub fn page(response: Response<Body>) -> Page {
    let (parts, body) = response.into_parts();
    let html = match body {
        Body::Text(t) => t,
        Body::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
        _ => String::new(),
    };
    Page {
        status: parts.status.as_u16(),
        headers: parts.headers,
        html,
    }
}
