//! [`DatabaseRequirer`]: the application side. It asks for a database when the relation is
//! created, and announces what the provider publishes with custom events.
//!
//! | Juju event | What the requirer does | Python `DatabaseRequires` |
//! |---|---|---|
//! | `<endpoint>-relation-created` | leader: writes `database`, `requested-secrets`, `provided-secrets`, `extra-user-roles`, ... to the application bag, `requested-secrets` and `provided-secrets` to its unit bag | the same |
//! | `<endpoint>-relation-changed` | every unit: compares the provider's bag with its last view (`data` in its unit bag), labels newly shared secrets, emits `status-raised`/`status-resolved`, then at most one of `database-created`, `database-entity-created`, `endpoints-changed`, `read-only-endpoints-changed`, `prefix-databases-changed`, `authentication-updated` | the same, without `authentication-updated` |
//! | `secret-changed` of a secret it labelled | tracks the new revision, emits `authentication-updated` | nothing |

mod events;
mod read;

use std::collections::BTreeMap;

use ops::event::{RelationChanged, RelationCreated, SecretChanged};
use ops::framework::{Charm, Component, ComponentCtx, ComponentObservers, HandlerResult};
use ops::hookcmds::secret::{SecretRevision, secret_get};
use ops::model::{Model, ModelError, Relation};
use serde::{Deserialize, Serialize};

pub use events::{
    AuthenticationUpdated, DatabaseCreated, DatabaseEntityCreated, EndpointsChanged,
    PrefixDatabasesChanged, ReadOnlyEndpointsChanged, StatusRaised, StatusResolved,
};
pub use read::DatabaseInfo;

use super::RelationStatus;
use super::diff::{Diff, comparable, load_snapshot, snapshot_text};
use super::protocol::{self as p, SecretGroup, py_json_list};

/// A custom entity to request instead of a plain relation user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntityType {
    /// A database user (`USER`); may come with extra user roles.
    User,
    /// A group/role (`GROUP`); may come with extra group roles.
    Group,
}

impl EntityType {
    /// How the protocol spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::User => "USER",
            EntityType::Group => "GROUP",
        }
    }
}

/// One permission of a requested entity (the protocol's `entity-permissions` items).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityPermission {
    /// What it applies to, e.g. `items`.
    pub resource_name: String,
    /// Its kind, e.g. `TABLE`.
    pub resource_type: String,
    /// The privileges, e.g. `SELECT`.
    pub privileges: Vec<String>,
}

/// The requirer side of the v0 database protocol, as a [`Component`]: one instance per
/// endpoint, configured with the database to request.
///
/// ```
/// use ops::prelude::*;
/// use ops::event::Custom;
/// use ops_interface_database::v0::{DatabaseCreated, DatabaseRequirer};
///
/// struct App { db: DatabaseRequirer }
/// impl Default for App {
///     fn default() -> Self {
///         App { db: DatabaseRequirer::new("database", "myapp").extra_user_roles("CREATEDB") }
///     }
/// }
/// impl Charm for App {
///     type Stored = ();
///     fn observe(on: &mut Observers<Self>) {
///         on.component("db", |c: &mut App| &mut c.db);
///         on.custom::<DatabaseCreated>("db", "on_db_created", Self::on_db_created);
///     }
/// }
/// impl App {
///     fn on_db_created(&mut self, ctx: &mut Ctx<Self>, ev: &mut Custom<DatabaseCreated>) -> HandlerResult {
///         let info = self.db.fetch(ctx.model(), ev.relation_id)?;
///         let (Some(user), Some(password)) = (info.username(), info.password()) else {
///             return Ok(());
///         };
///         let dsn = format!("postgres://{user}:{}@{}/myapp", password.expose(), info.endpoints()[0]);
///         # let _ = dsn;
///         Ok(())
///     }
/// }
/// # use ops::testing::{Context, State};
/// # use ops::testing::juju::{RelationState, SecretState, SecretOwnership};
/// # let meta = ops::metadata::CharmMeta::from_charmcraft_yaml(
/// #     "name: app\nrequires:\n  database: {interface: postgresql_client}\n")?;
/// # let ctx = Context::<App>::new(meta);
/// # let secret = SecretState::new("secret:cr0ahn1dqe3k7mqmsc2g", SecretOwnership::Consumer, [("username", "u"), ("password", "p")]);
/// # let rel = RelationState::new(3, "database", "pg").remote_app_data([("secret-user", "secret:cr0ahn1dqe3k7mqmsc2g"), ("endpoints", "pg:5432")]);
/// # let out = ctx.run(ctx.on.relation_changed(&rel), &State::new().relation(rel.clone()).secret(secret))?;
/// # assert_eq!(out.emitted_events[0].name, "database-created");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseRequirer {
    endpoint: String,
    database: String,
    extra_user_roles: Option<String>,
    extra_group_roles: Option<String>,
    entity_type: Option<EntityType>,
    entity_permissions: Vec<EntityPermission>,
    external_node_connectivity: bool,
    additional_secret_fields: Vec<String>,
}

