//! The environment Juju gives a hook, for tests that dispatch or read a context.

use crate::context::JujuContext;

/// What every hook of unit `web/0` gets: unit, model, Juju version and charm directory.
pub(crate) const BASE: &[(&str, &str)] = &[
    ("JUJU_UNIT_NAME", "web/0"),
    ("JUJU_MODEL_NAME", "m"),
    ("JUJU_MODEL_UUID", "u"),
    ("JUJU_VERSION", "3.6.4"),
    ("JUJU_CHARM_DIR", "/charm"),
];

/// The environment of the hook at `dispatch_path` (`hooks/<name>` also sets
/// `JUJU_HOOK_NAME`), with `extra` added or replacing what is there.
pub(crate) fn hook_vars(dispatch_path: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = BASE
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    vars.push(("JUJU_DISPATCH_PATH".into(), dispatch_path.into()));
    if let Some(hook) = dispatch_path.strip_prefix("hooks/") {
        vars.push(("JUJU_HOOK_NAME".into(), hook.into()));
    }
    for (k, v) in extra {
        vars.retain(|(have, _)| have != k);
        vars.push(((*k).to_owned(), (*v).to_owned()));
    }
    vars
}

/// The context of the hook at `dispatch_path` with `extra` variables; panics if invalid.
pub(crate) fn context(dispatch_path: &str, extra: &[(&str, &str)]) -> JujuContext {
    match JujuContext::from_vars(hook_vars(dispatch_path, extra)) {
        Ok(ctx) => ctx,
        Err(e) => panic!("test context for {dispatch_path}: {e}"),
    }
}
