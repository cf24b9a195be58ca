//! Secrets: get by id or label, read content, inspect, add, update, share, remove.

use super::{
    Model, ModelError, Relation, SecretContent, SecretInfo, SecretMetadata, SecretOwner,
    SecretRevision,
};
use crate::hookcmds::secret as tools;
use crate::hookcmds::secret::uri::{canonical_id, unique_identifier};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A secret this unit can see (owned, or granted to it).
///
/// `Debug` never shows content.
#[derive(Debug, Clone)]
pub struct Secret {
    model: Model,
    id: Option<String>,
    label: Option<String>,
    content: Option<SecretContent>,
}

impl Model {
    /// The secret with `id`, its tracked content fetched at once (`secret-get`); a secret that
    /// does not exist or cannot be seen is [`ModelError::SecretNotFound`].
    ///
    /// An `id` given bare (the unique identifier alone, as `secret-info-get` reports it and
    /// charms often share it) is expanded to the full URI with the model's UUID, as Python
    /// ops does; an id with the `secret:` prefix is used as it is (see
    /// [`canonical_id`]).
    pub fn get_secret_by_id(&self, id: &str) -> Result<Secret, ModelError> {
        self.get_secret(Some(id), None)
    }

    /// The secret this unit labelled `label` (see [`Model::get_secret_by_id`]).
    pub fn get_secret_by_label(&self, label: &str) -> Result<Secret, ModelError> {
        self.get_secret(None, Some(label))
    }

    /// The secret by id and/or label; given both, Juju records `label` as this unit's label for
    /// the secret (as in a `secret-changed` handler for a newly shared secret).
    pub fn get_secret(&self, id: Option<&str>, label: Option<&str>) -> Result<Secret, ModelError> {
        self.get_secret_with(id, label, SecretRevision::Tracked)
    }

    /// The secret by id and/or label (as [`Model::get_secret`]), its content read as `revision`
    /// says: the tracked revision, the latest once (`--peek`), or the latest, tracked from now
    /// on (`--refresh`). An owner that changes its own secret reads it with
    /// [`SecretRevision::Refresh`] in one call, where Python ops makes two (`get_secret`, then
    /// `get_content(refresh=True)`).
    pub fn get_secret_with(
        &self,
        id: Option<&str>,
        label: Option<&str>,
        revision: SecretRevision,
    ) -> Result<Secret, ModelError> {
        let id = id.map(|i| canonical_id(i, self.model_uuid()));
        let content = tools::secret_get(self.tools(), id.as_deref(), label, revision)?;
        Ok(Secret {
            model: self.clone(),
            id,
            label: label.map(str::to_owned),
            content: Some(content),
        })
    }

    /// The secret `id` and/or `label` without reading it: no tool runs until a method needs
    /// one (its content is fetched when asked, its id learnt from `secret-info-get`), as
    /// [`Model::relation`] names a relation. This is how a handler acts on the secret of a
    /// secret event (`secret-remove`: remove the revision) or on a secret it knows by label,
    /// without the `secret-get` of [`Model::get_secret`] (which fails for a secret with no
    /// content left to read). With neither id nor label, every call is
    /// [`ModelError::Invalid`].
    pub fn secret(&self, id: Option<&str>, label: Option<&str>) -> Secret {
        Secret {
            model: self.clone(),
            id: id.map(|i| canonical_id(i, self.model_uuid())),
            label: label.map(str::to_owned),
            content: None,
        }
    }

    /// Creates a secret (`secret-add`; content through private files). An application-owned
    /// secret can only be created by the leader ([`ModelError::NotLeader`]). The content is
    /// checked as Juju checks it, before the tool runs: its keys, and the size of each value
    /// and of all of them ([`SecretContent::validate`](crate::hookcmds::secret::SecretContent::validate)
    /// says what Juju allows).
    pub fn add_secret(
        &self,
        content: &SecretContent,
        owner: SecretOwner,
        meta: &SecretMetadata,
    ) -> Result<Secret, ModelError> {
        content.validate()?;
        if owner == SecretOwner::Application && !self.is_leader()? {
            return Err(ModelError::NotLeader {
                action: "create an application-owned secret (use SecretOwner::Unit)".into(),
            });
        }
        let id = tools::secret_add(self.tools(), content, meta, owner)?;
        Ok(Secret {
            model: self.clone(),
            id: Some(id),
            label: meta.label.clone(),
            content: Some(content.clone()),
        })
    }

