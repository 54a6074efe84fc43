//! Input rules shared by the forms and the JSON API. Each returns the cleaned value or a message
//! written for the person who typed it.

use std::collections::BTreeMap;

/// Field name → message. Ordered, so error output is stable.
pub type FieldErrors = BTreeMap<String, String>;

pub const TITLE_MAX: usize = 200;
pub const SUMMARY_MAX: usize = 20_000;
pub const NOTE_MAX: usize = 20_000;
pub const SERVICE_MAX: usize = 64;
pub const SERVICES_MAX: usize = 20;
pub const NAME_MAX: usize = 100;
pub const PASSWORD_MIN: usize = 12;
/// Long enough for any passphrase; short enough that hashing it costs what hashing costs.
pub const PASSWORD_MAX: usize = 1_000;
/// Close reasons, review comments' section names and other one-line texts.
pub const REASON_MAX: usize = 2_000;
/// Search words and filter values typed into a list's filter form.
pub const QUERY_MAX: usize = 200;

pub fn title(input: &str) -> Result<String, String> {
    let t = input.trim();
    let n = t.chars().count();
    if n == 0 {
        Err("Give the incident a title: what is broken, as users see it".into())
    } else if n > TITLE_MAX {
        Err(format!("Keep the title under {TITLE_MAX} characters (it has {n}); put detail in the summary"))
    } else {
        Ok(t.to_string())
    }
}

pub fn summary(input: &str) -> Result<String, String> {
    let t = input.trim();
    if t.chars().count() > SUMMARY_MAX {
        return Err(format!("The summary is limited to {SUMMARY_MAX} characters"));
    }
    Ok(t.to_string())
}

pub fn note(input: &str) -> Result<String, String> {
    trimmed(input, NOTE_MAX, Some("Write what happened before adding the note"), || {
        format!("A note is limited to {NOTE_MAX} characters")
    })
}

/// A stakeholder update's message: required, as long as a note at most.
pub fn update_message(input: &str) -> Result<String, String> {
    trimmed(input, NOTE_MAX, Some("Say what is happening: stakeholders read this first"), || {
        format!("An update is limited to {NOTE_MAX} characters")
    })
}

/// The impact on customers: optional, a paragraph at most.
pub fn impact(input: &str) -> Result<String, String> {
    trimmed(input, REASON_MAX, None, || format!("The impact is limited to {REASON_MAX} characters"))
}

/// How far ahead the next update may be promised.
pub const NEXT_UPDATE_MAX_HOURS: i64 = 72;

/// When the next update is promised: RFC 3339 (the API) or a number of minutes from now (the form's
/// choices), in the future and at most `NEXT_UPDATE_MAX_HOURS` ahead.
pub fn next_update(input: &str, now: chrono::DateTime<chrono::Utc>) -> Result<chrono::DateTime<chrono::Utc>, String> {
    let s = input.trim();
    let at = match s.parse::<i64>() {
        Ok(minutes) => now + chrono::Duration::minutes(minutes),
        Err(_) => chrono::DateTime::parse_from_rfc3339(s)
            .map_err(|_| {
                format!("{s:?} is not a time: use RFC 3339 such as 2026-11-23T06:20:00Z, or minutes from now")
            })?
            .with_timezone(&chrono::Utc),
    };
    if at <= now {
        return Err("The next update must be promised for later than now".into());
    }
    if at > now + chrono::Duration::hours(NEXT_UPDATE_MAX_HOURS) {
        return Err(format!("Promise the next update within {NEXT_UPDATE_MAX_HOURS} hours"));
    }
    Ok(at)
}

/// Affected services, comma- or newline-separated; duplicates dropped, order kept.
pub fn services(input: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for s in input.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
        if s.chars().count() > SERVICE_MAX {
            return Err(format!("Service names are limited to {SERVICE_MAX} characters: {s:?}"));
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(s)) {
            out.push(s.to_string());
        }
    }
    if out.len() > SERVICES_MAX {
        return Err(format!("List at most {SERVICES_MAX} services"));
    }
    Ok(out)
}

pub fn services_list(list: &[String]) -> Result<Vec<String>, String> {
    services(&list.join(","))
}

pub fn email(input: &str) -> Result<String, String> {
    let t = input.trim();
    let ok = t.len() <= 254
        && t.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.starts_with('.') && !t.contains(char::is_whitespace)
        });
    if ok {
        Ok(t.to_string())
    } else {
        Err("Enter an email address such as ada@example.com".into())
    }
}

/// Trimmed text of at most `max` characters; `missing` is the message when it may not be empty.
fn trimmed(
    input: &str,
    max: usize,
    missing: Option<&str>,
    too_long: impl FnOnce() -> String,
) -> Result<String, String> {
    let t = input.trim();
    match (t.chars().count(), missing) {
        (0, Some(m)) => Err(m.to_string()),
        (n, _) if n > max => Err(too_long()),
        _ => Ok(t.to_string()),
    }
}

/// Why a person corrected a moment: required, so the record says where the time came from.
pub fn correction_reason(input: &str) -> Result<String, String> {
    trimmed(
        input,
        REASON_MAX,
        Some("Say why, for example \u{201c}the first customer report came in at 06:02\u{201d}"),
        || format!("The reason is limited to {REASON_MAX} characters"),
    )
}

pub fn person_name(input: &str) -> Result<String, String> {
    trimmed(input, NAME_MAX, Some("Enter a name"), || format!("Names are limited to {NAME_MAX} characters"))
}

