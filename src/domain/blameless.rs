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

use serde::{Deserialize, Serialize};

/// One phrase that may read as blame, with where it is and how to reword it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

const ERROR_SOURCES: &str = "human operator user pilot";
const HYPHENATED_ERRORS: &str = "human-error human-errors operator-error user-error pilot-error";
/// After "user error" these name a metric or a message, not a verdict ("the user error rate").
const ERROR_METRICS: &str = "rate rates count counts message messages page pages code codes budget budgets log logs \
    response responses handling handler ratio metric metrics spike spikes path paths state states type types class \
    classes dialog banner";

const HINDSIGHT_ALWAYS: &[&[&str]] = &[
    &["should", "have"],
    &["should've"],
    &["shouldn't", "have"],
    &["should", "not", "have"],
    &["ought", "to", "have"],
    &["ought", "not", "to", "have"],
    &["oughtn't", "to", "have"],
];
const HINDSIGHT_PERSON: &[&[&str]] = &[&["could", "have"], &["could've"]];
/// After "should have" these make it possession ("should have a canary"), not hindsight.
const POSSESSION: &str = "a an the more fewer less some any no enough its their our his her my your both each every \
    at better one two three several many much this that these those separate dedicated proper";

const JUDGEMENTS: &str = "careless carelessly negligent negligently sloppy sloppily lazy lazily incompetent \
    incompetently reckless recklessly stupid stupidly";
const LAZY_TECH: &str = "load loads loaded loading evaluation evaluated evaluate initialization initialisation \
    initialized initialised init static iterator iterators import imports imported fetch fetched fetching \
    compilation compiled allocation allocated deletion sequence sequences list lists value values val binding \
    bindings cell lock mode migration migrations expiry expiration computed created instantiated instantiation \
    rendering rendered hydration hydrated future futures stream streams query queries cache";
const MISTAKE_BY: &[&[&str]] = &[
    &["mistake", "by"],
    &["mistakes", "by"],
    &["mistake", "made", "by"],
    &["mistakes", "made", "by"],
    &["mistake", "was", "made", "by"],
    &["mistakes", "were", "made", "by"],
];

const SUBJECT_PRONOUNS: &str = "he she they we i you someone somebody anyone anybody";
const OBJECT_PRONOUNS: &str = "him her them me us you himself herself themselves myself ourselves yourself yourselves \
    someone somebody anyone anybody everyone everybody";
const ROLE_NOUNS: &str = "engineer engineers operator operators on-call oncall developer developers dev devs sre sres \
    responder responders reviewer reviewers admin admins administrator administrators intern interns contractor \
    contractors employee employees person people human humans team staff dba dbas";
/// Roles that read as people even without a determiner ("engineers failed to").
const PLURAL_ROLES: &str = "engineers operators developers devs sres responders reviewers admins administrators \
    interns contractors employees people humans dbas";
const DETERMINERS: &str = "the a an our their his her your my this that another one each";
/// Words allowed between a subject and its verb ("she had failed to", "we simply failed to").
const SUBJECT_SKIP: &str = "had has have also then again both all repeatedly simply just clearly obviously completely \
    initially apparently really probably";

const NAME_ADVERBS: &str = "had has have also then again just accidentally mistakenly inadvertently unknowingly \
    unintentionally apparently";
const CAUSAL_VERBS: &str = "broke broken breaks caused causes forgot forgotten forgets missed misses overlooked \
    ignored ignores misconfigured botched skipped neglected messed screwed mistyped fat-fingered";
/// Neutral actions: causal only when what was acted on is marked as bad.
const ACTION_VERBS: &str = "ran run runs pushed pushes deployed deploys merged merges shipped ships applied applies \
    released releases introduced introduces deleted deletes dropped drops removed removes changed approved \
    committed wrote typed executed rolled enabled disabled set edited updated modified configured";
const BAD_MARKERS: &str = "bad broken faulty buggy wrong incorrect untested unreviewed erroneous mistaken bug bugs \
    regression typo breaking invalid malformed defective";
/// What a person's change is called when the possessive names them as its cause ("Ada's commit").
const CHANGE_NOUNS: &str = "change changes commit commits deploy deploys deployment deployments mistake mistakes \
    error errors typo typos pr merge push patch oversight bug bugs regression misconfiguration";

