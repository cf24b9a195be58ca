//! Shared by the integration tests: a requirer charm and a provider charm built on the
//! library, their metadata, the JSON schemas of the bags, and secret ids Juju accepts.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use bag_schema::{Schema, Values, decode};
use ops::metadata::CharmMeta;
use ops::prelude::*;
use ops::testing::juju::{RelationState, SecretOwnership, SecretState};
use ops::testing::{Context, Output, State};
use ops_interface_database::v0::{
    AuthenticationUpdated, DatabaseCreated, DatabaseProvider, DatabaseRequested, DatabaseRequirer,
    EndpointsChanged, Publication, ReadOnlyEndpointsChanged, StatusRaised, StatusResolved,
};
use serde_json::Value;

/// The requirer's endpoint and component key.
pub const DB: &str = "database";
pub const KEY: &str = "db";

/// A requirer application: asks for `myapp` with `CREATEDB`, records what it sees.
pub struct App {
    pub db: DatabaseRequirer,
}

impl Default for App {
    fn default() -> Self {
        App {
            db: DatabaseRequirer::new(DB, "myapp").extra_user_roles("CREATEDB"),
        }
    }
}

/// What the requirer charm saw, in order (never a password).
#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Seen {
    #[serde(default)]
    pub events: Vec<String>,
}

impl Charm for App {
    type Stored = Seen;
    fn observe(on: &mut Observers<Self>) {
        on.component(KEY, |c: &mut App| &mut c.db);
        on.custom::<DatabaseCreated>(KEY, "on_created", |c, ctx, ev| {
            if ctx.model().config_value("defer-created")? == Some(Value::Bool(true)) {
                ev.defer()?;
                return Ok(());
            }
            let info = c.db.fetch(ctx.model(), ev.relation_id)?;
            let line = format!(
                "created rel={} user={} endpoints={} tls={:?}",
                ev.relation_id,
                info.username().unwrap_or("-"),
                info.endpoints().join(","),
                info.tls()
            );
            ctx.stored_mut().events.push(line);
            Ok(())
        });
        on.custom::<EndpointsChanged>(KEY, "on_endpoints", |_c, ctx, ev| {
            let line = format!("endpoints {}", ev.endpoints.clone().unwrap_or_default());
            ctx.stored_mut().events.push(line);
            Ok(())
        });
        on.custom::<ReadOnlyEndpointsChanged>(KEY, "on_ro_endpoints", |_c, ctx, ev| {
            let line = format!(
                "read-only {}",
                ev.read_only_endpoints.clone().unwrap_or_default()
            );
            ctx.stored_mut().events.push(line);
            Ok(())
        });
        on.custom::<AuthenticationUpdated>(KEY, "on_auth", |c, ctx, ev| {
            let info = c.db.fetch(ctx.model(), ev.relation_id)?;
            let line = format!(
                "auth {} password-len={}",
                ev.group,
                info.password().map_or(0, |p| p.expose().len())
            );
            ctx.stored_mut().events.push(line);
            Ok(())
        });
        on.custom::<StatusRaised>(KEY, "on_raised", |_c, ctx, ev| {
            ctx.stored_mut()
                .events
                .push(format!("raised {}", ev.status.code));
            Ok(())
        });
        on.custom::<StatusResolved>(KEY, "on_resolved", |_c, ctx, ev| {
            ctx.stored_mut()
                .events
                .push(format!("resolved {}", ev.status.code));
            Ok(())
        });
    }
}

/// The same application without the library: the baseline for counting hook-tool calls.
#[derive(Default)]
pub struct Bare;

impl Charm for Bare {
    type Stored = ();
    fn observe(_on: &mut Observers<Self>) {}
}

pub fn requirer_meta() -> CharmMeta {
    CharmMeta::from_charmcraft_yaml(
        "name: app\n\
         requires:\n  database: {interface: postgresql_client, limit: 1}\n\
         config:\n  options:\n    defer-created: {type: boolean, default: false}\n",
    )
    .expect("valid metadata")
}

pub fn requirer() -> Context<App> {
    Context::new(requirer_meta())
}

/// A provider: publishes on request, and again with the configured password on
/// config-changed (a credentials rotation).
pub struct Db {
    pub clients: DatabaseProvider,
}

impl Default for Db {
    fn default() -> Self {
        Db {
            clients: DatabaseProvider::new(DB),
        }
    }
}

impl Db {
    fn publication(ctx: &Ctx<Self>, relation_id: u32) -> Result<Publication, HandlerError> {
        let password = match ctx.model().config_value("password")? {
            Some(Value::String(s)) => s,
            _ => "pw-1".to_owned(),
        };
        let tls = ctx.model().config_value("tls")? == Some(Value::Bool(true));
        let mut p = Publication::new()
            .database("myapp")
            .credentials(format!("relation-{relation_id}"), password.clone())
            .endpoints(["db-primary.db-endpoints:5432"])
            .read_only_endpoints(["db-replicas.db-endpoints:5432"])
            .version("16.4")
            .uris(format!(
                "postgresql://relation-{relation_id}:{password}@db-primary.db-endpoints:5432/myapp"
            ))
            .tls(tls);
        if tls {
            p = p.tls_ca("-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----");
        }
        Ok(p)
    }
}

