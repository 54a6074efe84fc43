//! Line diff between two revisions of a section (longest common subsequence).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiffLine {
    Same(String),
    Added(String),
    Removed(String),
}

/// Lines of `old` and `new` in order, each kept, added or removed. Quadratic in the number of lines,
/// which is fine for postmortem sections (hundreds of lines at most); beyond `MAX_LINES` a whole
/// replacement is shown instead.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    const MAX_LINES: usize = 4000;
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    if a.len() > MAX_LINES || b.len() > MAX_LINES {
        return a
            .iter()
            .map(|l| DiffLine::Removed(l.to_string()))
            .chain(b.iter().map(|l| DiffLine::Added(l.to_string())))
            .collect();
    }
    // lcs[i][j] = length of the LCS of a[i..] and b[j..]
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push(DiffLine::Same(a[i].to_string()));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            out.push(DiffLine::Removed(a[i].to_string()));
            i += 1;
        } else {
            out.push(DiffLine::Added(b[j].to_string()));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|l| DiffLine::Removed(l.to_string())));
    out.extend(b[j..].iter().map(|l| DiffLine::Added(l.to_string())));
    out
}

#[cfg(test)]
mod tests {
    use super::DiffLine::*;
    use super::*;

    #[test]
    fn finds_changed_lines() {
        let d = diff_lines("a\nb\nc", "a\nB\nc\nd");
        assert_eq!(
            d,
            vec![Same("a".into()), Removed("b".into()), Added("B".into()), Same("c".into()), Added("d".into())]
        );
    }

    #[test]
    fn empty_sides() {
        assert_eq!(diff_lines("", "x"), vec![Added("x".into())]);
        assert_eq!(diff_lines("x", ""), vec![Removed("x".into())]);
        assert!(diff_lines("", "").is_empty());
    }
}
