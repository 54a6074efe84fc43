//! Blameless-language rules. A postmortem asks what in the system let an incident happen, never who
//! to blame; [`check`] points out the phrases that drift from the first question to the second and
//! suggests a system-focused rewording.
//!
//! The text is Markdown: inline code spans and fenced code blocks are skipped, because quoted logs
//! and commands may contain any word. Matching is case-insensitive and on whole words. Letters and
//! digits, joined by `'`, `’`, `-` or `_`, form one word, so "careless" never matches inside
//! "carelessness" and "blame" never inside "blameless" or "blame-free". The words of a phrase must
//! be separated by whitespace only, so a phrase never runs across punctuation or a code span.
//!
//! Borderline phrases:
//! - "failed to" is flagged only when its subject looks like a person: a known name, "he", "she",
//!   "they", "we", "I", "you", "someone", or a role such as "the engineer", "the operator" or "the
//!   on-call". "The disk failed to mount" describes the system and is left alone.
//! - "could have" is flagged only with such a person as its subject: "it could have been worse"
//!   describes risk, which a postmortem needs. "should have" is always flagged, except where it
//!   means possession ("the pipeline should have a canary stage").
//! - The judgement words ("careless", "sloppy"...) also match their adverbs ("carelessly"), which
//!   still describe how a person acted, but not their nouns: "carelessness in the schema design" can
//!   describe a design. "lazy" is left alone in technical uses such as "lazy loading".
//! - A known name is flagged only when it is given as a cause: the subject of a causal verb ("Ada
//!   broke", "Ada forgot"), after "because", "due to" or "caused by", or owning a change ("Ada's
//!   commit"). Neutral actions ("ran", "pushed", "deployed", "merged") count only when the next few
//!   words mark what was acted on as bad ("Ada deployed the bad config"), so a timeline can still
//!   say who ran the rollback. A first name alone counts when it has at least 3 letters.
//! - "blame" counts as a verb about a person ("blamed the on-call", "blamed it on Ada", "Ada was
//!   blamed"), not as a noun ("no blame", "git blame").
//!
//! Where matches overlap, the most specific rule wins, so each stretch of text carries one flag.

mod rules;
mod tokenizer;
mod words;

use rules::{Cx, Hit};
use serde::{Deserialize, Serialize};
use tokenizer::{mask_code, tokenize, Tok};

/// One phrase that may read as blame, with where it is and how to reword it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BlamelessFlag {
    /// Stable rule id: "human_error", "should_have", "failed_to", "careless", "fault", "named_cause"
    /// or "hindsight".
    pub rule: String,
    /// The text matched, exactly as it appears in the input.
    pub matched: String,
    /// Byte offsets into the input; both fall on character boundaries.
    pub start: usize,
    pub end: usize,
    /// Why the phrase is a problem, in one sentence.
    pub message: String,
    /// A system-focused way to say it instead.
    pub suggestion: String,
}

/// Flags the phrases in `text` (Markdown) that may read as blame, sorted by position and never
/// overlapping. `known_names` are the people who may be named in the write-up (full names; the first
/// name alone is matched too when it has at least 3 letters). See the module documentation for the
/// rules, in particular: "failed to" is flagged only when its subject looks like a person, never when
/// a system component fails ("the disk failed to mount").
pub fn check(text: &str, known_names: &[&str]) -> Vec<BlamelessFlag> {
    let masked = mask_code(text);
    let toks = tokenize(&masked);
    let names = name_variants(known_names);
    let cx = Cx { toks: &toks, names: &names };
    let mut hits = Vec::new();
    for i in 0..toks.len() {
        cx.human_error(i, &mut hits);
        cx.should_have(i, &mut hits);
        cx.failed_to(i, &mut hits);
        cx.careless(i, &mut hits);
        cx.fault(i, &mut hits);
        cx.named_cause(i, &mut hits);
        cx.hindsight(i, &mut hits);
    }
    resolve(text, &toks, hits)
}

