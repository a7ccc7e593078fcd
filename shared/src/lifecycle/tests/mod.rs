//! Tests of the report lifecycle: every transition and what it writes, every refusal (role,
//! access, status, fields), the actions each actor is offered, the reporter's notifications and
//! the HTTP meaning of the errors.
//!
//! The expectations are written out here (which role does what, in which statuses), not read
//! from `lifecycle.rs`, so a change to the rules shows up as a failing test.
//!
//! [`support`] builds the actors and reports, and [`rules`] holds the table of who does what in
//! which statuses; every module starts with `use super::*;`, which brings both and the
//! lifecycle's own items.

use super::*;
use rules::*;
use support::*;

mod access;
mod fields;
mod history;
mod notifications;
mod officers;
mod possible_actions;
mod reporter;
mod rules;
mod support;
mod system;
mod verifiers;
mod wire;
mod work_units;
