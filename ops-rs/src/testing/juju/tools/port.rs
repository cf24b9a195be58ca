//! `open-port`, `close-port`, `opened-ports`: the ports this unit serves on.

use serde_json::Value;

use super::super::args::{Opt, Spec};
use super::super::error::ToolError;
use super::super::output::Format;
use super::super::state::{OpenedPort, Protocol};
use super::{Call, Tool, ToolResult};
use crate::model::{K8S_PORT_RANGE, ModelType};

const PORT_ARGS: &str = "<port>[/<protocol>] or <from>-<to>[/<protocol>] or icmp";

fn port_spec(name: &'static str, purpose: &'static str) -> Spec {
    Spec::new(name, PORT_ARGS, purpose)
        .opt(Opt::value(&["format"], "deprecated format flag"))
        .opt(Opt::value(
            &["endpoints"],
            "a comma-delimited list of application endpoints to target with this operation",
        ))
}

pub(crate) const OPEN: Tool = Tool {
    spec: || {
        port_spec(
            "open-port",
            "Register a request to open a port or port range.",
        )
    },
    run: |call| change(call, true),
};
pub(crate) const CLOSE: Tool = Tool {
    spec: || {
        port_spec(
            "close-port",
            "Register a request to close a port or port range.",
        )
    },
    run: |call| change(call, false),
};
pub(crate) const OPENED: Tool = Tool {
    spec: || {
        Spec::new(
            "opened-ports",
            "",
            "List all ports or port ranges opened by the unit.",
        )
        .format("smart")
        .opt(Opt::flag(
            &["endpoints"],
            "display the list of target application endpoints for each port range",
        ))
    },
    run: opened,
};

/// Parses `80`, `80/tcp`, `8000-8099/udp`, `icmp` as Juju's `network.ParsePortRange` does.
fn parse_range(spec: &str) -> Result<(Protocol, u16, u16), ToolError> {
    let spec = spec.to_lowercase();
    if spec == "icmp" {
        return Ok((Protocol::Icmp, 0, 0));
    }
    let bad = || ToolError::usage(format!("invalid port range {spec:?}"));
    let (ports, proto) = match spec.split_once('/') {
        Some((p, "tcp")) => (p, Protocol::Tcp),
        Some((p, "udp")) => (p, Protocol::Udp),
        Some((_, "icmp")) => {
            return Err(ToolError::usage(format!(
                "invalid port range {spec:?}: protocol icmp takes no port"
            )));
        }
        Some((_, other)) => {
            return Err(ToolError::usage(format!(
                "invalid protocol {other:?}, expected \"tcp\", \"udp\", or \"icmp\""
            )));
        }
        None => (spec.as_str(), Protocol::Tcp),
    };
    let (from, to) = ports.split_once('-').unwrap_or((ports, ports));
    let from: u16 = from.parse().map_err(|_| bad())?;
    let to: u16 = to.parse().map_err(|_| bad())?;
    if from == 0 || to == 0 || from > to {
        return Err(ToolError::usage(format!(
            "invalid port range {spec:?}: port range bounds must be between 1 and 65535, from <= to"
        )));
    }
    Ok((proto, from, to))
}

fn change(call: &mut Call<'_>, open: bool) -> ToolResult {
    let Some(arg) = call.args.positional.first() else {
        return Err(ToolError::usage("no port or range specified"));
    };
    let (protocol, from, to) = parse_range(arg)?;
    call.at_most(1)?;
    if from != to && call.state.model.model_type == ModelType::Kubernetes {
        return Err(ToolError::failed(K8S_PORT_RANGE));
    }
    let endpoints: Option<Vec<String>> = call
        .args
        .value("endpoints")
        .filter(|e| !e.is_empty())
        .map(|e| e.split(',').map(|s| s.trim().to_owned()).collect());
    let port = OpenedPort {
        protocol,
        from,
        to,
        endpoints,
    };
    let ports = &mut call.state.opened_ports;
    let same =
        |p: &OpenedPort| p.protocol == port.protocol && p.from == port.from && p.to == port.to;
    if open {
        match ports.iter_mut().find(|p| same(p)) {
            Some(existing) => match (&mut existing.endpoints, port.endpoints) {
                (Some(have), Some(add)) => {
                    for e in add {
                        if !have.contains(&e) {
                            have.push(e);
                        }
                    }
                }
                (have, None) => *have = None,
                (None, Some(_)) => {}
            },
            None => ports.push(port),
        }
    } else {
        match port.endpoints {
            None => ports.retain(|p| !same(p)),
            Some(remove) => {
                for p in ports.iter_mut().filter(|p| same(p)) {
                    if let Some(have) = &mut p.endpoints {
                        have.retain(|e| !remove.contains(e));
                    }
                }
                ports.retain(|p| !same(p) || p.endpoints.as_ref().is_none_or(|e| !e.is_empty()));
            }
        }
    }
    Ok(Vec::new())
}

