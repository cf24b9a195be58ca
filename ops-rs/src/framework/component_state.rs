//! The components' stored states during one dispatch: loaded as JSON with everything else,
//! turned into each component's type only when its handler asks, saved back only if asked for.

use std::any::Any;
use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A component's stored state does not fit its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the stored state of component {key:?} does not fit {type_name} ({detail}); if a field \
     was added, give it #[serde(default)] so state saved by an older version still loads"
)]
pub struct ComponentStateError {
    /// The component's key.
    pub key: String,
    /// The component's state type.
    pub type_name: &'static str,
    /// What did not fit (never the data).
    pub detail: String,
}

/// One component's state: as loaded, and as its type once a handler asked for it.
struct Slot {
    json: Option<String>,
    /// For a state that had none stored: its default, encoded, so a dispatch that only read
    /// it stores nothing.
    default_json: Option<String>,
    typed: Option<Box<dyn Any>>,
    save: fn(&dyn Any) -> Option<Result<String, serde_json::Error>>,
}

/// Every component's stored state in this dispatch, by key.
#[derive(Default)]
pub(crate) struct ComponentStates {
    slots: BTreeMap<String, Slot>,
}

impl std::fmt::Debug for ComponentStates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.slots.keys()).finish()
    }
}

fn save_as<S: Serialize + 'static>(any: &dyn Any) -> Option<Result<String, serde_json::Error>> {
    any.downcast_ref::<S>().map(serde_json::to_string)
}

impl ComponentStates {
    /// The states as stored (JSON by key).
    pub(crate) fn load(stored: BTreeMap<String, String>) -> Self {
        let slots = stored
            .into_iter()
            .map(|(key, json)| {
                let slot = Slot {
                    json: Some(json),
                    default_json: None,
                    typed: None,
                    save: |_| None,
                };
                (key, slot)
            })
            .collect();
        ComponentStates { slots }
    }

    /// The state of component `key` as `S`: read from its JSON the first time (or `S`'s
    /// default if it has none yet), then kept for the rest of the dispatch.
    pub(crate) fn get_mut<S>(&mut self, key: &str) -> Result<&mut S, ComponentStateError>
    where
        S: Serialize + DeserializeOwned + Default + 'static,
    {
        let slot = self.slots.entry(key.to_owned()).or_insert_with(|| Slot {
            json: None,
            default_json: None,
            typed: None,
            save: |_| None,
        });
        let fits = slot.typed.as_ref().is_some_and(|t| t.is::<S>());
        if !fits {
            let value: S = match &slot.json {
                Some(json) => serde_json::from_str(json).map_err(|e| ComponentStateError {
                    key: key.to_owned(),
                    type_name: std::any::type_name::<S>(),
                    detail: format!(
                        "{:?} error at line {} column {}",
                        e.classify(),
                        e.line(),
                        e.column()
                    ),
                })?,
                None => {
                    let value = S::default();
                    slot.default_json = serde_json::to_string(&value).ok();
                    value
                }
            };
            slot.typed = Some(Box::new(value));
            slot.save = save_as::<S>;
        }
        slot.typed
            .as_mut()
            .and_then(|t| t.downcast_mut::<S>())
            .ok_or_else(|| ComponentStateError {
                key: key.to_owned(),
                type_name: std::any::type_name::<S>(),
                detail: "another type holds this key in this dispatch".to_owned(),
            })
    }

    /// The states to store: each one a handler asked for, serialized again; the others as
    /// they were loaded. A state that had none stored and is still its default is left out.
    pub(crate) fn save(&self) -> Result<BTreeMap<String, String>, ComponentStateError> {
        let mut out = BTreeMap::new();
        for (key, slot) in &self.slots {
            let json = match slot.typed.as_deref().and_then(|t| (slot.save)(t)) {
                Some(Ok(json))
                    if slot.json.is_none() && slot.default_json == Some(json.clone()) =>
                {
                    None
                }
                Some(Ok(json)) => Some(json),
                Some(Err(e)) => {
                    return Err(ComponentStateError {
                        key: key.clone(),
                        type_name: "its state type",
                        detail: format!("cannot encode it: {e}"),
                    });
                }
                None => slot.json.clone(),
            };
            if let Some(json) = json {
                out.insert(key.clone(), json);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Count {
        #[serde(default)]
        n: u32,
    }

    #[test]
    fn states_are_typed_when_asked_and_kept_as_loaded_otherwise() {
        let loaded: BTreeMap<String, String> = [
            ("a".to_owned(), r#"{"n":1}"#.to_owned()),
            ("b".to_owned(), r#"{"n":7}"#.to_owned()),
        ]
        .into();
        let mut states = ComponentStates::load(loaded);
        states.get_mut::<Count>("a").unwrap().n += 1;
        states.get_mut::<Count>("c").unwrap().n = 3;
        let saved = states.save().unwrap();
        assert_eq!(saved["a"], r#"{"n":2}"#);
        assert_eq!(saved["b"], r#"{"n":7}"#, "untouched: as loaded");
        assert_eq!(saved["c"], r#"{"n":3}"#);
    }

    #[test]
    fn a_state_only_read_as_its_default_is_not_stored() {
        let mut states = ComponentStates::load(BTreeMap::new());
        assert_eq!(states.get_mut::<Count>("idle").unwrap().n, 0);
        states.get_mut::<Count>("busy").unwrap().n = 1;
        let saved = states.save().unwrap();
        assert!(!saved.contains_key("idle"), "{saved:?}");
        assert_eq!(saved["busy"], r#"{"n":1}"#);
    }

    #[test]
    fn a_state_that_does_not_fit_is_a_clear_error() {
        let mut states = ComponentStates::load([("a".to_owned(), r#""sesame""#.to_owned())].into());
        let e = states.get_mut::<Count>("a").unwrap_err();
        assert_eq!(e.key, "a");
        assert!(e.to_string().contains("#[serde(default)]"), "{e}");
        assert!(!e.to_string().contains("sesame"), "never the data: {e}");
    }
}
