//! The ingress v2 databags, field by field, as `charms.traefik_k8s.v2.ingress` (LIBPATCH 21)
//! writes and reads them. Every value is JSON (`json.dumps` of the field); fields at their
//! default are left out when written and take their default when read.
//!
//! | Bag | Key | JSON | Default |
//! |---|---|---|---|
//! | requirer app | `model` | string | required |
//! | requirer app | `name` | string | required |
//! | requirer app | `port` | integer, 1 to 65534 | required |
//! | requirer app | `scheme` | `"http"`, `"https"` or `"h2c"` | `"http"` |
//! | requirer app | `strip-prefix` | boolean | `false` |
//! | requirer app | `redirect-https` | boolean | `false` |
//! | requirer app | `is_port_open` | boolean | `false` |
//! | requirer app | `healthcheck_params` | object (`path`, `scheme`, `hostname`, `port`, `interval`, `timeout`) | none |
//! | requirer unit | `host` | string | required |
//! | requirer unit | `ip` | string, an IPv4 or IPv6 address, or `null` | none |
//! | provider app | `ingress` | object `{"url": <http(s) URL>}` | none: not ready |
//!
//! Reading is as lenient as pydantic's lax mode where the Python provider is: a port may come
//! as a numeric string, a boolean as `"true"`/`"false"` or `0`/`1`, and `null` for an
//! optional flag is `false`.

use std::net::IpAddr;

use serde::{Deserialize, Deserializer, Serialize};

use super::bag::{self, Bag, DataError};
use super::url::IngressUrl;

/// The scheme the provider uses to reach the requirer's units (`scheme`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// `http` (the default).
    #[default]
    Http,
    /// `https`.
    Https,
    /// `h2c`: HTTP/2 without TLS (gRPC backends).
    H2c,
}

impl Scheme {
    fn is_http(&self) -> bool {
        *self == Scheme::Http
    }
}

/// A health check the provider runs against the requirer's units (`healthcheck_params`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// The path to check, e.g. `/health` (required).
    pub path: String,
    /// Replaces the scheme of the unit's URL for the check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// The `Host` header of the check request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Replaces the port of the unit's URL for the check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// How often to check (default `30s`).
    #[serde(
        default = "HealthCheck::default_interval",
        skip_serializing_if = "HealthCheck::is_default_interval"
    )]
    pub interval: String,
    /// How long a check may take (default `5s`).
    #[serde(
        default = "HealthCheck::default_timeout",
        skip_serializing_if = "HealthCheck::is_default_timeout"
    )]
    pub timeout: String,
}

impl HealthCheck {
    /// A check of `path` with the default interval and timeout.
    pub fn new(path: &str) -> Self {
        HealthCheck {
            path: path.to_owned(),
            scheme: None,
            hostname: None,
            port: None,
            interval: Self::default_interval(),
            timeout: Self::default_timeout(),
        }
    }

    /// Sets the interval (e.g. `10s`).
    #[must_use]
    pub fn interval(mut self, interval: &str) -> Self {
        self.interval = interval.to_owned();
        self
    }

    /// Sets the timeout (e.g. `2s`).
    #[must_use]
    pub fn timeout(mut self, timeout: &str) -> Self {
        self.timeout = timeout.to_owned();
        self
    }

    fn default_interval() -> String {
        "30s".to_owned()
    }
    fn default_timeout() -> String {
        "5s".to_owned()
    }
    fn is_default_interval(s: &str) -> bool {
        s == "30s"
    }
    fn is_default_timeout(s: &str) -> bool {
        s == "5s"
    }
}

/// The requirer application's bag: what to route to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirerAppData {
    /// The requirer's model (the Kubernetes namespace).
    pub model: String,
    /// The requirer's application name.
    pub name: String,
    /// The port the units serve on.
    #[serde(deserialize_with = "lenient::port")]
    pub port: u16,
    /// Whether the requirer's unit has opened `port` (`opened-ports`).
    #[serde(
        default,
        deserialize_with = "lenient::flag",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub is_port_open: bool,
    /// A health check, if any.
    #[serde(
        default,
        deserialize_with = "lenient::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub healthcheck_params: Option<HealthCheck>,
    /// Whether the provider strips the URL's path prefix before forwarding.
    #[serde(
        rename = "strip-prefix",
        default,
        deserialize_with = "lenient::flag",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub strip_prefix: bool,
    /// Whether the provider redirects plain HTTP to HTTPS.
    #[serde(
        rename = "redirect-https",
        default,
        deserialize_with = "lenient::flag",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub redirect_https: bool,
    /// The scheme of the units' URLs.
    #[serde(default, skip_serializing_if = "Scheme::is_http")]
    pub scheme: Scheme,
}