impl DatabaseRequirer {
    /// A requirer on `endpoint` asking for `database` (a name, or a prefix ending in `*`).
    pub fn new(endpoint: impl Into<String>, database: impl Into<String>) -> Self {
        DatabaseRequirer {
            endpoint: endpoint.into(),
            database: database.into(),
            extra_user_roles: None,
            extra_group_roles: None,
            entity_type: None,
            entity_permissions: Vec::new(),
            external_node_connectivity: false,
            additional_secret_fields: Vec::new(),
        }
    }

    /// Extra roles for the relation user (`extra-user-roles`, e.g. `CREATEDB,CREATEROLE`).
    #[must_use]
    pub fn extra_user_roles(mut self, roles: impl Into<String>) -> Self {
        self.extra_user_roles = Some(roles.into());
        self
    }

    /// Extra roles for a requested group entity (`extra-group-roles`).
    #[must_use]
    pub fn extra_group_roles(mut self, roles: impl Into<String>) -> Self {
        self.extra_group_roles = Some(roles.into());
        self
    }

    /// Requests a custom entity (`entity-type`) instead of a plain relation user; the
    /// provider answers with `database-entity-created`.
    #[must_use]
    pub fn entity(mut self, entity: EntityType) -> Self {
        self.entity_type = Some(entity);
        self
    }

    /// Adds a permission of the requested entity (`entity-permissions`).
    #[must_use]
    pub fn entity_permission(mut self, permission: EntityPermission) -> Self {
        self.entity_permissions.push(permission);
        self
    }

    /// Asks a subordinate provider to listen beyond its host (`external-node-connectivity`).
    #[must_use]
    pub fn external_node_connectivity(mut self, external: bool) -> Self {
        self.external_node_connectivity = external;
        self
    }

