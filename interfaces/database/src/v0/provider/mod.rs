//! [`DatabaseProvider`]: the database side. It announces requests with custom events and
//! publishes credentials (in Juju secrets granted to the relation) and endpoints.
//!
//! | Juju event | What the provider does | Python `DatabaseProvides` |
//! |---|---|---|
//! | `<endpoint>-relation-changed` | leader: compares the requirer's bag with its last view (`data` in its application bag), emits at most one of `database-requested`, `database-entity-requested`, `database-entity-permissions-changed` | the same; a change of `entity-type` or the extra roles fails the hook there, is logged here |
//! | [`publish`](DatabaseProvider::publish) | leader: requested secret fields into one secret per group (labelled `<endpoint>.<id>.<group>.secret`, granted to the relation, URI in `secret-<group>`), the rest into the application bag | `set_credentials`, `set_endpoints`, `set_tls`, ... |

mod events;
mod publication;

use std::collections::BTreeMap;

use ops::event::RelationChanged;
use ops::framework::{Charm, Component, ComponentCtx, ComponentObservers, HandlerResult};
use ops::model::{Model, ModelError, Relation, SecretContent, SecretMetadata, SecretOwner};

pub use events::{
    DatabaseEntityPermissionsChanged, DatabaseEntityRequested, DatabaseRequest, DatabaseRequested,
};
pub use publication::Publication;

use super::DatabaseError;
use super::diff::{Diff, comparable, load_snapshot, snapshot_text};
use super::protocol::{self as p, SecretGroup, parse_string_list};

/// The provider side of the v0 database protocol, as a [`Component`].
///
/// ```
/// use ops::prelude::*;
/// use ops::event::Custom;
/// use ops_interface_database::v0::{DatabaseProvider, DatabaseRequested, Publication};
///
/// struct Db { clients: DatabaseProvider }
/// impl Default for Db {
///     fn default() -> Self { Db { clients: DatabaseProvider::new("database") } }
/// }
/// impl Charm for Db {
///     type Stored = ();
///     fn observe(on: &mut Observers<Self>) {
///         on.component("clients", |c: &mut Db| &mut c.clients);
///         on.custom::<DatabaseRequested>("clients", "on_requested", Self::on_requested);
///     }
/// }
/// impl Db {
///     fn on_requested(&mut self, ctx: &mut Ctx<Self>, ev: &mut Custom<DatabaseRequested>) -> HandlerResult {
///         let Some(name) = ev.request.database.clone() else { return Ok(()) };
///         // ... create the database and a user for it ...
///         let publication = Publication::new()
///             .database(name)
///             .credentials(format!("relation-{}", ev.request.relation_id), "generated")
///             .endpoints(["db-primary:5432"])
///             .tls(false);
///         self.clients.publish(ctx.model(), ev.request.relation_id, &publication)?;
///         Ok(())
///     }
/// }
/// # use ops::testing::{Context, State};
/// # use ops::testing::juju::RelationState;
/// # let meta = ops::metadata::CharmMeta::from_charmcraft_yaml(
/// #     "name: db\nprovides:\n  database: {interface: postgresql_client}\n")?;
/// # let ctx = Context::<Db>::new(meta);
/// # let rel = RelationState::new(5, "database", "app").remote_app_data([
/// #     ("database", "myapp"), ("requested-secrets", r#"["username", "password"]"#)]);
/// # let out = ctx.run(ctx.on.relation_changed(&rel), &State::new().leader(true).relation(rel.clone()))?;
/// # let bag = &out.state.relation_by_id(5).unwrap().local_app_data;
/// # assert!(bag["secret-user"].starts_with("secret:"));
/// # assert_eq!(bag["tls"], "False");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseProvider {
    endpoint: String,
}

/// The fields a provider may publish before the requirer asked for anything.
const EARLY_FIELDS: [&str; 4] = [
    p::ENDPOINTS,
    p::READ_ONLY_ENDPOINTS,
    p::REPLSET,
    p::ENCRYPTION_SECRET,
];

