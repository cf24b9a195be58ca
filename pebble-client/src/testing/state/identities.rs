//! Named identities with `POST /v1/identities`' add/update/replace/remove rules.

use std::collections::BTreeMap;

use crate::types::{BasicIdentity, CertIdentity, Identity};

/// The identities, by name.
#[derive(Debug, Default)]
pub(crate) struct Identities {
    pub by_name: BTreeMap<String, Identity>,
}

impl Identities {
    /// Applies an action; the error message is Pebble's.
    pub(crate) fn apply(
        &mut self,
        action: &str,
        identities: BTreeMap<String, Option<Identity>>,
    ) -> Result<(), String> {
        let mut next = self.by_name.clone();
        // As Pebble: every name that already exists (add) or is missing (update, remove) is
        // listed, sorted, in one error.
        let listed = |names: Vec<&String>| {
            names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let existing: Vec<&String> = identities
            .keys()
            .filter(|n| self.by_name.contains_key(*n))
            .collect();
        let missing: Vec<&String> = identities
            .keys()
            .filter(|n| !self.by_name.contains_key(*n))
            .collect();
        match action {
            "add" if !existing.is_empty() => {
                return Err(format!("identities already exist: {}", listed(existing)));
            }
            "update" | "remove" if !missing.is_empty() => {
                return Err(format!("identities do not exist: {}", listed(missing)));
            }
            _ => {}
        }
        match action {
            "add" | "update" | "replace" => {
                for (name, id) in identities {
                    match id {
                        None if action == "replace" => {
                            next.remove(&name);
                        }
                        None => {
                            return Err(format!(
                                "identity {name:?} value must not be null for {action} action"
                            ));
                        }
                        Some(id) => {
                            validate(&name, &id)?;
                            next.insert(name, id);
                        }
                    }
                }
            }
            "remove" => {
                for (name, id) in identities {
                    if id.is_some() {
                        return Err(format!(
                            "identity {name:?} value must be null for remove action"
                        ));
                    }
                    next.remove(&name);
                }
            }
            other => {
                return Err(format!(
                    "invalid action {other:?}, must be \"add\", \"update\", \"replace\", or \"remove\""
                ));
            }
        }
        self.by_name = next;
        Ok(())
    }

    /// The identities with secrets masked, as `GET /v1/identities` shows them.
    pub(crate) fn masked(&self) -> BTreeMap<String, Identity> {
        self.by_name
            .iter()
            .map(|(name, id)| {
                let mut id = id.clone();
                if let Some(b) = &mut id.basic {
                    *b = BasicIdentity {
                        password: "*****".into(),
                    };
                }
                if let Some(c) = &mut id.cert {
                    *c = CertIdentity {
                        pem: "*****".into(),
                    };
                }
                (name.clone(), id)
            })
            .collect()
    }
}

fn validate(name: &str, id: &Identity) -> Result<(), String> {
    let invalid = |why: &str| Err(format!("invalid identity for {name:?}: {why}"));
    if !id.access.is_known() {
        return invalid(&format!("invalid access value {:?}", id.access.as_str()));
    }
    if id.local.is_none() && id.basic.is_none() && id.cert.is_none() {
        return invalid("identity must have at least one type (\"local\", \"basic\", or \"cert\")");
    }
    if let Some(b) = &id.basic
        && b.password.is_empty()
    {
        return invalid("basic identity must specify password (hashed)");
    }
    if let Some(c) = &id.cert
        && !c.pem.contains("-----BEGIN CERTIFICATE-----")
    {
        return invalid("cert identity must include a PEM-encoded certificate");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::IdentityAccess;

    #[test]
    fn add_update_replace_remove() {
        let mut ids = Identities::default();
        let bob = Identity::local(IdentityAccess::Admin, 42);
        ids.apply("add", [("bob".into(), Some(bob.clone()))].into())
            .unwrap();
        assert_eq!(
            ids.apply("add", [("bob".into(), Some(bob.clone()))].into()),
            Err("identities already exist: bob".into())
        );
        assert!(
            ids.apply("update", [("eve".into(), Some(bob.clone()))].into())
                .is_err()
        );
        ids.apply("replace", [("bob".into(), None)].into()).unwrap();
        assert!(ids.by_name.is_empty());
        assert!(ids.apply("remove", [("bob".into(), None)].into()).is_err());
        let basic = Identity::basic(IdentityAccess::Metrics, "$6$hash");
        ids.apply("add", [("m".into(), Some(basic))].into())
            .unwrap();
        assert_eq!(ids.masked()["m"].basic.as_ref().unwrap().password, "*****");
        assert!(
            ids.apply("frob", BTreeMap::new())
                .unwrap_err()
                .starts_with("invalid action")
        );
    }
}