    /// The ids of the secrets this unit (or its application) owns (`secret-ids`), as Juju
    /// prints them: bare (`<xid>`, no `secret:` prefix), which
    /// [`get_secret_by_id`](Self::get_secret_by_id) accepts.
    pub fn secret_ids(&self) -> Result<Vec<String>, ModelError> {
        tools::secret_ids(self.tools()).map_err(ModelError::from)
    }
}

impl Secret {
    /// The id, if known (a secret got by label learns it from [`Secret::info`]).
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The secret's globally unique identifier, the last part of its id (see
    /// [`unique_identifier`](crate::hookcmds::secret::uri::unique_identifier)); `None` for a
    /// secret got by label whose id is not known yet.
    pub fn unique_identifier(&self) -> Option<&str> {
        self.id.as_deref().map(unique_identifier)
    }

    /// The label it was got or created with.
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    fn ensure_id(&mut self) -> Result<String, ModelError> {
        if let Some(id) = &self.id {
            return Ok(id.clone());
        }
        let id = self.info()?.id;
        self.id = Some(id.clone());
        Ok(id)
    }

    /// The content of the revision this unit tracks (fetched once).
    pub fn content(&mut self) -> Result<SecretContent, ModelError> {
        if let Some(c) = &self.content {
            return Ok(c.clone());
        }
        let c = tools::secret_get(
            self.model.tools(),
            self.id.as_deref(),
            self.label.as_deref(),
            SecretRevision::Tracked,
        )?;
        self.content = Some(c.clone());
        Ok(c)
    }

    /// The latest revision's content, without tracking it (`--peek`).
    pub fn peek_content(&self) -> Result<SecretContent, ModelError> {
        tools::secret_get(
            self.model.tools(),
            self.id.as_deref(),
            self.label.as_deref(),
            SecretRevision::Peek,
        )
        .map_err(ModelError::from)
    }

    /// The latest revision's content, tracking it from now on (`--refresh`).
    pub fn refresh_content(&mut self) -> Result<SecretContent, ModelError> {
        let c = tools::secret_get(
            self.model.tools(),
            self.id.as_deref(),
            self.label.as_deref(),
            SecretRevision::Refresh,
        )?;
        self.content = Some(c.clone());
        Ok(c)
    }

    /// The secret's metadata (`secret-info-get`; owners only; cached until this unit changes
    /// the secret).
    pub fn info(&self) -> Result<SecretInfo, ModelError> {
        let m = &self.model;
        let key = match (&self.id, &self.label) {
            (Some(id), _) => format!("id:{id}"),
            (None, Some(l)) => format!("label:{l}"),
            (None, None) => {
                return Err(ModelError::Invalid(
                    "secret has neither id nor label".into(),
                ));
            }
        };
        m.memo(
            |c| c.secret_info.get(&key).cloned(),
            || {
                tools::secret_info_get(m.tools(), self.id.as_deref(), self.label.as_deref())
                    .map_err(ModelError::from)
            },
            |c, v| {
                c.secret_info.insert(format!("id:{}", v.id), v.clone());
                if let Some(l) = &v.label {
                    c.secret_info.insert(format!("label:{l}"), v.clone());
                }
                c.secret_info.insert(key.clone(), v);
            },
        )
    }

    fn forget(&self) {
        self.model
            .cache()
            .forget_secret(self.id.as_deref(), self.label.as_deref());
    }

    /// Adds a revision with new content (`secret-set`; content through private files).
    ///
    /// Needs Juju 3.6 to cost one call: before, each `secret-set` of a hook replaces the
    /// hook's earlier ones and resets the metadata it does not mention, so the model first
    /// reads the secret's metadata (`secret-info-get`) and sends it along, as Python ops
    /// does. From 3.6 Juju does not add a revision whose content equals the latest one's.
    pub fn set_content(&mut self, content: &SecretContent) -> Result<(), ModelError> {
        content.validate()?;
        let id = self.ensure_id()?;
        let r = self.secret_set(&id, Some(content), &SecretMetadata::default());
        self.forget();
        r
    }

