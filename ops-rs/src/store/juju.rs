//! [`JujuStore`]: the state in Juju's controller-side store (`state-get`/`state-set`).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{DeferredEntry, Store, StoreData, StoreError};
use crate::hookcmds::limits::{MAX_STATE_SIZE, MAX_STATE_VALUE_LEN, split_utf8, state_store_size};
use crate::hookcmds::{HookToolRunner, state};

/// The key of the version 1 layout: the whole state as one document.
const LEGACY_KEY: &str = "ops-rs-state";
/// The version 1 layout.
const LEGACY_VERSION: u32 = 1;
/// What every key of the current layout starts with.
const PREFIX: &str = "ops-rs/";
/// The key of the current layout's metadata.
const META_KEY: &str = "ops-rs/meta";
/// The version of the current layout.
const DOC_VERSION: u32 = 2;

/// The parts, in the order they are written.
const CHARM: &str = "charm";
const QUEUE: &str = "queue";
const BREAKERS: &str = "breakers";
const COMPONENTS: &str = "components";

/// The version 1 document.
#[derive(serde::Serialize, serde::Deserialize)]
struct LegacyDoc {
    version: u32,
    #[serde(flatten)]
    data: StoreData,
}

/// `ops-rs/meta`.
#[derive(serde::Serialize, serde::Deserialize)]
struct Meta {
    version: u32,
    #[serde(default)]
    event_counter: u64,
    #[serde(default)]
    parts: BTreeMap<String, usize>,
}

/// The unit's state in Juju's controller-side store, for pods whose disk does not survive.
///
/// [`load`](Store::load) runs `state-get --format=json` once; [`commit`](Store::commit) writes
/// the changed keys with one `state-set --file -` (and `state-delete` for keys no longer
/// used). Juju applies `state-set` only when the hook succeeds, so a failed dispatch leaves
/// the old state.
///
/// # Layout
///
/// Juju keeps each value and a unit's whole store to a size (the figures, and where Juju
/// checks them, are in [`crate::hookcmds::limits`]). The state is kept in parts, each
/// under keys of its own, as Python ops keeps one key per snapshot; a part longer than one
/// value is cut into pieces:
///
/// | Key | Holds |
/// |---|---|
/// | `ops-rs/meta` | `{"version": 2, "event_counter": N, "parts": {"charm": 3, ...}}`: how many pieces each part has |
/// | `ops-rs/charm/<i>` | piece `i` of the charm's stored state (its JSON) |
/// | `ops-rs/queue/<i>` | piece `i` of the deferred queue (a JSON array) |
/// | `ops-rs/breakers/<i>` | piece `i` of the circuit breakers (a JSON object) |
/// | `ops-rs/components/<i>` | piece `i` of the components' stored states (a JSON object by key) |
///
/// A commit writes only the keys whose value changed and deletes the keys no longer used.
/// Before that it adds up the store as Juju will (the charm's own keys included) and
/// refuses, with [`StoreError::JujuLimit`], a state Juju would not keep.
///
/// Version 1 kept everything as one document under `ops-rs-state`, which stopped working
/// past one value's size. It is still read, so a unit refreshed in place keeps its state; the first
/// commit rewrites it in parts and deletes the old key.
///
/// What Juju allows: at most [`MAX_STATE_SIZE`] bytes for the whole store, by default (the
/// controller setting `max-charm-state-size`); each value at most [`MAX_STATE_VALUE_LEN`]
/// bytes, which this store handles by cutting its parts into pieces. A state over the total
/// fails the commit with [`StoreError::JujuLimit`] before anything is written.
pub struct JujuStore {
    runner: Arc<dyn HookToolRunner>,
    /// Every key and value in Juju's store when it was read (the charm's own keys too).
    loaded: Option<BTreeMap<String, String>>,
    staged: Option<StoreData>,
}

impl std::fmt::Debug for JujuStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JujuStore").finish_non_exhaustive()
    }
}

