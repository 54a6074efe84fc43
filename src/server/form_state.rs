//! Form state in the address. A plain form post that fails is answered with a redirect back to the
//! page carrying the error and what was typed (`?__path=…&__err=…`), and the page shows it again. So
//! anyone could write a link that pre-fills a form with values and messages of their choosing. This
//! layer signs the state on the way out, only on this app's own error redirects, and bound to the
//! browser's session; a page is only ever reached with state that verifies.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::PgPool;
use tower_sessions::cookie::Cookie;

/// The query parameters server functions use for a form's error, and our signature over them.
const PATH: &str = "__path";
const ERR: &str = "__err";
const MAC: &str = "__mac";
/// What server_fn puts on every error response: the failed function's path.
const SERVER_FN_ERROR: &str = "serverfnerror";
/// Where the key lives in `settings`: every instance must sign and verify with the same one.
const KEY_SETTING: &str = "form_state_key";

/// The signing key. Never logged.
#[derive(Clone)]
pub struct FormKey([u8; 32]);

impl std::fmt::Debug for FormKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormKey(..)")
    }
}

impl FormKey {
    pub fn random() -> Self {
        use rand::RngCore;
        let mut key = [0; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        FormKey(key)
    }

    /// The key all instances share: the first instance to start stores one, the rest read it.
    pub async fn shared(pool: &PgPool) -> crate::error::AppResult<Self> {
        let fresh = hex::encode(Self::random().0);
        super::db::postmortems::add_setting(pool, KEY_SETTING, &fresh).await?;
        let stored = super::db::postmortems::setting(pool, KEY_SETTING).await?.unwrap_or_default();
        let key = hex::decode(stored.trim()).ok().and_then(|k| <[u8; 32]>::try_from(k).ok());
        key.map(FormKey).ok_or_else(|| crate::error::internal(format!("settings.{KEY_SETTING} is not 32 bytes of hex")))
    }

    fn mac(&self, page: &str, state: &FormState, session: Option<&str>) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        // Length-prefixed, so no two different inputs read the same.
        for part in [page, &state.path, &state.err, session.unwrap_or("")] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.update(&[session.is_some() as u8]);
        mac
    }

    fn sign(&self, page: &str, state: &FormState, session: Option<&str>) -> String {
        hex::encode(self.mac(page, state, session).finalize().into_bytes())
    }

    fn verify(&self, page: &str, state: &FormState, session: Option<&str>, mac: &str) -> bool {
        // `verify_slice` compares in constant time.
        hex::decode(mac).is_ok_and(|m| self.mac(page, state, session).verify_slice(&m).is_ok())
    }
}

/// What the middleware needs: the key and the name of the session cookie it binds state to.
#[derive(Clone, Debug)]
pub struct Signer {
    pub key: FormKey,
    pub session_cookie: &'static str,
}

#[derive(Debug, PartialEq)]
struct FormState {
    path: String,
    err: String,
}

/// A query split into our parameters (decoded, in order) and everything else (untouched, so values
/// such as `next=` keep their exact encoding).
#[derive(Default)]
struct Query<'a> {
    rest: Vec<&'a str>,
    path: Vec<String>,
    err: Vec<String>,
    mac: Vec<String>,
}

impl<'a> Query<'a> {
    fn parse(query: &'a str) -> Self {
        let mut q = Query::default();
        for piece in query.split('&').filter(|p| !p.is_empty()) {
            let Some((key, value)) = form_urlencoded::parse(piece.as_bytes()).next() else { continue };
            match &*key {
                PATH => q.path.push(value.into_owned()),
                ERR => q.err.push(value.into_owned()),
                MAC => q.mac.push(value.into_owned()),
                _ => q.rest.push(piece),
            }
        }
        q
    }

    fn has_state(&self) -> bool {
        !(self.path.is_empty() && self.err.is_empty() && self.mac.is_empty())
    }

    /// The state only when it is unambiguous: one of each, with its signature.
    fn signed(&self) -> Option<(FormState, &str)> {
        match (&self.path[..], &self.err[..], &self.mac[..]) {
            ([path], [err], [mac]) => Some((FormState { path: path.clone(), err: err.clone() }, mac)),
            _ => None,
        }
    }

    /// The query without any form state, plus `state` and its signature when given.
    fn render(&self, state: Option<(&FormState, &str)>) -> String {
        let mut out = self.rest.join("&");
        if let Some((state, mac)) = state {
            let ours = form_urlencoded::Serializer::new(String::new())
                .append_pair(PATH, &state.path)
                .append_pair(ERR, &state.err)
                .append_pair(MAC, mac)
                .finish();
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(&ours);
        }
        out
    }
}

