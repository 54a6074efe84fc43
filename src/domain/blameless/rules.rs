//! One method per rule: each looks at the word at `i` and records a hit when its phrase starts there.

use super::words::*;
use super::{Rule, Tok};

#[derive(Debug, Clone, Copy)]
pub(super) struct Hit {
    pub(super) rule: Rule,
    /// Token indices, inclusive.
    pub(super) first: usize,
    pub(super) last: usize,
}

pub(super) fn hit(rule: Rule, first: usize, last: usize) -> Hit {
    Hit { rule, first, last }
}

pub(super) struct Cx<'a> {
    pub(super) toks: &'a [Tok],
    /// Word sequences of known names, longest first.
    pub(super) names: &'a [Vec<String>],
}

impl Cx<'_> {
    pub(super) fn word(&self, i: usize) -> &str {
        self.toks.get(i).map_or("", |t| t.word.as_str())
    }

    /// The following word, if only whitespace lies between.
    pub(super) fn next(&self, i: usize) -> Option<usize> {
        let n = i + 1;
        self.toks.get(n).filter(|t| t.spaced).map(|_| n)
    }

    /// The preceding word, if only whitespace lies between.
    pub(super) fn prev(&self, i: usize) -> Option<usize> {
        (i > 0 && self.toks.get(i)?.spaced).then(|| i - 1)
    }

    pub(super) fn next_is(&self, i: usize, words: &str) -> bool {
        self.next(i).is_some_and(|k| listed(words, self.word(k)))
    }

    pub(super) fn prev_is(&self, i: usize, words: &str) -> bool {
        self.prev(i).is_some_and(|k| listed(words, self.word(k)))
    }

    /// The index of the phrase's last word, if the phrase starts at `i`.
    pub(super) fn phrase(&self, i: usize, words: &[&str]) -> Option<usize> {
        let (first, rest) = words.split_first()?;
        if self.word(i) != *first {
            return None;
        }
        let mut at = i;
        for w in rest {
            at = self.next(at)?;
            if self.word(at) != *w {
                return None;
            }
        }
        Some(at)
    }

    pub(super) fn first_phrase(&self, i: usize, phrases: &[&[&str]]) -> Option<usize> {
        phrases.iter().find_map(|p| self.phrase(i, p))
    }

    /// Matches one name variant at `i`: its last word's index and whether it is possessive.
    pub(super) fn name_variant_at(&self, i: usize, variant: &[String]) -> Option<(usize, bool)> {
        let mut at = i;
        for (k, w) in variant.iter().enumerate() {
            if k > 0 {
                at = self.next(at)?;
            }
            let t = self.toks.get(at)?;
            if k + 1 < variant.len() {
                if t.word != *w {
                    return None;
                }
            } else if t.poss && t.base == *w {
                return Some((at, true));
            } else if t.word == *w {
                return Some((at, false));
            } else {
                return None;
            }
        }
        None
    }

    pub(super) fn name_at(&self, i: usize) -> Option<(usize, bool)> {
        self.names.iter().find_map(|v| self.name_variant_at(i, v))
    }

    /// The first word of a (non-possessive) name ending at `j`.
    pub(super) fn name_ending_at(&self, j: usize) -> Option<usize> {
        self.names.iter().find_map(|v| {
            let i = (j + 1).checked_sub(v.len())?;
            (self.name_variant_at(i, v) == Some((j, false))).then_some(i)
        })
    }

    /// The first word of a person-like subject ending at `j`: a pronoun, a known name or a role.
    pub(super) fn subject_ending_at(&self, j: usize) -> Option<usize> {
        let w = self.word(j);
        if listed(SUBJECT_PRONOUNS, w) {
            return Some(j);
        }
        if let Some(s) = self.name_ending_at(j) {
            return Some(s);
        }
        let mut m = j;
        if w == "call" {
            m = self.prev(j).filter(|&o| self.word(o) == "on")?;
        } else if !listed(ROLE_NOUNS, w) {
            return None;
        } else if let Some(q) = self.prev(j).filter(|&q| matches!(self.word(q), "on-call" | "oncall")) {
            m = q;
        }
        match self.prev(m) {
            Some(d) if listed(DETERMINERS, self.word(d)) => Some(d),
            _ if listed(PLURAL_ROLES, w) => Some(m),
            _ => None,
        }
    }

    /// The subject of the verb at `i`, if it looks like a person, skipping a couple of adverbs.
    pub(super) fn person_before(&self, i: usize) -> Option<usize> {
        let mut j = self.prev(i)?;
        for _ in 0..2 {
            if listed(SUBJECT_SKIP, self.word(j)) {
                j = self.prev(j)?;
            }
        }
        self.subject_ending_at(j)
    }

    /// The last word of a person-like object starting at `i`.
    pub(super) fn person_after(&self, i: usize) -> Option<usize> {
        let w = self.word(i);
        if listed(OBJECT_PRONOUNS, w) || listed(PLURAL_ROLES, w) {
            return Some(i);
        }
        if let Some((e, _)) = self.name_at(i) {
            return Some(e);
        }
        if !listed(DETERMINERS, w) {
            return None;
        }
        let k = self.next(i)?;
        match self.word(k) {
            "on" => self.next(k).filter(|&c| self.word(c) == "call"),
            "on-call" | "oncall" => Some(self.next(k).filter(|&r| listed(ROLE_NOUNS, self.word(r))).unwrap_or(k)),
            kw if listed(ROLE_NOUNS, kw) => Some(k),
            _ => None,
        }
    }

    pub(super) fn human_error(&self, i: usize, out: &mut Vec<Hit>) {
        let w = self.word(i);
        let last = if listed(ERROR_SOURCES, w) {
            match self.next(i) {
                Some(k) if matches!(self.word(k), "error" | "errors") => k,
                _ => return,
            }
        } else if listed(HYPHENATED_ERRORS, w) {
            i
        } else {
            return;
        };
        if !self.next_is(last, ERROR_METRICS) {
            out.push(hit(Rule::HumanError, i, last));
        }
    }

    pub(super) fn possession_follows(&self, e: usize) -> bool {
        self.next(e).is_some_and(|k| {
            let w = self.word(k);
            listed(POSSESSION, w) || w.starts_with(|c: char| c.is_ascii_digit())
        })
    }

    pub(super) fn should_have(&self, i: usize, out: &mut Vec<Hit>) {
        if let Some(e) = self.first_phrase(i, HINDSIGHT_ALWAYS) {
            if !self.possession_follows(e) {
                out.push(hit(Rule::ShouldHave, i, e));
            }
        } else if let Some(e) = self.first_phrase(i, HINDSIGHT_PERSON) {
            if !self.possession_follows(e) && self.person_before(i).is_some() {
                out.push(hit(Rule::ShouldHave, i, e));
            }
        }
    }

    pub(super) fn failed_to(&self, i: usize, out: &mut Vec<Hit>) {
        if !matches!(self.word(i), "failed" | "fail" | "fails") || !self.next_is(i, "to") {
            return;
        }
        if let Some(s) = self.person_before(i) {
            out.push(hit(Rule::FailedTo, s, i + 1));
        }
    }

    pub(super) fn careless(&self, i: usize, out: &mut Vec<Hit>) {
        let w = self.word(i);
        if listed(JUDGEMENTS, w) {
            let technical = matches!(w, "lazy" | "lazily") && self.next_is(i, LAZY_TECH);
            if !technical {
                out.push(hit(Rule::Careless, i, i));
            }
        } else if let Some(e) = self.first_phrase(i, MISTAKE_BY) {
            out.push(hit(Rule::Careless, i, e));
        }
    }

    pub(super) fn fault(&self, i: usize, out: &mut Vec<Hit>) {
        let t = &self.toks[i];
        let w = t.word.as_str();

        // "Ada's fault", "their fault"
        let possessor = listed(POSSESSIVE_PRONOUNS, w) || (t.poss && !listed(CONTRACTION_BASES, t.base.as_str()));
        if possessor {
            if let Some(k) = self.next(i).filter(|&k| self.word(k) == "fault") {
                if !self.next_is(k, FAULT_TECH) {
                    out.push(hit(Rule::Fault, i, k));
                }
            }
        }

        if let Some(e) = self.first_phrase(i, &[&["the", "fault", "of"], &["at", "fault"]]) {
            out.push(hit(Rule::Fault, i, e));
        }

        // "who is to blame", "they're to blame"
        if let Some(e) = self.phrase(i, &["to", "blame"]) {
            let after_be = self.prev(i).is_some_and(|p| {
                let pw = self.word(p);
                listed(BE_FORMS, pw) || pw.ends_with("'s") || pw.ends_with("'re")
            });
            if after_be {
                out.push(hit(Rule::Fault, i, e));
            }
        }

        if listed(BLAME_FORMS, w) && !self.prev_is(i, BLAME_AS_NOUN) {
            if let Some(e) = self.next(i).and_then(|k| self.person_after(k)) {
                // "blamed the on-call"
                out.push(hit(Rule::Fault, i, e));
            } else if let Some(e) = self.blamed_on(i) {
                // "blamed the outage on Ada"
                out.push(hit(Rule::Fault, i, e));
            } else if let Some(s) =
                self.prev(i).filter(|&b| listed(PASSIVE_AUX, self.word(b))).and_then(|b| self.person_before(b))
            {
                // "Ada was blamed"
                out.push(hit(Rule::Fault, s, i));
            }
        }

        if let Some(f) = self.phrase(i, &["responsible", "for"]) {
            if let Some(e) = self.responsible_for(f) {
                out.push(hit(Rule::Fault, i, e));
            }
        }
    }

    /// "blamed it on Ada": the person's last word.
    pub(super) fn blamed_on(&self, i: usize) -> Option<usize> {
        let mut k = i;
        for _ in 0..4 {
            k = self.next(k)?;
            if self.word(k) == "on" {
                return self.person_after(self.next(k)?);
            }
        }
        None
    }

    /// After "responsible for" (ending at `f`): the end of "the outage", "causing", ...
    pub(super) fn responsible_for(&self, f: usize) -> Option<usize> {
        let mut n = self.next(f)?;
        if self.word(n) == "causing" {
            return Some(n);
        }
        if listed(RESPONSIBLE_DETS, self.word(n)) {
            n = self.next(n)?;
        }
        (listed(INCIDENT_NOUNS, self.word(n)) && !self.next_is(n, RESPONSIBLE_DUTIES)).then_some(n)
    }

    /// "because Ada", "caused by Ada": the first word of the introduction.
    pub(super) fn cause_intro_before(&self, i: usize) -> Option<usize> {
        let p = self.prev(i)?;
        match self.word(p) {
            "because" => Some(p),
            "of" => self.prev(p).filter(|&q| self.word(q) == "because"),
            "to" => self.prev(p).filter(|&q| self.word(q) == "due"),
            "by" => self.prev(p).filter(|&q| matches!(self.word(q), "caused" | "triggered" | "introduced" | "broken")),
            _ => None,
        }
    }

    /// "Ada broke", "Ada had forgotten", "Ada deployed the bad config": the last word to flag.
    pub(super) fn causal_verb_after(&self, e: usize) -> Option<usize> {
        let mut k = self.next(e)?;
        for _ in 0..2 {
            if listed(NAME_ADVERBS, self.word(k)) {
                k = self.next(k)?;
            }
        }
        let w = self.word(k);
        if listed(CAUSAL_VERBS, w) {
            if matches!(w, "messed" | "screwed") {
                if let Some(up) = self.next(k).filter(|&u| self.word(u) == "up") {
                    return Some(up);
                }
            }
            return Some(k);
        }
        if listed(ACTION_VERBS, w) {
            let mut at = k;
            for _ in 0..3 {
                at = self.next(at)?;
                if listed(BAD_MARKERS, self.word(at)) {
                    return Some(at);
                }
            }
        }
        None
    }

    /// "Ada's commit", "Ada's bad deploy": the noun's index.
    pub(super) fn change_noun_after(&self, e: usize) -> Option<usize> {
        let mut k = self.next(e)?;
        if !listed(CHANGE_NOUNS, self.word(k)) && listed(BAD_MARKERS, self.word(k)) {
            k = self.next(k)?;
        }
        listed(CHANGE_NOUNS, self.word(k)).then_some(k)
    }

    pub(super) fn named_cause(&self, i: usize, out: &mut Vec<Hit>) {
        let Some((e, poss)) = self.name_at(i) else {
            return;
        };
        let intro = self.cause_intro_before(i);
        let tail = if poss { self.change_noun_after(e) } else { self.causal_verb_after(e) };
        match (intro, tail) {
            (_, Some(t)) => out.push(hit(Rule::NamedCause, intro.unwrap_or(i), t)),
            (Some(s), None) if !poss => out.push(hit(Rule::NamedCause, s, e)),
            _ => {}
        }
    }

    pub(super) fn hindsight(&self, i: usize, out: &mut Vec<Hit>) {
        match self.word(i) {
            "obviously" | "simply" => out.push(hit(Rule::Hindsight, i, i)),
            "clearly" => {
                let qualified = self.prev(i).is_some_and(|p| {
                    let pw = self.word(p);
                    listed(CLEARLY_QUALIFIERS, pw) || pw.ends_with("n't")
                });
                if !qualified {
                    out.push(hit(Rule::Hindsight, i, i));
                }
            }
            _ => {
                if let Some(e) = self.first_phrase(i, HINDSIGHT_PHRASES) {
                    // "a change of course" is not hindsight
                    if !(self.word(i) == "of" && self.prev_is(i, "change changes changed")) {
                        out.push(hit(Rule::Hindsight, i, e));
                    }
                }
            }
        }
    }
}