/// One requirer unit's bag: how to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirerUnitData {
    /// The unit's host name (by default its fully qualified name).
    pub host: String,
    /// The unit's address, if Juju gave one.
    #[serde(
        default,
        deserialize_with = "lenient::ip",
        skip_serializing_if = "Option::is_none"
    )]
    pub ip: Option<IpAddr>,
}

/// The `ingress` field of the provider application's bag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngressUrlData {
    /// Where the requirer is reachable.
    pub url: IngressUrl,
}

/// The provider application's bag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderAppData {
    /// The URL, once the provider has published it.
    #[serde(
        default,
        deserialize_with = "lenient::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub ingress: Option<IngressUrlData>,
}

const REQUIRER_APP_KEYS: [&str; 8] = [
    "model",
    "name",
    "port",
    "is_port_open",
    "healthcheck_params",
    "strip-prefix",
    "redirect-https",
    "scheme",
];
const REQUIRER_UNIT_KEYS: [&str; 2] = ["host", "ip"];
const PROVIDER_APP_KEYS: [&str; 1] = ["ingress"];

impl RequirerAppData {
    /// Reads the bag (`describe` names it in errors).
    ///
    /// # Errors
    ///
    /// A field is missing, is not JSON, or does not fit.
    pub fn from_bag(bag: &Bag, describe: &str) -> Result<Self, DataError> {
        bag::decode(bag, &REQUIRER_APP_KEYS, describe)
    }

    /// The bag's content.
    ///
    /// # Errors
    ///
    /// Never for these types; kept for the serializer's signature.
    pub fn to_bag(&self) -> Result<Bag, serde_json::Error> {
        bag::encode(self)
    }
}

impl RequirerUnitData {
    /// Reads the bag (`describe` names it in errors).
    ///
    /// # Errors
    ///
    /// `host` is missing, a value is not JSON, or `ip` is not an address.
    pub fn from_bag(bag: &Bag, describe: &str) -> Result<Self, DataError> {
        bag::decode(bag, &REQUIRER_UNIT_KEYS, describe)
    }

    /// The bag's content.
    ///
    /// # Errors
    ///
    /// Never for these types; kept for the serializer's signature.
    pub fn to_bag(&self) -> Result<Bag, serde_json::Error> {
        bag::encode(self)
    }
}

impl ProviderAppData {
    /// Reads the bag (`describe` names it in errors); an empty bag, or one without
    /// `ingress`, has no URL.
    ///
    /// # Errors
    ///
    /// `ingress` is not JSON, or not an object with an HTTP(S) `url`.
    pub fn from_bag(bag: &Bag, describe: &str) -> Result<Self, DataError> {
        bag::decode(bag, &PROVIDER_APP_KEYS, describe)
    }

    /// The bag's content.
    ///
    /// # Errors
    ///
    /// Never for these types; kept for the serializer's signature.
    pub fn to_bag(&self) -> Result<Bag, serde_json::Error> {
        bag::encode(self)
    }
}

/// Deserializers as lenient as pydantic's lax mode, where the Python library relies on it.
mod lenient {
    use super::*;
    use serde::de::Error;
    use serde_json::Value;