impl Charm for Db {
    type Stored = Seen;
    fn observe(on: &mut Observers<Self>) {
        on.component("clients", |c: &mut Db| &mut c.clients);
        on.custom::<DatabaseRequested>("clients", "on_requested", |c, ctx, ev| {
            ctx.stored_mut().events.push(format!(
                "requested rel={} database={:?} roles={:?}",
                ev.request.relation_id, ev.request.database, ev.request.extra_user_roles
            ));
            let p = Db::publication(ctx, ev.request.relation_id)?;
            c.clients.publish(ctx.model(), ev.request.relation_id, &p)?;
            Ok(())
        });
        on.config_changed("rotate", |c, ctx, _ev| {
            if !ctx.model().is_leader()? {
                return Ok(());
            }
            for id in ctx.model().relation_ids(DB)? {
                if c.clients
                    .request(ctx.model(), id)?
                    .and_then(|r| r.database)
                    .is_some()
                {
                    let p = Db::publication(ctx, id)?;
                    c.clients.publish(ctx.model(), id, &p)?;
                }
            }
            Ok(())
        });
        on.relation_broken(DB, "cleanup", |c, ctx, ev| {
            if ctx.model().is_leader()? {
                let n = c.clients.remove_secrets(ctx.model(), ev.relation_id)?;
                ctx.stored_mut().events.push(format!("removed {n} secrets"));
            }
            Ok(())
        });
    }
}

pub fn provider_meta() -> CharmMeta {
    CharmMeta::from_charmcraft_yaml(
        "name: db\n\
         provides:\n  database: {interface: postgresql_client}\n\
         config:\n  options:\n    password: {type: string, default: pw-1}\n    tls: {type: boolean, default: false}\n",
    )
    .expect("valid metadata")
}

pub fn provider() -> Context<Db> {
    Context::new(provider_meta())
}

/// A secret id Juju accepts (20 base32hex characters), distinct per `n`.
pub fn secret_id(n: u32) -> String {
    format!("secret:d0{n:018}")
}

/// A secret the provider granted to the requirer.
pub fn granted(n: u32, content: &[(&str, &str)]) -> SecretState {
    SecretState::new(
        &secret_id(n),
        SecretOwnership::Consumer,
        content.iter().map(|(k, v)| (*k, *v)),
    )
}

/// The requirer's relation to `pg` (id 3) with the provider's application bag.
pub fn db_relation(remote: &[(&str, &str)]) -> RelationState {
    RelationState::new(3, DB, "pg")
        .interface("postgresql_client")
        .remote_unit("pg/0", [("egress-subnets", "10.0.0.7/32")])
        .remote_app_data(remote.iter().map(|(k, v)| (*k, *v)))
}

/// The decoded form the schemas describe: the named fields hold JSON text.
const JSON_FIELDS: [&str; 5] = [
    "requested-secrets",
    "provided-secrets",
    "entity-permissions",
    "data",
    "status",
];

/// Which schema.
#[derive(Debug, Clone, Copy)]
pub enum Bag {
    RequirerApp,
    RequirerUnit,
    ProviderApp,
}

fn schema_path(bag: Bag) -> PathBuf {
    let name = match bag {
        Bag::RequirerApp => "requirer-app.json",
        Bag::RequirerUnit => "requirer-unit.json",
        Bag::ProviderApp => "provider-app.json",
    };
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas/v0")
        .join(name)
}

/// Validates `bag` against its schema; the errors, one line each, if not.
pub fn validate(which: Bag, bag: &BTreeMap<String, String>) -> Result<(), Vec<String>> {
    let schema = Schema::load(schema_path(which)).unwrap_or_else(|e| panic!("{e}"));
    let errors = schema.errors(&decode(bag, Values::JsonIn(&JSON_FIELDS))?);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Asserts every bag this side wrote in `out` validates.
pub fn assert_requirer_bags_valid(out: &Output, step: &str) {
    for rel in &out.state.juju.relations {
        if rel.endpoint != DB {
            continue;
        }
        if !rel.local_app_data.is_empty() {
            if let Err(e) = validate(Bag::RequirerApp, &rel.local_app_data) {
                panic!(
                    "{step}: requirer app bag {:?} invalid: {e:#?}",
                    rel.local_app_data
                );
            }
        }
        if let Err(e) = validate(Bag::RequirerUnit, &rel.local_unit_data) {
            panic!(
                "{step}: requirer unit bag {:?} invalid: {e:#?}",
                rel.local_unit_data
            );
        }
    }
}

/// Asserts the provider's application bags in `out` validate, and its unit bags are empty.
pub fn assert_provider_bags_valid(out: &Output, step: &str) {
    for rel in &out.state.juju.relations {
        if rel.endpoint != DB {
            continue;
        }
        if let Err(e) = validate(Bag::ProviderApp, &rel.local_app_data) {
            panic!(
                "{step}: provider app bag {:?} invalid: {e:#?}",
                rel.local_app_data
            );
        }
        assert!(
            rel.local_unit_data.is_empty(),
            "{step}: the provider writes no unit data: {:?}",
            rel.local_unit_data
        );
    }
}

/// A state with leadership and one relation.
pub fn leader_with(rel: &RelationState) -> State {
    State::new().leader(true).relation(rel.clone())
}
