//! The few runtime objects the worker touches, bound directly: the `env`
//! of bindings and vars, the `ctx` that keeps background work alive, the
//! console and a timer. (These were the `worker` crate's `Env`, `Context`,
//! `Delay` and `console_*!`; bound here they need no wrapper types, and
//! the crate's request and response conversions stay out of the module.)

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// The worker's `env`: bindings and vars by name.
    #[derive(Clone)]
    pub type Env;

    /// The request's `ctx` (`ExecutionContext`).
    pub type Context;

    #[wasm_bindgen(method, js_name = waitUntil)]
    fn wait_until_promise(this: &Context, promise: &Promise);

    /// A service binding such as `ASSETS`.
    pub type Fetcher;

    #[wasm_bindgen(method, catch, js_name = fetch)]
    pub fn fetch_request(this: &Fetcher, request: &web_sys::Request) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = fetch)]
    pub fn fetch_url(this: &Fetcher, url: &str) -> Result<Promise, JsValue>;

    #[wasm_bindgen(js_namespace = console, js_name = log)]
    fn console_log(line: &str);

    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(line: &str);

    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: f64);
}

impl Env {
    /// The binding or var `name`, if it is set.
    pub fn binding(&self, name: &str) -> Option<JsValue> {
        Reflect::get(self, &JsValue::from_str(name))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }

    /// A var or secret, as text. Secrets and `[vars]` strings arrive as
    /// strings; a `[vars]` value written as a TOML number, boolean, array
    /// or table arrives as that JSON value and is read as its JSON text
    /// (`VERIFY_CACHE_SECONDS = 0` is 0, `GATEWAY_RULES` may be a TOML
    /// array of tables), never as unset: rules that read as none would let
    /// every valid key through. A binding under a var's name reads as
    /// `{}`, which the settings refuse or which fails closed later.
    pub fn var(&self, name: &str) -> Option<String> {
        let value = self.binding(name)?;
        if let Some(text) = value.as_string() {
            return Some(text);
        }
        Some(
            js_sys::JSON::stringify(&value)
                .ok()
                .and_then(|t| t.as_string())
                .unwrap_or_else(|| "\u{0}".to_owned()),
        )
    }

    /// The binding `name` as the runtime object type `T` (KV namespace,
    /// D1 database, Durable Object namespace, service), if it is an object.
    pub fn object<T: JsCast>(&self, name: &str) -> Option<T> {
        self.binding(name)
            .filter(JsValue::is_object)
            .map(JsCast::unchecked_into)
    }
}

impl Context {
    /// Keeps the invocation alive until `work` is done (`waitUntil`).
    pub fn wait_until(&self, work: impl std::future::Future<Output = ()> + 'static) {
        let promise = wasm_bindgen_futures::future_to_promise(async move {
            work.await;
            Ok(JsValue::UNDEFINED)
        });
        self.wait_until_promise(&promise);
    }
}

/// Resolves after `ms` milliseconds (a timer of this request's own).
pub async fn sleep(ms: u32) {
    let timer = Promise::new(&mut |resolve, _| set_timeout(&resolve, f64::from(ms)));
    let _ = JsFuture::from(timer).await;
}

/// One log line at info level (Workers Logs).
pub fn log(line: &str) {
    console_log(line);
}

/// One log line at error level (Workers Logs).
pub fn log_error(line: &str) {
    console_error(line);
}
