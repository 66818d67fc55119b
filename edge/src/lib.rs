//! Keygate's Cloudflare Workers, built from this one crate twice (Cargo
//! features, `Cargo.toml`): the front worker (`gateway`: the gateway in
//! front of the origin, the verify endpoint and the usage meter, over
//! Workers KV) and the admin plane (`admin-plane`: the admin API over D1,
//! the admin app's files, the lifecycle, secret scanning and the limiter
//! objects). Both features together, the default, are what the native
//! tests build.
//!
//! All logic is platform-neutral ([`app::App`] over the [`store::Kv`]
//! trait, [`http`] types in and out) and runs natively in tests over
//! [`store::MemoryKv`]; `glue` (wasm32 only) is the only code that touches
//! the runtime: the entry points that `edge/js/` calls, `web_sys` requests
//! and responses, its own KV, D1 and Durable Object bindings and
//! WebCrypto. The KV layout and its consistency limits are documented in
//! [`repo`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod access;
#[cfg(feature = "admin-plane")]
pub mod admin;
pub mod app;
pub mod cache;
pub mod config;
pub mod credential;
pub mod ecdsa;
pub mod http;
#[cfg(feature = "admin-plane")]
pub mod lifecycle;
pub mod limiter;
pub mod log;
#[cfg(feature = "admin-plane")]
pub mod openapi;
pub mod repo;
pub mod rsa;
#[cfg(feature = "admin-plane")]
pub mod secret_scanning;
#[cfg(feature = "admin-plane")]
pub mod service;
pub mod signing;
pub mod sql;
#[cfg(not(target_arch = "wasm32"))]
pub mod sqlite;
pub mod store;
pub mod text;
pub mod usage;
pub mod verify;

#[cfg(target_arch = "wasm32")]
mod glue;
