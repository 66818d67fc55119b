//! The limiter behind rate limits and credits (§9): one per limited key,
//! deciding every verification of that key in turn. In the worker it is a
//! Durable Object (`glue::limiter`), so the counts hold across every
//! location at once; natively [`MemoryLimiter`] runs the same decision
//! ([`LimiterState::decide`]) over a map, for tests.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use keygate_shared::usage::{LimitAnswer, LimitRequest, LimiterState};

use crate::store::{StoreError, StoreResult};

/// A boxed future of the limiter's answer (the trait is used as `dyn`).
pub type LimitFuture<'a> = Pin<Box<dyn Future<Output = StoreResult<LimitAnswer>> + 'a>>;

/// Decides one verification of key `key_id` against its limits.
pub trait Limiter {
    /// Spends what `request` asks of key `key_id`'s limits, or refuses.
    /// An error means the limiter could not be reached: the caller fails
    /// closed (503), never lets the request pass.
    fn spend<'a>(&'a self, key_id: &'a str, request: &'a LimitRequest) -> LimitFuture<'a>;
}

/// In memory, one [`LimiterState`] per key (native tests).
#[derive(Debug, Default)]
pub struct MemoryLimiter {
    states: RefCell<HashMap<String, LimiterState>>,
    /// Calls made.
    pub calls: Cell<u32>,
    /// When set, every call fails (an unreachable object).
    pub failing: Cell<bool>,
}

impl Limiter for MemoryLimiter {
    fn spend<'a>(&'a self, key_id: &'a str, request: &'a LimitRequest) -> LimitFuture<'a> {
        Box::pin(async move {
            self.calls.set(self.calls.get() + 1);
            if self.failing.get() {
                return Err(StoreError("injected limiter failure".into()));
            }
            let mut states = self.states.borrow_mut();
            Ok(states.entry(key_id.to_owned()).or_default().decide(request))
        })
    }
}
