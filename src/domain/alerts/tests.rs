use super::*;
use serde_json::json;

fn am(alerts: serde_json::Value) -> serde_json::Value {
    json!({
        "version": "4", "groupKey": "{}:{alertname=\"HighErrorRate\"}", "status": "firing", "receiver": "debrief",
        "groupLabels": {"alertname": "HighErrorRate", "service": "checkout"},
        "commonLabels": {"alertname": "HighErrorRate"}, "commonAnnotations": {},
        "externalURL": "http://am:9093", "alerts": alerts
    })
}

fn alert(status: &str, severity: &str, fp: &str) -> serde_json::Value {
    json!({
        "status": status, "labels": {"alertname": "HighErrorRate", "severity": severity, "service": "checkout"},
        "annotations": {"summary": "5% of checkouts fail"}, "startsAt": "2026-12-01T10:00:00Z",
        "endsAt": if status == "resolved" { "2026-12-01T10:30:00Z" } else { "0001-01-01T00:00:00Z" },
        "generatorURL": "http://prometheus:9090/graph?g0.expr=x", "fingerprint": fp
    })
}

fn rules() -> AlertRules {
    AlertRules {
        severity_rules: vec![
            SeverityRule { label: "severity".into(), value: "critical".into(), severity: Severity::Sev1 },
            SeverityRule { label: "severity".into(), value: "warning".into(), severity: Severity::Sev3 },
        ],
        default_severity: Severity::Sev2,
        service_labels: vec!["service".into(), "team_service".into()],
    }
}

#[test]
fn alertmanager_payloads_are_read_with_their_alerts() {
    let b = parse_alertmanager(&am(json!([alert("firing", "warning", "a1"), alert("resolved", "critical", "b2")])))
        .unwrap();
    assert_eq!(b.title, "HighErrorRate (service=checkout)");
    assert_eq!(b.alerts.len(), 2);
    assert_eq!(b.alerts[0].ends_at, None, "the zero end time of a firing alert is no end");
    assert_eq!(b.alerts[1].ends_at.unwrap().to_rfc3339(), "2026-12-01T10:30:00+00:00");
    assert_eq!(b.alerts[0].summary, "5% of checkouts fail");
    assert_eq!(b.alerts[0].source_url.as_deref(), Some("http://prometheus:9090/graph?g0.expr=x"));
    assert!(event_text(&b.alerts[0]).starts_with("Alert firing: 5% of checkouts fail\nLabels: alertname=HighErrorRate"));
}

#[test]
fn payloads_of_another_shape_say_what_is_wrong() {
    let e = parse_alertmanager(&json!({"hello": "world"})).unwrap_err();
    assert!(e.starts_with("This is not an Alertmanager webhook payload") && e.contains("version"), "{e}");
    let mut p = am(json!([alert("firing", "x", "a")]));
    p["version"] = json!("3");
    assert!(parse_alertmanager(&p).unwrap_err().contains("version \"3\""));
    assert!(parse_alertmanager(&am(json!([]))).unwrap_err().contains("1 to"));
    assert!(parse_alertmanager(&am(json!([alert("pending", "x", "a")]))).unwrap_err().contains("alerts[0].status"));
    let mut p = am(json!([alert("firing", "x", "a")]));
    p["groupKey"] = json!(" ");
    assert!(parse_alertmanager(&p).unwrap_err().contains("groupKey is required"));
}

#[test]
fn a_missing_fingerprint_comes_from_the_labels_and_is_stable() {
    let mut a = alert("firing", "x", "");
    a.as_object_mut().unwrap().remove("fingerprint");
    let one = parse_alertmanager(&am(json!([a.clone()]))).unwrap();
    let two = parse_alertmanager(&am(json!([a]))).unwrap();
    assert_eq!(one.alerts[0].fingerprint, two.alerts[0].fingerprint);
    assert!(one.alerts[0].fingerprint.contains("severity=x"));
}

#[test]
fn links_that_are_not_http_are_dropped() {
    let mut a = alert("firing", "x", "f");
    a["generatorURL"] = json!("javascript:alert(1)");
    assert_eq!(parse_alertmanager(&am(json!([a]))).unwrap().alerts[0].source_url, None);
}

