//! The repository's charmcraft.yaml — the example charm's metadata — is what the charm expects.
use ops::metadata::CharmMeta;

#[test]
fn charmcraft_yaml_parses_with_what_the_charm_uses() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let meta = CharmMeta::from_charm_dir(&dir).unwrap();
    assert_eq!(meta.name, "webkv");
    assert!(meta.containers.contains_key("web"));
    assert!(meta.actions.contains_key("set-key"));
    assert!(meta.actions.contains_key("backup"));
    assert!(meta.config.options.contains_key("port"));
}
