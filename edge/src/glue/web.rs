//! The runtime's `Request`/`Response` to and from Keygate's own
//! [`HttpRequest`]/[`HttpResponse`], on `web_sys` types directly rather
//! than through the `worker::Request`/`worker::Response` wrappers, which
//! copied every request and linked more code. (Measured: the wasm shrank;
//! throughput moved within noise, BENCHMARKS.md.)

use js_sys::{Promise, Uint8Array};
use keygate_shared::{ApiError, ErrorCode};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, Response, ResponseInit};
#[cfg(feature = "admin-plane")]
use web_sys::{RequestInit, TransformStream, WritableStreamDefaultWriter};

use crate::http::{Forward, HttpRequest, HttpResponse};

#[wasm_bindgen]
extern "C" {
    /// The runtime's global `fetch`.
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(request: &Request) -> Result<Promise, JsValue>;
}

#[wasm_bindgen(module = "/js/forward.js")]
extern "C" {
    /// `edge/js/forward.js`: the front's pass to the admin plane.
    #[cfg(not(feature = "admin-plane"))]
    #[wasm_bindgen(js_name = forwardAdmin, catch)]
    fn forward_admin_request(
        admin: &super::runtime::Fetcher,
        request: &Request,
        stamp: &str,
    ) -> Result<Promise, JsValue>;
    /// `edge/js/forward.js`: the gateway's subrequest.
    #[wasm_bindgen(js_name = forwardRequest)]
    fn forward_request(
        request: &Request,
        url: &str,
        method: &str,
        headers: &str,
        extra: &str,
    ) -> Promise;
}

/// The request's method as sent, upper-case. (`worker::Request::method()`
/// mapped every method it does not know, `QUERY`, `PURGE`, …, to `GET`,
/// which let such a request be routed as a GET: found by schemathesis.)
pub fn method_of(req: &Request) -> String {
    req.method().to_ascii_uppercase()
}

/// Every header as (lower-case name, value), from the JSON array of
/// `[name, value]` pairs the entry made of `request.headers` in one go
/// (`edge/js/core.js`): one string crossing into wasm instead of an
/// iterator step, an array and two strings per header. Anything else
/// (never sent by the entry) reads as no headers.
fn header_pairs(headers_json: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = serde_json::from_str(headers_json).unwrap_or_default();
    for (name, _) in &mut pairs {
        name.make_ascii_lowercase();
    }
    pairs
}

/// The request's head as an [`HttpRequest`] with an empty body: which
/// part of the worker answers it is decided before any body is read
/// (`App::body_limit`), so a gateway body is never consumed.
pub fn request_head(req: &Request, method: String, headers_json: &str) -> HttpRequest {
    HttpRequest::head(method, &req.url(), header_pairs(headers_json))
}

/// How much of a refused body is still read (and thrown away, never
/// kept) so that a client still sending gets the 413 over an orderly
/// connection: answering while the upload runs made `wrangler dev`'s
/// proxy answer 503 "worker restarted mid-request" instead, now and then.
/// Past this the answer goes out anyway.
const DRAIN_BYTES: usize = 1024 * 1024;

/// Reads and discards up to [`DRAIN_BYTES`] more of the body.
async fn drain(reader: &web_sys::ReadableStreamDefaultReader) {
    let mut drained = 0usize;
    while drained < DRAIN_BYTES {
        let Ok(chunk) = JsFuture::from(reader.read()).await else {
            return;
        };
        let done = js_sys::Reflect::get(&chunk, &JsValue::from_str("done"))
            .map_or(true, |d| d.is_truthy());
        if done {
            return;
        }
        drained += js_sys::Reflect::get(&chunk, &JsValue::from_str("value"))
            .map_or(0, |v| v.unchecked_into::<Uint8Array>().length() as usize);
    }
}

/// Why a body was not read.
pub enum BodyError {
    /// Over the limit (413).
    TooLarge,
    /// The stream failed (400): never taken for an empty body, which some
    /// routes read as "all defaults" (a roll with no grace).
    Unreadable,
}

