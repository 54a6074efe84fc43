//! Where a page may send the browser after sign-in: only a path on this site.
//!
//! The check is on what the browser will do with the `Location`, not on how the string looks: browsers
//! drop tabs and newlines anywhere in a URL and read `\` as `/`, so `/\t/evil.example` and `/\evil.example`
//! both lead to `//evil.example`, another site. A proxy or framework may also decode the path once more,
//! so the percent-decoded form must be just as harmless.

/// Longer than any page address Debrief makes; a huge `next` is not worth a huge header.
const MAX_LEN: usize = 2000;

/// Whether `next` is a path on this site: one leading `/`, printable ASCII only (no whitespace, no control
/// characters), no backslash, and the same once percent-decoded (no encoded control characters,
/// backslashes or a leading `//`).
pub fn is_local_path(next: &str) -> bool {
    let raw = next.as_bytes();
    if raw.len() > MAX_LEN || !raw.iter().all(|&b| b.is_ascii_graphic() && b != b'\\') {
        return false;
    }
    let decoded = percent_decode(raw);
    if decoded.iter().any(|&b| b.is_ascii_control() || b == b'\\') {
        return false;
    }
    single_leading_slash(raw) && single_leading_slash(&decoded)
}

fn single_leading_slash(path: &[u8]) -> bool {
    path.first() == Some(&b'/') && path.get(1) != Some(&b'/')
}

/// One round of `%XX` decoding; a `%` not followed by two hex digits stays as it is.
fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if let (b'%', Some(hi), Some(lo)) =
            (s[i], s.get(i + 1).and_then(|&b| hex(b)), s.get(i + 2).and_then(|&b| hex(b)))
        {
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn site_paths_pass() {
        for ok in [
            "/",
            "/incidents",
            "/incidents/INC-4",
            "/incidents?status=resolved&severity=SEV1",
            "/library?q=disk%20full#r2",
            "/incidents/INC-4/postmortem?from=1&to=2",
        ] {
            assert!(is_local_path(ok), "{ok:?} should be allowed");
        }
    }

    #[test]
    fn other_sites_and_schemes_are_refused() {
        for bad in ["", "incidents", "https://evil.example", "//evil.example", "///evil.example", "javascript:alert(1)"]
        {
            assert!(!is_local_path(bad), "{bad:?} should be refused");
        }
    }

    #[test]
    fn whitespace_and_control_characters_are_refused() {
        for bad in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\n",
            "/ /evil.example",
            "/incidents\u{0}",
            "/incidents\u{7f}",
            "/\u{a0}/evil.example",
            "/incidents/é",
        ] {
            assert!(!is_local_path(bad), "{bad:?} should be refused");
        }
    }

    #[test]
    fn backslashes_are_refused_anywhere() {
        for bad in ["/\\evil.example", "\\\\evil.example", "/incidents\\..\\x"] {
            assert!(!is_local_path(bad), "{bad:?} should be refused");
        }
    }

    #[test]
    fn encoded_forms_are_refused() {
        for bad in [
            "/%09/evil.example",
            "/%0A",
            "/%0a/evil.example",
            "/%0D/evil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/incidents%5C",
            "/%2F/evil.example",
            "/%2fevil.example",
            "%2F%2Fevil.example",
            "/%00",
        ] {
            assert!(!is_local_path(bad), "{bad:?} should be refused");
        }
        assert!(is_local_path("/incidents%2Fx"), "an encoded slash later in the path is harmless");
        assert!(is_local_path("/100%"), "a stray percent sign is not an escape");
    }

    #[test]
    fn very_long_paths_are_refused() {
        assert!(!is_local_path(&format!("/{}", "a".repeat(3000))));
    }
}
