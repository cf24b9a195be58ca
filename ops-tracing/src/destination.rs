//! [`Destination`]: where spans go, as the last dispatch that knew decided it; kept in a file
//! beside the buffer.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// The destination's file name, beside the buffer.
pub const DESTINATION_FILE: &str = ".tracing-destination.json";

/// Where to send spans: an OTLP/HTTP traces URL (`.../v1/traces`) and, for HTTPS, the CA
/// certificates (PEM) to trust.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Destination {
    /// The URL spans are POSTed to.
    pub url: String,
    /// PEM certificates to trust for an `https` URL (`None`: the system's).
    #[serde(default)]
    pub ca: Option<String>,
}

/// What this dispatch's handlers decided: `None` if none ran, `Some(None)` for "no
/// destination any more".
static DECIDED: Mutex<Option<Option<Destination>>> = Mutex::new(None);

/// Sets where spans go from now on (`None`: nowhere; they are buffered). Called by the
/// [`Tracing`](crate::Tracing) component; saved when the dispatch ends.
pub fn set_destination(destination: Option<Destination>) {
    *DECIDED.lock().unwrap_or_else(PoisonError::into_inner) = Some(destination);
}

/// What [`set_destination`] was given in this process, if it was called (taken).
pub(crate) fn take_decided() -> Option<Option<Destination>> {
    DECIDED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
}

/// The destination file of one unit.
#[derive(Debug, Clone)]
pub(crate) struct DestinationFile(PathBuf);

impl DestinationFile {
    pub(crate) fn in_dir(charm_dir: &Path) -> Self {
        DestinationFile(charm_dir.join(DESTINATION_FILE))
    }

    /// The saved destination (`None`: none, or a file that does not parse).
    pub(crate) fn load(&self) -> Option<Destination> {
        let text = fs::read_to_string(&self.0).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Saves `destination` (removes the file for `None`), if it changed.
    pub(crate) fn save(&self, destination: Option<&Destination>) -> io::Result<()> {
        if self.load().as_ref() == destination {
            return Ok(());
        }
        match destination {
            Some(d) => {
                let json = serde_json::to_vec(d).map_err(io::Error::other)?;
                let tmp = self.0.with_extension("tmp");
                fs::write(&tmp, json)?;
                fs::rename(&tmp, &self.0)
            }
            None => match fs::remove_file(&self.0) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
        }
    }
}