/// `base?query`, dropping the `?` when the query is empty.
fn with_query(base: &str, query: &str) -> String {
    if query.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{query}")
    }
}

/// The session cookie's value as this request carries it.
fn request_session(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .flatten()
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// The session cookie the browser will send next: the one this response sets (none if it removes
/// it), else the one it sent.
fn next_session(res: &HeaderMap, name: &str, sent: Option<String>) -> Option<String> {
    let set = res
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| Cookie::parse(v).ok())
        .rfind(|c| c.name() == name);
    match set {
        Some(c) if c.value().is_empty() || c.max_age().is_some_and(|a| a.is_zero()) => None,
        Some(c) => Some(c.value().to_string()),
        None => sent,
    }
}

/// Checks form state on the way in and signs (or removes) it on the way out. Layered outside the
/// session layer, so it sees the session cookie a response sets.
pub async fn middleware(State(signer): State<Signer>, req: Request<Body>, next: Next) -> Response {
    let session = request_session(req.headers(), signer.session_cookie);
    let req = match incoming(&signer.key, req, session.as_deref()) {
        Ok(req) => req,
        Err(clean) => {
            return match HeaderValue::from_str(&clean) {
                Ok(to) => (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response(),
                Err(_) => StatusCode::BAD_REQUEST.into_response(),
            }
        }
    };
    let mut res = next.run(req).await;
    outgoing(&signer.key, &mut res, signer.session_cookie, session);
    res
}

/// State that does not verify never reaches a page. A page load is sent (`Err`) to the same address
/// without it, so the browser's address (which the hydrated page reads too) is clean; other requests
/// just lose it.
fn incoming(key: &FormKey, mut req: Request<Body>, session: Option<&str>) -> Result<Request<Body>, String> {
    let Some(query) = req.uri().query() else { return Ok(req) };
    let q = Query::parse(query);
    if !q.has_state() {
        return Ok(req);
    }
    let page = req.uri().path();
    if q.signed().is_some_and(|(state, mac)| key.verify(page, &state, session, mac)) {
        return Ok(req);
    }
    let clean = with_query(page, &q.render(None));
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return Err(clean);
    }
    let path_only = page.parse().unwrap_or_default();
    *req.uri_mut() = clean.parse().unwrap_or(path_only);
    Ok(req)
}

