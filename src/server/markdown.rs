//! Markdown to HTML that is safe to put in a page. Nothing user-written reaches a browser any other way.
//!
//! pulldown-cmark renders. Its output escapes all text and attribute values, so what it produces from
//! Markdown alone can only be unsafe through raw HTML or a dangerous link scheme. Hence two paths:
//! - no raw HTML in the text (almost every note and postmortem): link and image URLs are checked on
//!   the parser's events, and links get the same `rel` the sanitiser would add;
//! - any raw HTML: the whole output goes through ammonia, an allow-list HTML sanitiser.
//!
//! Both paths give the same HTML for the same Markdown: footnotes are written here rather than by
//! pulldown-cmark so that their links carry the same `rel` the sanitiser adds to every link.
//!
//! Ids written by users (footnote names) are prefixed with `fn-`, so `[^main]` cannot take the page's
//! own `id="main"`; the sanitiser keeps only ids with that prefix, giving any other id it.

use ammonia::Builder;
use pulldown_cmark::{html, CowStr, Event, LinkType, Options, Parser, Tag};
use std::collections::HashMap;
use std::sync::LazyLock;

const LINK_REL: &str = "noopener noreferrer nofollow";
/// Prefix of every id that comes from what a user wrote.
pub const USER_ID_PREFIX: &str = "fn-";

static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut b = Builder::default();
    // Task-list checkboxes are the only inputs allowed, and only as disabled checkboxes.
    b.add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("div", ["id"])
        .add_allowed_classes("div", ["footnote-definition"])
        .add_allowed_classes("sup", ["footnote-reference", "footnote-definition-label"])
        .id_prefix(Some(USER_ID_PREFIX))
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("input", "type") if value != "checkbox" => None,
            _ => Some(value.into()),
        })
        .link_rel(Some(LINK_REL));
    b
});

pub fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES
}

/// Renders and sanitises.
pub fn render(markdown: &str) -> String {
    let raw_html = std::cell::Cell::new(false);
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    let mut footnotes = Footnotes::default();
    let events = Parser::new_ext(markdown, options()).map(|e| {
        if matches!(e, Event::Html(_) | Event::InlineHtml(_)) {
            raw_html.set(true);
        }
        footnotes.write(safe_event(e))
    });
    html::push_html(&mut out, events);
    if raw_html.get() {
        SANITIZER.clean(&out).to_string()
    } else {
        out
    }
}

/// Footnote numbers in order of first mention, as pulldown-cmark counts them.
#[derive(Default)]
struct Footnotes(HashMap<String, usize>);

impl Footnotes {
    /// Writes footnote references and definitions with prefixed ids; other events pass unchanged.
    fn write<'a>(&mut self, e: Event<'a>) -> Event<'a> {
        match e {
            Event::FootnoteReference(name) => {
                let (id, n) = self.id_and_number(&name);
                Event::InlineHtml(CowStr::from(format!(
                    "<sup class=\"footnote-reference\"><a href=\"#{id}\" rel=\"{LINK_REL}\">{n}</a></sup>"
                )))
            }
            Event::Start(Tag::FootnoteDefinition(name)) => {
                let (id, n) = self.id_and_number(&name);
                Event::Html(CowStr::from(format!(
                    "<div class=\"footnote-definition\" id=\"{id}\"><sup class=\"footnote-definition-label\">{n}</sup>"
                )))
            }
            other => other,
        }
    }

    fn id_and_number(&mut self, name: &str) -> (String, usize) {
        let next = self.0.len() + 1;
        let n = *self.0.entry(name.to_string()).or_insert(next);
        (escape(&format!("{USER_ID_PREFIX}{name}")), n)
    }
}

/// Keeps a link or image only with a safe URL; links are written with their `rel`. An email autolink
/// (`<ada@example.com>`) comes without its scheme, which is added back here.
fn safe_event(e: Event<'_>) -> Event<'_> {
    match e {
        Event::Start(Tag::Link { link_type, dest_url, title, .. }) => {
            let dest_url =
                if link_type == LinkType::Email { CowStr::from(format!("mailto:{dest_url}")) } else { dest_url };
            let href = if is_safe_url(&dest_url) { escape(&dest_url) } else { String::new() };
            let title = if title.is_empty() { String::new() } else { format!(" title=\"{}\"", escape(&title)) };
            let open = if href.is_empty() {
                format!("<a rel=\"{LINK_REL}\"{title}>")
            } else {
                format!("<a href=\"{href}\" rel=\"{LINK_REL}\"{title}>")
            };
            Event::InlineHtml(CowStr::from(open))
        }
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
            let dest_url = if is_safe_url(&dest_url) { dest_url } else { CowStr::from("") };
            Event::Start(Tag::Image { link_type, dest_url, title, id })
        }
        other => other,
    }
}

