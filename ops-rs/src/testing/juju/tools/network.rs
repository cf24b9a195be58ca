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
    let first_bind = || {
        network
            .bind_addresses
            .iter()
            .flat_map(|b| b.addresses.iter())
            .next()
            .map_or(Value::Null, |a| Value::String(a.value.clone()))
    };
    let mut picked: Vec<(&str, Value)> = Vec::new();
    if call.args.flag("primary-address") {
        picked.push(("primary-address", first_bind()));
    }
    if call.args.flag("bind-address") {
        picked.push(("bind-address", first_bind()));
    }
    if call.args.flag("ingress-address") {
        picked.push((
            "ingress-address",
            network
                .ingress_addresses
                .first()
                .map_or(Value::Null, |a| Value::String(a.clone())),
        ));
    }
    if call.args.flag("egress-subnets") {
        picked.push((
            "egress-subnets",
            Value::String(network.egress_subnets.join(",")),
        ));
    }
    let value = match picked.len() {
        0 => answer(network),
        1 => picked.remove(0).1,
        _ => Value::Object(picked.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
    };
    call.output(Format::Smart, &value)
}

/// The whole answer as Juju prints it (each address also under the older key `address`).
fn answer(network: &Network) -> Value {
    let binds: Vec<Value> = network
        .bind_addresses
        .iter()
        .map(|b| {
            let addrs: Vec<Value> = b
                .addresses
                .iter()
                .map(|a| {
                    serde_json::json!({
                        "hostname": a.hostname, "value": a.value,
                        "address": a.value, "cidr": a.cidr,
                    })
                })
                .collect();
            serde_json::json!({
                "mac-address": b.mac_address,
                "interface-name": b.interface_name,
                "addresses": addrs,
            })
        })
        .collect();
    serde_json::json!({
        "bind-addresses": binds,
        "egress-subnets": network.egress_subnets,
        "ingress-addresses": network.ingress_addresses,
    })
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
}
