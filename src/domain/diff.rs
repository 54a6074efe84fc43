//! Line diff between two revisions of a section: Myers' algorithm in linear space (the `similar`
//! crate), so memory grows with the length of the texts, not with their product.

use serde::{Deserialize, Serialize};
use similar::{capture_diff_slices_deadline, Algorithm, DiffOp};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiffLine {
    Same(String),
    Added(String),
    Removed(String),
}

/// More lines than any real section has; past it a whole replacement is shown instead of a diff.
pub const MAX_LINES: usize = 20_000;
/// Past this the diff settles for a correct but possibly longer edit script.
const TIME_LIMIT: Duration = Duration::from_millis(500);

/// Lines of `old` and `new` in order, each kept, added or removed. CPU-bound: a server caller runs it
/// off the async workers. Server-side only (`Instant::now` is unavailable in the browser).
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let removed = |lines: &[&str]| lines.iter().map(|l| DiffLine::Removed(l.to_string())).collect::<Vec<_>>();
    let added = |lines: &[&str]| lines.iter().map(|l| DiffLine::Added(l.to_string())).collect::<Vec<_>>();
    if a.len() > MAX_LINES || b.len() > MAX_LINES {
        let mut out = removed(&a);
        out.extend(added(&b));
        return out;
    }
    let ops = capture_diff_slices_deadline(Algorithm::Myers, &a, &b, Some(Instant::now() + TIME_LIMIT));
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    for op in ops {
        match op {
            DiffOp::Equal { old_index, len, .. } => {
                out.extend(a[old_index..old_index + len].iter().map(|l| DiffLine::Same(l.to_string())))
            }
            DiffOp::Delete { old_index, old_len, .. } => out.extend(removed(&a[old_index..old_index + old_len])),
            DiffOp::Insert { new_index, new_len, .. } => out.extend(added(&b[new_index..new_index + new_len])),
            DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                out.extend(removed(&a[old_index..old_index + old_len]));
                out.extend(added(&b[new_index..new_index + new_len]));
            }
        }
    }
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

    /// Whatever the diff, keeping the old side's lines gives `old` and keeping the new side's gives `new`.
    fn sides(d: &[DiffLine]) -> (Vec<&str>, Vec<&str>) {
        let (mut old, mut new) = (vec![], vec![]);
        for l in d {
            match l {
                Same(t) => {
                    old.push(t.as_str());
                    new.push(t.as_str());
                }
                Removed(t) => old.push(t),
                Added(t) => new.push(t),
            }
        }
        (old, new)
    }

    #[test]
    fn small_known_case_is_minimal() {
        let d = diff_lines("a\nb\nc\nd\ne", "a\nc\nd\nx\ne\nf");
        assert_eq!(
            d,
            vec![
                Same("a".into()),
                Removed("b".into()),
                Same("c".into()),
                Same("d".into()),
                Added("x".into()),
                Same("e".into()),
                Added("f".into())
            ]
        );
    }

    #[test]
    fn long_texts_diff_quickly_and_correctly() {
        let old: String = (0..5000).map(|i| format!("line {i}\n")).collect();
        let new: String =
            (0..5000).map(|i| if i % 7 == 0 { format!("changed {i}\n") } else { format!("line {i}\n") }).collect();
        let started = std::time::Instant::now();
        let d = diff_lines(&old, &new);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
        assert_eq!(sides(&d), (old.lines().collect(), new.lines().collect()));
        assert_eq!(d.iter().filter(|l| matches!(l, Added(_))).count(), 715);
        assert_eq!(d.iter().filter(|l| matches!(l, Removed(_))).count(), 715);

        // Nothing in common: still bounded, still a correct (if not minimal) script.
        let other: String = (0..5000).map(|i| format!("other {i}\n")).collect();
        let started = std::time::Instant::now();
        let d = diff_lines(&old, &other);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
        assert_eq!(sides(&d), (old.lines().collect(), other.lines().collect()));
    }

    #[test]
    fn beyond_the_cap_is_a_whole_replacement() {
        let old = "x\n".repeat(MAX_LINES + 1);
        let d = diff_lines(&old, "y");
        assert_eq!(d.len(), MAX_LINES + 2);
        assert_eq!(d.last(), Some(&Added("y".into())));
    }

    #[test]
    fn empty_sides() {
        assert_eq!(diff_lines("", "x"), vec![Added("x".into())]);
        assert_eq!(diff_lines("x", ""), vec![Removed("x".into())]);
        assert!(diff_lines("", "").is_empty());
    }
}
