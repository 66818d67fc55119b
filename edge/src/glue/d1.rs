//! D1 behind the [`Db`] trait, bound directly to the runtime's
//! `D1Database` (as [`super::kv`] is to KV): parameters go in as JS strings,
//! numbers and null; rows come back through `JSON.stringify`.

use js_sys::{Array, Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::sql::{Db, Param, Row, Statement};
use crate::store::{StoreError, StoreResult};

#[wasm_bindgen]
extern "C" {
    /// The runtime's D1 database binding.
    pub type D1Database;
    /// A prepared (and bound) statement.
    pub type D1PreparedStatement;

    #[wasm_bindgen(method, catch)]
    fn prepare(this: &D1Database, sql: &str) -> Result<D1PreparedStatement, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn batch(this: &D1Database, statements: &Array) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = bind, variadic)]
    fn bind_all(this: &D1PreparedStatement, values: &Array)
        -> Result<D1PreparedStatement, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn all(this: &D1PreparedStatement) -> Result<Promise, JsValue>;
}

/// D1 behind the [`Db`] trait.
pub struct D1(pub D1Database);

impl D1 {
    /// The binding named `name` in `env`, if it is there.
    pub fn from_env(env: &super::Env, name: &str) -> Option<Self> {
        env.object(name).map(Self)
    }

    fn prepared(&self, statement: &Statement) -> StoreResult<D1PreparedStatement> {
        let values = Array::new();
        for p in &statement.params {
            values.push(&match p {
                Param::Null => JsValue::NULL,
                // Times in ms and counts: far below 2^53, exact as doubles.
                Param::Int(n) => JsValue::from_f64(*n as f64),
                Param::Text(s) => JsValue::from_str(s),
            });
        }
        self.0
            .prepare(&statement.sql)
            .and_then(|s| s.bind_all(&values))
            .map_err(store_err)
    }
}

/// D1 errors carry the runtime's message (SQL and SQLite's reason), never
/// a bound value.
fn store_err(e: JsValue) -> StoreError {
    let message = super::js_error_message(&e)
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "D1 operation failed".to_owned());
    StoreError(format!("D1: {message}"))
}

async fn settle(promise: Result<Promise, JsValue>) -> StoreResult<JsValue> {
    JsFuture::from(promise.map_err(store_err)?)
        .await
        .map_err(store_err)
}

fn field(source: &JsValue, name: &str) -> StoreResult<JsValue> {
    Reflect::get(source, &JsValue::from_str(name)).map_err(store_err)
}

impl Db for D1 {
    async fn query(&self, statement: Statement) -> StoreResult<Vec<Row>> {
        let result = settle(self.prepared(&statement)?.all()).await?;
        let rows = field(&result, "results")?;
        let json: String = JSON::stringify(&rows).map_err(store_err)?.into();
        serde_json::from_str(&json).map_err(|e| StoreError(format!("D1 rows: {e}")))
    }

    async fn batch(&self, statements: Vec<Statement>) -> StoreResult<Vec<u64>> {
        let prepared = Array::new();
        for s in &statements {
            let statement: JsValue = self.prepared(s)?.into();
            prepared.push(&statement);
        }
        let results: Array = settle(self.0.batch(&prepared))
            .await?
            .dyn_into()
            .map_err(|_| StoreError("D1 batch answered without results".into()))?;
        results
            .iter()
            .map(|r| {
                let changes = field(&field(&r, "meta")?, "changes")?;
                Ok(changes.as_f64().unwrap_or(0.0) as u64)
            })
            .collect()
    }
}