fn format(detail: impl Into<String>) -> StoreError {
    StoreError::Format {
        store: "Juju",
        detail: detail.into(),
    }
}

fn juju(what: &'static str) -> impl FnOnce(crate::hookcmds::HookToolError) -> StoreError {
    move |e| match e {
        crate::hookcmds::HookToolError::Failed(source) => StoreError::Juju { what, source },
        other => format(format!("{what}: {other}")),
    }
}

fn json_error(what: &str, e: &serde_json::Error) -> StoreError {
    format(format!(
        "{what}: {:?} error at line {} column {}",
        e.classify(),
        e.line(),
        e.column()
    ))
}

impl JujuStore {
    /// A store over the hook tools of `runner`.
    pub fn new(runner: Arc<dyn HookToolRunner>) -> Self {
        JujuStore {
            runner,
            loaded: None,
            staged: None,
        }
    }

    /// Whether `key` of Juju's store is one this store writes (or wrote, in an older layout).
    pub fn is_own_key(key: &str) -> bool {
        key == LEGACY_KEY || key.starts_with(PREFIX)
    }

    /// The keys and values `data` is kept as (the current layout).
    pub fn encode(data: &StoreData) -> Result<BTreeMap<String, String>, StoreError> {
        let mut texts: Vec<(&str, String)> = Vec::new();
        if let Some(charm) = &data.charm_state {
            texts.push((CHARM, charm.clone()));
        }
        if !data.queue.is_empty() {
            let queue = serde_json::to_string(&data.queue)
                .map_err(|e| format(format!("cannot encode the deferred queue: {e}")))?;
            texts.push((QUEUE, queue));
        }
        if !data.breakers.is_empty() {
            let breakers = serde_json::to_string(&data.breakers)
                .map_err(|e| format(format!("cannot encode the circuit breakers: {e}")))?;
            texts.push((BREAKERS, breakers));
        }
        if !data.components.is_empty() {
            let components = serde_json::to_string(&data.components)
                .map_err(|e| format(format!("cannot encode the components' states: {e}")))?;
            texts.push((COMPONENTS, components));
        }
        let mut out = BTreeMap::new();
        let mut parts = BTreeMap::new();
        for (part, text) in &texts {
            let pieces = split_utf8(text, MAX_STATE_VALUE_LEN);
            parts.insert((*part).to_owned(), pieces.len());
            for (i, piece) in pieces.into_iter().enumerate() {
                out.insert(format!("{PREFIX}{part}/{i}"), piece.to_owned());
            }
        }
        let meta = serde_json::to_string(&Meta {
            version: DOC_VERSION,
            event_counter: data.event_counter,
            parts,
        })
        .map_err(|e| format(format!("cannot encode {META_KEY}: {e}")))?;
        out.insert(META_KEY.to_owned(), meta);
        Ok(out)
    }

    /// The state kept in `store` (Juju's whole store: other keys are ignored), in the current
    /// layout or the version 1 one; empty if it holds neither.
    pub fn decode(store: &BTreeMap<String, String>) -> Result<StoreData, StoreError> {
        // Juju prints a key set to "" like any other; this store never writes one.
        let get = |k: &str| store.get(k).filter(|v| !v.is_empty());
        if let Some(meta) = get(META_KEY) {
            return decode_parts(meta, get);
        }
        let Some(doc) = get(LEGACY_KEY) else {
            return Ok(StoreData::default());
        };
        let doc: LegacyDoc =
            serde_json::from_str(doc).map_err(|e| json_error(&format!("key {LEGACY_KEY}"), &e))?;
        if doc.version > LEGACY_VERSION {
            return Err(format(format!(
                "key {LEGACY_KEY} has version {}, newer than this ops-rs understands \
                 ({LEGACY_VERSION}); refresh the charm to a revision built with a newer ops-rs",
                doc.version
            )));
        }
        Ok(doc.data)
    }

