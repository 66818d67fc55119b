//! The only code that touches the runtime: the `fetch` and `scheduled`
//! entry points (exported to `edge/js/core.js`, which the runtime calls),
//! Workers KV ([`kv`]), D1 ([`d1`]), the limiter objects ([`limiter`]),
//! requests and responses ([`web`]), WebCrypto and the `env`/`ctx`
//! objects ([`runtime`]).

mod d1;
pub mod ecdsa;
pub mod hmac;
mod kv;
pub mod limiter;
pub mod rsa;
mod runtime;
mod subtle;
mod web;

use keygate_shared::{ApiError, ErrorCode};
use wasm_bindgen::prelude::*;

pub use runtime::{log_error, Context, Env};

use crate::app::App;
use crate::cache::{CachedKv, ReadCache};
use crate::config::Config;
use crate::http::Outcome;
use d1::D1;
use kv::WorkersKv;

thread_local! {
    /// The parsed configuration: vars cannot change within an isolate, so
    /// it is parsed once, not on every request.
    static CONFIG: std::cell::OnceCell<std::rc::Rc<Result<Config, ApiError>>> = const { std::cell::OnceCell::new() };
}

thread_local! {
    /// This isolate's cache of verification lookups (see `cache.rs`).
    static READ_CACHE: std::rc::Rc<ReadCache> = std::rc::Rc::new(ReadCache::default());
    /// This isolate's usage counts since its last flush (see `usage.rs`).
    static METER: std::rc::Rc<crate::usage::UsageMeter> = std::rc::Rc::default();
}

/// The bindings a request uses, looked up once per `env` object rather
/// than on every request: each lookup is a property read and a string made
/// in JS (the three came to ~30 µs a request profiled, BENCHMARKS.md,
/// "Issue 19"). The runtime hands an isolate's requests the same `env`;
/// another one (not assumed away) is looked up afresh.
struct Bindings {
    env: Env,
    kv: Option<WorkersKv>,
    db: Option<D1>,
    limiter: Option<limiter::DurableLimiter>,
}

thread_local! {
    static BINDINGS: std::cell::RefCell<Option<std::rc::Rc<Bindings>>> = const { std::cell::RefCell::new(None) };
}

fn bindings(env: &Env) -> std::rc::Rc<Bindings> {
    BINDINGS.with(|cell| {
        let mut cell = cell.borrow_mut();
        if let Some(known) = cell.as_ref().filter(|b| js_sys::Object::is(&b.env, env)) {
            return std::rc::Rc::clone(known);
        }
        let found = std::rc::Rc::new(Bindings {
            env: env.clone(),
            kv: WorkersKv::from_env(env, "KEYS"),
            db: D1::from_env(env, "DB"),
            limiter: limiter::DurableLimiter::from_env(env, "LIMITER"),
        });
        *cell = Some(std::rc::Rc::clone(&found));
        found
    })
}

fn read_cache() -> std::rc::Rc<ReadCache> {
    READ_CACHE.with(std::rc::Rc::clone)
}

fn config(env: &Env) -> std::rc::Rc<Result<Config, ApiError>> {
    CONFIG.with(|cell| {
        cell.get_or_init(|| std::rc::Rc::new(Config::from_vars(|name| env.var(name))))
            .clone()
    })
}

/// `s` in lower case by the runtime's `String.prototype.toLowerCase`
/// (see `crate::text`).
pub fn lowercase(s: &str) -> String {
    js_sys::JsString::from(s).to_lower_case().into()
}

fn now() -> chrono::DateTime<chrono::Utc> {
    // Milliseconds since the epoch, an integer well inside i64.
    let ms = js_sys::Date::now() as i64;
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A request refused because the worker is not configured to answer it:
/// logged with its cause, answered in the contract's shape (the cause
/// stays in the log).
fn config_refusal(e: &ApiError) -> JsValue {
    log_config_invalid(e);
    web::error_parts(e)
}

/// The log line of a configuration refusal, with its cause if any.
fn log_config_invalid(e: &ApiError) {
    let cause = e
        .cause
        .as_deref()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    runtime::log_error(&format!("configuration invalid: {}{cause}", e.message));
}

fn kv_missing() -> ApiError {
    ApiError::new(ErrorCode::ConfigInvalid, "The KV binding KEYS is missing.")
}

fn db_missing() -> ApiError {
    ApiError::new(ErrorCode::ConfigInvalid, "The D1 binding DB is missing.")
}

/// The `KEYS` binding behind this isolate's read cache, if it is bound.
fn keys_store<'a>(
    store: Option<WorkersKv>,
    cache: &'a ReadCache,
    config: &Config,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<CachedKv<'a, WorkersKv>> {
    let store = store?;
    Some(CachedKv::new(
        store,
        cache,
        now.timestamp_millis(),
        config.verify_cache_seconds,
    ))
}

