//! Network addresses of bindings.

use super::{Model, ModelError, Network, Relation};
use crate::hookcmds::network as tools;

impl Model {
    /// Addresses for `binding`, an endpoint or extra binding (`network-get`; cached).
    pub fn network(&self, binding: &str) -> Result<Network, ModelError> {
        self.network_get(binding, None)
    }

    /// Addresses for `relation`'s endpoint as seen by that relation (`network-get -r`;
    /// cached). If Juju no longer knows the relation (it has gone, as in a
    /// `relation-broken` after the relation was removed), the endpoint's own addresses
    /// (`network-get` without `-r`), as Python ops does: the binding outlives the relation.
    pub fn relation_network(&self, relation: &Relation) -> Result<Network, ModelError> {
        match self.network_get(relation.endpoint(), Some(relation.id())) {
            Err(e) if e.is_relation_not_found() => self.network_get(relation.endpoint(), None),
            other => other,
        }
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
    use crate::model::ModelError;
    use crate::test_support::runners::{juju, model};

    #[test]
    fn network_cached() {
        let r = juju(&[(
            "network-get --format=json db",
            r#"{"ingress-addresses":["10.1.1.1"]}"#,
        )]);
        let m = model(&r);
        assert_eq!(m.network("db").unwrap().ingress_address(), Some("10.1.1.1"));
        m.network("db").unwrap();
        assert_eq!(r.calls().len(), 1);
    }

    #[test]
    fn gone_relation_falls_back_to_the_endpoint() {
        let r = juju(&[
            (
                "network-get --format=json db",
                r#"{"ingress-addresses":["10.1.1.1"]}"#,
            ),
            (
                "network-get --format=json -r 9 db",
                "!ERROR invalid value \"9\" for option -r: relation not found",
            ),
            (
                "network-get --format=json -r 8 db",
                "!ERROR permission denied",
            ),
        ]);
        let m = model(&r);
        let n = m.relation_network(&m.relation("db", 9)).unwrap();
        assert_eq!(n.ingress_address(), Some("10.1.1.1"));
        assert_eq!(
            r.lines(),
            [
                "network-get --format=json -r 9 db",
                "network-get --format=json db"
            ]
        );
        // Only "relation not found" means the relation is gone.
        let e = m.relation_network(&m.relation("db", 8)).unwrap_err();
        assert!(matches!(e, ModelError::PermissionDenied { .. }), "{e}");
    }
}