/// The body as the entry passed it (`edge/js/core.js`, `fetchEvent`).
pub enum Passed {
    /// `undefined`: not read (no body wanted, or one without a declared
    /// length within the limit, which `fetch` reads in chunks).
    NotRead,
    /// A `Uint8Array`: all of it, read by the entry because `body_wanted`
    /// said so (a declared length within the limit).
    Read(Vec<u8>),
    /// Anything else (`false`): the entry's read failed.
    Unreadable,
}

/// What the entry passed as the body.
pub fn passed_body(body: &JsValue) -> Passed {
    if body.is_undefined() {
        Passed::NotRead
    } else if let Some(bytes) = body.dyn_ref::<Uint8Array>() {
        Passed::Read(bytes.to_vec())
    } else {
        Passed::Unreadable
    }
}

/// The declared `Content-Length`, when it is within `limit`: a body the
/// runtime holds to that length (HTTP framing), which the entry reads in
/// one go (one promise instead of a read per chunk; no await in Rust).
pub fn declared_within(head: &HttpRequest, limit: usize) -> bool {
    head.declared_length().is_some_and(|n| n <= limit as u64)
}

/// Reads a body the entry did not (no declared length within `limit`:
/// chunked uploads, or more declared than the limit) chunk by chunk,
/// refusing it as soon as it is over `limit` bytes: never more than one
/// chunk past the limit is held.
pub async fn read_body_limited(
    req: &Request,
    head: &HttpRequest,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let declared = head.declared_length();
    let Some(stream) = req.body() else {
        return Ok(Vec::new());
    };
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    if declared.is_some_and(|n| n > limit as u64) {
        drain(&reader).await;
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    loop {
        let Ok(chunk) = JsFuture::from(reader.read()).await else {
            return Err(BodyError::Unreadable);
        };
        let done = js_sys::Reflect::get(&chunk, &JsValue::from_str("done"))
            .map(|d| d.is_truthy())
            .map_err(|_| BodyError::Unreadable)?;
        if done {
            return Ok(body);
        }
        let value = js_sys::Reflect::get(&chunk, &JsValue::from_str("value"))
            .map_err(|_| BodyError::Unreadable)?;
        let bytes: Uint8Array = value.unchecked_into();
        if body.len() + bytes.length() as usize > limit {
            drop(body);
            drain(&reader).await;
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&bytes.to_vec());
    }
}

/// Keygate's answer as `[status, headers, body]` for the entry to make
/// the `Response` of (`edge/js/core.js`): the headers as one JSON string
/// of pairs, the body bytes (or null), instead of a `Headers` object
/// filled one crossing per header.
pub fn to_parts(r: &HttpResponse) -> JsValue {
    let headers = serde_json::to_string(&r.headers).unwrap_or_else(|_| "[]".to_owned());
    let body = if r.body.is_empty() {
        JsValue::NULL
    } else {
        Uint8Array::from(r.body.as_slice()).into()
    };
    js_sys::Array::of3(
        &JsValue::from(r.status),
        &JsValue::from_str(&headers),
        &body,
    )
    .into()
}

/// An error in the contract's shape as [`to_parts`].
pub fn error_parts(e: &ApiError) -> JsValue {
    to_parts(&HttpResponse::error(e))
}

/// Keygate's answer as the runtime's `Response`.
pub fn to_response(r: &HttpResponse) -> Result<Response, JsValue> {
    let headers = Headers::new()?;
    for (n, v) in &r.headers {
        headers.append(n, v)?;
    }
    let init = ResponseInit::new();
    init.set_status(r.status);
    init.set_headers(&headers);
    if r.body.is_empty() {
        Response::new_with_opt_str_and_init(None, &init)
    } else {
        let body = Uint8Array::from(r.body.as_slice());
        Response::new_with_opt_buffer_source_and_init(Some(&body), &init)
    }
}

#[cfg(feature = "admin-plane")]
/// A `Response` with `head`'s status and headers whose body is whatever
/// is written to the returned writer (`head.body` is not sent: the
/// caller writes it first).
pub fn streaming_response(
    head: &HttpResponse,
) -> Result<(Response, WritableStreamDefaultWriter), JsValue> {
    let headers = Headers::new()?;
    for (n, v) in &head.headers {
        headers.append(n, v)?;
    }
    let init = ResponseInit::new();
    init.set_status(head.status);
    init.set_headers(&headers);
    let pipe = TransformStream::new()?;
    let writer = pipe.writable().get_writer()?;
    let response = Response::new_with_opt_readable_stream_and_init(Some(&pipe.readable()), &init)?;
    Ok((response, writer))
}

#[cfg(feature = "admin-plane")]
/// Writes `bytes` to `writer`, waiting until the stream takes them (the
/// client's pace); `Err` once the client has gone away.
pub async fn write(writer: &WritableStreamDefaultWriter, bytes: &[u8]) -> Result<(), JsValue> {
    if bytes.is_empty() {
        return Ok(());
    }
    let chunk = Uint8Array::from(bytes);
    JsFuture::from(writer.write_with_chunk(&chunk))
        .await
        .map(drop)
}

#[cfg(feature = "admin-plane")]
/// Ends the stream: the body is complete.
pub async fn close(writer: &WritableStreamDefaultWriter) {
    let _ = JsFuture::from(writer.close()).await;
}

#[cfg(feature = "admin-plane")]
/// Ends the stream as failed: the client sees a broken body, not a short one.
pub async fn abort(writer: &WritableStreamDefaultWriter) {
    let _ = JsFuture::from(writer.abort()).await;
}

/// An error in the contract's shape as the runtime's `Response`.
pub fn error_response(e: &ApiError) -> Result<Response, JsValue> {
    to_response(&HttpResponse::error(e))
}

/// Sends the request on to the origin (body streamed, redirects passed
/// through to the client); an unreachable origin is 502. The outgoing
/// request is built in `edge/js/forward.js` from the headers as one JSON
/// string: one crossing instead of one per header.
pub async fn forward(req: &Request, method: &str, fwd: Forward) -> Result<Response, JsValue> {
    // Never "no headers" on failure: that would forward without the
    // identity and its signature. (Pairs of strings always encode.)
    let encode = |pairs: &[(String, String)]| {
        serde_json::to_string(pairs).map_err(|e| JsValue::from_str(&e.to_string()))
    };
    let (headers, extra) = (encode(&fwd.headers)?, encode(&fwd.response_headers)?);
    let sent = JsFuture::from(forward_request(req, &fwd.url, method, &headers, &extra)).await?;
    if sent.is_null() {
        return error_response(&ApiError::new(
            ErrorCode::OriginUnreachable,
            "The origin could not be reached.",
        ));
    }
    Ok(sent.unchecked_into())
}

#[cfg(feature = "admin-plane")]
/// POSTs a JSON body; Ok only for a 2xx answer.
pub async fn post_json(url: &str, body: &str) -> Result<(), String> {
    let js_err =
        |e: JsValue| super::js_error_message(&e).unwrap_or_else(|| "fetch failed".to_owned());
    let headers = Headers::new().map_err(js_err)?;
    headers
        .set("content-type", "application/json")
        .map_err(js_err)?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    let req = Request::new_with_str_and_init(url, &init).map_err(js_err)?;
    let resp: Response = JsFuture::from(global_fetch(&req).map_err(js_err)?)
        .await
        .map_err(js_err)?
        .unchecked_into();
    if (200..300).contains(&resp.status()) {
        Ok(())
    } else {
        Err(format!("webhook answered {}", resp.status()))
    }
}

#[cfg(feature = "admin-plane")]
/// GETs `url`; the body of a 2xx answer (at most `limit` bytes).
pub async fn get_text(url: &str, limit: usize) -> Result<String, String> {
    let js_err =
        |e: JsValue| super::js_error_message(&e).unwrap_or_else(|| "fetch failed".to_owned());
    let req = Request::new_with_str(url).map_err(js_err)?;
    let resp: Response = JsFuture::from(global_fetch(&req).map_err(js_err)?)
        .await
        .map_err(js_err)?
        .unchecked_into();
    if !(200..300).contains(&resp.status()) {
        return Err(format!("answered {}", resp.status()));
    }
    let text = text_of(&resp).await?;
    if text.len() > limit {
        return Err(format!("answered more than {limit} bytes"));
    }
    Ok(text)
}

#[cfg(feature = "admin-plane")]
/// The whole body of `resp` as text; the runtime's message on failure.
pub async fn text_of(resp: &Response) -> Result<String, String> {
    let js_err =
        |e: JsValue| super::js_error_message(&e).unwrap_or_else(|| "fetch failed".to_owned());
    let text = JsFuture::from(resp.text().map_err(js_err)?)
        .await
        .map_err(js_err)?;
    Ok(text.as_string().unwrap_or_default())
}

#[cfg(feature = "admin-plane")]
/// The `ASSETS` binding (the admin app's files), or the answer that says
/// it is missing.
fn assets(env: &super::Env) -> Result<super::runtime::Fetcher, Result<Response, JsValue>> {
    env.object::<super::runtime::Fetcher>("ASSETS")
        .ok_or_else(|| {
            error_response(&ApiError::new(
                ErrorCode::ConfigInvalid,
                "The assets binding ASSETS is missing.",
            ))
        })
}

/// Sends `req` on to the admin plane, unread, with this worker's
/// [`crate::config::Config::front_stamp`] (the front worker alone:
/// `App::surface`). Its answer is the admin plane's, headers and all.
#[cfg(not(feature = "admin-plane"))]
pub async fn forward_admin(
    req: &Request,
    env: &super::Env,
    stamp: &str,
) -> Result<Response, JsValue> {
    let Some(admin) = env.object::<super::runtime::Fetcher>("ADMIN") else {
        let missing = ApiError::new(
            ErrorCode::ConfigInvalid,
            "The admin plane's service binding ADMIN is missing.",
        );
        super::log_config_invalid(&missing);
        return error_response(&missing);
    };
    Ok(JsFuture::from(forward_admin_request(&admin, req, stamp)?)
        .await?
        .unchecked_into())
}

/// `https://host` of `url`.
#[cfg(feature = "admin-plane")]
fn origin_of(url: &str) -> &str {
    let origin_end = url.find("://").map_or(0, |i| i + 3);
    &url[..url[origin_end..]
        .find('/')
        .map_or(url.len(), |i| origin_end + i)]
}

#[cfg(feature = "admin-plane")]
/// Serves the SPA from the `ASSETS` binding; client-side routes under
/// `/admin/` (no file extension) get the index page.
pub async fn serve_asset(req: Request, env: &super::Env) -> Result<Response, JsValue> {
    let assets = match assets(env) {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    let url = req.url();
    let (_, path, _) = crate::http::split_url(&url);
    let is_file = path.rsplit('/').next().unwrap_or_default().contains('.');
    let index = format!("{}/admin/index.html", origin_of(&url));
    let mut resp: Response = JsFuture::from(assets.fetch_request(&req)?)
        .await?
        .unchecked_into();
    if resp.status() == 404 && !is_file {
        resp = JsFuture::from(assets.fetch_url(&index)?)
            .await?
            .unchecked_into();
    }
    with_browser_headers(resp)
}

#[cfg(feature = "admin-plane")]
/// Serves the file at `path` among the admin app's files (the OpenAPI
/// document), whatever spelling of its route the request used.
pub async fn serve_file(req: &Request, path: &str, env: &super::Env) -> Result<Response, JsValue> {
    let assets = match assets(env) {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    let url = format!("{}{path}", origin_of(&req.url()));
    let resp: Response = JsFuture::from(assets.fetch_url(&url)?)
        .await?
        .unchecked_into();
    with_browser_headers(resp)
}

#[cfg(feature = "admin-plane")]
/// The asset's response with §8's browser headers (CSP and friends).
fn with_browser_headers(resp: Response) -> Result<Response, JsValue> {
    let headers = Headers::new_with_headers(&resp.headers())?;
    for (name, value) in crate::http::ADMIN_APP_HEADERS {
        headers.set(name, value)?;
    }
    let init = ResponseInit::new();
    init.set_status(resp.status());
    init.set_status_text(&resp.status_text());
    init.set_headers(&headers);
    Response::new_with_opt_readable_stream_and_init(resp.body().as_ref(), &init)
}