/// The message of a JS `Error`, if the value is one. Runtime errors carry
/// their own text, never a value Keygate passed in.
fn js_error_message(e: &wasm_bindgen::JsValue) -> Option<String> {
    use wasm_bindgen::JsCast;
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
}

/// How many bytes of a request's body the entry reads before it calls
/// [`fetch`] (`edge/js/core.js`, `fetchEvent`): the route's limit when the
/// route reads a body ([`crate::app::body_limit`]) and the declared
/// `Content-Length` is within it ([`web::declared_within`]); otherwise 0:
/// no body is read (a gateway body streams on to the origin unread), or
/// `fetch` reads it in chunks against the limit. Rust decides, from the
/// head as `fetch` builds it, so a body is read only where `fetch` would
/// read it, in one promise like a JavaScript handler's `request.json()`
/// and with one call into Rust per request. The entry does not ask for
/// `GET` and `HEAD`, which never have a body read. An invalid
/// configuration reads none (`fetch` answers the refusal).
#[wasm_bindgen]
pub fn body_wanted(
    method: &str,
    url: &str,
    content_length: Option<String>,
    transfer_encoding: Option<String>,
    env: &Env,
) -> u32 {
    let config_rc = config(env);
    let Ok(config) = config_rc.as_ref() else {
        return 0;
    };
    let head = crate::http::HttpRequest::framing(method, url, content_length, transfer_encoding);
    match crate::app::body_limit(config, &head) {
        Some(limit) if web::declared_within(&head, limit) => u32::try_from(limit).unwrap_or(0),
        _ => 0,
    }
}

/// The `fetch` handler, called by `edge/js/core.js` with the request's
/// headers as one JSON array of pairs, and `body` as [`web::passed_body`]
/// reads it (read by the entry when [`body_wanted`] asked). Answers a
/// `Response`, or, for an answer Keygate made itself, `[status, headers,
/// body]` that the entry makes the `Response` of ([`web::to_parts`]). A
/// runtime error while answering (a `Headers` refusing a value, say) is
/// logged and answered 500 in the contract's shape, never passed on as a
/// rejection.
///
/// The answer is polled once right here and returned as it is when
/// nothing waits on the runtime (a malformed token, a cached key, any
/// refusal made from the head and body): no promise, no executor task, no
/// microtask. Only an answer still pending (a KV read, the origin) goes to
/// the executor, which polls it again in its first microtask, so every
/// future it holds registers the executor's waker in place of the no-op
/// one (a `JsFuture` keeps a result that came meanwhile).
#[wasm_bindgen]
pub fn fetch(
    req: web_sys::Request,
    headers: String,
    body: JsValue,
    env: Env,
    ctx: Context,
) -> JsValue {
    let mut answering = Box::pin(async move {
        match answer(req, &headers, &body, env, ctx).await {
            Ok(response) => response,
            Err(e) => {
                let cause = js_error_message(&e).unwrap_or_else(|| "not an Error".to_owned());
                runtime::log_error(&format!("request failed in the runtime: {cause}"));
                let internal =
                    ApiError::new(ErrorCode::Internal, "The request could not be answered.");
                web::error_parts(&internal)
            }
        }
    });
    let mut once = std::task::Context::from_waker(std::task::Waker::noop());
    match std::future::Future::poll(answering.as_mut(), &mut once) {
        std::task::Poll::Ready(answer) => answer,
        std::task::Poll::Pending => {
            wasm_bindgen_futures::future_to_promise(async move { Ok(answering.await) }).into()
        }
    }
}