const POSSESSIVE_PRONOUNS: &str = "his her their my our your";
/// "it's", "that's" and the like are contractions, not possessives.
const CONTRACTION_BASES: &str = "it that what here there who he she let where how this nobody noone";
/// After "fault" these make it a technical term ("fault tolerance").
const FAULT_TECH: &str = "tolerance tolerant injection injections domain domains line lines isolation handling \
    handler handlers detection code codes zone zones tree trees model models condition conditions path paths mode \
    modes current state";
const BE_FORMS: &str = "is are was were be been being am";
const PASSIVE_AUX: &str = "is are was were be been being am got get gets getting";
const BLAME_FORMS: &str = "blame blamed blames blaming";
const BLAME_AS_NOUN: &str = "git svn hg no without";
const RESPONSIBLE_DETS: &str = "the this that an a these those today's yesterday's";
const INCIDENT_NOUNS: &str = "outage outages incident incidents failure failures downtime breakage regression bug \
    problem issue mess disruption";
/// After "responsible for the incident" these make it a duty, not a verdict ("the incident channel").
const RESPONSIBLE_DUTIES: &str = "response channel commander command review reviews process management report reports \
    postmortem timeline call bridge room doc document retro retrospective comms communication communications \
    handling coordination triage runbook ticket tickets queue rotation tracker tracking follow-up followup log \
    write-up";

/// Before "clearly" these make it about legibility ("the graph did not clearly show"), not hindsight.
const CLEARLY_QUALIFIERS: &str = "not more less as so very how too never fairly";
const HINDSIGHT_PHRASES: &[&[&str]] = &[
    &["of", "course"],
    &["everyone", "knows"],
    &["everybody", "knows"],
    &["should", "just"],
    &["could", "just"],
    &["just", "had", "to"],
    &["just", "have", "to"],
    &["just", "needed", "to"],
];

/// Whether `word` is one of the space-separated words of `list`.
fn listed(list: &str, word: &str) -> bool {
    list.split_whitespace().any(|w| w == word)
}

/// A word of the input: byte range, lowercase form, and its possessive reading.
#[derive(Debug)]
struct Tok {
    start: usize,
    end: usize,
    /// Lowercase, with `’` written as `'`.
    word: String,
    /// `word` without a possessive `'s` (or the `'` of "James'").
    base: String,
    poss: bool,
    /// Only whitespace separates it from the previous word.
    spaced: bool,
}

#[derive(Debug, Clone, Copy)]
struct Hit {
    rule: Rule,
    /// Token indices, inclusive.
    first: usize,
    last: usize,
}

fn hit(rule: Rule, first: usize, last: usize) -> Hit {
    Hit { rule, first, last }
}

struct Cx<'a> {
    toks: &'a [Tok],
    /// Word sequences of known names, longest first.
    names: &'a [Vec<String>],
}

