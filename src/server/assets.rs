//! The browser's files as `.ci/site` built them: the bundle and the stylesheet carry a hash of their
//! content in their names (`debrief.<hash>.js`), listed in `assets.json` in the site folder.

use serde::Deserialize;
use std::path::Path;

/// The names a page links to.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Assets {
    /// The bundle's file stem: `<script>.js` and `<script>.wasm` under `/pkg`.
    pub script: String,
    /// The stylesheet's file name under `/pkg`.
    pub stylesheet: String,
}

impl Assets {
    /// Reads `assets.json` from the site folder. A folder without one (the site was never built, as in
    /// API tests) gives the plain names, which are then simply missing; a damaged one is an error.
    pub fn read(site_root: &Path) -> Result<Assets, String> {
        let path = site_root.join("assets.json");
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!("{} is missing: run .ci/site to build the browser's files", path.display());
                Ok(Assets { script: "debrief".into(), stylesheet: "debrief.css".into() })
            }
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }
}

/// Whether a file name carries a content hash (`name.<16 hex digits>.ext`, then maybe `.br`), so the
/// same URL always means the same bytes.
pub fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split('.').skip(1).any(|part| part.len() == 16 && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_recognised() {
        assert!(is_hashed("/pkg/debrief.0123456789abcdef.wasm"));
        assert!(is_hashed("/pkg/debrief.0123456789abcdef.css"));
        assert!(!is_hashed("/pkg/debrief.css"));
        assert!(!is_hashed("/pkg/debrief.0123456789abcdeg.js"), "not hex");
        assert!(!is_hashed("/pkg/debrief.0123456789abcde.js"), "too short");
        assert!(!is_hashed("/pkg/snippets/x/inline0.js"));
    }

    #[test]
    fn a_site_without_a_manifest_uses_plain_names_and_a_damaged_one_is_an_error() {
        let dir = std::env::temp_dir().join(format!("debrief-assets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(Assets::read(&dir).unwrap().script, "debrief");
        std::fs::write(dir.join("assets.json"), r#"{"script": "debrief.0123456789abcdef"}"#).unwrap();
        let err = Assets::read(&dir).unwrap_err();
        assert!(err.contains("assets.json") && err.contains("stylesheet"), "{err}");
        std::fs::write(dir.join("assets.json"), r#"{"script": "a", "stylesheet": "b.css"}"#).unwrap();
        assert_eq!(Assets::read(&dir).unwrap(), Assets { script: "a".into(), stylesheet: "b.css".into() });
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
