//! kv-client: the test charm of juju-sim's model of several applications (metadata beside
//! it in `charmcraft.yaml`).
//!
//! One holistic reconcile for every event it observes:
//!
//! - `website` (requirer of webkv's `http`): every unit writes `client` (its name) into its
//!   databag, the leader `client-app` and `path` into the application's; the remote
//!   application's `url` goes into the status (`using <url>`), or `waiting for a url`.
//! - `token` (provider): with config `token` set, the leader keeps it in an application-owned
//!   secret labelled `kv-token` (`token` and `generation`), grants it to every `token`
//!   relation and publishes its id as `token-id`; a new `token` value is a new revision.
//!   An obsolete revision (`secret-remove`) is removed.
//! - `token-source` (requirer): reads the secret named by the remote `token-id`, at the
//!   revision it tracks (`secret-changed` moves it to the newest), and reports
//!   `token generation N`, or `cannot read the token: <Juju's error>` (blocked).
//!
//! Actions: `revoke` (the leader revokes every grant) and `read-token`.

use std::process::ExitCode;

use ops::model::{ModelError, SecretContent, SecretMetadata, SecretOwner};
use ops::prelude::*;

struct KvClient;

/// The label of the shared token's secret, on the owner's side.
const TOKEN_LABEL: &str = "kv-token";

/// What the leader remembers of the token it shares.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Stored {
    /// The token value last put into the secret.
    #[serde(default)]
    shared: String,
    /// Its generation (1 for the first value).
    #[serde(default)]
    generation: u64,
}

/// A read of the shared token: its value and generation, or why it cannot be read.
type TokenRead = Result<(String, String), ModelError>;

/// What one reconcile found, for the status.
#[derive(Default)]
struct Findings {
    parts: Vec<String>,
    waiting: bool,
    blocked: bool,
}

impl Charm for KvClient {
    type Stored = Stored;

    fn observe(on: &mut Observers<Self>) {
        let mut kinds = vec![
            EventKind::ConfigChanged,
            EventKind::LeaderElected,
            EventKind::LeaderSettingsChanged,
            EventKind::SecretChanged,
        ];
        for endpoint in ["website", "token", "token-source", "clients"] {
            kinds.extend([
                EventKind::relation_created(endpoint),
                EventKind::relation_joined(endpoint),
                EventKind::relation_changed(endpoint),
                EventKind::relation_departed(endpoint),
                EventKind::relation_broken(endpoint),
            ]);
        }
        on.many("reconcile", kinds, |_, ctx, ev| reconcile(ctx, ev));
        on.secret_remove("on_secret_remove", |_, ctx, ev| {
            let mut secret = ctx.model().get_secret_by_id(&ev.secret_id)?;
            secret.remove_revision(ev.revision)?;
            ctx.model().juju_log(
                ops::model::LogLevel::Info,
                &format!("removed obsolete revision {} of the token", ev.revision),
            )?;
            Ok(())
        });
        on.action("revoke", "on_revoke", |_, ctx, _| {
            let model = ctx.model().clone();
            let mut secret = model.get_secret_by_label(TOKEN_LABEL)?;
            let relations = model.relations("token")?;
            for relation in &relations {
                secret.revoke(relation, None)?;
            }
            model.action_set_results(&serde_json::json!({"revoked": relations.len()}))?;
            Ok(())
        });
        on.action("read-token", "on_read_token", |_, ctx, _| {
            let model = ctx.model().clone();
            match read_token(&model, false)? {
                Some(Ok((token, generation))) => model.action_set_results(
                    &serde_json::json!({"token": token, "generation": generation}),
                )?,
                Some(Err(e)) => model.action_fail(&format!("cannot read the token: {e}"))?,
                None => model.action_fail("no token-source relation with a token-id")?,
            }
            Ok(())
        });
    }
}