impl Cx<'_> {
    fn word(&self, i: usize) -> &str {
        self.toks.get(i).map_or("", |t| t.word.as_str())
    }

    /// The following word, if only whitespace lies between.
    fn next(&self, i: usize) -> Option<usize> {
        let n = i + 1;
        self.toks.get(n).filter(|t| t.spaced).map(|_| n)
    }

    /// The preceding word, if only whitespace lies between.
    fn prev(&self, i: usize) -> Option<usize> {
        (i > 0 && self.toks.get(i)?.spaced).then(|| i - 1)
    }

    fn next_is(&self, i: usize, words: &str) -> bool {
        self.next(i).is_some_and(|k| listed(words, self.word(k)))
    }

    fn prev_is(&self, i: usize, words: &str) -> bool {
        self.prev(i).is_some_and(|k| listed(words, self.word(k)))
    }

    /// The index of the phrase's last word, if the phrase starts at `i`.
    fn phrase(&self, i: usize, words: &[&str]) -> Option<usize> {
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

    fn first_phrase(&self, i: usize, phrases: &[&[&str]]) -> Option<usize> {
        phrases.iter().find_map(|p| self.phrase(i, p))
    }

    /// Matches one name variant at `i`: its last word's index and whether it is possessive.
    fn name_variant_at(&self, i: usize, variant: &[String]) -> Option<(usize, bool)> {
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

    fn name_at(&self, i: usize) -> Option<(usize, bool)> {
        self.names.iter().find_map(|v| self.name_variant_at(i, v))
    }

    /// The first word of a (non-possessive) name ending at `j`.
    fn name_ending_at(&self, j: usize) -> Option<usize> {
        self.names.iter().find_map(|v| {
            let i = (j + 1).checked_sub(v.len())?;
            (self.name_variant_at(i, v) == Some((j, false))).then_some(i)
        })
    }

    /// The first word of a person-like subject ending at `j`: a pronoun, a known name or a role.
    fn subject_ending_at(&self, j: usize) -> Option<usize> {
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
    fn person_before(&self, i: usize) -> Option<usize> {
        let mut j = self.prev(i)?;
        for _ in 0..2 {
            if listed(SUBJECT_SKIP, self.word(j)) {
                j = self.prev(j)?;
            }
        }
        self.subject_ending_at(j)
    }

    /// The last word of a person-like object starting at `i`.
    fn person_after(&self, i: usize) -> Option<usize> {
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

    fn human_error(&self, i: usize, out: &mut Vec<Hit>) {
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

    fn possession_follows(&self, e: usize) -> bool {
        self.next(e).is_some_and(|k| {
            let w = self.word(k);
            listed(POSSESSION, w) || w.starts_with(|c: char| c.is_ascii_digit())
        })
    }

    fn should_have(&self, i: usize, out: &mut Vec<Hit>) {
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

    fn failed_to(&self, i: usize, out: &mut Vec<Hit>) {
        if !matches!(self.word(i), "failed" | "fail" | "fails") || !self.next_is(i, "to") {
            return;
        }
        if let Some(s) = self.person_before(i) {
            out.push(hit(Rule::FailedTo, s, i + 1));
        }
    }

    fn careless(&self, i: usize, out: &mut Vec<Hit>) {
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

    fn fault(&self, i: usize, out: &mut Vec<Hit>) {
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
    fn blamed_on(&self, i: usize) -> Option<usize> {
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
    fn responsible_for(&self, f: usize) -> Option<usize> {
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
    fn cause_intro_before(&self, i: usize) -> Option<usize> {
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
    fn causal_verb_after(&self, e: usize) -> Option<usize> {
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
    fn change_noun_after(&self, e: usize) -> Option<usize> {
        let mut k = self.next(e)?;
        if !listed(CHANGE_NOUNS, self.word(k)) && listed(BAD_MARKERS, self.word(k)) {
            k = self.next(k)?;
        }
        listed(CHANGE_NOUNS, self.word(k)).then_some(k)
    }

    fn named_cause(&self, i: usize, out: &mut Vec<Hit>) {
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

    fn hindsight(&self, i: usize, out: &mut Vec<Hit>) {
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

/// Splits text into words. Letters and digits joined by `'`, `’`, `-` or `_` stay one word; a
/// trailing `'` after an "s" ("James'") marks a possessive without becoming part of the word.
fn tokenize(s: &str) -> Vec<Tok> {
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
fn mask_code(text: &str) -> String {
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
fn code_ranges(text: &str) -> Vec<(usize, usize)> {
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

fn strip_indent(line: &str) -> &str {
    let n = line.bytes().take(3).take_while(|&b| b == b' ').count();
    &line[n..]
}

fn fence_open(body: &str) -> Option<(u8, usize)> {
    let c = *body.as_bytes().first()?;
    if c != b'`' && c != b'~' {
        return None;
    }
    let n = body.bytes().take_while(|&b| b == c).count();
    (n >= 3 && !(c == b'`' && body[n..].contains('`'))).then_some((c, n))
}

fn fence_closes(body: &str, c: u8, n: usize) -> bool {
    let m = body.bytes().take_while(|&b| b == c).count();
    m >= n && body[m..].trim().is_empty()
}

fn inline_code(text: &str, from: usize, to: usize, ranges: &mut Vec<(usize, usize)>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &[&str] = &["Ada Lovelace", "Grace Hopper", "Bo Diddley"];

    fn rules(text: &str) -> Vec<String> {
        check(text, NAMES).into_iter().map(|f| f.rule).collect()
    }

    fn matched(text: &str) -> Vec<String> {
        check(text, NAMES).into_iter().map(|f| f.matched).collect()
    }

    fn assert_well_formed(text: &str, flags: &[BlamelessFlag]) {
        for f in flags {
            assert_eq!(&text[f.start..f.end], f.matched, "offsets of {f:?} in {text:?}");
            assert!(!f.message.is_empty() && !f.suggestion.is_empty());
        }
        for w in flags.windows(2) {
            assert!(w[0].end <= w[1].start, "sorted and not overlapping: {flags:?}");
        }
    }

    #[test]
    fn good_sentences_produce_no_flags() {
        let good = [
            "The deploy pipeline allowed a config change without a canary.",
            "The disk failed to mount after the kernel upgrade.",
            "We lacked an alert on queue depth.",
            "Carelessness in the schema design let two services write the same rows.",
            "The health check failed to detect the stuck worker.",
            "It could have been much worse: the backup was only an hour old.",
            "The pipeline should have a canary stage before production.",
            "We should have at least two replicas per zone.",
            "The user error rate rose to 4% while the cache was cold.",
            "Ada's dashboard helped us find the hot partition.",
            "Ada deployed the fix at 14:05 and latency recovered.",
            "Grace ran the rollback.",
            "Adam broke the build.",
            "Bo broke the build.",
            "Our postmortems are blameless and blame-free.",
            "Use git blame to find when the line changed.",
            "There is no blame in this review.",
            "Fault tolerance in the queue kept writes safe.",
            "The payments team is responsible for the incident channel.",
            "The graph did not clearly show the saturation.",
            "Lazy loading hid the slow query until peak traffic.",
            "She never failed to page when the queue grew.",
            "Just after midnight the queue started to grow.",
            "The data was recklessness-free.",
            "",
        ];
        for text in good {
            assert_eq!(check(text, NAMES), vec![], "{text:?}");
        }
    }

    #[test]
    fn bad_sentences_trigger_their_rule() {
        let bad = [
            ("The outage was caused by human error.", "human_error", "human error"),
            ("Root cause: operator error.", "human_error", "operator error"),
            ("It was a user error.", "human_error", "user error"),
            ("Classic pilot error.", "human_error", "pilot error"),
            ("A human-error incident.", "human_error", "human-error"),
            ("The on-call should have checked the dashboard.", "should_have", "should have"),
            ("They should've rolled back sooner.", "should_have", "should've"),
            ("We ought to have paged the database team.", "should_have", "ought to have"),
            ("The alert shouldn't have been silenced.", "should_have", "shouldn't have"),
            ("We could have caught this in review.", "should_have", "could have"),
            ("The engineer failed to run the migration check.", "failed_to", "The engineer failed to"),
            ("Ada failed to notice the alert.", "failed_to", "Ada failed to"),
            ("She failed to escalate.", "failed_to", "She failed to"),
            ("The on-call failed to acknowledge the page.", "failed_to", "The on-call failed to"),
            ("The on-call engineer had failed to restart it.", "failed_to", "The on-call engineer had failed to"),
            ("Someone failed to update the runbook.", "failed_to", "Someone failed to"),
            ("I failed to read the diff.", "failed_to", "I failed to"),
            ("A careless config edit took down the API.", "careless", "careless"),
            ("The change was carelessly reviewed.", "careless", "carelessly"),
            ("That was a sloppy deploy.", "careless", "sloppy"),
            ("Negligent handling of the keys.", "careless", "Negligent"),
            ("It was a mistake by the release manager.", "careless", "mistake by"),
            ("It was Ada's fault.", "fault", "Ada's fault"),
            ("It was their fault.", "fault", "their fault"),
            ("This was the fault of the deploy tooling.", "fault", "the fault of"),
            ("Who is to blame?", "fault", "to blame"),
            ("Management blamed the on-call.", "fault", "blamed the on-call"),
            ("They blamed it on Grace.", "fault", "blamed it on Grace"),
            ("Ada was blamed afterwards.", "fault", "Ada was blamed"),
            ("The cache team was responsible for the outage.", "fault", "responsible for the outage"),
            ("Ada broke the build.", "named_cause", "Ada broke"),
            ("Grace Hopper caused the outage.", "named_cause", "Grace Hopper caused"),
            ("Ada forgot to renew the certificate.", "named_cause", "Ada forgot"),
            ("Grace missed the page.", "named_cause", "Grace missed"),
            ("Ada pushed a broken config.", "named_cause", "Ada pushed a broken"),
            ("Ada deployed the bad build.", "named_cause", "Ada deployed the bad"),
            ("Grace ran the wrong script.", "named_cause", "Grace ran the wrong"),
            ("The queue filled because Ada restarted it.", "named_cause", "because Ada"),
            ("The outage was caused by Grace.", "named_cause", "caused by Grace"),
            ("Ada's change removed the index.", "named_cause", "Ada's change"),
            ("Obviously the flag was wrong.", "hindsight", "Obviously"),
            ("The logs clearly showed the error.", "hindsight", "clearly"),
            ("They simply restarted it.", "hindsight", "simply"),
            ("Of course the cache was stale.", "hindsight", "Of course"),
            ("Everyone knows the primary cannot be resized.", "hindsight", "Everyone knows"),
            ("They should just roll back.", "hindsight", "should just"),
            ("We just had to wait for the lock.", "hindsight", "just had to"),
        ];
        for (text, rule, m) in bad {
            let flags = check(text, NAMES);
            assert_well_formed(text, &flags);
            assert!(
                flags.iter().any(|f| f.rule == rule && f.matched == m),
                "{text:?} should flag {m:?} as {rule}, got {flags:?}"
            );
        }
    }

    #[test]
    fn every_rule_has_a_message_and_a_suggestion() {
        for r in [
            Rule::NamedCause,
            Rule::FailedTo,
            Rule::Fault,
            Rule::HumanError,
            Rule::Careless,
            Rule::ShouldHave,
            Rule::Hindsight,
        ] {
            assert!(r.message().ends_with('.') && r.suggestion().ends_with('.'), "{}", r.id());
        }
    }

    #[test]
    fn offsets_round_trip_in_a_longer_write_up() {
        let text = "## Trigger\n\nAda broke the build; the engineer failed to notice. Obviously it was human error,\n\
                    and Grace should have caught it. It was their fault.\n";
        let flags = check(text, NAMES);
        assert_well_formed(text, &flags);
        assert_eq!(
            flags.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(),
            ["named_cause", "failed_to", "hindsight", "human_error", "should_have", "fault"]
        );
    }

    #[test]
    fn non_ascii_text_never_panics() {
        let text = "Élodie était négligent 😀 should have 🚀 known; İSTANBUL human error ümlaut ’s fault \
                    👩‍💻 failed to";
        let flags = check(text, &["Élodie Durand", "😀", "İ"]);
        assert_well_formed(text, &flags);
        assert!(flags.iter().any(|f| f.rule == "should_have"));
        assert!(flags.iter().any(|f| f.rule == "human_error"));
        for (i, _) in text.char_indices() {
            assert_well_formed(&text[i..], &check(&text[i..], &["Élodie Durand"]));
            assert_well_formed(&text[..i], &check(&text[..i], &["Élodie Durand"]));
        }
    }

    #[test]
    fn accented_names_and_words() {
        let flags = check("Élodie broke the build.", &["Élodie Durand"]);
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].matched, "Élodie broke");
        assert_eq!(rules("The carelessé flag"), Vec::<String>::new());
    }

    #[test]
    fn inline_code_is_ignored() {
        assert_eq!(rules("The log said `human error: should have retried`."), Vec::<String>::new());
        assert_eq!(rules("Ran ``grep `careless` *`` on the box."), Vec::<String>::new());
        assert_eq!(rules("The `careless` flag and a careless edit."), ["careless"]);
        let text = "See `x` then should have";
        assert_eq!(check(text, NAMES)[0].start, text.find("should").unwrap());
    }

    #[test]
    fn fenced_code_is_ignored() {
        let text = "Before.\n\n```text\nERROR human error detected\noperator should have\n```\n\nAfter: sloppy.\n";
        assert_eq!(matched(text), ["sloppy"]);
        let tilde = "~~~~\nblamed the on-call\n~~~\nstill code\n~~~~\nobviously";
        assert_eq!(matched(tilde), ["obviously"]);
        let unclosed = "Text.\n```\ncareless everywhere\nhuman error";
        assert_eq!(rules(unclosed), Vec::<String>::new());
    }

    #[test]
    fn unmatched_backticks_do_not_hide_text() {
        assert_eq!(matched("A lone ` backtick, then a careless edit."), ["careless"]);
        assert_eq!(matched("Escaped \\`careless\\` words"), ["careless"]);
    }

    #[test]
    fn phrases_do_not_cross_punctuation_or_code() {
        assert_eq!(rules("Should, have we?"), Vec::<String>::new());
        assert_eq!(rules("should `x` have"), Vec::<String>::new());
        assert_eq!(matched("**should have** known"), ["should have"]);
        assert_eq!(matched("We should\nhave known"), ["should\nhave"]);
    }

    #[test]
    fn whole_words_only() {
        assert_eq!(rules("Carelessness, negligence and blameless reviews"), Vec::<String>::new());
        assert_eq!(rules("The careless_mode flag and carelessly_named_var"), Vec::<String>::new());
        assert_eq!(rules("The sloppy-joe service"), Vec::<String>::new());
        assert_eq!(rules("Incompetently"), ["careless"]);
        assert_eq!(rules("A lazily initialized client"), Vec::<String>::new());
        assert_eq!(rules("A lazy rollout"), ["careless"]);
    }

    #[test]
    fn case_insensitive() {
        assert_eq!(rules("HUMAN ERROR"), ["human_error"]);
        assert_eq!(matched("ADA LOVELACE CAUSED it"), ["ADA LOVELACE CAUSED"]);
        assert_eq!(matched("They Should’ve known"), ["Should’ve"]);
    }

    #[test]
    fn failed_to_needs_a_person_as_subject() {
        assert_eq!(rules("The replica failed to catch up."), Vec::<String>::new());
        assert_eq!(rules("Deploys failed to roll out."), Vec::<String>::new());
        assert_eq!(rules("Engineers failed to see the warning."), ["failed_to"]);
        assert_eq!(matched("The operator failed to drain the node."), ["The operator failed to"]);
        assert_eq!(matched("the on call failed to answer"), ["the on call failed to"]);
        assert_eq!(matched("We both failed to check."), ["We both failed to"]);
    }

    #[test]
    fn could_have_needs_a_person_but_should_have_does_not() {
        assert_eq!(rules("The retry storm could have taken the database down."), Vec::<String>::new());
        assert_eq!(rules("She could have checked the graph."), ["should_have"]);
        assert_eq!(rules("The alert should have fired at 5%."), ["should_have"]);
        assert_eq!(rules("The service should have 3 replicas."), Vec::<String>::new());
    }

    #[test]
    fn known_names_are_flagged_only_as_causes() {
        assert_eq!(matched("Ada broke the build"), ["Ada broke"]);
        assert_eq!(check("Ada broke the build", &["Ada Lovelace"])[0].rule, "named_cause");
        assert_eq!(rules("Ada's dashboard helped"), Vec::<String>::new());
        assert_eq!(matched("Ada's commit dropped the table"), ["Ada's commit"]);
        assert_eq!(matched("Ada Lovelace’s bad deploy"), ["Ada Lovelace’s bad deploy"]);
        assert_eq!(matched("Ada had accidentally deleted the bucket"), Vec::<String>::new());
        assert_eq!(matched("Ada had forgotten the flag"), ["Ada had forgotten"]);
        assert_eq!(matched("Grace messed up the rollout"), ["Grace messed up"]);
        assert_eq!(matched("Grace merged the fix for the regression"), Vec::<String>::new());
        assert_eq!(matched("Ada spoke with Grace about the alert"), Vec::<String>::new());
        assert_eq!(rules("Ada broke the build"), ["named_cause"]);
        assert_eq!(check("Ada broke the build", &[]), vec![]);
    }

    #[test]
    fn first_names_need_three_letters() {
        assert_eq!(rules("Bo broke the build"), Vec::<String>::new());
        assert_eq!(matched("Bo Diddley broke the build"), ["Bo Diddley broke"]);
        assert_eq!(check("Bo broke the build", &["Bo"]).len(), 1, "a one-word name is a full name");
    }

    #[test]
    fn because_of_a_person() {
        assert_eq!(matched("It failed because Ada broke the schema"), ["because Ada broke"]);
        assert_eq!(matched("It failed because of Ada's change"), ["because of Ada's change"]);
        assert_eq!(matched("It failed due to Grace"), ["due to Grace"]);
        assert_eq!(rules("We recovered because of Ada's dashboard"), Vec::<String>::new());
    }

    #[test]
    fn blame_as_a_verb_about_a_person() {
        assert_eq!(matched("We blamed her at first"), ["blamed her"]);
        assert_eq!(matched("They blamed the outage on the engineers"), ["blamed the outage on the engineers"]);
        assert_eq!(rules("Blame culture slows learning"), Vec::<String>::new());
        assert_eq!(rules("without blame"), Vec::<String>::new());
        assert_eq!(matched("They're to blame"), ["to blame"]);
    }

    #[test]
    fn fault_is_not_a_technical_fault() {
        assert_eq!(rules("The disk's fault tolerance held."), Vec::<String>::new());
        assert_eq!(rules("It's fault injection week."), Vec::<String>::new());
        assert_eq!(rules("A page fault storm"), Vec::<String>::new());
        assert_eq!(rules("The scheduler was at fault"), ["fault"]);
        assert_eq!(matched("the users' fault"), ["users' fault"]);
    }

    #[test]
    fn responsible_for_a_verdict_not_a_duty() {
        assert_eq!(matched("He was responsible for causing it"), ["responsible for causing"]);
        assert_eq!(matched("responsible for this incident."), ["responsible for this incident"]);
        assert_eq!(rules("The commander is responsible for the incident response."), Vec::<String>::new());
    }

    #[test]
    fn just_only_in_hindsight_phrases() {
        assert_eq!(rules("The fix was just a config flag."), Vec::<String>::new());
        assert_eq!(matched("You could just restart it"), ["could just"]);
        assert_eq!(rules("A change of course after the first rollback"), Vec::<String>::new());
    }

    #[test]
    fn overlapping_matches_keep_the_most_specific() {
        assert_eq!(matched("She simply failed to page"), ["She simply failed to"]);
        assert_eq!(rules("Ada failed to renew it"), ["failed_to"]);
        let text = "Grace missed it, obviously a careless mistake by the team.";
        let flags = check(text, NAMES);
        assert_well_formed(text, &flags);
        assert_eq!(
            flags.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(),
            ["named_cause", "hindsight", "careless", "careless"]
        );
    }

    #[test]
    fn odd_names_do_not_break_matching() {
        let names = ["", "   ", "!!", "O'Brien", "Jean-Luc Picard"];
        assert_eq!(matched_with("O'Brien broke it", &names), ["O'Brien broke"]);
        assert_eq!(matched_with("Jean-Luc caused it", &names), ["Jean-Luc caused"]);
        assert_eq!(matched_with("It broke", &names), Vec::<String>::new());
    }

    fn matched_with(text: &str, names: &[&str]) -> Vec<String> {
        check(text, names).into_iter().map(|f| f.matched).collect()
    }

    #[test]
    fn summary_counts_phrases() {
        assert_eq!(summary(&[]), "");
        let one = check("human error", NAMES);
        assert_eq!(summary(&one), "1 phrase may read as blame");
        let two = check("human error, obviously", NAMES);
        assert_eq!(summary(&two), "2 phrases may read as blame");
    }

    #[test]
    fn flags_serialize_round_trip() {
        let flags = check("Ada broke it", NAMES);
        let json = serde_json::to_string(&flags).unwrap();
        assert!(json.contains("\"rule\":\"named_cause\""));
        assert_eq!(serde_json::from_str::<Vec<BlamelessFlag>>(&json).unwrap(), flags);
    }
}