    /// More provider fields to receive in a secret (the `extra` group), on top of
    /// [`DEFAULT_REQUESTED_SECRETS`](super::protocol::DEFAULT_REQUESTED_SECRETS).
    #[must_use]
    pub fn additional_secret_field(mut self, field: impl Into<String>) -> Self {
        self.additional_secret_fields.push(field.into());
        self
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The database requested.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The fields asked for in secrets (`requested-secrets`), in the order written.
    pub fn requested_secrets(&self) -> Vec<String> {
        p::DEFAULT_REQUESTED_SECRETS
            .iter()
            .map(|s| (*s).to_owned())
            .chain(self.additional_secret_fields.iter().cloned())
            .collect()
    }

    /// What the configuration asks that the protocol forbids (Python raises on these when
    /// the charm starts).
    pub fn config_problem(&self) -> Option<String> {
        match self.entity_type {
            Some(EntityType::User) if self.extra_group_roles.is_some() => {
                Some("a USER entity takes extra user roles, not extra group roles".to_owned())
            }
            Some(EntityType::Group) if self.extra_user_roles.is_some() => {
                Some("a GROUP entity takes extra group roles, not extra user roles".to_owned())
            }
            None if !self.entity_permissions.is_empty() => {
                Some("entity permissions need an entity type".to_owned())
            }
            _ => None,
        }
    }

    /// What the provider published on relation `relation_id` (see [`DatabaseInfo`]): one
    /// `relation-get` (cached for the hook), a `relation-list --app` outside the relation's
    /// own events, and one `secret-get` per secret group the provider shared.
    pub fn fetch(&self, model: &Model, relation_id: u32) -> Result<DatabaseInfo, ModelError> {
        DatabaseInfo::read(
            model,
            &self.endpoint,
            relation_id,
            &self.requested_secrets(),
        )
    }

    /// [`fetch`](Self::fetch) for every relation of the endpoint.
    pub fn fetch_all(&self, model: &Model) -> Result<Vec<DatabaseInfo>, ModelError> {
        model
            .relation_ids(&self.endpoint)?
            .into_iter()
            .map(|id| self.fetch(model, id))
            .collect()
    }

    /// Whether the provider has created what was asked on `relation_id`, or on every
    /// relation of the endpoint (false with none), as Python's `is_resource_created`.
    pub fn is_resource_created(
        &self,
        model: &Model,
        relation_id: Option<u32>,
    ) -> Result<bool, ModelError> {
        match relation_id {
            Some(id) => Ok(self.fetch(model, id)?.is_created()),
            None => {
                let all = self.fetch_all(model)?;
                Ok(!all.is_empty() && all.iter().all(DatabaseInfo::is_created))
            }
        }
    }

    /// The application bag this requirer writes when the relation is created.
    pub fn request_fields(&self, cross_model: bool) -> BTreeMap<String, String> {
        let mut bag = self.unit_request_fields(cross_model);
        bag.insert(p::DATABASE.into(), self.database.clone());
        let optional = [
            (p::EXTRA_USER_ROLES, self.extra_user_roles.clone()),
            (p::EXTRA_GROUP_ROLES, self.extra_group_roles.clone()),
            (
                p::ENTITY_TYPE,
                self.entity_type.map(|e| e.as_str().to_owned()),
            ),
            (
                p::ENTITY_PERMISSIONS,
                (!self.entity_permissions.is_empty())
                    .then(|| serde_json::to_string(&self.entity_permissions).ok())
                    .flatten(),
            ),
            (
                p::EXTERNAL_NODE_CONNECTIVITY,
                self.external_node_connectivity.then(|| "true".to_owned()),
            ),
        ];
        for (k, v) in optional {
            if let Some(v) = v {
                bag.insert(k.to_owned(), v);
            }
        }
        bag
    }

    /// What this requirer writes to its unit bag when the relation is created.
    fn unit_request_fields(&self, cross_model: bool) -> BTreeMap<String, String> {
        let mut bag = BTreeMap::new();
        bag.insert(
            p::REQUESTED_SECRETS.to_owned(),
            py_json_list(&self.requested_secrets()),
        );
        if !cross_model {
            bag.insert(
                p::PROVIDED_SECRETS.to_owned(),
                py_json_list(&[p::MTLS_CERT]),
            );
        }
        bag
    }
}

impl<C: Charm> Component<C> for DatabaseRequirer {
    type Stored = ();

    fn observe(&self, on: &mut ComponentObservers<'_, C, Self>) {
        on.relation_created(&self.endpoint, "on_relation_created", Self::on_created);
        on.relation_changed(&self.endpoint, "on_relation_changed", Self::on_changed);
        on.secret_changed("on_secret_changed", Self::on_secret_changed);
    }
}

/// Which event a change of the provider's bag announces (at most one, as in Python).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Announce {
    Created,
    EntityCreated,
    EndpointsChanged,
    ReadOnlyEndpointsChanged,
    PrefixDatabasesChanged,
    TlsUpdated,
}

/// The Python library's decision, in its order: credentials shared, entity created, then the
/// first of endpoints, read-only endpoints, prefix databases that changed; then (ours) the
/// TLS secret. `entity_requested`: the provider's view of the request has `entity-type`.
pub(crate) fn announce(diff: &Diff, entity_requested: bool) -> Option<Announce> {
    let user = SecretGroup::User.field();
    let entity = SecretGroup::Entity.field();
    let credentials = diff.added.contains(&user)
        || (diff.added.contains(p::USERNAME) && diff.added.contains(p::PASSWORD));
    if credentials && !entity_requested {
        return Some(Announce::Created);
    }
    if (diff.added.contains(&entity) || diff.added.contains(p::ENTITY_NAME)) && entity_requested {
        return Some(Announce::EntityCreated);
    }
    if diff.touched(p::ENDPOINTS) {
        return Some(Announce::EndpointsChanged);
    }
    if diff.touched(p::READ_ONLY_ENDPOINTS) {
        return Some(Announce::ReadOnlyEndpointsChanged);
    }
    if diff.touched(p::PREFIX_DATABASES) {
        return Some(Announce::PrefixDatabasesChanged);
    }
    if diff.touched(&SecretGroup::Tls.field()) {
        return Some(Announce::TlsUpdated);
    }
    None
}

