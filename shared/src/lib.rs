//! LAPOR's shared crate: the domain, the ports (storage, messaging, time) and their adapters.

pub mod adapters;
pub mod api;
pub mod auth;
pub mod config;
pub mod crypto;
pub mod deadlines;
pub mod directory;
pub mod domain;
pub mod error;
pub mod inbound;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod lifecycle;
pub mod open311;
pub mod outbound;
pub mod ports;
#[cfg(feature = "template")]
pub mod rest_variant;
pub mod routing;
pub mod service;
#[cfg(feature = "lambda")]
pub mod staff_tokens;
pub mod template;
#[cfg(feature = "web")]
pub mod web;
