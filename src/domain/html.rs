//! Text for HTML. One escape for every place that writes user text into HTML by hand (generated
//! timeline sentences, mail); Markdown goes through pulldown-cmark and ammonia instead.

/// The five markup characters escaped, so the text reads as text in an element or an attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
