//! Relations and their data bags, with Juju's access rules checked before any tool runs.
//!
//! | Bag | Read | Write |
//! |---|---|---|
//! | this unit's | yes | yes |
//! | this app's | leader; any unit on a peer relation | leader only |
//! | a remote unit's / the remote app's | yes | never |
//!
//! Reads are cached for the dispatch; a write runs `relation-set` at once and invalidates the
//! bag, so the next read sees what Juju holds (including this hook's writes).

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Model, ModelError};
use crate::hookcmds::relation as tools;

/// One relation: an endpoint and the id Juju gave it.
#[derive(Debug, Clone)]
pub struct Relation {
    model: Model,
    endpoint: String,
    id: u32,
}

/// Whose data bag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BagOwner {
    /// This unit.
    LocalUnit,
    /// This application.
    LocalApp,
    /// A unit on the other side (or another peer unit).
    RemoteUnit(String),
    /// The application on the other side.
    RemoteApp(String),
}

/// A relation data bag: string keys to string values.
#[derive(Debug, Clone)]
pub struct DataBag {
    relation: Relation,
    owner: BagOwner,
}

impl Model {
    /// The ids of `endpoint`'s relations (`relation-ids`; cached), without the relation being
    /// broken in this hook.
    pub fn relation_ids(&self, endpoint: &str) -> Result<Vec<u32>, ModelError> {
        let ids = self.memo(
            |c| c.relation_ids.get(endpoint).cloned(),
            || tools::relation_ids(self.tools(), endpoint).map_err(ModelError::from),
            |c, v| {
                c.relation_ids.insert(endpoint.to_owned(), v);
            },
        )?;
        let broken = self.current_hook().broken_relation_id;
        Ok(ids.into_iter().filter(|id| Some(*id) != broken).collect())
    }

    /// `endpoint`'s relations, without the one being broken in this hook.
    pub fn relations(&self, endpoint: &str) -> Result<Vec<Relation>, ModelError> {
        Ok(self
            .relation_ids(endpoint)?
            .into_iter()
            .map(|id| self.relation(endpoint, id))
            .collect())
    }

    /// The relation `endpoint:id` (no tool runs; a relation that is gone makes later calls
    /// fail with [`ModelError::RelationNotFound`]). This is how a handler gets the relation of
    /// its event, including the one being broken.
    pub fn relation(&self, endpoint: &str, id: u32) -> Relation {
        Relation {
            model: self.clone(),
            endpoint: endpoint.to_owned(),
            id,
        }
    }

    /// The only relation on `endpoint`, if any; [`ModelError::TooManyRelations`] if several.
    pub fn single_relation(&self, endpoint: &str) -> Result<Option<Relation>, ModelError> {
        let mut rels = self.relations(endpoint)?;
        if rels.len() > 1 {
            return Err(ModelError::TooManyRelations {
                endpoint: endpoint.to_owned(),
                count: rels.len(),
                ids: rels.iter().map(Relation::id).collect(),
            });
        }
        Ok(rels.pop())
    }

    /// The relation of the current relation event, if this hook is one.
    pub fn event_relation(&self) -> Option<Relation> {
        let (ep, id) = self.current_hook().relation.clone()?;
        Some(self.relation(&ep, id))
    }
}

impl Relation {
    /// The relation id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The endpoint name.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Whether this is a peer relation (from metadata; `false` without metadata).
    pub fn is_peer(&self) -> bool {
        self.model.meta().is_some_and(|m| m.is_peer(&self.endpoint))
    }

    /// Whether this relation is being broken in this hook.
    pub fn is_broken(&self) -> bool {
        self.model.current_hook().broken_relation_id == Some(self.id)
    }

    /// The remote units (`relation-list`; cached). On a peer relation: the other units.
    pub fn units(&self) -> Result<Vec<String>, ModelError> {
        let m = &self.model;
        m.memo(
            |c| c.relation_units.get(&self.id).cloned(),
            || tools::relation_list(m.tools(), &self.endpoint, self.id).map_err(ModelError::from),
            |c, v| {
                c.relation_units.insert(self.id, v);
            },
        )
    }