/// Statuses raised and resolved between two `status` fields.
fn status_changes(
    old: Option<&String>,
    new: Option<&String>,
    relation: &str,
) -> (Vec<RelationStatus>, Vec<RelationStatus>) {
    let parse = |text: Option<&String>, whose: &str| -> Vec<RelationStatus> {
        let Some(text) = text else { return Vec::new() };
        let (list, problems) = RelationStatus::parse_list(text);
        for e in problems {
            tracing::warn!("relation {relation}: the {whose} `status` field {e}");
        }
        list
    };
    let old = parse(old, "last seen");
    let new = parse(new, "provider's");
    let codes = |l: &[RelationStatus]| l.iter().map(|s| s.code).collect::<Vec<_>>();
    let (old_codes, new_codes) = (codes(&old), codes(&new));
    let mut raised: Vec<RelationStatus> = new
        .iter()
        .filter(|s| !old_codes.contains(&s.code))
        .cloned()
        .collect();
    let mut resolved: Vec<RelationStatus> = old
        .iter()
        .filter(|s| !new_codes.contains(&s.code))
        .cloned()
        .collect();
    raised.sort_by_key(|s| s.code);
    raised.dedup_by_key(|s| s.code);
    resolved.sort_by_key(|s| s.code);
    resolved.dedup_by_key(|s| s.code);
    (raised, resolved)
}

