//! [`JujuStore`]: the state in Juju's controller-side store (`state-get`/`state-set`).

use std::sync::Arc;

use super::{Store, StoreData, StoreError};
use crate::hookcmds::HookToolRunner;

/// The key under which the state document is kept.
const KEY: &str = "ops-rs-state";
/// The version of the stored document.
const DOC_VERSION: u32 = 1;

#[derive(serde::Serialize, serde::Deserialize)]
struct Doc {
    version: u32,
    #[serde(flatten)]
    data: StoreData,
}

/// The unit's state in Juju's controller-side store, for pods whose disk does not survive.
///
/// [`load`](Store::load) runs `state-get --format=json`; [`commit`](Store::commit) writes the
/// whole document once with `state-set --file -`. Juju applies `state-set` only when the hook
/// succeeds, so a failed dispatch (nothing written, non-zero exit) leaves the old state.
pub struct JujuStore {
    runner: Arc<dyn HookToolRunner>,
    staged: Option<StoreData>,
}

impl std::fmt::Debug for JujuStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JujuStore").finish_non_exhaustive()
    }
}

impl JujuStore {
    /// A store over the hook tools of `runner`.
    pub fn new(runner: Arc<dyn HookToolRunner>) -> Self {
        JujuStore {
            runner,
            staged: None,
        }
    }
}

fn format(detail: impl Into<String>) -> StoreError {
    StoreError::Format {
        store: "Juju",
        detail: detail.into(),
    }
}

impl Store for JujuStore {
    fn load(&mut self) -> Result<StoreData, StoreError> {
        if let Some(d) = &self.staged {
            return Ok(d.clone());
        }
        let out = self
            .runner
            .run("state-get", &["--format=json".to_owned()], None)
            .map_err(|source| StoreError::Juju {
                what: "state-get",
                source,
            })?;
        if out.iter().all(u8::is_ascii_whitespace) {
            return Ok(StoreData::default());
        }
        let all: Option<std::collections::HashMap<String, String>> = serde_json::from_slice(&out)
            .map_err(|e| {
            format(format!(
                "state-get answered something other than a map ({:?})",
                e.classify()
            ))
        })?;
        let Some(doc) = all.and_then(|mut m| m.remove(KEY)) else {
            return Ok(StoreData::default());
        };
        let doc: Doc = serde_json::from_str(&doc)
            .map_err(|e| format(format!("key {KEY}: {:?} error", e.classify())))?;
        if doc.version > DOC_VERSION {
            return Err(format(format!(
                "key {KEY} has version {}, newer than this ops-rs understands ({DOC_VERSION}); \
                 refresh the charm to a revision built with a newer ops-rs",
                doc.version
            )));
        }
        Ok(doc.data)
    }

    fn save(&mut self, data: &StoreData) -> Result<(), StoreError> {
        self.staged = Some(data.clone());
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let Some(data) = self.staged else {
            return Ok(());
        };
        let doc = serde_json::to_string(&Doc {
            version: DOC_VERSION,
            data,
        })
        .map_err(|e| format(format!("cannot encode the state: {e}")))?;
        let mut map = serde_json::Map::new();
        map.insert(KEY.to_owned(), serde_json::Value::String(doc));
        let input = serde_json::to_vec(&map)
            .map_err(|e| format(format!("cannot encode the state: {e}")))?;
        self.runner
            .run(
                "state-set",
                &["--file".to_owned(), "-".to_owned()],
                Some(&input),
            )
            .map_err(|source| StoreError::Juju {
                what: "state-set",
                source,
            })?;
        Ok(())
    }
}
