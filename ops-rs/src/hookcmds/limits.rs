//! What Linux and Juju let through the hook tools, and what ops-rs does so that a charm meets
//! an error naming the limit instead of a lost result or a stuck unit.
//!
//! This table is where these numbers are stated; the code that checks them, and the in-memory
//! Juju of `ops::testing` that enforces them as Juju does, use the constants below.
//!
//! | What | Limit | Who refuses it, and how | What ops-rs does |
//! |---|---|---|---|
//! | One command-line argument | [`MAX_ARG_STRLEN`] bytes with its NUL (Linux `MAX_ARG_STRLEN`) | the kernel: the tool never starts (`E2BIG`, "Argument list too long"); whatever the argument carried is lost | `juju-log` and `action-log` send long text in several calls, split on character boundaries; `status-set`, `action-fail` and `application-version-set` cut the message and end it with [`truncation_marker`]; `action-set` puts results in several calls; anything else too long (one action result, a secret's label or description) is refused before the tool runs |
//! | One command line | [`MAX_ARGV_TOTAL`] bytes for arguments and environment together (a quarter of the default 8 MiB stack limit) | the kernel, as above | `action-set` calls are kept under [`ACTION_SET_ARGV_BUDGET`], leaving room for the hook's environment |
//! | A key of Juju's state store (`state-set`) | [`MAX_STATE_KEY_LEN`] bytes (`quota.MaxCharmStateKeySize`) | `state-set`: `max allowed key length (256) exceeded` | the Juju-side store uses short fixed keys |
//! | A value of Juju's state store | [`MAX_STATE_VALUE_LEN`] bytes (`quota.MaxCharmStateValueSize`) | `state-set`: `max allowed value length (65536) exceeded` | the Juju-side store splits its parts into values of at most this size |
//! | All of a unit's state-store values | [`MAX_STATE_SIZE`] bytes as Juju stores the map ([`state_store_size`]), the controller's default `max-charm-state-size` | Juju, when it commits the hook's changes: `persisting charm state: max allowed size (2097152) exceeded`, and the hook fails | the Juju-side store refuses to commit past it, naming the limit |
//! | One secret value | [`MAX_SECRET_VALUE_LEN`] bytes once base64-encoded | `secret-add`/`secret-set`: `base64 encoded secret content for key "k" too large: N bytes` | refused before the tool runs |
//! | All of a secret's values | [`MAX_SECRET_CONTENT_LEN`] bytes once base64-encoded | `secret-add`/`secret-set`: `base64 encoded secret content too large: N bytes` | refused before the tool runs |
//! | YAML read with `--file` (`relation-set`, `state-set`) | no raw U+007F, U+0080–U+009F (U+0085 is a line break), U+FFFE, U+FFFF (yaml.v2's reader) | the tool: `yaml: control characters are not allowed` | ops-rs writes JSON (which is YAML) with those characters, and the line breaks U+0085, U+2028 and U+2029, as `\uXXXX` escapes |
//!
//! Sources: Linux `include/uapi/linux/binfmts.h` and `fs/exec.c`; Juju `core/quota/`,
//! `internal/worker/uniter/runner/context/context.go` (`SetCharmStateValue`), the unit state
//! operation behind `max-charm-state-size`, and `core/secrets/createsecret.go`; yaml.v2
//! `readerc.go`.
//!
//! ```
//! use ops::hookcmds::limits::{self, MAX_ARG_LEN};
//! let text = "é".repeat(100_000); // 200,000 bytes: more than one argument takes
//! let parts = limits::split_utf8(&text, MAX_ARG_LEN);
//! assert_eq!(parts.len(), 2);
//! assert!(parts.iter().all(|p| p.len() <= MAX_ARG_LEN));
//! assert_eq!(parts.concat(), text);
//! ```

use std::borrow::Cow;

/// The longest argument Linux passes to a program, in bytes, its terminating NUL included
/// (`MAX_ARG_STRLEN`, 32 pages of 4 KiB).
pub const MAX_ARG_STRLEN: usize = 131_072;

/// The most bytes of text one argument can carry ([`MAX_ARG_STRLEN`] less the NUL).
pub const MAX_ARG_LEN: usize = MAX_ARG_STRLEN - 1;

/// The most bytes Linux takes for a program's arguments and environment together, with the
/// default 8 MiB stack limit (a quarter of it). Each string counts with its NUL and the
/// pointer to it.
pub const MAX_ARGV_TOTAL: usize = 2 * 1024 * 1024;

/// What ops-rs puts in the arguments of one `action-set` call at most, so that with the
/// hook's environment the command line stays under [`MAX_ARGV_TOTAL`].
pub const ACTION_SET_ARGV_BUDGET: usize = 1024 * 1024;

/// The longest key of Juju's state store, in bytes (`quota.MaxCharmStateKeySize`).
pub const MAX_STATE_KEY_LEN: usize = 256;

/// The longest value of Juju's state store, in bytes (`quota.MaxCharmStateValueSize`).
pub const MAX_STATE_VALUE_LEN: usize = 64 * 1024;

/// The most a unit may keep in Juju's state store, in bytes as [`state_store_size`] counts
/// them: the default of the controller setting `max-charm-state-size`.
pub const MAX_STATE_SIZE: usize = 2 * 1024 * 1024;

/// The longest secret value, in bytes once base64-encoded (Juju's `maxValueSizeBytes`).
pub const MAX_SECRET_VALUE_LEN: usize = 1_000_000;

/// The most a secret's values may add up to, in bytes once base64-encoded (Juju's
/// `maxContentSizeBytes`).
pub const MAX_SECRET_CONTENT_LEN: usize = 1_000_000;