#[test]
fn severity_is_the_first_matching_rule_and_the_most_severe_firing_alert() {
    let r = rules();
    let labels = |s: &str| Labels::from([("severity".to_string(), s.to_string())]);
    assert_eq!(r.severity_of(&labels("CRITICAL")), Severity::Sev1);
    assert_eq!(r.severity_of(&labels("warning")), Severity::Sev3);
    assert_eq!(r.severity_of(&labels("unheard-of")), Severity::Sev2, "the default");
    let b =
        parse_alertmanager(&am(json!([alert("firing", "warning", "a"), alert("resolved", "critical", "b")]))).unwrap();
    assert_eq!(r.batch_severity(&b), Severity::Sev3, "a resolved alert does not raise the severity");
    assert_eq!(r.batch_services(&b), vec!["checkout".to_string()]);
}

#[test]
fn generic_alerts_are_checked_field_by_field() {
    let g = |v: serde_json::Value| serde_json::from_value::<GenericAlert>(v).unwrap();
    let errs = parse_generic(&g(json!({"status": "burning", "source_url": "ftp://x", "dedup_key": ""}))).unwrap_err();
    for f in ["title", "status", "dedup_key", "source_url"] {
        assert!(errs.contains_key(f), "{f}: {errs:?}");
    }
    let (b, status) = parse_generic(&g(json!({
        "title": "Disk full", "severity": "critical", "services": ["db", "DB"], "dedup_key": "disk-1",
        "status": "firing", "source_url": "https://grafana/d/1"
    })))
    .unwrap();
    assert_eq!(status, AlertStatus::Firing);
    assert_eq!(rules().batch_severity(&b), Severity::Sev1, "the sender's value goes through the rules");
    assert_eq!(rules().batch_services(&b), vec!["db".to_string()]);
    let (b, _) = parse_generic(&g(json!({"dedup_key": "disk-1", "status": "resolved"}))).unwrap();
    assert_eq!(b.alerts[0].status, AlertStatus::Resolved);
    let (b, _) =
        parse_generic(&g(json!({"title": "t", "severity": "SEV4", "dedup_key": "k", "status": "firing"}))).unwrap();
    assert_eq!(rules().batch_severity(&b), Severity::Sev4, "a severity key is taken as it is");
}

#[test]
fn rules_are_checked_and_name_the_bad_field() {
    let input = RulesInput {
        severity_rules: parse_rule_lines("severity=critical SEV1\nseverity=warning SEV9\n9bad=x SEV2\nnonsense"),
        default_severity: "SEV3".into(),
        service_labels: vec!["service".into(), "bad label".into()],
    };
    let errs = AlertRules::from_input(&input).unwrap_err();
    assert!(errs["severity_rules[1].severity"].contains("unknown severity"), "{errs:?}");
    assert!(errs.contains_key("severity_rules[2].label"));
    assert!(errs.contains_key("severity_rules[3].value") && errs.contains_key("severity_rules[3].severity"));
    assert!(errs.contains_key("service_labels[1]"));
    let form = form_errors("severity=critical SEV1\n\nseverity=warning SEV9\n9bad=x SEV2\nnonsense", errs);
    let rules_msg = &form["rules"];
    assert!(rules_msg.contains("\u{201c}severity=warning SEV9\u{201d}: ") && rules_msg.contains("unknown severity"));
    assert!(rules_msg.contains("\u{201c}9bad=x SEV2\u{201d}") && rules_msg.contains("\u{201c}nonsense\u{201d}"));
    assert!(form.contains_key("service_labels") && !form.keys().any(|k| k.contains('[')), "{form:?}");
    let ok = RulesInput {
        severity_rules: parse_rule_lines("severity = critical SEV1"),
        default_severity: "sev2".into(),
        service_labels: vec!["service".into(), " ".into()],
    };
    let r = AlertRules::from_input(&ok).unwrap();
    assert_eq!(r.rules_text(), "severity=critical SEV1");
    assert_eq!(r.service_labels, vec!["service".to_string()]);
    assert_eq!(r.default_severity, Severity::Sev2);
}