async fn answer(
    req: web_sys::Request,
    headers: &str,
    body: &JsValue,
    env: Env,
    ctx: Context,
) -> Result<JsValue, JsValue> {
    let config_rc = config(&env);
    let config = match config_rc.as_ref() {
        Ok(c) => c,
        Err(e) => return Ok(config_refusal(e)),
    };
    let method = web::method_of(&req);
    let mut http_req = web::request_head(&req, method.clone(), headers);
    // The admin plane alone: a check that the front which passed the
    // request on is configured alike (not authentication: the stamp is no
    // secret, and the admin API authenticates every request itself).
    #[cfg(not(feature = "gateway"))]
    if let Err(e) = config.check_front(http_req.header(crate::config::FRONT_HEADER)) {
        return Ok(config_refusal(&e));
    }
    let now = now();
    let cache = read_cache();
    let bound = bindings(&env);
    let Some(kv) = keys_store(bound.kv.clone(), &cache, config, now) else {
        return Ok(config_refusal(&kv_missing()));
    };
    let Some(db) = bound.db.as_ref() else {
        return Ok(config_refusal(&db_missing()));
    };
    let limiter = bound.limiter.as_ref();
    let meter = METER.with(std::rc::Rc::clone);
    let app = App {
        kv: &kv,
        db,
        config,
        now,
        limiter: limiter.map(|l| l as &dyn crate::limiter::Limiter),
        meter: Some(&*meter),
        #[cfg(feature = "admin-plane")]
        certs: Some(&FetchCerts),
        #[cfg(not(feature = "admin-plane"))]
        certs: None,
    };
    // Admin or gateway is decided on the head: only the admin API's body
    // is read (the front reads only the verify endpoint's), up to its
    // limit; a gateway body is streamed. A declared length within the
    // limit was read by the entry (`body_wanted`); any other is read here
    // in chunks against the limit.
    let limit = app.body_limit(&http_req);
    if limit.is_none() && !body.is_undefined() {
        // The entry read a body `body_wanted` would not have asked for: a
        // bug, never a request to forward without its body.
        runtime::log_error("request failed in the runtime: a body was read that no route reads");
        let internal = ApiError::new(ErrorCode::Internal, "The request could not be answered.");
        return Ok(web::error_parts(&internal));
    }
    if let Some(limit) = limit {
        let read = match web::passed_body(body) {
            web::Passed::Read(bytes) if bytes.len() > limit => Err(web::BodyError::TooLarge),
            web::Passed::Read(bytes) => Ok(bytes),
            web::Passed::Unreadable => Err(web::BodyError::Unreadable),
            web::Passed::NotRead => web::read_body_limited(&req, &http_req, limit).await,
        };
        match read {
            Ok(body) => http_req.body = body,
            Err(web::BodyError::TooLarge) => {
                return Ok(web::error_parts(&crate::app::body_too_large(limit)))
            }
            Err(web::BodyError::Unreadable) => {
                return Ok(web::error_parts(&ApiError::new(
                    ErrorCode::BadJson,
                    "The request body could not be read.",
                )))
            }
        }
    }
    let (outcome, mut log) = app.handle_logged(&http_req).await;
    flush_usage(&env, &ctx, &meter, now, config);
    let answer = match outcome {
        Outcome::Respond(r) => Ok(web::to_parts(&r)),
        #[cfg(feature = "admin-plane")]
        Outcome::Stream(streamed) => {
            stream(&env, &ctx, config_rc.clone(), *streamed).map(Into::into)
        }
        Outcome::Forward(f) => web::forward(&req, &method, f).await.map(Into::into),
        #[cfg(not(feature = "admin-plane"))]
        Outcome::ForwardAdmin => {
            let answer = web::forward_admin(&req, &env, &config.front_stamp())
                .await
                .map(Into::into);
            // The admin plane may have changed keys (it says not which):
            // this isolate's cached lookups may be stale, whatever the
            // answer (a failure may come after the write).
            if !matches!(method.as_str(), "GET" | "HEAD") {
                cache.clear();
            }
            answer
        }
        #[cfg(feature = "admin-plane")]
        Outcome::ServeAdminAsset => web::serve_asset(req, &env).await.map(Into::into),
        #[cfg(feature = "admin-plane")]
        Outcome::ServeFile(path) => web::serve_file(&req, path, &env).await.map(Into::into),
    };
    if let Ok(r) = &answer {
        if log.status == 0 {
            if let Some(r) = r.dyn_ref::<web_sys::Response>() {
                log.status = r.status();
            }
        }
    }
    // One JSON line per admin-plane request (Workers Logs), with its cause
    // on failure. Verification traffic (gateway, verify endpoint) logs only
    // failures: it is the high-volume path, and Workers Logs bills per line.
    let failed = log.cause.is_some() || log.status >= 500;
    // The admin plane logs what it answered, its failures with their
    // cause; the front logs a forwarded answer only when it is a 5xx (the
    // plane's line has the cause, this one the fact, also for the 5xx the
    // runtime answers for a plane that failed or is not deployed).
    let verification = ["gateway", "/api/v1/verify", "admin-plane"].contains(&log.route);
    if failed || !verification {
        let line = log.line(js_sys::Date::now() as i64 - now.timestamp_millis());
        if failed {
            runtime::log_error(&line);
        } else {
            runtime::log(&line);
        }
    }
    answer
}

