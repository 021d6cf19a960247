//! Debug logging in the dslogs style: `<virtual ms> <TOPIC> <node> <text>`, one line per event, so
//! the log viewer can put each server in its own column and filter by topic.
//!
//! Off by default, so tests stay fast. `LAB_LOG=1` (or `all`) turns every topic on;
//! `LAB_LOG=VOTE,LEAD` selects topics; `RUST_LOG` set to anything also turns everything on.
//! Lines go through the test's captured output, so `cargo test` shows them for failing tests only,
//! and `-- --nocapture` streams them. A run that records its view also keeps every line, all
//! topics, whether printed or not.

use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::{FormatEvent, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatFields};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// Logs one debug line under a topic: `dlog!(VOTE, "granted vote to S{}", candidate)`.
///
/// A topic is four capital letters or digits, the first a capital (`VOTE`, `LOG1`): the log
/// viewer recognises a line by it, so a line with any other topic would not be put in its
/// server's column nor picked by `-j`. Any other topic is a compile error saying so:
///
/// ```compile_fail,E0080
/// labrpc::dlog!(SRV, "applied index {}", 7);
/// ```
///
/// The usual topics: TIMR VOTE LEAD TERM LOG1 LOG2 CMIT PERS SNAP DROP CLNT TEST INFO WARN ERRO
/// TRCE. The node name and the virtual time are added automatically.
///
/// ```
/// labrpc::dlog!(SNAP, "snapshot through index {}", 7);
/// ```
#[macro_export]
macro_rules! dlog {
    ($topic:ident, $($arg:tt)+) => {{
        const _: () = if !$crate::is_log_topic(stringify!($topic)) {
            panic!(
                "{}",
                concat!(
                    "dlog!(", stringify!($topic), ", ..): a topic is four capital letters or \
                     digits, the first a capital (VOTE, LOG1, SRV1), so that the log viewer can \
                     place its lines"
                )
            );
        };
        $crate::__private::tracing::debug!(target: "lab", topic = stringify!($topic), $($arg)+)
    }};
}

/// Whether `topic` is a log topic: four capital letters or digits, the first a capital (`VOTE`,
/// `LOG1`). [`dlog!`] accepts no other, and the log viewer recognises a line by it.
pub const fn is_log_topic(topic: &str) -> bool {
    let bytes = topic.as_bytes();
    if bytes.len() != 4 || !bytes[0].is_ascii_uppercase() {
        return false;
    }
    let mut i = 1;
    while i < bytes.len() {
        if !(bytes[i].is_ascii_uppercase() || bytes[i].is_ascii_digit()) {
            return false;
        }
        i += 1;
    }
    true
}

/// Which topics the environment asks for, if logging is on.
enum Topics {
    All,
    Only(Vec<String>),
}

fn requested() -> Option<Topics> {
    let lab = std::env::var("LAB_LOG")
        .ok()
        .filter(|v| !v.is_empty() && v != "0");
    match lab.as_deref() {
        Some("1" | "all" | "ALL") => Some(Topics::All),
        Some(list) => Some(Topics::Only(
            list.split(',').map(|t| t.trim().to_uppercase()).collect(),
        )),
        None if std::env::var("RUST_LOG").is_ok_and(|v| !v.is_empty()) => Some(Topics::All),
        None => None,
    }
}

/// Whether the environment asks for log lines to be printed (`LAB_LOG`).
pub(crate) fn printing() -> bool {
    requested().is_some()
}

/// Turns logging on for this thread (the simulated run): printed when the environment asks for it
/// and `print` allows, kept in the run's view when `keep`.
pub(crate) fn install(print: bool, keep: bool) -> Option<tracing::subscriber::DefaultGuard> {
    let topics = requested().filter(|_| print);
    if topics.is_none() && !keep {
        return None;
    }
    let printer = topics.map(|topics| {
        tracing_subscriber::fmt::layer()
            .with_writer(tracing_subscriber::fmt::TestWriter::new())
            .event_format(LabFormat { topics })
    });
    let subscriber = tracing_subscriber::registry()
        .with(LevelFilter::DEBUG)
        .with(printer)
        .with(keep.then_some(Keep));
    Some(tracing::subscriber::set_default(subscriber))
}

/// Keeps every line in the run's view recording.
struct Keep;

impl<S: Subscriber> Layer<S> for Keep {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let fields = Fields::of(event);
        let node = crate::sim::current_node_name();
        crate::sim::world::record(|r, at| {
            r.log(at, node.as_deref(), &fields.topic, &fields.message)
        });
    }
}

struct LabFormat {
    topics: Topics,
}

#[derive(Default)]
struct Fields {
    topic: String,
    message: String,
}

impl Fields {
    /// The event's topic (its level's first four letters when it has none) and message.
    fn of(event: &Event<'_>) -> Fields {
        let mut fields = Fields::default();
        event.record(&mut fields);
        if fields.topic.is_empty() {
            fields.topic = event.metadata().level().as_str().chars().take(4).collect();
        }
        fields
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "topic" => self.topic = value.to_string(),
            "message" => self.message = value.to_string(),
            other => {
                let _ = write!(self.message, " {other}={value}");
            }
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => {
                let _ = write!(self.message, "{value:?}");
            }
            "topic" => self.topic = format!("{value:?}"),
            other => {
                let _ = write!(self.message, " {other}={value:?}");
            }
        }
    }
}

impl<S, N> FormatEvent<S, N> for LabFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let fields = Fields::of(event);
        if let Topics::Only(list) = &self.topics
            && !list.contains(&fields.topic)
        {
            return Ok(());
        }
        let ms = crate::sim::elapsed().as_millis();
        match crate::sim::current_node_name() {
            Some(node) => writeln!(writer, "{ms:06} {} {node} {}", fields.topic, fields.message),
            None => writeln!(writer, "{ms:06} {} {}", fields.topic, fields.message),
        }
    }
}
