//! The only code that touches the `worker` crate: converts requests and
//! responses, implements [`Kv`] over `KvStore`, forwards to the origin and
//! serves the SPA's assets.

use keygate_shared::api::MAX_BODY_BYTES;
use keygate_shared::{ApiError, ErrorCode};
use worker::{
    event, Context, Env, Fetch, Headers, KvStore, Method, Request, RequestInit, Response,
};

use crate::app::App;
use crate::cache::{CachedKv, ReadCache};
use crate::config::Config;
use crate::http::{Forward, HttpRequest, HttpResponse, Outcome};
use crate::store::{Kv, ListPage, Listed, PutOptions, StoreError, StoreResult};

/// Workers KV behind the [`Kv`] trait.
struct WorkersKv(KvStore);

fn store_err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

impl Kv for WorkersKv {
    async fn get(&self, key: &str) -> StoreResult<Option<String>> {
        self.0.get(key).text().await.map_err(store_err)
    }

    async fn put(&self, key: &str, value: &str, options: PutOptions) -> StoreResult<()> {
        let mut put = self.0.put(key, value).map_err(store_err)?;
        if let Some(at) = options.expiration.and_then(|e| u64::try_from(e).ok()) {
            put = put.expiration(at);
        }
        if let Some(meta) = options.metadata {
            put = put.metadata(meta).map_err(store_err)?;
        }
        put.execute().await.map_err(store_err)
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.0.delete(key).await.map_err(store_err)
    }

    async fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<ListPage> {
        let mut list = self.0.list().prefix(prefix.to_owned()).limit(limit as u64);
        if let Some(c) = cursor {
            list = list.cursor(c.to_owned());
        }
        let page = list.execute().await.map_err(store_err)?;
        Ok(ListPage {
            keys: page
                .keys
                .into_iter()
                .map(|k| Listed {
                    name: k.name,
                    metadata: k.metadata,
                })
                .collect(),
            cursor: if page.list_complete {
                None
            } else {
                page.cursor.filter(|c| !c.is_empty())
            },
        })
    }
}

thread_local! {
    /// The parsed configuration: vars cannot change within an isolate, so
    /// it is parsed once, not on every request.
    static CONFIG: std::cell::OnceCell<std::rc::Rc<Result<Config, ApiError>>> = const { std::cell::OnceCell::new() };
}

thread_local! {
    /// This isolate's cache of verification lookups (see `cache.rs`).
    static READ_CACHE: std::rc::Rc<ReadCache> = std::rc::Rc::new(ReadCache::default());
}

fn read_cache() -> std::rc::Rc<ReadCache> {
    READ_CACHE.with(std::rc::Rc::clone)
}

fn config(env: &Env) -> std::rc::Rc<Result<Config, ApiError>> {
    CONFIG.with(|cell| {
        cell.get_or_init(|| std::rc::Rc::new(Config::from_vars(|name| env_var(env, name))))
            .clone()
    })
}

fn env_var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
        .or_else(|| env.secret(name).ok().map(|v| v.to_string()))
}

fn now() -> chrono::DateTime<chrono::Utc> {
    let ms = i64::try_from(worker::Date::now().as_millis()).unwrap_or(i64::MAX);
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn to_response(r: HttpResponse) -> worker::Result<Response> {
    let headers = Headers::new();
    for (n, v) in &r.headers {
        headers.append(n, v)?;
    }
    let resp = if r.body.is_empty() {
        Response::empty()?
    } else {
        Response::from_bytes(r.body)?
    };
    Ok(resp.with_status(r.status).with_headers(headers))
}

fn error_response(e: &ApiError) -> worker::Result<Response> {
    to_response(HttpResponse::error(e))
}

/// Whether the path is one where the worker reads the body (admin API).
fn reads_body(path: &str) -> bool {
    path.starts_with("/api/")
}

/// The request's method as sent. `worker::Request::method()` maps every
/// method it does not know (`QUERY`, `PURGE`, …) to `GET`, which would let
/// such a request be routed and checked as a GET (found by schemathesis).
fn method_of(req: &Request) -> String {
    req.inner().method().to_ascii_uppercase()
}

async fn to_http_request(
    req: &mut Request,
    method: String,
) -> worker::Result<Result<HttpRequest, ApiError>> {
    let url = req.inner().url();
    let (host, path, query) = crate::http::split_url(&url);
    let headers: Vec<(String, String)> = req
        .headers()
        .entries()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    let mut body = Vec::new();
    if reads_body(path) && method != "GET" && method != "HEAD" {
        let declared = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
            return Ok(Err(ApiError::new(
                ErrorCode::BodyTooLarge,
                "The request body is larger than 64 KiB.",
            )));
        }
        body = req.bytes().await.unwrap_or_default();
    }
    Ok(Ok(HttpRequest {
        method,
        host: host.to_ascii_lowercase(),
        path: path.to_owned(),
        query: crate::http::decode_query(query),
        headers,
        body,
    }))
}