/// Writes what this isolate counted: now when due (after an idle spell,
/// then at most once per flush interval), and otherwise once more, at
/// most 20 s later, so that the last counts of a quiet isolate do not
/// wait for more traffic. In the background (`waitUntil`); a failed write
/// puts the counts back for the next one, and is logged.
fn flush_usage(
    env: &Env,
    ctx: &Context,
    meter: &std::rc::Rc<crate::usage::UsageMeter>,
    now: chrono::DateTime<chrono::Utc>,
    config: &Config,
) {
    let interval = i64::from(config.usage_flush_seconds) * 1000;
    if let Some(batch) = meter.take_due(now, interval, false) {
        write_usage(env, ctx, meter, batch, None);
    } else if meter.has_pending() && !meter.trailing.get() {
        meter.trailing.set(true);
        let wait = interval.clamp(1000, 20_000);
        write_usage_later(env, ctx, meter, wait);
    }
}

fn write_usage_later(
    env: &Env,
    ctx: &Context,
    meter: &std::rc::Rc<crate::usage::UsageMeter>,
    wait_ms: i64,
) {
    let (env, meter) = (env.clone(), std::rc::Rc::clone(meter));
    ctx.wait_until(async move {
        runtime::sleep(u32::try_from(wait_ms).unwrap_or(20_000)).await;
        meter.trailing.set(false);
        if let Some(batch) = meter.take_due(now(), 0, true) {
            write(&env, &meter, batch).await;
        }
    });
}

fn write_usage(
    env: &Env,
    ctx: &Context,
    meter: &std::rc::Rc<crate::usage::UsageMeter>,
    batch: crate::usage::UsageBatch,
    _: Option<()>,
) {
    let (env, meter) = (env.clone(), std::rc::Rc::clone(meter));
    ctx.wait_until(async move { write(&env, &meter, batch).await });
}

async fn write(env: &Env, meter: &crate::usage::UsageMeter, batch: crate::usage::UsageBatch) {
    let dropped = meter.dropped.replace(0);
    if dropped > 0 {
        runtime::log_error(&format!(
            "usage: {dropped} verifications not counted (too many keys at once in this isolate)"
        ));
    }
    let (Some(kv), Some(db)) = (WorkersKv::from_env(env, "KEYS"), D1::from_env(env, "DB")) else {
        return meter.restore(batch);
    };
    let repo = crate::repo::Repo::new(&kv, &db);
    if let Err(e) = repo.write_usage(&batch).await {
        runtime::log_error(&format!(
            "usage flush failed (kept for the next one): {}",
            e.0
        ));
        meter.restore(batch);
    }
}

/// Answers `streamed.head` at once and writes the rest of the body as the
/// client reads it (after this request's handler has returned, kept alive
/// by `waitUntil`), one export page at a time. A storage failure half-way
/// aborts the stream, so a cut download never looks complete, and is
/// logged with its cause.
#[cfg(feature = "admin-plane")]
fn stream(
    env: &Env,
    ctx: &Context,
    config: std::rc::Rc<Result<Config, ApiError>>,
    streamed: crate::http::Streamed,
) -> Result<web_sys::Response, JsValue> {
    let crate::http::Streamed { head, mut rest } = streamed;
    let (response, writer) = web::streaming_response(&head)?;
    let env = env.clone();
    ctx.wait_until(async move {
        let (Ok(config), Some(kv), Some(db)) = (
            config.as_ref(),
            WorkersKv::from_env(&env, "KEYS"),
            D1::from_env(&env, "DB"),
        ) else {
            web::abort(&writer).await;
            return;
        };
        if web::write(&writer, &head.body).await.is_err() {
            return; // the client went away
        }
        loop {
            // Each page on the clock of its own time: a caller whose key or
            // Access session ends during a slow download gets no more.
            let repo = crate::repo::Repo::new(&kv, &db);
            let keys = crate::service::KeyService::new(repo, config, now());
            match rest.next_chunk(&keys).await {
                Ok(Some(chunk)) => {
                    if web::write(&writer, chunk.as_bytes()).await.is_err() {
                        return;
                    }
                }
                Ok(None) => return web::close(&writer).await,
                Err(e) => {
                    runtime::log_error(&format!(
                        "export stopped part-way: {}",
                        e.cause.as_deref().unwrap_or(&e.message)
                    ));
                    return web::abort(&writer).await;
                }
            }
        }
    });
    Ok(response)
}

