//! LAPOR's shared crate: the domain, the ports (storage, messaging, time) and their adapters.

pub mod crypto;
pub mod directory;
pub mod domain;
pub mod routing;
