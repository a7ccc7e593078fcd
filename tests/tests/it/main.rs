//! Every integration test in one binary: each file beside this one is a module by subject, so the
//! workspace is linked into a test binary once, not once per file.
//!
//! One process also means one global log subscriber: `lapor_tests::logs::capture` installs it
//! on first use and keeps every later line, whichever module logged it.
#![allow(clippy::disallowed_methods)] // tests use the compiled-in directory

/// The `lapor-local` binary the tests run: built by `cargo test` beside this test binary, with the
/// same features (`tests/Cargo.toml`'s `lapor-local-for-tests`), so it is never stale and never
/// built twice.
pub(crate) fn runner_binary() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_BIN_EXE_lapor-local-for-tests"))
}

mod attachments;
mod bad_input;
mod browser;
mod channels;
mod channels_media;
mod cold_start;
mod conformance;
mod directory;
mod duplicates;
mod durability;
mod escalation;
mod learning;
mod lifecycle;
mod listing;
mod local_runner;
mod notify_adapters;
mod open311;
mod openapi;
mod pipeline;
mod privacy_logs;
mod privacy_walk;
mod rest_api;
mod security;
mod stats;
mod support;
mod template;
mod web;
