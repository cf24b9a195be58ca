//! `open-port`, `close-port`, `opened-ports`.

use std::fmt;
use std::str::FromStr;

use super::{HookToolError, HookToolRunner, args, run, run_json};

/// A network protocol for ports (serialized as Juju spells it: `tcp`, `udp`, `icmp`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP (no port number).
    Icmp,
}

impl Protocol {
    /// The name as Juju spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
        }
    }
}

/// A port (or port range) and protocol opened on the unit.
///
/// ```
/// use ops::hookcmds::port::Port;
/// assert_eq!(Port::tcp(8080).to_string(), "8080/tcp");
/// assert_eq!(Port::udp_range(1000, 2000).to_string(), "1000-2000/udp");
/// assert_eq!(Port::icmp().to_string(), "icmp");
/// assert_eq!("53/udp".parse::<Port>().unwrap(), Port::udp(53));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Port {
    /// The protocol.
    pub protocol: Protocol,
    /// The port, or first port of a range; `None` for ICMP.
    pub port: Option<u16>,
    /// The last port of a range, if a range.
    pub to_port: Option<u16>,
}

impl Port {
    /// One TCP port.
    pub fn tcp(port: u16) -> Port {
        Port {
            protocol: Protocol::Tcp,
            port: Some(port),
            to_port: None,
        }
    }
    /// One UDP port.
    pub fn udp(port: u16) -> Port {
        Port {
            protocol: Protocol::Udp,
            port: Some(port),
            to_port: None,
        }
    }
    /// A TCP port range, inclusive.
    pub fn tcp_range(from: u16, to: u16) -> Port {
        Port {
            to_port: Some(to),
            ..Port::tcp(from)
        }
    }
    /// A UDP port range, inclusive.
    pub fn udp_range(from: u16, to: u16) -> Port {
        Port {
            to_port: Some(to),
            ..Port::udp(from)
        }
    }
    /// ICMP.
    pub fn icmp() -> Port {
        Port {
            protocol: Protocol::Icmp,
            port: None,
            to_port: None,
        }
    }

    fn check(&self) -> Result<(), HookToolError> {
        let ok = match (self.protocol, self.port, self.to_port) {
            (Protocol::Icmp, None, None) => true,
            (Protocol::Icmp, _, _) => false,
            (_, Some(p), None) => p > 0,
            (_, Some(p), Some(t)) => p > 0 && t >= p,
            (_, None, _) => false,
        };
        if ok {
            Ok(())
        } else {
            Err(HookToolError::Invalid(format!(
                "invalid port {self:?}: tcp/udp need a port 1-65535 (range from <= to); icmp takes none"
            )))
        }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.port, self.to_port) {
            (None, _) => f.write_str(self.protocol.as_str()),
            (Some(p), None) => write!(f, "{p}/{}", self.protocol.as_str()),
            (Some(p), Some(t)) => write!(f, "{p}-{t}/{}", self.protocol.as_str()),
        }
    }
}

impl FromStr for Port {
    type Err = String;

    /// Parses `8080/tcp`, `1000-2000/udp`, `icmp` (and a bare `80` as TCP).
    fn from_str(s: &str) -> Result<Port, String> {
        let s = s.trim();
        if s == "icmp" {
            return Ok(Port::icmp());
        }
        let (ports, proto) = s.split_once('/').unwrap_or((s, "tcp"));
        let protocol = match proto {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            other => return Err(format!("unknown protocol {other:?} in port {s:?}")),
        };
        let num = |t: &str| {
            t.parse::<u16>()
                .map_err(|_| format!("bad port number {t:?} in {s:?}"))
        };
        let (port, to_port) = match ports.split_once('-') {
            Some((a, b)) => (num(a)?, Some(num(b)?)),
            None => (num(ports)?, None),
        };
        Ok(Port {
            protocol,
            port: Some(port),
            to_port,
        })
    }
}

fn port_args(port: &Port, endpoints: &[&str]) -> Result<Vec<String>, HookToolError> {
    port.check()?;
    let mut a = Vec::new();
    if !endpoints.is_empty() {
        a.extend(["--endpoints".to_owned(), endpoints.join(",")]);
    }
    a.push(port.to_string());
    Ok(a)
}

/// `open-port [--endpoints a,b] <port>[-<to>]/<proto>` or `open-port icmp`. With no endpoints
/// the port is opened on all of them.
pub fn open_port(
    r: &dyn HookToolRunner,
    port: &Port,
    endpoints: &[&str],
) -> Result<(), HookToolError> {
    run(r, "open-port", port_args(port, endpoints)?, None).map(drop)
}

/// `close-port [--endpoints a,b] <port>[-<to>]/<proto>` or `close-port icmp`.
pub fn close_port(
    r: &dyn HookToolRunner,
    port: &Port,
    endpoints: &[&str],
) -> Result<(), HookToolError> {
    run(r, "close-port", port_args(port, endpoints)?, None).map(drop)
}

/// `opened-ports --format=json`: the ports this unit has opened (ranges kept whole).
pub fn opened_ports(r: &dyn HookToolRunner) -> Result<Vec<Port>, HookToolError> {
    let list: Option<Vec<String>> = run_json(
        r,
        "opened-ports",
        args(["--format=json"]),
        "a list of ports",
    )?;
    list.unwrap_or_default()
        .iter()
        .map(|p| {
            p.parse()
                .map_err(|e: String| HookToolError::bad_answer("opened-ports", e))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runners::answering;

    #[test]
    fn argv_table() {
        let r = answering("");
        open_port(&r, &Port::tcp(8080), &[]).unwrap();
        open_port(&r, &Port::udp_range(1000, 2000), &["db", "web"]).unwrap();
        open_port(&r, &Port::icmp(), &[]).unwrap();
        close_port(&r, &Port::tcp(8080), &["web"]).unwrap();
        close_port(&r, &Port::icmp(), &[]).unwrap();
        assert_eq!(
            r.lines(),
            [
                "open-port 8080/tcp",
                "open-port --endpoints db,web 1000-2000/udp",
                "open-port icmp",
                "close-port --endpoints web 8080/tcp",
                "close-port icmp",
            ]
        );
        for bad in [
            Port::tcp(0),
            Port::tcp_range(10, 5),
            Port {
                port: Some(1),
                ..Port::icmp()
            },
        ] {
            assert!(open_port(&r, &bad, &[]).is_err());
        }
        assert_eq!(r.calls().len(), 5);
    }

    #[test]
    fn opened_ports_parse() {
        let r = answering(r#"["80/tcp","1000-2000/udp","icmp"]"#);
        assert_eq!(
            opened_ports(&r).unwrap(),
            vec![Port::tcp(80), Port::udp_range(1000, 2000), Port::icmp()]
        );
        assert_eq!(r.lines(), ["opened-ports --format=json"]);
        let e = opened_ports(&answering(r#"["80/sctp"]"#)).unwrap_err();
        assert!(e.to_string().contains("sctp"), "{e}");
    }
}