    /// The remote application's name: this app on a peer relation; `JUJU_REMOTE_APP` for the
    /// event's relation; else `relation-list --app` (cached). `None` if Juju does not know it
    /// (or the relation is gone).
    pub fn remote_app(&self) -> Result<Option<String>, ModelError> {
        let m = &self.model;
        if self.is_peer() {
            return Ok(Some(m.app_name().to_owned()));
        }
        let hook = m.current_hook();
        if let (Some((_, id)), Some(app)) = (&hook.relation, &hook.remote_app) {
            if *id == self.id {
                return Ok(Some(app.clone()));
            }
        }
        m.memo(
            |c| c.remote_app.get(&self.id).cloned(),
            || match tools::relation_remote_app(m.tools(), &self.endpoint, self.id)
                .map_err(ModelError::from)
            {
                Err(ModelError::RelationNotFound { .. }) => Ok(None),
                other => other,
            },
            |c, v| {
                c.remote_app.insert(self.id, v);
            },
        )
    }

    /// The UUID of the remote application's model (`relation-model-get`).
    ///
    /// Needs Juju 3.6.2 ([`JujuVersion::has_relation_model_get`]): on an older Juju this is
    /// [`ModelError::Unsupported`] and no tool runs.
    ///
    /// [`JujuVersion::has_relation_model_get`]: crate::juju_version::JujuVersion::has_relation_model_get
    pub fn remote_model_uuid(&self) -> Result<String, ModelError> {
        let version = self.model.juju_version();
        if !version.has_relation_model_get() {
            return Err(ModelError::Unsupported {
                action: format!(
                    "read the remote model UUID of relation {}:{}",
                    self.endpoint, self.id
                ),
                reason: format!(
                    "`relation-model-get` needs Juju 3.6.2 or later and this is Juju {version}; \
                     check `model.juju_version().has_relation_model_get()` first"
                ),
            });
        }
        tools::relation_model_uuid(self.model.tools(), &self.endpoint, self.id)
            .map_err(ModelError::from)
    }

    /// This unit's data bag.
    pub fn local_unit_data(&self) -> DataBag {
        self.bag(BagOwner::LocalUnit)
    }

    /// This application's data bag (readable by the leader, and by every unit on a peer
    /// relation; writable by the leader).
    pub fn local_app_data(&self) -> DataBag {
        self.bag(BagOwner::LocalApp)
    }

    /// A remote unit's data bag (read only).
    pub fn unit_data(&self, unit: &str) -> DataBag {
        if unit == self.model.unit_name() {
            return self.local_unit_data();
        }
        self.bag(BagOwner::RemoteUnit(unit.to_owned()))
    }

    /// The remote application's data bag (read only), if the remote app is known.
    pub fn remote_app_data(&self) -> Result<Option<DataBag>, ModelError> {
        Ok(self.remote_app()?.map(|app| {
            if app == self.model.app_name() {
                self.local_app_data()
            } else {
                self.bag(BagOwner::RemoteApp(app))
            }
        }))
    }

    /// The bag owned by `owner`.
    pub fn bag(&self, owner: BagOwner) -> DataBag {
        DataBag {
            relation: self.clone(),
            owner,
        }
    }
}

impl DataBag {
    /// Whose bag this is.
    pub fn owner(&self) -> &BagOwner {
        &self.owner
    }

    fn member(&self) -> (String, bool) {
        let m = &self.relation.model;
        match &self.owner {
            BagOwner::LocalUnit => (m.unit_name().to_owned(), false),
            BagOwner::LocalApp => (m.app_name().to_owned(), true),
            BagOwner::RemoteUnit(u) => (u.clone(), false),
            BagOwner::RemoteApp(a) => (a.clone(), true),
        }
    }

    fn describe(&self) -> String {
        match self.member() {
            (name, true) => format!("app '{name}'"),
            (name, false) => format!("unit '{name}'"),
        }
    }

    fn denied(&self, access: &'static str, reason: &str) -> ModelError {
        ModelError::RelationDataAccess {
            access,
            bag: self.describe(),
            relation: format!("{}:{}", self.relation.endpoint, self.relation.id),
            reason: reason.to_owned(),
        }
    }

    fn check_read(&self) -> Result<(), ModelError> {
        if self.owner == BagOwner::LocalApp
            && !self.relation.is_peer()
            && !self.relation.model.is_leader()?
        {
            return Err(self.denied(
                "read",
                "only the leader can read its own application's bag (except on peer relations)",
            ));
        }
        Ok(())
    }

