//! End-to-end tests: the real worker under `wrangler dev` with local KV,
//! driven over loopback HTTP. One worker is shared by the tests of this
//! binary; each test uses its own organization so tests do not interfere.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod abuse;
mod access;
mod admin;
mod browser;
mod concurrency;
mod d1;
mod gateway;
mod lifecycle;
mod meta;
mod platform;
mod schema;
mod signing;
mod trust;
mod usage;
mod verify;
