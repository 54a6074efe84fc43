//! Markdown to HTML that is safe to put in a page: pulldown-cmark renders, ammonia sanitises.
//! Nothing user-written reaches a browser any other way.

use ammonia::Builder;
use pulldown_cmark::{html, Options, Parser};
use std::sync::LazyLock;

static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut b = Builder::default();
    // Task-list checkboxes are the only inputs allowed, and only as disabled checkboxes.
    b.add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("input", "type") if value != "checkbox" => None,
            _ => Some(value.into()),
        })
        .link_rel(Some("noopener noreferrer nofollow"));
    b
});

pub fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES
}

/// Renders and sanitises.
pub fn render(markdown: &str) -> String {
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options()));
    SANITIZER.clean(&raw).to_string()
}

/// Escapes plain text (generated sentences) for HTML.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_gfm() {
        assert_eq!(render("**rolled back** `v42`"), "<p><strong>rolled back</strong> <code>v42</code></p>\n");
        let table = render("| a | b |\n|---|---|\n| 1 | 2 |");
        assert!(table.contains("<table>") && table.contains("<td>1</td>"), "{table}");
        assert!(render("~~gone~~").contains("<del>gone</del>"));
        let tasks = render("- [x] done\n- [ ] todo");
        assert!(tasks.contains(r#"<input disabled="" type="checkbox" checked="">"#), "{tasks}");
    }

    #[test]
    fn strips_hostile_input() {
        for evil in [
            "<script>alert(1)</script>",
            "[x](javascript:alert(1))",
            "[x](data:text/html,<script>alert(1)</script>)",
            "<img src=x onerror=alert(1)>",
            "<svg><script>alert(1)</script></svg>",
            "<input type=text onfocus=alert(1) autofocus>",
            "<iframe src=https://example.com></iframe>",
        ] {
            let out = render(evil);
            for bad in ["<script", "javascript:", "data:", "onerror", "<svg", "onfocus", "<iframe", "type=\"text\""] {
                assert!(!out.contains(bad), "{evil:?} rendered as {out:?}");
            }
        }
    }

    #[test]
    fn links_get_safe_rel() {
        assert_eq!(
            render("[runbook](https://example.com/r)"),
            "<p><a href=\"https://example.com/r\" rel=\"noopener noreferrer nofollow\">runbook</a></p>\n"
        );
    }

    #[test]
    fn escapes_text() {
        assert_eq!(escape("<b>\"x\" & 'y'</b>"), "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;");
    }
}
