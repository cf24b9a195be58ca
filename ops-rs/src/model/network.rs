//! Network addresses of bindings.

use super::{Model, ModelError, Network, Relation};
use crate::hookcmds::network as tools;

impl Model {
    /// Addresses for `binding`, an endpoint or extra binding (`network-get`; cached).
    pub fn network(&self, binding: &str) -> Result<Network, ModelError> {
        self.network_get(binding, None)
    }

    /// Addresses for `relation`'s endpoint as seen by that relation (`network-get -r`; cached).
    /// A relation that is gone is [`ModelError::RelationNotFound`].
    pub fn relation_network(&self, relation: &Relation) -> Result<Network, ModelError> {
        self.network_get(relation.endpoint(), Some(relation.id()))
    }

    fn network_get(&self, binding: &str, id: Option<u32>) -> Result<Network, ModelError> {
        let key = (binding.to_owned(), id);
        self.memo(
            |c| c.networks.get(&key).cloned(),
            || tools::network_get(self.tools(), binding, id).map_err(ModelError::from),
            |c, v| {
                c.networks.insert(key.clone(), v);
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::runners::{juju, model};

    #[test]
    fn network_cached_and_relation_gone() {
        let r = juju(&[
            (
                "network-get --format=json db",
                r#"{"ingress-addresses":["10.1.1.1"]}"#,
            ),
            (
                "network-get --format=json -r 9 db",
                "!ERROR relation 9 not found",
            ),
        ]);
        let m = model(&r);
        assert_eq!(m.network("db").unwrap().ingress_address(), Some("10.1.1.1"));
        m.network("db").unwrap();
        let e = m.relation_network(&m.relation("db", 9)).unwrap_err();
        assert!(e.is_relation_not_found(), "{e}");
        assert_eq!(r.calls().len(), 2);
    }
}
