//! What travels over the wire: compressed when the client asks, cached only where it is safe.

use crate::common::{spawn, Account, TestApp};
use crate::pages::{page, sign_in_as};
use crate::support::Api;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, RANGE};
use reqwest::StatusCode;
use sqlx::PgPool;

/// A client that shows the raw bytes: no automatic decompression.
fn raw() -> reqwest::Client {
    reqwest::Client::builder().no_gzip().no_brotli().build().unwrap()
}

/// Every file the site build wrote for the browser, as URL paths (`.ci/site` must have run).
fn site_files() -> Vec<(String, std::path::PathBuf)> {
    let root = std::path::PathBuf::from(crate::common::site_root());
    let mut out = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e} (run .ci/site)", dir.display()));
        for entry in entries.map(Result::unwrap) {
            let path = entry.path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                dirs.push(path);
            } else if !name.ends_with(".br") && !name.ends_with(".gz") && name != "assets.json" {
                let url = format!("/{}", path.strip_prefix(&root).unwrap().to_string_lossy());
                out.push((url, path));
            }
        }
    }
    assert!(out.iter().any(|(u, _)| u.ends_with(".wasm")), "the site has its bundle: {out:?}");
    out
}

#[sqlx::test(migrations = "./migrations")]
async fn every_static_file_is_precompressed_and_cached_by_its_hashed_name(pool: PgPool) {
    let app = spawn(pool).await;
    let http = raw();
    for (path, file) in site_files() {
        let hashed = debrief::server::assets::is_hashed(&path);
        assert!(hashed || !path.starts_with("/pkg/debrief"), "{path}: bundle and stylesheet names carry a hash");
        for (asked, expect) in [
            ("br", Some("br")),
            ("gzip", Some("gzip")),
            ("br, gzip;q=0.5", Some("br")),
            ("*", None),
            ("zstd-x", None),
            ("identity", None),
        ] {
            let res = http.get(app.url(&path)).header(ACCEPT_ENCODING, asked).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path} with {asked}");
            let got = res.headers().get(CONTENT_ENCODING).map(|v| v.to_str().unwrap().to_string());
            let cache = res.headers()[CACHE_CONTROL].to_str().unwrap().to_string();
            if hashed {
                assert_eq!(cache, "public, max-age=31536000, immutable", "{path}");
            } else {
                assert_eq!(cache, "public, no-cache", "{path}");
            }
            let body = res.bytes().await.unwrap();
            let expected = match (expect, got.as_deref()) {
                (Some(e), g) => {
                    assert_eq!(g, Some(e), "{path} with {asked}");
                    // The build's compressed copy itself, not one made per request.
                    let ext = if e == "br" { "br" } else { "gz" };
                    std::fs::read(format!("{}.{ext}", file.display())).unwrap()
                }
                // `*` may be answered either way; anything unknown gets the plain bytes.
                (None, Some(g)) if asked == "*" && (g == "br" || g == "gzip") => continue,
                (None, g) => {
                    assert_eq!(g, None, "{path} with {asked}");
                    std::fs::read(&file).unwrap()
                }
            };
            assert!(body == expected, "{path} with {asked}: {} bytes served", body.len());
        }
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn pages_link_the_hashed_files_and_text_is_compressed_but_never_publicly_cached(pool: PgPool) {
    let (app, Account { token, .. }) = TestApp::with_admin(pool).await;
    let inc = Api::new(&app, &token).declare(serde_json::json!({"title": "Disk full", "severity": "SEV2"})).await;
    let browser = sign_in_as(&app, "ada@example.com").await;
    let (_, html) = page(&browser, &app, "/incidents").await;
    let files = site_files();
    for ext in [".js", ".wasm", ".css"] {
        let (url, _) = files.iter().find(|(u, _)| u.starts_with("/pkg/debrief.") && u.ends_with(ext)).unwrap();
        assert!(html.contains(&format!("\"{url}\"")), "the page links {url}");
    }
    let http = raw();
    let incident = format!("/incidents/INC-{}", inc["id"]);
    for path in ["/login", "/api/v1/me", "/incidents", incident.as_str(), "/library", "/actions/mine"] {
        for (asked, expect) in [("br", Some("br")), ("gzip", Some("gzip")), ("zstd-x", None), ("identity", None)] {
            let mut req = http.get(app.url(path)).header(ACCEPT_ENCODING, asked);
            req = if path.starts_with("/api/") { req.bearer_auth(&token) } else { req };
            let res = req.send().await.unwrap();
            assert!(
                res.status() == StatusCode::OK || res.status() == StatusCode::SEE_OTHER,
                "{path}: {}",
                res.status()
            );
            let got = res.headers().get(CONTENT_ENCODING).map(|v| v.to_str().unwrap().to_string());
            if res.status() == StatusCode::OK {
                assert_eq!(got.as_deref(), expect, "{path} with {asked}");
            }
            let cache = res.headers()[CACHE_CONTROL].to_str().unwrap().to_string();
            assert!(cache.contains("private") && cache.contains("no-cache"), "{path}: {cache}");
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
    let (css, _) = site_files().into_iter().find(|(u, _)| u.ends_with(".css")).unwrap();
    let res = raw().get(app.url(&css)).header(RANGE, "bytes=0-9").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.bytes().await.unwrap().len(), 10);
}