/// One line for the editor: "2 phrases may read as blame", or "" when there is nothing to say.
pub fn summary(flags: &[BlamelessFlag]) -> String {
    match flags.len() {
        0 => String::new(),
        1 => "1 phrase may read as blame".into(),
        n => format!("{n} phrases may read as blame"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    NamedCause,
    FailedTo,
    Fault,
    HumanError,
    Careless,
    ShouldHave,
    Hindsight,
}

impl Rule {
    fn id(self) -> &'static str {
        match self {
            Rule::NamedCause => "named_cause",
            Rule::FailedTo => "failed_to",
            Rule::Fault => "fault",
            Rule::HumanError => "human_error",
            Rule::Careless => "careless",
            Rule::ShouldHave => "should_have",
            Rule::Hindsight => "hindsight",
        }
    }

    /// Higher is more specific; it wins where matches overlap.
    fn rank(self) -> u8 {
        match self {
            Rule::NamedCause => 7,
            Rule::FailedTo => 6,
            Rule::Fault => 5,
            Rule::HumanError => 4,
            Rule::Careless => 3,
            Rule::ShouldHave => 2,
            Rule::Hindsight => 1,
        }
    }

    fn message(self) -> &'static str {
        match self {
            Rule::NamedCause => "Naming a person as the cause makes the write-up about them rather than the system.",
            Rule::FailedTo => {
                "Saying a person failed to do something judges them rather than the system they \
                 worked in."
            }
            Rule::Fault => {
                "Assigning fault or blame points at a person rather than at the conditions that allowed \
                 the incident."
            }
            Rule::HumanError => {
                "Calling it human error names a person as the cause and stops the inquiry where it \
                 should start."
            }
            Rule::Careless => "This judges a person's character or effort instead of describing what happened.",
            Rule::ShouldHave => "This is hindsight: what should have happened is only clear once the outcome is known.",
            Rule::Hindsight => {
                "This word suggests the situation was easy to read, which hides what made it hard at \
                 the time."
            }
        }
    }

    fn suggestion(self) -> &'static str {
        match self {
            Rule::NamedCause => {
                "Name the change or the action (the commit, the deploy, the command) rather than the \
                 person."
            }
            Rule::FailedTo => "Describe what the system did not provide: a check, an alert, a guard or a clear signal.",
            Rule::Fault => {
                "List the contributing factors instead: what in the technology, process or environment let \
                 this happen."
            }
            Rule::HumanError => {
                "Describe the system conditions that made the action easy to get wrong: the \
                 interface, the defaults, the missing guardrail, the time pressure."
            }
            Rule::Careless => {
                "Describe the action and its circumstances: what the tools showed, the workload, what \
                 made the risk hard to see."
            }
            Rule::ShouldHave => {
                "Describe what information was available at the time and why the action taken made \
                 sense then."
            }
            Rule::Hindsight => "Remove the word and say what made this hard to see or to do at the time.",
        }
    }
}

/// Keeps the most specific hit where hits overlap, then orders by position.
fn resolve(text: &str, toks: &[Tok], mut hits: Vec<Hit>) -> Vec<BlamelessFlag> {
    hits.sort_by(|a, b| {
        b.rule.rank().cmp(&a.rule.rank()).then((b.last - b.first).cmp(&(a.last - a.first))).then(a.first.cmp(&b.first))
    });
    let mut kept: Vec<Hit> = Vec::new();
    for h in hits {
        if kept.iter().all(|k| h.last < k.first || h.first > k.last) {
            kept.push(h);
        }
    }
    kept.sort_by_key(|h| h.first);
    kept.into_iter()
        .map(|h| {
            let (start, end) = (toks[h.first].start, toks[h.last].end);
            BlamelessFlag {
                rule: h.rule.id().into(),
                matched: text[start..end].into(),
                start,
                end,
                message: h.rule.message().into(),
                suggestion: h.rule.suggestion().into(),
            }
        })
        .collect()
}

/// Each known name as lowercase words, plus its first word alone when that has 3 letters or more.
fn name_variants(known_names: &[&str]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for name in known_names {
        let words: Vec<String> = tokenize(name).into_iter().map(|t| t.word).collect();
        let Some(first) = words.first() else { continue };
        if words.len() > 1 && first.chars().filter(|c| c.is_alphabetic()).count() >= 3 {
            out.push(vec![first.clone()]);
        }
        out.push(words);
    }
    out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    out.dedup();
    out
}

#[cfg(test)]
mod tests;