/// Relative URLs, fragments and http(s)/mailto only. Browsers ignore tabs, newlines and control
/// characters inside a scheme, so those are dropped before looking at it.
pub fn is_safe_url(url: &str) -> bool {
    let compact: String = url.chars().filter(|c| !c.is_ascii_whitespace() && !c.is_control()).collect();
    match compact.find([':', '/', '?', '#']) {
        Some(i) if compact.as_bytes()[i] == b':' => {
            let scheme = compact[..i].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto")
        }
        _ => true,
    }
}

pub use crate::domain::html::escape;

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
        assert!(tasks.contains(r#"<input disabled="" type="checkbox" checked="""#), "{tasks}");
        assert_eq!(tasks.matches("type=\"checkbox\"").count(), 2, "{tasks}");
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
    fn dangerous_link_schemes_are_dropped_without_raw_html() {
        for url in
            ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "data:text/html,x", "vbscript:x"]
        {
            let out = render(&format!("[x](<{url}>) and ![i](<{url}>)"));
            assert!(!out.to_lowercase().contains("script:") && !out.contains("data:"), "{url:?} rendered as {out:?}");
        }
        assert_eq!(render("[a](&#106;avascript:alert(1))"), "<p><a rel=\"noopener noreferrer nofollow\">a</a></p>\n");
        assert!(render("[ok](/incidents/INC-1#x)").contains("href=\"/incidents/INC-1#x\""));
        assert!(render("[t](https://x.example \"a \\\"quoted\\\" title\")")
            .contains("title=\"a &quot;quoted&quot; title\""));
    }

    #[test]
    fn both_paths_render_links_alike() {
        let plain = render("[runbook](https://example.com/r)");
        let with_html = render("[runbook](https://example.com/r) <b>x</b>");
        assert!(with_html.starts_with(plain.trim_end().trim_end_matches("</p>")), "{plain} / {with_html}");
    }

    const FOOTNOTE: &str = "See the runbook[^main].\n\n[^main]: The main runbook.\n";

    #[test]
    fn footnote_ids_cannot_take_the_page_ids() {
        let out = render(FOOTNOTE);
        assert_eq!(
            out,
            "<p>See the runbook<sup class=\"footnote-reference\"><a href=\"#fn-main\" rel=\"noopener noreferrer nofollow\">1</a></sup>.</p>\n\
             <div class=\"footnote-definition\" id=\"fn-main\"><sup class=\"footnote-definition-label\">1</sup>\n\
             <p>The main runbook.</p>\n</div>\n"
        );
        assert!(!out.contains("id=\"main\""), "{out}");
    }

    #[test]
    fn email_autolinks_keep_mailto() {
        assert_eq!(
            render("Ask <ada@example.com>."),
            "<p>Ask <a href=\"mailto:ada@example.com\" rel=\"noopener noreferrer nofollow\">ada@example.com</a>.</p>\n"
        );
    }

    #[test]
    fn raw_html_path_renders_footnotes_and_email_links_alike() {
        let plain = render(&format!("Ask <ada@example.com>.\n\n{FOOTNOTE}"));
        let with_html = render(&format!("Ask <ada@example.com>.\n\n{FOOTNOTE}\n<b>x</b>\n"));
        assert_eq!(with_html, format!("{plain}<p><b>x</b></p>\n"));
        assert_eq!(
            with_html,
            "<p>Ask <a href=\"mailto:ada@example.com\" rel=\"noopener noreferrer nofollow\">ada@example.com</a>.</p>\n\
             <p>See the runbook<sup class=\"footnote-reference\"><a href=\"#fn-main\" rel=\"noopener noreferrer nofollow\">1</a></sup>.</p>\n\
             <div class=\"footnote-definition\" id=\"fn-main\"><sup class=\"footnote-definition-label\">1</sup>\n\
             <p>The main runbook.</p>\n</div>\n<p><b>x</b></p>\n"
        );
    }

    #[test]
    fn raw_html_ids_are_prefixed_too() {
        assert_eq!(render("<div id=\"main\">x</div>"), "<div id=\"fn-main\">x</div>");
        assert_eq!(render("<p id=\"main\">x</p>"), "<p>x</p>");
    }

    #[test]
    fn escapes_text() {
        assert_eq!(escape("<b>\"x\" & 'y'</b>"), "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;");
    }
}
