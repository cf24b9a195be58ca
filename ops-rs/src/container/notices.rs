//! [`Container`]'s notices.

use pebble_client::{Notice, NoticeId, NoticesQuery};

use super::{Container, ContainerError};

impl Container {
    /// One notice by id ([`ContainerError::NoticeNotFound`] if Pebble has none of that id,
    /// e.g. it expired).
    pub fn get_notice(&self, id: &str) -> Result<Notice, ContainerError> {
        match self.pebble().get_notice(&NoticeId::from(id)) {
            Ok(n) => Ok(n),
            Err(e) if e.api_status() == Some(404) => Err(ContainerError::NoticeNotFound {
                container: self.name().to_owned(),
                id: id.to_owned(),
            }),
            Err(e) => Err(self.error(format!("get notice {id:?}"), e)),
        }
    }

    /// The notices matching `query` (types, keys, users, after), oldest repeat first.
    ///
    /// ```no_run
    /// use ops::container::{NoticeType, NoticesQuery};
    /// # let web = ops::container::Container::from_client("web",
    /// #     pebble_client::blocking::Client::new("/tmp/s")?);
    /// let ready = web.get_notices(
    ///     &NoticesQuery::new().types([NoticeType::Custom]).keys(["example.com/ready"]),
    /// )?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_notices(&self, query: &NoticesQuery) -> Result<Vec<Notice>, ContainerError> {
        self.check(self.pebble().get_notices(query), || {
            "get notices".to_owned()
        })
    }
}
