//! The limiter as a Durable Object: one `KeyLimiter` per limited key
//! (named by its key id), so every verification of that key, from any
//! location, is decided by the same single-threaded object, in turn.
//!
//! The object keeps its [`LimiterState`] in memory and in its storage:
//! it reads the state once (the runtime holds other events back while
//! the read is pending), decides synchronously and writes the new state
//! before answering (the runtime holds the answer until the write is
//! durable), so concurrent verifications can neither both spend the last
//! credit nor lose a decision when the object restarts.

use std::cell::RefCell;

use keygate_shared::usage::{LimitAnswer, LimitRequest, LimiterState};
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
        let Ok(request) = req.json::<LimitRequest>().await else {
            return Response::error("not a limit request", 400);
        };
        if self.limiter.borrow().is_none() {
            let stored: Option<LimiterState> = self.state.storage().get(STATE).await?;
            let mut cell = self.limiter.borrow_mut();
            if cell.is_none() {
                *cell = Some(stored.unwrap_or_default());
            }
        }
        let (answer, snapshot) = {
            let mut cell = self.limiter.borrow_mut();
            let state = cell.get_or_insert_with(LimiterState::default);
            let answer = state.decide(&request);
            (answer, state.clone())
        };
        self.state.storage().put(STATE, &snapshot).await?;
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
            .with_body(Some(wasm_bindgen::JsValue::from_str(&body)));
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