    /// Changes label, description, expiry or rotation (`secret-set` without content).
    ///
    /// Needs Juju 3.6 to cost one call: before, the model first reads the latest content
    /// (`secret-get --peek`) and the metadata (`secret-info-get`) and sends them along, so
    /// that neither this hook's earlier `set_content` nor the fields not given are lost (see
    /// [`Secret::set_content`]). On those versions the resent content makes a new revision.
    pub fn set_info(&mut self, meta: &SecretMetadata) -> Result<(), ModelError> {
        let id = self.ensure_id()?;
        let r = self.secret_set(&id, None, meta);
        self.forget();
        if r.is_ok() {
            if let Some(l) = &meta.label {
                self.label = Some(l.clone());
            }
        }
        r
    }

    /// `secret-set`, with every field resent on a Juju that does not merge the `secret-set`
    /// calls of a hook (before 3.6: LP#2081034; before 3.5.5 a call also resets the
    /// description, expiry and rotation it leaves out, before 3.5 the label).
    fn secret_set(
        &self,
        id: &str,
        content: Option<&SecretContent>,
        meta: &SecretMetadata,
    ) -> Result<(), ModelError> {
        let tools = self.model.tools();
        if self.model.juju_version().coalesces_secret_set() {
            return tools::secret_set(tools, id, content, meta).map_err(ModelError::from);
        }
        let content = match content {
            Some(c) => c.clone(),
            None => tools::secret_get(tools, Some(id), None, SecretRevision::Peek)?,
        };
        let mut meta = meta.clone();
        let complete = meta.label.is_some()
            && meta.description.is_some()
            && meta.expire.is_some()
            && meta.rotate.is_some();
        if !complete {
            let info = tools::secret_info_get(tools, Some(id), None)?;
            meta.label = meta.label.or(info.label);
            meta.description = meta.description.or(info.description);
            meta.rotate = meta.rotate.or(info.rotation);
            if meta.expire.is_none() {
                meta.expire = info
                    .expiry
                    .as_deref()
                    .map(|text| {
                        OffsetDateTime::parse(text, &Rfc3339).map_err(|e| ModelError::BadAnswer {
                            tool: "secret-info-get".into(),
                            detail: format!(
                                "expiry {text:?} of secret {id} is not an RFC 3339 time ({e}); \
                                 it is needed to set the secret again on Juju {}",
                                self.model.juju_version()
                            ),
                        })
                    })
                    .transpose()?;
            }
        }
        tools::secret_set(tools, id, Some(&content), &meta).map_err(ModelError::from)
    }

    /// Lets the remote application of `relation` (or only `unit`) read this secret.
    pub fn grant(&mut self, relation: &Relation, unit: Option<&str>) -> Result<(), ModelError> {
        let id = self.ensure_id()?;
        tools::secret_grant(self.model.tools(), &id, relation.id(), unit).map_err(ModelError::from)
    }

    /// Takes back a grant.
    pub fn revoke(&mut self, relation: &Relation, unit: Option<&str>) -> Result<(), ModelError> {
        let id = self.ensure_id()?;
        tools::secret_revoke(self.model.tools(), &id, relation.id(), unit).map_err(ModelError::from)
    }

    /// Removes one revision (typically in `secret-remove` once no one tracks it).
    pub fn remove_revision(&mut self, revision: u64) -> Result<(), ModelError> {
        let id = self.ensure_id()?;
        let r = tools::secret_remove(self.model.tools(), &id, Some(revision));
        self.forget();
        r.map_err(ModelError::from)
    }

    /// Removes the secret and all its revisions.
    pub fn remove_all_revisions(&mut self) -> Result<(), ModelError> {
        let id = self.ensure_id()?;
        let r = tools::secret_remove(self.model.tools(), &id, None);
        self.forget();
        r.map_err(ModelError::from)
    }
}

#[cfg(test)]
mod tests;
