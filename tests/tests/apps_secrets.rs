//! A secret across applications (`tests/scenarios/token-secret.yaml`, both applications the
//! Rust test charm kv-client): the owner's leader grants it over a relation, the other
//! application's units read it, a new revision runs secret-changed on them (not on the
//! owner) and the obsolete revision secret-remove on the owner, and after a revoke the
//! reader's next read fails with Juju's error.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

mod support;

use support::{Trace, apps};

#[test]
fn grant_read_new_revision_revoke() {
    let r = apps::run(&apps::scenario("token-secret"), &[]);
    r.assert_ok();

    // Grant: the leader created the secret, granted it over the relation (id 3: after the
    // two applications' peer relations), and published its id.
    let grant = r
        .attempts()
        .into_iter()
        .find(|e| {
            e["unit"] == "keeper/0"
                && Trace::calls(e)
                    .iter()
                    .any(|c| c.starts_with("secret-grant --relation 3 "))
        })
        .expect("keeper/0 granted the secret");
    let calls = Trace::calls(grant);
    let id = calls
        .iter()
        .find_map(|c| c.strip_prefix("secret-grant --relation 3 "))
        .unwrap()
        .to_owned();
    let added: Vec<String> = r
        .attempts()
        .into_iter()
        .filter(|e| e["unit"] == "keeper/0")
        .flat_map(Trace::calls)
        .filter(|c| c.starts_with("secret-add"))
        .collect();
    assert_eq!(added.len(), 1, "one secret, created once: {added:?}");
    // The readers get the bare id from relation data; the model expands it to the full URI
    // with the model's UUID (juju-sim's, `juju-sim/src/model.rs`) before asking Juju.
    let uri = format!("secret://7e5a3c1d-0b4f-4d6e-9a21-5c3b8f0d2e41/{id}");
    assert!(added[0].contains("--label kv-token"), "{added:?}");

    // Read: each reader unit tracks the first revision.
    for unit in ["reader/0", "reader/1"] {
        let read = r
            .attempts()
            .into_iter()
            .find(|e| {
                e["unit"] == unit
                    && Trace::calls(e).contains(&format!("secret-get --format=json {uri}"))
            })
            .unwrap_or_else(|| panic!("{unit} read the secret"));
        assert_ne!(read["hook"], "secret-changed");
    }

    // A new revision: secret-changed on the readers with JUJU_SECRET_ID, never the owner;
    // they read the newest; revision 1 is obsolete and the owner removes it.
    let step2 = r.step_events(2);
    let changed: Vec<&str> = step2
        .iter()
        .filter(|e| e["event"] == "hook" && e["hook"] == "secret-changed")
        .map(|e| e["unit"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["reader/0", "reader/1"]);
    for e in step2.iter().filter(|e| e["hook"] == "secret-changed") {
        assert_eq!(e["context"], format!("secret=secret:{id}"));
        assert!(
            Trace::calls(e).contains(&format!("secret-get --format=json {uri} --refresh")),
            "{:?}",
            Trace::calls(e)
        );
    }
    let remove = step2
        .iter()
        .find(|e| e["hook"] == "secret-remove")
        .expect("secret-remove on the owner");
    assert_eq!(remove["unit"], "keeper/0");
    assert_eq!(
        remove["context"],
        format!("secret=secret:{id} label=kv-token revision=1")
    );
    assert!(Trace::calls(remove).contains(&format!("secret-remove secret:{id} --revision 1")));

    // Revoke: Juju runs no hook on the reader; its next read is refused as Juju refuses it.
    assert_eq!(r.step_unit_hooks(4), ["keeper/0 revoke"]);
    assert!(
        Trace::calls(r.unit_hook("keeper/0", "revoke"))
            .contains(&format!("secret-revoke --relation 3 {id}")),
        "{:?}",
        Trace::calls(r.unit_hook("keeper/0", "revoke"))
    );
    let refused = r.unit_hook("reader/0", "read-token");
    assert!(
        Trace::calls(refused).contains(&format!("secret-get --format=json {uri}  [exit 1]")),
        "{:?}",
        Trace::calls(refused)
    );
}
