//! Opened ports.

use super::{Model, ModelError, Port};
use crate::hookcmds::port as tools;

impl Model {
    /// Opens `port` on every endpoint (`open-port`).
    pub fn open_port(&self, port: Port) -> Result<(), ModelError> {
        self.open_port_on(port, &[])
    }

    /// Opens `port` on the given endpoints only (`open-port --endpoints`).
    pub fn open_port_on(&self, port: Port, endpoints: &[&str]) -> Result<(), ModelError> {
        let r = tools::open_port(self.tools(), &port, endpoints);
        self.cache().opened_ports = None;
        r.map_err(ModelError::from)
    }

    /// Closes `port` (`close-port`).
    pub fn close_port(&self, port: Port) -> Result<(), ModelError> {
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
    use crate::model::Port;
    use crate::test_support::runners::{juju, model};

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
