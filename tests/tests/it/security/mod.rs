//! Regression tests for the outside security review (issue 11), one module per area. Each test
//! is named for the attack it stops, and fails on the code before its fix.

mod channels;
mod idempotency;
mod local_runner;
mod secrets;
mod views;
