//! [`RelationStatus`]: a status the provider raises on a relation (the `status` field, a
//! JSON list), which the requirer turns into `status-raised` and `status-resolved`.

use serde::{Deserialize, Serialize};

use super::protocol::json_kind;

/// One status a provider raised on a relation: a numeric code whose thousands say its kind
/// (1xxx informational, 4xxx transitory, 5xxx fatal), a message and a resolution.
///
/// ```
/// use ops_interface_database::v0::RelationStatus;
/// let s = RelationStatus { code: 4001, message: "rebalancing".into(), resolution: "wait".into() };
/// assert!(s.is_transitory() && !s.is_fatal());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelationStatus {
    /// The code.
    pub code: i64,
    /// What happened.
    pub message: String,
    /// What to do about it.
    pub resolution: String,
}

impl RelationStatus {
    /// A 1xxx code.
    pub fn is_informational(&self) -> bool {
        self.code / 1000 == 1
    }

    /// A 4xxx code: it should clear by itself.
    pub fn is_transitory(&self) -> bool {
        self.code / 1000 == 4
    }

    /// A 5xxx code: the relation must be removed.
    pub fn is_fatal(&self) -> bool {
        self.code / 1000 == 5
    }

    /// The statuses in `text` (a JSON list), and what was wrong with the entries skipped.
    pub(crate) fn parse_list(text: &str) -> (Vec<RelationStatus>, Vec<String>) {
        let items = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Array(items)) => items,
            Ok(other) => {
                return (
                    Vec::new(),
                    vec![format!("is {} instead of a list", json_kind(&other))],
                );
            }
            Err(e) => return (Vec::new(), vec![format!("is not JSON ({e})")]),
        };
        let mut statuses = Vec::new();
        let mut problems = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            match serde_json::from_value::<RelationStatus>(item) {
                Ok(s) => statuses.push(s),
                Err(e) => problems.push(format!(
                    "has an entry ({i}) that is not {{code, message, resolution}}: {e}"
                )),
            }
        }
        (statuses, problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_bad_entries_are_reported() {
        let (ok, bad) = RelationStatus::parse_list(
            r#"[{"code": 1001, "message": "m", "resolution": "r"}, {"code": "x"}]"#,
        );
        assert_eq!(ok.len(), 1);
        assert!(ok[0].is_informational());
        assert_eq!(bad.len(), 1);
        assert!(bad[0].contains("entry (1)"), "{bad:?}");
        assert!(RelationStatus::parse_list("{}").1[0].contains("an object"));
        assert!(RelationStatus::parse_list("nope").1[0].contains("not JSON"));
    }
}
