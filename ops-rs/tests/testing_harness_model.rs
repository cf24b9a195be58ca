//! The Harness's model setup: storage (add, attach, detach, remove), networks, planned
//! units, resources; and notices with repeat-after on the harness's clock.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use ops::metadata::CharmMeta;
use ops::prelude::*;
use ops::testing::juju::Network;
use ops::testing::{Harness, RunError};

const META: &str = r#"
name: app
containers:
  web:
    resource: img
resources:
  img:
    type: oci-image
  model:
    type: file
    filename: model.bin
storage:
  data:
    type: filesystem
    location: /srv/data
    multiple:
      range: 0-
"#;

#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Seen {
    #[serde(default)]
    lines: Vec<String>,
}

#[derive(Default)]
struct App;

impl Charm for App {
    type Stored = Seen;
    fn observe(on: &mut Observers<Self>) {
        on.storage_attached("data", "attached", |_c, ctx, ev| {
            let line = format!("attached {} at {:?}", ev.index, ev.location);
            ctx.stored_mut().lines.push(line);
            Ok(())
        });
        on.storage_detaching("data", "detaching", |_c, ctx, ev| {
            let n = ctx.model().storage_indexes("data")?.len();
            let line = format!("detaching {} of {n}", ev.index);
            ctx.stored_mut().lines.push(line);
            Ok(())
        });
        on.update_status("look", |_c, ctx, _ev| {
            let planned = ctx.model().planned_units()?;
            let path = ctx.model().resource_path("model")?;
            let content = std::fs::read_to_string(path)?;
            let line = format!("planned={planned} model={content}");
            ctx.stored_mut().lines.push(line);
            Ok(())
        });
        on.pebble_custom_notice("web", "notice", |_c, ctx, ev| {
            let n = ev.notice(ctx)?;
            let line = format!("{} x{} {:?}", n.key, n.occurrences, n.last_data);
            ctx.stored_mut().lines.push(line);
            Ok(())
        });
    }
}

fn harness() -> Harness<App> {
    Harness::new(CharmMeta::from_charmcraft_yaml(META).unwrap())
}

fn lines(h: &Harness<App>) -> Vec<String> {
    h.stored::<Seen>().unwrap().lines
}

#[test]
fn storage_is_added_attached_detached_and_removed_with_its_events() {
    let mut h = harness();
    // Before begin: only the state changes; the initial hooks attach it.
    assert_eq!(h.add_storage("data", 1, true).unwrap(), ["data/0"]);
    h.begin_with_initial_hooks().unwrap();
    assert_eq!(lines(&h), ["attached 0 at Some(\"/srv/data/0\")"]);

    let ids = h.add_storage("data", 2, false).unwrap();
    assert_eq!(ids, ["data/1", "data/2"]);
    assert_eq!(h.state().juju.storage["data"].len(), 1);
    h.attach_storage("data/2").unwrap();
    h.detach_storage("data/0").unwrap();
    assert_eq!(
        lines(&h)[1..],
        [
            "attached 2 at Some(\"/srv/data/2\")".to_owned(),
            "detaching 0 of 2".to_owned()
        ]
    );
    let indexes: Vec<u32> = h.state().juju.storage["data"]
        .iter()
        .map(|s| s.index)
        .collect();
    assert_eq!(indexes, [2]);
    // Detached storage can come back; removed storage cannot.
    h.attach_storage("data/0").unwrap();
    h.remove_storage("data/0").unwrap();
    assert!(lines(&h).last().unwrap().starts_with("detaching 0"));
    assert!(matches!(
        h.attach_storage("data/0"),
        Err(RunError::Inconsistent { .. })
    ));
    assert!(h.add_storage("nope", 1, true).is_err());
    assert!(h.detach_storage("data/1").is_err()); // never attached
    assert!(h.attach_storage("data").is_err());
}

#[test]
fn networks_planned_units_and_resources_reach_the_charm() {
    let mut h = harness();
    h.add_network("db", Network::with_address("10.1.2.3"));
    h.set_planned_units(3);
    let path = h.add_resource("model", "weights-v1").unwrap();
    assert!(path.exists());
    assert!(h.add_resource("nope", "x").is_err());
    h.begin();
    h.emit(ops::testing::On.update_status()).unwrap();
    assert_eq!(lines(&h).last().unwrap(), "planned=3 model=weights-v1");
    assert_eq!(
        h.state().juju.networks["db"].ingress_addresses,
        ["10.1.2.3"]
    );
    h.reset_planned_units();
    h.add_resource("model", "weights-v2").unwrap();
    h.emit(ops::testing::On.update_status()).unwrap();
    assert_eq!(lines(&h).last().unwrap(), "planned=1 model=weights-v2");
}

#[test]
fn repeat_after_follows_the_harness_clock() {
    let mut h = harness();
    h.begin();
    h.set_can_connect("web", true);
    let every = Some(Duration::from_secs(60));
    let id = h
        .pebble_notify_with("web", "example.com/tick", [("n", "1")], every)
        .unwrap();
    h.advance_clock(Duration::from_secs(30));
    let again = h
        .pebble_notify_with("web", "example.com/tick", [("n", "2")], every)
        .unwrap();
    assert_eq!(id, again);
    assert_eq!(lines(&h).len(), 1); // within a minute: counted, not repeated
    let web = h.container("web").unwrap();
    assert_eq!(web.notices[0].occurrences, 2);
    assert_eq!(web.notices[0].data["n"], "2");
    h.advance_clock(Duration::from_secs(31));
    h.pebble_notify_with("web", "example.com/tick", [("n", "3")], every)
        .unwrap();
    assert_eq!(
        lines(&h),
        [
            "example.com/tick x1 {\"n\": \"1\"}",
            "example.com/tick x3 {\"n\": \"3\"}"
        ]
    );
    // Without repeat-after every occurrence repeats.
    h.pebble_notify("web", "example.com/tick", [("n", "4")])
        .unwrap();
    assert_eq!(lines(&h).len(), 3);
}
