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