/// A team name; empty means none.
pub fn team(input: &str) -> Result<String, String> {
    trimmed(input, NAME_MAX, None, || format!("Team names are limited to {NAME_MAX} characters"))
}

pub fn password(input: &str) -> Result<(), String> {
    match input.chars().count() {
        n if n < PASSWORD_MIN => Err(format!("Use at least {PASSWORD_MIN} characters")),
        n if n > PASSWORD_MAX => Err(format!("Use at most {PASSWORD_MAX} characters")),
        _ => Ok(()),
    }
}

/// Why an incident is closed without a postmortem: required, one paragraph at most.
pub fn close_reason(input: &str) -> Result<String, String> {
    let missing = Some("Say why this incident needs no postmortem");
    trimmed(input, REASON_MAX, missing, || format!("The reason is limited to {REASON_MAX} characters"))
}

/// What a reviewer asks to change: required, as long as a note may be.
pub fn review_comment(input: &str) -> Result<String, String> {
    trimmed(input, NOTE_MAX, Some("Say what should change"), || {
        format!("A comment is limited to {NOTE_MAX} characters")
    })
}

/// A search or filter value; empty means none.
pub fn query(input: &str) -> Result<String, String> {
    trimmed(input, QUERY_MAX, None, || format!("Search for at most {QUERY_MAX} characters"))
}

/// An optional form or query value, trimmed; `None` when absent or blank.
pub fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Collects per-field results: `check(&mut errs, "title", validate::title(x))` keeps going after the
/// first failure so a form shows every problem at once.
/// The name of something an admin sets up (an integration, a destination): 1 to 80 characters.
pub fn setup_name(input: &str, what: &str, example: &str) -> Result<String, String> {
    let name = input.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(format!("Name the {what} (at most 80 characters), for example \u{201c}{example}\u{201d}"));
    }
    Ok(name.to_string())
}

/// An optional filter or field as typed: trimmed, and none when left blank.
pub fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub fn check<T>(errs: &mut FieldErrors, field: &str, r: Result<T, String>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            errs.insert(field.to_string(), e);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_need_a_message_and_a_next_time_ahead_but_not_too_far() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z").unwrap().to_utc();
        assert!(update_message("  ").is_err());
        assert_eq!(
            update_message(" Checkout is failing for 5% of users ").unwrap(),
            "Checkout is failing for 5% of users"
        );
        assert!(impact(&"x".repeat(REASON_MAX + 1)).is_err());
        assert_eq!(next_update("30", now).unwrap().to_rfc3339(), "2026-12-01T10:30:00+00:00");
        assert_eq!(next_update("2026-12-01T11:00:00Z", now).unwrap().to_rfc3339(), "2026-12-01T11:00:00+00:00");
        assert!(next_update("2026-12-01T09:59:00Z", now).unwrap_err().contains("later than now"));
        assert!(next_update("0", now).is_err());
        assert!(next_update("2026-12-05T10:00:00Z", now).unwrap_err().contains("72 hours"));
        assert!(next_update("soon", now).unwrap_err().contains("not a time"));
    }

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(title("  API down  ").unwrap(), "API down");
        assert!(title("   ").unwrap_err().contains("title"));
        assert!(title(&"x".repeat(300)).unwrap_err().contains("300"));
        assert!(title(&"é".repeat(TITLE_MAX)).is_ok(), "counted in characters, not bytes");
        assert!(password(&"p".repeat(PASSWORD_MAX)).is_ok());
        assert!(password(&"p".repeat(PASSWORD_MAX + 1)).unwrap_err().contains("at most"));
        assert!(close_reason("  ").is_err() && close_reason(&"r".repeat(REASON_MAX + 1)).is_err());
        assert_eq!(close_reason(" Duplicate of INC-3 ").unwrap(), "Duplicate of INC-3");
        assert!(review_comment("").is_err() && review_comment(&"c".repeat(NOTE_MAX + 1)).is_err());
        assert!(query(&"q".repeat(QUERY_MAX)).is_ok() && query(&"q".repeat(QUERY_MAX + 1)).is_err());
    }

    #[test]
    fn services_split_dedupe_and_bound() {
        assert_eq!(services("api, db,\nAPI, ,cache").unwrap(), vec!["api", "db", "cache"]);
        assert!(services(&"s".repeat(65)).is_err());
        let many: Vec<String> = (0..21).map(|i| format!("s{i}")).collect();
        assert!(services(&many.join(",")).is_err());
        assert_eq!(services("").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn notes_must_say_something() {
        assert!(note(" \n ").is_err());
        assert_eq!(note(" rolled back ").unwrap(), "rolled back");
    }

    #[test]
    fn emails_and_passwords() {
        assert!(email("ada@example.com").is_ok());
        assert!(email("ada").is_err());
        assert!(email("a b@example.com").is_err());
        assert!(password("short").is_err());
        assert!(password("long enough pass").is_ok());
    }

    #[test]
    fn check_collects_all_errors() {
        let mut errs = FieldErrors::new();
        assert!(check(&mut errs, "title", title("")).is_none());
        assert_eq!(check(&mut errs, "summary", summary("ok")).as_deref(), Some("ok"));
        assert!(check(&mut errs, "email", email("nope")).is_none());
        assert_eq!(errs.keys().collect::<Vec<_>>(), vec!["email", "title"]);
    }
}
