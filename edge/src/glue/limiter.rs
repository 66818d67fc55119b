//! The limiter as a Durable Object: one `KeyLimiter` per limited key
//! (named by its key id), so every verification of that key, from any
//! location, is decided by the same single-threaded object, in turn.
//!
//! The object keeps its [`LimiterState`] in memory and in its storage:
//! it reads the state once (the runtime holds other events back while
//! the read is pending), decides synchronously and starts writing the new
//! state before answering (the runtime holds the answer until the write
//! is durable: the output gate), so concurrent verifications can neither
//! both spend the last credit nor see a decision forgotten when the
//! object restarts. The time is the object's own clock.

use std::cell::RefCell;

use keygate_shared::usage::{LimitAnswer, LimitRequest, LimiterState};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, State};

use crate::limiter::{LimitFuture, Limiter};
use crate::store::StoreError;

/// The storage key of the state.
const STATE: &str = "s";

/// The Durable Object class (`[[durable_objects.bindings]]` `LIMITER`).
#[durable_object(fetch)]
pub struct KeyLimiter {
    state: State,
    limiter: RefCell<Option<LimiterState>>,
}

impl DurableObject for KeyLimiter {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            limiter: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let Ok(mut request) = req.json::<LimitRequest>().await else {
            return Response::error("not a limit request", 400);
        };
        // The object's own clock decides the window and the refill, not
        // the calling isolate's: requests from many places, stamped at
        // different moments, are counted in the order they arrive.
        request.now = js_sys::Date::now() as i64;
        if self.limiter.borrow().is_none() {
            // The runtime holds other events back while this read is
            // pending, so the state is read once.
            let stored = JsFuture::from(self.state.storage().as_raw().get(STATE)?).await?;
            let state = stored
                .as_string()
                .and_then(|json| serde_json::from_str::<LimiterState>(&json).ok())
                .unwrap_or_default();
            *self.limiter.borrow_mut() = Some(state);
        }
        let (answer, snapshot) = {
            let mut cell = self.limiter.borrow_mut();
            let state = cell.get_or_insert_with(LimiterState::default);
            (state.decide(&request), serde_json::to_string(state))
        };
        let snapshot = snapshot.map_err(|e| worker::Error::RustError(e.to_string()))?;
        // Not awaited: the runtime holds this answer back until the write
        // is durable (output gate), and the object goes on deciding the
        // next verification meanwhile.
        let _pending = self
            .state
            .storage()
            .as_raw()
            .put(STATE, JsValue::from_str(&snapshot))?;
        Response::from_json(&answer)
    }
}

/// The `LIMITER` binding: a stub per key, one subrequest per decision.
pub struct DurableLimiter {
    namespace: worker::ObjectNamespace,
}

impl DurableLimiter {
    /// The binding named `name`, if it is there.
    pub fn from_env(env: &Env, name: &str) -> Option<Self> {
        env.durable_object(name)
            .ok()
            .map(|namespace| Self { namespace })
    }

    async fn call(&self, key_id: &str, request: &LimitRequest) -> worker::Result<LimitAnswer> {
        let stub = self.namespace.id_from_name(key_id)?.get_stub()?;
        let body =
            serde_json::to_string(request).map_err(|e| worker::Error::RustError(e.to_string()))?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_body(Some(JsValue::from_str(&body)));
        let req = Request::new_with_init("https://limiter/decide", &init)?;
        let mut answer = stub.fetch_with_request(req).await?;
        if answer.status_code() != 200 {
            return Err(worker::Error::RustError(format!(
                "the limiter answered {}",
                answer.status_code()
            )));
        }
        answer.json().await
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
}
