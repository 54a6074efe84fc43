//! What travels over the wire: compressed when the client asks, cached only where it is safe.

use crate::common::spawn;
use crate::pages::{page, sign_in_as};
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, RANGE};
use reqwest::StatusCode;
use sqlx::PgPool;

/// A client that shows the raw bytes: no automatic decompression.
fn raw() -> reqwest::Client {
    reqwest::Client::builder().no_gzip().no_brotli().build().unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn text_is_compressed_when_asked_and_pages_are_never_publicly_cached(pool: PgPool) {
    let app = spawn(pool).await;
    let (_, token) = app.token("ada@example.com", "Ada", "admin").await;
    let http = raw();
    for (path, auth) in
        [("/login", false), ("/api/v1/me", true), ("/pkg/debrief.css", false), ("/pkg/debrief.js", false)]
    {
        for (asked, expect) in [
            ("br", Some("br")),
            ("gzip", Some("gzip")),
            ("br, gzip;q=0.5", Some("br")),
            ("*", None),
            ("zstd-x", None),
            ("identity", None),
        ] {
            let mut req = http.get(app.url(path)).header(ACCEPT_ENCODING, asked);
            if auth {
                req = req.bearer_auth(&token);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path} with {asked}");
            let got = res.headers().get(CONTENT_ENCODING).map(|v| v.to_str().unwrap().to_string());
            match expect {
                Some(e) => assert_eq!(got.as_deref(), Some(e), "{path} with {asked}"),
                // `*` may be answered either way; anything unknown gets the plain bytes.
                None if asked == "*" => {
                    assert!(got.as_deref().is_none_or(|g| g == "br" || g == "gzip"), "{path}: {got:?}")
                }
                None => assert_eq!(got, None, "{path} with {asked}"),
            }
            let cache = res.headers()[CACHE_CONTROL].to_str().unwrap().to_string();
            if path.starts_with("/pkg/") {
                assert!(cache.contains("public"), "{path}: {cache}");
            } else {
                assert!(cache.contains("private") && cache.contains("no-cache"), "{path}: {cache}");
            }
            let body = res.bytes().await.unwrap();
            assert!(!body.is_empty(), "{path} with {asked}");
        }
    }

    // A signed-in page, decompressed by a normal client, is the whole page.
    let browser = sign_in_as(&app, "ada@example.com").await;
    let (status, html) = page(&browser, &app, "/incidents").await;
    assert_eq!(status, 200);
    assert!(html.contains("</html>"));
}

#[sqlx::test(migrations = "./migrations")]
async fn static_assets_answer_range_requests(pool: PgPool) {
    let app = spawn(pool).await;
    let res = raw().get(app.url("/pkg/debrief.css")).header(RANGE, "bytes=0-9").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.bytes().await.unwrap().len(), 10);
}
