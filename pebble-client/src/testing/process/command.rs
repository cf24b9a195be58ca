//! A service `command` split into arguments as Pebble does: shell-like words (quotes and
//! backslash escapes, no shell expansion), with an optional trailing `[ ... ]` group of
//! default arguments.

/// Why a service command could not be parsed; the messages are Pebble's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// A quote was opened and never closed.
    #[error("EOF found when expecting closing quote")]
    UnclosedQuote,
    /// The command ends with a lone backslash.
    #[error("EOF found after escape character")]
    TrailingEscape,
    /// The command has no words.
    #[error("empty command")]
    Empty,
    /// The first word opens a `[ ... ]` group.
    #[error("cannot start command with [ ... ] group")]
    GroupFirst,
    /// A `[` inside a group.
    #[error("cannot nest [ ... ] groups")]
    Nested,
    /// Words after the closing `]`.
    #[error("cannot have any arguments after [ ... ] group")]
    AfterGroup,
    /// A `]` with no group open.
    #[error("cannot have ] outside of [ ... ] group")]
    StrayClose,
}

/// A parsed service command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCommand {
    /// The program and its fixed arguments.
    pub base: Vec<String>,
    /// The default arguments from the `[ ... ]` group (empty without one).
    pub extra: Vec<String>,
}

impl ServiceCommand {
    /// Parses a command as Pebble does.
    pub fn parse(command: &str) -> Result<ServiceCommand, CommandError> {
        let words = split(command)?;
        let mut base = Vec::new();
        let mut extra = Vec::new();
        let (mut inside, mut seen) = (false, false);
        for (i, w) in words.into_iter().enumerate() {
            if inside {
                match w.as_str() {
                    "[" => return Err(CommandError::Nested),
                    "]" => inside = false,
                    _ => extra.push(w),
                }
                continue;
            }
            if seen {
                return Err(CommandError::AfterGroup);
            }
            match w.as_str() {
                "[" if i == 0 => return Err(CommandError::GroupFirst),
                "[" => (inside, seen) = (true, true),
                "]" => return Err(CommandError::StrayClose),
                _ => base.push(w),
            }
        }
        if base.is_empty() {
            return Err(CommandError::Empty);
        }
        Ok(ServiceCommand { base, extra })
    }

    /// The full argument vector: base then default arguments.
    pub fn argv(&self) -> impl Iterator<Item = &str> {
        self.base.iter().chain(&self.extra).map(String::as_str)
    }
}

/// Splits `input` into words: blanks separate words; `'...'` is literal; `"..."` allows
/// `\"`, `\\`, `\$`, `` \` `` and an escaped newline; outside quotes a backslash escapes any
/// character; `#` at the start of a word comments out the rest of the line.
pub fn split(input: &str) -> Result<Vec<String>, CommandError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '#' if !in_word => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(n) => word.push(n),
                    None => return Err(CommandError::TrailingEscape),
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(n) => word.push(n),
                        None => return Err(CommandError::UnclosedQuote),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(n @ ('"' | '\\' | '$' | '`')) => word.push(n),
                            Some('\n') => {}
                            Some(n) => {
                                word.push('\\');
                                word.push(n);
                            }
                            None => return Err(CommandError::UnclosedQuote),
                        },
                        Some(n) => word.push(n),
                        None => return Err(CommandError::UnclosedQuote),
                    }
                }
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn words(s: &str) -> Vec<String> {
        split(s).unwrap()
    }

    #[test]
    fn splits_like_a_shell_without_expansion() {
        assert_eq!(words("a  b\tc"), ["a", "b", "c"]);
        assert_eq!(
            words(r#"sh -c 'echo "hi $X"'"#),
            ["sh", "-c", r#"echo "hi $X""#]
        );
        assert_eq!(words(r#"x "a \"b\" \n" c\ d"#), ["x", r#"a "b" \n"#, "c d"]);
        assert_eq!(words("a'b'\"c\" # comment\nd"), ["abc", "d"]);
        assert_eq!(words("''"), [""]);
        assert_eq!(words("a#b"), ["a#b"]);
    }

    #[test]
    fn rejects_unclosed_quotes_and_trailing_escapes() {
        assert_eq!(split("a 'b"), Err(CommandError::UnclosedQuote));
        assert_eq!(split("a \"b"), Err(CommandError::UnclosedQuote));
        assert_eq!(split("a \\"), Err(CommandError::TrailingEscape));
    }

    #[test]
    fn default_args_group() {
        let c = ServiceCommand::parse("/bin/app --x [ --port 80 ]").unwrap();
        assert_eq!(c.base, ["/bin/app", "--x"]);
        assert_eq!(c.extra, ["--port", "80"]);
        assert_eq!(
            c.argv().collect::<Vec<_>>(),
            ["/bin/app", "--x", "--port", "80"]
        );
        let plain = ServiceCommand::parse("/bin/app").unwrap();
        assert!(plain.extra.is_empty());
        assert_eq!(
            ServiceCommand::parse("/bin/app '[' x").unwrap().extra,
            ["x"]
        );
    }

    #[test]
    fn group_errors_are_pebbles() {
        let err = |s| ServiceCommand::parse(s).unwrap_err().to_string();
        assert_eq!(err("[ a ]"), "cannot start command with [ ... ] group");
        assert_eq!(err("a [ b [ c ] ]"), "cannot nest [ ... ] groups");
        assert_eq!(
            err("a [ b ] c"),
            "cannot have any arguments after [ ... ] group"
        );
        assert_eq!(err("a ] b"), "cannot have ] outside of [ ... ] group");
        assert_eq!(err("  "), "empty command");
    }
}