/// The Access team's signing keys, over the runtime's `fetch`.
#[cfg(feature = "admin-plane")]
struct FetchCerts;

#[cfg(feature = "admin-plane")]
impl crate::access::CertSource for FetchCerts {
    fn get<'a>(&'a self, url: &'a str) -> crate::access::keys::CertsFuture<'a> {
        Box::pin(web::get_text(url, crate::access::keys::MAX_CERTS_BYTES))
    }
}

/// Webhook delivery with the runtime's fetch.
#[cfg(feature = "admin-plane")]
struct FetchNotifier;

#[cfg(feature = "admin-plane")]
impl crate::lifecycle::Notifier for FetchNotifier {
    async fn post_json(&self, url: &str, body: &str) -> Result<(), String> {
        web::post_json(url, body).await
    }
}

/// The `scheduled` handler: the admin plane's `cron()` (`edge/js/plane.js`),
/// which the front worker's cron trigger calls. A run that could not
/// start or stopped on a storage error rejects, with its cause, so the
/// trigger shows a failed invocation (the front logs it); notices that
/// failed are retried next run and do not fail it.
#[cfg(feature = "admin-plane")]
#[wasm_bindgen]
pub async fn scheduled(env: Env) -> Result<(), JsValue> {
    let config = match Config::from_vars(|name| env.var(name)) {
        Ok(c) => c,
        Err(e) => {
            return Err(cron_failed(&format!(
                "cron skipped, configuration invalid: {}",
                e.message
            )))
        }
    };
    let now = now();
    let cache = read_cache();
    let Some(kv) = keys_store(WorkersKv::from_env(&env, "KEYS"), &cache, &config, now) else {
        return Err(cron_failed("cron skipped: KV binding KEYS missing"));
    };
    let Some(db) = D1::from_env(&env, "DB") else {
        return Err(cron_failed("cron skipped: D1 binding DB missing"));
    };
    let repo = crate::repo::Repo::new(&kv, &db);
    let limiter = limiter::DurableLimiter::from_env(&env, "LIMITER");
    match crate::lifecycle::run(
        &repo,
        &FetchNotifier,
        config.notify_webhook_url.as_deref(),
        limiter.as_ref().map(|l| l as &dyn crate::limiter::Limiter),
        now,
    )
    .await
    {
        Ok(r) => {
            let reconciled = r.reconciled.as_ref().map_or_else(
                || "reconciliation failed (logged)".to_owned(),
                |c| {
                    format!(
                        "reconciled {} keys: {} projections written, {} rewritten, {} orphans removed, {} failed",
                        c.rows, c.missing_written, c.stale_rewritten, c.orphans_removed, c.failed
                    )
                },
            );
            runtime::log(&format!(
                "cron: {} notices sent, {} failed (retried next run), {} expired keys purged; {reconciled}{}",
                r.notified.len(),
                r.failed.len(),
                r.purged.len(),
                if r.more {
                    "; more left for the next run"
                } else {
                    ""
                }
            ));
        }
        Err(e) => {
            return Err(cron_failed(&format!(
                "cron stopped: {}",
                e.cause.as_deref().unwrap_or(&e.message)
            )))
        }
    }
    Ok(())
}

/// The rejection of a cron run that failed: an `Error` with `why`, which
/// whoever called the run logs (front.js; plane.js when triggered there).
#[cfg(feature = "admin-plane")]
fn cron_failed(why: &str) -> JsValue {
    js_sys::Error::new(why).into()
}
