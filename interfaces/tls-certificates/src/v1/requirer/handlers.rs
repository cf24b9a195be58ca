//! The requirer's handlers: the events it observes and what each does.
//!
//! | Event | What happens |
//! |---|---|
//! | `<endpoint>-relation-created`, `-changed`, the refresh events | a [pass](super::pass) over the relation |
//! | `secret-expired` of one of our certificate secrets | the pass, replacing that certificate's CSR; the secret is removed |
//! | `secret-remove` of one of our secrets | the revision is removed |
//! | `<endpoint>-relation-broken` | the private keys and certificate secrets of the endpoint are removed |

use ops::event::{
    Event, RelationBroken, RelationChanged, RelationCreated, SecretExpired, SecretRemove,
};
use ops::framework::{Charm, ComponentCtx, HandlerResult};
use ops::model::{Model, Relation};

use super::TlsRequirer;
use super::pass::{Announcement, Replace};
use crate::v1::error::TlsError;
use crate::v1::labels;

type Ctx<'a, C> = ComponentCtx<'a, C, TlsRequirer>;

impl TlsRequirer {
    pub(super) fn on_relation_created<C: Charm>(
        &mut self,
        ctx: &mut Ctx<'_, C>,
        ev: &mut RelationCreated,
    ) -> HandlerResult {
        let relation = ctx.model().relation(&ev.endpoint, ev.relation_id);
        self.reconcile(ctx, &relation, &Replace::new())
    }

    pub(super) fn on_relation_changed<C: Charm>(
        &mut self,
        ctx: &mut Ctx<'_, C>,
        ev: &mut RelationChanged,
    ) -> HandlerResult {
        let relation = ctx.model().relation(&ev.endpoint, ev.relation_id);
        self.reconcile(ctx, &relation, &Replace::new())
    }

    pub(super) fn on_refresh<C: Charm>(
        &mut self,
        ctx: &mut Ctx<'_, C>,
        _ev: &mut Event,
    ) -> HandlerResult {
        for relation in ctx.model().relations(&self.endpoint)? {
            self.reconcile(ctx, &relation, &Replace::new())?;
        }
        Ok(())
    }

    /// A pass over `relation`, its announcements emitted and the state kept.
    fn reconcile<C: Charm>(
        &mut self,
        ctx: &mut Ctx<'_, C>,
        relation: &Relation,
        drop: &Replace,
    ) -> HandlerResult {
        let model = ctx.model().clone();
        let before = ctx.stored()?.clone();
        let mut state = before.clone();
        let announcements = self.pass(&model, relation, drop, &mut state)?;
        if state != before {
            *ctx.stored_mut()? = state;
        }
        for announcement in announcements {
            match announcement {
                Announcement::Available(e) => ctx.emit(e)?,
                Announcement::Revoked(e) => ctx.emit(e)?,
                Announcement::Denied(e) => ctx.emit(e)?,
            }
        }
        Ok(())
    }

    /// A certificate secret expired: send a new CSR in place of its CSR, then remove it
    /// (the Python library's renewal).
    pub(super) fn on_secret_expired<C: Charm>(
        &mut self,
        ctx: &mut Ctx<'_, C>,
        ev: &mut SecretExpired,
    ) -> HandlerResult {
        let model = ctx.model().clone();
        let Some(label) = ev.label.as_deref() else {
            return Ok(());
        };
        if self.certificate_label_mode(&model, label).is_none() {
            return Ok(());
        }
        let Some(csr) = self.csr_of_certificate_secret(&model, &ev.secret_id)? else {
            tracing::warn!(
                "certificate secret {label:?} expired but holds no CSR; removing it without renewal"
            );
            remove_secret(&model, &ev.secret_id)?;
            return Ok(());
        };
        let relations = model.relations(&self.endpoint)?;
        for relation in &relations {
            let why = "its certificate secret expired";
            self.reconcile(ctx, relation, &Replace::from([(csr.clone(), why)]))?;
        }
        if relations.is_empty() {
            tracing::info!(
                "certificate secret expired with no {} relation left; removing it",
                self.endpoint
            );
        }
        remove_secret(&model, &ev.secret_id)?;
        Ok(())
    }

    /// One of our secrets has a revision no one tracks: remove it.
    pub(super) fn on_secret_remove<C: Charm>(
        &mut self,
        ctx: &mut Ctx<'_, C>,
        ev: &mut SecretRemove,
    ) -> HandlerResult {
        let model = ctx.model().clone();
        let Some(label) = ev.label.as_deref() else {
            return Ok(());
        };
        if self.certificate_label_mode(&model, label).is_none() && !self.is_key_label(&model, label)
        {
            return Ok(());
        }
        match model
            .secret(Some(&ev.secret_id), None)
            .remove_revision(ev.revision)
        {
            Err(e) if e.is_secret_not_found() => {
                tracing::warn!("secret {label:?} revision {} is already gone", ev.revision);
                Ok(())
            }
            other => Ok(other?),
        }
    }

    /// The relation is going: remove the keys and the certificate secrets of this endpoint
    /// (unless another relation on it remains, as the Python library).
    pub(super) fn on_relation_broken<C: Charm>(
        &mut self,
        ctx: &mut Ctx<'_, C>,
        _ev: &mut RelationBroken,
    ) -> HandlerResult {
        let model = ctx.model().clone();
        if !model.relations(&self.endpoint)?.is_empty() {
            tracing::warn!(
                "another {} relation remains: keeping the private keys and certificates",
                self.endpoint
            );
            return Ok(());
        }
        let modes = self.active_modes(&model)?;
        for mode in &modes {
            if self.remove_key(&model, *mode)? {
                tracing::info!(
                    "removed the {mode} private key of endpoint {}",
                    self.endpoint
                );
            }
        }
        self.remove_certificate_secrets(&model, &modes)?;
        if *ctx.stored()? != super::RequirerState::default() {
            *ctx.stored_mut()? = super::RequirerState::default();
        }
        Ok(())
    }

    /// Removes every certificate secret of this endpoint in `modes`, found among the secrets
    /// this unit owns.
    fn remove_certificate_secrets(
        &self,
        model: &Model,
        modes: &[crate::v1::Mode],
    ) -> Result<(), TlsError> {
        let prefix = labels::certificate_prefix_any();
        for id in model.secret_ids()? {
            let mut secret = model.secret(Some(&id), None);
            let info = match secret.info() {
                Ok(info) => info,
                // An application secret on a unit that does not lead, or one gone already.
                Err(e) if e.is_secret_not_found() => continue,
                Err(ops::model::ModelError::PermissionDenied { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            let Some(label) = info.label.as_deref() else {
                continue;
            };
            if !label.starts_with(&prefix) {
                continue;
            }
            match self.certificate_label_mode(model, label) {
                Some(mode) if modes.contains(&mode) => {
                    secret.remove_all_revisions()?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Removes a secret by id; gone already is fine.
fn remove_secret(model: &Model, id: &str) -> Result<(), TlsError> {
    match model.secret(Some(id), None).remove_all_revisions() {
        Err(e) if e.is_secret_not_found() => Ok(()),
        other => Ok(other?),
    }
}