fn reconcile(ctx: &mut Ctx<KvClient>, ev: &mut Event) -> HandlerResult {
    let model = ctx.model().clone();
    let mut found = Findings::default();
    let leader = model.is_leader()?;
    // website: our data out, the URL in.
    let websites = model.relations("website")?;
    for relation in &websites {
        relation
            .local_unit_data()
            .set("client", model.unit_name().to_owned())?;
        if leader {
            let path = config_string(&model, "path")?;
            let bag = relation.local_app_data();
            bag.set("client-app", model.app_name().to_owned())?;
            bag.set("path", path)?;
        }
        let url = match relation.remote_app_data()? {
            Some(bag) => bag.get("url")?,
            None => None,
        };
        match url {
            Some(url) => found.parts.push(format!("using {url}")),
            None => {
                found.waiting = true;
                found.parts.push("waiting for a url".to_owned());
            }
        }
    }
    // token: the leader shares it.
    if leader {
        share_token(ctx, &mut found)?;
    }
    // token-source: read it.
    // The revision it tracks, but the newest on secret-changed: that is how the owner says
    // "use this now".
    let refresh = ev.kind() == EventKind::SecretChanged;
    match read_token(&model, refresh)? {
        Some(Ok((_, generation))) => found.parts.push(format!("token generation {generation}")),
        Some(Err(e)) => {
            found.blocked = true;
            found.parts.push(format!("cannot read the token: {e}"));
        }
        None => {}
    }
    let message = if found.parts.is_empty() {
        "idle".to_owned()
    } else {
        found.parts.join("; ")
    };
    let status = if found.blocked {
        Status::blocked(message)
    } else if found.waiting {
        Status::waiting(message)
    } else {
        Status::active(message)
    };
    ctx.add_unit_status(status)?;
    Ok(())
}

fn config_string(model: &ops::model::Model, name: &str) -> Result<String, ModelError> {
    Ok(model
        .config_value(name)?
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default())
}

/// On the leader: the token in its secret (a new revision when the config changed), granted
/// to every `token` relation, its id published.
fn share_token(ctx: &mut Ctx<KvClient>, found: &mut Findings) -> HandlerResult {
    let model = ctx.model().clone();
    let token = config_string(&model, "token")?;
    let relations = model.relations("token")?;
    if token.is_empty() {
        return Ok(());
    }
    let stored = ctx.stored_mut();
    let changed = stored.shared != token;
    if changed {
        stored.shared = token.clone();
        stored.generation += 1;
    }
    let generation = stored.generation;
    let content =
        SecretContent::from_pairs([("token", token), ("generation", generation.to_string())]);
    let mut secret = match model.get_secret_by_label(TOKEN_LABEL) {
        Ok(mut s) => {
            if changed {
                s.set_content(&content)?;
            }
            s
        }
        Err(ModelError::SecretNotFound { .. }) => model.add_secret(
            &content,
            SecretOwner::Application,
            &SecretMetadata::default().label(TOKEN_LABEL),
        )?,
        Err(e) => return Err(e.into()),
    };
    let id = secret
        .id()
        .map(str::to_owned)
        .or_else(|| secret.info().ok().map(|i| i.id))
        .unwrap_or_default();
    for relation in &relations {
        secret.grant(relation, None)?;
        relation.local_app_data().set("token-id", id.clone())?;
    }
    found.parts.push(format!(
        "sharing token generation {generation} with {} relation(s)",
        relations.len()
    ));
    Ok(())
}

/// The token and its generation, from the secret the `token-source` relation names (the
/// revision tracked, or with `refresh` the newest, tracked from then on); `None` without
/// such a relation or id yet.
fn read_token(model: &ops::model::Model, refresh: bool) -> Result<Option<TokenRead>, ModelError> {
    let Some(relation) = model.relations("token-source")?.into_iter().next() else {
        return Ok(None);
    };
    let id = match relation.remote_app_data()? {
        Some(bag) => bag.get("token-id")?,
        None => None,
    };
    let Some(id) = id else {
        return Ok(None);
    };
    let read = model.get_secret_by_id(&id).and_then(|mut s| {
        let content = if refresh {
            s.refresh_content()?
        } else {
            s.content()?
        };
        Ok((
            content.get("token").unwrap_or_default().to_owned(),
            content.get("generation").unwrap_or_default().to_owned(),
        ))
    });
    Ok(Some(read))
}

fn main() -> ExitCode {
    ops::main(KvClient)
}
