//! JSON that Juju's YAML reader takes back unchanged, for the tools ops-rs feeds with
//! `--file -` (`relation-set`, `state-set`).
//!
//! JSON is YAML, but Juju reads these files with yaml.v2, whose reader refuses some characters
//! that JSON allows raw ([`crate::hookcmds::limits`] has the list), and which takes U+0085,
//! U+2028 and U+2029 as line breaks, folding them (and the spaces around them) inside a
//! string. serde_json writes all of them raw. Written as `\uXXXX` escapes, which both JSON and
//! YAML read as the character itself, they reach Juju intact.

use serde::Serialize;
use serde_json::ser::Formatter;

/// Whether yaml.v2 would refuse or change `c` written raw inside a double-quoted string.
pub(crate) fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}'
    )
}

/// serde_json's compact output, with [`needs_escape`] characters escaped.
struct YamlSafe;

impl Formatter for YamlSafe {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if needs_escape(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// `value` as one line of JSON in which every character yaml.v2 reads differently is escaped.
pub(crate) fn to_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, YamlSafe);
    value.serialize(&mut ser)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn escapes_what_yaml_v2_refuses_or_folds_and_nothing_else() {
        let value =
            "a\u{7f}b\u{80}\u{85}\u{9f}\u{a0}é\u{2028}\u{2029}\u{fffd}\u{fffe}\u{ffff}😀\n\"";
        let map = BTreeMap::from([("k\u{7f}".to_owned(), value.to_owned())]);
        let out = String::from_utf8(to_vec(&map).unwrap()).unwrap();
        assert_eq!(
            out,
            "{\"k\\u007f\":\"a\\u007fb\\u0080\\u0085\\u009f\u{a0}é\\u2028\\u2029\u{fffd}\\ufffe\\uffff😀\\n\\\"\"}"
        );
        assert!(!out.chars().any(needs_escape));
        // The same value back, through JSON...
        let back: BTreeMap<String, String> = serde_json::from_str(&out).unwrap();
        assert_eq!(back, map);
        // ...and through YAML.
        let back: BTreeMap<String, String> = serde_norway::from_str(&out).unwrap();
        assert_eq!(back, map);
    }

    #[test]
    fn plain_text_is_what_serde_json_writes() {
        let map = BTreeMap::from([("a", "b c"), ("n", "1\t2")]);
        assert_eq!(to_vec(&map).unwrap(), serde_json::to_vec(&map).unwrap());
    }
}
