//! The applications a job can run, compiled in and chosen by name (the original loads them as Go
//! plugins). Each behaves as its namesake in 6.5840's `mrapps/`.
//!
//! | app | purpose |
//! |---|---|
//! | `wc` | word count |
//! | `indexer` | inverted index: for each word, the documents containing it |
//! | `mtiming`, `rtiming` | detect whether map (reduce) tasks run in parallel |
//! | `jobcount` | detect map tasks run more than once |
//! | `early_exit` | slow reduces, to detect processes that exit before the output is complete |
//! | `crash`, `nocrash` | workers that die or stall at random, and the same without faults |

mod crash;
mod probes;
mod text;
mod timing;

use crate::{Error, KeyValue};

/// A Map function: the input file's name (as given to the coordinator) and its contents.
pub type MapFn = fn(filename: &str, contents: &str) -> Vec<KeyValue>;

/// A Reduce function: one key and every value emitted for it, in no particular order. (The
/// values are borrowed, so that a worker can hand Reduce the strings where they lie in the
/// intermediate data instead of copying each one.)
pub type ReduceFn = fn(key: &str, values: &[&str]) -> String;

/// A MapReduce application.
#[derive(Clone, Copy)]
pub struct App {
    pub name: &'static str,
    pub map: MapFn,
    pub reduce: ReduceFn,
}

const APPS: [App; 8] = [
    App::new("wc", text::wc_map, text::wc_reduce),
    App::new("indexer", text::indexer_map, text::indexer_reduce),
    App::new("mtiming", timing::mtiming_map, timing::mtiming_reduce),
    App::new("rtiming", timing::rtiming_map, timing::rtiming_reduce),
    App::new("jobcount", probes::jobcount_map, probes::jobcount_reduce),
    App::new(
        "early_exit",
        probes::early_exit_map,
        probes::early_exit_reduce,
    ),
    App::new("crash", crash::crash_map, crash::crash_reduce),
    App::new("nocrash", crash::nocrash_map, crash::nocrash_reduce),
];

/// The names of the compiled-in applications.
pub const APP_NAMES: [&str; 8] = {
    let mut names = [""; 8];
    let mut i = 0;
    while i < APPS.len() {
        names[i] = APPS[i].name;
        i += 1;
    }
    names
};

impl App {
    const fn new(name: &'static str, map: MapFn, reduce: ReduceFn) -> App {
        App { name, map, reduce }
    }

    /// The application called `name`; the error lists the valid names.
    pub fn by_name(name: &str) -> Result<App, Error> {
        APPS.iter()
            .find(|app| app.name == name)
            .copied()
            .ok_or_else(|| Error::UnknownApp {
                name: name.to_string(),
            })
    }
}

/// The values sorted and joined with `separator` (several apps reduce this way).
fn sorted_join(values: &[&str], separator: &str) -> String {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_are_found_by_name_and_unknown_names_list_the_valid_ones() {
        for name in APP_NAMES {
            assert_eq!(App::by_name(name).unwrap().name, name);
        }
        let message = App::by_name("wordcount").err().unwrap().to_string();
        assert_eq!(
            message,
            "unknown app `wordcount`; the apps are: wc, indexer, mtiming, rtiming, jobcount, \
             early_exit, crash, nocrash"
        );
    }
}