fn opened(call: &mut Call<'_>) -> ToolResult {
    call.at_most(0)?;
    let with_endpoints = call.args.flag("endpoints");
    let mut ports = call.state.opened_ports.clone();
    ports.sort_by_key(|p| (p.protocol, p.from, p.to));
    let lines: Vec<Value> = ports
        .iter()
        .map(|p| {
            if with_endpoints {
                let eps = p.endpoints.as_ref().map_or("*".to_owned(), |e| e.join(","));
                Value::String(format!("{p} ({eps})"))
            } else {
                Value::String(p.to_string())
            }
        })
        .collect();
    call.output(Format::Smart, &Value::Array(lines))
}

#[cfg(test)]
mod tests {
    use super::super::super::JujuState;
    use super::super::test_support::{err, ok};
    use crate::model::ModelType;

    /// Juju's port-range recorder refuses ranges on Kubernetes, open and close alike
    /// (`validatePortRangeForCAAS`), after parsing the argument.
    #[test]
    fn ranges_refused_on_kubernetes() {
        let mut s = JujuState::new("a/0");
        let refusal = "ERROR port ranges are not supported for k8s applications, please \
                       specify a single port\n";
        assert_eq!(err(&mut s, "open-port 8000-8099/tcp", 1), refusal);
        assert_eq!(err(&mut s, "close-port 1000-2000/udp", 1), refusal);
        assert_eq!(
            err(&mut s, "open-port 8000-8099 --endpoints web", 1),
            refusal
        );
        assert!(s.opened_ports.is_empty());
        ok(&mut s, "open-port 8000-8000/tcp");
        ok(&mut s, "open-port 53/udp");
        ok(&mut s, "open-port icmp");
        assert_eq!(ok(&mut s, "opened-ports"), "8000/tcp\n53/udp\nicmp\n");
        err(&mut s, "open-port 90-80", 2);
    }

    #[test]
    fn open_list_close() {
        let mut s = JujuState::new("a/0").model_type(ModelType::Machine);
        ok(&mut s, "open-port 80");
        ok(&mut s, "open-port 8000-8099/udp");
        ok(&mut s, "open-port icmp");
        ok(&mut s, "open-port 443/TCP --endpoints web,admin");
        ok(&mut s, "open-port 80/tcp");
        assert_eq!(
            ok(&mut s, "opened-ports --format=json"),
            "[\"80/tcp\",\"443/tcp\",\"8000-8099/udp\",\"icmp\"]\n"
        );
        assert_eq!(
            ok(&mut s, "opened-ports --endpoints"),
            "80/tcp (*)\n443/tcp (web,admin)\n8000-8099/udp (*)\nicmp (*)\n"
        );
        ok(&mut s, "close-port 443 --endpoints web");
        ok(&mut s, "close-port 8000-8099/udp");
        ok(&mut s, "close-port icmp");
        assert_eq!(
            ok(&mut s, "opened-ports --endpoints"),
            "80/tcp (*)\n443/tcp (admin)\n"
        );
        ok(&mut s, "close-port 443 --endpoints admin");
        assert_eq!(ok(&mut s, "opened-ports"), "80/tcp\n");
    }

    #[test]
    fn bad_ports() {
        let mut s = JujuState::new("a/0");
        assert_eq!(
            err(&mut s, "open-port", 2),
            "ERROR no port or range specified\n"
        );
        for bad in [
            "open-port 0",
            "open-port 99999",
            "open-port 90-80",
            "open-port 80/sctp",
            "open-port x",
        ] {
            err(&mut s, bad, 2);
        }
    }
}
