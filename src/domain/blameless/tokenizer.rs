//! Words of the input, with Markdown code masked out first.

/// A word of the input: byte range, lowercase form, and its possessive reading.
#[derive(Debug)]
pub(super) struct Tok {
    pub(super) start: usize,
    pub(super) end: usize,
    /// Lowercase, with `’` written as `'`.
    pub(super) word: String,
    /// `word` without a possessive `'s` (or the `'` of "James'").
    pub(super) base: String,
    pub(super) poss: bool,
    /// Only whitespace separates it from the previous word.
    pub(super) spaced: bool,
}

/// Splits text into words. Letters and digits joined by `'`, `’`, `-` or `_` stay one word; a
/// trailing `'` after an "s" ("James'") marks a possessive without becoming part of the word.
pub(super) fn tokenize(s: &str) -> Vec<Tok> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let at = |q: usize| chars.get(q).map_or(s.len(), |&(i, _)| i);
    let mut toks = Vec::new();
    let mut prev_end: Option<usize> = None;
    let mut p = 0;
    while p < chars.len() {
        if !chars[p].1.is_alphanumeric() {
            p += 1;
            continue;
        }
        let begin = p;
        let mut q = p + 1;
        let mut trailing_apostrophe = false;
        while q < chars.len() {
            let c = chars[q].1;
            if c.is_alphanumeric() {
                q += 1;
                continue;
            }
            let apostrophe = matches!(c, '\'' | '’');
            let joins = apostrophe || matches!(c, '-' | '_');
            if joins && chars.get(q + 1).is_some_and(|&(_, n)| n.is_alphanumeric()) {
                q += 2;
                continue;
            }
            trailing_apostrophe = apostrophe && matches!(chars[q - 1].1, 's' | 'S');
            break;
        }
        let (start, end) = (at(begin), at(q));
        let word: String =
            s[start..end].chars().flat_map(char::to_lowercase).map(|c| if c == '’' { '\'' } else { c }).collect();
        let (base, poss) = match word.strip_suffix("'s") {
            _ if trailing_apostrophe => (word.clone(), true),
            Some(b) => (b.to_string(), true),
            None => (word.clone(), false),
        };
        let spaced = prev_end.is_some_and(|pe| pe < start && s[pe..start].chars().all(char::is_whitespace));
        toks.push(Tok { start, end, word, base, poss, spaced });
        if trailing_apostrophe {
            q += 1;
        }
        prev_end = Some(at(q));
        p = q;
    }
    toks
}

/// The input with code replaced, byte for byte, by a control character that is neither a word
/// nor whitespace, so offsets stay valid and phrases cannot run across code.
pub(super) fn mask_code(text: &str) -> String {
    let ranges = code_ranges(text);
    if ranges.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut r = ranges.iter().peekable();
    for (i, c) in text.char_indices() {
        while r.peek().is_some_and(|&&(_, end)| end <= i) {
            r.next();
        }
        if r.peek().is_some_and(|&&(start, _)| start <= i) {
            out.extend(std::iter::repeat_n('\u{1}', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out
}

/// Byte ranges of fenced code blocks (``` or ~~~, closed by a fence at least as long, or running to
/// the end) and inline code spans (a run of backticks closed by a run of the same length), in order.
pub(super) fn code_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut prose_from = 0;
    let mut open: Option<(u8, usize, usize)> = None;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let line_start = pos;
        pos += line.len();
        let body = strip_indent(line);
        match open {
            None => {
                if let Some((c, n)) = fence_open(body) {
                    inline_code(text, prose_from, line_start, &mut ranges);
                    open = Some((c, n, line_start));
                }
            }
            Some((c, n, from)) => {
                if fence_closes(body, c, n) {
                    ranges.push((from, pos));
                    open = None;
                    prose_from = pos;
                }
            }
        }
    }
    match open {
        Some((_, _, from)) => ranges.push((from, text.len())),
        None => inline_code(text, prose_from, text.len(), &mut ranges),
    }
    ranges
}

pub(super) fn strip_indent(line: &str) -> &str {
    let n = line.bytes().take(3).take_while(|&b| b == b' ').count();
    &line[n..]
}

pub(super) fn fence_open(body: &str) -> Option<(u8, usize)> {
    let c = *body.as_bytes().first()?;
    if c != b'`' && c != b'~' {
        return None;
    }
    let n = body.bytes().take_while(|&b| b == c).count();
    (n >= 3 && !(c == b'`' && body[n..].contains('`'))).then_some((c, n))
}

pub(super) fn fence_closes(body: &str, c: u8, n: usize) -> bool {
    let m = body.bytes().take_while(|&b| b == c).count();
    m >= n && body[m..].trim().is_empty()
}

pub(super) fn inline_code(text: &str, from: usize, to: usize, ranges: &mut Vec<(usize, usize)>) {
    let b = text.as_bytes();
    let run = |i: usize| b[i..to].iter().take_while(|&&x| x == b'`').count();
    let mut i = from;
    while i < to {
        if b[i] != b'`' || (i > from && b[i - 1] == b'\\') {
            i += 1;
            continue;
        }
        let n = run(i);
        let mut j = i + n;
        let mut close = None;
        while j < to {
            if b[j] == b'`' {
                let m = run(j);
                if m == n {
                    close = Some(j + m);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match close {
            Some(end) => {
                ranges.push((i, end));
                i = end;
            }
            None => i += n,
        }
    }
}
