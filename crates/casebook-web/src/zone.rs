//! The one time zone every date on a page is shown in: the config's
//! `display_timezone` (UTC unless set), or the one a person chose on the
//! settings page (kept with their user). A thread whose messages each
//! kept their sender's offset made a reply look five hours older than the
//! question it answered; in one zone, with the zone written beside the
//! time, the order on the page is the order in time.

use jiff::tz::TimeZone;
use jiff::Timestamp;

/// A named time zone dates are shown in.
#[derive(Debug, Clone)]
pub struct DisplayZone {
    name: String,
    tz: TimeZone,
}

/// A zone name the time zone database does not know.
#[derive(Debug, thiserror::Error)]
#[error("{name:?} is not a time zone this machine knows (an IANA name such as UTC, Europe/Berlin or America/New_York; Debian's tzdata package installs them): {reason}")]
pub struct UnknownZone {
    pub name: String,
    reason: String,
}

impl Default for DisplayZone {
    fn default() -> Self {
        Self::utc()
    }
}

impl DisplayZone {
    pub fn utc() -> Self {
        Self {
            name: "UTC".to_owned(),
            tz: TimeZone::UTC,
        }
    }

    /// The zone of this IANA name (`UTC`, `Europe/Berlin`).
    pub fn named(name: &str) -> Result<Self, UnknownZone> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("utc") {
            return Ok(Self::utc());
        }
        // Names are short; anything else is not one (a cookie is input).
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c))
        {
            return Err(UnknownZone {
                name: name.to_owned(),
                reason: "not a zone name".to_owned(),
            });
        }
        let tz = TimeZone::get(name).map_err(|e| UnknownZone {
            name: name.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            name: tz.iana_name().unwrap_or(name).to_owned(),
            tz,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `2024-03-05 14:23 CET`: the minute, in this zone, with the zone's
    /// abbreviation for that moment (or the time as it was written,
    /// `no date` if there is none).
    pub fn minute(&self, unix: i64) -> String {
        self.format(unix, "%Y-%m-%d %H:%M %Z")
    }

    /// `2024-03-05`: the day, in this zone.
    pub fn day(&self, unix: i64) -> String {
        self.format(unix, "%Y-%m-%d")
    }

    fn format(&self, unix: i64, pattern: &str) -> String {
        match Timestamp::from_second(unix) {
            Ok(t) => t
                .to_zoned_datetime(self.tz.clone())
                .strftime(pattern)
                .to_string(),
            Err(_) => "no date".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_moment_reads_in_the_zone_chosen() {
        // 2024-03-05 13:23:00 UTC
        let at = 1_709_644_980;
        assert_eq!(DisplayZone::utc().minute(at), "2024-03-05 13:23 UTC");
        let berlin = DisplayZone::named("Europe/Berlin").expect("tzdata installed");
        assert_eq!(berlin.minute(at), "2024-03-05 14:23 CET");
        // Summer time is the zone's, not a fixed offset.
        assert_eq!(berlin.minute(at + 120 * 86_400), "2024-07-03 15:23 CEST");
        assert_eq!(
            DisplayZone::named("America/New_York")
                .expect("tzdata")
                .day(at - 14 * 3600),
            "2024-03-04"
        );
    }

    #[test]
    fn names_that_are_no_zone_are_refused_with_the_fix() {
        for bad in ["Mars/Olympus", "", "../../etc/passwd", "Europe/Berlin;x"] {
            let e = DisplayZone::named(bad).expect_err(bad).to_string();
            assert!(e.contains("IANA name"), "{e}");
        }
        assert_eq!(DisplayZone::named(" utc ").expect("utc").name(), "UTC");
    }
}
