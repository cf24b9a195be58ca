//! Identities: add, update, replace, remove, and Pebble's errors.

use std::collections::BTreeMap;

use pebble_client::{Identity, IdentityAccess};

use crate::fixture::Pebble;

pub fn tests() -> Vec<(&'static str, crate::TestFn)> {
    crate::tests![add_update_replace_remove, identity_errors]
}

fn map(entries: &[(&str, Identity)]) -> BTreeMap<String, Identity> {
    entries
        .iter()
        .map(|(n, i)| ((*n).to_owned(), i.clone()))
        .collect()
}

async fn add_update_replace_remove(p: &Pebble) {
    let client = p.client();
    assert!(client.get_identities().await.unwrap().is_empty());
    client
        .add_identities(&map(&[
            ("alice", Identity::local(IdentityAccess::Admin, 1000)),
            (
                "bob",
                Identity::basic(IdentityAccess::Metrics, "$6$salt$hash"),
            ),
        ]))
        .await
        .unwrap();
    let got = client.get_identities().await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got["alice"].access, IdentityAccess::Admin);
    assert_eq!(got["alice"].local.as_ref().map(|l| l.user_id), Some(1000));
    assert_eq!(
        got["bob"].basic.as_ref().map(|b| b.password.as_str()),
        Some("*****"),
        "secrets are masked"
    );
    client
        .update_identities(&map(&[(
            "alice",
            Identity::local(IdentityAccess::Read, 1000),
        )]))
        .await
        .unwrap();
    assert_eq!(
        client.get_identities().await.unwrap()["alice"].access,
        IdentityAccess::Read
    );
    let mut replace: BTreeMap<String, Option<Identity>> = BTreeMap::new();
    replace.insert("bob".into(), None);
    replace.insert(
        "carol".into(),
        Some(Identity::local(IdentityAccess::Read, 1001)),
    );
    client.replace_identities(&replace).await.unwrap();
    let names: Vec<String> = client.get_identities().await.unwrap().into_keys().collect();
    assert_eq!(names, ["alice", "carol"]);
    client.remove_identities(&["alice", "carol"]).await.unwrap();
    assert!(client.get_identities().await.unwrap().is_empty());
}

async fn identity_errors(p: &Pebble) {
    let client = p.client();
    client
        .add_identities(&map(&[
            ("x", Identity::local(IdentityAccess::Read, 2000)),
            ("y", Identity::local(IdentityAccess::Read, 2001)),
        ]))
        .await
        .unwrap();
    let err = client
        .add_identities(&map(&[
            ("y", Identity::local(IdentityAccess::Read, 2002)),
            ("x", Identity::local(IdentityAccess::Read, 2003)),
            ("z", Identity::local(IdentityAccess::Read, 2004)),
        ]))
        .await
        .unwrap_err();
    assert_eq!(err.api_status(), Some(400), "{err}");
    assert_eq!(err.api().unwrap().message, "identities already exist: x, y");
    let err = client
        .update_identities(&map(&[(
            "nope",
            Identity::local(IdentityAccess::Read, 2005),
        )]))
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().message, "identities do not exist: nope");
    let err = client
        .remove_identities(&["x", "nope", "gone"])
        .await
        .unwrap_err();
    assert_eq!(
        err.api().unwrap().message,
        "identities do not exist: gone, nope"
    );
    // Nothing was removed by the failed call.
    assert_eq!(client.get_identities().await.unwrap().len(), 2);
}
