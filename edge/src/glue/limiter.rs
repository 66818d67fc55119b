//! The limiter as a Durable Object: one `KeyLimiter` per limited key
//! (named by its key id), so every verification of that key, from any
//! location, is decided by the same single-threaded object, in turn.
//!
//! The class itself is the few lines of JavaScript in `edge/js/plane.js`
//! (the runtime's storage and `Response` are plain JS there); the
//! decision is [`LimiterCore`], here. The object reads its
//! [`LimiterState`] once (the runtime holds other events back while the
//! read is pending), decides synchronously and starts writing the new
//! state before answering (the runtime holds the answer until the write is
//! durable: the output gate), so concurrent verifications can neither both
//! spend the last credit nor see a decision forgotten when the object
//! restarts. The time is the object's own clock.

use js_sys::Promise;
#[cfg(feature = "admin-plane")]
use keygate_shared::usage::LimiterState;
use keygate_shared::usage::{LimitAnswer, LimitRequest};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::limiter::{ForgetFuture, LimitFuture, Limiter};
use crate::store::StoreError;

/// The state of one limiter object, held in the object's memory. The
/// objects are the admin plane's (`edge/js/plane.js`); the front worker
/// calls them through its `LIMITER` binding to that worker's class.
#[cfg(feature = "admin-plane")]
#[wasm_bindgen]
#[derive(Default)]
pub struct LimiterCore {
    state: Option<LimiterState>,
}

#[cfg(feature = "admin-plane")]
#[wasm_bindgen]
impl LimiterCore {
    /// A core that has not read its stored state yet.
    #[wasm_bindgen(constructor)]
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the stored state has been read.
    #[must_use]
    pub fn loaded(&self) -> bool {
        self.state.is_some()
    }

    /// Takes the stored state (the JSON [`LimiterCore::decide`] returned
    /// last, or nothing for a new object; unreadable state starts afresh).
    pub fn load(&mut self, stored: Option<String>) {
        let state = stored
            .and_then(|json| serde_json::from_str::<LimiterState>(&json).ok())
            .unwrap_or_default();
        self.state = Some(state);
    }

    /// Marks every key of this limiter deleted at `now` (the object's
    /// clock, ms) and returns the state to store.
    pub fn forget(&mut self, now: f64) -> Result<String, JsValue> {
        let state = self.state.get_or_insert_with(LimiterState::default);
        state.forget(now as i64);
        serde_json::to_string(state)
            .map_err(|_| JsValue::from_str("the limiter state could not be written"))
    }

    /// Decides one verification (`request` is a [`LimitRequest`] as JSON;
    /// `now` the object's clock in ms) and returns `[answer, state]`, both
    /// JSON: the answer for the caller, the state to store. A request that
    /// is not a [`LimitRequest`] throws.
    pub fn decide(&mut self, request: &str, now: f64) -> Result<js_sys::Array, JsValue> {
        let mut request: LimitRequest =
            serde_json::from_str(request).map_err(|_| JsValue::from_str("not a limit request"))?;
        // The object's own clock decides the window and the refill, not
        // the calling isolate's: requests from many places, stamped at
        // different moments, are counted in the order they arrive.
        request.now = now as i64;
        let state = self.state.get_or_insert_with(LimiterState::default);
        let answer = state.decide(&request);
        let (Ok(answer), Ok(state)) =
            (serde_json::to_string(&answer), serde_json::to_string(state))
        else {
            return Err(JsValue::from_str("the limiter state could not be written"));
        };
        Ok(js_sys::Array::of2(
            &JsValue::from_str(&answer),
            &JsValue::from_str(&state),
        ))
    }
}

/// How long a forgotten limiter keeps refusing before it clears its
/// storage, in ms ([`keygate_shared::usage::FORGET_AFTER_MS`]).
#[cfg(feature = "admin-plane")]
#[wasm_bindgen]
#[must_use]
pub fn forget_after_ms() -> f64 {
    keygate_shared::usage::FORGET_AFTER_MS as f64
}

#[wasm_bindgen]
extern "C" {
    /// A Durable Object namespace binding (`LIMITER`).
    type ObjectNamespace;
    /// An object's id.
    type ObjectId;
    /// A stub: its methods are the object's (Workers RPC).
    type ObjectStub;

    #[wasm_bindgen(method, catch, js_name = idFromName)]
    fn id_from_name(this: &ObjectNamespace, name: &str) -> Result<ObjectId, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn get(this: &ObjectNamespace, id: &ObjectId) -> Result<ObjectStub, JsValue>;

    /// `KeyLimiter.decide(request JSON)` → the answer's JSON.
    #[wasm_bindgen(method, catch)]
    fn decide(this: &ObjectStub, request: &str) -> Result<Promise, JsValue>;

    /// `KeyLimiter.forget()`.
    #[wasm_bindgen(method, catch)]
    fn forget(this: &ObjectStub) -> Result<Promise, JsValue>;
}

/// The `LIMITER` binding: a stub per key, one RPC call per decision (no
/// Request or Response built on either side: BENCHMARKS.md, "Usage
/// controls").
pub struct DurableLimiter {
    namespace: ObjectNamespace,
}

fn js(e: JsValue) -> String {
    super::js_error_message(&e).unwrap_or_else(|| "failed".to_owned())
}

impl DurableLimiter {
    /// The binding named `name`, if it is there.
    pub fn from_env(env: &super::Env, name: &str) -> Option<Self> {
        env.object(name).map(|namespace| Self { namespace })
    }

    fn stub(&self, name: &str) -> Result<ObjectStub, String> {
        self.namespace
            .get(&self.namespace.id_from_name(name).map_err(js)?)
            .map_err(js)
    }

    async fn call(&self, key_id: &str, request: &LimitRequest) -> Result<LimitAnswer, String> {
        let stub = self.stub(key_id)?;
        let body = serde_json::to_string(request).map_err(|e| e.to_string())?;
        let answer = JsFuture::from(stub.decide(&body).map_err(js)?)
            .await
            .map_err(js)?
            .as_string()
            .ok_or("the limiter answered no text")?;
        serde_json::from_str(&answer).map_err(|e| format!("unreadable answer: {e}"))
    }
}

impl Limiter for DurableLimiter {
    fn spend<'a>(&'a self, key_id: &'a str, request: &'a LimitRequest) -> LimitFuture<'a> {
        Box::pin(async move {
            self.call(key_id, request)
                .await
                .map_err(|e| StoreError(format!("limiter of key {key_id}: {e}")))
        })
    }

    fn forget<'a>(&'a self, name: &'a str) -> ForgetFuture<'a> {
        Box::pin(async move {
            let forgot = async {
                JsFuture::from(self.stub(name)?.forget().map_err(js)?)
                    .await
                    .map_err(js)
            };
            forgot
                .await
                .map(|_| ())
                .map_err(|e| StoreError(format!("limiter of key {name}: {e}")))
        })
    }
}