    fn fetch(&self) -> Result<BTreeMap<String, String>, StoreError> {
        state::state_get_all(self.runner.as_ref()).map_err(juju("state-get"))
    }
}

fn decode_parts<'a>(
    meta: &str,
    get: impl Fn(&str) -> Option<&'a String>,
) -> Result<StoreData, StoreError> {
    let meta: Meta =
        serde_json::from_str(meta).map_err(|e| json_error(&format!("key {META_KEY}"), &e))?;
    if meta.version > DOC_VERSION {
        return Err(format(format!(
            "key {META_KEY} has version {}, newer than this ops-rs understands ({DOC_VERSION}); \
             refresh the charm to a revision built with a newer ops-rs",
            meta.version
        )));
    }
    let part = |name: &str| -> Result<Option<String>, StoreError> {
        let Some(&pieces) = meta.parts.get(name) else {
            return Ok(None);
        };
        let mut text = String::new();
        for i in 0..pieces {
            let key = format!("{PREFIX}{name}/{i}");
            let piece = get(&key).ok_or_else(|| {
                format(format!(
                    "key {key} is missing ({META_KEY} says the {name} part has {pieces} pieces)"
                ))
            })?;
            text.push_str(piece);
        }
        Ok(Some(text))
    };
    let queue: Vec<DeferredEntry> = match part(QUEUE)? {
        Some(text) => {
            serde_json::from_str(&text).map_err(|e| json_error("the deferred queue", &e))?
        }
        None => Vec::new(),
    };
    let breakers: BTreeMap<String, String> = match part(BREAKERS)? {
        Some(text) => {
            serde_json::from_str(&text).map_err(|e| json_error("the circuit breakers", &e))?
        }
        None => BTreeMap::new(),
    };
    let components: BTreeMap<String, String> = match part(COMPONENTS)? {
        Some(text) => {
            serde_json::from_str(&text).map_err(|e| json_error("the components' states", &e))?
        }
        None => BTreeMap::new(),
    };
    Ok(StoreData {
        event_counter: meta.event_counter,
        queue,
        charm_state: part(CHARM)?,
        breakers,
        components,
    })
}

impl Store for JujuStore {
    fn load(&mut self) -> Result<StoreData, StoreError> {
        if let Some(d) = &self.staged {
            return Ok(d.clone());
        }
        let all = match &self.loaded {
            Some(all) => all.clone(),
            None => {
                let all = self.fetch()?;
                self.loaded = Some(all.clone());
                all
            }
        };
        Self::decode(&all)
    }

    fn save(&mut self, data: &StoreData) -> Result<(), StoreError> {
        self.staged = Some(data.clone());
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let Some(data) = &self.staged else {
            return Ok(());
        };
        let before = match &self.loaded {
            Some(all) => all.clone(),
            None => self.fetch()?,
        };
        let keys = Self::encode(data)?;
        let stale: Vec<&String> = before
            .keys()
            .filter(|k| Self::is_own_key(k) && !keys.contains_key(*k))
            .collect();
        let changed: BTreeMap<String, String> = keys
            .iter()
            .filter(|(k, v)| before.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        // The store as Juju will hold it after this hook: checked as Juju checks it.
        let after = before
            .iter()
            .filter(|(k, _)| !Self::is_own_key(k))
            .chain(keys.iter());
        let size = state_store_size(after.map(|(k, v)| (k.as_str(), v.as_str())));
        if size > MAX_STATE_SIZE {
            return Err(StoreError::JujuLimit {
                size,
                limit: MAX_STATE_SIZE,
            });
        }
        if !changed.is_empty() {
            state::state_set(self.runner.as_ref(), &changed).map_err(juju("state-set"))?;
        }
        for key in stale {
            state::state_delete(self.runner.as_ref(), key).map_err(juju("state-delete"))?;
        }
        Ok(())
    }
}
