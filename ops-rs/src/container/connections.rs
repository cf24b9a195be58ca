//! The Pebble connections of one dispatch: one client per container, shared by every
//! [`Container`] handle of that name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use pebble_client::blocking::Client;

use super::{Container, ContainerError, PebbleOptions};

/// The clients of a dispatch, by container name. Cheap to clone (clones share the clients).
#[derive(Debug, Clone)]
pub(crate) struct Connections {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    options: PebbleOptions,
    clients: Mutex<BTreeMap<String, Client>>,
}

impl Connections {
    /// Connections to the sockets under `dir` (`<dir>/<name>/pebble.socket`).
    pub(crate) fn new(dir: PathBuf, options: PebbleOptions) -> Self {
        Connections {
            inner: Arc::new(Inner {
                dir,
                options,
                clients: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// The settings.
    pub(crate) fn options(&self) -> &PebbleOptions {
        &self.inner.options
    }

    /// The directory of the sockets.
    pub(crate) fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// A handle on `name`, sharing the container's client (created on first use; nothing
    /// connects until the first call).
    pub(crate) fn container(&self, name: &str) -> Result<Container, ContainerError> {
        let options = &self.inner.options;
        let client = {
            let mut clients = self
                .inner
                .clients
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match clients.get(name) {
                Some(c) => c.clone(),
                None => {
                    let socket = self.inner.dir.join(name).join("pebble.socket");
                    let client = Client::builder(&socket)
                        .timeout(options.request_timeout)
                        .retry(options.policy_for(name).clone())
                        .build()
                        .map_err(|e| ContainerError::pebble(name, "create a Pebble client", e))?;
                    clients.insert(name.to_owned(), client.clone());
                    client
                }
            }
        };
        Ok(Container::new(name, client, options.change_timeout))
    }

    /// How many clients were created (tests).
    #[cfg(test)]
    pub(crate) fn client_count(&self) -> usize {
        self.inner
            .clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pebble_client::retry::RetryPolicy;

    #[test]
    fn one_client_per_container_with_its_policy() {
        let options = PebbleOptions::default()
            .retry(RetryPolicy::default().max_attempts(3))
            .container_retry("db", RetryPolicy::default().max_attempts(9));
        let conns = Connections::new(PathBuf::from("/sim"), options);
        let web = conns.container("web").unwrap();
        let again = conns.container("web").unwrap();
        let db = conns.container("db").unwrap();
        assert_eq!(conns.client_count(), 2);
        assert_eq!(
            web.pebble().as_async().socket_path(),
            Path::new("/sim/web/pebble.socket")
        );
        assert_eq!(
            again.pebble().as_async().retry_policy().get_max_attempts(),
            3
        );
        assert_eq!(db.pebble().as_async().retry_policy().get_max_attempts(), 9);
        assert_eq!(conns.dir(), Path::new("/sim"));
    }

    #[test]
    fn a_bad_request_timeout_is_a_client_error() {
        let options = PebbleOptions::default().request_timeout(std::time::Duration::ZERO);
        let conns = Connections::new(PathBuf::from("/sim"), options);
        let e = conns.container("web").unwrap_err();
        assert!(e.to_string().contains("create a Pebble client"), "{e}");
    }
}
