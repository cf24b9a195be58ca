//! [`MemoryStore`]: the state in memory, for tests and the testing API.

use std::sync::{Arc, Mutex};

use super::{Store, StoreData, StoreError};

/// A store in memory. Clones share the committed data; each clone used as a [`Store`] stages
/// its writes until [`Store::commit`].
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    committed: Arc<Mutex<StoreData>>,
    staged: Option<StoreData>,
}

impl MemoryStore {
    /// A store holding `data`.
    pub fn with_data(data: StoreData) -> Self {
        MemoryStore {
            committed: Arc::new(Mutex::new(data)),
            staged: None,
        }
    }

    /// The committed data.
    pub fn data(&self) -> StoreData {
        self.committed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Store for MemoryStore {
    fn load(&mut self) -> Result<StoreData, StoreError> {
        Ok(match &self.staged {
            Some(d) => d.clone(),
            None => self.data(),
        })
    }

    fn save(&mut self, data: &StoreData) -> Result<(), StoreError> {
        self.staged = Some(data.clone());
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        if let Some(d) = self.staged {
            *self.committed.lock().unwrap_or_else(|p| p.into_inner()) = d;
        }
        Ok(())
    }
}
