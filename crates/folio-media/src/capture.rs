//! Capture time from EXIF's text fields: DateTimeOriginal with its sub-seconds and offset.
//! Pure parsing over bytes, so every odd camera string can be unit-tested.
//!
//! EXIF stores the camera's wall-clock time without a zone; OffsetTimeOriginal (EXIF 2.31)
//! says which zone. When it is known the time becomes UTC; when it is not, the local time is
//! kept as it is and the offset is reported unknown rather than guessed (SPEC §4).

use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, Timelike, Utc};

/// When a photo was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CaptureTime {
    /// The camera's wall-clock time, with the SubSecTimeOriginal fraction when the file had
    /// one, so a burst of shots within one second still sorts in order.
    pub local: NaiveDateTime,
    /// The camera's UTC offset, when the file says it.
    pub offset: Option<FixedOffset>,
}

impl CaptureTime {
    /// The instant in UTC, when the offset is known.
    pub fn utc(&self) -> Option<DateTime<Utc>> {
        let offset = self.offset?;
        Some((self.local - offset).and_utc())
    }

    /// SPEC §4 `taken_at`: RFC 3339 in UTC ("2008-05-30T13:56:01.5Z") when the offset is
    /// known, else the local time without a zone ("2008-05-30T15:56:01.5"). The fraction is
    /// written only when there is one, in 3, 6 or 9 digits.
    pub fn taken_at(&self) -> String {
        match self.utc() {
            Some(utc) => utc.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            None => self.local.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
        }
    }

    /// SPEC §4 `taken_at_offset`: "+02:00", or None when unknown.
    pub fn taken_at_offset(&self) -> Option<String> {
        self.offset.map(|o| o.to_string())
    }
}

/// Builds a capture time from the raw ASCII of DateTimeOriginal, SubSecTimeOriginal and the
/// offset tag. A missing, blank or impossible date gives None; a bad sub-second or offset is
/// dropped on its own, keeping the date.
pub fn capture_time(
    datetime: &[u8],
    subsec: Option<&[u8]>,
    offset: Option<&[u8]>,
) -> Option<CaptureTime> {
    let mut local = parse_datetime(datetime)?;
    if let Some(nanos) = subsec.and_then(parse_subsec) {
        local = local.with_nanosecond(nanos)?;
    }
    Some(CaptureTime {
        local,
        offset: offset.and_then(parse_offset),
    })
}

/// EXIF text without its NUL terminator and padding.
fn text(bytes: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(bytes).ok()?;
    let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!s.is_empty()).then_some(s)
}

