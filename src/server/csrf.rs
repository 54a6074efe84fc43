//! CSRF defence for state-changing requests: a browser always says where a request comes from
//! (`Sec-Fetch-Site`, `Origin`); anything cross-site that could carry our session cookie is refused.
//! Session cookies are also `SameSite=Lax`. Bearer-token API calls carry no cookie and pass.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub fn is_allowed(method: &Method, headers: &axum::http::HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    let has_cookie = headers.contains_key(header::COOKIE);
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("Bearer "));
    if !has_cookie && bearer {
        return true;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, rest)| rest) == Some(host),
        // No way to tell where it came from: only safe when no session cookie rides along.
        (None, _) => !has_cookie,
        _ => false,
    }
}

pub async fn middleware(req: Request<Body>, next: Next) -> Response {
    if is_allowed(req.method(), req.headers()) {
        next.run(req).await
    } else {
        tracing::warn!(method = %req.method(), uri = %req.uri(), "cross-site request refused");
        (StatusCode::FORBIDDEN, "Cross-site request refused. Reload the page and try again.").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn h(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, v.parse().unwrap());
        }
        m
    }

    #[test]
    fn safe_methods_pass() {
        assert!(is_allowed(&Method::GET, &h(&[("cookie", "id=1"), ("sec-fetch-site", "cross-site")])));
    }

    #[test]
    fn same_origin_posts_pass_cross_site_posts_do_not() {
        let p = Method::POST;
        assert!(is_allowed(&p, &h(&[("cookie", "id=1"), ("sec-fetch-site", "same-origin")])));
        assert!(!is_allowed(&p, &h(&[("cookie", "id=1"), ("sec-fetch-site", "cross-site")])));
        assert!(!is_allowed(&p, &h(&[("cookie", "id=1"), ("sec-fetch-site", "same-site")])));
        assert!(is_allowed(&p, &h(&[("cookie", "id=1"), ("host", "a:3000"), ("origin", "http://a:3000")])));
        assert!(!is_allowed(&p, &h(&[("cookie", "id=1"), ("host", "a:3000"), ("origin", "https://evil.example")])));
        assert!(!is_allowed(&p, &h(&[("cookie", "id=1"), ("host", "a:3000")])), "cookie but no provenance");
    }

    #[test]
    fn bearer_api_calls_pass() {
        assert!(is_allowed(&Method::PATCH, &h(&[("authorization", "Bearer dbf_x")])));
        assert!(is_allowed(&Method::POST, &h(&[])), "no cookie: nothing to forge");
    }
}
