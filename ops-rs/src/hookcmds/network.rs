//! `network-get`: addresses for a binding (an endpoint or extra binding).

use serde::{Deserialize, Deserializer, Serialize};

use super::{HookToolError, HookToolRunner, run_json};

/// One address on an interface.
///
/// Juju prints the address under both `value` and `address` (older Juju only `address`);
/// `value` wins when both are there. Serialized with `value` only.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(from = "RawAddress")]
#[non_exhaustive]
pub struct Address {
    /// The host name, if any.
    pub hostname: String,
    /// The address.
    pub value: String,
    /// The subnet, e.g. `10.0.0.0/24`.
    pub cidr: String,
}

/// [`Address`] as Juju prints it.
#[derive(Deserialize)]
struct RawAddress {
    #[serde(default)]
    hostname: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    cidr: String,
}

impl From<RawAddress> for Address {
    fn from(raw: RawAddress) -> Self {
        Address {
            hostname: raw.hostname,
            value: if raw.value.is_empty() {
                raw.address
            } else {
                raw.value
            },
            cidr: raw.cidr,
        }
    }
}

/// An interface the binding is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct BindAddress {
    /// The MAC address.
    #[serde(default)]
    pub mac_address: String,
    /// The interface name, e.g. `eth0`.
    #[serde(default)]
    pub interface_name: String,
    /// Its addresses.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub addresses: Vec<Address>,
}

/// What `network-get` says about a binding; also what a test gives the simulated Juju to
/// answer (`ops::testing::juju::JujuState::network`).
///
/// ```
/// use ops::model::Network;
/// let n = Network::with_address("10.1.2.3");
/// assert_eq!(n.ingress_address(), Some("10.1.2.3"));
/// assert_eq!(n.bind_addresses[0].interface_name, "eth0");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct Network {
    /// Interfaces and their addresses.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub bind_addresses: Vec<BindAddress>,
    /// Subnets egress traffic comes from.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub egress_subnets: Vec<String>,
    /// Addresses others should use to reach this unit (IPs or host names).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub ingress_addresses: Vec<String>,
}

impl Address {
    /// An address with its subnet (no host name).
    pub fn new(value: &str, cidr: &str) -> Self {
        Address {
            hostname: String::new(),
            value: value.to_owned(),
            cidr: cidr.to_owned(),
        }
    }
}

impl BindAddress {
    /// An interface holding `addresses` (no MAC address).
    pub fn new(interface_name: &str, addresses: Vec<Address>) -> Self {
        BindAddress {
            mac_address: String::new(),
            interface_name: interface_name.to_owned(),
            addresses,
        }
    }
}

impl Network {
    /// A network with one interface, `eth0`, holding `ip` (a `/32`), which is also the
    /// ingress address and the egress subnet: what a test usually needs.
    pub fn with_address(ip: &str) -> Self {
        Network {
            bind_addresses: vec![BindAddress::new(
                "eth0",
                vec![Address::new(ip, &format!("{ip}/32"))],
            )],
            egress_subnets: vec![format!("{ip}/32")],
            ingress_addresses: vec![ip.to_owned()],
        }
    }

    /// The first ingress address, the one to advertise.
    pub fn ingress_address(&self) -> Option<&str> {
        self.ingress_addresses.first().map(String::as_str)
    }
}

fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::deserialize(d)?.unwrap_or_default())
}

/// `network-get --format=json [-r <id>] <binding>`.
pub fn network_get(
    r: &dyn HookToolRunner,
    binding: &str,
    relation_id: Option<u32>,
) -> Result<Network, HookToolError> {
    let mut a = vec!["--format=json".to_owned()];
    if let Some(id) = relation_id {
        a.extend(["-r".to_owned(), id.to_string()]);
    }
    a.push(binding.to_owned());
    run_json(r, "network-get", a, "a network object")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runners::answering;

    #[test]
    fn argv_and_parse() {
        let r = answering(
            r#"{"bind-addresses":[{"mac-address":"aa","interface-name":"eth0","addresses":[{"hostname":"","value":"10.0.0.5","cidr":"10.0.0.0/24"}]}],"egress-subnets":["10.0.0.5/32"],"ingress-addresses":["10.0.0.5"]}"#,
        );
        let n = network_get(&r, "db", Some(4)).unwrap();
        network_get(&r, "metrics", None).unwrap();
        assert_eq!(
            r.lines(),
            [
                "network-get --format=json -r 4 db",
                "network-get --format=json metrics"
            ]
        );
        assert_eq!(n.bind_addresses[0].addresses[0].value, "10.0.0.5");
        assert_eq!(n.ingress_address(), Some("10.0.0.5"));
        let n = network_get(&answering(r#"{"bind-addresses":[{"addresses":[{"address":"1.2.3.4"}]}],"ingress-addresses":null}"#), "x", None).unwrap();
        assert_eq!(n.bind_addresses[0].addresses[0].value, "1.2.3.4");
        // What Juju 3 prints: both keys, with the same address.
        let n = network_get(
            &answering(r#"{"bind-addresses":[{"addresses":[{"hostname":"","address":"10.1.2.3","value":"10.1.2.3","cidr":"10.1.0.0/16"}]}]}"#),
            "x",
            None,
        )
        .unwrap();
        assert_eq!(n.bind_addresses[0].addresses[0].value, "10.1.2.3");
        assert_eq!(n.bind_addresses[0].addresses[0].cidr, "10.1.0.0/16");
    }
}