async fn forward(req: &Request, method: &str, fwd: Forward) -> worker::Result<Response> {
    let headers = web_sys::Headers::new()?;
    for (n, v) in &fwd.headers {
        headers.append(n, v)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_headers(&headers);
    init.set_redirect(web_sys::RequestRedirect::Manual);
    if method != "GET" && method != "HEAD" {
        if let Some(body) = req.inner().body() {
            init.set_body(&body);
        }
    }
    let outgoing = web_sys::Request::new_with_str_and_init(&fwd.url, &init)?;
    match Fetch::Request(Request::from(outgoing)).send().await {
        Ok(resp) => Ok(resp),
        Err(_) => error_response(&ApiError::new(
            ErrorCode::OriginUnreachable,
            "The origin could not be reached.",
        )),
    }
}

async fn serve_asset(req: Request, env: &Env) -> worker::Result<Response> {
    let assets = env.assets("ASSETS")?;
    let url = req.inner().url();
    let (_, path, _) = crate::http::split_url(&url);
    // SPA fallback: client-side routes under /admin/ get the index page.
    let is_file = path.rsplit('/').next().unwrap_or_default().contains('.');
    let origin_end = url.find("://").map_or(0, |i| i + 3);
    let origin = &url[..url[origin_end..]
        .find('/')
        .map_or(url.len(), |i| origin_end + i)];
    let index = format!("{origin}/admin/index.html");
    let resp = assets.fetch_request(req).await?;
    if resp.status_code() == 404 && !is_file {
        return assets.fetch(index, None).await;
    }
    Ok(resp)
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let config = config(&env);
    let config = match config.as_ref() {
        Ok(c) => c,
        Err(e) => {
            worker::console_error!("configuration invalid: {}", e.message);
            return error_response(e);
        }
    };
    let now = now();
    let cache = read_cache();
    let kv = match env.kv("KEYS") {
        Ok(kv) => CachedKv::new(
            WorkersKv(kv),
            &cache,
            now.timestamp_millis(),
            config.verify_cache_seconds,
        ),
        Err(_) => {
            return error_response(&ApiError::new(
                ErrorCode::ConfigInvalid,
                "The KV binding KEYS is missing.",
            ))
        }
    };
    let method = method_of(&req);
    let http_req = match to_http_request(&mut req, method.clone()).await? {
        Ok(r) => r,
        Err(e) => return error_response(&e),
    };
    let app = App {
        kv: &kv,
        config,
        now,
    };
    match app.handle(&http_req).await {
        Outcome::Respond(r) => to_response(r),
        Outcome::Forward(f) => forward(&req, &method, f).await,
        Outcome::ServeAdminAsset => serve_asset(req, &env).await,
    }
}

/// Webhook delivery with the runtime's fetch.
struct FetchNotifier;

impl crate::lifecycle::Notifier for FetchNotifier {
    async fn post_json(&self, url: &str, body: &str) -> Result<(), String> {
        let headers = Headers::new();
        headers
            .set("content-type", "application/json")
            .map_err(|e| e.to_string())?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.into()));
        let req = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
        let resp = Fetch::Request(req)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if (200..300).contains(&resp.status_code()) {
            Ok(())
        } else {
            Err(format!("webhook answered {}", resp.status_code()))
        }
    }
}

#[event(scheduled)]
async fn scheduled(_event: worker::ScheduledEvent, env: Env, _ctx: worker::ScheduleContext) {
    let config = match Config::from_vars(|name| env_var(&env, name)) {
        Ok(c) => c,
        Err(e) => {
            return worker::console_error!("cron skipped, configuration invalid: {}", e.message)
        }
    };
    let now = now();
    let cache = read_cache();
    let Ok(kv) = env.kv("KEYS").map(|kv| {
        CachedKv::new(
            WorkersKv(kv),
            &cache,
            now.timestamp_millis(),
            config.verify_cache_seconds,
        )
    }) else {
        return worker::console_error!("cron skipped: KV binding KEYS missing");
    };
    match crate::lifecycle::run(
        &kv,
        &FetchNotifier,
        config.notify_webhook_url.as_deref(),
        now,
    )
    .await
    {
        Ok(r) => worker::console_log!(
            "cron: {} notices sent, {} failed (retried next run), {} expired keys purged",
            r.notified.len(),
            r.failed.len(),
            r.purged.len()
        ),
        Err(e) => worker::console_error!("cron stopped: {}", e.message),
    }
}