/// Only a server function's own error redirect may carry form state, signed; any other redirect
/// (such as sign-in's `next=`) has it removed.
fn outgoing(key: &FormKey, res: &mut Response, cookie: &str, session: Option<String>) {
    let Some(location) = res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()) else { return };
    let (location, fragment) = location.split_once('#').map_or((location, None), |(l, f)| (l, Some(f)));
    let (base, query) = location.split_once('?').unwrap_or((location, ""));
    let q = Query::parse(query);
    if !q.has_state() {
        return;
    }
    let failed_fn = res.headers().get(SERVER_FN_ERROR).and_then(|v| v.to_str().ok());
    // server_fn appends its pair after any left over from an earlier failure on the same page.
    let state = match (failed_fn, q.path.last(), q.err.last()) {
        (Some(failed), Some(path), Some(err)) if failed == path => {
            Some(FormState { path: path.clone(), err: err.clone() })
        }
        _ => None,
    };
    let signed = state.and_then(|state| {
        let page = base.parse::<Uri>().ok()?.path().to_string();
        let session = next_session(res.headers(), cookie, session);
        let mac = key.sign(&page, &state, session.as_deref());
        Some(q.render(Some((&state, &mac))))
    });
    let query = signed.unwrap_or_else(|| q.render(None));
    let mut rewritten = with_query(base, &query);
    if let Some(f) = fragment {
        rewritten = format!("{rewritten}#{f}");
    }
    match HeaderValue::from_str(&rewritten) {
        Ok(v) => {
            res.headers_mut().insert(header::LOCATION, v);
        }
        Err(_) => {
            res.headers_mut().remove(header::LOCATION);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COOKIE: &str = "debrief_session";

    fn key() -> FormKey {
        FormKey([7; 32])
    }

    /// An error redirect as server_fn builds it.
    fn failed(location: &str, path: &str) -> Response {
        let mut res = (StatusCode::FOUND, [(header::LOCATION, location.to_string())]).into_response();
        res.headers_mut().insert(SERVER_FN_ERROR, path.parse().unwrap());
        res
    }

    fn location(res: &Response) -> String {
        res.headers()[header::LOCATION].to_str().unwrap().to_string()
    }

    fn get(uri: &str, session: Option<&str>) -> Result<Request<Body>, String> {
        let req = Request::get(uri).body(Body::empty()).unwrap();
        incoming(&key(), req, session)
    }

    fn relative(location: &str) -> &str {
        location.trim_start_matches("http://a.test")
    }

    #[test]
    fn the_apps_own_error_redirect_is_signed_and_verifies_in_the_same_session() {
        let mut res =
            failed("http://a.test/settings/template?next=%2Fx%3Fa%3D1&__path=%2Fapi%2Fsave&__err=eyJ9", "/api/save");
        outgoing(&key(), &mut res, COOKIE, Some("s1".into()));
        let to = location(&res);
        assert!(
            to.starts_with("http://a.test/settings/template?next=%2Fx%3Fa%3D1&__path=%2Fapi%2Fsave&__err=eyJ9&__mac="),
            "{to}"
        );
        let req = get(relative(&to), Some("s1")).expect("verifies");
        assert_eq!(req.uri(), relative(&to), "left as it came");
        assert!(get(relative(&to), Some("s2")).is_err(), "another session's state is refused");
        assert!(get(relative(&to), None).is_err(), "and so is it without a session");
        let other_page = relative(&to).replace("/settings/template", "/users");
        assert!(get(&other_page, Some("s1")).is_err(), "bound to the page it was sent back to");
    }

    #[test]
    fn crafted_state_is_sent_away_with_everything_else_kept() {
        let to = get("/settings/template?next=%2Fa%3Fb&__path=%2Fapi%2Fsave&__err=eyJ9&q=1", Some("s1")).unwrap_err();
        assert_eq!(to, "/settings/template?next=%2Fa%3Fb&q=1");
        assert_eq!(get("/users?__err=eyJ9&__path=%2Fapi%2Frole&__mac=00", Some("s1")).unwrap_err(), "/users");
        let tampered = "/users?__path=%2Fapi%2Frole&__err=eyJ9&__mac=zz&__err=eyJ8";
        assert!(get(tampered, None).is_err(), "two errors are never honoured");
        let post = Request::post("/api/x?a=1&__err=eyJ9").body(Body::empty()).unwrap();
        assert_eq!(incoming(&key(), post, None).unwrap().uri(), "/api/x?a=1", "other methods just lose it");
        assert!(get("/incidents?status=open", None).is_ok_and(|r| r.uri() == "/incidents?status=open"));
    }

    #[test]
    fn other_redirects_lose_form_state() {
        // Sign-in sends the browser to `next`, which anyone can choose.
        let mut res = (StatusCode::FOUND, [(header::LOCATION, "/settings/template?__path=%2Fapi%2Fsave&__err=eyJ9")])
            .into_response();
        outgoing(&key(), &mut res, COOKIE, None);
        assert_eq!(location(&res), "/settings/template");
        // An error from one function cannot vouch for state naming another.
        let mut res = failed("http://a.test/p?__path=%2Fapi%2Fother&__err=eyJ9", "/api/save");
        outgoing(&key(), &mut res, COOKIE, None);
        assert_eq!(location(&res), "http://a.test/p");
        let mut res = (StatusCode::FOUND, [(header::LOCATION, "/login?next=%2Fincidents%3F__err%3Dx")]).into_response();
        outgoing(&key(), &mut res, COOKIE, None);
        assert_eq!(location(&res), "/login?next=%2Fincidents%3F__err%3Dx", "a next= value is not ours to touch");
    }

    #[test]
    fn a_second_failure_replaces_the_first() {
        let first = "http://a.test/p?__path=%2Fapi%2Fsave&__err=b2xk&__mac=abc";
        let mut res = failed(&format!("{first}&__path=%2Fapi%2Fsave&__err=bmV3"), "/api/save");
        outgoing(&key(), &mut res, COOKIE, None);
        let to = location(&res);
        assert!(to.starts_with("http://a.test/p?__path=%2Fapi%2Fsave&__err=bmV3&__mac="), "{to}");
        assert!(get(relative(&to), None).is_ok());
    }

    #[test]
    fn state_binds_to_the_session_cookie_the_browser_will_send() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "a=1; debrief_session=old".parse().unwrap());
        assert_eq!(request_session(&h, COOKIE).as_deref(), Some("old"));
        let mut res = HeaderMap::new();
        assert_eq!(next_session(&res, COOKIE, Some("old".into())).as_deref(), Some("old"));
        res.append(header::SET_COOKIE, "debrief_session=new; Path=/; HttpOnly".parse().unwrap());
        assert_eq!(next_session(&res, COOKIE, Some("old".into())).as_deref(), Some("new"));
        let mut gone = HeaderMap::new();
        gone.append(header::SET_COOKIE, "debrief_session=; Path=/; Max-Age=0".parse().unwrap());
        assert_eq!(next_session(&gone, COOKIE, Some("old".into())), None);
    }

    #[test]
    fn the_key_is_not_printed() {
        assert_eq!(format!("{:?}", key()), "FormKey(..)");
    }
}
