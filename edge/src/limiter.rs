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

    /// Tells limiter `name` that every key it served was deleted: it
    /// refuses from then on and clears its storage once no stale copy of
    /// a key can reach it ([`keygate_shared::usage::FORGET_AFTER_MS`]).
    fn forget<'a>(&'a self, name: &'a str) -> ForgetFuture<'a>;
}

/// A boxed future of [`Limiter::forget`].
pub type ForgetFuture<'a> = Pin<Box<dyn Future<Output = StoreResult<()>> + 'a>>;

/// In memory, one [`LimiterState`] per key (native tests).
#[derive(Debug, Default)]
pub struct MemoryLimiter {
    states: RefCell<HashMap<String, LimiterState>>,
    /// Calls made.
    pub calls: Cell<u32>,
    /// When set, every call fails (an unreachable object).
    pub failing: Cell<bool>,
    /// The limiters told to forget, in order.
    pub forgotten: RefCell<Vec<String>>,
}

impl MemoryLimiter {
    /// Whether limiter `name` holds any state.
    #[must_use]
    pub fn has_state(&self, name: &str) -> bool {
        self.states.borrow().contains_key(name)
    }
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

    fn forget<'a>(&'a self, name: &'a str) -> ForgetFuture<'a> {
        Box::pin(async move {
            if self.failing.get() {
                return Err(StoreError("injected limiter failure".into()));
            }
            self.forgotten.borrow_mut().push(name.to_owned());
            let mut states = self.states.borrow_mut();
            states.entry(name.to_owned()).or_default().forget(0);
            Ok(())
        })
    }
}
