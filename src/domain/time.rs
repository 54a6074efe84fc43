//! Durations and instants as responders read them: always a full date, UTC beside the reader's zone.

use chrono::{DateTime, Duration, Utc};

/// "2d 03h 05m", "1h 05m", "4m 09s", "12s": the coarsest units that still say how long it has been.
pub fn format_duration(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    let (days, hours, mins, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if days > 0 {
        format!("{days}d {hours:02}h {mins:02}m")
    } else if hours > 0 {
        format!("{hours}h {mins:02}m")
    } else if mins > 0 {
        format!("{mins}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

/// How long an incident has lasted: until it was resolved, or until `now` while it is still open.
pub fn incident_duration(started: DateTime<Utc>, resolved: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Duration {
    resolved.unwrap_or(now) - started
}

/// `2026-11-23 05:23:34 UTC`: unambiguous across days and zones.
pub fn format_utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A filter's bound: `2026-11-23` (a UTC day; as an end, the whole day counts) or RFC 3339.
pub fn parse_bound(input: &str, end: bool) -> Result<DateTime<Utc>, String> {
    let s = input.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date: use 2026-11-23 or 2026-11-23T06:20:00Z"))?;
    let day = if end { day.succ_opt().unwrap_or(day) } else { day };
    Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// How far ahead of the server clock a responder's "occurred at" may be (clock skew between laptops).
pub const FUTURE_TOLERANCE_SECS: i64 = 60;

#[cfg(feature = "ssr")]
pub use zoned::*;

#[cfg(feature = "ssr")]
mod zoned {
    use super::FUTURE_TOLERANCE_SECS;
    use crate::domain::{Stamp, User};
    use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
    use chrono_tz::Tz;

    /// The reader's zone (UTC when theirs is not one we know).
    pub fn zone(user: &User) -> Tz {
        parse_zone(&user.time_zone).unwrap_or(Tz::UTC)
    }

    /// An instant as a page shows it: ISO for machines, UTC and the reader's zone for people.
    pub fn stamp(t: DateTime<Utc>, tz: Tz) -> Stamp {
        Stamp {
            iso: t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            utc: super::format_utc(t),
            local: format_in_zone(t, tz),
        }
    }

    /// Parses an IANA zone name such as `Europe/Paris`.
    pub fn parse_zone(name: &str) -> Result<Tz, String> {
        name.trim()
            .parse::<Tz>()
            .map_err(|_| format!("unknown time zone {:?}: use an IANA name such as Europe/Paris", name.trim()))
    }

    /// `Mon 23 Nov 2026 06:23:34 CET (Europe/Paris)`.
    pub fn format_in_zone(t: DateTime<Utc>, tz: Tz) -> String {
        let local = t.with_timezone(&tz);
        format!("{} ({})", local.format("%a %d %b %Y %H:%M:%S %Z"), tz.name())
    }

    /// Parses a responder's "occurred at": RFC 3339 with an offset, or a `datetime-local` value
    /// (`2026-11-23T06:20`, seconds optional) read in the responder's own zone. Refuses the future.
    pub fn parse_occurred_at(input: &str, tz: Tz, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
        let s = input.trim();
        let t = if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            t.with_timezone(&Utc)
        } else {
            let naive = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
                .ok_or_else(|| {
                    format!(
                        "{s:?} is not a date and time: use 2026-11-23T06:20 or RFC 3339 such as 2026-11-23T05:20:00Z"
                    )
                })?;
            tz.from_local_datetime(&naive)
                .earliest()
                .ok_or_else(|| format!("{s} does not exist in {} (a daylight-saving gap)", tz.name()))?
                .with_timezone(&Utc)
        };
        if t > now + chrono::Duration::seconds(FUTURE_TOLERANCE_SECS) {
            return Err("cannot be in the future".into());
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_days_or_instants() {
        assert_eq!(parse_bound("2026-11-23", false).unwrap().to_rfc3339(), "2026-11-23T00:00:00+00:00");
        assert_eq!(parse_bound("2026-11-23", true).unwrap().to_rfc3339(), "2026-11-24T00:00:00+00:00");
        assert_eq!(parse_bound("2026-11-23T06:20:00+01:00", true).unwrap().to_rfc3339(), "2026-11-23T05:20:00+00:00");
        assert!(parse_bound("yesterday", false).unwrap_err().contains("not a date"));
    }
    use chrono::TimeZone;

    #[test]
    fn durations_use_the_coarsest_units() {
        assert_eq!(format_duration(Duration::seconds(12)), "12s");
        assert_eq!(format_duration(Duration::seconds(249)), "4m 09s");
        assert_eq!(format_duration(Duration::seconds(3900)), "1h 05m");
        assert_eq!(format_duration(Duration::seconds(2 * 86_400 + 3 * 3600 + 5 * 60)), "2d 03h 05m");
        assert_eq!(format_duration(Duration::seconds(-5)), "0s", "clock skew never shows negative");
    }

    #[test]
    fn duration_stops_at_resolution() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let now = start + Duration::hours(5);
        assert_eq!(incident_duration(start, None, now), Duration::hours(5));
        assert_eq!(incident_duration(start, Some(start + Duration::hours(2)), now), Duration::hours(2));
    }

    #[test]
    fn utc_format_has_full_date() {
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 5, 3, 4).unwrap();
        assert_eq!(format_utc(t), "2026-11-23 05:03:04 UTC");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn occurred_at_accepts_rfc3339_and_local_input() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let paris = parse_zone("Europe/Paris").unwrap();
        let t = parse_occurred_at("2026-11-23T10:00:00+01:00", paris, now).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap());
        let local = parse_occurred_at("2026-11-23T10:00", paris, now).unwrap();
        assert_eq!(local, Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(), "local time read in the zone");
        assert!(parse_occurred_at("yesterday", paris, now).unwrap_err().contains("not a date"));
        assert_eq!(parse_occurred_at("2026-11-24T10:00:00Z", paris, now).unwrap_err(), "cannot be in the future");
        assert!(parse_occurred_at("2026-11-23T12:00:30Z", paris, now).is_ok(), "small clock skew tolerated");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn zoned_format_names_the_zone() {
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 5, 3, 4).unwrap();
        let tz = parse_zone("Pacific/Auckland").unwrap();
        assert_eq!(format_in_zone(t, tz), "Mon 23 Nov 2026 18:03:04 NZDT (Pacific/Auckland)");
        assert!(parse_zone("Mars/Olympus").is_err());
    }
}