/// "YYYY:MM:DD HH:MM:SS" as EXIF writes it, or with dashes in the date or a `T`, which some
/// software writes instead. Blank ("    :  :     :  :  ") and zero dates give None.
pub fn parse_datetime(bytes: &[u8]) -> Option<NaiveDateTime> {
    let s = text(bytes)?;
    [
        "%Y:%m:%d %H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y:%m:%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s.get(..19)?, f).ok())
}

/// SubSecTime digits as nanoseconds: "5" is 0.5 s, "016" is 16 ms; beyond nine digits the
/// rest is dropped. Anything but digits gives None.
pub fn parse_subsec(bytes: &[u8]) -> Option<u32> {
    let s = text(bytes)?;
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = &s[..s.len().min(9)];
    let value: u32 = digits.parse().ok()?;
    Some(value * 10u32.pow(9 - digits.len() as u32))
}

/// OffsetTime text "+HH:MM" or "-HH:MM" (also "Z" and "+HHMM", which some software writes).
/// Blank ("   :  ") or out of range (beyond ±18 hours) gives None.
pub fn parse_offset(bytes: &[u8]) -> Option<FixedOffset> {
    let s = text(bytes)?;
    if s == "Z" {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    // Only ASCII can be an offset; slicing other text at byte 2 could split a character.
    if !rest.is_ascii() {
        return None;
    }
    let (h, m) = match rest.len() {
        5 if rest.as_bytes()[2] == b':' => (&rest[..2], &rest[3..]),
        4 => (&rest[..2], &rest[2..]),
        _ => return None,
    };
    if !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 18 || m >= 60 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(parse_offset(b"+02:00"), FixedOffset::east_opt(7200));
        assert_eq!(parse_offset(b"-04:00\0"), FixedOffset::east_opt(-4 * 3600));
        assert_eq!(
            parse_offset(b"+05:45"),
            FixedOffset::east_opt(5 * 3600 + 45 * 60)
        );
        assert_eq!(
            parse_offset(b"+0530"),
            FixedOffset::east_opt(5 * 3600 + 30 * 60)
        );
        assert_eq!(parse_offset(b"Z"), FixedOffset::east_opt(0));
        assert_eq!(parse_offset(b"   :  "), None);
        assert_eq!(parse_offset(b""), None);
        assert_eq!(parse_offset(b"02:00"), None);
        assert_eq!(parse_offset(b"+99:00"), None);
        assert_eq!(parse_offset(b"+02:75"), None);
        assert_eq!(parse_offset(b"+a2:00"), None);
        // Four bytes whose second and third are one character: slicing at byte 2 panicked
        // (POST /api/photos/remote's taken_at_offset reaches this with any text).
        assert_eq!(parse_offset("+1é0".as_bytes()), None);
        assert_eq!(parse_offset("+é:00".as_bytes()), None);
    }

    #[test]
    fn subseconds() {
        assert_eq!(parse_subsec(b"5"), Some(500_000_000));
        assert_eq!(parse_subsec(b"016"), Some(16_000_000));
        assert_eq!(parse_subsec(b"00"), Some(0));
        assert_eq!(parse_subsec(b"1234567891234"), Some(123_456_789));
        assert_eq!(parse_subsec(b"  "), None);
        assert_eq!(parse_subsec(b"12a"), None);
    }

    #[test]
    fn dates() {
        assert!(parse_datetime(b"2008:05:30 15:56:01\0").is_some());
        assert!(parse_datetime(b"2008-05-30T15:56:01").is_some());
        assert_eq!(parse_datetime(b"    :  :     :  :  "), None);
        assert_eq!(parse_datetime(b"0000:00:00 00:00:00"), None);
        assert_eq!(parse_datetime(b"2008:02:30 15:56:01"), None);
        assert_eq!(parse_datetime(b"2008:05:30"), None);
        assert_eq!(parse_datetime("2008:05:30 15:56:0é".as_bytes()), None);
    }

    #[test]
    fn with_an_offset_the_time_is_utc() {
        let t = capture_time(b"2008:05:30 15:56:01", Some(b"50"), Some(b"+02:00")).unwrap();
        assert_eq!(t.taken_at(), "2008-05-30T13:56:01.500Z");
        assert_eq!(t.taken_at_offset().as_deref(), Some("+02:00"));
        // Crossing midnight backwards.
        let t = capture_time(b"2022:01:01 01:00:00", None, Some(b"+03:00")).unwrap();
        assert_eq!(t.taken_at(), "2021-12-31T22:00:00Z");
    }

    #[test]
    fn without_an_offset_the_local_time_is_kept() {
        let t = capture_time(b"2015:04:10 20:12:23", Some(b"016"), None).unwrap();
        assert_eq!(t.taken_at(), "2015-04-10T20:12:23.016");
        assert_eq!(t.taken_at_offset(), None);
        assert_eq!(t.utc(), None);
        let t = capture_time(b"2015:04:10 20:12:23", Some(b"xx"), Some(b"   :  ")).unwrap();
        assert_eq!(t.taken_at(), "2015-04-10T20:12:23");
    }

    #[test]
    fn subseconds_break_ties() {
        let a = capture_time(b"2015:04:10 20:12:23", Some(b"016"), None).unwrap();
        let b = capture_time(b"2015:04:10 20:12:23", Some(b"550"), None).unwrap();
        assert!(a.local < b.local);
    }
}
