//! All SQL, one module per domain. Functions take an executor so callers choose pool or transaction.

pub mod actions;
pub mod incidents;
pub mod postmortems;
pub mod timeline;
pub mod users;
