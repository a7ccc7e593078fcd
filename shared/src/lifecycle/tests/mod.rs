//! Tests of the report lifecycle: every transition and what it writes, every refusal (role,
//! access, status, fields), the actions each actor is offered, the reporter's notifications and
//! the HTTP meaning of the errors.
//!
//! Who does what in which statuses is read from the lifecycle's one table
//! (`ActionKind::rule`); these tests hold `apply` and `possible_actions` to it, pin its size
//! (the allowed pairs are counted), and check what each transition does.
//!
//! [`support`] builds the actors and reports, and [`rules`] reads the table and holds one sample
//! of every action; every module starts with `use super::*;`, which brings both and the
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
mod supervision;
mod support;
mod system;
mod verifiers;
mod wire;
mod work_units;
