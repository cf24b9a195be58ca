//! Storage declared by the charm.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The kind of a storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageType {
    /// A mounted filesystem.
    Filesystem,
    /// A raw block device.
    Block,
}

/// One storage entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct StorageMeta {
    /// filesystem or block.
    #[serde(rename = "type")]
    pub kind: StorageType,
    /// What the storage is for.
    #[serde(default)]
    pub description: String,
    /// Where a filesystem is mounted, if declared.
    #[serde(default)]
    pub location: Option<String>,
    /// Whether units share it.
    #[serde(default)]
    pub shared: bool,
    /// Whether it is mounted read-only.
    #[serde(default)]
    pub read_only: bool,
    /// The minimum size, as written (e.g. `1G`).
    #[serde(default)]
    pub minimum_size: Option<String>,
    /// How many instances: `(min, max)`, `max` `None` for unbounded; `None` when `multiple`
    /// is absent (exactly one).
    #[serde(
        default,
        deserialize_with = "multiple_range",
        serialize_with = "range_of_multiple"
    )]
    pub multiple: Option<(u32, Option<u32>)>,
}

fn multiple_range<'de, D: Deserializer<'de>>(d: D) -> Result<Option<(u32, Option<u32>)>, D::Error> {
    #[derive(Deserialize)]
    struct Multiple {
        range: serde_norway::Value,
    }
    let m = Option::<Multiple>::deserialize(d)?;
    let Some(m) = m else { return Ok(None) };
    let text = match m.range {
        serde_norway::Value::String(s) => s,
        serde_norway::Value::Number(n) => n.to_string(),
        other => {
            return Err(serde::de::Error::custom(format!(
                "multiple.range must be like 1, 1-3 or 2+, not {other:?}"
            )));
        }
    };
    parse_range(&text).map(Some).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "multiple.range must be like 1, 1-3 or 2+, not {text:?}"
        ))
    })
}

/// `multiple` as the metadata writes it (`{range: "1-3"}`, `{range: "2+"}`), so that it reads
/// back the same.
fn range_of_multiple<S: Serializer>(
    multiple: &Option<(u32, Option<u32>)>,
    s: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Multiple {
        range: String,
    }
    multiple
        .map(|(min, max)| Multiple {
            range: match max {
                Some(max) => format!("{min}-{max}"),
                None => format!("{min}+"),
            },
        })
        .serialize(s)
}

fn parse_range(text: &str) -> Option<(u32, Option<u32>)> {
    let t = text.trim();
    if let Some(min) = t.strip_suffix('+') {
        return Some((min.trim().parse().ok()?, None));
    }
    match t.split_once('-') {
        None => {
            let n = t.parse().ok()?;
            Some((n, Some(n)))
        }
        Some((a, b)) => {
            let min = a.trim().parse().ok()?;
            let b = b.trim();
            let max = if b.is_empty() {
                None
            } else {
                Some(b.parse().ok()?)
            };
            Some((min, max))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("2"), Some((2, Some(2))));
        assert_eq!(parse_range("1-3"), Some((1, Some(3))));
        assert_eq!(parse_range("1-"), Some((1, None)));
        assert_eq!(parse_range("2+"), Some((2, None)));
        assert_eq!(parse_range("x"), None);
    }
}
