//! Opened ports.

use super::{Model, ModelError, ModelType, Port};
use crate::hookcmds::port as tools;

/// What Juju answers a port range on Kubernetes (its port-range recorder,
/// `validatePortRangeForCAAS`).
pub(crate) const K8S_PORT_RANGE: &str =
    "port ranges are not supported for k8s applications, please specify a single port";

impl Model {
    /// Opens `port` on every endpoint (`open-port`).
    ///
    /// On Kubernetes Juju opens single ports only: a range is [`ModelError::Unsupported`]
    /// before any tool runs (see [`ModelType`] for how the model knows).
    pub fn open_port(&self, port: Port) -> Result<(), ModelError> {
        self.open_port_on(port, &[])
    }

    /// Opens `port` on the given endpoints only (`open-port --endpoints`); a range on
    /// Kubernetes is refused as by [`Model::open_port`].
    pub fn open_port_on(&self, port: Port, endpoints: &[&str]) -> Result<(), ModelError> {
        self.check_range("open", &port)?;
        let r = tools::open_port(self.tools(), &port, endpoints);
        self.cache().opened_ports = None;
        r.map_err(ModelError::from)
    }

    /// Refuses a port range on Kubernetes, with Juju's reason.
    fn check_range(&self, verb: &str, port: &Port) -> Result<(), ModelError> {
        let range = port.to_port.is_some_and(|to| Some(to) != port.port);
        if range && self.model_type() == Some(ModelType::Kubernetes) {
            return Err(ModelError::Unsupported {
                action: format!("{verb} port range {port}"),
                reason: format!(
                    "{K8S_PORT_RANGE} (Juju on Kubernetes takes single ports: {verb} each port \
                     of the range)"
                ),
            });
        }
        Ok(())
    }

    /// Closes `port` (`close-port`); a range on Kubernetes is refused as by
    /// [`Model::open_port`].
    pub fn close_port(&self, port: Port) -> Result<(), ModelError> {
        self.check_range("close", &port)?;
        let r = tools::close_port(self.tools(), &port, &[]);
        self.cache().opened_ports = None;
        r.map_err(ModelError::from)
    }

    /// The ports this unit has opened (`opened-ports`; cached until an open or close).
    pub fn opened_ports(&self) -> Result<Vec<Port>, ModelError> {
        self.memo(
            |c| c.opened_ports.clone(),
            || tools::opened_ports(self.tools()).map_err(ModelError::from),
            |c, v| c.opened_ports = Some(v),
        )
    }

    /// Makes exactly `ports` open: closes the others, opens the missing ones.
    pub fn set_ports(&self, ports: &[Port]) -> Result<(), ModelError> {
        let current = self.opened_ports()?;
        for p in current.iter().filter(|p| !ports.contains(p)) {
            self.close_port(*p)?;
        }
        for p in ports.iter().filter(|p| !current.contains(p)) {
            self.open_port(*p)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{ModelError, ModelType, Port};
    use crate::test_support::runners::{juju, model};

    /// Juju refuses port ranges on Kubernetes; the model says so before any tool runs, with
    /// Juju's reason. Single ports, and ranges elsewhere, go through.
    #[test]
    fn ranges_refused_on_kubernetes() {
        let r = juju(&[]);
        let k8s = model(&r).with_model_type(ModelType::Kubernetes);
        for e in [
            k8s.open_port(Port::tcp_range(8000, 8099)).unwrap_err(),
            k8s.open_port_on(Port::udp_range(1, 2), &["web"])
                .unwrap_err(),
            k8s.close_port(Port::tcp_range(8000, 8099)).unwrap_err(),
        ] {
            let text = e.to_string();
            assert!(matches!(e, ModelError::Unsupported { .. }), "{text}");
            assert!(
                text.contains(
                    "port ranges are not supported for k8s applications, please specify a \
                     single port"
                ),
                "{text}"
            );
        }
        assert!(r.calls().is_empty());
        k8s.open_port(Port::tcp(8000)).unwrap();
        k8s.open_port(Port::tcp_range(8000, 8000)).unwrap();
        let machine = model(&r).with_model_type(ModelType::Machine);
        machine.open_port(Port::tcp_range(8000, 8099)).unwrap();
        model(&r).open_port(Port::tcp_range(1, 2)).unwrap();
        assert_eq!(
            r.lines(),
            [
                "open-port 8000/tcp",
                "open-port 8000-8000/tcp",
                "open-port 8000-8099/tcp",
                "open-port 1-2/tcp",
            ]
        );
    }

    #[test]
    fn open_close_and_cache() {
        let r = juju(&[("opened-ports --format=json", r#"["80/tcp","icmp"]"#)]);
        let m = model(&r);
        assert_eq!(m.opened_ports().unwrap(), [Port::tcp(80), Port::icmp()]);
        assert_eq!(m.opened_ports().unwrap().len(), 2);
        m.set_ports(&[Port::tcp(80), Port::udp(53)]).unwrap();
        m.open_port_on(Port::tcp_range(9000, 9010), &["web"])
            .unwrap();
        m.opened_ports().unwrap();
        assert_eq!(
            r.lines(),
            [
                "opened-ports --format=json",
                "close-port icmp",
                "open-port 53/udp",
                "open-port --endpoints web 9000-9010/tcp",
                "opened-ports --format=json",
            ]
        );
    }
}
