//! Workers KV behind the [`Kv`] trait, bound directly to the runtime's
//! `KVNamespace` methods. The `worker` crate's wrapper converts options and
//! list results through `serde_wasm_bindgen`, which linked a float formatter
//! and a generic deserializer into the module (~25 KB raw) and adds work on
//! the verification path; this binding passes strings and plain objects.

use js_sys::{Object, Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::store::{Kv, ListPage, Listed, PutOptions, StoreError, StoreResult};

#[wasm_bindgen]
extern "C" {
    /// The runtime's KV namespace binding.
    #[derive(Clone)]
    pub type KvNamespace;

    #[wasm_bindgen(method, catch)]
    fn get(this: &KvNamespace, key: &str) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn put(
        this: &KvNamespace,
        key: &str,
        value: &str,
        options: &Object,
    ) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn delete(this: &KvNamespace, key: &str) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn list(this: &KvNamespace, options: &Object) -> Result<Promise, JsValue>;
}

/// Workers KV behind the [`Kv`] trait.
#[derive(Clone)]
pub struct WorkersKv(pub KvNamespace);

impl WorkersKv {
    /// The binding named `name` in `env`, if it is there.
    pub fn from_env(env: &super::Env, name: &str) -> Option<Self> {
        env.object(name).map(Self)
    }
}

/// Storage errors carry the runtime's message, never a value we stored.
fn store_err(e: JsValue) -> StoreError {
    let message = super::js_error_message(&e)
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "KV operation failed".to_owned());
    StoreError(message)
}

async fn settle(promise: Result<Promise, JsValue>) -> StoreResult<JsValue> {
    JsFuture::from(promise.map_err(store_err)?)
        .await
        .map_err(store_err)
}

fn set(target: &Object, name: &str, value: &JsValue) -> StoreResult<()> {
    Reflect::set(target, &JsValue::from_str(name), value)
        .map(|_| ())
        .map_err(store_err)
}

fn get_field(source: &JsValue, name: &str) -> StoreResult<JsValue> {
    Reflect::get(source, &JsValue::from_str(name)).map_err(store_err)
}

impl Kv for WorkersKv {
    async fn get(&self, key: &str) -> StoreResult<Option<String>> {
        // `get(key)` reads as text and resolves to null when absent.
        Ok(settle(self.0.get(key)).await?.as_string())
    }

    async fn pause(&self) {
        // A timer of this request's own: waiting on another request's
        // promise alone makes workerd cancel the request as hung.
        super::runtime::sleep(2).await;
    }

    async fn put(&self, key: &str, value: &str, options: PutOptions) -> StoreResult<()> {
        let js_options = Object::new();
        if let Some(at) = options.expiration.filter(|at| *at > 0) {
            // Unix seconds, far below 2^53: exact as a JS number.
            set(&js_options, "expiration", &JsValue::from_f64(at as f64))?;
        }
        if let Some(meta) = options.metadata {
            let json = serde_json::to_string(&meta).map_err(|e| StoreError(e.to_string()))?;
            set(
                &js_options,
                "metadata",
                &JSON::parse(&json).map_err(store_err)?,
            )?;
        }
        settle(self.0.put(key, value, &js_options)).await.map(drop)
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        settle(self.0.delete(key)).await.map(drop)
    }

    async fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<ListPage> {
        let js_options = Object::new();
        set(&js_options, "prefix", &JsValue::from_str(prefix))?;
        set(&js_options, "limit", &JsValue::from_f64(limit as f64))?;
        if let Some(c) = cursor {
            set(&js_options, "cursor", &JsValue::from_str(c))?;
        }
        let page = settle(self.0.list(&js_options)).await?;
        let keys: js_sys::Array = get_field(&page, "keys")?
            .dyn_into()
            .map_err(|_| StoreError("KV list answered without keys".to_owned()))?;
        let mut listed = Vec::with_capacity(keys.length() as usize);
        for entry in keys.iter() {
            let name = get_field(&entry, "name")?
                .as_string()
                .ok_or_else(|| StoreError("KV list entry without a name".to_owned()))?;
            let meta = get_field(&entry, "metadata")?;
            let metadata = if meta.is_undefined() || meta.is_null() {
                None
            } else {
                let json: String = JSON::stringify(&meta).map_err(store_err)?.into();
                Some(serde_json::from_str(&json).map_err(|e| StoreError(e.to_string()))?)
            };
            listed.push(Listed { name, metadata });
        }
        let complete = get_field(&page, "list_complete")?.as_bool().unwrap_or(true);
        let next = get_field(&page, "cursor")?.as_string();
        Ok(ListPage {
            keys: listed,
            cursor: if complete {
                None
            } else {
                next.filter(|c| !c.is_empty())
            },
        })
    }
}