impl DatabaseProvider {
    /// A provider on `endpoint`.
    pub fn new(endpoint: impl Into<String>) -> Self {
        DatabaseProvider {
            endpoint: endpoint.into(),
        }
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// What the requirer asked for on `relation_id` (`None` if its application is not
    /// known). One `relation-get`, cached for the hook.
    pub fn request(
        &self,
        model: &Model,
        relation_id: u32,
    ) -> Result<Option<DatabaseRequest>, ModelError> {
        let relation = model.relation(&self.endpoint, relation_id);
        let Some(bag) = relation.remote_app_data()? else {
            return Ok(None);
        };
        let remote = bag.get_all()?;
        Ok(Some(request_from(
            relation_id,
            relation.remote_app()?,
            &remote,
        )))
    }

    /// Publishes `publication` on relation `relation_id` (leader only), as the Python
    /// provider's `set_*` methods write it:
    ///
    /// - the fields the requirer listed in `requested-secrets` go into one Juju secret per
    ///   group (`user`: username, password, uris, read-only-uris; `tls`: tls, tls-ca;
    ///   `entity`; `extra`: anything else), owned by the application, labelled
    ///   `<endpoint>.<id>.<group>.secret`, granted to the relation, its URI in
    ///   `secret-<group>`; an existing secret gets a new revision only if its content
    ///   changes;
    /// - the others go into the application bag, in one `relation-set` of the keys that
    ///   change;
    /// - a requirer that sent no `requested-secrets` (an old library, or Juju without
    ///   secrets) gets everything in the bag; one whose `requested-secrets` does not parse
    ///   gets the default list (nothing sensitive falls back to the bag), with a warning.
    ///
    /// # Errors
    ///
    /// [`DatabaseError::NotLeader`]; [`DatabaseError::Premature`] for anything but
    /// endpoints before the requirer asked for a database; a hook tool's failure.
    pub fn publish(
        &self,
        model: &Model,
        relation_id: u32,
        publication: &Publication,
    ) -> Result<(), DatabaseError> {
        let name = format!("{}:{relation_id}", self.endpoint);
        if !model.is_leader()? {
            return Err(DatabaseError::NotLeader { relation: name });
        }
        let relation = model.relation(&self.endpoint, relation_id);
        let remote = match relation.remote_app_data()? {
            Some(bag) => bag.get_all()?,
            None => BTreeMap::new(),
        };
        let fields = publication.fields();
        if !remote.contains_key(p::DATABASE) {
            let early: Vec<&str> = fields
                .keys()
                .map(String::as_str)
                .filter(|k| !EARLY_FIELDS.contains(k))
                .collect();
            if !early.is_empty() {
                return Err(DatabaseError::Premature {
                    relation: name,
                    fields: early.join(", "),
                });
            }
        }
        let local_bag = relation.local_app_data();
        let local = local_bag.get_all()?;
        let requested = requested_secrets(&remote, &name);
        let in_secrets = model.juju_version().has_secrets()
            && !requested.is_empty()
            // A relation that started with plain fields stays on them (Python's
            // fallback_to_databag).
            && !requested.iter().any(|f| local.contains_key(f));

        let mut bag_changes: BTreeMap<String, String> = BTreeMap::new();
        let mut groups: BTreeMap<SecretGroup, BTreeMap<String, String>> = BTreeMap::new();
        for (k, v) in fields {
            if in_secrets && requested.contains(&k) {
                groups.entry(SecretGroup::of(&k)).or_default().insert(k, v);
            } else {
                bag_changes.insert(k, v);
            }
        }
        for (group, content) in groups {
            if let Some(uri) = self.put_secret(model, &relation, group, content, &local)? {
                bag_changes.insert(group.field(), uri);
            }
        }
        bag_changes.retain(|k, v| local.get(k) != Some(v));
        local_bag.update(bag_changes.into_iter().map(|(k, v)| (k, Some(v))))?;
        Ok(())
    }

    /// Writes `content` into the group's secret, creating and granting it if needed;
    /// returns the URI to put in the bag when the bag does not hold it yet.
    fn put_secret(
        &self,
        model: &Model,
        relation: &Relation,
        group: SecretGroup,
        content: BTreeMap<String, String>,
        local: &BTreeMap<String, String>,
    ) -> Result<Option<String>, DatabaseError> {
        let label = group.label(&self.endpoint, relation.id());
        let known = local.get(&group.field()).cloned();
        let existing = match model.get_secret(known.as_deref(), Some(&label)) {
            Ok(s) => Some(s),
            Err(ModelError::SecretNotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        match existing {
            Some(mut secret) => {
                let old = secret.content()?.into_map();
                let mut merged = old.clone();
                merged.extend(content);
                if merged != old {
                    secret.set_content(&SecretContent::from_pairs(merged))?;
                }
                match known {
                    Some(_) => Ok(None),
                    None => Ok(Some(secret.info()?.id)),
                }
            }
            None => {
                let mut secret = model.add_secret(
                    &SecretContent::from_pairs(content),
                    SecretOwner::Application,
                    &SecretMetadata::default().label(label),
                )?;
                secret.grant(relation, None)?;
                let id = secret
                    .id()
                    .map(str::to_owned)
                    .ok_or_else(|| ModelError::BadAnswer {
                        tool: "secret-add".into(),
                        detail: "no secret id returned".into(),
                    })?;
                Ok(Some(id))
            }
        }
    }

    /// Removes the secrets this provider created for relation `relation_id` (call it from
    /// your `relation-broken` handler once the user is dropped; the Python library leaves
    /// them). Returns how many it removed.
    ///
    /// # Errors
    ///
    /// [`DatabaseError::NotLeader`]; a hook tool's failure.
    pub fn remove_secrets(&self, model: &Model, relation_id: u32) -> Result<usize, DatabaseError> {
        if !model.is_leader()? {
            return Err(DatabaseError::NotLeader {
                relation: format!("{}:{relation_id}", self.endpoint),
            });
        }
        let mut removed = 0;
        for group in SecretGroup::ALL {
            match model.get_secret_by_label(&group.label(&self.endpoint, relation_id)) {
                Ok(mut secret) => {
                    secret.remove_all_revisions()?;
                    removed += 1;
                }
                Err(ModelError::SecretNotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(removed)
    }
}

/// The request in the requirer's bag.
fn request_from(
    relation_id: u32,
    remote_app: Option<String>,
    remote: &BTreeMap<String, String>,
) -> DatabaseRequest {
    let field = |k: &str| remote.get(k).cloned();
    DatabaseRequest {
        relation_id,
        remote_app,
        database: field(p::DATABASE),
        extra_user_roles: field(p::EXTRA_USER_ROLES),
        extra_group_roles: field(p::EXTRA_GROUP_ROLES),
        entity_type: field(p::ENTITY_TYPE),
        entity_permissions: field(p::ENTITY_PERMISSIONS),
        external_node_connectivity: remote
            .get(p::EXTERNAL_NODE_CONNECTIVITY)
            .is_some_and(|v| v == "true"),
        prefix_matching: field("prefix-matching"),
    }
}

/// The fields the requirer wants in secrets: none if it sent no list; the default list,
/// with a warning, if its list does not parse.
fn requested_secrets(remote: &BTreeMap<String, String>, relation: &str) -> Vec<String> {
    match remote.get(p::REQUESTED_SECRETS) {
        None => Vec::new(),
        Some(text) => parse_string_list(text).unwrap_or_else(|e| {
            tracing::warn!(
                "relation {relation}: the requirer's `{}` field cannot be read ({e}); sending \
                 the default secret fields in secrets",
                p::REQUESTED_SECRETS
            );
            p::DEFAULT_REQUESTED_SECRETS
                .iter()
                .map(|s| (*s).to_owned())
                .collect()
        }),
    }
}

/// Which event a change of the requirer's bag announces (Python's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Announce {
    Requested,
    EntityRequested,
    PermissionsChanged,
}

pub(crate) fn announce(diff: &Diff) -> Option<Announce> {
    let database = diff.added.contains(p::DATABASE);
    let entity = diff.added.contains(p::ENTITY_TYPE);
    match (database, entity) {
        (true, false) => Some(Announce::Requested),
        (true, true) => Some(Announce::EntityRequested),
        (false, false) if diff.touched(p::ENTITY_PERMISSIONS) => Some(Announce::PermissionsChanged),
        _ => None,
    }
}

impl<C: Charm> Component<C> for DatabaseProvider {
    type Stored = ();

    fn observe(&self, on: &mut ComponentObservers<'_, C, Self>) {
        on.relation_changed(&self.endpoint, "on_relation_changed", Self::on_changed);
    }
}

impl DatabaseProvider {
    fn on_changed<C: Charm>(
        &mut self,
        ctx: &mut ComponentCtx<'_, C, Self>,
        ev: &mut RelationChanged,
    ) -> HandlerResult {
        let model = ctx.model().clone();
        if !model.is_leader()? {
            return Ok(());
        }
        let name = format!("{}:{}", self.endpoint, ev.relation_id);
        let relation = model.relation(&self.endpoint, ev.relation_id);
        let Some(remote_bag) = relation.remote_app_data()? else {
            return Ok(());
        };
        let remote = remote_bag.get_all()?;
        let local_bag = relation.local_app_data();
        let old = load_snapshot(
            &local_bag.get_all()?,
            &format!("this application's bag on {name}"),
        );
        let new = comparable(&remote);
        let diff = Diff::between(&old, &new);
        if old != new {
            local_bag.set(p::SNAPSHOT, snapshot_text(&new))?;
        }
        if diff.added.contains("requests") && !remote.contains_key(p::DATABASE) {
            tracing::warn!(
                "relation {name}: the requirer speaks the v1 protocol of dpcharmlibs-interfaces \
                 (a `requests` list); this provider speaks v0 only, so it sees no request"
            );
        }
        for key in [p::ENTITY_TYPE, p::EXTRA_USER_ROLES, p::EXTRA_GROUP_ROLES] {
            if diff.changed.contains(key) {
                tracing::error!(
                    "relation {name}: the requirer changed `{key}` after the relation was set \
                     up, which the protocol forbids; the change is ignored (remove and \
                     re-add the relation to change it)"
                );
                return Ok(());
            }
        }
        let Some(what) = announce(&diff) else {
            return Ok(());
        };
        let remote_app = ev.remote_app.clone().or(relation.remote_app()?);
        let request = request_from(ev.relation_id, remote_app, &remote);
        tracing::info!("relation {name}: {what:?}");
        match what {
            Announce::Requested => ctx.emit(DatabaseRequested { request })?,
            Announce::EntityRequested => ctx.emit(DatabaseEntityRequested { request })?,
            Announce::PermissionsChanged => {
                ctx.emit(DatabaseEntityPermissionsChanged { request })?
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(old: &[(&str, &str)], new: &[(&str, &str)]) -> Diff {
        let m = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        Diff::between(&m(old), &m(new))
    }

    #[test]
    fn requests_are_announced_as_in_python() {
        assert_eq!(
            announce(&diff(&[], &[("database", "x")])),
            Some(Announce::Requested)
        );
        assert_eq!(
            announce(&diff(&[], &[("database", "x"), ("entity-type", "USER")])),
            Some(Announce::EntityRequested)
        );
        let old = [
            ("database", "x"),
            ("entity-type", "USER"),
            ("entity-permissions", "[]"),
        ];
        let new = [
            ("database", "x"),
            ("entity-type", "USER"),
            ("entity-permissions", "[1]"),
        ];
        assert_eq!(
            announce(&diff(&old, &new)),
            Some(Announce::PermissionsChanged)
        );
        assert_eq!(announce(&diff(&old, &old)), None);
    }

    #[test]
    fn requested_secrets_default_when_unreadable_and_empty_when_absent() {
        let m = |v: &str| -> BTreeMap<String, String> {
            [("requested-secrets".to_owned(), v.to_owned())].into()
        };
        assert_eq!(
            requested_secrets(&m(r#"["username"]"#), "db:1"),
            ["username"]
        );
        assert_eq!(requested_secrets(&m("{oops"), "db:1").len(), 8);
        assert!(requested_secrets(&BTreeMap::new(), "db:1").is_empty());
    }
}