    /// A port: an integer or a numeric string, 1 to 65534 (the Python library's check is
    /// `0 < port < 65535`).
    pub(super) fn port<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
        let v = Value::deserialize(d)?;
        let n = match &v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| D::Error::custom(format!("expected a port number, got {v}")))?;
        match u16::try_from(n) {
            Ok(p) if (1..65535).contains(&p) => Ok(p),
            _ => Err(D::Error::custom(format!(
                "port {n} is out of range (1 to 65534)"
            ))),
        }
    }

    /// A flag: a boolean, `null` (false), `0`/`1`, or one of pydantic's boolean strings.
    pub(super) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        let v = Value::deserialize(d)?;
        match &v {
            Value::Bool(b) => Ok(*b),
            Value::Null => Ok(false),
            Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
            Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "1" | "on" | "t" | "true" | "y" | "yes" => Ok(true),
                "0" | "off" | "f" | "false" | "n" | "no" => Ok(false),
                _ => Err(D::Error::custom(format!("expected a boolean, got {v}"))),
            },
            _ => Err(D::Error::custom(format!("expected a boolean, got {v}"))),
        }
    }

    /// An optional object: a JSON object or `null` (serde would also take a struct from an
    /// array; pydantic does not).
    pub(super) fn object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: serde::de::DeserializeOwned,
    {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            v @ Value::Object(_) => serde_json::from_value(v)
                .map(Some)
                .map_err(D::Error::custom),
            v => Err(D::Error::custom(format!("expected an object, got {v}"))),
        }
    }

    /// An optional IP address: a string holding one, or `null`.
    pub(super) fn ip<'de, D: Deserializer<'de>>(d: D) -> Result<Option<IpAddr>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| D::Error::custom(format!("{s:?} is not a valid ip address"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(pairs: &[(&str, &str)]) -> Bag {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn requirer_app_data_leaves_out_defaults_as_the_python_library() {
        // The Python library's own round-trip test writes exactly these keys.
        let data = RequirerAppData {
            model: "coslite".into(),
            name: "foo".into(),
            port: 10,
            is_port_open: false,
            healthcheck_params: None,
            strip_prefix: true,
            redirect_https: false,
            scheme: Scheme::Http,
        };
        let b = data.to_bag().unwrap();
        assert_eq!(
            b,
            bag(&[
                ("model", "\"coslite\""),
                ("name", "\"foo\""),
                ("port", "10"),
                ("strip-prefix", "true"),
            ])
        );
        assert_eq!(RequirerAppData::from_bag(&b, "app").unwrap(), data);
    }

    #[test]
    fn health_checks_leave_out_their_defaults() {
        let hc = HealthCheck::new("/health").timeout("2s");
        assert_eq!(
            serde_json::to_string(&hc).unwrap(),
            r#"{"path":"/health","timeout":"2s"}"#
        );
        let back: HealthCheck =
            serde_json::from_str(r#"{"path":"/health","timeout":"2s"}"#).unwrap();
        assert_eq!(back, hc);
    }

    #[test]
    fn lax_values_read_as_pydantic_reads_them() {
        let b = bag(&[
            ("model", "\"m\""),
            ("name", "\"n\""),
            ("port", "\"8080\""),
            ("strip-prefix", "\"yes\""),
            ("redirect-https", "null"),
            ("scheme", "\"h2c\""),
        ]);
        let d = RequirerAppData::from_bag(&b, "app").unwrap();
        assert_eq!(
            (d.port, d.strip_prefix, d.redirect_https),
            (8080, true, false)
        );
        assert_eq!(d.scheme, Scheme::H2c);
    }

    #[test]
    fn out_of_range_ports_and_bad_schemes_are_refused() {
        for (port, scheme) in [("0", "\"http\""), ("65535", "\"http\""), ("80", "\"ftp\"")] {
            let b = bag(&[
                ("model", "\"m\""),
                ("name", "\"n\""),
                ("port", port),
                ("scheme", scheme),
            ]);
            assert!(
                RequirerAppData::from_bag(&b, "app").is_err(),
                "{port} {scheme}"
            );
        }
    }

    #[test]
    fn unit_data_checks_the_address() {
        let ok = bag(&[("host", "\"h\""), ("ip", "\"10.0.0.1\"")]);
        assert_eq!(
            RequirerUnitData::from_bag(&ok, "unit").unwrap().ip,
            Some("10.0.0.1".parse().unwrap())
        );
        let none = bag(&[("host", "\"h\""), ("ip", "null")]);
        assert_eq!(RequirerUnitData::from_bag(&none, "unit").unwrap().ip, None);
        let bad = bag(&[("host", "\"h\""), ("ip", "\"10.0.0\"")]);
        let e = RequirerUnitData::from_bag(&bad, "unit 'w/0'").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unit 'w/0': ip: \"10.0.0\" is not a valid ip address"
        );
    }

    #[test]
    fn provider_data_without_ingress_has_no_url() {
        assert_eq!(
            ProviderAppData::from_bag(&Bag::new(), "app").unwrap(),
            ProviderAppData::default()
        );
        let b = bag(&[("ingress", r#"{"url": "http://foo.bar/m-a"}"#)]);
        let d = ProviderAppData::from_bag(&b, "app").unwrap();
        assert_eq!(d.ingress.unwrap().url.as_str(), "http://foo.bar/m-a");
    }
}
