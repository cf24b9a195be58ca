//! One test file may glob-import the charm's names and the testing API's together: no name
//! means one type in `ops::prelude`, `ops::model` or `ops::container` and another in
//! `ops::testing` or `ops::testing::juju` (issue 19, item 5).
//!
//! Two glob imports that bring different items under one name compile until the name is
//! used, so this file uses every name of both sides, each where only the right type fits:
//! reintroducing a clash (a testing type named `Secret`, `Relation`, `Container`, ...)
//! stops it compiling with "`...` is ambiguous" (an error, or for some re-exports the
//! `ambiguous_glob_imports` lint, which this file denies).
#![cfg(feature = "testing")]
#![deny(ambiguous_glob_imports)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ops::container::*;
use ops::metadata::CharmMeta;
use ops::model::*;
use ops::prelude::*;
use ops::testing::juju::*;
use ops::testing::*;

const META: &str = r#"
name: names
containers:
  web:
    resource: web-image
resources:
  web-image:
    type: oci-image
requires:
  db:
    interface: pg
"#;

const SECRET_ID: &str = "secret:cr0ahn1dqe3k7mqmsc2g";

#[derive(Default)]
struct Names;

impl Charm for Names {
    type Stored = ();
    fn observe(on: &mut Observers<Self>) {
        on.config_changed("read", Self::read);
    }
}

impl Names {
    /// The charm side: the model's and the container's types.
    fn read(&mut self, ctx: &mut Ctx<Self>, _ev: &mut ConfigChanged) -> HandlerResult {
        let relation: Relation = ctx
            .model()
            .single_relation("db")?
            .ok_or_else(|| HandlerError::msg("no db relation"))?;
        let mut secret: Secret =
            ctx.model()
                .get_secret_with(Some(SECRET_ID), None, SecretRevision::Refresh)?;
        let content: SecretContent = secret.content()?;
        let _owner: SecretOwner = SecretOwner::Application;
        let network: Network = ctx.model().network("db")?;
        let container: Container = ctx.container("web")?;
        let notices: Vec<Notice> = container.get_notices(&NoticesQuery::default())?;
        let _protocol: Protocol = Protocol::Tcp;
        let _goal: Option<(GoalState, Goal, Address, BindAddress)> = None;
        relation.local_unit_data().set(
            "seen",
            format!(
                "{} {} {} {}",
                content.get("password").unwrap_or("-"),
                network.ingress_address().unwrap_or("-"),
                notices.len(),
                relation.id(),
            ),
        )?;
        Ok(())
    }
}

#[test]
fn charm_and_testing_names_glob_imported_together() {
    // The testing side: the state's types, each named for what it is in the state.
    let mut secret: SecretState =
        SecretState::new(SECRET_ID, SecretOwnership::Consumer, [("password", "old")]);
    // The model's SecretContent is the state's: a revision is pushed with the type the charm
    // reads, and cannot be pushed with another.
    let pushed = secret.push_revision(SecretContent::from_pairs([("password", "new")]));
    let latest: &SecretRevisionState = secret.latest().unwrap();
    assert_eq!((pushed, latest.revision), (2, 2));
    let db: RelationState = RelationState::new(1, "db", "pg").remote_unit("pg/0", [("a", "b")]);
    let web: ContainerState =
        ContainerState::new("web").notice(NoticeState::custom("example.com/ready"));
    let opened = OpenedPort::tcp(80);
    assert_eq!(opened.protocol, Protocol::Tcp);
    let mut state = State::new().relation(db).secret(secret).container(web);
    state.juju = state.juju.network("db", Network::with_address("10.1.2.3"));

    let ctx = Context::<Names>::new(CharmMeta::from_charmcraft_yaml(META).unwrap());
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    let relation = out.state.relation_by_id(1).unwrap();
    assert_eq!(relation.local_unit_data["seen"], "new 10.1.2.3 1 1");
}
