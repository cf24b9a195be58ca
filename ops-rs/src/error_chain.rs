//! One line for an error and its sources, as the framework logs a failure.

/// The message of `e` and all its sources: `a: caused by b: caused by c`.
///
/// A message that already ends with its source's text (`"{what}: {source}"`, as thiserror's
/// `#[error("...: {source}")]` writes) says it, so the source is not repeated.
pub(crate) fn error_chain(e: &(dyn std::error::Error + '_)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let msg = s.to_string();
        if !parts.last().is_some_and(|p| p.ends_with(&msg)) {
            parts.push(msg);
        }
        cur = s.source();
    }
    parts.join(": caused by ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct Leaf(&'static str);

    #[derive(Debug, thiserror::Error)]
    #[error("{what}")]
    struct Wrap {
        what: &'static str,
        #[source]
        source: Leaf,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("reading config: {source}")]
    struct SaysIt {
        #[source]
        source: Leaf,
    }

    #[test]
    fn sources_are_joined_once() {
        let e = Wrap {
            what: "cannot start",
            source: Leaf("the database is not ready"),
        };
        assert_eq!(
            error_chain(&e),
            "cannot start: caused by the database is not ready"
        );
        let e = SaysIt {
            source: Leaf("no such file"),
        };
        assert_eq!(error_chain(&e), "reading config: no such file");
    }
}
