//! The JSON-schema `format`s an action parameter may declare, checked as Juju's validator
//! checks them: a string that is not what its format says is refused; a format this list
//! does not know is an annotation only (as JSON Schema says of unknown formats).
//!
//! | format | a valid value |
//! | --- | --- |
//! | `date-time` | RFC 3339, e.g. `2025-01-02T03:04:05Z` |
//! | `date` | `YYYY-MM-DD` |
//! | `email` | `local@domain`, no spaces |
//! | `hostname` | RFC 1123: dot-separated labels of 1 to 63 letters, digits and inner hyphens, 253 characters at most |
//! | `ipv4`, `ipv6` | an address as Rust's standard library parses it |
//! | `uri` | an absolute URI: a scheme (`https:`, `s3:`, ...) then no whitespace |
//! | `uuid` | 8-4-4-4-12 hexadecimal digits |
//! | `regex` | a regular expression |

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Whether `text` is a valid `format`; `true` for a format not in the table.
pub(crate) fn matches(format: &str, text: &str) -> bool {
    match format {
        "date-time" => OffsetDateTime::parse(text, &Rfc3339).is_ok(),
        "date" => is_date(text),
        "email" => is_email(text),
        "hostname" => is_hostname(text),
        "ipv4" => text.parse::<std::net::Ipv4Addr>().is_ok(),
        "ipv6" => text.parse::<std::net::Ipv6Addr>().is_ok(),
        "uri" => is_uri(text),
        "uuid" => is_uuid(text),
        "regex" => regex_lite::Regex::new(text).is_ok(),
        _ => true,
    }
}

fn is_date(text: &str) -> bool {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format).is_ok()
}

fn is_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !text.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

fn is_hostname(text: &str) -> bool {
    let text = text.strip_suffix('.').unwrap_or(text);
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn is_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !text.chars().any(char::is_whitespace)
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn each_format_accepts_and_refuses() {
        let cases = [
            ("date-time", "2025-01-02T03:04:05Z", "2025-01-02 03:04"),
            ("date", "2025-01-02", "2025-13-02"),
            ("email", "ops@example.com", "ops at example.com"),
            ("hostname", "db-0.example.com", "-db.example.com"),
            ("ipv4", "10.0.0.7", "10.0.0.256"),
            ("ipv6", "fe80::1", "fe80:::1"),
            ("uri", "s3://bucket/backups", "bucket/backups"),
            (
                "uuid",
                "123e4567-e89b-12d3-a456-426614174000",
                "123e4567-e89b-12d3",
            ),
            ("regex", "^[a-z]+$", "("),
        ];
        for (format, good, bad) in cases {
            assert!(matches(format, good), "{format}: {good}");
            assert!(!matches(format, bad), "{format}: {bad}");
        }
        assert!(matches("no-such-format", "anything"));
    }
}