impl DatabaseRequirer {
    fn on_created<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        ev: &mut RelationCreated,
    ) -> HandlerResult {
        if !ctx.model().is_leader()? {
            return Ok(());
        }
        if let Some(problem) = self.config_problem() {
            tracing::error!(
                "not requesting a database on {}:{}: {problem}; fix the charm's \
                 DatabaseRequirer configuration",
                self.endpoint,
                ev.relation_id
            );
            return Ok(());
        }
        let relation = ctx.model().relation(&self.endpoint, ev.relation_id);
        let cross_model = is_cross_model(ctx.model(), &relation, &ctx.juju_context().model_uuid);
        let app: Vec<(String, Option<String>)> = self
            .request_fields(cross_model)
            .into_iter()
            .map(|(k, v)| (k, Some(v)))
            .collect();
        relation.local_app_data().update(app)?;
        let unit: Vec<(String, Option<String>)> = self
            .unit_request_fields(cross_model)
            .into_iter()
            .map(|(k, v)| (k, Some(v)))
            .collect();
        relation.local_unit_data().update(unit)?;
        Ok(())
    }

    fn on_changed<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        ev: &mut RelationChanged,
    ) -> HandlerResult {
        let model = ctx.model().clone();
        let relation = model.relation(&self.endpoint, ev.relation_id);
        let name = format!("{}:{}", self.endpoint, ev.relation_id);
        let Some(remote_bag) = relation.remote_app_data()? else {
            tracing::debug!("relation {name}: no remote application yet");
            return Ok(());
        };
        let remote = remote_bag.get_all()?;
        let local = relation.local_unit_data();
        let old = load_snapshot(&local.get_all()?, &format!("this unit's bag on {name}"));
        let remote_app = ev.remote_app.clone().or(relation.remote_app()?);

        let (raised, resolved) = status_changes(old.get(p::STATUS), remote.get(p::STATUS), &name);
        for status in raised {
            ctx.emit(StatusRaised {
                relation_id: ev.relation_id,
                remote_app: remote_app.clone(),
                status,
            })?;
        }
        for status in resolved {
            ctx.emit(StatusResolved {
                relation_id: ev.relation_id,
                remote_app: remote_app.clone(),
                status,
            })?;
        }

        if remote.get(p::SUBORDINATED).map(String::as_str) == Some("true")
            && !subordinate_ready(&relation)?
        {
            tracing::debug!("relation {name}: the subordinate provider is not ready yet");
            return Ok(());
        }

        let new = comparable(&remote);
        let diff = Diff::between(&old, &new);
        if old != new {
            local.set(p::SNAPSHOT, snapshot_text(&new))?;
        }
        if model.juju_version().has_secrets() {
            for group in SecretGroup::ALL {
                let field = group.field();
                if let Some(uri) = remote.get(&field).filter(|_| diff.touched(&field)) {
                    let label = group.label(&self.endpoint, ev.relation_id);
                    if let Err(e) = read::read_secret(&model, uri, &label) {
                        tracing::warn!(
                            "relation {name}: the provider's {field} secret cannot be read \
                             ({e}); its fields will be read from the databag, if there"
                        );
                    }
                }
            }
        }

        // The provider's view of this side's request (its own `data`): was an entity asked?
        let entity_requested = load_snapshot(&remote, &format!("the provider's bag on {name}"))
            .contains_key(p::ENTITY_TYPE);
        let Some(what) = announce(&diff, entity_requested) else {
            return Ok(());
        };
        let field = |k: &str| remote.get(k).cloned();
        macro_rules! payload {
            ($ty:ident) => {
                $ty {
                    relation_id: ev.relation_id,
                    remote_app: remote_app.clone(),
                    database: field(p::DATABASE),
                    endpoints: field(p::ENDPOINTS),
                    read_only_endpoints: field(p::READ_ONLY_ENDPOINTS),
                    version: field(p::VERSION),
                    prefix_databases: field(p::PREFIX_DATABASES),
                }
            };
        }
        tracing::info!("relation {name}: {what:?}");
        match what {
            Announce::Created => ctx.emit(payload!(DatabaseCreated))?,
            Announce::EntityCreated => ctx.emit(payload!(DatabaseEntityCreated))?,
            Announce::EndpointsChanged => ctx.emit(payload!(EndpointsChanged))?,
            Announce::ReadOnlyEndpointsChanged => ctx.emit(payload!(ReadOnlyEndpointsChanged))?,
            Announce::PrefixDatabasesChanged => ctx.emit(payload!(PrefixDatabasesChanged))?,
            Announce::TlsUpdated => ctx.emit(AuthenticationUpdated {
                relation_id: ev.relation_id,
                remote_app,
                group: SecretGroup::Tls.as_str().to_owned(),
            })?,
        }
        Ok(())
    }

    fn on_secret_changed<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        ev: &mut SecretChanged,
    ) -> HandlerResult {
        let Some((endpoint, relation_id, group)) =
            ev.label.as_deref().and_then(SecretGroup::parse_label)
        else {
            return Ok(());
        };
        if endpoint != self.endpoint {
            return Ok(());
        }
        let model = ctx.model().clone();
        let label = group.label(endpoint, relation_id);
        // Track the new revision, so every later read in this hook and after sees it.
        if let Err(e) = secret_get(
            &**model.runner(),
            None,
            Some(&label),
            SecretRevision::Refresh,
        ) {
            tracing::warn!(
                "the {} secret of relation {endpoint}:{relation_id} changed but cannot be read \
                 ({e}); keeping the revision tracked so far",
                group.as_str()
            );
            return Ok(());
        }
        let relation = model.relation(&self.endpoint, relation_id);
        let remote_app = match relation.remote_app() {
            Ok(app) => app,
            Err(ModelError::RelationNotFound { .. }) => {
                tracing::debug!("relation {endpoint}:{relation_id} is gone; nothing to announce");
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        ctx.emit(AuthenticationUpdated {
            relation_id,
            remote_app,
            group: group.as_str().to_owned(),
        })?;
        Ok(())
    }
}

/// Whether the relation crosses models: `relation-model-get` (Juju 3.6.2) names another
/// model than this one. Unknown (an older Juju, or an error) counts as the same model, as
/// in Python.
fn is_cross_model(model: &Model, relation: &Relation, own_uuid: &str) -> bool {
    if !model.juju_version().has_relation_model_get() {
        return false;
    }
    match relation.remote_model_uuid() {
        Ok(uuid) => !own_uuid.is_empty() && uuid != own_uuid,
        Err(e) => {
            tracing::debug!("cannot tell whether the relation crosses models ({e}); assuming not");
            false
        }
    }
}

/// Whether a subordinate provider's unit says `state: ready`.
fn subordinate_ready(relation: &Relation) -> Result<bool, ModelError> {
    for unit in relation.units()? {
        if relation.unit_data(&unit).get(p::STATE)?.as_deref() == Some("ready") {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests;
