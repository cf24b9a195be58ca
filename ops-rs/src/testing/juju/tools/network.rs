//! `network-get`: addresses of an endpoint binding.

use serde_json::Value;

use crate::hookcmds::network::Network;

use super::super::args::{Opt, Spec};
use super::super::error::ToolError;
use super::super::output::Format;
use super::{Call, Tool, ToolResult};

pub(crate) const GET: Tool = Tool {
    spec: || {
        Spec::new(
            "network-get",
            "<binding-name> [--ingress-address] [--bind-address] [--egress-subnets]",
            "Get network config.",
        )
        .format("smart")
        .opt(Opt::value(&["r", "relation"], "specify a relation by id"))
        .opt(Opt::flag(
            &["primary-address"],
            "(deprecated) get the primary address for the binding",
        ))
        .opt(Opt::flag(
            &["bind-address"],
            "get the address for the binding on which the unit should listen",
        ))
        .opt(Opt::flag(
            &["ingress-address"],
            "get the ingress address for the binding",
        ))
        .opt(Opt::flag(
            &["egress-subnets"],
            "get the egress subnets for the binding",
        ))
    },
    run: get,
};

// As juju `internal/worker/uniter/runner/jujuc/network-get.go`: the whole answer without
// flags; `--primary-address` alone; otherwise the keys asked for (one: its value alone).
fn get(call: &mut Call<'_>) -> ToolResult {
    let Some(binding) = call.args.positional.first().cloned() else {
        return Err(ToolError::usage("no arguments specified"));
    };
    call.at_most(1)?;
    if call.args.value("r").is_some() {
        call.relation_id()?;
    }
    let network = call.state.networks.get(&binding).ok_or_else(|| {
        ToolError::failed(format!("no network config found for binding {binding:?}"))
    })?;
    let no_address = || {
        ToolError::failed(format!(
            "no addresses attached to space for binding {binding:?}"
        ))
    };
    let first_bind = network
        .bind_addresses
        .first()
        .and_then(|b| b.addresses.first())
        .map(|a| a.value.clone());
    let (bind, ingress, egress) = (
        call.args.flag("bind-address"),
        call.args.flag("ingress-address"),
        call.args.flag("egress-subnets"),
    );
    let format = Format::from_args(&call.args, Format::Smart)?;
    if call.args.flag("primary-address") {
        if bind || ingress || egress {
            return Err(ToolError::failed(
                "--primary-address must be the only flag specified",
            ));
        }
        return call.output(
            Format::Smart,
            &Value::String(first_bind.ok_or_else(no_address)?),
        );
    }
    // In the order Juju appends them.
    let mut picked: Vec<(&str, Value)> = Vec::new();
    if bind {
        picked.push((
            "bind-address",
            Value::String(first_bind.clone().ok_or_else(no_address)?),
        ));
    }
    if ingress {
        let address = match network.ingress_addresses.first() {
            Some(a) => a.clone(),
            None => first_bind.clone().ok_or_else(no_address)?,
        };
        picked.push(("ingress-address", Value::String(address)));
    }
    if egress {
        picked.push(("egress-subnets", serde_json::json!(network.egress_subnets)));
    }
    let value = match picked.len() {
        0 => answer(network, format != Format::Json),
        1 => picked.remove(0).1,
        _ => Value::Object(picked.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
    };
    call.output(Format::Smart, &value)
}

/// The whole answer as Juju prints it. Empty lists are left out; in YAML (and so `smart`)
/// each address is also under the older key `address`, and each bind under `macaddress` and
/// `interfacename` (Juju keeps them for older agents); in JSON they are not.
fn answer(network: &Network, yaml: bool) -> Value {
    let mut out = serde_json::Map::new();
    let binds: Vec<Value> = network
        .bind_addresses
        .iter()
        .map(|b| {
            let addrs: Vec<Value> = b
                .addresses
                .iter()
                .map(|a| {
                    let mut v = serde_json::json!({
                        "hostname": a.hostname, "value": a.value, "cidr": a.cidr,
                    });
                    if yaml {
                        v["address"] = Value::String(a.value.clone());
                    }
                    v
                })
                .collect();
            let mut v = serde_json::json!({
                "mac-address": b.mac_address,
                "interface-name": b.interface_name,
                "addresses": addrs,
            });
            if yaml {
                v["macaddress"] = Value::String(b.mac_address.clone());
                v["interfacename"] = Value::String(b.interface_name.clone());
            }
            v
        })
        .collect();
    if !binds.is_empty() {
        out.insert("bind-addresses".into(), Value::Array(binds));
    }
    if !network.egress_subnets.is_empty() {
        out.insert(
            "egress-subnets".into(),
            serde_json::json!(network.egress_subnets),
        );
    }
    if !network.ingress_addresses.is_empty() {
        out.insert(
            "ingress-addresses".into(),
            serde_json::json!(network.ingress_addresses),
        );
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::super::super::{JujuState, Network, RelationState};
    use super::super::test_support::{err, ok};

    #[test]
    fn forms() {
        let mut s = JujuState::new("a/0")
            .network("db", Network::with_address("10.0.0.5"))
            .relation(RelationState::new(4, "db", "pg"));
        let out = ok(&mut s, "network-get --format=json -r 4 db");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["bind-addresses"][0]["addresses"][0]["value"], "10.0.0.5");
        assert_eq!(v["ingress-addresses"][0], "10.0.0.5");
        assert_eq!(v["egress-subnets"][0], "10.0.0.5/32");
        assert_eq!(ok(&mut s, "network-get db --ingress-address"), "10.0.0.5\n");
        assert_eq!(
            ok(&mut s, "network-get db --bind-address --format=json"),
            "\"10.0.0.5\"\n"
        );
        assert_eq!(
            err(&mut s, "network-get nope", 1),
            "ERROR no network config found for binding \"nope\"\n"
        );
        assert!(err(&mut s, "network-get -r db:9 db", 2).contains("relation not found"));
    }

    #[test]
    fn only_yaml_keeps_the_older_keys_and_empty_lists_are_left_out() {
        let mut s = JujuState::new("a/0").network("db", Network::with_address("10.0.0.5"));
        let json: serde_json::Value =
            serde_json::from_str(&ok(&mut s, "network-get db --format=json")).unwrap();
        let addr = &json["bind-addresses"][0]["addresses"][0];
        assert_eq!(addr.get("address"), None, "{json}");
        assert_eq!(json["bind-addresses"][0].get("macaddress"), None);
        let yaml = ok(&mut s, "network-get db");
        assert!(yaml.contains("address: 10.0.0.5"), "{yaml}");
        assert!(yaml.contains("macaddress:"), "{yaml}");

        let mut bare = Network::with_address("10.0.0.5");
        bare.ingress_addresses.clear();
        bare.egress_subnets.clear();
        let mut s = JujuState::new("a/0").network("db", bare);
        let json: serde_json::Value =
            serde_json::from_str(&ok(&mut s, "network-get db --format=json")).unwrap();
        assert_eq!(json.get("ingress-addresses"), None, "{json}");
        assert_eq!(json.get("egress-subnets"), None, "{json}");
        // Without ingress addresses, the ingress address is the first bind address.
        assert_eq!(ok(&mut s, "network-get db --ingress-address"), "10.0.0.5\n");
    }

    #[test]
    fn egress_subnets_are_a_list_and_primary_address_stands_alone() {
        let mut n = Network::with_address("10.0.0.5");
        n.egress_subnets = vec!["10.0.0.0/24".into(), "10.1.0.0/24".into()];
        let mut s = JujuState::new("a/0").network("db", n);
        assert_eq!(
            ok(&mut s, "network-get db --egress-subnets"),
            "10.0.0.0/24\n10.1.0.0/24\n"
        );
        assert_eq!(
            ok(&mut s, "network-get db --egress-subnets --format=json"),
            "[\"10.0.0.0/24\",\"10.1.0.0/24\"]\n"
        );
        assert_eq!(ok(&mut s, "network-get db --primary-address"), "10.0.0.5\n");
        assert_eq!(
            err(&mut s, "network-get db --primary-address --bind-address", 1),
            "ERROR --primary-address must be the only flag specified\n"
        );
    }
}
