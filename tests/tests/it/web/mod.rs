//! The web pages through the web function's handler, in process, as a browser would use them
//! (cookies kept, forms posted with their CSRF token): no browser here, the browser tests are
//! `crate::browser`'s.

mod attachments;
mod browser;
mod citizen;
mod officer;
mod officer_browser;
mod oidc;
mod oidc_provider;
mod privacy_walk;