/// Whether `arg` fits in one command-line argument.
pub fn fits_in_arg(arg: &str) -> bool {
    arg.len() <= MAX_ARG_LEN
}

/// Whether Linux would start `program` with `args`: each argument (the program's name too)
/// within [`MAX_ARG_STRLEN`], and all of them within [`MAX_ARGV_TOTAL`], counting each with
/// its NUL and its pointer. The environment counts too; it is not known here, so a command
/// line that fits may still fail with a large environment.
pub fn fits_on_command_line(program: &str, args: &[String]) -> bool {
    let strings = || std::iter::once(program).chain(args.iter().map(String::as_str));
    let pointer = std::mem::size_of::<usize>();
    strings().all(|a| a.len() < MAX_ARG_STRLEN)
        && strings().map(|a| a.len() + 1 + pointer).sum::<usize>() <= MAX_ARGV_TOTAL
}

/// `text` cut into pieces of at most `max_bytes` bytes each, on character boundaries (a piece
/// holds at least one character, even one longer than `max_bytes`). Empty text is one piece.
pub fn split_utf8(text: &str, max_bytes: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while rest.len() > max_bytes {
        let mut cut = max_bytes;
        while cut > 0 && !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if cut == 0 {
            cut = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        let (head, tail) = rest.split_at(cut);
        out.push(head);
        rest = tail;
    }
    if !rest.is_empty() || out.is_empty() {
        out.push(rest);
    }
    out
}

/// What ends a message ops-rs cut to fit: says how much is missing.
pub fn truncation_marker(cut_bytes: usize) -> String {
    format!(" [{cut_bytes} more bytes cut: too long for one command-line argument]")
}

/// `text` itself if it has at most `max_bytes` bytes; otherwise its beginning, cut on a
/// character boundary, followed by [`truncation_marker`], in at most `max_bytes` bytes.
///
/// ```
/// use ops::hookcmds::limits::truncate_utf8;
/// assert_eq!(truncate_utf8("short", 100), "short");
/// let long = "x".repeat(200);
/// let cut = truncate_utf8(&long, 100);
/// assert!(cut.len() <= 100 && cut.ends_with("too long for one command-line argument]"));
/// ```
pub fn truncate_utf8(text: &str, max_bytes: usize) -> Cow<'_, str> {
    if text.len() <= max_bytes {
        return Cow::Borrowed(text);
    }
    // The marker is longest when the most is cut; sizing it for the whole text keeps the
    // result within `max_bytes` whatever is finally cut.
    let room = max_bytes.saturating_sub(truncation_marker(text.len()).len());
    let mut keep = room.min(text.len());
    while keep > 0 && !text.is_char_boundary(keep) {
        keep -= 1;
    }
    let mut out = text[..keep].to_owned();
    out.push_str(&truncation_marker(text.len() - keep));
    Cow::Owned(out)
}

/// The size Juju counts for a unit's state store holding `entries`: the BSON document it
/// stores (4 bytes of length, per entry a type byte, the key with `.` and `$` escaped as
/// three-byte characters and a NUL, 4 bytes of length, the value and a NUL; a final NUL).
/// Compared with [`MAX_STATE_SIZE`].
///
/// ```
/// use ops::hookcmds::limits::state_store_size;
/// assert_eq!(state_store_size([("a", "bc")]), 4 + (1 + 1 + 1 + 4 + 2 + 1) + 1);
/// assert_eq!(state_store_size([("a.b", "")]), state_store_size([("a-b", "")]) + 2);
/// ```
pub fn state_store_size<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> usize {
    let per_entry = |(k, v): (&str, &str)| {
        let escaped_key = k.len() + 2 * k.bytes().filter(|b| matches!(b, b'.' | b'$')).count();
        1 + escaped_key + 1 + 4 + v.len() + 1
    };
    4 + entries.into_iter().map(per_entry).sum::<usize>() + 1
}

/// The length of `n` bytes in standard base64 with padding, as Juju counts secret content.
pub fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_character_boundaries() {
        assert_eq!(split_utf8("", 3), [""]);
        assert_eq!(split_utf8("abc", 3), ["abc"]);
        assert_eq!(split_utf8("abcd", 3), ["abc", "d"]);
        // "é" is two bytes: a cut at 3 would split the second one.
        assert_eq!(split_utf8("éé", 3), ["é", "é"]);
        // A piece smaller than one character still makes progress.
        assert_eq!(split_utf8("€€", 2), ["€", "€"]);
        let text = "aé€😀".repeat(1000);
        for max in [4, 5, 7, 100] {
            let parts = split_utf8(&text, max);
            assert_eq!(parts.concat(), text);
            assert!(parts.iter().all(|p| p.len() <= max && !p.is_empty()));
        }
    }

    #[test]
    fn truncation_fits_and_says_how_much_is_missing() {
        let fits = "é".repeat(MAX_ARG_LEN / 2);
        assert!(matches!(
            truncate_utf8(&fits, MAX_ARG_LEN),
            Cow::Borrowed(_)
        ));
        let long = "é".repeat(MAX_ARG_LEN);
        let cut = truncate_utf8(&long, MAX_ARG_LEN);
        assert!(cut.len() <= MAX_ARG_LEN, "{}", cut.len());
        let kept = cut.find(" [").unwrap_or(0);
        assert_eq!(
            cut[kept..],
            truncation_marker(long.len() - kept),
            "the marker counts what was cut"
        );
        assert!(cut.starts_with("éé"));
    }

    #[test]
    fn base64_lengths() {
        assert_eq!(base64_len(0), 0);
        assert_eq!(base64_len(1), 4);
        assert_eq!(base64_len(3), 4);
        assert_eq!(base64_len(4), 8);
        assert_eq!(base64_len(750_000), MAX_SECRET_VALUE_LEN);
    }
}
