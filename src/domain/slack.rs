//! Text for Slack messages. Slack reads `&`, `<` and `>` as control characters in every text object
//! (`<!channel>` pings a whole channel, `<https://x|label>` is a link showing only its label), so every
//! piece a user wrote is escaped before it goes into a message; only our own links use `<url|label>`.

/// Escapes text as Slack documents it: `&amp;`, `&lt;`, `&gt;` and nothing else.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Our own link. The address is escaped too, and a `|` in it would end the address early, so it is
/// percent-encoded; the label is escaped like any text.
pub fn link(url: &str, label: &str) -> String {
    format!("<{}|{}>", escape(url).replace('|', "%7C"), escape(label))
}

/// Cuts already-escaped Slack text to at most `max` characters (an ellipsis included) without
/// splitting an entity such as `&lt;` or one of our `<url|label>` links.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    // The byte offset after the last character that still leaves room for the ellipsis and does not
    // end inside `&…;` or `<…>`.
    let mut cut = 0;
    let mut open: Option<char> = None;
    for (n, (i, c)) in text.char_indices().enumerate() {
        if n + 1 > max.saturating_sub(1) {
            break;
        }
        match (open, c) {
            (None, '&') => open = Some(';'),
            (None, '<') => open = Some('>'),
            (Some(end), c) if c == end => open = None,
            _ => {}
        }
        if open.is_none() {
            cut = i + c.len_utf8();
        }
    }
    format!("{}…", &text[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_characters_only() {
        assert_eq!(
            escape("<!channel> & <https://evil|Read the write-up>"),
            "&lt;!channel&gt; &amp; &lt;https://evil|Read the write-up&gt;"
        );
        assert_eq!(escape("*bold* \"quoted\" it's"), "*bold* \"quoted\" it's");
    }

    #[test]
    fn links_cannot_be_bent() {
        assert_eq!(link("https://d.example/library/INC-1", "Read"), "<https://d.example/library/INC-1|Read>");
        assert_eq!(link("https://d.example/x?a=1&b=2", "<!here>"), "<https://d.example/x?a=1&amp;b=2|&lt;!here&gt;>");
        assert_eq!(link("https://d.example/x|Fake", "Read"), "<https://d.example/x%7CFake|Read>");
    }

    #[test]
    fn truncation_keeps_entities_and_links_whole() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("abcdefghij", 5), "abcd…");
        assert_eq!(truncate("ab &lt;x", 5), "ab …");
        assert_eq!(truncate("a <https://x.example|label> b", 10), "a …");
        assert_eq!(truncate("ééééé", 3), "éé…");
        let long = escape(&"<".repeat(100));
        let cut = truncate(&long, 50);
        assert!(cut.chars().count() <= 50 && cut.trim_end_matches('…').ends_with("&lt;"), "{cut}");
    }
}