    fn check_write(&self) -> Result<(), ModelError> {
        match &self.owner {
            BagOwner::LocalUnit => Ok(()),
            BagOwner::LocalApp => {
                if self.relation.model.is_leader()? {
                    Ok(())
                } else {
                    Err(self.denied("write", "only the leader can write its application's bag"))
                }
            }
            BagOwner::RemoteUnit(_) | BagOwner::RemoteApp(_) => Err(self.denied(
                "write",
                "a unit can only write its own bag and (as leader) its application's bag",
            )),
        }
    }

    /// Every key and value (`relation-get`; cached for the dispatch).
    pub fn get_all(&self) -> Result<BTreeMap<String, String>, ModelError> {
        self.check_read()?;
        let (member, app) = self.member();
        let rel = &self.relation;
        let key = (rel.id, member.clone(), app);
        rel.model.memo(
            |c| c.bags.get(&key).cloned(),
            || {
                tools::relation_get(rel.model.tools(), &rel.endpoint, rel.id, &member, app)
                    .map_err(ModelError::from)
            },
            |c, v| {
                c.bags.insert(key.clone(), v);
            },
        )
    }

    /// One value.
    pub fn get(&self, key: &str) -> Result<Option<String>, ModelError> {
        Ok(self.get_all()?.remove(key))
    }

    /// Sets and deletes keys in one `relation-set` (`None` deletes). Nothing runs for no
    /// changes; the access check runs first.
    ///
    /// What Juju allows: any text. It goes through a file in YAML, so no command-line limit
    /// applies, and the characters Juju's YAML reader refuses raw are escaped on the way (see
    /// [`limits`](crate::hookcmds::limits)).
    pub fn update<K: Into<String>>(
        &self,
        changes: impl IntoIterator<Item = (K, Option<String>)>,
    ) -> Result<(), ModelError> {
        self.check_write()?;
        let data: BTreeMap<String, String> = changes
            .into_iter()
            .map(|(k, v)| (k.into(), v.unwrap_or_default()))
            .collect();
        if data.is_empty() {
            return Ok(());
        }
        if let Some(k) = data.keys().find(|k| k.is_empty()) {
            return Err(ModelError::Invalid(format!(
                "relation data keys cannot be empty (got {k:?})"
            )));
        }
        let (member, app) = self.member();
        let rel = &self.relation;
        let result = tools::relation_set(rel.model.tools(), &rel.endpoint, rel.id, &data, app);
        rel.model.cache().bags.remove(&(rel.id, member, app));
        result.map_err(ModelError::from)
    }

    /// Sets one key (an empty value deletes it, as Juju does).
    pub fn set(&self, key: &str, value: impl Into<String>) -> Result<(), ModelError> {
        self.update([(key, Some(value.into()))])
    }

    /// Deletes one key.
    pub fn remove(&self, key: &str) -> Result<(), ModelError> {
        self.update([(key, None)])
    }

    /// Reads the bag into `T`, each value decoded as JSON (as ops' `load` does, so databags
    /// written by Python charms with `save` read back), a value that is not JSON kept as a string.
    pub fn load<T: DeserializeOwned>(&self) -> Result<T, ModelError> {
        let map: serde_json::Map<String, Value> = self
            .get_all()?
            .into_iter()
            .map(|(k, v)| {
                let val = serde_json::from_str(&v).unwrap_or(Value::String(v));
                (k, val)
            })
            .collect();
        serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
            ModelError::Invalid(format!(
                "relation {}:{} data of {} does not fit the expected type at '{}': {}",
                self.relation.endpoint,
                self.relation.id,
                self.describe(),
                e.path(),
                e.inner()
            ))
        })
    }

    /// Writes `value`'s fields, each encoded as JSON (strings quoted, as ops' `save`); fields
    /// serialized as `null` delete their key.
    pub fn save<T: Serialize>(&self, value: &T) -> Result<(), ModelError> {
        let v = serde_json::to_value(value)
            .map_err(|e| ModelError::Invalid(format!("cannot encode relation data: {e}")))?;
        let Value::Object(map) = v else {
            return Err(ModelError::Invalid(
                "relation data must serialize to a map of fields".into(),
            ));
        };
        self.update(map.into_iter().map(|(k, v)| {
            let text = if v.is_null() {
                None
            } else {
                Some(v.to_string())
            };
            (k, text)
        }))
    }
}

#[cfg(test)]
mod tests;
