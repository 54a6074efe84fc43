//! Response headers every answer carries, and the pages' Content-Security-Policy.

use axum::body::Body;
use axum::http::{header, HeaderValue, Request};
use axum::middleware::Next;
use axum::response::Response;

/// No MIME sniffing, no framing (clickjacking), and no full URLs leaking to other sites; and what
/// may be cached where.
pub async fn middleware(req: Request<Body>, next: Next) -> Response {
    let cache = cache_control(req.uri().path());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.entry(header::X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
    h.entry(header::X_FRAME_OPTIONS).or_insert(HeaderValue::from_static("DENY"));
    h.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static("same-origin"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static(cache));
    res
}

/// Pages and API answers hold what a signed-in person may see: never kept by a shared cache, and
/// checked again before reuse. A static file whose name carries its content's hash never changes, so
/// it is kept for a year without asking; other static files (the icon) are revalidated (a cheap 304).
fn cache_control(path: &str) -> &'static str {
    let site_file = path.starts_with("/pkg/") || (path.rfind('/') == Some(0) && path.ends_with(".svg"));
    if site_file && super::assets::is_hashed(path) {
        "public, max-age=31536000, immutable"
    } else if site_file {
        "public, no-cache"
    } else {
        "private, no-cache"
    }
}

/// The policy for a rendered page: only scripts carrying this response's nonce (and what they load)
/// run, so markup that slipped past sanitising still cannot execute. Images may come from any HTTPS
/// host, since write-ups embed dashboards.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn policy_names_the_nonce_and_forbids_plugins_and_framing() {
        let p = super::content_security_policy("abc123");
        assert!(p.contains("script-src 'nonce-abc123' 'strict-dynamic'"), "{p}");
        assert!(p.contains("object-src 'none'") && p.contains("frame-ancestors 'none'"), "{p}");
        let scripts = p.split(';').find(|d| d.trim_start().starts_with("script-src")).unwrap();
        assert!(!scripts.contains("unsafe-inline") && !scripts.contains(" 'unsafe-eval'"), "{scripts}");
    }
}
