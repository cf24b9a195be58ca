//! This machine's fully qualified name, found the way Python's `socket.getfqdn()` finds it
//! on Linux (what the Python library publishes as `prometheus_scrape_unit_fqdn`): the host
//! name, looked up in `/etc/hosts`, and the first name with a dot on the line of its address.
//! (The same function is in the ingress library; it belongs lower down once a third library
//! needs it.)
//!
//! On a Kubernetes pod Juju made, that is `<app>-<n>.<app>-endpoints.<model>.svc.<cluster
//! domain>`: the kubelet writes that line into the pod's `/etc/hosts`.

use std::net::IpAddr;

/// The fully qualified name of this machine, or its bare host name when `/etc/hosts` does not
/// give one (as `socket.getfqdn()` does without DNS); `localhost` if even the host name
/// cannot be read.
pub fn local_fqdn() -> String {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "localhost".to_owned());
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    fqdn_from(&hostname, &hosts)
}

/// The fully qualified name of `hostname` according to `hosts` (the text of `/etc/hosts`):
/// the address of the first line naming it, then the first name with a dot on the first line
/// of that address; `hostname` itself when there is none.
pub fn fqdn_from(hostname: &str, hosts: &str) -> String {
    let lines: Vec<(IpAddr, Vec<&str>)> = hosts
        .lines()
        .filter_map(|line| {
            let line = line.split('#').next().unwrap_or("");
            let mut words = line.split_whitespace();
            let ip = words.next()?.parse().ok()?;
            Some((ip, words.collect()))
        })
        .collect();
    let Some((ip, _)) = lines.iter().find(|(_, names)| names.contains(&hostname)) else {
        return hostname.to_owned();
    };
    lines
        .iter()
        .find(|(other, _)| other == ip)
        .and_then(|(_, names)| names.iter().find(|n| n.contains('.')))
        .map_or_else(|| hostname.to_owned(), |n| (*n).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const POD_HOSTS: &str = "# Kubernetes-managed hosts file.\n\
        127.0.0.1\tlocalhost\n\
        ::1\tlocalhost ip6-localhost ip6-loopback\n\
        10.1.157.74\twebkv-0.webkv-endpoints.demo.svc.cluster.local\twebkv-0\n";

    #[test]
    fn a_pod_finds_its_kubernetes_name() {
        assert_eq!(
            fqdn_from("webkv-0", POD_HOSTS),
            "webkv-0.webkv-endpoints.demo.svc.cluster.local"
        );
    }

    #[test]
    fn an_unlisted_host_keeps_its_bare_name() {
        assert_eq!(fqdn_from("laptop", POD_HOSTS), "laptop");
        assert_eq!(fqdn_from("laptop", ""), "laptop");
    }

    #[test]
    fn the_first_dotted_name_of_the_address_wins_and_comments_are_ignored() {
        let hosts = "10.0.0.2 box # box.example.org\n10.0.0.2 box.lan box.example.org\n";
        assert_eq!(fqdn_from("box", hosts), "box");
        let hosts = "10.0.0.2 box.lan box\n";
        assert_eq!(fqdn_from("box", hosts), "box.lan");
    }

    #[test]
    fn local_fqdn_is_never_empty() {
        assert!(!local_fqdn().is_empty());
    }
}
