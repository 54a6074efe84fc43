//! The word lists the rules match against, each a space-separated list of lowercase words.

pub(super) const ERROR_SOURCES: &str = "human operator user pilot";
pub(super) const HYPHENATED_ERRORS: &str = "human-error human-errors operator-error user-error pilot-error";
/// After "user error" these name a metric or a message, not a verdict ("the user error rate").
pub(super) const ERROR_METRICS: &str =
    "rate rates count counts message messages page pages code codes budget budgets log logs \
    response responses handling handler ratio metric metrics spike spikes path paths state states type types class \
    classes dialog banner";

pub(super) const HINDSIGHT_ALWAYS: &[&[&str]] = &[
    &["should", "have"],
    &["should've"],
    &["shouldn't", "have"],
    &["should", "not", "have"],
    &["ought", "to", "have"],
    &["ought", "not", "to", "have"],
    &["oughtn't", "to", "have"],
];
pub(super) const HINDSIGHT_PERSON: &[&[&str]] = &[&["could", "have"], &["could've"]];
/// After "should have" these make it possession ("should have a canary"), not hindsight.
pub(super) const POSSESSION: &str =
    "a an the more fewer less some any no enough its their our his her my your both each every \
    at better one two three several many much this that these those separate dedicated proper";

pub(super) const JUDGEMENTS: &str =
    "careless carelessly negligent negligently sloppy sloppily lazy lazily incompetent \
    incompetently reckless recklessly stupid stupidly";
pub(super) const LAZY_TECH: &str =
    "load loads loaded loading evaluation evaluated evaluate initialization initialisation \
    initialized initialised init static iterator iterators import imports imported fetch fetched fetching \
    compilation compiled allocation allocated deletion sequence sequences list lists value values val binding \
    bindings cell lock mode migration migrations expiry expiration computed created instantiated instantiation \
    rendering rendered hydration hydrated future futures stream streams query queries cache";
pub(super) const MISTAKE_BY: &[&[&str]] = &[
    &["mistake", "by"],
    &["mistakes", "by"],
    &["mistake", "made", "by"],
    &["mistakes", "made", "by"],
    &["mistake", "was", "made", "by"],
    &["mistakes", "were", "made", "by"],
];

pub(super) const SUBJECT_PRONOUNS: &str = "he she they we i you someone somebody anyone anybody";
pub(super) const OBJECT_PRONOUNS: &str =
    "him her them me us you himself herself themselves myself ourselves yourself yourselves \
    someone somebody anyone anybody everyone everybody";
pub(super) const ROLE_NOUNS: &str =
    "engineer engineers operator operators on-call oncall developer developers dev devs sre sres \
    responder responders reviewer reviewers admin admins administrator administrators intern interns contractor \
    contractors employee employees person people human humans team staff dba dbas";
/// Roles that read as people even without a determiner ("engineers failed to").
pub(super) const PLURAL_ROLES: &str =
    "engineers operators developers devs sres responders reviewers admins administrators \
    interns contractors employees people humans dbas";
pub(super) const DETERMINERS: &str = "the a an our their his her your my this that another one each";
/// Words allowed between a subject and its verb ("she had failed to", "we simply failed to").
pub(super) const SUBJECT_SKIP: &str =
    "had has have also then again both all repeatedly simply just clearly obviously completely \
    initially apparently really probably";

pub(super) const NAME_ADVERBS: &str =
    "had has have also then again just accidentally mistakenly inadvertently unknowingly \
    unintentionally apparently";
pub(super) const CAUSAL_VERBS: &str =
    "broke broken breaks caused causes forgot forgotten forgets missed misses overlooked \
    ignored ignores misconfigured botched skipped neglected messed screwed mistyped fat-fingered";
/// Neutral actions: causal only when what was acted on is marked as bad.
pub(super) const ACTION_VERBS: &str =
    "ran run runs pushed pushes deployed deploys merged merges shipped ships applied applies \
    released releases introduced introduces deleted deletes dropped drops removed removes changed approved \
    committed wrote typed executed rolled enabled disabled set edited updated modified configured";
pub(super) const BAD_MARKERS: &str =
    "bad broken faulty buggy wrong incorrect untested unreviewed erroneous mistaken bug bugs \
    regression typo breaking invalid malformed defective";
/// What a person's change is called when the possessive names them as its cause ("Ada's commit").
pub(super) const CHANGE_NOUNS: &str =
    "change changes commit commits deploy deploys deployment deployments mistake mistakes \
    error errors typo typos pr merge push patch oversight bug bugs regression misconfiguration";

pub(super) const POSSESSIVE_PRONOUNS: &str = "his her their my our your";
/// "it's", "that's" and the like are contractions, not possessives.
pub(super) const CONTRACTION_BASES: &str = "it that what here there who he she let where how this nobody noone";
/// After "fault" these make it a technical term ("fault tolerance").
pub(super) const FAULT_TECH: &str =
    "tolerance tolerant injection injections domain domains line lines isolation handling \
    handler handlers detection code codes zone zones tree trees model models condition conditions path paths mode \
    modes current state";
pub(super) const BE_FORMS: &str = "is are was were be been being am";
pub(super) const PASSIVE_AUX: &str = "is are was were be been being am got get gets getting";
pub(super) const BLAME_FORMS: &str = "blame blamed blames blaming";
pub(super) const BLAME_AS_NOUN: &str = "git svn hg no without";
pub(super) const RESPONSIBLE_DETS: &str = "the this that an a these those today's yesterday's";
pub(super) const INCIDENT_NOUNS: &str =
    "outage outages incident incidents failure failures downtime breakage regression bug \
    problem issue mess disruption";
/// After "responsible for the incident" these make it a duty, not a verdict ("the incident channel").
pub(super) const RESPONSIBLE_DUTIES: &str =
    "response channel commander command review reviews process management report reports \
    postmortem timeline call bridge room doc document retro retrospective comms communication communications \
    handling coordination triage runbook ticket tickets queue rotation tracker tracking follow-up followup log \
    write-up";

/// Before "clearly" these make it about legibility ("the graph did not clearly show"), not hindsight.
pub(super) const CLEARLY_QUALIFIERS: &str = "not more less as so very how too never fairly";
pub(super) const HINDSIGHT_PHRASES: &[&[&str]] = &[
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
pub(super) fn listed(list: &str, word: &str) -> bool {
    list.split_whitespace().any(|w| w == word)
}
