//! Shared pieces of the charm's tests: the context, a deployed unit's state, and lookups.
#![allow(dead_code)] // each test file uses its own subset

use charm_example::WebKv;
use charm_example::token::{PEER_RELATION, PEER_SECRET_ID_KEY};
use charm_example::workload::{CONFIG_FILE, CONTAINER, READY_NOTICE};
use ops::status::Status;
use ops::testing::juju::{Network, RelationState, SecretOwnership, SecretState};
use ops::testing::{ContainerState, Context, NoticeState, Output, State};

/// The peer relation's id in these tests.
pub const PEERS_ID: u64 = 1;
/// The website relation's id in these tests.
pub const WEBSITE_ID: u64 = 2;
/// The unit's ingress address on `website`.
pub const ADDRESS: &str = "10.1.2.3";

/// A context with the repository's `charmcraft.yaml`: what the charm reads at run time.
pub fn ctx() -> Context<WebKv> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    Context::from_charm_dir(dir).unwrap()
}

/// The `web` container, Pebble up, nothing in it.
pub fn web() -> ContainerState {
    ContainerState::new(CONTAINER)
}

/// The peer relation with `data` in the application bag.
pub fn peers<'a>(data: impl IntoIterator<Item = (&'a str, &'a str)>) -> RelationState {
    RelationState::peer(PEERS_ID, PEER_RELATION, "webkv").local_app_data(data)
}

/// A website relation with one remote unit.
pub fn website() -> RelationState {
    RelationState::new(WEBSITE_ID, "website", "client")
        .interface("http")
        .remote_unit("client/0", [("x", "y")])
}

/// A unit with its peer and website relations, a `website` address, and `web` as given.
pub fn unit(leader: bool, container: ContainerState) -> State {
    let mut state = State::new()
        .leader(leader)
        .relation(peers([]))
        .relation(website())
        .container(container);
    state.juju = state
        .juju
        .network("website", Network::with_address(ADDRESS));
    state
}

/// The operator's secret `id` holding `token`, granted to the application.
pub fn operator_secret(id: &str, token: &str) -> SecretState {
    SecretState::new(id, SecretOwnership::Consumer, [("token", token)])
}

/// The ready notice for `port`, as the start wrapper records it.
pub fn ready_notice(port: u16) -> NoticeState {
    NoticeState::custom(READY_NOTICE).data([("port", port.to_string())])
}

/// The output state as the next run's input.
pub fn next(out: &Output) -> State {
    out.state.clone()
}

/// Records the ready notice for `port` (once more) in `state`'s container.
pub fn notify_ready(mut state: State, port: u16) -> State {
    let web = state.containers.get_mut(CONTAINER).unwrap();
    match web.notices.iter_mut().find(|n| n.key == READY_NOTICE) {
        Some(n) => {
            n.occurrences += 1;
            n.data = ready_notice(port).data;
        }
        None => web.notices.push(ready_notice(port)),
    }
    state
}

/// The leader, started and ready on 8080 (pebble-ready, then the ready notice).
pub fn active_leader(state: State) -> State {
    let ctx = ctx();
    let started = ctx.run(ctx.on.pebble_ready(CONTAINER), &state).unwrap();
    assert_eq!(
        started.state.juju.unit_status,
        Status::maintenance("starting webkv on :8080")
    );
    let state = notify_ready(next(&started), 8080);
    let ready = ctx
        .run(ctx.on.pebble_custom_notice(CONTAINER, READY_NOTICE), &state)
        .unwrap();
    assert_eq!(
        ready.state.juju.unit_status,
        Status::active("serving on :8080")
    );
    next(&ready)
}

/// The workload's config file, parsed.
pub fn workload_config(state: &State) -> Option<serde_json::Value> {
    let text = state.containers[CONTAINER].file_text(CONFIG_FILE)?;
    Some(serde_json::from_str(&text).unwrap())
}

/// The peer relation's application data.
pub fn shared_secret_id(state: &State) -> Option<String> {
    state
        .relation_by_id(PEERS_ID)
        .and_then(|r| r.local_app_data.get(PEER_SECRET_ID_KEY).cloned())
}

/// The `url` the leader published on the website relation.
pub fn published_url(state: &State) -> Option<String> {
    state
        .relation_by_id(WEBSITE_ID)
        .and_then(|r| r.local_app_data.get("url").cloned())
}

/// Whether `out` ran a tool whose command line starts with `prefix`.
pub fn ran(out: &Output, prefix: &str) -> bool {
    out.tool_lines().iter().any(|l| l.starts_with(prefix))
}
