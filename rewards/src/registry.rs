//! [`Registry`]: signals by name. Built-in signals and a user's own register the same way,
//! through a [`SignalEntry`]; a user's crate adds its own without touching limbic:
//!
//! ```no_run
//! # use limbic_rewards::{Registry, SignalEntry};
//! # fn my_entry() -> SignalEntry { limbic_rewards::signals::counts::ENTRY }
//! let mut registry = Registry::builtins();
//! registry.register(my_entry())?; // a name already taken is an error
//! let counts = registry.get("counts")?; // an unknown name lists every name
//! # Ok::<(), limbic_agents::AgentError>(())
//! ```
//!
//! A signal defined at run time (the Python binding's `limbic.rewards.register`) is
//! [`install`]ed for the whole process instead: runs build their reward sets from
//! [`Registry::installed`], the built-ins and those.

use crate::signal::SignalEntry;
use crate::signals;
use limbic_agents::core::config::invalid;
use limbic_agents::Result;
use std::sync::RwLock;

/// Signals installed for the whole process, in installation order.
static INSTALLED: RwLock<Vec<SignalEntry>> = RwLock::new(Vec::new());

/// Makes `entry` part of every [`Registry::installed`] from now on. A name a built-in has is an
/// error; installing a name again replaces the earlier entry (a notebook cell run twice).
pub fn install(entry: SignalEntry) -> Result<()> {
    if builtin_entries().iter().any(|e| e.name == entry.name) {
        return Err(invalid("rewards", format!("`{}` is a built-in signal: choose another name", entry.name)));
    }
    let mut installed = INSTALLED.write().unwrap_or_else(|e| e.into_inner());
    installed.retain(|e| e.name != entry.name);
    installed.push(entry);
    Ok(())
}

/// The built-in entries, in the order `limbic rewards` lists them.
pub fn builtin_entries() -> Vec<SignalEntry> {
    vec![
        signals::extrinsic::ENTRY,
        signals::counts::ENTRY,
        signals::rnd::ENTRY,
        signals::icm::ENTRY,
        signals::disagreement::ENTRY,
        signals::ride::ENTRY,
        signals::e3b::ENTRY,
        signals::ngu::ENTRY,
        signals::re3::ENTRY,
        signals::latent_disagreement::ENTRY,
        signals::model_error::ENTRY,
        signals::gail::ENTRY,
        signals::goal_reaching::ENTRY,
        signals::preferences::ENTRY,
        signals::evaluative::ENTRY,
    ]
}

/// Signals by name.
#[derive(Clone)]
pub struct Registry {
    entries: Vec<SignalEntry>,
}

impl Registry {
    /// No signals at all.
    pub fn empty() -> Self {
        Registry { entries: Vec::new() }
    }

    /// Every built-in signal.
    pub fn builtins() -> Self {
        Registry { entries: builtin_entries() }
    }

    /// The built-ins and every signal [`install`]ed in this process (what runs build from).
    pub fn installed() -> Self {
        let mut entries = builtin_entries();
        entries.extend(INSTALLED.read().unwrap_or_else(|e| e.into_inner()).iter().copied());
        Registry { entries }
    }

    /// Adds a signal; a name already registered is an error.
    pub fn register(&mut self, entry: SignalEntry) -> Result<()> {
        if self.entries.iter().any(|e| e.name == entry.name) {
            return Err(invalid("rewards", format!("a signal named `{}` is already registered", entry.name)));
        }
        self.entries.push(entry);
        Ok(())
    }

    /// The entry named `name`; an unknown name is an error that lists every registered name
    /// and the nearest ones.
    pub fn get(&self, name: &str) -> Result<&SignalEntry> {
        self.entries.iter().find(|e| e.name == name).ok_or_else(|| {
            let names: Vec<String> = self.entries.iter().map(|e| e.name.to_string()).collect();
            let near = limbic_environments::registry::nearest(name, names.iter());
            let hint = if near.is_empty() { String::new() } else { format!(" (did you mean {}?)", near.join(", ")) };
            invalid("rewards", format!("unknown signal `{name}`{hint}; registered: {}", names.join(", ")))
        })
    }

    /// Every entry, in registration order.
    pub fn entries(&self) -> &[SignalEntry] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_list_what_exists_and_duplicates_are_refused() {
        let mut registry = Registry::builtins();
        let error = registry.get("count").err().unwrap().to_string();
        assert!(
            error.contains("`count`") && error.contains("did you mean counts") && error.contains("extrinsic"),
            "{error}"
        );
        assert_eq!(registry.get("counts").unwrap().name, "counts");
        let error = registry.register(signals::counts::ENTRY).unwrap_err().to_string();
        assert!(error.contains("already registered"), "{error}");
        let mut empty = Registry::empty();
        empty.register(signals::counts::ENTRY).unwrap();
        assert_eq!(empty.entries().len(), 1);
    }

    #[test]
    fn installed_signals_join_every_installed_registry() {
        let entry = |summary| SignalEntry { name: "registry_test_novelty", summary, ..signals::counts::ENTRY };
        assert!(Registry::builtins().get("registry_test_novelty").is_err());
        install(entry("first")).unwrap();
        install(entry("second")).unwrap();
        let registry = Registry::installed();
        assert_eq!(registry.get("registry_test_novelty").unwrap().summary, "second");
        assert_eq!(registry.entries().len(), builtin_entries().len() + 1);
        let error = install(signals::counts::ENTRY).unwrap_err().to_string();
        assert!(error.contains("`counts` is a built-in"), "{error}");
    }

    #[test]
    fn every_builtin_documents_its_defaults() {
        for entry in Registry::builtins().entries() {
            let defaults = (entry.defaults)();
            let keys: Vec<&str> = defaults.as_object().unwrap().keys().map(String::as_str).collect();
            let mut documented: Vec<&str> = entry.params.iter().map(|(name, _)| *name).collect();
            documented.sort();
            let mut keys = keys.clone();
            keys.sort();
            assert_eq!(keys, documented, "{}", entry.name);
        }
    }
}
