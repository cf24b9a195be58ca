//! [`IngressUrl`]: an ingress URL, checked and normalised as the Python library's pydantic
//! `AnyHttpUrl` does it (the library hands charms `str(url)`).
//!
//! ```
//! use ops_interface_ingress::v2::IngressUrl;
//! let url = IngressUrl::parse("HTTP://Foo.Example:80")?;
//! assert_eq!(url.as_str(), "http://foo.example/"); // scheme and host lower-cased, default port dropped, a path
//! assert_eq!(IngressUrl::parse("https://foo.example:8443/demo-web?x=1")?.as_str(),
//!            "https://foo.example:8443/demo-web?x=1");
//! assert!(IngressUrl::parse("ftp://foo.example/").is_err());
//! # Ok::<(), ops_interface_ingress::v2::UrlError>(())
//! ```

use std::fmt;

/// A URL that is not an HTTP(S) URL pydantic's `AnyHttpUrl` would accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url:?} is not an ingress URL: {why}")]
pub struct UrlError {
    /// The text given.
    pub url: String,
    /// What is wrong with it.
    pub why: &'static str,
}

/// An `http` or `https` URL with a host, normalised: scheme and host in lower case, the
/// scheme's default port dropped, and `/` as the path when there is none.
///
/// These are the normalisations of the WHATWG URL parser behind pydantic's `AnyHttpUrl`
/// that ingress URLs meet; the full parser (percent-encoding, IDNA, dot segments) is not
/// repeated here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IngressUrl(String);

impl IngressUrl {
    /// Checks and normalises `text`.
    ///
    /// # Errors
    ///
    /// The scheme is not `http` or `https`, the host is empty, the port is not a number up
    /// to 65535, or the URL holds white space or control characters.
    pub fn parse(text: &str) -> Result<IngressUrl, UrlError> {
        let bad = |why| UrlError {
            url: text.to_owned(),
            why,
        };
        let trimmed = text.trim_matches(|c: char| c <= ' ');
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("it holds white space or control characters"));
        }
        let (scheme, rest) = trimmed
            .split_once("://")
            .ok_or_else(|| bad("it has no scheme (http:// or https://)"))?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => "80",
            "https" => "443",
            _ => return Err(bad("the scheme must be http or https")),
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((user, hp)) => (Some(user), hp),
            None => (None, authority),
        };
        let (host, port) = split_host_port(hostport).ok_or_else(|| bad("its port is not valid"))?;
        if host.is_empty() {
            return Err(bad("it has no host"));
        }
        let mut out = format!("{scheme}://");
        if let Some(user) = userinfo {
            out.push_str(user);
            out.push('@');
        }
        out.push_str(&host.to_ascii_lowercase());
        if let Some(port) = port.filter(|p| *p != default_port) {
            out.push(':');
            out.push_str(port);
        }
        if !tail.starts_with('/') {
            out.push('/');
        }
        out.push_str(tail);
        Ok(IngressUrl(out))
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `host[:port]` (an IPv6 host in brackets), the port checked and without leading zeros.
fn split_host_port(hostport: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if hostport.starts_with('[') {
        let close = hostport.find(']')?;
        let (host, after) = hostport.split_at(close + 1);
        match after {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':')?)),
        }
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let port = match port {
        None | Some("") => None,
        Some(p) => {
            if !p.bytes().all(|b| b.is_ascii_digit()) || p.parse::<u32>().ok()? > 65535 {
                return None;
            }
            let digits = p.trim_start_matches('0');
            Some(if digits.is_empty() { "0" } else { digits })
        }
    };
    Some((host, port))
}

impl fmt::Display for IngressUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for IngressUrl {
    type Error = UrlError;
    fn try_from(s: String) -> Result<Self, UrlError> {
        IngressUrl::parse(&s)
    }
}

impl From<IngressUrl> for String {
    fn from(u: IngressUrl) -> String {
        u.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        IngressUrl::parse(s)
            .map(String::from)
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn traefik_urls_keep_their_shape() {
        // Path routing and subdomain routing, as traefik-k8s publishes them.
        assert_eq!(
            norm("http://10.0.0.1/demo-webkv"),
            "http://10.0.0.1/demo-webkv"
        );
        assert_eq!(
            norm("https://demo-webkv.example.org/"),
            "https://demo-webkv.example.org/"
        );
        assert_eq!(
            norm("http://foo.bar:80/model-app/0"),
            "http://foo.bar/model-app/0"
        );
    }

    #[test]
    fn normalises_like_any_http_url() {
        assert_eq!(norm("http://ready-app.com"), "http://ready-app.com/");
        assert_eq!(norm("HTTPS://Host.Example:443"), "https://host.example/");
        assert_eq!(norm("http://h:0080/x"), "http://h/x");
        assert_eq!(norm("http://h:8080?q=1"), "http://h:8080/?q=1");
        assert_eq!(norm("http://[::1]:8080/x"), "http://[::1]:8080/x");
        assert_eq!(norm("http://user:pw@h/x"), "http://user:pw@h/x");
        assert_eq!(norm("  http://h/x \n"), "http://h/x");
    }

    #[test]
    fn refuses_what_any_http_url_refuses() {
        for bad in [
            "ftp://h/",
            "h/x",
            "http:///x",
            "http://h:99999/",
            "http://h:8x/",
            "http://h x/",
            "",
        ] {
            assert!(IngressUrl::parse(bad).is_err(), "{bad}");
        }
        let e = IngressUrl::parse("ftp://h/").unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"ftp://h/\" is not an ingress URL: the scheme must be http or https"
        );
    }

    #[test]
    fn serde_checks_on_the_way_in() {
        let u: IngressUrl = serde_json::from_str("\"http://h\"").unwrap();
        assert_eq!(u.as_str(), "http://h/");
        assert!(serde_json::from_str::<IngressUrl>("\"gopher://h\"").is_err());
        assert_eq!(serde_json::to_string(&u).unwrap(), "\"http://h/\"");
    }
}
