//! End-to-end tests of the sandbox over HTTP: every documented state rule and error code, the
//! admin surface and each fault kind.

mod admin;
mod auth;
mod binary;
mod common;
mod credit;
mod customers;
mod faults;
mod loans;
mod security;
mod transactions;
